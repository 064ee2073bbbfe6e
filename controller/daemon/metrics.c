#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpg_log.h"
#include "kpg_time.h"

void metrics_init(metrics *m)
{
	memset(m, 0, sizeof(*m));
	m->start_ms = kpg_time_now_ms();
	pthread_mutex_init(&m->models_lock, NULL);
}

void metrics_free(metrics *m)
{
	for (size_t i = 0; i < m->n_models; i++) {
		metrics_model *mm = &m->models[i];

		for (size_t k = 0; k < mm->n_kpis; k++)
			free(mm->kpis[k].name);
		for (size_t f = 0; f < mm->n_features; f++)
			free(mm->features[f].name);
		free(mm->features);
		free(mm->name);
	}
	free(m->models);
	m->models = NULL;
	m->n_models = 0;
	pthread_mutex_destroy(&m->models_lock);
}

void metrics_models_lock(metrics *m)
{
	pthread_mutex_lock(&m->models_lock);
}

void metrics_models_unlock(metrics *m)
{
	pthread_mutex_unlock(&m->models_lock);
}

/* A slot refused: counted, and the first of each kind logged. */
static void *slot_dropped(metrics *m, int *warned, const char *what,
			  const char *name, int cap)
{
	m->series_dropped++;
	if (!*warned) {
		*warned = 1;
		log_warnx("metrics: no per-model series for %s \"%s\" (at most %d, "
			  "or out of memory); counted in "
			  "kpigate_metrics_series_dropped_total, logged once",
			  what, name, cap);
	}
	return NULL;
}

/* The element of arr (*n of size bytes, each starting with its owned
 * char *name) named name, or a new zeroed one appended when fewer than
 * cap are there; NULL when full or out of memory. */
static void *slot_find_add(void *arr, size_t size, size_t *n, size_t cap,
			   const char *name)
{
	char *p = arr;

	for (size_t i = 0; i < *n; i++, p += size)
		if (strcmp(*(char **)p, name) == 0)
			return p;
	if (arr == NULL || *n == cap)
		return NULL;
	memset(p, 0, size);
	if ((*(char **)p = strdup(name)) == NULL)
		return NULL;
	(*n)++;
	return p;
}

metrics_model *metrics_model_slot(metrics *m, const char *name)
{
	metrics_model *mm;

	if (m->models == NULL)
		m->models = calloc(METRICS_MAX_MODELS, sizeof(*m->models));
	mm = slot_find_add(m->models, sizeof(*mm), &m->n_models, METRICS_MAX_MODELS,
			   name);
	if (mm == NULL)
		return slot_dropped(m, &m->warned_models, "model", name,
				    METRICS_MAX_MODELS);
	return mm;
}

metrics_feature *metrics_feature_slot(metrics *m, metrics_model *mm,
				      const char *name)
{
	size_t before = mm->n_features;
	metrics_feature *f;

	if (mm->features == NULL)
		mm->features = calloc(METRICS_MAX_FEATURES, sizeof(*mm->features));
	f = slot_find_add(mm->features, sizeof(*f), &mm->n_features,
			  METRICS_MAX_FEATURES, name);
	if (f == NULL)
		return slot_dropped(m, &m->warned_features, "feature", name,
				    METRICS_MAX_FEATURES);
	if (mm->n_features > before)
		f->psi = f->ks = NAN; /* not computed until a window says */
	return f;
}

metrics_kpi *metrics_kpi_slot(metrics *m, metrics_model *mm, const char *name)
{
	metrics_kpi *k = slot_find_add(mm->kpis, sizeof(*k), &mm->n_kpis,
				       METRICS_MAX_KPIS, name);

	if (k == NULL)
		return slot_dropped(m, &m->warned_kpis, "KPI", name, METRICS_MAX_KPIS);
	return k;
}

const char *metrics_readiness_reason(metrics_readiness r)
{
	switch (r) {
	case METRICS_STARTING:
		return "consumer not started yet";
	case METRICS_UNASSIGNED:
		return "no partitions assigned (joining the group or rebalancing)";
	case METRICS_READY:
		return "ready";
	case METRICS_STOPPING:
		return "shutting down";
	}
	return "unknown readiness state";
}

typedef struct render_buf {
	char *buf;
	size_t cap, len;
} render_buf;

