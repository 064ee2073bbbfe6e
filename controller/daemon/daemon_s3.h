/* daemon_s3.h - the daemon's S3 source (source.type "s3"): SageMaker's
 * data-capture files, and ground truth in the same hour layout, polled.
 *
 * Every source.poll_seconds both prefixes are listed (s3_source.h: the
 * rules of `replay --capture s3://`), and the objects not yet processed
 * whose hour is within source.lookback_hours of the latest hour processed
 * (s3_cursor.h) are read whole, in the order `kpigate replay` reads the
 * same files: by hour, ground truth before captures of the same hour,
 * then by key. Each line goes through the pipeline calls replay makes
 * (arrival = the object's hour, endpoint = its ENDPOINT folder), so the
 * windows, decisions and audit records are replay's.
 *
 * Exactly once: an object is noted in the cursor only after its last
 * line, and the cursor is saved in the task's checkpoint together with
 * the pipeline state it produced (state_cursor_set, then state_save); a
 * checkpoint is only ever written between objects. After a crash the
 * restored state has exactly the objects the restored cursor names, and
 * the rest, a partly read one included, are read again from their first
 * line (docs/s3.md). */
#ifndef DAEMON_S3_H
#define DAEMON_S3_H

#include <signal.h>
#include <stdint.h>

#include "config.h"
#include "kpg_error.h"
#include "metrics.h"
#include "pipeline.h"
#include "s3_cursor.h"
#include "s3_source.h"
#include "state.h"

typedef struct daemon_s3 {
	const config *cfg; /* borrowed */
	metrics *m;        /* borrowed: kpigate_s3_* and record counters */
	s3_source src;
	s3_cursor cur;
	int64_t lookback_ms;
	size_t lists_seen, gets_seen; /* src's request counts already in m */
} daemon_s3;

/* Called after each object, between pipeline calls: the place to
 * checkpoint. A non-zero return stops the poll with that code. */
typedef int (*daemon_s3_between_fn)(void *opaque);

/* Prepares the source (no request yet; the client is made at the first
 * listing). Close with daemon_s3_close. */
void daemon_s3_open(daemon_s3 *s, const config *cfg, metrics *m);
void daemon_s3_close(daemon_s3 *s);

/* The cursor from a loaded checkpoint (st's cursor bytes; none: from
 * the start). KPG_EINTEGRITY for bytes that are not a cursor. */
int daemon_s3_restore(daemon_s3 *s, const state_ctx *st, kpg_err *err);

/* Puts the cursor (pruned to the look-back) into st for the next
 * state_save. */
int daemon_s3_save(daemon_s3 *s, state_ctx *st, kpg_err *err);

/* One poll into pl: lists, then processes every new object, calling
 * between after each; stops between objects when *stop is set. A failed
 * listing or read is logged and counted and ends the poll (the next one
 * retries the same object: later ones are never read first). Returns 0,
 * or the error that must stop the daemon (the pipeline's, the cursor's,
 * between's) with err set. */
int daemon_s3_poll(daemon_s3 *s, pipeline *pl, daemon_s3_between_fn between,
		   void *opaque, volatile sig_atomic_t *stop, kpg_err *err);

#endif
