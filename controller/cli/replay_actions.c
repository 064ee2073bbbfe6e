/* replay_actions.c - the retrains of a replay by how their action ended
 * (see replay_actions.h). */
#include "replay_actions.h"

#include <string.h>

#include "kpg_error.h"

static const pipeline_model *model_named(const pipeline *pl, const char *name)
{
	for (size_t i = 0; name != NULL && i < pl->n_models; i++)
		if (strcmp(pl->models[i].pol->model, name) == 0)
			return &pl->models[i];
	return NULL;
}

const char *replay_actions_status(const pipeline *pl, const json_t *d,
				  const json_t *outcomes)
{
	const json_t *dec = json_object_get(d, "decision");
	const pipeline_model *m = model_named(pl, json_string_value(json_object_get(d, "model")));
	const char *verdict = json_string_value(json_object_get(dec, "decision"));
	const char *key = json_string_value(json_object_get(dec, "idempotency_key"));
	const char *st;

	if (verdict == NULL || strcmp(verdict, "retrain") != 0)
		return NULL;
	if (m != NULL && m->pol->action == POLICY_ACTION_DRY_RUN)
		return "dry_run";
	if (outcomes == NULL)
		return "not_sent";
	st = key ? json_string_value(json_object_get(outcomes, key)) : NULL;
	return st ? st : "undelivered";
}

int replay_actions_started(const char *status)
{
	return status != NULL && (strcmp(status, "started") == 0 ||
				  strcmp(status, "already_started") == 0);
}

int replay_actions_tally(const pipeline *pl, const char *model,
			 const json_t *outcomes, replay_actions *out)
{
	size_t i;
	json_t *d;

	memset(out, 0, sizeof(*out));
	out->by_status = json_object();
	if (out->by_status == NULL)
		return KPG_ENOMEM;
	json_array_foreach(pl->decisions, i, d) {
		const char *st = replay_actions_status(pl, d, outcomes);
		const json_t *en = json_object_get(json_object_get(d, "decision"), "energy");
		double kwh = json_number_value(json_object_get(en, "kwh"));
		double kg = json_number_value(json_object_get(en, "kg_co2e"));

		if (st == NULL || (model != NULL &&
				   strcmp(model, json_string_value(json_object_get(d, "model"))) != 0))
			continue;
		out->retrains++;
		if (json_object_set_new(out->by_status, st,
					json_integer(json_integer_value(json_object_get(out->by_status, st)) + 1))) {
			replay_actions_free(out);
			return KPG_ENOMEM;
		}
		if (replay_actions_started(st)) {
			out->started++;
			out->kwh_spent += kwh;
			out->kg_spent += kg;
		} else {
			out->not_started++;
			out->kwh_not_started += kwh;
			out->kg_not_started += kg;
		}
	}
	return 0;
}

void replay_actions_free(replay_actions *a)
{
	json_decref(a->by_status);
	a->by_status = NULL;
}

json_t *replay_actions_json(const replay_actions *a)
{
	return json_pack("{s:I, s:I, s:I, s:O, s:{s:f, s:f}}", "retrains",
			 (json_int_t)a->retrains, "started", (json_int_t)a->started,
			 "not_started", (json_int_t)a->not_started, "by_status",
			 a->by_status, "not_started_energy", "kwh", a->kwh_not_started,
			 "kg_co2e", a->kg_not_started);
}
