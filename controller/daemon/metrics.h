/* metrics.h - every counter and gauge the daemon exposes, in one place.
 * Writers (the consumer loop) and readers (the HTTP endpoint's thread,
 * http_server.h) use relaxed C11 atomics: each value is exact, a scrape
 * is not a consistent snapshot. Rendered in the Prometheus text format;
 * names and meanings are listed in docs/operations.md.
 *
 * The caller owns the metrics struct; it must outlive every reader (stop
 * the HTTP server before freeing it). */
#ifndef METRICS_H
#define METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"

/* Why the daemon is (not) ready, for GET /readyz. Only METRICS_READY
 * renders kpigate_ready 1. */
typedef enum metrics_readiness {
	METRICS_STARTING = 0, /* not in the consumer loop yet (zeroed) */
	METRICS_UNASSIGNED,   /* in the loop, no partitions assigned: joining
				 the group, rebalancing, or more replicas than
				 partitions */
	METRICS_READY,        /* a group member with an assignment */
	METRICS_STOPPING      /* shutting down */
} metrics_readiness;

/* Per-model series (kpigate_model_*): the latest decided window's KPIs
 * and drift scores, decisions and energy by model. Their label values
 * are strings, so unlike the atomics above they sit behind one mutex
 * (models_lock): the consumer loop holds it while it updates a model,
 * the HTTP thread while it renders them. Label cardinality is capped:
 * at most METRICS_MAX_MODELS models, METRICS_MAX_FEATURES features and
 * METRICS_MAX_KPIS KPIs each; what does not fit is counted in
 * kpigate_metrics_series_dropped_total and logged once (docs/operations.md). */
#define METRICS_MAX_MODELS 32
#define METRICS_MAX_FEATURES 64
#define METRICS_MAX_KPIS 16

/* Each slot type starts with its name: metrics.c finds slots by it. */
typedef struct metrics_kpi {
	char *name; /* owned: "accuracy", "auc", ... */
	double value, threshold;
	int has_value, has_threshold;
} metrics_kpi;

typedef struct metrics_feature {
	char *name;     /* owned */
	double psi, ks; /* the latest decided window's; NaN = not computed */
} metrics_feature;

typedef struct metrics_model {
	char *name; /* owned */
	metrics_kpi kpis[METRICS_MAX_KPIS];
	size_t n_kpis;
	metrics_feature *features; /* owned, METRICS_MAX_FEATURES once used */
	size_t n_features;
	double retrains, holds;                              /* decisions: counts, doubles so that every
				   counter of a model renders alike */
	double kwh_spent, kg_spent, kwh_avoided, kg_avoided; /* estimated */
} metrics_model;

