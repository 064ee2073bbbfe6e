/* evaluate_plans.c - a policy's detector plans for the features of its
 * reference (evaluate.h): known only once both are loaded, because a
 * feature's type may come from the reference. */
#include "evaluate.h"

#include <stdio.h>
#include <string.h>

#include "policy.h"

static int reference_has(const char *name, void *ctx)
{
	const reference *ref = ctx;

	for (size_t i = 0; i < ref->n_features; i++)
		if (strcmp(ref->features[i].name, name) == 0)
			return 1;
	return 0;
}

int evaluate_plans(const policy *p, const reference *ref, drift_plan *plans,
		   char *err_key, kpg_err *err)
{
	const char *unknown = policy_drift_unknown_feature(p, reference_has,
							   (void *)ref);

	if (unknown != NULL) {
		if (err_key != NULL)
			snprintf(err_key, REFERENCE_ERR_KEY_LEN, "drift.features.%s",
				 unknown);
		kpg_err_set(err, "drift.features names '%s', which is not a feature of the reference",
			    unknown);
		return KPG_EINVAL;
	}
	for (size_t i = 0; i < ref->n_features; i++) {
		const reference_feature *f = &ref->features[i];
		drift_plan plan;

		if (policy_drift_plan_for(p, f->name, f->type, &plan, err) != 0) {
			if (err_key != NULL)
				snprintf(err_key, REFERENCE_ERR_KEY_LEN,
					 "drift.features.%s.detectors", f->name);
			return KPG_EINVAL;
		}
		if (plans != NULL)
			plans[i] = plan;
	}
	return 0;
}
