/* notify.c - events of decisions to their targets, with a cooldown,
 * retries and an audit record per attempt (notify.h). */
#include "notify.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify_body.h"
#include "webhook.h"

#define NOTIFY_DEFAULT_ATTEMPTS 4
#define NOTIFY_DEFAULT_BASE_MS 500
#define NOTIFY_DEFAULT_CAP_MS 10000
#define NOTIFY_MAX_MODELS 4096 /* cooldown slots; past it no cooldown */

/* The last drift_alert sent for a model, in event time. */
typedef struct notify_last {
	char *model; /* owned */
	int64_t sent_ms;
} notify_last;

struct notify {
	notify_options o;
	notify_last *last;
	size_t n_last, cap_last;
	notify_stats stats;
};

/* One send in progress: what its audit records share. */
typedef struct notify_send {
	notify *n;
	const char *model, *event, *key, *format;
	char host[256];
	size_t target;
	int max_attempts;
	int audit_rc; /* first audit failure */
	kpg_err *err;
} notify_send;

int notify_new(const notify_options *o, notify **out, kpg_err *err)
{
	notify *n;

	*out = NULL;
	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		kpg_err_set(err, "notify: out of memory");
		return KPG_ENOMEM;
	}
	n->o = *o;
	if (n->o.max_attempts <= 0)
		n->o.max_attempts = NOTIFY_DEFAULT_ATTEMPTS;
	if (n->o.base_ms <= 0)
		n->o.base_ms = NOTIFY_DEFAULT_BASE_MS;
	if (n->o.cap_ms <= 0)
		n->o.cap_ms = NOTIFY_DEFAULT_CAP_MS;
	*out = n;
	return 0;
}

void notify_free(notify *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n_last; i++)
		free(n->last[i].model);
	free(n->last);
	free(n);
}

void notify_get_stats(const notify *n, notify_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (n != NULL)
		*out = n->stats;
}

static notify_last *notify_slot(notify *n, const char *model)
{
	notify_last *grown;

	for (size_t i = 0; i < n->n_last; i++)
		if (strcmp(n->last[i].model, model) == 0)
			return &n->last[i];
	if (n->n_last >= NOTIFY_MAX_MODELS)
		return NULL;
	if (n->n_last == n->cap_last) {
		size_t cap = n->cap_last ? 2 * n->cap_last : 8;

		grown = realloc(n->last, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		n->last = grown;
		n->cap_last = cap;
	}
	n->last[n->n_last].model = strdup(model);
	if (n->last[n->n_last].model == NULL)
		return NULL;
	n->last[n->n_last].sent_ms = INT64_MIN;
	return &n->last[n->n_last++];
}

/* One `notification` record; takes the reference to extra (may be
 * NULL). */
static int notify_audit(notify_send *s, const char *status, int attempt, long http,
			const char *error, json_t *extra)
{
	json_t *o;
	int rc = 0;

	if (s->n->o.audit == NULL || s->audit_rc) {
		json_decref(extra);
		return s->audit_rc;
	}
	o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:i, s:I}", "target", "webhook",
		      "host", s->host, "target_index", (json_int_t)s->target, "event",
		      s->event, "format", s->format, "idempotency_key", s->key, "status",
		      status, "attempt", attempt, "http_status", (json_int_t)http);
	if (o == NULL || (error && *error && json_object_set_new(o, "error", json_string(error))) ||
	    (extra && json_object_update(o, extra))) {
		kpg_err_set(s->err, "notify: out of memory");
		rc = KPG_ENOMEM;
	} else {
		rc = audit_append(s->n->o.audit, "notification", s->model, o, s->err);
	}
	json_decref(o);
	json_decref(extra);
	if (rc)
		s->audit_rc = rc;
	return rc;
}

static void notify_on_attempt(void *opaque, int attempt, const webhook_result *res)
{
	notify_send *s = opaque;
	const char *status;

	s->n->stats.attempts++;
	if (res->outcome == WEBHOOK_OK)
		status = "delivered";
	else if (res->outcome == WEBHOOK_RETRYABLE && attempt < s->max_attempts)
		status = "attempt_failed";
	else
		status = "failed";
	notify_audit(s, status, attempt, res->http_status, res->error, NULL);
}

static int64_t notify_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A webhook target's secret: from its file or variable. */
static int notify_secret(const json_t *t, webhook_secret *out, kpg_err *err)
{
	return webhook_secret_load(json_string_value(json_object_get(t, "secret_file")),
				   json_string_value(json_object_get(t, "secret_env")), out,
				   err);
}

