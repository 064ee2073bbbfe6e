/* policy_lists.c - a policy's lists, entry by entry (policy_lists.h). */
#include "policy_lists.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpg_suggest.h"

const kpg_jsonv_key *policy_lists_row(const kpg_jsonv *v, const char *path)
{
	return kpg_jsonv_key_find(v->keys, v->n_keys, path);
}

int policy_lists_dup(kpg_jsonv *v, const char *s, char **out)
{
	*out = strdup(s);
	if (*out == NULL)
		v->nomem = 1;
	return *out == NULL ? -1 : 0;
}

static void load_excludes(kpg_jsonv *v, json_t *ex, policy *p)
{
	size_t name_max = policy_lists_row(v, "reference.exclude_columns[]")->max_len;

	if (kpg_jsonv_entries(v, policy_lists_row(v, "reference.exclude_columns"), ex,
			      "an array of column names") < 0)
		return;
	p->exclude_columns = calloc(json_array_size(ex) + 1, sizeof(char *));
	if (p->exclude_columns == NULL) {
		v->nomem = 1;
		return;
	}
	for (size_t i = 0; i < json_array_size(ex); i++) {
		char path[64];
		json_t *e = json_array_get(ex, i);

		snprintf(path, sizeof(path), "reference.exclude_columns[%zu]", i);
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > name_max) {
			kpg_jsonv_error(v, path, 0, "%s must be a column name (a string of 1 to %zu bytes)",
					path, name_max);
			continue;
		}
		for (size_t j = 0; j < p->n_exclude; j++)
			if (strcmp(p->exclude_columns[j], json_string_value(e)) == 0)
				kpg_jsonv_error(v, path, 0, "column \"%s\" is excluded twice",
						json_string_value(e));
		if (policy_lists_dup(v, json_string_value(e),
				     &p->exclude_columns[p->n_exclude]) == 0)
			p->n_exclude++;
	}
}

static void load_features(kpg_jsonv *v, json_t *f, policy *p)
{
	const kpg_jsonv_key *map = policy_lists_row(v, "features"), *k = policy_lists_row(v, "features.NAME");
	/* a feature is a column: names as long as a column name may be */
	size_t name_max = policy_lists_row(v, "reference.exclude_columns[]")->max_len;
	const char *key;
	json_t *t;

	if (!json_is_object(f)) {
		kpg_jsonv_error(v, "features", 0, "features must be an object, got %s",
				kpg_jsonv_kind(f));
		return;
	}
	if (json_object_size(f) > map->max_len) {
		kpg_jsonv_error(v, "features", 0, "features declares %zu features; at most %zu allowed",
				json_object_size(f), map->max_len);
		return;
	}
	p->features = calloc(json_object_size(f) + 1, sizeof(*p->features));
	if (p->features == NULL) {
		v->nomem = 1;
		return;
	}
	json_object_foreach(f, key, t) {
		char path[JSON_LOCATE_PATH_MAX];
		const char *s, *hint;
		policy_feature *pf;
		int type;

		snprintf(path, sizeof(path), "features.%s", key);
		if (key[0] == '\0' || strlen(key) > name_max) {
			kpg_jsonv_error(v, path, 1, "feature names must be 1 to %zu bytes",
					name_max);
			continue;
		}
		if (!json_is_string(t)) {
			kpg_jsonv_error(v, path, 0, "feature \"%s\" must be \"numeric\", \"categorical\" or \"ignore\", got %s",
					key, kpg_jsonv_kind(t));
			continue;
		}
		s = json_string_value(t);
		type = kpg_jsonv_choice(k->choices, s);
		if (type < 0) {
			size_t n_types = 0;

			while (k->choices[n_types] != NULL)
				n_types++;
			hint = kpg_suggest(s, k->choices, n_types);
			kpg_jsonv_error(v, path, 0, "feature \"%s\" has type \"%s\"; use \"numeric\", \"categorical\" or \"ignore\"%s%s%s",
					key, s, hint ? " (did you mean \"" : "",
					hint ? hint : "", hint ? "\"?)" : "");
			continue;
		}
		for (size_t j = 0; j < p->n_exclude; j++)
			if (strcmp(p->exclude_columns[j], key) == 0)
				kpg_jsonv_error(v, path, 1, type == 2 ? "feature \"%s\" is also in reference.exclude_columns: exclude says the payload does not carry it, ignore that it does; keep one" : "feature \"%s\" is also in reference.exclude_columns",
						key);
		if (p->label_column != NULL && strcmp(p->label_column, key) == 0)
			kpg_jsonv_error(v, path, 1, "feature \"%s\" is the label column; the label is not a feature",
					key);
		pf = &p->features[p->n_features];
		pf->type = type == 0   ? POLICY_FEATURE_NUMERIC
			   : type == 1 ? POLICY_FEATURE_CATEGORICAL
				       : POLICY_FEATURE_IGNORE;
		if (policy_lists_dup(v, key, &pf->name) == 0)
			p->n_features++;
	}
}

