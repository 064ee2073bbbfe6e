/* replay_report.h - what `kpigate replay` prints at the end: records read
 * and rejected by reason, windows, decisions with reasons, how each
 * retrain's action ended, energy spent (executions that started only),
 * energy of retrains decided but not started, and energy avoided. Text for
 * people, JSON (--json) for scripts.
 *
 * outcomes: how the action runner's deliveries ended, idempotency key ->
 * "started" | "already_started" | "failed" | "expired" (borrowed), with
 * --execute; NULL without it (AWS actions were not sent). A retrain with
 * no outcome under --execute is "undelivered" (still in the outbox). */
#ifndef REPLAY_REPORT_H
#define REPLAY_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "pipeline.h"

/* The whole report as JSON; new reference. audit_path may be NULL. */
json_t *replay_report_json(const pipeline *pl, const json_t *outcomes,
			   const char *audit_path, const audit_log *audit);

/* The same report, readable. */
void replay_report_print(FILE *out, const pipeline *pl, const json_t *outcomes,
			 const char *audit_path, const audit_log *audit);

#endif
