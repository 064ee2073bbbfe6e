/* policy_load.c - reads one policy file, validates every key, and builds a
 * struct policy. Every problem is reported (not just the first), each at
 * the line:column of the offending key or value found by json_locate.
 * Keys, defaults and ranges: docs/policies.md, policy.schema.json. */
#include "policy.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_names.h"
#include "json_locate.h"
#include "kpg_file.h"

#define POLICY_FILE_MAX (1024 * 1024) /* a policy is a page, not a dataset */
#define POLICY_MAX_DIAGS 200
#define POLICY_NAME_MAX 256           /* column, feature, score_field names */
#define POLICY_PARAM_VALUE_MAX 1024
#define POLICY_MAX_SECONDS (366LL * 86400) /* spans, cooldowns, budgets */
#define POLICY_MAX_WINDOW_RECORDS 10000000LL

typedef struct vctx {
	const json_locate *loc;
	int task_bad;               /* prediction.task invalid: skip KPI/task checks */
	policy_diags *d;
	size_t base;                /* diags already in d before this file */
	size_t n_errors;
	int nomem;
} vctx;

/* ---- diagnostics -------------------------------------------------- */

static void diag_add(vctx *c, int line, int column, const char *fmt, va_list ap)
{
	c->n_errors++;
	if (c->d->n - c->base < POLICY_MAX_DIAGS &&
	    kpg_diags_vadd(c->d, line, column, NULL, fmt, ap) != 0)
		c->nomem = 1;
}

static void diag_at(vctx *c, int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void diag_at(vctx *c, int line, int column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(c, line, column, fmt, ap);
	va_end(ap);
}

/* Reports at path's key (at_key) or value; falls back to the enclosing
 * value when the path has no position (e.g. a missing key). */
static void verr(vctx *c, const char *path, int at_key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void verr(vctx *c, const char *path, int at_key, const char *fmt, ...)
{
	int line = 0, column = 0;
	va_list ap;

	json_locate_nearest(c->loc, path, at_key, &line, &column);
	va_start(ap, fmt);
	diag_add(c, line, column, fmt, ap);
	va_end(ap);
}

static int diag_cmp(const void *a, const void *b)
{
	const policy_diag *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return 0;
}

/* ---- typed access ------------------------------------------------- */

static void path_join(char *buf, size_t len, const char *parent,
		      const char *key)
{
	if (parent[0] == '\0')
		snprintf(buf, len, "%s", key);
	else
		snprintf(buf, len, "%s.%s", parent, key);
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

/* Member key of obj, or NULL. A missing required key is reported at the
 * object's opening brace. */
static json_t *member(vctx *c, json_t *obj, const char *parent,
		      const char *key, int required)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL && required) {
		if (parent[0] == '\0')
			verr(c, parent, 0, "missing required key \"%s\"", key);
		else
			verr(c, parent, 0, "missing required key \"%s\" in %s",
			     key, parent);
	}
	return v;
}

static json_t *get_object(vctx *c, json_t *obj, const char *parent,
			  const char *key, int required)
{
	char p[JSON_LOCATE_PATH_MAX];
	json_t *v = member(c, obj, parent, key, required);

	if (v == NULL)
		return NULL;
	if (!json_is_object(v)) {
		path_join(p, sizeof(p), parent, key);
		verr(c, p, 0, "%s must be an object, got %s", p, json_kind(v));
		return NULL;
	}
	return v;
}

/* 1 with *out set, 0 absent (or null where nullable), -1 reported. */
static int get_string(vctx *c, json_t *obj, const char *parent,
		      const char *key, int required, int nullable,
		      size_t maxlen, const char **out)
{
	char p[JSON_LOCATE_PATH_MAX];
	json_t *v = member(c, obj, parent, key, required);
	const char *s;
	size_t len;

	if (v == NULL)
		return required ? -1 : 0;
	path_join(p, sizeof(p), parent, key);
	if (json_is_null(v) && nullable && !required)
		return 0;
	if (!json_is_string(v)) {
		verr(c, p, 0, "%s must be a string, got %s", p, json_kind(v));
		return -1;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0) {
		verr(c, p, 0, "%s must not be empty", p);
		return -1;
	}
	if (len > maxlen) {
		verr(c, p, 0, "%s is %zu bytes long; at most %zu allowed", p,
		     len, maxlen);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			verr(c, p, 0, "%s contains a control character", p);
			return -1;
		}
	}
	*out = s;
	return 1;
}

