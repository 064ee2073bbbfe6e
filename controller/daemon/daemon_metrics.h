/* daemon_metrics.h - the per-model series of /metrics (metrics.h), fed
 * from the decisions a task's pipeline made since the last call: the
 * window's KPIs and drift scores, the policy's KPI thresholds, the
 * decision and its energy estimate. Called on the consumer loop's
 * thread, before the pipeline's decisions array is cleared at a
 * checkpoint (daemon_task_checkpoint). */
#ifndef DAEMON_METRICS_H
#define DAEMON_METRICS_H

#include "daemon_task.h"
#include "metrics.h"

/* Takes the decisions of t->pl.decisions past t->metrics_seen into m's
 * per-model series, under m's models_lock, and moves the cursor. */
void daemon_metrics_harvest(metrics *m, daemon_task *t);

#endif
