/* policy_baseline.c - the model's own KPI level for relative KPI rules
 * (policy.h, policy_baseline): learned from the first windows with KPI
 * evidence after the stream starts, after a retrain kpigate decided (once
 * the retrain has had time to finish), or after a deployment signal. */
#include "policy.h"

#include <math.h>
#include <string.h>

static void baseline_reset(policy_baseline *b, int64_t since_ms)
{
	int64_t deployed = b->deployed_ms;

	memset(b, 0, sizeof(*b));
	b->since_ms = since_ms;
	b->deployed_ms = deployed;
}

int64_t policy_settle_ms(const policy *p)
{
	if (p->baseline_settle_ms >= 0)
		return p->baseline_settle_ms;
	return (int64_t)(p->energy.expected_hours * 3600.0 * 1000.0);
}

void policy_baseline_after(const policy *p, const policy_window_eval *ev,
			   int retrained, policy_baseline *b)
{
	if (retrained) {
		/* the new model serves once the retrain has run */
		baseline_reset(b, ev->end_ms + policy_settle_ms(p));
		return;
	}
	if (b->ready || ev->start_ms < b->since_ms ||
	    ev->n_records < p->min_records || ev->n_labelled < p->min_labelled)
		return;
	for (size_t i = 0; i < p->n_kpis; i++) {
		const policy_kpi_value *v = p->kpis[i].class_name != NULL
						    ? &ev->class_kpis[i]
						    : &ev->kpis[p->kpis[i].metric];

		/* n-weighted: a busy window weighs more than a quiet one */
		if (v->valid && !isnan(v->value) && v->n > 0) {
			b->value[i] += v->value * (double)v->n;
			b->weight[i] += (double)v->n;
		}
	}
	if (++b->windows < p->baseline_windows)
		return;
	for (size_t i = 0; i < p->n_kpis; i++)
		b->value[i] = b->weight[i] > 0 ? b->value[i] / b->weight[i] : 0;
	b->ready = 1;
}

int policy_guard_deployed(policy_guard_state *g, int64_t at_ms)
{
	if (g->base.deployed_ms != INT64_MIN && g->base.deployed_ms >= at_ms)
		return 1;
	baseline_reset(&g->base, at_ms);
	g->base.deployed_ms = at_ms;
	return 0;
}
