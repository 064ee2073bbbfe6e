/* daemon_task.h - the daemon's unit of work and of state: one capture
 * partition (and the ground-truth partition with the same number), with
 * its own pipeline and its own checkpoint folder
 * STATE_DIR/<capture_topic>-<partition>/ (state.h).
 *
 * Why per partition: records are keyed by endpoint, so all of a model's
 * records live in one partition, and a partition is what the consumer
 * group moves between replicas. Whoever owns the partition owns its
 * state: the new owner loads the checkpoint the old one wrote on revoke
 * (Kafka Streams' task model). Replicas therefore share state_dir (one
 * volume, e.g. EFS); a single replica can use a local disk.
 *
 * Decisions taken since the last checkpoint are journaled (decided.log,
 * fsync'd after the audit record, before the action) so that a replica
 * taking the partition over after a crash never decides them again.
 *
 * A task holds an exclusive flock on its folder's `lock` file while it
 * is open, so two replicas can never write one partition's checkpoint at
 * once (a zombie that has not yet noticed it lost the partition keeps the
 * new owner waiting, not corrupting). */
#ifndef DAEMON_TASK_H
#define DAEMON_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "kpg_error.h"
#include "pipeline.h"
#include "policy.h"
#include "state.h"
#include "task_merge.h"

#define DAEMON_TASK_CAPTURE 1u /* owns capture partition */
#define DAEMON_TASK_GT 2u      /* owns the ground-truth partition */

typedef struct daemon_task {
	int32_t partition;
	unsigned owned; /* DAEMON_TASK_* bits */
	pipeline pl;
	state_ctx st;
	const state_ctx *audit_keys;      /* borrowed: decisions noted from the
					     replica's audit log at start-up */
	const state_ctx *audit_evaluated; /* borrowed: windows whose
					     window_evaluated record is there */
	char *dir;                        /* owned: its checkpoint folder */
	int lock_fd;
	int decided_fd; /* the decided-keys journal, O_APPEND */
	int dirty;      /* records applied since the checkpoint */
	int64_t last_checkpoint_ms;
	uint64_t checkpoints;       /* written since the task was opened */
	state_model_status *status; /* borrowed from st after the load */
	int restored;               /* a checkpoint was found and loaded */
	/* tallies already counted in the metrics (restored ones included,
	 * so a hand-over does not count them again) */
	uint64_t rep_windows, rep_retrains, rep_holds, rep_joined, rep_late;
	uint64_t rep_quality; /* data-quality violations reported */
	/* records read but held until the other topic's partition catches
	 * up (timestamp order, task_merge.h); paused[side]: fetching that
	 * partition is paused while too many are held */
	task_merge merge;
	int paused[2];
	int64_t caught_up_asked_ms; /* when a leader was last asked */
	uint64_t rep_order_timeouts;
	size_t metrics_seen; /* entries of pl.decisions in the per-model
				metrics (daemon_metrics.h) */
} daemon_task;

/* Opens the task of partition: creates its folder, takes its lock
 * (waiting up to lock_wait_ms), builds a pipeline from the n policies
 * (ownership taken, also on failure) writing to audit, and loads the
 * folder's checkpoint if there is one. The pipeline does not audit
 * policy_loaded (the daemon did once at start). Returns 0, KPG_EBUSY when
 * the lock stays held, KPG_EINTEGRITY for a corrupt checkpoint, KPG_EIO,
 * KPG_ENOMEM. */
int daemon_task_open(daemon_task **out, const char *state_dir,
		     const char *capture_topic, int32_t partition,
		     policy **pols, size_t n, const pipeline_options *po,
		     audit_log *audit, const state_ctx *audit_keys,
		     const state_ctx *audit_evaluated, int lock_wait_ms,
		     kpg_err *err);

/* Writes the task's checkpoint (state_save), then forgets the decisions
 * it harvested. The caller stores the offsets afterwards. */
int daemon_task_checkpoint(daemon_task *t, kpg_err *err);

/* Frees everything and releases the lock. NULL is a no-op. */
void daemon_task_close(daemon_task *t);

/* The pipeline hook (opaque = the task): PIPELINE_DECIDED when decided
 * before, per the task's checkpoint and journal or the replica's audit
 * log; PIPELINE_EVALUATED when only its evaluation is in the audit log;
 * else PIPELINE_NEW. */
int daemon_task_already_decided(void *opaque, size_t model, const char *key);

#endif
