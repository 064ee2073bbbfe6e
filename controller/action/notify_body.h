/* notify_body.h - what a notification says (docs/notifications.md): the
 * JSON body of an event, or the Slack-compatible {"text": "..."} with one
 * readable line. Built from the decision as audited, so a receiver sees
 * the same window, reasons and KPIs as the audit log. */
#ifndef NOTIFY_BODY_H
#define NOTIFY_BODY_H

#include <jansson.h>

#include "kpg_error.h"
#include "policy.h"

/* The JSON body of event for a decision: event, model, endpoint, window
 * {index, start, end, records}, decision, reasons, decisive_reason, kpis,
 * kpi_breached, dataset_drift, drifted_share, drifted_features,
 * idempotency_key, audit_record_hash, kpigate_version. decision is the
 * decision record's data (borrowed). Returns a new object (caller
 * json_decref) or NULL when out of memory. */
json_t *notify_body_event(const char *event, const policy *pol,
			  const policy_window_eval *ev, const policy_decision *d,
			  const json_t *decision, const char *record_hash);

/* The JSON body of an action event (action_failed, execution_finished):
 * event, model, idempotency_key, action, status, record (the audit
 * record's data: AWS's error, the execution, measured energy),
 * kpigate_version. New object or NULL. */
json_t *notify_body_action(const char *event, const char *model, const json_t *record);

/* {"text": "..."} from a body made by notify_body_event or
 * notify_body_action: "kpigate: drift
 * alert for model m1, window 12 (START to END): drifted f1, f2 (2 of 5
 * features); decision hold: REASON". New object or NULL. */
json_t *notify_body_slack(const json_t *body);

/* The bytes sent: compact, keys sorted. Caller frees; NULL when out of
 * memory. */
char *notify_body_dump(const json_t *body);

#endif