/* Integers: JSON integers, or reals with an integral value (1e6). */
static int get_int(vctx *c, json_t *obj, const char *parent, const char *key,
		   int required, long long lo, long long hi, long long *out)
{
	char p[JSON_LOCATE_PATH_MAX];
	json_t *v = member(c, obj, parent, key, required);
	long long x;

	if (v == NULL)
		return required ? -1 : 0;
	path_join(p, sizeof(p), parent, key);
	if (json_is_integer(v)) {
		x = (long long)json_integer_value(v);
	} else if (json_is_real(v) && floor(json_real_value(v)) ==
		   json_real_value(v) && fabs(json_real_value(v)) < 9e15) {
		x = (long long)json_real_value(v);
	} else {
		if (json_is_real(v))
			verr(c, p, 0, "%s must be a whole number, got %g", p,
			     json_real_value(v));
		else
			verr(c, p, 0, "%s must be an integer, got %s", p,
			     json_kind(v));
		return -1;
	}
	if (x < lo || x > hi) {
		verr(c, p, 0, "%s must be an integer from %lld to %lld, got %lld",
		     p, lo, hi, x);
		return -1;
	}
	*out = x;
	return 1;
}

typedef struct num_range {
	double lo, hi;
	int lo_open, hi_open;
} num_range;

static int get_number(vctx *c, json_t *obj, const char *parent,
		      const char *key, int required, num_range r, double *out)
{
	char p[JSON_LOCATE_PATH_MAX];
	json_t *v = member(c, obj, parent, key, required);
	double x;

	if (v == NULL)
		return required ? -1 : 0;
	path_join(p, sizeof(p), parent, key);
	if (!json_is_number(v)) {
		verr(c, p, 0, "%s must be a number, got %s", p, json_kind(v));
		return -1;
	}
	x = json_number_value(v);
	if (!isfinite(x) || (r.lo_open ? x <= r.lo : x < r.lo) ||
	    (r.hi_open ? x >= r.hi : x > r.hi)) {
		if (isinf(r.hi))
			verr(c, p, 0, "%s must be %s %g, got %g", p,
			     r.lo_open ? ">" : ">=", r.lo, x);
		else
			verr(c, p, 0, "%s must be in %c%g, %g%c, got %g", p,
			     r.lo_open ? '(' : '[', r.lo, r.hi,
			     r.hi_open ? ')' : ']', x);
		return -1;
	}
	*out = x;
	return 1;
}

static int get_bool(vctx *c, json_t *obj, const char *parent,
		    const char *key, int *out)
{
	char p[JSON_LOCATE_PATH_MAX];
	json_t *v = member(c, obj, parent, key, 0);

	if (v == NULL)
		return 0;
	path_join(p, sizeof(p), parent, key);
	if (!json_is_boolean(v)) {
		verr(c, p, 0, "%s must be true or false, got %s", p,
		     json_kind(v));
		return -1;
	}
	*out = json_is_true(v);
	return 1;
}

/* Reports every key of obj not in allowed, suggesting a near miss. */
static void check_keys(vctx *c, json_t *obj, const char *parent,
		       const char *const *allowed, size_t n)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char p[JSON_LOCATE_PATH_MAX];
		const char *hint;
		size_t i;

		for (i = 0; i < n; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (i < n)
			continue;
		path_join(p, sizeof(p), parent, key);
		hint = policy_suggest(key, allowed, n);
		if (hint != NULL)
			verr(c, p, 1, "unknown key \"%s\" in %s; did you mean \"%s\"?",
			     key, parent[0] ? parent : "the policy", hint);
		else
			verr(c, p, 1, "unknown key \"%s\" in %s", key,
			     parent[0] ? parent : "the policy");
	}
}

#define KEYS_N(a) (sizeof(a) / sizeof((a)[0]))

static int dup_str(vctx *c, const char *s, char **out)
{
	*out = strdup(s);
	if (*out == NULL)
		c->nomem = 1;
	return *out == NULL ? -1 : 0;
}

/* Letters, digits, '.', '_', '-' only: model names go into keys, file
 * names and audit records. */
static int is_name_chars(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
			return 0;
	return 1;
}

/* ---- sections ----------------------------------------------------- */

