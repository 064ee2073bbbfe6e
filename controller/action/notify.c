/* notify.c - events of decisions to their targets, with a cooldown,
 * retries and an audit record per attempt (notify.h). */
#include "notify.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "aws_call.h"
#include "aws_creds.h"
#include "aws_names.h"
#include "kpg_time.h"
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
	json_t *targets; /* a reference to the model's list at its last
			    decision (action events use it); NULL none */
} notify_last;

struct notify {
	/* held by every entry point: the pipeline's thread and the action
	 * runner's both send (one at a time) */
	pthread_mutex_t mu;
	notify_options o;
	aws_creds_provider *creds; /* sns: created on first use */
	notify_last *last;
	size_t n_last, cap_last;
	notify_stats stats;
};

/* One send in progress: what its audit records share. */
typedef struct notify_send {
	notify *n;
	const char *model, *event, *key, *format;
	const char *kind; /* "webhook" | "sns" */
	int sns;
	char host[512];  /* webhook: the URL's host; sns: the topic ARN */
	char region[64]; /* sns: the topic's */
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
	if (pthread_mutex_init(&n->mu, NULL) != 0) {
		free(n);
		kpg_err_set(err, "notify: cannot create its mutex");
		return KPG_ENOMEM;
	}
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
	for (size_t i = 0; i < n->n_last; i++) {
		free(n->last[i].model);
		json_decref(n->last[i].targets);
	}
	pthread_mutex_destroy(&n->mu);
	free(n->last);
	aws_creds_provider_free(n->creds);
	free(n);
}

void notify_get_stats(notify *n, notify_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	*out = n->stats;
	pthread_mutex_unlock(&n->mu);
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
	n->last[n->n_last].targets = NULL;
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
	o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:i, s:I}", "target", s->kind,
		      s->sns ? "topic_arn" : "host", s->host, "target_index",
		      (json_int_t)s->target, "event",
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

/* An attempt's audit status: another attempt follows only a retryable
 * failure with attempts left. */
static const char *notify_status(int ok, int retryable, int attempt, int max_attempts)
{
	if (ok)
		return "delivered";
	return retryable && attempt < max_attempts ? "attempt_failed" : "failed";
}

/* How a send (rc from webhook_send or aws_call_retry) ended: counted, and
 * audited when no attempt record says it (a request refused before any
 * attempt, or retries ended by the budget). */
static int notify_sent(notify *n, notify_send *s, int rc, const kpg_err *sub, int ok,
		       int retryable, int attempts, long http, const char *error)
{
	if (rc == KPG_ENOMEM) {
		kpg_err_set(s->err, "notify: %s", sub->msg);
		return rc;
	}
	if (!ok)
		n->stats.failed++;
	else
		n->stats.delivered++;
	if (rc) /* refused before any attempt: audited, the stream goes on */
		return notify_audit(s, "failed", 0, 0, sub->msg, NULL);
	if (retryable && attempts < s->max_attempts) {
		/* the budget ended the retries: the last attempt's record
		 * said another would follow */
		char why[512];

		snprintf(why, sizeof(why), "gave up after %d ms: %.400s", n->o.budget_ms, error);
		notify_audit(s, "failed", attempts, http, why, NULL);
	}
	return s->audit_rc;
}

static void notify_on_attempt(void *opaque, int attempt, const webhook_result *res)
{
	notify_send *s = opaque;
	const char *status;

	s->n->stats.attempts++;
	status = notify_status(res->outcome == WEBHOOK_OK, res->outcome == WEBHOOK_RETRYABLE,
			       attempt, s->max_attempts);
	notify_audit(s, status, attempt, res->http_status, res->error, NULL);
}

/* ---- sns ----------------------------------------------------------- */

/* Appends name=<percent-encoded value> (RFC 3986 unreserved kept) to a
 * form body of cap bytes; -1 when it does not fit. */
static int notify_form_add(char *form, size_t cap, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(form);
	int w = snprintf(form + n, cap - n, "%s%s=", n ? "&" : "", name);

	if (w < 0 || (size_t)w >= cap - n)
		return -1;
	n += (size_t)w;
	for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
		if (n + 4 > cap)
			return -1;
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= '0' && *c <= '9') || strchr("-._~", *c)) {
			form[n++] = (char)*c;
		} else {
			form[n++] = '%';
			form[n++] = hex[*c >> 4];
			form[n++] = hex[*c & 15];
		}
	}
	form[n] = '\0';
	return 0;
}

