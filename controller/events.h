/* events.h - the JSON bodies ("data") of the audit events the pipeline
 * writes; the same objects feed the replay report. Formats: docs/audit.md. */
#ifndef EVENTS_H
#define EVENTS_H

#include <jansson.h>

#include "energy.h"
#include "policy.h"

struct reference;

typedef enum events_energy_effect {
	EVENTS_ENERGY_NONE = 0,
	EVENTS_ENERGY_SPENT,   /* a retrain */
	EVENTS_ENERGY_AVOIDED  /* a hold where a naive controller would retrain */
} events_energy_effect;

/* {file, sha256} — new reference. */
json_t *events_policy_loaded(const policy *p);

/* The reference a policy runs against: path, rows and every feature's type
 * and whether it was declared or inferred. New reference. */
json_t *events_reference(const struct reference *ref);

/* window_evaluated data. New reference. */
json_t *events_window(const policy *p, const policy_window_eval *ev);

/* decision data; est may be NULL when the estimate failed. */
json_t *events_decision(const policy *p, const policy_window_eval *ev,
			const policy_decision *d, events_energy_effect effect,
			const energy_estimate *est);

const char *events_effect_name(events_energy_effect e);

#endif
