/* events.h - the JSON bodies ("data") of the audit events the pipeline
 * writes; the same objects feed the replay report. Formats: docs/audit.md. */
#ifndef EVENTS_H
#define EVENTS_H

#include <jansson.h>
#include <stdint.h>

#include "energy.h"
#include "policy.h"

struct reference;

typedef enum events_energy_effect {
	EVENTS_ENERGY_NONE = 0,
	EVENTS_ENERGY_SPENT,  /* a retrain */
	EVENTS_ENERGY_AVOIDED /* a hold where a naive controller would retrain */
} events_energy_effect;

/* An event time as its ISO 8601 JSON string. New reference. */
json_t *events_time(int64_t ms);

/* {file, sha256} — new reference. */
json_t *events_policy_loaded(const policy *p);

/* The reference a policy runs against: path, rows and every feature's type
 * and whether it was declared or inferred, in payload order; when the
 * payload has ignored columns, "payload": {columns (in order), ignored}.
 * New reference. */
json_t *events_reference(const struct reference *ref);

struct window;
struct window_column;
struct reference_feature;

/* window_evaluated data: the window's records, span and drift, written
 * when it closes (its KPIs come with its decision). w: the window just
 * evaluated, for the names of new and vanished categories, or NULL once
 * it has been reset. New reference. */
json_t *events_window(const policy *p, const policy_window_eval *ev,
		      const struct window *w);

/* One feature's detectors: [{detector, value, threshold, judged, drifted,
 * p_value, p_adjusted, effect, min_effect (tests), bins (binned),
 * skipped, error, approximate}]. New reference (events_drift.c). */
json_t *events_detectors(const policy_feature_eval *f);

/* {unseen: [{value, count}], vanished: [name]} of a categorical column,
 * at most 10 names each (events_drift.c). New reference. */
json_t *events_categories(const struct reference_feature *rf,
			  const struct window_column *c);

/* {metric: {value, n}} of the KPIs ev holds. New reference. */
json_t *events_kpis(const policy_window_eval *ev);

/* decision data, with the window's KPIs and labelled count; est may be
 * NULL when the estimate failed. */
json_t *events_decision(const policy *p, const policy_window_eval *ev,
			const policy_decision *d, events_energy_effect effect,
			const energy_estimate *est);

const char *events_effect_name(events_energy_effect e);

/* The "data_gap" field of window_evaluated and decision when records that
 * window should have seen were lost upstream (pipeline_gap.h):
 * {gaps, offsets_lost}. New reference. */
json_t *events_data_gap(uint64_t gaps, uint64_t offsets_lost);

/* ---- hot reload (policy_reload.c) --------------------------------- */

/* policy_loaded data for a reload: events_policy_loaded's keys plus
 * "model", "reason":"reload", "previous_sha256" (the SHA-256 replaced)
 * and "window": "kept" (the open window carries on under p) or
 * "restarted" (it is finished under the previous policy, then a fresh one
 * starts). New reference. */
json_t *events_policy_reloaded(const policy *p, const char *previous_sha256,
			       int keeps_window);

/* policy_rejected data: {file, sha256 (null when unreadable or gone),
 * reason, errors: [{line, column, message}], kept (the SHA-256 still
 * running, null when none)}. Every diagnostic of d is listed; with none,
 * err's sentence at line 0. New reference. */
json_t *events_policy_rejected(const char *file, const char *sha256,
			       const char *reason, const policy_diags *d,
			       const kpg_err *err, const char *kept_sha256);

#endif
