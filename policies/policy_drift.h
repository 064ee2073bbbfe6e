/* policy_drift.h - the detector lists of a policy file (drift.numeric,
 * drift.categorical, drift.features.NAME), checked entry by entry against
 * their rows in policy_keys.c. Internal to the policies room; the plan of
 * a feature is policy.h's policy_drift_plan_for. */
#ifndef POLICY_DRIFT_H
#define POLICY_DRIFT_H

#include <jansson.h>

#include "kpg_jsonv.h"
#include "policy.h"
#include "policy_lists.h"

/* After the table pass (thresholds stored): the lists, reported into v. */
void policy_load_drift(kpg_jsonv *v, json_t *root, policy *p);

void policy_drift_free(policy *p);

#endif
