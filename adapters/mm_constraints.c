/* mm_constraints.c - a Model Monitor constraints.json into mm_constraints
 * (format, the two spellings and limits in mm_constraints.h). A bad file
 * never half-fills the struct. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpg_file.h"
#include "mm_constraints.h"
#include "mm_json.h"

static void config_unset(mm_monitoring_config *m)
{
	m->evaluate_constraints = m->emit_metrics = MM_UNSET;
	m->perform_comparison = MM_UNSET;
	m->comparison_method = m->categorical_drift_method = MM_UNSET;
	m->datatype_check_threshold = m->domain_content_threshold = NAN;
	m->comparison_threshold = m->min_domain_mass = NAN;
	m->categorical_comparison_threshold = NAN;
	m->has_distribution = 0;
}

/* A string member that must be one of names[0..n): its index. */
static int read_choice(mm_ctx *c, json_t *obj, const char *op, const char *key,
		       const char *const *names, int n, int *out)
{
	char *s = NULL, path[MM_PATH_MAX];
	int rc = mm_get_string(c, obj, op, key, MM_OPTIONAL, 64, &s);

	if (rc <= 0)
		return rc;
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			free(s);
			return 1;
		}
	mm_join(path, sizeof(path), op, key);
	rc = mm_fail(c, path, "must be \"%s\" or \"%s\", got \"%.40s\"", names[0],
		     names[1], s);
	free(s);
	return rc;
}

static int read_distribution(mm_ctx *c, json_t *d, const char *dp,
			     mm_monitoring_config *m)
{
	static const char *const methods[] = {"Simple", "Robust"};
	static const char *const cat_methods[] = {"LInfinity", "ChiSquared"};
	char path[MM_PATH_MAX];
	int perform = MM_UNSET, enable = MM_UNSET;

	if (mm_get_switch(c, d, dp, "perform_comparison", MM_OPTIONAL, 1,
			  &perform) < 0 ||
	    mm_get_switch(c, d, dp, "enable_comparisons", MM_OPTIONAL, 1,
			  &enable) < 0)
		return -1;
	if (perform != MM_UNSET && enable != MM_UNSET && perform != enable) {
		mm_join(path, sizeof(path), dp, "enable_comparisons");
		return mm_fail(c, path, "disagrees with perform_comparison: give one of them");
	}
	m->perform_comparison = perform != MM_UNSET ? perform : enable;
	if (mm_get_number(c, d, dp, "comparison_threshold", MM_OPTIONAL, 0,
			  HUGE_VAL, &m->comparison_threshold) < 0 ||
	    read_choice(c, d, dp, "comparison_method", methods, 2,
			&m->comparison_method) < 0 ||
	    mm_get_number(c, d, dp, "min_domain_mass", MM_OPTIONAL, 0, 1,
			  &m->min_domain_mass) < 0 ||
	    mm_get_number(c, d, dp, "categorical_comparison_threshold",
			  MM_OPTIONAL, 0, HUGE_VAL,
			  &m->categorical_comparison_threshold) < 0 ||
	    read_choice(c, d, dp, "categorical_drift_method", cat_methods, 2,
			&m->categorical_drift_method) < 0)
		return -1;
	m->has_distribution = 1;
	return 1;
}

static int read_config(mm_ctx *c, json_t *o, const char *op,
		       mm_monitoring_config *m)
{
	char dp[MM_PATH_MAX];
	json_t *d;
	int rc;

	if (mm_get_switch(c, o, op, "evaluate_constraints", MM_OPTIONAL, 0,
			  &m->evaluate_constraints) < 0 ||
	    mm_get_switch(c, o, op, "emit_metrics", MM_OPTIONAL, 0,
			  &m->emit_metrics) < 0 ||
	    mm_get_number(c, o, op, "datatype_check_threshold", MM_OPTIONAL, 0, 1,
			  &m->datatype_check_threshold) < 0 ||
	    mm_get_number(c, o, op, "domain_content_threshold", MM_OPTIONAL, 0, 1,
			  &m->domain_content_threshold) < 0)
		return -1;
	rc = mm_get_object(c, o, op, "distribution_constraints", MM_OPTIONAL, &d);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	mm_join(dp, sizeof(dp), op, "distribution_constraints");
	return read_distribution(c, d, dp, m);
}