/* A KPI's rule relative to the model's baseline: at most one of
 * worse_than_baseline_by / _pct. Returns 1 with pk's fields set, 0 none,
 * -1 an error (reported). */
static int load_relative(kpg_jsonv *v, json_t *k, const char *path,
			 policy_kpi *pk)
{
	json_t *by = json_object_get(k, "worse_than_baseline_by");
	json_t *pct = json_object_get(k, "worse_than_baseline_pct");
	char bp[96];
	kpg_jsonv_at at = {bp, NULL};

	if (by != NULL && pct != NULL) {
		snprintf(bp, sizeof(bp), "%s.worse_than_baseline_pct", path);
		kpg_jsonv_error(v, bp, 1, "%s has both \"worse_than_baseline_by\" and \"worse_than_baseline_pct\"; give one",
				path);
		return -1;
	}
	if (by == NULL && pct == NULL)
		return 0;
	snprintf(bp, sizeof(bp), "%s.%s", path,
		 by ? "worse_than_baseline_by" : "worse_than_baseline_pct");
	if (kpg_jsonv_value(v, policy_lists_row(v, by ? "kpis[].worse_than_baseline_by" : "kpis[].worse_than_baseline_pct"),
			    &at, by ? by : pct) != 1)
		return -1;
	pk->relative = by ? POLICY_REL_AMOUNT : POLICY_REL_PCT;
	pk->worse_by = json_number_value(by ? by : pct);
	return 1;
}

/* One KPI: its metric (against the task), then the bound its direction
 * calls for, a rule relative to the model's baseline, or both. */
