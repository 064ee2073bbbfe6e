/* kafka_source.h - the daemon's Kafka consumer: a librdkafka consumer group
 * member that hands out batches of borrowed record views and stores an
 * offset only when the owner says the record's effects are durable
 * (at-least-once; STYLE.md rule 5).
 *
 * Contract:
 * - enable.auto.offset.store is always false (setting it true is refused)
 *   and enable.partition.eof is false; enable.auto.commit keeps
 *   librdkafka's default (true), so stored offsets are committed in the
 *   background, and kafka_src_commit_sync commits them now.
 * - Rebalances are handled for both protocols (cooperative-sticky:
 *   incremental assign/unassign; eager: assign(list)/assign(NULL)). On a
 *   revoke the owner's hook runs first (flush, checkpoint, store offsets),
 *   then the stored offsets are committed (unless the partitions were
 *   lost), then the partitions are given up. Hooks run inside
 *   kafka_src_poll_batch or kafka_src_close, on the caller's thread.
 * - Everything runs on one thread: no call may be made concurrently. */
#ifndef KAFKA_SOURCE_H
#define KAFKA_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"

typedef struct kafka_src kafka_src;

/* One topic partition, as passed to the rebalance hooks (borrowed for the
 * duration of the hook). */
typedef struct kafka_src_tp {
	const char *topic;
	int32_t partition;
} kafka_src_tp;

typedef struct kafka_src_hooks {
	void *opaque; /* passed back to every hook */
	/* Partitions just added to this member's assignment (after assign);
	 * n is 0 when the member joined with nothing assigned. */
	void (*on_assign)(void *opaque, const kafka_src_tp *tps, size_t n);
	/* Partitions about to be taken away. lost != 0 when they are already
	 * owned by someone else (session timeout, fatal): do not expect
	 * stored offsets to be committed then. The owner may call
	 * kafka_src_store_offset from here; records of these partitions it
	 * still holds must be finished or dropped before returning. */
	void (*on_revoke)(void *opaque, const kafka_src_tp *tps, size_t n,
			  int lost);
} kafka_src_hooks;

typedef struct kafka_src_config {
	const char *bootstrap_servers;  /* required unless in properties */
	const char *group_id;           /* required unless in properties */
	const char *capture_topic;      /* required */
	const char *ground_truth_topic; /* optional, NULL = none */
	/* Extra librdkafka properties, passed through verbatim in order
	 * (security.protocol, sasl.*, ssl.*, ...): props[2*i] = name,
	 * props[2*i+1] = value, n_props pairs. bootstrap_servers and group_id
	 * above override the same names given here. */
	const char *const *props;
	size_t n_props;
	/* statistics.interval.ms for the lag counter: 0 = off, else
	 * 10..3,600,000. */
	int stats_interval_ms;
	kafka_src_hooks hooks;
} kafka_src_config;

/* One record, borrowed: every pointer is valid until kafka_src_release_batch
 * or the next kafka_src_poll_batch (which releases the previous batch). */
typedef struct kafka_msg_view {
	const char *topic;
	int32_t partition;
	int64_t offset;
	const void *key; /* NULL when the record has no key */
	size_t key_len;
	const void *payload; /* NULL when the record has no value */
	size_t len;
	int64_t timestamp_ms; /* -1 when the record carries none */
	const void *rkm;      /* the rd_kafka_message_t, for kafka_src_header */
} kafka_msg_view;

/* Counters, read with kafka_src_get_counters (one place for the metrics). */
typedef struct kafka_src_counters {
	uint64_t records;          /* records handed out */
	uint64_t transient_errors; /* consumer errors that did not stop us */
	uint64_t assigns, revokes; /* rebalance hook calls */
	uint64_t stats_reports;    /* statistics callbacks seen */
	int64_t lag;               /* sum of consumer_lag over assigned
				      partitions in the last report, -1 before */
} kafka_src_counters;

