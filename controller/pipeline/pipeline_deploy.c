/* pipeline_deploy.c - deployment signals: "a new model of M serves from
 * time T", optionally trained on a new reference. Queued per model and
 * applied in event time, when the model's clock reaches T, so a replay
 * and the daemon apply them at the same point of the stream: the relative
 * KPI rules learn their baseline again from the windows that start then
 * (policy_guard_deployed), a named reference replaces the drift reference
 * from then on, and the audit log says so (model_deployed). */
#include "pipeline_deploy.h"

#include <stdlib.h>
#include <string.h>

#include "kpg_file.h"
#include "kpg_time.h"
#include "pipeline_decide.h"
#include "pipeline_quality.h"
#include "pipeline_wait.h"

int pipeline_resolve_path(const char *dir, const char *path, char *out,
			  size_t len)
{
	int n = path[0] == '/' || dir == NULL || dir[0] == '\0'
			? snprintf(out, len, "%s", path)
			: snprintf(out, len, "%s/%s", dir, path);

	return n < 0 || (size_t)n >= len ? KPG_ETOOBIG : 0;
}

int pipeline_add_deployment(pipeline *pl, const char *model, int64_t at_ms,
			    const char *ref_path, kpg_err *err)
{
	pipeline_model *m = NULL;
	pipeline_deployment *nd;
	char *ref = NULL;
	size_t i;

	for (i = 0; i < pl->n_models && m == NULL; i++)
		if (strcmp(pl->models[i].pol->model, model) == 0)
			m = &pl->models[i];
	if (m == NULL) {
		kpg_err_set(err, "no policy for model '%s'", model);
		return KPG_ENOTFOUND;
	}
	if (ref_path != NULL && ref_path[0] != '\0' &&
	    (ref = strdup(ref_path)) == NULL)
		goto nomem;
	nd = realloc(m->deploys, (m->n_deploys + 1) * sizeof(*nd));
	if (nd == NULL)
		goto nomem;
	m->deploys = nd;
	/* kept in time order: the file need not be */
	for (i = m->n_deploys; i > 0 && nd[i - 1].at_ms > at_ms; i--)
		nd[i] = nd[i - 1];
	nd[i] = (pipeline_deployment){at_ms, ref};
	m->n_deploys++;
	return 0;
nomem:
	free(ref);
	kpg_err_set(err, "out of memory queueing a deployment");
	return KPG_ENOMEM;
}

/* Same features, names and types, in order: what the payload carries. */
static int same_schema(const reference *a, const reference *b, kpg_err *why)
{
	if (a->n_features != b->n_features) {
		kpg_err_set(why, "it has %zu features, the running reference %zu",
			    b->n_features, a->n_features);
		return 0;
	}
	for (size_t i = 0; i < a->n_features; i++)
		if (strcmp(a->features[i].name, b->features[i].name) != 0 ||
		    a->features[i].type != b->features[i].type) {
			kpg_err_set(why, "feature %zu is %s (%s), the running reference's is %s (%s)",
				    i + 1, b->features[i].name,
				    policy_feature_type_name(b->features[i].type),
				    a->features[i].name,
				    policy_feature_type_name(a->features[i].type));
			return 0;
		}
	return 1;
}