static void load_kpi(kpg_jsonv *v, json_t *k, size_t i, policy *p,
		     int task_bad, size_t *seen_at)
{
	char path[48], mpath[64], bp[64];
	kpg_jsonv_at at = {mpath, NULL};
	json_t *vmin, *vmax, *m;
	const char *s, *bound;
	kpi_metric metric;
	policy_kpi *pk, rel;
	int hib, has_rel;

	snprintf(path, sizeof(path), "kpis[%zu]", i);
	snprintf(mpath, sizeof(mpath), "kpis[%zu].metric", i);
	if (!json_is_object(k)) {
		kpg_jsonv_error(v, path, 0, "%s must be an object like {\"metric\": \"auc\", \"min\": 0.75}, got %s",
				path, kpg_jsonv_kind(k));
		return;
	}
	kpg_jsonv_unknown_keys(v, k, "kpis[]", path);
	vmin = json_object_get(k, "min");
	vmax = json_object_get(k, "max");
	m = json_object_get(k, "metric");
	if (m == NULL) {
		kpg_jsonv_error(v, path, 0, "missing required key \"metric\" in %s",
				path);
		return;
	}
	if (kpg_jsonv_value(v, policy_lists_row(v, "kpis[].metric"), &at, m) != 1 ||
	    p->n_kpis >= POLICY_MAX_KPIS)
		return;
	s = json_string_value(m);
	kpi_metric_from_name(s, &metric);
	hib = kpi_metric_higher_is_better(metric);
	if (!task_bad && !kpi_metric_fits_task(metric, p->task)) {
		if (hib && p->task == POLICY_TASK_REGRESSION)
			kpg_jsonv_error(v, mpath, 0, "%s is a classification metric but prediction.task is regression; use rmse or mae",
					s);
		else if (!hib && p->task == POLICY_TASK_BINARY)
			kpg_jsonv_error(v, mpath, 0, "%s is a regression metric but prediction.task is binary_classification",
					s);
		else
			kpg_jsonv_error(v, mpath, 0, "%s is a %s metric but prediction.task is %s",
					s, kpi_metric_tasks_text(metric),
					policy_task_name(p->task));
	}
	if (policy_load_kpi_class(v, k, i, p, metric, task_bad) != 0)
		return;
	if (p->kpis[p->n_kpis].class_name != NULL) {
		/* recall of a class: once per class, checked there */
	} else if (seen_at[metric] != 0) {
		kpg_jsonv_error(v, mpath, 0, "KPI %s is listed twice (first at kpis[%zu])",
				s, seen_at[metric] - 1);
		return;
	}
	if (p->kpis[p->n_kpis].class_name == NULL)
		seen_at[metric] = i + 1;
	memset(&rel, 0, sizeof(rel));
	/* the class policy_load_kpi_class stored in the next slot goes with
	 * the KPI, or is freed on any error below */
	rel.class_name = p->kpis[p->n_kpis].class_name;
	p->kpis[p->n_kpis].class_name = NULL;
	if (vmin != NULL && vmax != NULL) {
		snprintf(bp, sizeof(bp), "%s.max", path);
		kpg_jsonv_error(v, bp, 1, "%s has both \"min\" and \"max\"; give exactly one (%s: \"%s\")",
				path, s, hib ? "min" : "max");
		free(rel.class_name);
		return;
	}
	has_rel = load_relative(v, k, path, &rel);
	if (has_rel < 0) {
		free(rel.class_name);
		return;
	}
	if (vmin == NULL && vmax == NULL) {
		if (has_rel == 1 && p->n_kpis < POLICY_MAX_KPIS) {
			pk = &p->kpis[p->n_kpis++];
			*pk = rel;
			pk->metric = metric;
			pk->is_max = !hib;
			pk->relative_only = 1;
			return;
		}
		kpg_jsonv_error(v, path, 0, "%s needs a threshold: \"%s\" for %s, or a rule against the model's baseline (\"worse_than_baseline_by\" or \"worse_than_baseline_pct\")",
				path, hib ? "min" : "max", s);
		free(rel.class_name);
		return;
	}
	bound = vmin != NULL ? "min" : "max";
	snprintf(bp, sizeof(bp), "%s.%s", path, bound);
	if ((vmax != NULL) == hib) {
		if (hib)
			kpg_jsonv_error(v, bp, 1, "%s is higher-is-better: use \"min\" (retraining is considered when %s falls below it)",
					s, s);
		else
			kpg_jsonv_error(v, bp, 1, "%s is lower-is-better: use \"max\" (retraining is considered when %s rises above it)",
					s, s);
		free(rel.class_name);
		return;
	}
	at.path = bp;
	snprintf(mpath, sizeof(mpath), "kpis[].%s", bound);
	if (kpg_jsonv_value(v, policy_lists_row(v, mpath), &at, vmin ? vmin : vmax) != 1 ||
	    p->n_kpis >= POLICY_MAX_KPIS) {
		free(rel.class_name);
		return;
	}
	pk = &p->kpis[p->n_kpis++];
	*pk = rel;
	pk->metric = metric;
	pk->is_max = !hib;
	pk->threshold = json_number_value(vmin ? vmin : vmax);
}

static void load_kpis(kpg_jsonv *v, json_t *a, policy *p, int task_bad)
{
	size_t seen_at[KPI__COUNT] = {0};
	long n = kpg_jsonv_entries(v, policy_lists_row(v, "kpis"), a,
				   "an array of {\"metric\": ..., \"min\"|\"max\": ...}");

	if (n < 0)
		return;
	if (n == 0) {
		kpg_jsonv_error(v, "kpis", 0, "kpis needs at least one KPI: retraining is decided by KPIs");
		return;
	}
	for (size_t i = 0; i < json_array_size(a); i++)
		load_kpi(v, json_array_get(a, i), i, p, task_bad, seen_at);
}

static int is_placeholder(const char *name)
{
	for (size_t i = 0; i < policy_n_placeholders; i++)
		if (strcmp(name, policy_placeholders[i]) == 0)
			return 1;
	return 0;
}