/* The overrides at obj.key, when there. */
static int read_overrides(mm_ctx *c, json_t *obj, const char *op,
			  const char *key, mm_feature_constraints *f)
{
	char path[MM_PATH_MAX];
	json_t *o;
	int rc = mm_get_object(c, obj, op, key, MM_OPTIONAL, &o);

	if (rc <= 0)
		return rc;
	mm_join(path, sizeof(path), op, key);
	if (f->has_overrides)
		return mm_fail(c, path, "is a second set of monitoring config overrides for the feature");
	f->has_overrides = 1;
	return read_config(c, o, path, &f->overrides);
}

static int read_domains(mm_ctx *c, json_t *sc, const char *sp,
			mm_feature_constraints *f)
{
	char dp[MM_PATH_MAX], ep[MM_PATH_MAX];
	json_t *arr, *v;
	size_t i;
	int rc = mm_get_array(c, sc, sp, "domains", MM_OPTIONAL, MM_MAX_DOMAIN, &arr);

	if (rc <= 0)
		return rc;
	mm_join(dp, sizeof(dp), sp, "domains");
	f->domains = calloc(json_array_size(arr) + 1, sizeof(*f->domains));
	if (f->domains == NULL) {
		c->rc = KPG_ENOMEM;
		kpg_err_set(c->err, "%s: out of memory", c->what);
		return -1;
	}
	f->has_domains = 1;
	json_array_foreach(arr, i, v) {
		mm_index(ep, sizeof(ep), dp, i);
		if (mm_check_string(c, v, ep, MM_MAX_VALUE, &f->domains[i]) < 0)
			return -1;
		f->n_domains++;
	}
	return 1;
}

static int read_feature(mm_ctx *c, json_t *fj, size_t idx,
			mm_feature_constraints *f)
{
	const char *fp = c->fpath;
	char path[MM_PATH_MAX], *type = NULL;
	json_t *nc, *sc;
	int t;

	mm_index(c->fpath, sizeof(c->fpath), "features", idx);
	c->feature = NULL;
	f->completeness = NAN;
	f->is_non_negative = MM_UNSET;
	config_unset(&f->overrides);
	if (!json_is_object(fj))
		return mm_fail(c, fp, "must be an object, got %s",
			       json_is_array(fj) ? "an array" : "a scalar");
	if (mm_get_string(c, fj, fp, "name", MM_REQUIRED, MM_MAX_NAME, &f->name) < 0)
		return -1;
	c->feature = f->name;
	if (mm_get_string(c, fj, fp, "inferred_type", MM_REQUIRED, 64, &type) < 0)
		return -1;
	t = mm_type_parse(type);
	free(type);
	if (t < 0) {
		mm_join(path, sizeof(path), fp, "inferred_type");
		return mm_fail(c, path, "must be \"Integral\", \"Fractional\", \"String\" or \"Unknown\", got \"%.40s\"",
			       json_string_value(json_object_get(fj, "inferred_type")));
	}
	f->type = (mm_type)t;
	if (mm_get_number(c, fj, fp, "completeness", MM_OPTIONAL, 0, 1,
			  &f->completeness) < 0)
		return -1;
	if (mm_get_object(c, fj, fp, "num_constraints", MM_OPTIONAL, &nc) < 0 ||
	    mm_get_object(c, fj, fp, "string_constraints", MM_OPTIONAL, &sc) < 0)
		return -1;
	if (nc != NULL) {
		json_t *v = json_object_get(nc, "is_non_negative");

		mm_join(path, sizeof(path), fp, "num_constraints");
		if (v != NULL && !json_is_boolean(v)) {
			char kp[MM_PATH_MAX];

			mm_join(kp, sizeof(kp), path, "is_non_negative");
			return mm_fail(c, kp, "must be true or false");
		}
		if (v != NULL)
			f->is_non_negative = json_is_true(v);
		if (read_overrides(c, nc, path, "monitoring_config_overrides", f) < 0)
			return -1;
	}
	if (sc != NULL) {
		mm_join(path, sizeof(path), fp, "string_constraints");
		if (read_domains(c, sc, path, f) < 0 ||
		    read_overrides(c, sc, path, "monitoring_config_overrides", f) < 0)
			return -1;
	}
	if (read_overrides(c, fj, fp, "monitoring_config_overrides", f) < 0 ||
	    read_overrides(c, fj, fp, "monitoringConfigOverrides", f) < 0)
		return -1;
	return 1;
}

