/* notify_body.c - the bodies of notifications (notify_body.h). */
#include "notify_body.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *notify_body_drifted(const policy_window_eval *ev)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < ev->n_features; i++)
		if (ev->features[i].drifted &&
		    json_array_append_new(a, json_string(ev->features[i].name)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* A member of the decision record, copied; null when absent. */
static json_t *notify_body_copy(const json_t *decision, const char *key)
{
	json_t *v = json_object_get(decision, key);

	return v != NULL ? json_deep_copy(v) : json_null();
}

json_t *notify_body_event(const char *event, const policy *pol,
			  const policy_window_eval *ev, const policy_decision *d,
			  const json_t *decision, const char *record_hash)
{
	json_t *o, *window;
	int bad;

	window = json_pack("{s:I, s:o, s:o, s:I}", "index", (json_int_t)ev->window_index,
			   "start", notify_body_copy(decision, "start"), "end",
			   notify_body_copy(decision, "end"), "records",
			   (json_int_t)ev->n_records);
	o = json_pack("{s:s, s:s, s:s?, s:o*, s:s, s:o, s:s?, s:o, s:b, s:b, s:o, "
		      "s:o*, s:s, s:s, s:s}",
		      "event", event, "model", pol->model, "endpoint", pol->endpoint,
		      "window", window, "decision", d->retrain ? "retrain" : "hold",
		      "reasons", notify_body_copy(decision, "reasons"), "decisive_reason",
		      d->decisive < d->n_reasons ? d->reasons[d->decisive] : NULL,
		      "kpis", notify_body_copy(decision, "kpis"), "kpi_breached",
		      d->kpi_breached, "dataset_drift", ev->dataset_drift,
		      "drifted_share",
		      isfinite(ev->drifted_share) ? json_real(ev->drifted_share) : json_null(),
		      "drifted_features",
		      notify_body_drifted(ev), "idempotency_key", d->idempotency_key,
		      "audit_record_hash", record_hash ? record_hash : "",
		      "kpigate_version", KPIGATE_VERSION);
	if (o == NULL)
		return NULL;
	bad = json_object_get(o, "window") == NULL ||
	      json_object_get(o, "drifted_features") == NULL;
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Appends to a capped line; a line that would overflow ends in "...". */
static void notify_body_add(char *line, size_t cap, const char *s)
{
	size_t n = strlen(line), m = strlen(s);

	if (n + m + 4 > cap) {
		if (n + 4 <= cap)
			memcpy(line + n, "...", 4);
		return;
	}
	memcpy(line + n, s, m + 1);
}

json_t *notify_body_action(const char *event, const char *model, const json_t *record)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:O, s:s}", "event", event, "model", model,
			 "idempotency_key", notify_body_copy(record, "idempotency_key"),
			 "action", notify_body_copy(record, "action"), "status",
			 notify_body_copy(record, "status"), "record", record,
			 "kpigate_version", KPIGATE_VERSION);
}

/* "kpigate: action failed for model m (KEY): failed: ValidationException
 * ..." or "execution finished ...: Succeeded, 1.2 kWh". */
static json_t *notify_body_slack_action(const json_t *body)
{
	char line[1024];
	const json_t *rec = json_object_get(body, "record");
	const char *event = json_string_value(json_object_get(body, "event"));
	const char *err = json_string_value(json_object_get(rec, "error_type"));
	const char *msg = json_string_value(json_object_get(rec, "error_message"));
	const json_t *kwh = json_object_get(json_object_get(rec, "energy"), "kwh");

	snprintf(line, sizeof(line), "kpigate: %s for model %s (%s): %s%s%s%s%s",
		 event && strcmp(event, "action_failed") == 0 ? "action failed"
							      : "execution finished",
		 json_string_value(json_object_get(body, "model")),
		 json_is_string(json_object_get(body, "idempotency_key"))
			 ? json_string_value(json_object_get(body, "idempotency_key"))
			 : "?",
		 json_is_string(json_object_get(body, "status"))
			 ? json_string_value(json_object_get(body, "status"))
			 : "?",
		 err ? ": " : "", err ? err : "", msg ? " " : "", msg ? msg : "");
	if (json_is_number(kwh)) {
		char part[64];

		snprintf(part, sizeof(part), ", %.3g kWh", json_number_value(kwh));
		notify_body_add(line, sizeof(line), part);
	}
	return json_pack("{s:s}", "text", line);
}

json_t *notify_body_slack(const json_t *body)
{
	char line[2048], part[512];
	const char *event = json_string_value(json_object_get(body, "event"));
	const json_t *w = json_object_get(body, "window");
	const json_t *drifted = json_object_get(body, "drifted_features");
	const char *reason = json_string_value(json_object_get(body, "decisive_reason"));
	const json_t *f;
	size_t i;

	if (json_object_get(body, "record") != NULL)
		return notify_body_slack_action(body);
	line[0] = '\0';
	snprintf(part, sizeof(part), "kpigate: %s for model %s, window %lld (%s to %s)",
		 event && strcmp(event, "drift_alert") == 0 ? "drift alert"
							    : "retrain decided",
		 json_string_value(json_object_get(body, "model")),
		 (long long)json_integer_value(json_object_get(w, "index")),
		 json_is_string(json_object_get(w, "start"))
			 ? json_string_value(json_object_get(w, "start"))
			 : "?",
		 json_is_string(json_object_get(w, "end"))
			 ? json_string_value(json_object_get(w, "end"))
			 : "?");
	notify_body_add(line, sizeof(line), part);
	if (json_array_size(drifted) > 0) {
		notify_body_add(line, sizeof(line), ": drifted ");
		json_array_foreach(drifted, i, f) {
			if (i > 0)
				notify_body_add(line, sizeof(line), ", ");
			notify_body_add(line, sizeof(line), json_string_value(f));
		}
	}
	snprintf(part, sizeof(part), "; decision %s",
		 json_string_value(json_object_get(body, "decision")));
	notify_body_add(line, sizeof(line), part);
	if (reason != NULL) {
		notify_body_add(line, sizeof(line), ": ");
		notify_body_add(line, sizeof(line), reason);
	}
	return json_pack("{s:s}", "text", line);
}

char *notify_body_dump(const json_t *body)
{
	return json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
}