static void rb_printf(render_buf *rb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rb_printf(render_buf *rb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rb->len < rb->cap ? rb->buf + rb->len : NULL,
		      rb->len < rb->cap ? rb->cap - rb->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		rb->len += (size_t)n;
}

static void counter(render_buf *rb, const char *name, const char *help,
		    const atomic_uint_fast64_t *c)
{
	rb_printf(rb, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help,
		  name, name, (unsigned long long)metrics_get(c));
}

static void gauge(render_buf *rb, const char *name, const char *help,
		  const atomic_uint_fast64_t *g)
{
	rb_printf(rb, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help,
		  name, name, (unsigned long long)metrics_get(g));
}

/* A wall-clock time in ms as seconds with exactly three decimals, the
 * Prometheus base unit, without going through a double. */
static void gauge_seconds(render_buf *rb, const char *name, const char *help,
			  int64_t ms)
{
	if (ms < 0)
		ms = 0;
	rb_printf(rb, "# HELP %s %s\n# TYPE %s gauge\n%s %lld.%03lld\n", name,
		  help, name, name, (long long)(ms / 1000), (long long)(ms % 1000));
}

/* A label value in the exposition format: \\, \" and \n escaped. */
static void rb_label(render_buf *rb, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			rb_printf(rb, "\\\\");
		else if (*v == '"')
			rb_printf(rb, "\\\"");
		else if (*v == '\n')
			rb_printf(rb, "\\n");
		else
			rb_printf(rb, "%c", *v);
	}
}

/* One sample name{model="M"[,label="v"]} value; a NaN as Prometheus
 * spells it. */
static void model_sample(render_buf *rb, const char *name, const char *model,
			 const char *label, const char *lv, double v)
{
	rb_printf(rb, "%s{model=\"", name);
	rb_label(rb, model);
	if (label != NULL) {
		rb_printf(rb, "\",%s=\"", label);
		rb_label(rb, lv);
	}
	if (isnan(v))
		rb_printf(rb, "\"} NaN\n");
	else
		rb_printf(rb, "\"} %.17g\n", v);
}