static int read_root(mm_ctx *c, json_t *root, mm_constraints *out)
{
	json_t *arr, *f, *mc;
	size_t i;
	int rc;

	config_unset(&out->config);
	if (!json_is_object(root))
		return mm_fail(c, "", "must be a JSON object (a constraints.json), got %s",
			       json_is_array(root) ? "an array" : "a scalar");
	if (mm_get_number(c, root, "", "version", MM_REQUIRED, -HUGE_VAL, HUGE_VAL,
			  &out->version) < 0 ||
	    mm_get_array(c, root, "", "features", MM_REQUIRED, MM_MAX_FEATURES,
			 &arr) < 0)
		return -1;
	out->features = calloc(json_array_size(arr) + 1, sizeof(*out->features));
	if (out->features == NULL) {
		c->rc = KPG_ENOMEM;
		kpg_err_set(c->err, "%s: out of memory", c->what);
		return -1;
	}
	json_array_foreach(arr, i, f) {
		out->n_features = i + 1;
		if (read_feature(c, f, i, &out->features[i]) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(out->features[j].name, out->features[i].name) == 0)
				return mm_fail(c, c->fpath, "repeats the name of features[%zu]",
					       j);
	}
	c->feature = NULL;
	rc = mm_get_object(c, root, "", "monitoring_config", MM_OPTIONAL, &mc);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		out->has_monitoring_config = 1;
		if (read_config(c, mc, "monitoring_config", &out->config) < 0)
			return -1;
	}
	return 1;
}

int mm_constraints_parse(const char *text, size_t len, const char *what,
			 mm_constraints *out, kpg_err *err)
{
	mm_ctx c;
	json_t *root;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.what = what;
	c.text = text;
	c.len = len;
	c.err = err;
	root = mm_json_parse(&c);
	if (root != NULL && read_root(&c, root, out) > 0) {
		json_decref(root);
		return KPG_OK;
	}
	json_decref(root);
	mm_constraints_free(out);
	return c.rc ? c.rc : KPG_EINVAL;
}

int mm_constraints_load(const char *path, mm_constraints *out, kpg_err *err)
{
	char *text = NULL;
	size_t len = 0;
	kpg_err ferr;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = kpg_read_file(path, MM_FILE_MAX, "constraints file", &text, &len,
			   &ferr);
	if (rc) {
		kpg_err_set(err, "%s: %s", path, ferr.msg);
		return rc;
	}
	rc = mm_constraints_parse(text, len, path, out, err);
	free(text);
	return rc;
}

void mm_constraints_free(mm_constraints *c)
{
	for (size_t i = 0; i < c->n_features; i++) {
		mm_feature_constraints *f = &c->features[i];

		free(f->name);
		for (size_t j = 0; j < f->n_domains; j++)
			free(f->domains[j]);
		free(f->domains);
	}
	free(c->features);
	memset(c, 0, sizeof(*c));
}