static void load_reference(vctx *c, json_t *root, const char *dir, policy *p)
{
	static const char *const keys[] = {"path", "label_column",
					   "exclude_columns"};
	json_t *ref = get_object(c, root, "", "reference", 1), *ex;
	const char *s;

	if (ref == NULL)
		return;
	check_keys(c, ref, "reference", keys, KEYS_N(keys));
	if (get_string(c, ref, "reference", "path", 1, 0, 4096, &s) == 1) {
		size_t need = strlen(dir) + strlen(s) + 2;

		if (s[0] == '/' || dir[0] == '\0') {
			dup_str(c, s, &p->reference_path);
		} else if ((p->reference_path = malloc(need)) == NULL) {
			c->nomem = 1;
		} else {
			snprintf(p->reference_path, need, "%s/%s", dir, s);
		}
	}
	if (get_string(c, ref, "reference", "label_column", 0, 1,
		       POLICY_NAME_MAX, &s) == 1)
		dup_str(c, s, &p->label_column);
	ex = member(c, ref, "reference", "exclude_columns", 0);
	if (ex == NULL)
		return;
	if (!json_is_array(ex)) {
		verr(c, "reference.exclude_columns", 0,
		     "reference.exclude_columns must be an array of column names, got %s",
		     json_kind(ex));
		return;
	}
	if (json_array_size(ex) > POLICY_MAX_FEATURES) {
		verr(c, "reference.exclude_columns", 0,
		     "reference.exclude_columns has %zu entries; at most %d allowed",
		     json_array_size(ex), POLICY_MAX_FEATURES);
		return;
	}
	p->exclude_columns = calloc(json_array_size(ex) + 1, sizeof(char *));
	if (p->exclude_columns == NULL) {
		c->nomem = 1;
		return;
	}
	for (size_t i = 0; i < json_array_size(ex); i++) {
		char path[64];
		json_t *v = json_array_get(ex, i);

		snprintf(path, sizeof(path), "reference.exclude_columns[%zu]", i);
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > POLICY_NAME_MAX) {
			verr(c, path, 0, "%s must be a column name (a string of 1 to %d bytes)",
			     path, POLICY_NAME_MAX);
			continue;
		}
		for (size_t j = 0; j < p->n_exclude; j++)
			if (strcmp(p->exclude_columns[j], json_string_value(v)) == 0)
				verr(c, path, 0, "column \"%s\" is excluded twice",
				     json_string_value(v));
		if (dup_str(c, json_string_value(v),
			    &p->exclude_columns[p->n_exclude]) == 0)
			p->n_exclude++;
	}
}

static void load_features(vctx *c, json_t *root, policy *p)
{
	static const char *const types[] = {"numeric", "categorical"};
	json_t *f = get_object(c, root, "", "features", 0), *v;
	const char *key;

	if (f == NULL)
		return;
	if (json_object_size(f) > POLICY_MAX_FEATURES) {
		verr(c, "features", 0, "features declares %zu features; at most %d allowed",
		     json_object_size(f), POLICY_MAX_FEATURES);
		return;
	}
	p->features = calloc(json_object_size(f) + 1, sizeof(*p->features));
	if (p->features == NULL) {
		c->nomem = 1;
		return;
	}
	json_object_foreach(f, key, v) {
		char path[JSON_LOCATE_PATH_MAX];
		const char *t, *hint;
		policy_feature *pf;

		path_join(path, sizeof(path), "features", key);
		if (key[0] == '\0' || strlen(key) > POLICY_NAME_MAX) {
			verr(c, path, 1, "feature names must be 1 to %d bytes",
			     POLICY_NAME_MAX);
			continue;
		}
		if (!json_is_string(v)) {
			verr(c, path, 0, "feature \"%s\" must be \"numeric\" or \"categorical\", got %s",
			     key, json_kind(v));
			continue;
		}
		t = json_string_value(v);
		if (strcmp(t, "numeric") != 0 && strcmp(t, "categorical") != 0) {
			hint = policy_suggest(t, types, KEYS_N(types));
			verr(c, path, 0, "feature \"%s\" has type \"%s\"; use \"numeric\" or \"categorical\"%s%s%s",
			     key, t, hint ? " (did you mean \"" : "",
			     hint ? hint : "", hint ? "\"?)" : "");
			continue;
		}
		for (size_t j = 0; j < p->n_exclude; j++)
			if (strcmp(p->exclude_columns[j], key) == 0)
				verr(c, path, 1, "feature \"%s\" is also in reference.exclude_columns",
				     key);
		if (p->label_column != NULL && strcmp(p->label_column, key) == 0)
			verr(c, path, 1, "feature \"%s\" is the label column; the label is not a feature",
			     key);
		pf = &p->features[p->n_features];
		pf->type = strcmp(t, "numeric") == 0 ? POLICY_FEATURE_NUMERIC
						     : POLICY_FEATURE_CATEGORICAL;
		if (dup_str(c, key, &pf->name) == 0)
			p->n_features++;
	}
}

static void load_prediction(vctx *c, json_t *root, policy *p)
{
	static const char *const keys[] = {"task", "score_field", "threshold"};
	static const char *const tasks[] = {"binary_classification",
					    "regression"};
	json_t *o = get_object(c, root, "", "prediction", 0);
	const char *s;
	int have_thr;

	if (o == NULL)
		return;
	check_keys(c, o, "prediction", keys, KEYS_N(keys));
	if (get_string(c, o, "prediction", "task", 0, 0, 64, &s) == 1 &&
	    policy_task_from_name(s, &p->task) != 0) {
		const char *hint = policy_suggest(s, tasks, KEYS_N(tasks));

		c->task_bad = 1;
		verr(c, "prediction.task", 0,
		     "prediction.task \"%s\" is not binary_classification or regression%s%s%s",
		     s, hint ? "; did you mean \"" : "", hint ? hint : "",
		     hint ? "\"?" : "");
	}
	if (get_string(c, o, "prediction", "score_field", 0, 0, POLICY_NAME_MAX,
		       &s) == 1) {
		free(p->score_field);
		p->score_field = NULL;
		dup_str(c, s, &p->score_field);
	}
	have_thr = get_number(c, o, "prediction", "threshold", 0,
			      (num_range){0, 1, 0, 0}, &p->score_threshold);
	if (have_thr != 0 && p->task == POLICY_TASK_REGRESSION)
		verr(c, "prediction.threshold", 1,
		     "prediction.threshold applies only to binary_classification; this policy's task is regression");
}