int pipeline_swap_reference(pipeline_model *m, const char *path, kpg_err *err)
{
	reference_options ro;
	reference neu;
	window win;
	char *override = strdup(path);
	kpg_err sub;

	if (override == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	reference_options_from_policy(m->pol, &ro);
	if (reference_load(path, &ro, &neu, &sub) != 0) {
		kpg_err_set(err, "%s: %s", path, sub.msg);
		free(override);
		return KPG_EINVAL;
	}
	if (!same_schema(&m->ref, &neu, &sub)) {
		kpg_err_set(err, "%s: %s", path, sub.msg);
		reference_free(&neu);
		free(override);
		return KPG_EINVAL;
	}
	/* nothing below may fail but the new window */
	if (window_init(&win, &neu, m->pol->task, m->pol->score_threshold,
			(size_t)m->pol->window_max_exact_values,
			m->pol->window_sketch_k, err) != 0) {
		reference_free(&neu);
		free(override);
		return KPG_ENOMEM;
	}
	window_free(&m->win);
	pipeline_model_drop_reference(m);
	m->ref = neu;
	m->ref_borrowed = 0;
	m->win = win;
	m->win.ref = &m->ref;
	pipeline_quality_invalidate(m); /* derived from the old reference */
	/* waiting windows name their features from the reference */
	for (size_t k = 0; k < m->n_waiting; k++) {
		pipeline_waiting *w = pipeline_wait_at(m, k);

		for (size_t i = 0; i < m->ref.n_features; i++)
			w->ev.features[i].name = m->ref.features[i].name;
	}
	free(m->ref_override);
	m->ref_override = override;
	return 0;
}

/* The reference part of a deployment: the open window closes at the
 * deployment (its records were judged by the old model's data), then the
 * reference is replaced. data gets what happened. */
static int deploy_reference(pipeline *pl, pipeline_model *m,
			    const pipeline_deployment *dep, json_t *data,
			    kpg_err *err)
{
	kpg_err why;
	int rc = 0;

	if (m->win.n_records > 0)
		rc = pipeline_close_window(pl, m, dep->at_ms, err);
	if (rc)
		return rc;
	rc = pipeline_swap_reference(m, dep->reference, &why);
	if (rc == KPG_EINVAL) {
		json_object_set_new(data, "reference_error", json_string(why.msg));
		json_object_set_new(data, "reference", json_string(m->ref.path));
		return 0;
	}
	if (rc) {
		kpg_err_set(err, "%s", why.msg);
		return rc;
	}
	json_object_set_new(data, "reference", json_string(m->ref.path));
	json_object_set_new(data, "reference_rows", json_integer((json_int_t)m->ref.n_rows));
	return 0;
}

int pipeline_apply_deployments(pipeline *pl, pipeline_model *m, kpg_err *err)
{
	while (m->n_deploys > 0 && m->has_clock && m->deploys[0].at_ms <= m->clock_ms) {
		pipeline_deployment dep = m->deploys[0];
		char t[40];
		json_t *data;
		int rc = 0;

		memmove(m->deploys, m->deploys + 1, (m->n_deploys - 1) * sizeof(*m->deploys));
		m->n_deploys--;
		/* one applied before (a restart re-reads the signals) */
		if (policy_guard_deployed(&m->guard, dep.at_ms) != 0) {
			free(dep.reference);
			continue;
		}
		kpg_time_format_iso8601(dep.at_ms, t, sizeof(t));
		data = json_pack("{s:s, s:s}", "time", t, "baseline", "relearning");
		if (data == NULL) {
			free(dep.reference);
			kpg_err_set(err, "out of memory building model_deployed");
			return KPG_ENOMEM;
		}
		if (dep.reference != NULL)
			rc = deploy_reference(pl, m, &dep, data, err);
		if (rc == 0 && pl->audit != NULL)
			rc = audit_append(pl->audit, "model_deployed", m->pol->model, data, err);
		json_decref(data);
		free(dep.reference);
		if (rc)
			return rc;
	}
	return 0;
}

int pipeline_parse_deployment(const char *line, char *model, size_t model_len,
			      int64_t *at_ms, char *ref_out, size_t ref_len,
			      kpg_err *err)
{
	json_error_t je;
	json_t *o = json_loads(line, 0, &je), *m, *t, *r, *val;
	const char *key;
	int rc = KPG_EINVAL;

	m = json_object_get(o, "model");
	t = json_object_get(o, "time");
	r = json_object_get(o, "reference");
	if (o == NULL || !json_is_string(m) || !json_is_string(t) ||
	    (r != NULL && !json_is_string(r))) {
		kpg_err_set(err, "a deployment is {\"model\": NAME, \"time\": \"ISO 8601\"} with an optional \"reference\": \"train.csv\"");
		goto out;
	}
	if (kpg_time_parse_iso8601(json_string_value(t), strlen(json_string_value(t)),
				   at_ms) != 0) {
		kpg_err_set(err, "time \"%s\" is not an ISO 8601 time", json_string_value(t));
		goto out;
	}
	json_object_foreach(o, key, val) {
		if (strcmp(key, "model") != 0 && strcmp(key, "time") != 0 &&
		    strcmp(key, "reference") != 0) {
			kpg_err_set(err, "unknown key \"%s\" (known: model, time, reference)", key);
			goto out;
		}
	}
	if (strlen(json_string_value(m)) >= model_len ||
	    (r != NULL && strlen(json_string_value(r)) >= ref_len)) {
		kpg_err_set(err, "model name or reference path too long");
		goto out;
	}
	snprintf(model, model_len, "%s", json_string_value(m));
	snprintf(ref_out, ref_len, "%s", r != NULL ? json_string_value(r) : "");
	rc = 0;
out:
	json_decref(o);
	return rc;
}

int pipeline_load_deployments(pipeline *pl, const char *path, kpg_err *err)
{
	FILE *f = fopen(path, "r");
	char line[8192], model[PIPELINE_DEPLOY_MODEL_MAX];
	char ref[PIPELINE_DEPLOY_PATH_MAX], full[PIPELINE_DEPLOY_PATH_MAX];
	char *dir = kpg_dir_of(path);
	unsigned line_no = 0;
	int rc = 0;

	if (f == NULL || dir == NULL) {
		kpg_err_set(err, "%s: cannot open", path);
		if (f != NULL)
			fclose(f);
		free(dir);
		return f == NULL ? KPG_EIO : KPG_ENOMEM;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		kpg_err sub;
		int64_t at;

		line_no++;
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		rc = pipeline_parse_deployment(line, model, sizeof(model), &at, ref,
					       sizeof(ref), &sub);
		if (rc == 0 && ref[0] != '\0' &&
		    pipeline_resolve_path(dir, ref, full, sizeof(full)) != 0) {
			kpg_err_set(&sub, "reference path too long");
			rc = KPG_EINVAL;
		}
		if (rc == 0)
			rc = pipeline_add_deployment(pl, model, at, ref[0] ? full : NULL, &sub);
		if (rc)
			kpg_err_set(err, "%s:%u: %s", path, line_no, sub.msg);
	}
	if (rc == 0 && ferror(f)) {
		kpg_err_set(err, "%s: read error", path);
		rc = KPG_EIO;
	}
	fclose(f);
	free(dir);
	return rc;
}