typedef struct metrics {
	/* counters, rendered as kpigate_<name>_total */
	atomic_uint_fast64_t capture_records; /* lines consumed */
	atomic_uint_fast64_t capture_rejected[CAPTURE_REJECT__COUNT];
	atomic_uint_fast64_t ground_truth_records;
	atomic_uint_fast64_t ground_truth_rejected;
	atomic_uint_fast64_t labels_joined;
	atomic_uint_fast64_t labels_late; /* their window was already decided */
	atomic_uint_fast64_t windows_evaluated;
	atomic_uint_fast64_t quality_violations; /* failed data-quality checks */
	atomic_uint_fast64_t decisions_retrain, decisions_hold;
	atomic_uint_fast64_t actions_started, actions_failed;
	atomic_uint_fast64_t audit_records;
	atomic_uint_fast64_t checkpoints;
	atomic_uint_fast64_t dead_lettered;
	atomic_uint_fast64_t policy_reloads, policy_rejects;
	atomic_uint_fast64_t state_handovers; /* partition state loaded from
						 another owner's checkpoint */
	atomic_uint_fast64_t rebalances;      /* assignment changes (assign,
						 revoke or lose) */
	atomic_uint_fast64_t kafka_errors;    /* non-fatal client errors */
	/* source.type s3 (daemon_s3.h) */
	atomic_uint_fast64_t s3_polls;         /* listings of the prefixes */
	atomic_uint_fast64_t s3_objects;       /* objects read to their end */
	atomic_uint_fast64_t s3_late_objects;  /* of an hour the look-back had
						 passed when they were written */
	atomic_uint_fast64_t s3_errors;        /* failed listings and reads,
						 corrupt objects, ETag changes */
	atomic_uint_fast64_t s3_list_requests; /* ListObjectsV2 calls */
	atomic_uint_fast64_t s3_get_requests;  /* GetObject calls */
	atomic_uint_fast64_t data_gaps;        /* partitions resumed past records
						 retention removed (daemon_gap.h) */
	atomic_uint_fast64_t data_gap_offsets; /* offsets those gaps skipped */
	atomic_uint_fast64_t order_timeouts;   /* records let go after
						 kafka.max_task_idle_ms
						 (task_merge.h) */

	/* gauges */
	atomic_int_fast64_t consumer_lag;        /* messages, from librdkafka stats */
	atomic_uint_fast64_t records_per_second; /* over the last interval */
	atomic_uint_fast64_t assigned_partitions;
	atomic_uint_fast64_t open_windows;    /* windows holding records */
	atomic_uint_fast64_t waiting_windows; /* closed, waiting for labels */
	atomic_uint_fast64_t held_records;    /* read, waiting for the other
					      topic (task_merge.h) */
	atomic_uint_fast64_t policies_loaded;
	atomic_int ready;                       /* a metrics_readiness */
	atomic_int_fast64_t heartbeat_ms;       /* wall clock of the consumer
						   loop's last iteration; 0 =
						   not started */
	atomic_int_fast64_t last_checkpoint_ms; /* wall clock; 0 = none yet */
	int64_t start_ms;                       /* set by metrics_init */

	/* per model, under models_lock */
	pthread_mutex_t models_lock;
	metrics_model *models; /* owned, METRICS_MAX_MODELS once used */
	size_t n_models;
	uint64_t series_dropped;                         /* slots refused past a cap */
	int warned_models, warned_features, warned_kpis; /* logged once */
} metrics;

/* Zeroes every value and notes the start time. */
void metrics_init(metrics *m);

/* Frees the per-model series. No reader may remain (stop the HTTP
 * server first). */
void metrics_free(metrics *m);

/* Writers of the per-model series take models_lock around these. */
void metrics_models_lock(metrics *m);
void metrics_models_unlock(metrics *m);

/* Under the lock: the slot of model name, of a feature or a KPI of it,
 * created zeroed on first use. NULL past the cap or out of memory:
 * counted in series_dropped and logged once per kind. Borrowed until
 * metrics_free. */
metrics_model *metrics_model_slot(metrics *m, const char *name);
metrics_feature *metrics_feature_slot(metrics *m, metrics_model *mm,
				      const char *name);
metrics_kpi *metrics_kpi_slot(metrics *m, metrics_model *mm, const char *name);

static inline void metrics_add(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Gauge setters and readers. */
static inline void metrics_set(atomic_uint_fast64_t *g, uint64_t v)
{
	atomic_store_explicit(g, v, memory_order_relaxed);
}

static inline void metrics_set_i64(atomic_int_fast64_t *g, int64_t v)
{
	atomic_store_explicit(g, v, memory_order_relaxed);
}

static inline uint64_t metrics_get(const atomic_uint_fast64_t *g)
{
	return atomic_load_explicit(g, memory_order_relaxed);
}

static inline int64_t metrics_get_i64(const atomic_int_fast64_t *g)
{
	return atomic_load_explicit(g, memory_order_relaxed);
}

/* The consumer loop calls this every iteration with kpg_time_now_ms();
 * GET /healthz fails when it goes stale. */
static inline void metrics_heartbeat(metrics *m, int64_t now_ms)
{
	atomic_store_explicit(&m->heartbeat_ms, now_ms, memory_order_relaxed);
}

static inline void metrics_set_ready(metrics *m, metrics_readiness r)
{
	atomic_store_explicit(&m->ready, (int)r, memory_order_relaxed);
}

static inline metrics_readiness metrics_get_ready(const metrics *m)
{
	return (metrics_readiness)atomic_load_explicit(&m->ready,
						       memory_order_relaxed);
}

/* One sentence for GET /readyz: "ready", "consumer not started yet", ... */
const char *metrics_readiness_reason(metrics_readiness r);

/* Renders m into buf (Prometheus text exposition format 0.0.4). Returns the
 * length written, or the length needed when it does not fit (like snprintf;
 * buf may be NULL when cap is 0). Takes models_lock (m is not const for
 * it). */
size_t metrics_render(metrics *m, char *buf, size_t cap);

#endif
