/* task_merge.h - a task's two partitions (capture N and ground truth N)
 * read in Kafka timestamp order, the way Kafka Streams orders a task's
 * input partitions.
 *
 * Why: a window's KPIs come from its own predictions' labels that arrive
 * before its label wait ends, and the wait runs on the captures' event
 * time, so a label applied after captures it was produced before can miss
 * its window. librdkafka hands out whatever it fetched first; after a
 * restart or with lag, one topic can run hours ahead of the other. Holding records until
 * the other partition has caught up, and then taking the older head first,
 * applies them in the order they were produced, however far behind the
 * consumer is: the daemon decides as `kpigate replay` does on the same
 * records.
 *
 * The rule: with records waiting on both sides, the one with the smaller
 * timestamp goes first (a label on a tie, as replay takes a ground-truth
 * file before a capture file of the same hour). With records on one side
 * only, the head goes once the other side is known to be caught up as of
 * a time after the head was received: every record of the other partition
 * produced before then has been received too (the daemon learns this by
 * asking the partition leader for its high watermark, then comparing it
 * with what it has been handed). Or it goes after the other side has kept
 * it waiting max_idle_ms (a partition that cannot be fetched must not stop
 * the stream; those records then go in arrival order, counted in
 * idle_timeouts).
 *
 * Records are kafka_msg_view copies; the rkm each points into is released
 * with the release function given at init. Queues are rings that grow by
 * doubling and are then reused: nothing is allocated per record. Times are
 * one monotonic clock of the caller's (kpg_time_mono_ms). */
#ifndef TASK_MERGE_H
#define TASK_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "kafka_source.h"
#include "kpg_error.h"

enum { MERGE_CAPTURE = 0,
       MERGE_GT = 1 };

#define MERGE_ALWAYS INT64_MAX /* caught up for good: the side is not ours */

typedef struct merge_item {
	kafka_msg_view v;
	int64_t recv_ms; /* when it was pushed */
} merge_item;

typedef struct merge_queue {
	merge_item *it;
	size_t head, n, cap;  /* owned ring */
	int64_t caught_up_ms; /* every record of the partition produced before
				 this time has been pushed; 0 = not known */
} merge_queue;

typedef struct task_merge {
	merge_queue q[2];
	int64_t waiting_since_ms; /* one side has waited since; 0 = none */
	uint64_t idle_timeouts;   /* records let go by max_idle_ms */
	void (*release)(const void *rkm);
} task_merge;

void merge_init(task_merge *m, void (*release)(const void *rkm));
/* Releases every held record and frees the rings. */
void merge_free(task_merge *m);

/* Holds a record of side (MERGE_*) received at now_ms. KPG_ENOMEM (the
 * record is not held; the caller still owns it). */
int merge_push(task_merge *m, int side, const kafka_msg_view *v, int64_t now_ms,
	       kpg_err *err);

/* Side's partition is caught up as of as_of_ms (never moves back), or
 * MERGE_ALWAYS when it is not ours: it then never holds the other side. */
void merge_set_caught_up(task_merge *m, int side, int64_t as_of_ms);

/* Releases the side's held records (its partition was revoked). */
void merge_drop(task_merge *m, int side);

size_t merge_held(const task_merge *m, int side);

/* The side whose catching up would let records go now (the other side
 * holds records received after it was last known caught up), or -1. */
int merge_blocked_on(const task_merge *m);

/* 1 with *out popped (the caller applies it, then releases out->rkm), or
 * 0 when nothing may go yet. max_idle_ms < 0: wait forever. */
int merge_next(task_merge *m, int64_t now_ms, int64_t max_idle_ms,
	       kafka_msg_view *out);

#endif
