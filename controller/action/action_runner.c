#include "action_runner.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action.h"
#include "action_coalesce.h"
#include "action_webhook.h"
#include "aws_call.h"
#include "aws_creds.h"
#include "energy.h"
#include "kpg_log.h"
#include "kpg_time.h"
#include "outbox.h"

/* A trigger found in the outbox without a release (left by an earlier
 * run) waits this long after its submission before it is sent: its
 * decision is audited by then, or the window is decided again. */
#define RUNNER_ORPHAN_MS 5000
#define RUNNER_RELEASED_MAX 256
#define RUNNER_ROUND_MS 30000                 /* one delivery round's retries */
#define RUNNER_FOLLOW_MS (7LL * 86400 * 1000) /* longest an execution is followed */

struct action_runner {
	action_runner_options o;
	char *outbox_path, *region, *sm_ep, *sfn_ep, *ca;
	outbox *ob;
	aws_creds_provider *creds; /* created on first use */
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, wake, draining;
	int64_t drain_until; /* kpg_time_mono_ms(): a drain's end; 0 = none */
	int undelivered;     /* after the last scan */
	int given_up;        /* failed for good or expired */
	uint64_t scans;
	atomic_uint_fast64_t n_started, n_failed; /* action_runner_counts */
	char released[RUNNER_RELEASED_MAX][65];   /* tokens released, a ring */
	size_t n_released;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int audit_result(action_runner *r, const json_t *entry, const char *event,
			json_t *data)
{
	kpg_err err = {""};
	int rc = 0;

	if (data == NULL)
		return KPG_ENOMEM;
	json_object_set(data, "idempotency_key", json_object_get(entry, "idempotency_key"));
	json_object_set(data, "action", json_object_get(entry, "action"));
	if (r->o.audit != NULL &&
	    (rc = audit_append(r->o.audit, event,
			       json_string_value(json_object_get(entry, "model")), data,
			       &err)) != 0)
		log_errorx("action %s: the audit log failed: %s",
			   json_string_value(json_object_get(entry, "token")), err.msg);
	if (rc == 0 && r->o.on_record != NULL)
		r->o.on_record(r->o.record_opaque, event,
			       json_string_value(json_object_get(entry, "model")), data);
	json_decref(data);
	return rc;
}

static json_int_t entry_int(const json_t *e, const char *key)
{
	return json_integer_value(json_object_get(e, key));
}

/* a string member, "" when missing */
static const char *entry_str(const json_t *e, const char *key)
{
	const char *v = json_string_value(json_object_get(e, key));

	return v ? v : "";
}

static policy_action_type entry_type(const json_t *e)
{
	policy_action_type t = POLICY_ACTION_DRY_RUN;

	(void)policy_action_from_name(json_string_value(json_object_get(e, "action")), &t);
	return t;
}

static int get_creds(action_runner *r, aws_creds *out, kpg_err *err)
{
	return action_aws_creds(&r->creds, &r->o.aws, out, err);
}

typedef struct attempt_ctx {
	action_runner *r;
	const json_t *entry;
	int base;
} attempt_ctx;

static json_t *result_json(const char *status, const aws_call_result *res)
{
	json_t *o = json_pack("{s:s}", "status", status);

	if (o == NULL || res == NULL)
		return o;
	json_object_set_new(o, "http_status", json_integer(res->http_status));
	if (res->error_type[0])
		json_object_set_new(o, "error_type", json_string(res->error_type));
	if (res->error_message[0])
		json_object_set_new(o, "error_message", json_string(res->error_message));
	if (res->request_id[0])
		json_object_set_new(o, "request_id", json_string(res->request_id));
	return o;
}

/* Audits the open run of failures of trigger e, if any: before the
 * trigger's outcome, after a call that got through, at a stop. */
static void flush_failing(action_runner *r, const json_t *e)
{
	json_t *o = action_coalesce_take((json_t *)e);

	if (o != NULL)
		audit_result(r, e, "action_result", o);
}

/* One failed attempt (fail: its record, taken): counted into the open run
 * of identical failures, audited when the run closes. */
static void note_failure(action_runner *r, json_t *e, json_t *fail,
			 json_int_t attempt)
{
	json_t *done = NULL;
	int opened = 0;

	if (fail == NULL)
		return;
	json_object_set_new(fail, "attempt", json_integer(attempt));
	if (action_coalesce_add(e, fail, attempt, kpg_time_now_ms(),
				r->o.failure_record_ms, &done, &opened) != 0) {
		/* cannot count it: audited alone rather than lost */
		audit_result(r, e, "action_result", fail);
		return;
	}
	if (opened)
		log_warnx("action %s: attempt %lld failed: %s: %s (repeats are "
			  "counted and audited as one record)",
			  entry_str(e, "idempotency_key"), (long long)attempt,
			  entry_str(fail, "error_type"), entry_str(fail, "error_message"));
	json_decref(fail);
	if (done != NULL)
		audit_result(r, e, "action_result", done);
}

/* aws_retry_policy.on_attempt: failed attempts are counted, a call that
 * got through closes their run */
static void on_attempt(void *opaque, int attempt, const aws_call_result *res)
{
	attempt_ctx *a = opaque;

	if (res->outcome == AWS_CALL_OK) {
		flush_failing(a->r, a->entry);
		return;
	}
	if (res->outcome != AWS_CALL_RETRYABLE &&
	    strcmp(res->error_type, "ExpiredTokenException") != 0)
		return; /* the outcome's own record says it */
	/* the next attempt must fetch fresh credentials, not the cached ones */
	if (strcmp(res->error_type, "ExpiredTokenException") == 0 && a->r->creds != NULL)
		aws_creds_invalidate(a->r->creds);
	note_failure(a->r, (json_t *)a->entry, result_json("attempt_failed", res),
		     a->base + attempt);
}

/* aws_retry_policy.keep_going: not once the runner stops */
static int attempt_keep_going(void *opaque)
{
	action_runner *r = ((attempt_ctx *)opaque)->r;
	int go;

	pthread_mutex_lock(&r->mu);
	go = !r->stop && (r->drain_until == 0 || kpg_time_mono_ms() < r->drain_until);
	pthread_mutex_unlock(&r->mu);
	return go;
}

static int attempt_creds(void *opaque, aws_creds *out, kpg_err *err)
{
	return get_creds(((attempt_ctx *)opaque)->r, out, err);
}

/* The round's end (webhook_retry_policy.deadline_ms, CLOCK_MONOTONIC):
 * within RUNNER_ROUND_MS, never past the trigger's deadline nor a
 * drain's end. */
static int64_t round_deadline(action_runner *r, const json_t *e)
{
	int64_t left = entry_int(e, "deadline_ms") - kpg_time_now_ms(), until;
	int64_t at = kpg_time_mono_ms() +
		     (left < RUNNER_ROUND_MS ? (left > 0 ? left : 1) : RUNNER_ROUND_MS);

	pthread_mutex_lock(&r->mu);
	until = r->drain_until;
	pthread_mutex_unlock(&r->mu);
	if (until > 0 && until < at)
		at = until > kpg_time_mono_ms() ? until : kpg_time_mono_ms() + 1;
	return at;
}

/* One signed call with the retry policy, bounded by the round and the
 * trigger's deadline; backoff_from: failed attempts before it. */
static int call(action_runner *r, json_t *entry, const char *target,
		const json_t *body, int max_attempts, int backoff_from,
		aws_call_result *res, kpg_err *err)
{
	policy_action_type type = entry_type(entry);
	action_aws_route route;
	aws_call_request rq;
	aws_retry_policy pol;
	attempt_ctx a = {r, entry, (int)entry_int(entry, "attempts")};
	char *text = NULL;
	int rc;

	rc = action_aws_route_for(&r->o.aws, type,
				  json_string_value(json_object_get(entry, "region")), &route,
				  err);
	if (rc)
		return rc;
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	memset(&rq, 0, sizeof(rq));
	rq.endpoint = route.endpoint;
	rq.region = route.region;
	rq.service = route.service;
	rq.target = target;
	rq.content_type = route.content_type;
	rq.body = text;
	rq.body_len = strlen(text);
	rq.ca_bundle = r->ca;
	rq.timeout_ms = r->o.aws.timeout_ms;
	memset(&pol, 0, sizeof(pol));
	pol.max_attempts = max_attempts;
	pol.cap_ms = ACTION_RUNNER_RETRY_CAP_MS;
	pol.backoff_from = backoff_from;
	/* a round ends within RUNNER_ROUND_MS (a stop ends it at its next
	 * retry: keep_going) and never runs past the trigger's own deadline */
	pol.deadline_ms = round_deadline(r, entry);
	pol.get_creds = attempt_creds;
	pol.on_attempt = on_attempt;
	pol.keep_going = attempt_keep_going;
	pol.opaque = &a;
	rc = aws_call_retry(&rq, &pol, res, err);
	json_object_set_new(entry, "attempts", json_integer(a.base + res->attempts));
	free(text);
	return rc;
}

/* When a trigger that did not get through is tried again: the same
 * backoff as between attempts, going on from its failed attempts, and not
 * after its deadline (so it expires on time). */
static int64_t retry_at(const json_t *e, int64_t now)
{
	json_int_t failed = entry_int(e, "attempts");
	int64_t at = now + aws_call_backoff_ms(failed > 0 ? (int)(failed < 64 ? failed - 1 : 63) : 0,
					       AWS_CALL_DEFAULT_BASE_MS,
					       ACTION_RUNNER_RETRY_CAP_MS,
					       aws_call_random_u64());
	int64_t deadline = entry_int(e, "deadline_ms");

	return at > deadline ? deadline + 1 : at;
}

static void outcome(action_runner *r, const json_t *e, const char *status)
{
	if (r->o.on_outcome != NULL)
		r->o.on_outcome(r->o.outcome_opaque, entry_str(e, "idempotency_key"),
				status);
}

static void count(action_runner *r, int started)
{
	if (!started) {
		pthread_mutex_lock(&r->mu);
		r->given_up++;
		pthread_mutex_unlock(&r->mu);
	}
	atomic_fetch_add_explicit(started ? &r->n_started : &r->n_failed, 1,
				  memory_order_relaxed);
}

/* webhook_retry_policy.on_attempt: like on_attempt, for a webhook */
static void on_webhook_attempt(void *opaque, int attempt, const webhook_result *res)
{
	attempt_ctx *a = opaque;
	json_t *fail;

	if (res->outcome == WEBHOOK_OK) {
		flush_failing(a->r, a->entry);
		return;
	}
	if (res->outcome != WEBHOOK_RETRYABLE)
		return; /* the outcome's own record says it */
	fail = action_webhook_result_json("attempt_failed", json_object_get(a->entry, "body"),
					  res);
	note_failure(a->r, (json_t *)a->entry, fail, a->base + attempt);
}

/* A webhook trigger: one round of webhook_send. 2xx is "started" (there
 * is no execution to follow); 408, 429, 5xx and transport errors retry on
 * the trigger's backoff; another answer is final. */
static int deliver_webhook(action_runner *r, const char *token, json_t *e)
{
	const json_t *wb = json_object_get(e, "body");
	attempt_ctx a = {r, e, (int)entry_int(e, "attempts")};
	webhook_retry_policy pol;
	webhook_result res;
	kpg_err err = {""};
	json_t *o;
	int rc;

	memset(&pol, 0, sizeof(pol));
	pol.max_attempts = r->o.aws.max_attempts > 0 ? r->o.aws.max_attempts
						     : AWS_CALL_DEFAULT_ATTEMPTS;
	pol.base_ms = AWS_CALL_DEFAULT_BASE_MS;
	pol.cap_ms = ACTION_RUNNER_RETRY_CAP_MS;
	pol.deadline_ms = round_deadline(r, e);
	pol.keep_going = attempt_keep_going;
	pol.on_attempt = on_webhook_attempt;
	pol.opaque = &a;
	rc = action_webhook_send(wb, entry_str(e, "idempotency_key"), r->ca,
				 r->o.aws.timeout_ms, &pol, &res, &err);
	if (rc) {
		/* no request could be made (a secret cannot be read): an
		 * attempt that failed, tried again on the same backoff */
		json_object_set_new(e, "attempts", json_integer(a.base + 1));
		o = action_webhook_result_json("attempt_failed", wb, NULL);
		if (o != NULL) {
			json_object_set_new(o, "error_type", json_string("ConfigurationError"));
			json_object_set_new(o, "error_message", json_string(err.msg));
		}
		note_failure(r, e, o, a.base + 1);
		goto later;
	}
	json_object_set_new(e, "attempts", json_integer(a.base + res.attempts));
	if (res.attempts == 0)
		goto later; /* the deadline left no time for an attempt */
	if (res.outcome == WEBHOOK_FAILED && res.http_status > 0 &&
	    res.http_status == entry_int(wb, "already_started_status")) {
		/* the receiver has our key: started before (a retry after a
		 * lost answer), not a failure */
		flush_failing(r, e);
		o = action_webhook_result_json("already_started", wb, &res);
		audit_result(r, e, "action_result", o);
		outcome(r, e, "already_started");
		outbox_remove(r->ob, token, &err);
		return 0;
	}
	if (res.outcome == WEBHOOK_OK || res.outcome == WEBHOOK_FAILED) {
		int ok = res.outcome == WEBHOOK_OK;

		flush_failing(r, e);
		o = action_webhook_result_json(ok ? "started" : "failed", wb, &res);
		if (o != NULL)
			json_object_set_new(o, "attempts", json_integer(entry_int(e, "attempts")));
		audit_result(r, e, "action_result", o);
		count(r, ok);
		outcome(r, e, ok ? "started" : "failed");
		outbox_remove(r->ob, token, &err);
		return 0;
	}
later:
	json_object_set_new(e, "next_ms", json_integer(retry_at(e, kpg_time_now_ms())));
	if (outbox_put(r->ob, token, e, &err) != 0)
		log_errorx("action %s: %s", token, err.msg);
	return 1;
}

/* Trigger e is past its deadline: its open run of failures, then
 * "expired", are audited and it leaves the outbox. */
static void expire(action_runner *r, const char *token, const json_t *e)
{
	kpg_err err = {""};
	json_t *o;

	flush_failing(r, e);
	o = json_pack("{s:s, s:s, s:I}", "status", "expired", "reason",
		      "not delivered before its deadline", "attempts",
		      entry_int(e, "attempts"));
	audit_result(r, e, "action_result", o);
	count(r, 0);
	outcome(r, e, "expired");
	outbox_remove(r->ob, token, &err);
}

/* Delivers one trigger: started (followed or done), failed for good,
 * expired, or kept for the next round (returns 1 then). */
static int deliver(action_runner *r, const char *token, json_t *e, int64_t now)
{
	const char *target = json_string_value(json_object_get(e, "target"));
	const json_t *body = json_object_get(e, "body");
	aws_call_result res;
	kpg_err err = {""};
	char *own_arn = NULL;
	json_t *o;
	int rc, pending = 0;

	memset(&res, 0, sizeof(res));
	if (now > entry_int(e, "deadline_ms")) {
		expire(r, token, e);
		return 0;
	}
	if (entry_type(e) == POLICY_ACTION_WEBHOOK)
		return deliver_webhook(r, token, e);
	rc = call(r, e, target, body, r->o.aws.max_attempts, (int)entry_int(e, "attempts"),
		  &res, &err);
	if (rc) {
		/* no call could be made (a bad region or endpoint): an
		 * attempt that failed, tried again on the same backoff */
		json_object_set_new(e, "attempts", json_integer(entry_int(e, "attempts") + 1));
		note_failure(r, e,
			     json_pack("{s:s, s:s, s:s}", "status", "attempt_failed",
				       "error_type", "ConfigurationError", "error_message", err.msg),
			     entry_int(e, "attempts"));
		goto later;
	}
	if (res.attempts == 0)
		goto later; /* the deadline left no time for an attempt */
	if (res.outcome == AWS_CALL_OK) {
		json_t *ans = json_loads(res.body ? res.body : "", 0, NULL);
		const char *arn = action_aws_started_arn(ans);

		o = result_json("started", &res);
		json_object_set_new(o, "execution_arn", arn ? json_string(arn) : json_null());
		json_object_set_new(o, "attempts", json_integer(entry_int(e, "attempts")));
		if (arn)
			json_object_set_new(e, "execution_arn", json_string(arn));
		json_decref(ans);
		audit_result(r, e, "action_result", o);
		count(r, 1);
		outcome(r, e, "started");
		goto started;
	}
	if (res.outcome == AWS_CALL_FAILED && strcmp(res.error_type, "ExecutionAlreadyExists") == 0) {
		/* our name is derived from the decision: it is ours, started before */
		own_arn = action_aws_sfn_execution_arn(
			json_string_value(json_object_get(body, "stateMachineArn")),
			json_string_value(json_object_get(body, "name")));
		o = result_json("already_started", &res);
		json_object_set_new(o, "execution_arn", own_arn ? json_string(own_arn) : json_null());
		if (own_arn)
			json_object_set_new(e, "execution_arn", json_string(own_arn));
		flush_failing(r, e);
		audit_result(r, e, "action_result", o);
		outcome(r, e, "already_started");
		goto started;
	}
	if (res.outcome == AWS_CALL_FAILED) {
		flush_failing(r, e);
		o = result_json("failed", &res);
		audit_result(r, e, "action_result", o);
		count(r, 0);
		outcome(r, e, "failed");
		outbox_remove(r->ob, token, &err);
		goto out;
	}
	/* retryable to the end of the round: its attempts are counted */
later:
	pending = 1;
	json_object_set_new(e, "next_ms", json_integer(retry_at(e, kpg_time_now_ms())));
	if (outbox_put(r->ob, token, e, &err) != 0)
		log_errorx("action %s: %s", token, err.msg);
	goto out;
started:
	if (r->o.follow && json_object_get(e, "execution_arn") != NULL) {
		json_object_set_new(e, "phase", json_string("follow"));
		json_object_set_new(e, "started_ms", json_integer(now));
		json_object_set_new(e, "next_ms", json_integer(now + r->o.poll_ms));
		if (outbox_put(r->ob, token, e, &err) != 0)
			log_errorx("action %s: %s", token, err.msg);
	} else {
		outbox_remove(r->ob, token, &err);
	}
out:
	free(own_arn);
	aws_call_result_free(&res);
	return pending;
}

/* Asks how a started execution is doing; audits its end. */
static void follow(action_runner *r, const char *token, json_t *e, int64_t now)
{
	policy_action_type type = entry_type(e);
	const char *arn = json_string_value(json_object_get(e, "execution_arn"));
	action_aws_route route;
	action_aws_status st;
	aws_call_result res;
	json_t *body = NULL, *ans = NULL, *o, *en = json_object_get(e, "energy");
	kpg_err err = {""};

	memset(&res, 0, sizeof(res));
	json_object_set_new(e, "next_ms", json_integer(now + r->o.poll_ms));
	if (now - entry_int(e, "started_ms") > RUNNER_FOLLOW_MS) {
		/* never seen to end (no Describe permission, a deleted pipeline):
		 * said once, then no longer followed */
		o = json_pack("{s:s, s:s, s:s}", "execution_arn", arn ? arn : "", "status",
			      "unknown", "reason", "not seen to end after 7 days of following");
		flush_failing(r, e);
		audit_result(r, e, "action_finished", o);
		outbox_remove(r->ob, token, &err);
		goto out;
	}
	if (arn == NULL || action_aws_route_for(&r->o.aws, type,
						json_string_value(json_object_get(e, "region")), &route, &err) != 0)
		goto keep;
	body = action_aws_describe_body(type, arn);
	if (body == NULL || call(r, e, route.describe_target, body, 3, 0, &res, &err) != 0 ||
	    res.outcome != AWS_CALL_OK)
		goto keep;
	ans = json_loads(res.body ? res.body : "", 0, NULL);
	if (action_aws_read_status(type, ans, &st, &err) != 0 || !st.finished)
		goto keep;
	{
		double hours = st.start_s > 0 && st.stop_s >= st.start_s
				       ? (st.stop_s - st.start_s) / 3600.0
				       : 0;
		energy_profile prof;
		energy_estimate est;

		memset(&prof, 0, sizeof(prof));
		snprintf(prof.instance_type, sizeof(prof.instance_type), "%s",
			 entry_str(en, "instance_type"));
		snprintf(prof.region, sizeof(prof.region), "%s", entry_str(en, "region"));
		prof.instance_count = (unsigned)entry_int(en, "instance_count");
		prof.expected_hours = json_number_value(json_object_get(en, "expected_hours"));
		o = json_pack("{s:s, s:s, s:b, s:f}", "execution_arn", arn, "status", st.status,
			      "succeeded", st.succeeded, "duration_seconds", hours * 3600.0);
		if (o != NULL && energy_estimate_run(&prof, hours, &est, &err) == 0) {
			energy_estimate exp_est;

			json_object_set_new(o, "energy",
					    json_pack("{s:s, s:f, s:f, s:f}", "basis", "actual duration",
						      "hours", hours, "kwh", est.kwh, "kg_co2e", est.kg_co2e));
			if (energy_estimate_run(&prof, prof.expected_hours, &exp_est, &err) == 0)
				json_object_set_new(o, "estimate",
						    json_pack("{s:f, s:f, s:f}", "hours", prof.expected_hours,
							      "kwh", exp_est.kwh, "kg_co2e", exp_est.kg_co2e));
		}
		flush_failing(r, e);
		audit_result(r, e, "action_finished", o);
		outbox_remove(r->ob, token, &err);
		goto out;
	}
keep:
	if (outbox_put(r->ob, token, e, &err) != 0)
		log_errorx("action %s: %s", token, err.msg);
out:
	json_decref(body);
	json_decref(ans);
	aws_call_result_free(&res);
}

static int is_released(action_runner *r, const char *token)
{
	int yes = 0;

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < RUNNER_RELEASED_MAX && i < r->n_released; i++)
		if (strcmp(r->released[i], token) == 0)
			yes = 1;
	pthread_mutex_unlock(&r->mu);
	return yes;
}

