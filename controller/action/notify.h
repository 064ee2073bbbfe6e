/* notify.h - notifications of decisions (docs/notifications.md): for
 * every audited decision, the events it raises (drift_alert: a hold with
 * dataset drift; retrain_decided) go to the policy's notify targets, or
 * to the default list when the policy names none; so do the action
 * runner's action_failed and execution_finished (notify_action_record). Webhooks only so far
 * (adapters/webhook.h): a signed POST with the decision's idempotency
 * key, retried with backoff up to max_attempts.
 *
 * drift_alert has a cooldown per model in event time
 * (notify_cooldown_seconds): an alert within it of the model's last sent
 * one is suppressed and counted. Every attempt is audited as a
 * `notification` record (target type, url host, event, status, attempt,
 * http status, error); a dry run (execute 0: `replay` without --execute)
 * audits `not_sent` with the body it would send. Secrets are never
 * audited or printed.
 *
 * Sends run on the caller's thread (the pipeline's, or the runner's for
 * action events), one at a time (a mutex): a slow receiver slows the
 * stream by at most max_attempts timeouts and their backoff (or
 * budget_ms). */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <jansson.h>
#include <stdint.h>

#include "audit.h"
#include "kpg_error.h"
#include "pipeline.h"

typedef struct notify_options {
	audit_log *audit;       /* borrowed for the notifier's life; NULL =
				   attempts not audited */
	int execute;            /* 0: audit what would be sent, send nothing */
	const json_t *defaults; /* borrowed: targets for policies without a
				   notify list (same shape); NULL = none */
	int max_attempts;       /* 0 = 4 */
	int base_ms, cap_ms;    /* backoff; 0 = 500, 10000 */
	int timeout_ms;         /* per attempt; 0 = 10000 */
	const char *ca_bundle;  /* NULL = the system's */
	int budget_ms;          /* per target and notification, retries
				   included; 0 = attempts bound it alone */
} notify_options;

typedef struct notify notify;

/* Caller frees *out with notify_free (after the pipeline that uses it). */
int notify_new(const notify_options *o, notify **out, kpg_err *err);
void notify_free(notify *n);

/* The pipeline_notifier for n (borrowed: n must outlive the pipeline's
 * use of it; NULL = no notifications). */
void notify_pipeline_notifier(notify *n, pipeline_notifier *out);

/* What happened so far. */
typedef struct notify_stats {
	uint64_t delivered;  /* notifications a receiver took (2xx) */
	uint64_t failed;     /* given up: final answer, attempts spent, no
				secret */
	uint64_t attempts;   /* HTTP attempts made */
	uint64_t suppressed; /* drift alerts within their cooldown */
	uint64_t not_sent;   /* dry run */
} notify_stats;
void notify_get_stats(notify *n, notify_stats *out);

/* action_runner_options.on_record (opaque: the notify): an action_result
 * failed or expired raises action_failed, an action_finished
 * execution_finished, sent to the targets the model's last decision had
 * (the default list before any). Runs on the runner's thread. */
void notify_action_record(void *opaque, const char *event, const char *model,
			  const json_t *data);

#endif
