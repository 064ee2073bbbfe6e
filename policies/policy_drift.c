/* policy_drift.c - which detectors judge which feature: the lists
 * drift.numeric, drift.categorical and drift.features.NAME of a policy
 * file (after the table pass has stored the global thresholds), and the
 * plan of one feature (policy.h). */
#include "policy_drift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correction.h"
#include "kpg_suggest.h"

#define AUTO_NAME "auto"
#define DRIFT_FEATURE_NAME_MAX 256 /* as features.NAME (policy_keys.c) */

/* The global threshold of a detector; *min_effect for the tests. */
static double default_threshold(const policy *p, drift_detector d,
				double *min_effect)
{
	*min_effect = 0;
	switch (d) {
	case DRIFT_PSI: return p->psi_threshold;
	case DRIFT_KS:
		*min_effect = p->ks_min_statistic;
		return p->ks_p_value;
	case DRIFT_CHI2:
		*min_effect = p->chi2_min_cramers_v;
		return p->chi2_p_value;
	case DRIFT_JS: return p->js_threshold;
	case DRIFT_WASSERSTEIN: return p->wasserstein_threshold;
	case DRIFT_HELLINGER: return p->hellinger_threshold;
	case DRIFT__COUNT: break;
	}
	return 0;
}

static void add_default(const policy *p, drift_plan *plan, drift_detector d)
{
	drift_check *c = &plan->checks[plan->n_checks++];

	c->kind = d;
	c->threshold = default_threshold(p, d, &c->min_effect);
}

/* `auto`: the four it may pick from, with the global thresholds. */
static void auto_plan(const policy *p, drift_plan *plan)
{
	plan->is_auto = 1;
	plan->n_checks = 0;
	add_default(p, plan, DRIFT_KS);
	add_default(p, plan, DRIFT_CHI2);
	add_default(p, plan, DRIFT_WASSERSTEIN);
	add_default(p, plan, DRIFT_JS);
}

void policy_drift_defaults(policy *p)
{
	memset(&p->drift_numeric, 0, sizeof(p->drift_numeric));
	memset(&p->drift_categorical, 0, sizeof(p->drift_categorical));
	p->drift_numeric.weight = p->drift_categorical.weight = 1;
	add_default(p, &p->drift_numeric, DRIFT_PSI);
	add_default(p, &p->drift_numeric, DRIFT_KS);
	add_default(p, &p->drift_categorical, DRIFT_PSI);
}

/* A number member of an entry object, checked against its row. */
static int entry_number(kpg_jsonv *v, json_t *o, const char *row_path,
			const char *shown, const char *member, double *out)
{
	/* room for the member after the longest path */
	char rp[JSON_LOCATE_PATH_MAX + 32], sp[JSON_LOCATE_PATH_MAX + 32];
	json_t *x = json_object_get(o, member);
	kpg_jsonv_at at = {sp, NULL};

	if (x == NULL)
		return 0;
	snprintf(rp, sizeof(rp), "%s.%s", row_path, member);
	snprintf(sp, sizeof(sp), "%s.%s", shown, member);
	if (kpg_jsonv_value(v, policy_lists_row(v, rp), &at, x) != 1)
		return -1;
	*out = json_number_value(x);
	return 1;
}

/* One list entry: "name" or {"name": ..., "threshold": ..., "min_effect":
 * ...}. Returns the detector's index, DRIFT__COUNT for "auto", or -1. */