static void family(render_buf *rb, const char *name, const char *type,
		   const char *help)
{
	rb_printf(rb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A KPI family: each KPI's value, or its threshold, where it has one. */
static void render_kpis(metrics *m, render_buf *rb, const char *name,
			const char *help, int threshold)
{
	family(rb, name, "gauge", help);
	for (size_t i = 0; i < m->n_models; i++)
		for (size_t k = 0; k < m->models[i].n_kpis; k++) {
			const metrics_kpi *mk = &m->models[i].kpis[k];

			if (threshold ? mk->has_threshold : mk->has_value)
				model_sample(rb, name, m->models[i].name, "kpi", mk->name,
					     threshold ? mk->threshold : mk->value);
		}
}

/* A feature family: each feature's PSI, or its KS statistic. */
static void render_features(metrics *m, render_buf *rb, const char *name,
			    const char *help, int ks)
{
	family(rb, name, "gauge", help);
	for (size_t i = 0; i < m->n_models; i++)
		for (size_t f = 0; f < m->models[i].n_features; f++) {
			const metrics_feature *mf = &m->models[i].features[f];

			model_sample(rb, name, m->models[i].name, "feature", mf->name,
				     ks ? mf->ks : mf->psi);
		}
}

/* A counter family of two series per model, label=a and label=b. */
static void render_pair(metrics *m, render_buf *rb, const char *name,
			const char *help, const char *label, const char *a,
			size_t a_at, const char *b, size_t b_at)
{
	family(rb, name, "counter", help);
	for (size_t i = 0; i < m->n_models; i++) {
		const char *mm = (const char *)&m->models[i];
		double va, vb;

		memcpy(&va, mm + a_at, sizeof(va));
		memcpy(&vb, mm + b_at, sizeof(vb));
		model_sample(rb, name, m->models[i].name, label, a, va);
		model_sample(rb, name, m->models[i].name, label, b, vb);
	}
}

/* The per-model series, under models_lock. */
static void render_models(metrics *m, render_buf *rb)
{
	metrics_models_lock(m);
	render_kpis(m, rb, "kpigate_model_kpi",
		    "The latest decided window's KPI value, by model and KPI.", 0);
	render_kpis(m, rb, "kpigate_model_kpi_threshold",
		    "The policy's threshold of a KPI (min or max), by model and KPI.", 1);
	render_features(m, rb, "kpigate_model_feature_psi",
			"The latest decided window's PSI, by model and feature (NaN: not computed).",
			0);
	render_features(m, rb, "kpigate_model_feature_ks_statistic",
			"The latest decided window's two-sample KS statistic, by model and feature (NaN: not computed).",
			1);
	render_pair(m, rb, "kpigate_model_decisions_total",
		    "Decisions, by model and outcome.", "decision", "retrain",
		    offsetof(metrics_model, retrains), "hold",
		    offsetof(metrics_model, holds));
	render_pair(m, rb, "kpigate_model_energy_kwh_total",
		    "Estimated retraining energy in kWh, by model: spent (retrains decided) or avoided (retrains a drift-only rule would have run).",
		    "effect", "spent", offsetof(metrics_model, kwh_spent), "avoided",
		    offsetof(metrics_model, kwh_avoided));
	render_pair(m, rb, "kpigate_model_carbon_kg_co2e_total",
		    "Estimated retraining emissions in kg CO2e, by model: spent or avoided.",
		    "effect", "spent", offsetof(metrics_model, kg_spent), "avoided",
		    offsetof(metrics_model, kg_avoided));
	family(rb, "kpigate_metrics_series_dropped_total", "counter",
	       "Per-model series not kept: past the caps on models, features or KPIs.");
	rb_printf(rb, "kpigate_metrics_series_dropped_total %llu\n",
		  (unsigned long long)m->series_dropped);
	metrics_models_unlock(m);
}

size_t metrics_render(metrics *m, char *buf, size_t cap)
{
	render_buf rb = {buf, cap, 0};

	rb_printf(&rb, "# HELP kpigate_build_info The running kpigate version.\n"
		       "# TYPE kpigate_build_info gauge\n"
		       "kpigate_build_info{version=\"%s\"} 1\n",
		  KPIGATE_VERSION);
	gauge_seconds(&rb, "kpigate_start_time_seconds",
		      "Start time of the process, seconds since the epoch.", m->start_ms);
	counter(&rb, "kpigate_capture_records_total", "Capture records consumed.",
		&m->capture_records);
	rb_printf(&rb, "# HELP kpigate_capture_rejected_total Capture records rejected, by reason.\n"
		       "# TYPE kpigate_capture_rejected_total counter\n");
	for (int r = 1; r < CAPTURE_REJECT__COUNT; r++)
		rb_printf(&rb, "kpigate_capture_rejected_total{reason=\"%s\"} %llu\n",
			  capture_reject_name((capture_reject)r),
			  (unsigned long long)metrics_get(&m->capture_rejected[r]));
	counter(&rb, "kpigate_ground_truth_records_total", "Ground-truth records consumed.",
		&m->ground_truth_records);
	counter(&rb, "kpigate_ground_truth_rejected_total", "Ground-truth records rejected.",
		&m->ground_truth_rejected);
	counter(&rb, "kpigate_labels_joined_total", "Labels joined to their predictions.",
		&m->labels_joined);
	counter(&rb, "kpigate_labels_late_total",
		"Labels that arrived after their prediction's window was decided (counted, not credited).",
		&m->labels_late);
	counter(&rb, "kpigate_windows_evaluated_total", "Windows closed and evaluated.",
		&m->windows_evaluated);
	counter(&rb, "kpigate_quality_violations_total",
		"Data-quality checks that failed in evaluated windows (constraint violations).",
		&m->quality_violations);
	rb_printf(&rb, "# HELP kpigate_decisions_total Decisions, by outcome.\n"
		       "# TYPE kpigate_decisions_total counter\n"
		       "kpigate_decisions_total{decision=\"retrain\"} %llu\n"
		       "kpigate_decisions_total{decision=\"hold\"} %llu\n",
		  (unsigned long long)metrics_get(&m->decisions_retrain),
		  (unsigned long long)metrics_get(&m->decisions_hold));
	counter(&rb, "kpigate_actions_started_total", "Retraining executions started.",
		&m->actions_started);
	counter(&rb, "kpigate_actions_failed_total", "Retraining executions that failed for good.",
		&m->actions_failed);
	counter(&rb, "kpigate_audit_records_total", "Audit records written and fsync'd.",
		&m->audit_records);
	counter(&rb, "kpigate_checkpoints_total", "State checkpoints written.",
		&m->checkpoints);
	counter(&rb, "kpigate_dead_lettered_total", "Bad records produced to the dead-letter topic.",
		&m->dead_lettered);
	counter(&rb, "kpigate_policy_reloads_total", "Policies (re)loaded.", &m->policy_reloads);
	counter(&rb, "kpigate_policy_rejects_total", "Policy files rejected at (re)load.",
		&m->policy_rejects);
	counter(&rb, "kpigate_state_handovers_total",
		"Partition states loaded from another owner's checkpoint.",
		&m->state_handovers);
	counter(&rb, "kpigate_rebalances_total",
		"Consumer-group assignment changes (assigned, revoked or lost).",
		&m->rebalances);
	counter(&rb, "kpigate_kafka_errors_total", "Non-fatal Kafka client errors.",
		&m->kafka_errors);
	counter(&rb, "kpigate_s3_polls_total", "Listings of the S3 prefixes (source.type s3).",
		&m->s3_polls);
	counter(&rb, "kpigate_s3_objects_total", "S3 objects processed to their end.",
		&m->s3_objects);
	counter(&rb, "kpigate_s3_late_objects_total",
		"S3 objects written into an hour after it left source.lookback_hours: read late, their records may be late_record rejects.",
		&m->s3_late_objects);
	counter(&rb, "kpigate_s3_errors_total",
		"S3 listings and reads that failed, corrupt objects, and objects whose ETag changed after they were processed.",
		&m->s3_errors);
	counter(&rb, "kpigate_s3_list_requests_total", "S3 ListObjectsV2 requests.",
		&m->s3_list_requests);
	counter(&rb, "kpigate_s3_get_requests_total", "S3 GetObject requests.",
		&m->s3_get_requests);
	counter(&rb, "kpigate_order_timeouts_total",
		"Records applied without waiting longer for the other topic's partition.",
		&m->order_timeouts);
	counter(&rb, "kpigate_data_gaps_total",
		"Partitions resumed past records that were gone from Kafka (retention).",
		&m->data_gaps);
	counter(&rb, "kpigate_data_gap_offsets_total",
		"Offsets skipped by those data gaps: records kpigate never saw.",
		&m->data_gap_offsets);
	rb_printf(&rb, "# HELP kpigate_consumer_lag Messages behind the partitions' ends.\n"
		       "# TYPE kpigate_consumer_lag gauge\nkpigate_consumer_lag %lld\n",
		  (long long)metrics_get_i64(&m->consumer_lag));
	gauge(&rb, "kpigate_records_per_second", "Capture records processed per second.",
	      &m->records_per_second);
	gauge(&rb, "kpigate_assigned_partitions", "Partitions assigned to this consumer.",
	      &m->assigned_partitions);
	gauge(&rb, "kpigate_open_windows", "Windows holding records, not yet evaluated.",
	      &m->open_windows);
	gauge(&rb, "kpigate_windows_waiting_labels",
	      "Windows closed and evaluated, not yet decided: waiting for their labels.",
	      &m->waiting_windows);
	gauge(&rb, "kpigate_held_records",
	      "Records read and held until the other topic's partition catches up.",
	      &m->held_records);
	gauge(&rb, "kpigate_policies_loaded", "Policies in force.", &m->policies_loaded);
	rb_printf(&rb, "# HELP kpigate_ready 1 when a group member with an assignment, else 0.\n"
		       "# TYPE kpigate_ready gauge\nkpigate_ready %d\n",
		  metrics_get_ready(m) == METRICS_READY);
	gauge_seconds(&rb, "kpigate_heartbeat_timestamp_seconds",
		      "Last iteration of the consumer loop, seconds since the epoch (0 = not started).",
		      metrics_get_i64(&m->heartbeat_ms));
	gauge_seconds(&rb, "kpigate_last_checkpoint_timestamp_seconds",
		      "Last checkpoint written, seconds since the epoch (0 = none yet).",
		      metrics_get_i64(&m->last_checkpoint_ms));
	render_models(m, &rb);
	return rb.len;
}
