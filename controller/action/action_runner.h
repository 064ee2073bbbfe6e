/* action_runner.h - delivers retraining triggers to AWS and follows the
 * executions they start, on its own thread, from the durable outbox
 * (outbox.h). Webhook triggers (action_webhook.h) go the same way: the
 * same backoff, deadline and records; a 2xx is "started" and there is
 * nothing to follow.
 *
 * The pipeline hands a trigger over with action_runner_submit (durable
 * when it returns) before it audits the decision, then calls
 * action_runner_release once the decision is audited: only then, or
 * after a restart, is the trigger sent (a decision is always in the audit
 * log before its action runs). Every outcome is audited as action_result;
 * failed attempts too, consecutive identical ones as one record with a
 * count (action_coalesce.h); the end of a followed execution as
 * action_finished, with the energy and carbon of its real duration.
 * Triggers survive restarts and are retried until their deadline, with
 * one exponential backoff (aws_call.h) over all their attempts, whatever
 * failed: AWS, the network, TLS or the credentials; the idempotency token
 * makes a repeated delivery start nothing new. */
#ifndef ACTION_RUNNER_H
#define ACTION_RUNNER_H

#include <jansson.h>
#include <stdint.h>

#include "action_aws.h"
#include "audit.h"
#include "kpg_error.h"
#include "policy.h"

typedef struct action_runner action_runner;

/* What 0 means in action_runner_options; also the defaults of the
 * configuration's aws.delivery_deadline_seconds and aws.poll_seconds. */
#define ACTION_RUNNER_DEFAULT_DEADLINE_S 86400
#define ACTION_RUNNER_DEFAULT_POLL_S 30

typedef struct action_runner_options {
	const char *outbox_dir; /* required */
	audit_log *audit;       /* borrowed; NULL = nothing audited */
	action_aws_options aws; /* strings copied */
	/* a trigger is retried this long after its decision; 0 =
	 * ACTION_RUNNER_DEFAULT_DEADLINE_S */
	int64_t deadline_s;
	int poll_ms; /* follow-up pace; 0 = ACTION_RUNNER_DEFAULT_POLL_S s */
	int follow;  /* follow executions to their end */
	/* a run of identical failures is audited at least this often; 0 =
	 * ACTION_COALESCE_DEFAULT_MS */
	int64_t failure_record_ms;
	/* Optional: told on the runner's thread when a trigger's delivery
	 * ends: "started", "already_started", "failed" or "expired" (both
	 * strings borrowed for the call). */
	void (*on_outcome)(void *opaque, const char *idempotency_key,
			   const char *status);
	void *outcome_opaque;
	/* Optional, on the runner's thread: every action_result and
	 * action_finished record once it is audited (event, model, data
	 * borrowed for the call): notifications (notify.h). */
	void (*on_record)(void *opaque, const char *event, const char *model,
			  const json_t *data);
	void *record_opaque;
} action_runner_options;

/* The longest wait between two attempts of one trigger. */
#define ACTION_RUNNER_RETRY_CAP_MS (5 * 60 * 1000)

/* Starts the worker; it picks up what the outbox holds from before. */
int action_runner_start(action_runner **out, const action_runner_options *o,
			kpg_err *err);

/* Writes the trigger for a retrain decision (request: action_build_request's
 * object) to the outbox, durably. The worker sends it once released. */
int action_runner_submit(action_runner *r, const policy *p,
			 const char *idempotency_key, const json_t *request,
			 kpg_err *err);

/* The decision is audited: the trigger may go now. */
void action_runner_release(action_runner *r, const char *idempotency_key);

/* Executions started, and triggers that failed for good or expired, since
 * the start; safe from any thread (the daemon copies them into its
 * metrics). NULL reads 0. */
void action_runner_counts(const action_runner *r, uint64_t *started,
			  uint64_t *failed);

/* Waits up to drain_ms (0: not at all) until no trigger waits for its
 * first delivery (followed executions do not count; a trigger backing
 * off is tried when its time comes, not sooner), then stops the worker,
 * audits the open runs of failures of the triggers left in the outbox,
 * expires those already past their deadline, and frees everything. Returns how many triggers did not start an
 * execution: still undelivered (they stay in the outbox), failed for good
 * or expired. NULL is a no-op. */
int action_runner_stop(action_runner *r, int drain_ms);

#endif