static int notify_target(notify *n, notify_send *s, const json_t *t, const json_t *body)
{
	webhook_secret secret = {NULL, 0};
	webhook_request rq;
	webhook_result res;
	webhook_retry_policy pol;
	json_t *sent = NULL;
	char *text = NULL;
	kpg_err sub;
	int rc = 0;

	s->format = json_is_string(json_object_get(t, "format"))
			    ? json_string_value(json_object_get(t, "format"))
			    : "json";
	if (webhook_url_host(json_string_value(json_object_get(t, "url")), s->host,
			     sizeof(s->host), &sub) != 0)
		snprintf(s->host, sizeof(s->host), "?");
	sent = strcmp(s->format, "slack") == 0 ? notify_body_slack(body) : json_incref((json_t *)body);
	text = sent ? notify_body_dump(sent) : NULL;
	if (text == NULL) {
		kpg_err_set(s->err, "notify: out of memory");
		rc = KPG_ENOMEM;
		goto done;
	}
	if (!n->o.execute) {
		n->stats.not_sent++;
		rc = notify_audit(s, "not_sent", 0, 0, NULL, json_pack("{s:O}", "body", sent));
		goto done;
	}
	if (notify_secret(t, &secret, &sub) != 0) {
		/* the message names the file or variable, never a value */
		n->stats.failed++;
		rc = notify_audit(s, "failed", 0, 0, sub.msg, NULL);
		goto done;
	}
	memset(&rq, 0, sizeof(rq));
	rq.url = json_string_value(json_object_get(t, "url"));
	rq.body = text;
	rq.body_len = strlen(text);
	rq.secret = &secret;
	rq.idempotency_key = s->key;
	rq.event = s->event;
	rq.timeout_ms = n->o.timeout_ms;
	rq.ca_bundle = n->o.ca_bundle;
	memset(&pol, 0, sizeof(pol));
	pol.max_attempts = n->o.max_attempts;
	pol.base_ms = n->o.base_ms;
	pol.cap_ms = n->o.cap_ms;
	if (n->o.budget_ms > 0)
		pol.deadline_ms = notify_mono_ms() + n->o.budget_ms;
	pol.on_attempt = notify_on_attempt;
	pol.opaque = s;
	s->max_attempts = pol.max_attempts;
	rc = webhook_send(&rq, &pol, &res, &sub);
	if (rc == KPG_ENOMEM) {
		kpg_err_set(s->err, "notify: %s", sub.msg);
		goto done;
	}
	if (rc) {
		/* a request the sender refused: audited, the stream goes on */
		n->stats.failed++;
		rc = notify_audit(s, "failed", 0, 0, sub.msg, NULL);
		goto done;
	}
	if (res.outcome == WEBHOOK_RETRYABLE && res.attempts < s->max_attempts) {
		/* the budget ended the retries: its last record said another
		 * attempt would follow */
		char why[sizeof(res.error) + 64];

		snprintf(why, sizeof(why), "gave up after %d ms: %s", n->o.budget_ms, res.error);
		notify_audit(s, "failed", res.attempts, res.http_status, why, NULL);
	}
	if (res.outcome == WEBHOOK_OK)
		n->stats.delivered++;
	else
		n->stats.failed++;
	rc = s->audit_rc;
done:
	webhook_secret_free(&secret);
	free(text);
	json_decref(sent);
	return rc;
}

static int notify_has_event(const json_t *t, const char *event)
{
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(t, "events"), i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), event) == 0)
			return 1;
	return 0;
}

static int notify_event(notify *n, const policy *pol, const policy_window_eval *ev,
			const policy_decision *d, const json_t *decision,
			const char *record_hash, const char *event, kpg_err *err)
{
	const json_t *targets = pol->notify ? pol->notify : n->o.defaults;
	notify_send s;
	json_t *body = NULL;
	notify_last *last = NULL;
	const json_t *t;
	size_t i, wanted = 0;
	int rc = 0;

	json_array_foreach(targets, i, t)
		wanted += notify_has_event(t, event);
	if (wanted == 0)
		return 0;
	memset(&s, 0, sizeof(s));
	s.n = n;
	s.model = pol->model;
	s.event = event;
	s.key = d->idempotency_key;
	s.format = "json";
	s.err = err;
	if (strcmp(event, "drift_alert") == 0 && (last = notify_slot(n, pol->model)) != NULL &&
	    last->sent_ms != INT64_MIN && ev->end_ms - last->sent_ms < pol->notify_cooldown_ms) {
		n->stats.suppressed++;
		snprintf(s.host, sizeof(s.host), "*");
		return notify_audit(&s, "suppressed", 0, 0, NULL,
				    json_pack("{s:I, s:I}", "suppressed", (json_int_t)n->stats.suppressed,
					      "cooldown_seconds",
					      (json_int_t)(pol->notify_cooldown_ms / 1000)));
	}
	body = notify_body_event(event, pol, ev, d, decision, record_hash);
	if (body == NULL) {
		kpg_err_set(err, "notify: out of memory");
		return KPG_ENOMEM;
	}
	json_array_foreach(targets, i, t) {
		if (!notify_has_event(t, event))
			continue;
		s.target = i;
		s.audit_rc = 0;
		rc = notify_target(n, &s, t, body);
		if (rc)
			break;
	}
	if (rc == 0 && last != NULL)
		last->sent_ms = ev->end_ms;
	json_decref(body);
	return rc;
}

static int notify_decided(void *opaque, const policy *pol, const policy_window_eval *ev,
			  const policy_decision *d, const json_t *decision,
			  const char *record_hash, kpg_err *err)
{
	notify *n = opaque;
	int rc = 0;

	if (n == NULL || (pol->notify == NULL && n->o.defaults == NULL))
		return 0;
	if (!d->retrain && ev->dataset_drift)
		rc = notify_event(n, pol, ev, d, decision, record_hash, "drift_alert", err);
	if (rc == 0 && d->retrain)
		rc = notify_event(n, pol, ev, d, decision, record_hash, "retrain_decided", err);
	return rc;
}

void notify_pipeline_notifier(notify *n, pipeline_notifier *out)
{
	memset(out, 0, sizeof(*out));
	if (n == NULL)
		return;
	out->decided = notify_decided;
	out->opaque = n;
}
