/* events_drift.c - the per-detector part of a window's audit record
 * (events.h): every configured detector's value, threshold and verdict
 * for a feature, and the categories a window added or lost. */
#include "events.h"

#include <math.h>
#include <stdlib.h>

#include "evaluate.h"
#include "window.h"

#define EVENTS_MAX_CATEGORY_NAMES 10

static const char *skip_name(drift_skip s)
{
	switch (s) {
	case DRIFT_SKIP_FEW_VALUES: return "few_values";
	case DRIFT_SKIP_NOISE: return "noise";
	case DRIFT_JUDGED: break;
	}
	return "judged";
}

/* JSON has no NaN: non-finite numbers become null. */
static json_t *real_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *events_detectors(const policy_feature_eval *f)
{
	json_t *a = json_array();

	for (size_t i = 0; i < f->n_results && a != NULL; i++) {
		const drift_result *r = &f->results[i];
		json_t *o = json_pack("{s:s, s:o, s:f, s:b, s:b}", "detector",
				      drift_detector_name(r->kind), "value",
				      real_or_null(r->value), "threshold", r->threshold,
				      "judged", r->skip == DRIFT_JUDGED, "drifted",
				      r->drifted);

		if (o == NULL)
			continue;
		/* a constant reference: any difference is infinitely many of
		 * its standard deviations */
		if (isinf(r->value))
			json_object_set_new(o, "infinite", json_true());
		if (drift_detector_is_test(r->kind)) {
			json_object_set_new(o, "p_value", real_or_null(r->p_value));
			json_object_set_new(o, "p_adjusted", real_or_null(r->p_adjusted));
			json_object_set_new(o, "effect", real_or_null(r->effect));
			json_object_set_new(o, "min_effect", json_real(r->min_effect));
			if (r->p_method != DRIFT_P_UNKNOWN)
				json_object_set_new(o, "p_method",
						    json_string(r->p_method == DRIFT_P_EXACT ? "exact"
											     : "asymp"));
		}
		if (r->bins > 0)
			json_object_set_new(o, "bins", json_integer(r->bins));
		if (drift_detector_is_binned(r->kind))
			json_object_set_new(o, "noise", real_or_null(r->noise));
		if (r->skip != DRIFT_JUDGED)
			json_object_set_new(o, "skipped", json_string(skip_name(r->skip)));
		if (r->error > 0) {
			json_object_set_new(o, "error", json_real(r->error));
			json_object_set_new(o, "approximate", json_boolean(r->approximate));
		}
		json_array_append_new(a, o);
	}
	return a;
}

json_t *events_categories(const reference_feature *rf, const window_column *c)
{
	json_t *unseen = json_array(), *vanished = json_array(), *o;
	size_t order[UNSEEN_MAX_NAMES];
	double total = 0, ref_total = 0;

	if (unseen == NULL || vanished == NULL)
		goto nomem;
	unseen_sorted(&c->unseen, order);
	for (size_t i = 0; i < c->unseen.n && i < EVENTS_MAX_CATEGORY_NAMES; i++)
		json_array_append_new(unseen,
				      json_pack("{s:s, s:I}", "value",
						c->unseen.names[order[i]], "count",
						(json_int_t)c->unseen.counts[order[i]]));
	for (size_t i = 0; i <= rf->n_categories; i++)
		total += c->counts[i];
	for (size_t i = 0; i < rf->n_categories; i++)
		ref_total += rf->category_counts[i];
	for (size_t i = 0; i < rf->n_categories && ref_total > 0 &&
			   json_array_size(vanished) < EVENTS_MAX_CATEGORY_NAMES;
	     i++)
		if (c->counts[i] == 0 &&
		    rf->category_counts[i] / ref_total * total >= EVALUATE_VANISHED_MIN_EXPECTED)
			json_array_append_new(vanished,
					      json_string(rf->category_names[i]));
	/* json_pack takes both references, even when it fails */
	o = json_pack("{s:o, s:o}", "unseen", unseen, "vanished", vanished);
	return o;
nomem:
	json_decref(unseen);
	json_decref(vanished);
	return NULL;
}
