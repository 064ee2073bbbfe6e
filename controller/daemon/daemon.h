/* daemon.h - `kpigate run`: the pipeline fed from Kafka.
 *
 * Work and state are split by partition (daemon_task.h): each capture
 * partition, with the ground-truth partition of the same number, has its
 * own pipeline and checkpoint folder in state_dir, opened when the group
 * assigns the partition and checkpointed and closed when it is revoked.
 *
 * Loop: poll a batch -> skip records the task's checkpoint already holds
 * -> route each capture record (header or message key = endpoint) or
 * label into its task's pipeline (windows close, decisions are audited,
 * fsync'd and journaled, actions run) -> every checkpoint interval, write
 * the checkpoint of each task with new records (state.h) and only then
 * store its offsets. At-least-once delivery, exactly-once effects: a
 * record re-delivered after a crash is either skipped (its offset is below
 * the checkpoint's) or re-applied to the state the checkpoint had before
 * it; a decision re-reached that way is recognised by its idempotency key
 * (from the task's journal, its checkpoint, or this replica's audit log)
 * and neither audited nor acted on twice.
 *
 * Policies reload on SIGHUP and on changes in policy_dir
 * (policy_reload.h); /healthz, /readyz and /metrics are served on
 * http.listen (http_server.h).
 *
 * Signals: SIGTERM/SIGINT finish the batch, checkpoint, commit, leave the
 * group and exit 0 within shutdown_timeout_seconds. */
#ifndef DAEMON_H
#define DAEMON_H

#include "config.h"

/* Runs until a signal or a fatal error. Returns the process exit code:
 * 0 after a clean shutdown, 1 on a fatal error (logged). cfg is borrowed. */
int daemon_run(const config *cfg);

#endif