void policy_lists_placeholders(kpg_jsonv *v, const char *path, const char *s)
{
	for (const char *q = strchr(s, '{'); q != NULL; q = strchr(q + 1, '{')) {
		const char *e = q + 1, *hint;
		char name[64];
		size_t len;

		while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') ||
		       (*e >= '0' && *e <= '9') || *e == '_')
			e++;
		len = (size_t)(e - q - 1);
		if (*e != '}' || len == 0)
			continue; /* not a placeholder: a literal brace */
		if (len >= sizeof(name)) {
			kpg_jsonv_error(v, path, 0, "unknown placeholder in %s", path);
			continue;
		}
		memcpy(name, q + 1, len);
		name[len] = '\0';
		if (is_placeholder(name))
			continue;
		hint = kpg_suggest(name, policy_placeholders, policy_n_placeholders);
		if (hint != NULL)
			kpg_jsonv_error(v, path, 0, "unknown placeholder {%s} in %s; did you mean {%s}?",
					name, path, hint);
		else
			kpg_jsonv_error(v, path, 0, "unknown placeholder {%s} in %s; known: {model} {window} {drifted_features} {kpis} {idempotency_key}",
					name, path);
	}
}

static int is_param_name(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static void load_params(kpg_jsonv *v, json_t *ps, policy *p)
{
	size_t value_max = policy_lists_row(v, "action.parameters.NAME")->max_len;
	const char *key;
	json_t *e;

	if (kpg_jsonv_entries(v, policy_lists_row(v, "action.parameters"), ps,
			      "an object of name: \"string\"") < 0)
		return;
	json_object_foreach(ps, key, e) {
		char path[JSON_LOCATE_PATH_MAX];
		policy_param *pp;

		snprintf(path, sizeof(path), "action.parameters.%s", key);
		if (!is_param_name(key, 256)) {
			kpg_jsonv_error(v, path, 1, "parameter name \"%s\" must be 1 to 256 letters, digits, '_' or '-'",
					key);
			continue;
		}
		if (!json_is_string(e)) {
			kpg_jsonv_error(v, path, 0, "%s must be a string, got %s (write numbers as \"1\")",
					path, kpg_jsonv_kind(e));
			continue;
		}
		if (json_string_length(e) > value_max) {
			kpg_jsonv_error(v, path, 0, "%s is longer than %zu bytes",
					path, value_max);
			continue;
		}
		policy_lists_placeholders(v, path, json_string_value(e));
		pp = &p->params[p->n_params];
		if (policy_lists_dup(v, key, &pp->name) != 0)
			continue;
		if (policy_lists_dup(v, json_string_value(e), &pp->value) != 0) {
			free(pp->name);
			pp->name = NULL;
			continue;
		}
		p->n_params++;
	}
}

void policy_load_lists(kpg_jsonv *v, json_t *root, policy *p, int task_bad)
{
	json_t *x;

	/* kpg_jsonv_get finds nothing below a value that is not an object */
	if ((x = kpg_jsonv_get(root, "reference.exclude_columns")) != NULL)
		load_excludes(v, x, p);
	if ((x = json_object_get(root, "features")) != NULL)
		load_features(v, x, p);
	if ((x = json_object_get(root, "kpis")) != NULL)
		load_kpis(v, x, p, task_bad);
	if ((x = kpg_jsonv_get(root, "payload.columns")) != NULL)
		policy_load_payload(v, x, p);
	if ((x = kpg_jsonv_get(root, "action.parameters")) != NULL &&
	    !json_is_null(x))
		load_params(v, x, p);
}

int policy_lists_resolve_secret(kpg_jsonv *v, json_t *target)
{
	const char *s = json_string_value(json_object_get(target, "secret_file"));
	char *abs;
	size_t need;
	int rc;

	if (s == NULL || s[0] == '/' || v->dir == NULL || v->dir[0] == '\0')
		return 0;
	need = strlen(v->dir) + strlen(s) + 2;
	abs = malloc(need);
	if (abs == NULL)
		return -1;
	snprintf(abs, need, "%s/%s", v->dir, s);
	rc = json_object_set_new(target, "secret_file", json_string(abs));
	free(abs);
	return rc;
}