static void load_window(vctx *c, json_t *root, policy *p)
{
	static const char *const keys[] = {"records", "span_seconds"};
	json_t *o = get_object(c, root, "", "window", 1);
	long long x;
	int have_r, have_s;

	if (o == NULL)
		return;
	check_keys(c, o, "window", keys, KEYS_N(keys));
	have_r = get_int(c, o, "window", "records", 0, 1,
			 POLICY_MAX_WINDOW_RECORDS, &x);
	if (have_r == 1)
		p->window_records = (uint64_t)x;
	have_s = get_int(c, o, "window", "span_seconds", 0, 1,
			 POLICY_MAX_SECONDS, &x);
	if (have_s == 1)
		p->window_span_ms = x * 1000;
	if (have_r == 0 && have_s == 0)
		verr(c, "window", 0,
		     "window needs \"records\", \"span_seconds\" or both");
}

static void load_drift(vctx *c, json_t *root, policy *p)
{
	static const char *const keys[] = {"psi_bins", "psi_threshold",
		"ks_p_value", "ks_min_statistic", "ks_method", "dataset_drift_share"};
	static const char *const methods[] = {"auto", "asymp"};
	json_t *o = get_object(c, root, "", "drift", 0);
	const char *s;
	long long x;

	if (o == NULL)
		return;
	check_keys(c, o, "drift", keys, KEYS_N(keys));
	if (get_int(c, o, "drift", "psi_bins", 0, 2, 1000, &x) == 1)
		p->psi_bins = (unsigned)x;
	get_number(c, o, "drift", "psi_threshold", 0, (num_range){0, 10, 1, 0},
		   &p->psi_threshold);
	get_number(c, o, "drift", "ks_p_value", 0, (num_range){0, 1, 1, 1},
		   &p->ks_p_value);
	get_number(c, o, "drift", "ks_min_statistic", 0,
		   (num_range){0, 1, 0, 0}, &p->ks_min_statistic);
	get_number(c, o, "drift", "dataset_drift_share", 0,
		   (num_range){0, 1, 1, 0}, &p->dataset_drift_share);
	if (get_string(c, o, "drift", "ks_method", 0, 0, 16, &s) == 1) {
		if (strcmp(s, "auto") == 0 || strcmp(s, "asymp") == 0) {
			p->ks_asymptotic = strcmp(s, "asymp") == 0;
		} else {
			const char *hint = policy_suggest(s, methods, KEYS_N(methods));

			verr(c, "drift.ks_method", 0,
			     "drift.ks_method \"%s\" is not auto or asymp%s%s%s", s,
			     hint ? "; did you mean \"" : "", hint ? hint : "",
			     hint ? "\"?" : "");
		}
	}
}