static int load_entry(kpg_jsonv *v, const policy *p, json_t *e,
		      const char *row_path, const char *shown, drift_check *c)
{
	char rp[JSON_LOCATE_PATH_MAX];
	json_t *name = e;
	drift_detector d;
	const char *hint;

	snprintf(rp, sizeof(rp), "%s[]", row_path);
	if (json_is_object(e)) {
		kpg_jsonv_unknown_keys(v, e, rp, shown);
		name = json_object_get(e, "name");
		if (name == NULL) {
			kpg_jsonv_error(v, shown, 0, "%s needs \"name\": the detector (%s)",
					shown, "psi, ks, chi2, js, wasserstein or hellinger");
			return -1;
		}
	}
	if (!json_is_string(name)) {
		kpg_jsonv_error(v, shown, 0, "%s must be a detector name or an object {\"name\", \"threshold\", \"min_effect\"}, got %s",
				shown, kpg_jsonv_kind(name));
		return -1;
	}
	if (strcmp(json_string_value(name), AUTO_NAME) == 0 && !json_is_object(e))
		return DRIFT__COUNT;
	if (drift_detector_from_name(json_string_value(name), &d) != 0) {
		hint = kpg_suggest(json_string_value(name), drift_detector_names,
				   DRIFT__COUNT);
		kpg_jsonv_error(v, shown, 0, "%s: unknown detector \"%s\"; use psi, ks, chi2, js, wasserstein, hellinger or auto%s%s%s",
				shown, json_string_value(name),
				hint ? " (did you mean \"" : "", hint ? hint : "",
				hint ? "\"?)" : "");
		return -1;
	}
	c->kind = d;
	c->threshold = default_threshold(p, d, &c->min_effect);
	if (!json_is_object(e))
		return (int)d;
	if (entry_number(v, e, rp, shown, "threshold", &c->threshold) < 0)
		return -1;
	if (drift_detector_is_test(d) && c->threshold >= 1) {
		kpg_jsonv_error(v, shown, 0, "%s: the threshold of %s is a p-value and must be below 1",
				shown, drift_detector_name(d));
		return -1;
	}
	if (json_object_get(e, "min_effect") != NULL && !drift_detector_is_test(d)) {
		kpg_jsonv_error(v, shown, 0, "%s: min_effect applies to the tests (ks, chi2); %s is judged by its threshold",
				shown, drift_detector_name(d));
		return -1;
	}
	if (entry_number(v, e, rp, shown, "min_effect", &c->min_effect) < 0)
		return -1;
	return (int)d;
}

/* A detector list into plan. type: the type every entry must fit, or
 * POLICY_FEATURE_INFER when the feature's type is known only with the
 * reference (drift.features). Returns 0, or -1 after reporting. */
static int load_list(kpg_jsonv *v, const policy *p, json_t *a,
		     const char *row_path, const char *shown,
		     policy_feature_type type, drift_plan *plan)
{
	int seen[DRIFT__COUNT + 1] = {0}, bad = 0;

	if (kpg_jsonv_entries(v, policy_lists_row(v, row_path), a,
			      "an array of detectors") < 0)
		return -1;
	if (json_array_size(a) == 0) {
		kpg_jsonv_error(v, shown, 0, "%s lists no detector; name at least one (or \"auto\")",
				shown);
		return -1;
	}
	plan->n_checks = 0;
	plan->is_auto = 0;
	for (size_t i = 0; i < json_array_size(a); i++) {
		char sp[JSON_LOCATE_PATH_MAX];
		drift_check c;
		int d;

		snprintf(sp, sizeof(sp), "%s[%zu]", shown, i);
		d = load_entry(v, p, json_array_get(a, i), row_path, sp, &c);
		if (d < 0) {
			bad = 1;
			continue;
		}
		if (seen[d]++) {
			kpg_jsonv_error(v, sp, 0, "%s: %s is listed twice", sp,
					d == DRIFT__COUNT ? AUTO_NAME
							  : drift_detector_name((drift_detector)d));
			bad = 1;
			continue;
		}
		if (d != DRIFT__COUNT && type != POLICY_FEATURE_INFER &&
		    !drift_detector_fits((drift_detector)d, type)) {
			kpg_jsonv_error(v, sp, 0, "%s: %s does not apply to %s features",
					sp, drift_detector_name((drift_detector)d),
					policy_feature_type_name(type));
			bad = 1;
			continue;
		}
		if (d != DRIFT__COUNT)
			plan->checks[plan->n_checks++] = c;
	}
	if (seen[DRIFT__COUNT] && json_array_size(a) > 1) {
		kpg_jsonv_error(v, shown, 0, "%s: \"auto\" picks the detectors itself; list it alone",
				shown);
		return -1;
	}
	if (seen[DRIFT__COUNT] && !bad)
		auto_plan(p, plan);
	return bad ? -1 : 0;
}

