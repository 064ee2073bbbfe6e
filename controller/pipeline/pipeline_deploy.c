/* pipeline_deploy.c - deployment signals: "a new model of M serves from
 * time T". Queued per model and applied in event time, when the model's
 * clock reaches T, so a replay and the daemon apply them at the same
 * point of the stream: the relative KPI rules learn their baseline again
 * from the windows that start then (policy_guard_deployed), and the audit
 * log says so (model_deployed). */
#include "pipeline_deploy.h"

#include <stdlib.h>
#include <string.h>

#include "kpg_time.h"

int pipeline_add_deployment(pipeline *pl, const char *model, int64_t at_ms,
			    kpg_err *err)
{
	pipeline_model *m = NULL;
	int64_t *nd;
	size_t i;

	for (i = 0; i < pl->n_models && m == NULL; i++)
		if (strcmp(pl->models[i].pol->model, model) == 0)
			m = &pl->models[i];
	if (m == NULL) {
		kpg_err_set(err, "no policy for model '%s'", model);
		return KPG_ENOTFOUND;
	}
	nd = realloc(m->deploys, (m->n_deploys + 1) * sizeof(*nd));
	if (nd == NULL) {
		kpg_err_set(err, "out of memory queueing a deployment");
		return KPG_ENOMEM;
	}
	m->deploys = nd;
	/* kept in time order: the file need not be */
	for (i = m->n_deploys; i > 0 && nd[i - 1] > at_ms; i--)
		nd[i] = nd[i - 1];
	nd[i] = at_ms;
	m->n_deploys++;
	return 0;
}

int pipeline_apply_deployments(pipeline *pl, pipeline_model *m, kpg_err *err)
{
	while (m->n_deploys > 0 && m->has_clock && m->deploys[0] <= m->clock_ms) {
		int64_t at = m->deploys[0];
		char t[40];
		json_t *data;
		int rc = 0;

		memmove(m->deploys, m->deploys + 1, (m->n_deploys - 1) * sizeof(*m->deploys));
		m->n_deploys--;
		/* one applied before (a restart re-reads the signals) */
		if (policy_guard_deployed(&m->guard, at) != 0)
			continue;
		kpg_time_format_iso8601(at, t, sizeof(t));
		data = json_pack("{s:s, s:s, s:s}", "time", t, "baseline",
				 "relearning", "note",
				 "relative KPI rules learn the new model's baseline from the windows that start at this time");
		if (data == NULL) {
			kpg_err_set(err, "out of memory building model_deployed");
			return KPG_ENOMEM;
		}
		if (pl->audit != NULL)
			rc = audit_append(pl->audit, "model_deployed", m->pol->model, data, err);
		json_decref(data);
		if (rc)
			return rc;
	}
	return 0;
}

int pipeline_parse_deployment(const char *line, char *model, size_t model_len,
			      int64_t *at_ms, kpg_err *err)
{
	json_error_t je;
	json_t *o = json_loads(line, 0, &je), *m, *t, *val;
	const char *key;
	int rc = KPG_EINVAL;

	m = json_object_get(o, "model");
	t = json_object_get(o, "time");
	if (o == NULL || !json_is_string(m) || !json_is_string(t)) {
		kpg_err_set(err, "a deployment is {\"model\": NAME, \"time\": \"ISO 8601\"}");
		goto out;
	}
	if (kpg_time_parse_iso8601(json_string_value(t), strlen(json_string_value(t)),
				   at_ms) != 0) {
		kpg_err_set(err, "time \"%s\" is not an ISO 8601 time", json_string_value(t));
		goto out;
	}
	json_object_foreach(o, key, val) {
		if (strcmp(key, "model") != 0 && strcmp(key, "time") != 0) {
			kpg_err_set(err, "unknown key \"%s\" (known: model, time)", key);
			goto out;
		}
	}
	if (strlen(json_string_value(m)) >= model_len) {
		kpg_err_set(err, "model name longer than %zu bytes", model_len - 1);
		goto out;
	}
	snprintf(model, model_len, "%s", json_string_value(m));
	rc = 0;
out:
	json_decref(o);
	return rc;
}

int pipeline_load_deployments(pipeline *pl, const char *path, kpg_err *err)
{
	FILE *f = fopen(path, "r");
	char line[4096], model[PIPELINE_DEPLOY_MODEL_MAX];
	unsigned line_no = 0;
	int rc = 0;

	if (f == NULL) {
		kpg_err_set(err, "%s: cannot open", path);
		return KPG_EIO;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		kpg_err sub;
		int64_t at;

		line_no++;
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		rc = pipeline_parse_deployment(line, model, sizeof(model), &at, &sub);
		if (rc == 0)
			rc = pipeline_add_deployment(pl, model, at, &sub);
		if (rc)
			kpg_err_set(err, "%s:%u: %s", path, line_no, sub.msg);
	}
	if (rc == 0 && ferror(f)) {
		kpg_err_set(err, "%s: read error", path);
		rc = KPG_EIO;
	}
	fclose(f);
	return rc;
}
