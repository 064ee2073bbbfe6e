#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void metrics_init(metrics *m)
{
	memset(m, 0, sizeof(*m));
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

static uint64_t ld(const atomic_uint_fast64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static void counter(render_buf *rb, const char *name, const char *help,
		    const atomic_uint_fast64_t *c)
{
	rb_printf(rb, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help,
		  name, name, (unsigned long long)ld(c));
}

size_t metrics_render(const metrics *m, char *buf, size_t cap)
{
	render_buf rb = {buf, cap, 0};

	counter(&rb, "kpigate_capture_records_total", "Capture records consumed.",
		&m->capture_records);
	rb_printf(&rb, "# HELP kpigate_capture_rejected_total Capture records rejected, by reason.\n"
		       "# TYPE kpigate_capture_rejected_total counter\n");
	for (int r = 1; r < CAPTURE_REJECT__COUNT; r++)
		rb_printf(&rb, "kpigate_capture_rejected_total{reason=\"%s\"} %llu\n",
			  capture_reject_name((capture_reject)r),
			  (unsigned long long)ld(&m->capture_rejected[r]));
	counter(&rb, "kpigate_ground_truth_records_total", "Ground-truth records consumed.",
		&m->ground_truth_records);
	counter(&rb, "kpigate_ground_truth_rejected_total", "Ground-truth records rejected.",
		&m->ground_truth_rejected);
	counter(&rb, "kpigate_labels_joined_total", "Labels joined to their predictions.",
		&m->labels_joined);
	counter(&rb, "kpigate_windows_evaluated_total", "Windows closed and evaluated.",
		&m->windows_evaluated);
	rb_printf(&rb, "# HELP kpigate_decisions_total Decisions, by outcome.\n"
		       "# TYPE kpigate_decisions_total counter\n"
		       "kpigate_decisions_total{decision=\"retrain\"} %llu\n"
		       "kpigate_decisions_total{decision=\"hold\"} %llu\n",
		  (unsigned long long)ld(&m->decisions_retrain),
		  (unsigned long long)ld(&m->decisions_hold));
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
	rb_printf(&rb, "# HELP kpigate_consumer_lag Messages behind the partitions' ends.\n"
		       "# TYPE kpigate_consumer_lag gauge\nkpigate_consumer_lag %lld\n"
		       "# HELP kpigate_records_per_second Capture records processed per second.\n"
		       "# TYPE kpigate_records_per_second gauge\nkpigate_records_per_second %llu\n",
		  (long long)atomic_load_explicit(&m->consumer_lag, memory_order_relaxed),
		  (unsigned long long)ld(&m->records_per_second));
	return rb.len;
}