/* Creates a consumer subscribed to the capture (and ground-truth) topic.
 * A bad property name or value fails with librdkafka's message in err.
 * *out is owned by the caller; free it with kafka_src_close. The config's
 * strings are copied by librdkafka; cfg need not outlive the call except
 * hooks.opaque, which must outlive the consumer. */
int kafka_src_new(kafka_src **out, const kafka_src_config *cfg, kpg_err *err);

/* Releases the previous batch, then waits up to timeout_ms for up to max
 * records (max <= 100,000) and fills out[0..*n). *n may be 0 (timeout).
 * Consumer errors are counted and logged; a fatal error (__FATAL) sets the
 * fatal flag and returns KPG_EIO with librdkafka's reason. No allocation
 * per record: the internal array grows only when max grows. */
int kafka_src_poll_batch(kafka_src *src, kafka_msg_view *out, size_t max,
			 int timeout_ms, size_t *n, kpg_err *err);

/* Returns the held batch's messages to librdkafka; views die here. */
void kafka_src_release_batch(kafka_src *src);

/* Takes one record of the current batch out of it: its view stays valid
 * after the batch is released, until kafka_src_msg_free(v->rkm). Every
 * kept record must be freed before kafka_src_close. KPG_ENOTFOUND when v
 * is not a record of the current batch. */
int kafka_src_keep(kafka_src *src, const kafka_msg_view *v);
void kafka_src_msg_free(const void *rkm);

/* Whether this consumer has been handed every record of an assigned
 * partition that the broker holds now: asks the partition leader for its
 * high watermark (waits up to timeout_ms) and compares it with the
 * position (the offset after the last record handed out; when none was,
 * next_offset, the owner's own resume point, or -1 for "unknown").
 * Returns 0 with *caught_up, or KPG_EIO when the leader did not answer. */
int kafka_src_caught_up(kafka_src *src, const char *topic, int32_t partition,
			int64_t next_offset, int timeout_ms, int *caught_up,
			kpg_err *err);

/* The first offset the partition's leader still holds (its log start,
 * which retention moves forward and nothing moves back): the one
 * librdkafka last saw when that is already past `past`, else the leader's
 * answer, waiting up to timeout_ms. 0 with *log_start, or KPG_EIO when
 * the leader did not answer. */
int kafka_src_log_start(kafka_src *src, const char *topic, int32_t partition,
			int64_t past, int timeout_ms, int64_t *log_start,
			kpg_err *err);

/* Pauses (pause = 1) or resumes (0) fetching one assigned partition. */
int kafka_src_pause(kafka_src *src, const char *topic, int32_t partition,
		    int pause, kpg_err *err);

/* The last header called name of a record: 0 with *val and *len borrowed like
 * the view (val NULL for a header without a value), or KPG_ENOTFOUND. */
int kafka_src_header(const kafka_msg_view *msg, const char *name,
		     const void **val, size_t *len);

/* Marks offset (the offset of the last record whose effects are durable)
 * as processed: stores offset + 1, the next record to read, which the
 * next commit sends. The partition must be assigned to us (KPG_EINVAL
 * otherwise). Allocates a one-entry list: call per partition per batch,
 * not per record. */
int kafka_src_store_offset(kafka_src *src, const char *topic,
			   int32_t partition, int64_t offset, kpg_err *err);

/* Commits the stored offsets now and waits for the answer; nothing
 * stored is not an error. */
int kafka_src_commit_sync(kafka_src *src, kpg_err *err);

/* 1 once librdkafka raised a fatal error: the owner must close. */
int kafka_src_fatal(const kafka_src *src);

void kafka_src_get_counters(const kafka_src *src, kafka_src_counters *c);

/* Shuts down in order: releases the batch, leaves the group (the revoke
 * hook runs, stored offsets are committed) within timeout_ms (<= 0:
 * 10 s), then destroys the handle; if leaving takes longer it is
 * abandoned (KPG_EIO, but everything is freed). NULL is a no-op. */
int kafka_src_close(kafka_src *src, int timeout_ms, kpg_err *err);

#endif
