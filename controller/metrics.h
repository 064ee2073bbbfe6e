/* metrics.h - every counter the daemon exposes, in one place. Writers (the
 * consumer loop) and readers (the HTTP endpoint's thread) use relaxed C11
 * atomics: each value is exact, a scrape is not a consistent snapshot.
 * Rendered in the Prometheus text format. */
#ifndef METRICS_H
#define METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"

typedef struct metrics {
	atomic_uint_fast64_t capture_records;   /* lines consumed */
	atomic_uint_fast64_t capture_rejected[CAPTURE_REJECT__COUNT];
	atomic_uint_fast64_t ground_truth_records;
	atomic_uint_fast64_t ground_truth_rejected;
	atomic_uint_fast64_t labels_joined;
	atomic_uint_fast64_t windows_evaluated;
	atomic_uint_fast64_t decisions_retrain, decisions_hold;
	atomic_uint_fast64_t actions_started, actions_failed;
	atomic_uint_fast64_t audit_records;
	atomic_uint_fast64_t checkpoints;
	atomic_uint_fast64_t dead_lettered;
	atomic_int_fast64_t consumer_lag;       /* messages, from librdkafka stats */
	atomic_uint_fast64_t records_per_second; /* over the last interval */
	atomic_uint_fast64_t policy_reloads, policy_rejects;
} metrics;

void metrics_init(metrics *m);

static inline void metrics_add(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Renders m into buf (Prometheus text exposition format 0.0.4). Returns the
 * length written, or the length needed when it does not fit (like snprintf). */
size_t metrics_render(const metrics *m, char *buf, size_t cap);

#endif