static void load_kpi(vctx *c, json_t *k, size_t i, policy *p,
		     size_t *seen_at)
{
	static const char *const keys[] = {"metric", "min", "max"};
	char path[48], mpath[64];
	json_t *vmin, *vmax;
	const char *s, *bound;
	kpi_metric m;
	policy_kpi *pk;
	double thr;
	int hib;

	snprintf(path, sizeof(path), "kpis[%zu]", i);
	snprintf(mpath, sizeof(mpath), "kpis[%zu].metric", i);
	if (!json_is_object(k)) {
		verr(c, path, 0, "%s must be an object like {\"metric\": \"auc\", \"min\": 0.75}, got %s",
		     path, json_kind(k));
		return;
	}
	check_keys(c, k, path, keys, KEYS_N(keys));
	vmin = json_object_get(k, "min");
	vmax = json_object_get(k, "max");
	if (get_string(c, k, path, "metric", 1, 0, 64, &s) != 1)
		return;
	if (kpi_metric_from_name(s, &m) != 0) {
		const char *hint = policy_suggest(s, (const char *const[]){
			"accuracy", "precision", "recall", "f1", "auc", "rmse",
			"mae"}, KPI__COUNT);

		if (hint != NULL)
			verr(c, mpath, 0, "unknown KPI metric \"%s\"; did you mean \"%s\"?",
			     s, hint);
		else
			verr(c, mpath, 0, "unknown KPI metric \"%s\"; use accuracy, precision, recall, f1, auc, rmse or mae",
			     s);
		return;
	}
	hib = kpi_metric_higher_is_better(m);
	if (hib && p->task == POLICY_TASK_REGRESSION && !c->task_bad)
		verr(c, mpath, 0, "%s is a classification metric but prediction.task is regression; use rmse or mae",
		     s);
	if (!hib && p->task == POLICY_TASK_BINARY && !c->task_bad)
		verr(c, mpath, 0, "%s is a regression metric but prediction.task is binary_classification",
		     s);
	if (seen_at[m] != 0) {
		verr(c, mpath, 0, "KPI %s is listed twice (first at kpis[%zu])",
		     s, seen_at[m] - 1);
		return;
	}
	seen_at[m] = i + 1;
	if (vmin != NULL && vmax != NULL) {
		char mx[64];

		snprintf(mx, sizeof(mx), "%s.max", path);
		verr(c, mx, 1, "%s has both \"min\" and \"max\"; give exactly one (%s: \"%s\")",
		     path, s, hib ? "min" : "max");
		return;
	}
	if (vmin == NULL && vmax == NULL) {
		verr(c, path, 0, "%s needs a threshold: \"%s\" for %s", path,
		     hib ? "min" : "max", s);
		return;
	}
	bound = vmin != NULL ? "min" : "max";
	if ((vmax != NULL) == hib) {
		char bp[64];

		snprintf(bp, sizeof(bp), "%s.%s", path, bound);
		if (hib)
			verr(c, bp, 1, "%s is higher-is-better: use \"min\" (retraining is considered when %s falls below it)",
			     s, s);
		else
			verr(c, bp, 1, "%s is lower-is-better: use \"max\" (retraining is considered when %s rises above it)",
			     s, s);
		return;
	}
	if (get_number(c, k, path, bound, 1,
		       hib ? (num_range){0, 1, 0, 0}
			   : (num_range){0, INFINITY, 0, 1}, &thr) != 1)
		return;
	if (p->n_kpis >= POLICY_MAX_KPIS)
		return;
	pk = &p->kpis[p->n_kpis++];
	pk->metric = m;
	pk->is_max = !hib;
	pk->threshold = thr;
}

static void load_kpis(vctx *c, json_t *root, policy *p)
{
	size_t seen_at[KPI__COUNT] = {0};
	json_t *a = member(c, root, "", "kpis", 1);

	if (a == NULL)
		return;
	if (!json_is_array(a)) {
		verr(c, "kpis", 0, "kpis must be an array of {\"metric\": ..., \"min\"|\"max\": ...}, got %s",
		     json_kind(a));
		return;
	}
	if (json_array_size(a) == 0) {
		verr(c, "kpis", 0, "kpis needs at least one KPI: retraining is decided by KPIs");
		return;
	}
	if (json_array_size(a) > POLICY_MAX_KPIS) {
		verr(c, "kpis", 0, "kpis has %zu entries; at most %d allowed",
		     json_array_size(a), POLICY_MAX_KPIS);
		return;
	}
	for (size_t i = 0; i < json_array_size(a); i++)
		load_kpi(c, json_array_get(a, i), i, p, seen_at);
}

static void load_guards(vctx *c, json_t *root, policy *p)
{
	static const char *const keys[] = {"min_records", "min_labelled",
		"consecutive_windows", "cooldown_seconds", "max_retrains",
		"budget_period_seconds"};
	json_t *o = get_object(c, root, "", "guards", 0);
	long long x;

	if (o == NULL)
		return;
	check_keys(c, o, "guards", keys, KEYS_N(keys));
	if (get_int(c, o, "guards", "min_records", 0, 0,
		    POLICY_MAX_WINDOW_RECORDS, &x) == 1) {
		p->min_records = (uint64_t)x;
		if (p->window_records && p->min_records > p->window_records)
			verr(c, "guards.min_records", 0,
			     "guards.min_records %llu is larger than window.records %llu: no window would ever qualify",
			     x, (unsigned long long)p->window_records);
	}
	if (get_int(c, o, "guards", "min_labelled", 0, 0,
		    POLICY_MAX_WINDOW_RECORDS, &x) == 1) {
		p->min_labelled = (uint64_t)x;
		if (p->window_records && p->min_labelled > p->window_records)
			verr(c, "guards.min_labelled", 0,
			     "guards.min_labelled %llu is larger than window.records %llu: no window would ever qualify",
			     x, (unsigned long long)p->window_records);
	}
	if (get_int(c, o, "guards", "consecutive_windows", 0, 1, 1000, &x) == 1)
		p->consecutive_windows = (unsigned)x;
	if (get_int(c, o, "guards", "cooldown_seconds", 0, 0,
		    POLICY_MAX_SECONDS, &x) == 1)
		p->cooldown_ms = x * 1000;
	if (get_int(c, o, "guards", "max_retrains", 0, 0,
		    POLICY_MAX_RETRAIN_HISTORY, &x) == 1)
		p->max_retrains = (unsigned)x;
	if (get_int(c, o, "guards", "budget_period_seconds", 0, 1,
		    POLICY_MAX_SECONDS, &x) == 1)
		p->budget_period_ms = x * 1000;
}