static void load_feature(kpg_jsonv *v, policy *p, const char *key, json_t *o)
{
	/* room for a member after the longest shown path */
	char shown[JSON_LOCATE_PATH_MAX], sp[JSON_LOCATE_PATH_MAX + 32];
	policy_drift_feature *f = &p->drift_features[p->n_drift_features];
	const char *row = "drift.features.NAME";
	json_t *x;
	double w = 1;
	int bad = 0;

	snprintf(shown, sizeof(shown), "drift.features.%s", key);
	if (key[0] == '\0' || strlen(key) > DRIFT_FEATURE_NAME_MAX) {
		kpg_jsonv_error(v, shown, 1, "feature names must be 1 to %d bytes",
				DRIFT_FEATURE_NAME_MAX);
		return;
	}
	if (!json_is_object(o)) {
		kpg_jsonv_error(v, shown, 0, "%s must be an object such as {\"detectors\": [\"psi\"], \"weight\": 2}, got %s",
				shown, kpg_jsonv_kind(o));
		return;
	}
	kpg_jsonv_unknown_keys(v, o, row, shown);
	memset(f, 0, sizeof(*f));
	f->plan.weight = 1;
	/* every member is checked, whatever an earlier one said */
	if ((x = json_object_get(o, "detectors")) != NULL) {
		snprintf(sp, sizeof(sp), "%s.detectors", shown);
		if (load_list(v, p, x, "drift.features.NAME.detectors", sp,
			      POLICY_FEATURE_INFER, &f->plan) != 0)
			bad = 1;
		f->has_detectors = 1;
	}
	if (entry_number(v, o, row, shown, "weight", &w) < 0)
		bad = 1;
	else if (json_object_get(o, "weight") != NULL)
		f->plan.weight = w;
	if ((x = json_object_get(o, "critical")) != NULL) {
		kpg_jsonv_at at = {sp, NULL};

		snprintf(sp, sizeof(sp), "%s.critical", shown);
		if (kpg_jsonv_value(v, policy_lists_row(v, "drift.features.NAME.critical"),
				    &at, x) != 1)
			bad = 1;
		f->plan.critical = json_is_true(x);
	}
	if (!bad && policy_lists_dup(v, key, &f->name) == 0)
		p->n_drift_features++;
}

void policy_load_drift(kpg_jsonv *v, json_t *root, policy *p)
{
	json_t *x, *entry;
	const char *key;

	policy_drift_defaults(p);
	if ((x = kpg_jsonv_get(root, "drift.numeric")) != NULL)
		load_list(v, p, x, "drift.numeric", "drift.numeric",
			  POLICY_FEATURE_NUMERIC, &p->drift_numeric);
	if ((x = kpg_jsonv_get(root, "drift.categorical")) != NULL)
		load_list(v, p, x, "drift.categorical", "drift.categorical",
			  POLICY_FEATURE_CATEGORICAL, &p->drift_categorical);
	x = kpg_jsonv_get(root, "drift.features");
	if (x == NULL || kpg_jsonv_entries(v, policy_lists_row(v, "drift.features"), x,
					   "an object of feature name: {detectors, weight, critical}") < 0)
		return;
	p->drift_features = calloc(json_object_size(x) + 1,
				   sizeof(*p->drift_features));
	if (p->drift_features == NULL) {
		v->nomem = 1;
		return;
	}
	json_object_foreach(x, key, entry)
		load_feature(v, p, key, entry);
}

void policy_drift_free(policy *p)
{
	for (size_t i = 0; i < p->n_drift_features; i++)
		free(p->drift_features[i].name);
	free(p->drift_features);
	p->drift_features = NULL;
	p->n_drift_features = 0;
}

