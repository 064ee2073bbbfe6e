/* action_webhook.h - action.type "webhook" (docs/actions.md): the request
 * a retrain decision sends to a third-party pipeline (Airflow, GitHub
 * Actions, Argo Events), one delivery round of it, and its audit record.
 *
 * The request ("body" of action_build_request's object, kept in the
 * outbox) holds no secret: a secret header is kept as its reference
 * ({"name", "secret_file"} or {"name", "secret_env"}) and read only when
 * the request is sent; the signing secret likewise ("signature"). The
 * HTTP side (signature, status classes, retry) is adapters/webhook.h. */
#ifndef ACTION_WEBHOOK_H
#define ACTION_WEBHOOK_H

#include <jansson.h>

#include "kpg_error.h"
#include "policy.h"
#include "webhook.h"

/* Sets req's "target" ("POST host[:port]") and "body": {"url", "method",
 * "headers": [...], "body": the JSON text sent, "signature": {...} and
 * "already_started_status" when set}, every string of action.body (or the default body) with its
 * placeholders filled (action_expand). p must be a webhook policy
 * (p->webhook). KPG_ENOMEM; KPG_EINVAL for a bad URL. */
int action_webhook_build(const policy *p, const policy_window_eval *ev,
			 const policy_decision *d, json_t *req, kpg_err *err);

/* For an audit record of the request (a replay's not_sent): req's
 * body.url without user:password and without its query or fragment,
 * which may hold a token, in place. 0, or KPG_ENOMEM. */
int action_webhook_redact(json_t *req);

/* One delivery round of request body wb (borrowed) under pol: reads the
 * secrets it names, sends with X-Kpigate-Idempotency-Key key (and
 * X-Kpigate-Event "retrain"), and wipes them. Returns 0 when the outcome
 * is in *res; KPG_EIO / KPG_EINVAL / KPG_ETOOBIG when a secret cannot be
 * read (err names the file or variable, never a value) or the request is
 * bad: no attempt was made then. */
int action_webhook_send(const json_t *wb, const char *key, const char *ca_bundle,
			int timeout_ms, const webhook_retry_policy *pol,
			webhook_result *res, kpg_err *err);

/* An action_result record for a webhook outcome: {"status", "method",
 * "host", "headers": [names only], "http_status", and when it failed
 * "error_type" (HttpError, TransportError) and "error_message"; for a
 * JSON answer "answer_excerpt" (at most ACTION_WEBHOOK_EXCERPT bytes)}.
 * res may be NULL. Caller owns the result; NULL when out of memory. */
#define ACTION_WEBHOOK_EXCERPT 256
json_t *action_webhook_result_json(const char *status, const json_t *wb,
				   const webhook_result *res);

#endif
