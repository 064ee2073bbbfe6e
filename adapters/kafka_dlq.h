/* kafka_dlq.h - the dead-letter topic: a record kpigate rejected is
 * produced there unchanged (same key and value) with headers saying why and
 * where it came from, so nothing is lost and a person can look at it:
 *   kpigate-reason          capture_reject_name(), e.g. "bad_json"
 *   kpigate-message         the human sentence
 *   kpigate-source          "TOPIC/PARTITION/OFFSET"
 * Delivery is confirmed by kafka_dlq_flush, which the daemon calls before a
 * checkpoint: an offset is never committed past a bad record whose
 * dead-letter copy is not acknowledged. */
#ifndef KAFKA_DLQ_H
#define KAFKA_DLQ_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"

typedef struct kafka_dlq kafka_dlq;

/* props: name/value pairs as in kafka_source.h (security settings apply to
 * the producer too; consumer-only names are skipped). acks=all and
 * idempotence are set. Caller frees with kafka_dlq_close. */
int kafka_dlq_new(kafka_dlq **out, const char *bootstrap_servers,
		  const char *const *props, size_t n_props, const char *topic,
		  kpg_err *err);

/* Queues one record (copied). Returns 0 or KPG_EIO (queue full, ...). */
int kafka_dlq_send(kafka_dlq *q, const void *key, size_t key_len,
		   const void *value, size_t len, const char *reason,
		   const char *message, const char *src_topic,
		   int32_t src_partition, int64_t src_offset, kpg_err *err);

/* Waits up to timeout_ms until everything queued is acknowledged. Returns 0,
 * or KPG_EIO when a delivery failed or the wait timed out. */
int kafka_dlq_flush(kafka_dlq *q, int timeout_ms, kpg_err *err);

/* Records acknowledged by the broker so far. */
uint64_t kafka_dlq_delivered(const kafka_dlq *q);

/* Flushes (bounded) and frees. NULL is a no-op. */
void kafka_dlq_close(kafka_dlq *q, int timeout_ms);

#endif
