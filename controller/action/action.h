/* action.h - what a retrain decision sends: the exact request for the
 * policy's action (SageMaker StartPipelineExecution, Step Functions
 * StartExecution, a webhook (action_webhook.h), or a dry run), with
 * placeholders filled from the decision. Until the AWS adapter lands, AWS actions are recorded with
 * status "not_sent" — nothing leaves the machine. */
#ifndef ACTION_H
#define ACTION_H

#include <jansson.h>

#include "kpg_error.h"
#include "policy.h"

/* Builds {"action":..., "target":..., "body":{...}} for the decision.
 * Caller owns *out (json_decref). */
int action_build_request(const policy *p, const policy_window_eval *ev,
			 const policy_decision *d, json_t **out, kpg_err *err);

/* Fills {placeholders} of tmpl: {model} {window} {drifted_features} {kpis}
 * {idempotency_key}. Returns a malloc'd string (caller frees) or NULL. */
char *action_expand(const char *tmpl, const policy *p,
		    const policy_window_eval *ev, const policy_decision *d);

/* The 64-hex SHA-256 of the idempotency key: SageMaker's
 * ClientRequestToken (32..128 chars) and the Step Functions name stem. */
void action_token(const char *idempotency_key, char out[65]);

#endif