/* One pass over the outbox. Returns triggers still waiting for their
 * first delivery; *due_ms: the earliest time one of them backing off is
 * to be tried (0 when none is). */
static int scan(action_runner *r, int draining, int64_t *due_ms)
{
	json_t *tokens = NULL;
	kpg_err err = {""};
	size_t i;
	json_t *t;
	int waiting = 0;

	*due_ms = 0;
	if (outbox_list(r->ob, &tokens, &err) != 0) {
		log_errorx("%s", err.msg);
		return 1;
	}
	json_array_foreach(tokens, i, t) {
		const char *token = json_string_value(t);
		int64_t now = kpg_time_now_ms();
		json_t *e = NULL;
		int fd = -1, in_deliver;

		if (outbox_claim(r->ob, token, &e, &fd, &err) != 0)
			continue; /* another replica has it, or it is gone */
		in_deliver = strcmp(entry_str(e, "phase"), "follow") != 0;
		if (in_deliver && !is_released(r, token) &&
		    now - entry_int(e, "submitted_ms") < RUNNER_ORPHAN_MS) {
			waiting++;
		} else if (now < entry_int(e, "next_ms")) {
			/* backing off: a drain waits for its time too */
			waiting += in_deliver;
			if (in_deliver && (*due_ms == 0 || entry_int(e, "next_ms") < *due_ms))
				*due_ms = entry_int(e, "next_ms");
		} else if (in_deliver) {
			waiting += deliver(r, token, e, now);
		} else if (!draining) {
			follow(r, token, e, now);
		}
		json_decref(e);
		outbox_release(fd);
	}
	json_decref(tokens);
	return waiting;
}

