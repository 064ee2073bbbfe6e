/* daemon.h - `kpigate run`: the pipeline fed from Kafka.
 *
 * Loop: poll a batch -> skip records the checkpoint already holds -> route
 * each capture record (message key or header = endpoint) or label into the
 * pipeline (windows close, decisions are audited and fsync'd, actions run)
 * -> after a batch that closed a window, or every checkpoint interval,
 * write the checkpoint (state.h) and only then store the batch's offsets.
 * At-least-once delivery, exactly-once effects: a record re-delivered
 * after a crash is either skipped (its offset is below the checkpoint's)
 * or re-applied to the state the checkpoint had before it; a decision
 * re-reached that way is recognised by its idempotency key (noted from the
 * audit log at start-up) and neither audited nor acted on twice.
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