static int notify_sns_creds(void *opaque, aws_creds *out, kpg_err *err)
{
	notify_send *s = opaque;

	if (s->n->creds == NULL) {
		aws_creds_options co = {s->region, NULL, 0};
		int rc = aws_creds_provider_new(&s->n->creds, &co, err);

		if (rc)
			return rc;
	}
	return aws_creds_get(s->n->creds, out, err);
}

static void notify_sns_attempt(void *opaque, int attempt, const aws_call_result *res)
{
	notify_send *s = opaque;
	const char *status;
	char why[sizeof(res->error_type) + sizeof(res->error_message) + 4] = "";

	s->n->stats.attempts++;
	status = notify_status(res->outcome == AWS_CALL_OK, res->outcome == AWS_CALL_RETRYABLE,
			       attempt, s->max_attempts);
	if (res->outcome != AWS_CALL_OK)
		snprintf(why, sizeof(why), "%s: %s", res->error_type, res->error_message);
	if (res->outcome == AWS_CALL_RETRYABLE && s->n->creds != NULL &&
	    strcmp(res->error_type, "ExpiredTokenException") == 0)
		aws_creds_invalidate(s->n->creds);
	notify_audit(s, status, attempt, res->http_status, why, NULL);
}

/* SNS Publish of text (a FIFO topic gets the decision's key, hashed, as
 * its deduplication id and the model as its group). */