/* Every "{name}" in a parameter value must be a known placeholder. */
static void check_placeholders(vctx *c, const char *path, const char *v)
{
	for (const char *q = strchr(v, '{'); q != NULL; q = strchr(q + 1, '{')) {
		const char *e = q + 1;
		char name[64];
		size_t len, i;

		while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') ||
		       (*e >= '0' && *e <= '9') || *e == '_')
			e++;
		len = (size_t)(e - q - 1);
		if (*e != '}' || len == 0)
			continue; /* not a placeholder: a literal brace */
		if (len >= sizeof(name)) {
			verr(c, path, 0, "unknown placeholder in %s", path);
			continue;
		}
		memcpy(name, q + 1, len);
		name[len] = '\0';
		for (i = 0; i < policy_n_placeholders; i++)
			if (strcmp(name, policy_placeholders[i]) == 0)
				break;
		if (i < policy_n_placeholders)
			continue;
		{
			const char *hint = policy_suggest(name, policy_placeholders,
							  policy_n_placeholders);

			if (hint != NULL)
				verr(c, path, 0, "unknown placeholder {%s} in %s; did you mean {%s}?",
				     name, path, hint);
			else
				verr(c, path, 0, "unknown placeholder {%s} in %s; known: {model} {window} {drifted_features} {kpis} {idempotency_key}",
				     name, path);
		}
	}
}

static void load_params(vctx *c, json_t *o, policy *p)
{
	json_t *ps = member(c, o, "action", "parameters", 0), *v;
	const char *key;

	if (ps == NULL || json_is_null(ps))
		return;
	if (!json_is_object(ps)) {
		verr(c, "action.parameters", 0,
		     "action.parameters must be an object of name: \"string\", got %s",
		     json_kind(ps));
		return;
	}
	if (json_object_size(ps) > POLICY_MAX_PARAMS) {
		verr(c, "action.parameters", 0,
		     "action.parameters has %zu entries; at most %d allowed",
		     json_object_size(ps), POLICY_MAX_PARAMS);
		return;
	}
	json_object_foreach(ps, key, v) {
		char path[JSON_LOCATE_PATH_MAX];
		policy_param *pp;

		path_join(path, sizeof(path), "action.parameters", key);
		if (key[0] == '\0' || strlen(key) > 256 ||
		    !is_name_chars(key, "_-")) {
			verr(c, path, 1, "parameter name \"%s\" must be 1 to 256 letters, digits, '_' or '-'",
			     key);
			continue;
		}
		if (!json_is_string(v)) {
			verr(c, path, 0, "%s must be a string, got %s (write numbers as \"1\")",
			     path, json_kind(v));
			continue;
		}
		if (json_string_length(v) > POLICY_PARAM_VALUE_MAX) {
			verr(c, path, 0, "%s is longer than %d bytes", path,
			     POLICY_PARAM_VALUE_MAX);
			continue;
		}
		check_placeholders(c, path, json_string_value(v));
		pp = &p->params[p->n_params];
		if (dup_str(c, key, &pp->name) != 0)
			continue;
		if (dup_str(c, json_string_value(v), &pp->value) != 0) {
			free(pp->name);
			pp->name = NULL;
			continue;
		}
		p->n_params++;
	}
}

static void load_action(vctx *c, json_t *root, policy *p)
{
	static const char *const keys[] = {"type", "pipeline_name",
		"state_machine_arn", "region", "parameters"};
	static const char *const types[] = {"dry_run", "sagemaker_pipeline",
					    "step_functions"};
	json_t *o = get_object(c, root, "", "action", 1);
	const char *s, *why = NULL;
	char arn_region[64] = "";
	int have_type;

	if (o == NULL)
		return;
	check_keys(c, o, "action", keys, KEYS_N(keys));
	have_type = get_string(c, o, "action", "type", 1, 0, 64, &s);
	if (have_type == 1 && policy_action_from_name(s, &p->action) != 0) {
		const char *hint = policy_suggest(s, types, KEYS_N(types));

		verr(c, "action.type", 0,
		     "action.type \"%s\" is not dry_run, sagemaker_pipeline or step_functions%s%s%s",
		     s, hint ? "; did you mean \"" : "", hint ? hint : "",
		     hint ? "\"?" : "");
		have_type = -1;
	}
	if (get_string(c, o, "action", "pipeline_name", 0, 1, 256, &s) == 1) {
		if (!aws_names_is_pipeline_name(s))
			verr(c, "action.pipeline_name", 0,
			     "action.pipeline_name \"%s\" is not a SageMaker pipeline name (letters, digits and inner '-', at most 256)",
			     s);
		else
			dup_str(c, s, &p->pipeline_name);
	} else if (have_type == 1 && p->action == POLICY_ACTION_SAGEMAKER_PIPELINE) {
		verr(c, "action", 0,
		     "action.type sagemaker_pipeline needs \"pipeline_name\"");
	}
	if (get_string(c, o, "action", "state_machine_arn", 0, 1, 2048, &s) == 1) {
		if (aws_names_check_sfn_arn(s, arn_region, sizeof(arn_region), &why) != 0)
			verr(c, "action.state_machine_arn", 0,
			     "action.state_machine_arn is not a Step Functions state machine ARN: %s",
			     why);
		else
			dup_str(c, s, &p->state_machine_arn);
	} else if (have_type == 1 && p->action == POLICY_ACTION_STEP_FUNCTIONS) {
		verr(c, "action", 0,
		     "action.type step_functions needs \"state_machine_arn\"");
	}
	if (get_string(c, o, "action", "region", 0, 1, 32, &s) == 1) {
		if (!aws_names_is_region(s))
			verr(c, "action.region", 0,
			     "action.region \"%s\" is not an AWS region like us-east-1",
			     s);
		else if (arn_region[0] != '\0' && strcmp(arn_region, s) != 0)
			verr(c, "action.region", 0,
			     "action.region is %s but the state machine is in %s",
			     s, arn_region);
		else
			dup_str(c, s, &p->action_region);
	}
	load_params(c, o, p);
}