int policy_drift_plan_for(const policy *p, const char *name,
			  policy_feature_type type, drift_plan *out,
			  kpg_err *err)
{
	const policy_drift_feature *f = NULL;

	for (size_t i = 0; i < p->n_drift_features; i++)
		if (strcmp(p->drift_features[i].name, name) == 0)
			f = &p->drift_features[i];
	*out = type == POLICY_FEATURE_NUMERIC ? p->drift_numeric
					      : p->drift_categorical;
	if (f == NULL)
		return 0;
	if (f->has_detectors) {
		*out = f->plan;
		for (size_t i = 0; i < out->n_checks && !out->is_auto; i++)
			if (!drift_detector_fits(out->checks[i].kind, type)) {
				kpg_err_set(err, "drift.features.%s.detectors: %s does not apply to %s feature '%s'",
					    name, drift_detector_name(out->checks[i].kind),
					    policy_feature_type_name(type), name);
				return KPG_EINVAL;
			}
	}
	out->weight = f->plan.weight;
	out->critical = f->plan.critical;
	return 0;
}

const char *policy_drift_unknown_feature(const policy *p,
					 int (*has)(const char *, void *),
					 void *ctx)
{
	for (size_t i = 0; i < p->n_drift_features; i++)
		if (!has(p->drift_features[i].name, ctx))
			return p->drift_features[i].name;
	return NULL;
}

int policy_ks_method_applied(const policy *p)
{
	if (p->ks_method == POLICY_KS_AUTO && p->correction != CORRECTION_NONE)
		return POLICY_KS_EXACT;
	return p->ks_method;
}

void policy_drift_inputs(const policy *p, policy_window_eval *ev)
{
	ev->ks_method = policy_ks_method_applied(p);
	ev->binning = (drift_binning)p->psi_binning;
	ev->psi_bins = p->psi_bins;
	ev->min_values_per_bin = p->min_values_per_bin;
	ev->max_noise_alarm = p->max_noise_alarm;
	ev->auto_size = p->auto_sample_size;
}

void policy_drift_resolve_auto(const drift_plan *plan, policy_feature_type type,
			       double n_eff, unsigned auto_size,
			       drift_plan *out)
{
	drift_detector want;

	*out = *plan;
	if (!plan->is_auto)
		return;
	out->is_auto = 0;
	out->n_checks = 0;
	if (type == POLICY_FEATURE_NUMERIC)
		want = n_eff <= (double)auto_size ? DRIFT_KS : DRIFT_WASSERSTEIN;
	else
		want = n_eff <= (double)auto_size ? DRIFT_CHI2 : DRIFT_JS;
	for (size_t i = 0; i < plan->n_checks; i++)
		if (plan->checks[i].kind == want)
			out->checks[out->n_checks++] = plan->checks[i];
}

int policy_drift_plan_from_names(const policy *p, const char *const *names,
				 size_t n, policy_feature_type type,
				 drift_plan *out, kpg_err *err)
{
	int seen[DRIFT__COUNT] = {0};

	memset(out, 0, sizeof(*out));
	out->weight = 1;
	for (size_t i = 0; i < n; i++) {
		drift_detector d;

		if (strcmp(names[i], AUTO_NAME) == 0) {
			if (n > 1) {
				kpg_err_set(err, "\"auto\" picks the detectors itself; give it alone");
				return KPG_EINVAL;
			}
			auto_plan(p, out);
			return 0;
		}
		if (drift_detector_from_name(names[i], &d) != 0) {
			kpg_err_set(err, "unknown detector \"%s\"; use psi, ks, chi2, js, wasserstein, hellinger or auto",
				    names[i]);
			return KPG_EINVAL;
		}
		if (seen[d]++) {
			kpg_err_set(err, "%s is named twice", names[i]);
			return KPG_EINVAL;
		}
		if (drift_detector_fits(d, type))
			add_default(p, out, d);
	}
	return 0;
}
