/* audit_summary.c - per-model summary of a verified audit log: one pass
 * over the intact records (audit_walk_file), counters kept in jansson
 * objects so the same tree is the --json output and the table's source.
 *
 * Energy spent counts only retrains whose execution started (an
 * action_result started / already_started, or an action_finished); a
 * retrain decided but not started (dry_run, not_sent, failed, expired, or
 * no outcome in this log: pending) counts its estimate in
 * energy.not_started, by status. So each retrain is followed by its key
 * through the walk and counted at its end. */
#include "audit_summary.h"

#include <ctype.h>
#include <string.h>

#include "audit.h"
#include "audit_reasons.h"

#define NO_MODEL "(none)"

void audit_reason_kind(const char *reason, char *out, size_t outlen)
{
	static const char trim[] = " .,;:=<>()[]%";
	size_t n = 0, end;
	const char *p;

	if (outlen == 0)
		return;
	for (p = reason; *p != '\0' && *p != ':' && n + 1 < outlen; p++) {
		unsigned char c = (unsigned char)*p;
		int digit_next = isdigit((unsigned char)p[1]);

		if (isdigit(c))
			continue;
		/* A sign or decimal point belongs to the number around it. */
		if ((c == '-' || c == '+') && digit_next)
			continue;
		if ((c == '.' || c == ',') && p > reason &&
		    isdigit((unsigned char)p[-1]) && digit_next)
			continue;
		if (isspace(c)) {
			if (n > 0 && out[n - 1] != ' ')
				out[n++] = ' ';
			continue;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	end = n;
	while (end > 0 && strchr(trim, out[end - 1]) != NULL)
		end--;
	out[end] = '\0';
	n = strspn(out, trim);
	memmove(out, out + n, end - n + 1);
	if (out[0] == '\0')
		snprintf(out, outlen, "(unspecified)");
}

/* Get-or-create a child object. NULL only when out of memory. */
static json_t *child(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_object(v))
		return v;
	v = json_object();
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		return NULL;
	return v;
}

static int inc(json_t *obj, const char *key, json_int_t by)
{
	json_t *v;

	if (obj == NULL)
		return -1;
	v = json_object_get(obj, key);
	return json_object_set_new(obj, key,
				   json_integer(json_integer_value(v) + by));
}

static int add_real(json_t *obj, const char *key, double x)
{
	json_t *v;

	if (obj == NULL)
		return -1;
	v = json_object_get(obj, key);
	return json_object_set_new(obj, key, json_real(json_number_value(v) + x));
}

/* A fresh per-model (or totals) block with every counter at zero, so the
 * JSON shape does not depend on which events occurred. */
static json_t *new_block(void)
{
	return json_pack(
		"{s:i, s:i, s:i, s:{s:i, s:i}, s:i, s:{}, s:{}, s:{}, s:{}, s:{}, "
		"s:{s:{s:i, s:i, s:f, s:f}, s:{s:i, s:f, s:f}}, s:n, s:n}",
		"records", 0, "windows_evaluated", 0, "drift_alarms", 0,
		"decisions", "retrain", 0, "hold", 0, "naive_would_retrain", 0,
		"hold_reasons", "retrain_reasons", "drifted_features", "actions",
		"executions",
		"energy", "spent", "runs", 0, "measured_runs", 0, "kwh", 0.0, "kg_co2e", 0.0,
		"avoided", "runs", 0, "kwh", 0.0, "kg_co2e", 0.0, "first_time",
		"last_time");
}

/* energy.not_started, added to a fresh block */
static int add_not_started(json_t *b)
{
	return b == NULL ||
	       json_object_set_new(json_object_get(b, "energy"), "not_started",
				   json_pack("{s:i, s:f, s:f, s:{}}", "runs", 0, "kwh", 0.0,
					     "kg_co2e", 0.0, "by_status"));
}

static int count_strings(json_t *into, const json_t *arr, int kinds)
{
	size_t i;
	json_t *v;

	json_array_foreach((json_t *)arr, i, v) {
		char kind[128];
		const char *s = json_string_value(v);

		if (s == NULL)
			continue;
		if (kinds) {
			audit_reason_kind(s, kind, sizeof(kind));
			s = kind;
		}
		if (inc(into, s, 1))
			return -1;
	}
	return 0;
}

static int on_window(json_t *b, const json_t *data)
{
	if (inc(b, "windows_evaluated", 1))
		return -1;
	if (json_is_true(json_object_get(data, "dataset_drift")) &&
	    inc(b, "drift_alarms", 1))
		return -1;
	return count_strings(child(b, "drifted_features"),
			     json_object_get(data, "drifted_features"), 0);
}

static int on_decision(json_t *b, const json_t *data)
{
	const char *d = json_string_value(json_object_get(data, "decision"));
	const json_t *energy = json_object_get(data, "energy");
	const char *effect = json_string_value(json_object_get(energy, "effect"));
	int retrain = d != NULL && strcmp(d, "retrain") == 0;
	json_t *e;

	if (d == NULL || (!retrain && strcmp(d, "hold") != 0))
		d = "other";
	if (inc(child(b, "decisions"), d, 1))
		return -1;
	if (json_is_true(json_object_get(data, "naive_would_retrain")) &&
	    inc(b, "naive_would_retrain", 1))
		return -1;
	/* grouped by the reason that decided them (audit_reasons.c) */
	if (audit_reasons_count(b, data, retrain))
		return -1;
	/* a retrain's energy is counted once its action's outcome is known
	 * (retrain_end) */
	if (effect == NULL || strcmp(effect, "avoided") != 0)
		return 0;
	e = child(child(b, "energy"), effect);
	if (inc(e, "runs", 1) ||
	    add_real(e, "kwh", json_number_value(json_object_get(energy, "kwh"))) ||
	    add_real(e, "kg_co2e",
		     json_number_value(json_object_get(energy, "kg_co2e"))))
		return -1;
	return 0;
}

/* A followed execution ended. When its decision is in this log, its
 * measured energy replaces the estimate at the end (retrain_end); when not
 * (another replica or run decided it), the run is counted here, measured. */
static int on_finished(json_t *b, const json_t *data, int decided_here)
{
	const json_t *act = json_object_get(data, "energy");
	const char *status = json_string_value(json_object_get(data, "status"));
	json_t *e = child(child(b, "energy"), "spent");

	if (inc(child(b, "executions"), status ? status : "unknown", 1))
		return -1;
	if (act == NULL || decided_here)
		return 0;
	if (inc(e, "runs", 1) || inc(e, "measured_runs", 1) ||
	    add_real(e, "kwh", json_number_value(json_object_get(act, "kwh"))) ||
	    add_real(e, "kg_co2e", json_number_value(json_object_get(act, "kg_co2e"))))
		return -1;
	return 0;
}

/* action_result per status; a record of coalesced failed attempts counts
 * its attempts (count). */
static int on_action(json_t *b, const json_t *data)
{
	const char *status = json_string_value(json_object_get(data, "status"));
	json_int_t n = json_integer_value(json_object_get(data, "count"));

	return inc(child(b, "actions"), status ? status : "unknown", n > 0 ? n : 1);
}

/* One retrain decided in this log, at the end of the walk: spent when its
 * execution started (measured when followed to its end), else its
 * estimate in not_started under the last status its action reached. */
static int retrain_end(json_t *b, const json_t *r)
{
	const char *st = json_string_value(json_object_get(r, "status"));
	const json_t *measured = json_object_get(r, "measured");
	int started = measured != NULL ||
		      (st != NULL && (strcmp(st, "started") == 0 ||
				      strcmp(st, "already_started") == 0));
	json_t *e = child(child(b, "energy"), started ? "spent" : "not_started");
	const json_t *src = measured != NULL ? measured : r;

	if (e == NULL || inc(e, "runs", 1) ||
	    add_real(e, "kwh", json_number_value(json_object_get(src, "kwh"))) ||
	    add_real(e, "kg_co2e", json_number_value(json_object_get(src, "kg_co2e"))))
		return -1;
	if (started)
		return measured != NULL ? inc(e, "measured_runs", 1) : 0;
	return inc(child(e, "by_status"), st ? st : "pending", 1);
}

/* action_result statuses that end a retrain's delivery (attempt_failed
 * does not: it is retried). */
static int final_status(const char *st)
{
	static const char *const fin[] = {"started", "already_started", "failed",
					  "expired", "not_sent", "dry_run", NULL};

	for (size_t i = 0; st != NULL && fin[i] != NULL; i++)
		if (strcmp(st, fin[i]) == 0)
			return 1;
	return 0;
}

/* Updates one block (a model's, or the totals) with one record.
 * decided_here: for action_finished, its decision is in this log. */
static int update(json_t *b, const char *event, const json_t *data,
		  json_t *time, int decided_here)
{
	if (b == NULL || inc(b, "records", 1))
		return -1;
	if (json_is_null(json_object_get(b, "first_time")) &&
	    json_object_set(b, "first_time", time))
		return -1;
	if (json_object_set(b, "last_time", time))
		return -1;
	if (strcmp(event, "window_evaluated") == 0)
		return on_window(b, data);
	if (strcmp(event, "decision") == 0)
		return on_decision(b, data);
	if (strcmp(event, "action_result") == 0)
		return on_action(b, data);
	if (strcmp(event, "action_finished") == 0)
		return on_finished(b, data, decided_here);
	return 0;
}

/* The walk's state: the summary being built, and the retrains decided in
 * this log by key: {model, kwh, kg_co2e, status (the last final
 * action_result status), measured ({kwh, kg_co2e} of action_finished)}. */
typedef struct summary_ctx {
	json_t *sum;
	json_t *retrains;
} summary_ctx;

static int on_record(const json_t *rec, void *opaque, kpg_err *err)
{
	summary_ctx *ctx = opaque;
	json_t *sum = ctx->sum, *models = json_object_get(sum, "models");
	json_t *totals = json_object_get(sum, "totals");
	const char *event = json_string_value(json_object_get(rec, "event"));
	const char *model = json_string_value(json_object_get(rec, "model"));
	const json_t *data = json_object_get(rec, "data");
	json_t *time = json_object_get(rec, "time"), *b = NULL;
	const char *key = json_string_value(json_object_get(data, "idempotency_key"));
	json_t *r = key != NULL ? json_object_get(ctx->retrains, key) : NULL;
	const char *st = json_string_value(json_object_get(data, "status"));
	int decided_here = r != NULL;

	if (strcmp(event, "decision") == 0 &&
	    json_is_string(json_object_get(data, "decision")) &&
	    strcmp(json_string_value(json_object_get(data, "decision")), "retrain") == 0) {
		const json_t *en = json_object_get(data, "energy");
		char anon[32];

		if (key == NULL) { /* cannot be linked to its action: pending */
			snprintf(anon, sizeof(anon), "#%zu", json_object_size(ctx->retrains));
			key = anon;
		}
		if (json_object_set_new(ctx->retrains, key,
					json_pack("{s:s?, s:f, s:f}", "model", model, "kwh",
						  json_number_value(json_object_get(en, "kwh")),
						  "kg_co2e",
						  json_number_value(json_object_get(en, "kg_co2e")))))
			goto nomem;
	}
	if (r != NULL && strcmp(event, "action_result") == 0 && final_status(st) &&
	    json_object_set_new(r, "status", json_string(st)))
		goto nomem;
	if (r != NULL && strcmp(event, "action_finished") == 0 &&
	    json_object_get(data, "energy") != NULL &&
	    json_object_set(r, "measured", json_object_get(data, "energy")))
		goto nomem;

	if (inc(child(totals, "events"), event, 1))
		goto nomem;
	if (strcmp(event, "run_summary") == 0) {
		if (inc(totals, "runs", 1) ||
		    json_object_set_new(totals, "last_run_summary",
					json_deep_copy(data)))
			goto nomem;
	}
	if (model != NULL) {
		b = json_object_get(models, model);
		if (b == NULL) {
			b = new_block();
			if (b == NULL || add_not_started(b) ||
			    json_object_set_new(models, model, b) ||
			    audit_reasons_init(b))
				goto nomem;
		}
		if (update(b, event, data, time, decided_here))
			goto nomem;
	}
	if (update(totals, event, data, time, decided_here))
		goto nomem;
	return 0;
nomem:
	kpg_err_set(err, "out of memory summarising the audit log");
	return KPG_ENOMEM;
}

int audit_summary_file(const char *path, json_t **out, kpg_err *err)
{
	audit_verify_result res;
	summary_ctx ctx;
	json_t *sum, *totals;
	int rc;

	*out = NULL;
	totals = new_block();
	if (add_not_started(totals)) {
		json_decref(totals);
		totals = NULL;
	}
	sum = json_pack("{s:s, s:{}, s:o}", "file", path, "models", "totals",
			totals);
	if (sum == NULL || json_object_set_new(totals, "events", json_object()) ||
	    json_object_set_new(totals, "runs", json_integer(0)) ||
	    audit_reasons_init(totals)) {
		json_decref(sum);
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	ctx.sum = sum;
	ctx.retrains = json_object();
	if (ctx.retrains == NULL) {
		json_decref(sum);
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	rc = audit_walk_file(path, &res, on_record, &ctx, err);
	if (rc == 0 || rc == KPG_EINTEGRITY) {
		const char *key;
		json_t *r;
		int rc2 = 0;

		json_object_foreach(ctx.retrains, key, r) {
			const char *model = json_string_value(json_object_get(r, "model"));

			if ((model != NULL &&
			     retrain_end(json_object_get(json_object_get(sum, "models"), model), r)) ||
			    retrain_end(totals, r))
				rc2 = KPG_ENOMEM;
		}
		if (rc2) {
			json_decref(ctx.retrains);
			json_decref(sum);
			kpg_err_set(err, "out of memory summarising the audit log");
			return KPG_ENOMEM;
		}
	}
	json_decref(ctx.retrains);
	if (rc && rc != KPG_EINTEGRITY) {
		json_decref(sum);
		return rc;
	}
	if (json_object_set_new(
		    sum, "chain",
		    json_pack("{s:s, s:I, s:s, s:I, s:s}", "status",
			      rc ? "broken" : "intact", "records",
			      (json_int_t)res.records, "head_hash", res.head_hash,
			      "bad_line", (json_int_t)res.bad_line, "reason",
			      res.reason))) {
		json_decref(sum);
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	kpg_err_clear(err);
	*out = sum;
	return 0;
}