static void load_energy(vctx *c, json_t *root, policy *p)
{
	static const char *const keys[] = {"instance_type", "instance_count",
					   "expected_hours", "region"};
	json_t *o = get_object(c, root, "", "energy", 1);
	const char *s;
	long long x;
	kpg_err e;

	if (o == NULL)
		return;
	check_keys(c, o, "energy", keys, KEYS_N(keys));
	if (get_string(c, o, "energy", "instance_type", 1, 0,
		       sizeof(p->energy.instance_type) - 1, &s) == 1) {
		kpg_err_clear(&e);
		if (energy_check_instance(s, &e) != 0)
			verr(c, "energy.instance_type", 0,
			     "energy.instance_type: %s",
			     e.msg[0] ? e.msg : "unknown instance type");
		else
			snprintf(p->energy.instance_type,
				 sizeof(p->energy.instance_type), "%s", s);
	}
	if (get_int(c, o, "energy", "instance_count", 1, 1, 1000, &x) == 1)
		p->energy.instance_count = (unsigned)x;
	get_number(c, o, "energy", "expected_hours", 1,
		   (num_range){0, 720, 1, 0}, &p->energy.expected_hours);
	if (get_string(c, o, "energy", "region", 1, 0,
		       sizeof(p->energy.region) - 1, &s) == 1) {
		kpg_err_clear(&e);
		if (energy_check_region(s, &e) != 0)
			verr(c, "energy.region", 0, "energy.region: %s",
			     e.msg[0] ? e.msg : "unknown region");
		else
			snprintf(p->energy.region, sizeof(p->energy.region),
				 "%s", s);
	}
}

static void load_root(vctx *c, json_t *root, const char *dir, policy *p)
{
	static const char *const keys[] = {"$schema", "description", "version",
		"model", "endpoint", "reference", "features", "prediction",
		"window", "drift", "kpis", "decision", "guards", "action",
		"energy"};
	static const char *const dkeys[] = {"require_drift"};
	json_t *o;
	const char *s;
	long long x;

	check_keys(c, root, "", keys, KEYS_N(keys));
	get_string(c, root, "", "$schema", 0, 1, 4096, &s);
	get_string(c, root, "", "description", 0, 1, 4096, &s);
	if (get_int(c, root, "", "version", 0, LLONG_MIN, LLONG_MAX, &x) == 1 &&
	    x != 1)
		verr(c, "version", 0,
		     "version must be 1 (the only policy format so far), got %lld",
		     x);
	if (get_string(c, root, "", "model", 1, 0, 128, &s) == 1) {
		if (!is_name_chars(s, "._-"))
			verr(c, "model", 0,
			     "model \"%s\" may hold only letters, digits, '.', '_' and '-'",
			     s);
		else
			dup_str(c, s, &p->model);
	}
	if (get_string(c, root, "", "endpoint", 0, 1, 256, &s) == 1)
		dup_str(c, s, &p->endpoint);
	load_reference(c, root, dir, p);
	load_features(c, root, p);
	load_prediction(c, root, p);  /* before kpis: they depend on the task */
	load_window(c, root, p);
	load_drift(c, root, p);
	load_kpis(c, root, p);
	o = get_object(c, root, "", "decision", 0);
	if (o != NULL) {
		check_keys(c, o, "decision", dkeys, KEYS_N(dkeys));
		get_bool(c, o, "decision", "require_drift", &p->require_drift);
	}
	load_guards(c, root, p);      /* after window: cross-checks */
	load_action(c, root, p);
	load_energy(c, root, p);
}

/* ---- file --------------------------------------------------------- */


static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (slash == NULL)
		return strdup("");
	if (slash == path)
		return strdup("/");
	d = strndup(path, (size_t)(slash - path));
	return d;
}