static void *worker(void *arg)
{
	action_runner *r = arg;
	int stop = 0;

	while (!stop) {
		int draining, waiting;
		int64_t due;

		pthread_mutex_lock(&r->mu);
		draining = r->draining;
		pthread_mutex_unlock(&r->mu);
		waiting = scan(r, draining, &due);
		pthread_mutex_lock(&r->mu);
		r->undelivered = waiting;
		r->scans++;
		pthread_cond_broadcast(&r->cv);
		if (!r->stop && !r->wake) {
			struct timespec ts;
			/* a second while triggers wait (sooner when one's
			 * backoff ends sooner); else the pace, short in a
			 * drain so that it ends as soon as nothing waits */
			int64_t ms = waiting ? 1000 : draining ? 100
							       : r->o.poll_ms;
			int64_t until_due = due - kpg_time_now_ms();

			if (waiting && due > 0 && until_due < ms)
				ms = until_due > 10 ? until_due : 10;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += ms / 1000;
			ts.tv_nsec += (long)(ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&r->cv, &r->mu, &ts);
		}
		r->wake = 0;
		stop = r->stop;
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

static void runner_free(action_runner *r)
{
	if (r == NULL)
		return;
	outbox_close(r->ob);
	aws_creds_provider_free(r->creds);
	free(r->outbox_path);
	free(r->region);
	free(r->sm_ep);
	free(r->sfn_ep);
	free(r->ca);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

int action_runner_start(action_runner **out, const action_runner_options *o,
			kpg_err *err)
{
	action_runner *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (r == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->o = *o;
	r->outbox_path = dup_or_null(o->outbox_dir);
	r->region = dup_or_null(o->aws.region);
	r->sm_ep = dup_or_null(o->aws.sagemaker_endpoint);
	r->sfn_ep = dup_or_null(o->aws.sfn_endpoint);
	r->ca = dup_or_null(o->aws.ca_bundle);
	r->o.outbox_dir = r->outbox_path;
	r->o.aws.region = r->region;
	r->o.aws.sagemaker_endpoint = r->sm_ep;
	r->o.aws.sfn_endpoint = r->sfn_ep;
	r->o.aws.ca_bundle = r->ca;
	if (r->o.deadline_s <= 0)
		r->o.deadline_s = ACTION_RUNNER_DEFAULT_DEADLINE_S;
	if (r->o.poll_ms <= 0)
		r->o.poll_ms = ACTION_RUNNER_DEFAULT_POLL_S * 1000;
	if (r->outbox_path == NULL) {
		kpg_err_set(err, "action runner: no outbox folder");
		rc = KPG_EINVAL;
		goto fail;
	}
	rc = outbox_open(r->outbox_path, &r->ob, err);
	if (rc)
		goto fail;
	if (pthread_create(&r->thread, NULL, worker, r) != 0) {
		kpg_err_set(err, "action runner: cannot start its thread");
		rc = KPG_ENOMEM;
		goto fail;
	}
	r->started = 1;
	*out = r;
	return 0;
fail:
	runner_free(r);
	return rc;
}

int action_runner_submit(action_runner *r, const policy *p,
			 const char *idempotency_key, const json_t *request,
			 kpg_err *err)
{
	char token[65];
	int64_t now = kpg_time_now_ms();
	json_t *e;
	int rc;

	action_token(idempotency_key, token);
	e = json_pack("{s:s, s:s, s:s, s:O, s:O, s:s, s:I, s:I, s:I, s:i,"
		      " s:{s:s, s:i, s:f, s:s}}",
		      "token", token, "idempotency_key", idempotency_key,
		      "model", p->model, "action", json_object_get(request, "action"),
		      "target", json_object_get(request, "target"), "phase", "deliver",
		      "submitted_ms", (json_int_t)now,
		      "deadline_ms", (json_int_t)(now + r->o.deadline_s * 1000),
		      "next_ms", (json_int_t)0, "attempts", 0,
		      "energy", "instance_type", p->energy.instance_type,
		      "instance_count", (int)p->energy.instance_count,
		      "expected_hours", p->energy.expected_hours,
		      "region", p->energy.region);
	if (e == NULL) {
		kpg_err_set(err, "out of memory building the trigger");
		return KPG_ENOMEM;
	}
	json_object_set(e, "body", json_object_get(request, "body"));
	json_object_set_new(e, "region",
			    p->action_region ? json_string(p->action_region) : json_null());
	rc = outbox_put(r->ob, token, e, err);
	json_decref(e);
	return rc;
}

void action_runner_release(action_runner *r, const char *idempotency_key)
{
	char token[65];

	action_token(idempotency_key, token);
	pthread_mutex_lock(&r->mu);
	memcpy(r->released[r->n_released % RUNNER_RELEASED_MAX], token, sizeof(token));
	r->n_released++;
	r->wake = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* At a stop: the open runs of failures of the triggers left in the
 * outbox are audited, so the log says what kept them there; a trigger
 * already past its deadline is expired now, not left for a start that
 * would only expire it. Returns the triggers left to deliver. */
static int flush_all(action_runner *r)
{
	json_t *tokens = NULL, *t;
	kpg_err err = {""};
	size_t i;
	int left = 0;

	if (outbox_list(r->ob, &tokens, &err) != 0)
		return r->undelivered; /* the last scan's count */
	json_array_foreach(tokens, i, t) {
		const char *token = json_string_value(t);
		json_t *e = NULL, *o;
		int fd = -1;

		if (outbox_claim(r->ob, token, &e, &fd, &err) != 0)
			continue; /* another replica's, or gone (as in scan) */
		if (strcmp(entry_str(e, "phase"), "follow") != 0) {
			if (kpg_time_now_ms() > entry_int(e, "deadline_ms")) {
				expire(r, token, e);
				json_decref(e);
				outbox_release(fd);
				continue;
			}
			left++;
		}
		o = action_coalesce_take(e);
		if (o != NULL) {
			audit_result(r, e, "action_result", o);
			if (outbox_put(r->ob, token, e, &err) != 0)
				log_errorx("action %s: %s", token, err.msg);
		}
		json_decref(e);
		outbox_release(fd);
	}
	json_decref(tokens);
	return left;
}

int action_runner_stop(action_runner *r, int drain_ms)
{
	int64_t until = kpg_time_now_ms() + drain_ms;
	int left;

	if (r == NULL)
		return 0;
	pthread_mutex_lock(&r->mu);
	if (drain_ms > 0) {
		uint64_t seen = r->scans;

		r->draining = 1;
		r->drain_until = kpg_time_mono_ms() + drain_ms;
		r->wake = 1;
		pthread_cond_broadcast(&r->cv);
		/* a scan that began after this call, then none left waiting */
		while (kpg_time_now_ms() < until &&
		       (r->scans < seen + 2 || r->undelivered > 0)) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			/* the worker's scans wake this wait; waking the worker
			 * on every one would make it spin */
			pthread_cond_timedwait(&r->cv, &r->mu, &ts);
		}
	}
	r->stop = 1;
	if (r->drain_until == 0 || r->drain_until > kpg_time_mono_ms())
		r->drain_until = kpg_time_mono_ms(); /* ends a round in progress */
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (r->started)
		pthread_join(r->thread, NULL);
	left = flush_all(r);
	left += r->given_up;
	runner_free(r);
	return left;
}

void action_runner_counts(const action_runner *r, uint64_t *started,
			  uint64_t *failed)
{
	*started = r ? atomic_load_explicit(&r->n_started, memory_order_relaxed) : 0;
	*failed = r ? atomic_load_explicit(&r->n_failed, memory_order_relaxed) : 0;
}
