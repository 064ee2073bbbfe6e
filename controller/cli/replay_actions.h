/* replay_actions.h - how the retrains of a replay ended, and what that
 * means for the energy: only an execution that started spends energy;
 * a retrain decided but not started (dry_run, not_sent, failed, expired,
 * undelivered) keeps its estimate apart, not counted as spent. Read by the
 * replay report (text and JSON) and its run_summary. */
#ifndef REPLAY_ACTIONS_H
#define REPLAY_ACTIONS_H

#include <jansson.h>
#include <stdint.h>

#include "pipeline.h"

typedef struct replay_actions {
	uint64_t retrains, started, not_started;
	double kwh_spent, kg_spent;             /* executions that started */
	double kwh_not_started, kg_not_started; /* their estimates */
	json_t *by_status;                      /* owned: status -> count */
} replay_actions;

/* The action status of one pl->decisions element: NULL for a hold; for a
 * retrain "dry_run" (the policy's action), "not_sent" (outcomes NULL: no
 * --execute), the outcome the runner gave ("started", "already_started",
 * "failed", "expired"), or "undelivered" (none yet). Static string or
 * borrowed from outcomes. */
const char *replay_actions_status(const pipeline *pl, const json_t *decision,
				  const json_t *outcomes);

/* 1 for a status whose execution started. */
int replay_actions_started(const char *status);

/* Tallies the retrains of one model (model NULL: all of them) into *out
 * (caller frees with replay_actions_free). KPG_ENOMEM. */
int replay_actions_tally(const pipeline *pl, const char *model,
			 const json_t *outcomes, replay_actions *out);
void replay_actions_free(replay_actions *a);

/* {"kwh_spent", ...} style JSON of a tally (new reference): counts per
 * status, started, not_started and the not-started estimate. */
json_t *replay_actions_json(const replay_actions *a);

#endif