static int notify_sns(notify *n, notify_send *s, const char *arn, const char *text)
{
	aws_call_request rq;
	aws_call_result res;
	aws_retry_policy pol;
	char endpoint[512], subject[100], token[65], *form = NULL;
	size_t cap = strlen(text) * 3 + strlen(arn) * 3 + 1024;
	const char *why = NULL;
	kpg_err sub = {""};
	int rc = 0;

	memset(&res, 0, sizeof(res));
	if (aws_names_check_sns_arn(arn, s->region, sizeof(s->region), &why) != 0 ||
	    aws_endpoint_resolve("SNS", NULL, "sns", s->region, endpoint, sizeof(endpoint),
				 &sub) != 0) {
		n->stats.failed++;
		return notify_audit(s, "failed", 0, 0, why ? why : sub.msg, NULL);
	}
	form = malloc(cap);
	if (form == NULL) {
		kpg_err_set(s->err, "notify: out of memory");
		return KPG_ENOMEM;
	}
	form[0] = '\0';
	/* SNS subjects: ASCII, no line breaks, under 100 characters */
	snprintf(subject, sizeof(subject), "kpigate %s %s", s->event, s->model);
	if (notify_form_add(form, cap, "Action", "Publish") != 0 ||
	    notify_form_add(form, cap, "Version", "2010-03-31") != 0 ||
	    notify_form_add(form, cap, "TopicArn", arn) != 0 ||
	    notify_form_add(form, cap, "Subject", subject) != 0 ||
	    notify_form_add(form, cap, "Message", text) != 0) {
		kpg_err_set(s->err, "notify: SNS form does not fit");
		rc = KPG_ETOOBIG;
		goto done;
	}
	if (strlen(arn) > 5 && strcmp(arn + strlen(arn) - 5, ".fifo") == 0) {
		char dedupe[200];

		snprintf(dedupe, sizeof(dedupe), "%s %s", s->key, s->event);
		action_token(dedupe, token);
		if (notify_form_add(form, cap, "MessageDeduplicationId", token) != 0 ||
		    notify_form_add(form, cap, "MessageGroupId", s->model) != 0) {
			kpg_err_set(s->err, "notify: SNS form does not fit");
			rc = KPG_ETOOBIG;
			goto done;
		}
	}
	memset(&rq, 0, sizeof(rq));
	rq.endpoint = endpoint;
	rq.region = s->region;
	rq.service = "sns";
	rq.content_type = "application/x-www-form-urlencoded";
	rq.body = form;
	rq.body_len = strlen(form);
	rq.ca_bundle = n->o.ca_bundle;
	rq.timeout_ms = n->o.timeout_ms;
	memset(&pol, 0, sizeof(pol));
	pol.max_attempts = n->o.max_attempts;
	pol.base_ms = n->o.base_ms;
	pol.cap_ms = n->o.cap_ms;
	if (n->o.budget_ms > 0)
		pol.deadline_ms = kpg_time_mono_ms() + n->o.budget_ms;
	pol.get_creds = notify_sns_creds;
	pol.on_attempt = notify_sns_attempt;
	pol.opaque = s;
	s->max_attempts = pol.max_attempts;
	rc = aws_call_retry(&rq, &pol, &res, &sub);
	rc = notify_sent(n, s, rc, &sub, rc == 0 && res.outcome == AWS_CALL_OK,
			 rc == 0 && res.outcome == AWS_CALL_RETRYABLE, res.attempts, res.http_status,
			 res.error_type);
done:
	aws_call_result_free(&res);
	free(form);
	return rc;
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
	s->sns = json_is_string(json_object_get(t, "topic_arn"));
	s->kind = s->sns ? "sns" : "webhook";
	if (s->sns)
		snprintf(s->host, sizeof(s->host), "%s",
			 json_string_value(json_object_get(t, "topic_arn")));
	else if (webhook_url_host(json_string_value(json_object_get(t, "url")), s->host,
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
	if (s->sns) {
		/* Slack's body is for webhooks: SNS gets its line as text */
		const char *msg = strcmp(s->format, "slack") == 0
					  ? json_string_value(json_object_get(sent, "text"))
					  : text;

		rc = notify_sns(n, s, s->host, msg ? msg : text);
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
		pol.deadline_ms = kpg_time_mono_ms() + n->o.budget_ms;
	pol.on_attempt = notify_on_attempt;
	pol.opaque = s;
	s->max_attempts = pol.max_attempts;
	rc = webhook_send(&rq, &pol, &res, &sub);
	rc = notify_sent(n, s, rc, &sub, rc == 0 && res.outcome == WEBHOOK_OK,
			 rc == 0 && res.outcome == WEBHOOK_RETRYABLE, res.attempts, res.http_status,
			 res.error);
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
	s.kind = "webhook";
	s.err = err;
	if (strcmp(event, "drift_alert") == 0 && (last = notify_slot(n, pol->model)) != NULL &&
	    last->sent_ms != INT64_MIN && ev->end_ms - last->sent_ms < pol->notify_cooldown_ms) {
		n->stats.suppressed++;
		s.kind = "*";
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

/* Remembers the model's targets for the action events that follow. */
static void notify_remember(notify *n, const policy *pol)
{
	json_t *targets = pol->notify ? pol->notify : (json_t *)n->o.defaults;
	notify_last *slot = notify_slot(n, pol->model);

	if (slot == NULL || slot->targets == targets)
		return;
	json_decref(slot->targets);
	slot->targets = json_incref(targets);
}

static int notify_decided(void *opaque, const policy *pol, const policy_window_eval *ev,
			  const policy_decision *d, const json_t *decision,
			  const char *record_hash, kpg_err *err)
{
	notify *n = opaque;
	int rc = 0;

	if (n == NULL)
		return 0;
	pthread_mutex_lock(&n->mu);
	notify_remember(n, pol);
	if (pol->notify == NULL && n->o.defaults == NULL)
		goto out;
	if (!d->retrain && ev->dataset_drift)
		rc = notify_event(n, pol, ev, d, decision, record_hash, "drift_alert", err);
	if (rc == 0 && d->retrain)
		rc = notify_event(n, pol, ev, d, decision, record_hash, "retrain_decided", err);
out:
	pthread_mutex_unlock(&n->mu);
	return rc;
}

void notify_action_record(void *opaque, const char *event, const char *model,
			  const json_t *data)
{
	notify *n = opaque;
	const char *status = json_string_value(json_object_get(data, "status"));
	const char *what = NULL;
	json_t *targets, *body = NULL;
	const json_t *t;
	notify_last *slot;
	notify_send s;
	kpg_err err = {""};
	size_t i;

	if (n == NULL || model == NULL)
		return;
	if (strcmp(event, "action_result") == 0 && status != NULL &&
	    (strcmp(status, "failed") == 0 || strcmp(status, "expired") == 0))
		what = "action_failed";
	else if (strcmp(event, "action_finished") == 0)
		what = "execution_finished";
	if (what == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	slot = notify_slot(n, model);
	targets = slot ? slot->targets : (json_t *)n->o.defaults;
	if (targets == NULL)
		goto out;
	body = notify_body_action(what, model, data);
	if (body == NULL)
		goto out;
	memset(&s, 0, sizeof(s));
	s.n = n;
	s.model = model;
	s.event = what;
	s.key = json_string_value(json_object_get(data, "idempotency_key"));
	if (s.key == NULL)
		s.key = "";
	s.kind = "webhook";
	s.err = &err;
	json_array_foreach(targets, i, t) {
		if (!notify_has_event(t, what))
			continue;
		s.target = i;
		s.audit_rc = 0;
		/* on the runner's thread: a failure is in the audit log and
		 * stops nothing */
		notify_target(n, &s, t, body);
	}
out:
	json_decref(body);
	pthread_mutex_unlock(&n->mu);
}

void notify_pipeline_notifier(notify *n, pipeline_notifier *out)
{
	memset(out, 0, sizeof(*out));
	if (n == NULL)
		return;
	out->decided = notify_decided;
	out->opaque = n;
}