static void policy_defaults(policy *p)
{
	p->task = POLICY_TASK_BINARY;
	p->score_threshold = 0.5;
	p->psi_bins = 10;
	p->psi_threshold = 0.2;
	p->ks_p_value = 0.01;
	p->ks_min_statistic = 0.1;
	p->dataset_drift_share = 0.3;
	p->min_records = 100;
	p->min_labelled = 100;
	p->consecutive_windows = 1;
	p->cooldown_ms = 0;
	p->max_retrains = 0;
	p->budget_period_ms = 30LL * 86400 * 1000;
	p->action = POLICY_ACTION_DRY_RUN;
}

int policy_load(const char *path, policy **out, policy_diags *diags,
		kpg_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = kpg_read_file(path, POLICY_FILE_MAX, "policy file", &text, &len, err);
	if (rc == KPG_ETOOBIG) {
		vctx c;

		memset(&c, 0, sizeof(c));
		c.d = diags;
		c.base = diags->n;
		diag_at(&c, 0, 0, "%s", err->msg);
		kpg_err_set(err, "%s: 1 error", path);
		return KPG_EINVAL;
	}
	if (rc)
		return rc;
	rc = policy_load_buffer(path, text, len, out, diags, err);
	free(text);
	return rc;
}

int policy_load_buffer(const char *path, const char *text, size_t len,
		       policy **out, policy_diags *diags, kpg_err *err)
{
	char *dir = NULL;
	json_t *root = NULL;
	json_locate *loc = NULL;
	json_error_t jerr;
	policy *p = NULL;
	vctx c;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.d = diags;
	c.base = diags->n;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		goto nomem;
	policy_defaults(p);
	if ((p->source_path = strdup(path)) == NULL ||
	    (p->score_field = strdup("score")) == NULL ||
	    (dir = dir_of(path)) == NULL)
		goto nomem;
	if (EVP_Digest(text, len, p->sha256, NULL, EVP_sha256(), NULL) != 1) {
		kpg_err_set(err, "%s: SHA-256 failed", path);
		rc = KPG_EIO;
		goto out;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* a syntax error: jansson's position, and nothing more */
		diag_at(&c, jerr.line > 0 ? jerr.line : 0,
			jerr.column > 0 ? jerr.column : 0, "%s", jerr.text);
		rc = KPG_EINVAL;
		goto out;
	}
	rc = json_locate_build(text, len, &loc, err);
	if (rc == KPG_ENOMEM)
		goto out;
	if (rc) {
		diag_at(&c, 0, 0, "%s", err->msg);
		rc = KPG_EINVAL;
		goto out;
	}
	c.loc = loc;
	if (!json_is_object(root)) {
		verr(&c, "", 0, "a policy file is one JSON object, got %s",
		     json_kind(root));
		rc = KPG_EINVAL;
		goto out;
	}
	load_root(&c, root, dir, p);
	if (c.nomem)
		goto nomem;
	if (c.n_errors == 0) {
		*out = p;
		p = NULL;
		rc = 0;
	} else {
		rc = KPG_EINVAL;
	}
out:
	if (c.n_errors > 0) {
		size_t kept = diags->n - c.base;

		if (kept > 1)
			qsort(diags->items + c.base, kept,
			      sizeof(*diags->items), diag_cmp);
		if (c.n_errors > kept && kept > 0) {
			policy_diag *last = &diags->items[diags->n - 1];

			last->line = last->column = 0;
			snprintf(last->message, sizeof(last->message),
				 "... and %zu more errors",
				 c.n_errors - kept + 1);
		}
		kpg_err_set(err, "%s: %zu error%s", path, c.n_errors,
			    c.n_errors == 1 ? "" : "s");
		rc = KPG_EINVAL;
	}
	policy_free(p);
	json_locate_free(loc);
	json_decref(root);
	free(dir);
	return rc;
nomem:
	kpg_err_set(err, "%s: out of memory", path);
	rc = KPG_ENOMEM;
	c.n_errors = 0;
	goto out;
}

void policy_free(policy *p)
{
	if (p == NULL)
		return;
	free(p->source_path);
	free(p->model);
	free(p->endpoint);
	free(p->reference_path);
	free(p->label_column);
	for (size_t i = 0; i < p->n_exclude; i++)
		free(p->exclude_columns[i]);
	free(p->exclude_columns);
	for (size_t i = 0; i < p->n_features; i++)
		free(p->features[i].name);
	free(p->features);
	free(p->score_field);
	free(p->pipeline_name);
	free(p->state_machine_arn);
	free(p->action_region);
	for (size_t i = 0; i < p->n_params; i++) {
		free(p->params[i].name);
		free(p->params[i].value);
	}
	free(p);
}

void policy_diags_free(policy_diags *d)
{
	if (d != NULL)
		kpg_diags_free(d);
}
