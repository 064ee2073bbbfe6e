/* policy_decide.c - the decision engine: judges a closed window's drift
 * with the policy's thresholds, then decides retrain or hold, KPI first,
 * guards after. Time is the window's event time (ev->end_ms), never the
 * wall clock, so a replay decides exactly as the live run did. */
#include "policy.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kpg_time.h"

#define IDEM_KEY_MAX 80
#define IDEM_MODEL_MAX 38 /* 80 - two ':' - two 20-character numbers */

void policy_guard_state_init(policy_guard_state *g)
{
	memset(g, 0, sizeof(*g));
	g->last_retrain_ms = INT64_MIN;
}

void policy_judge_features(const policy *p, policy_window_eval *ev)
{
	size_t with_values = 0;

	ev->n_drifted = 0;
	for (size_t i = 0; i < ev->n_features; i++) {
		policy_feature_eval *f = &ev->features[i];
		int d = 0;

		if (f->n > 0) {
			with_values++;
			d = f->psi >= p->psi_threshold;
			if (f->type != POLICY_FEATURE_CATEGORICAL && f->has_ks &&
			    f->ks_p_value < p->ks_p_value &&
			    f->ks_statistic >= p->ks_min_statistic)
				d = 1;
		}
		f->drifted = d;
		ev->n_drifted += (size_t)d;
	}
	ev->drifted_share = with_values > 0
				    ? (double)ev->n_drifted / (double)with_values
				    : 0.0;
	ev->dataset_drift = ev->n_drifted >= 1 &&
			    ev->drifted_share >= p->dataset_drift_share;
}

static void reason(policy_decision *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void reason(policy_decision *out, const char *fmt, ...)
{
	va_list ap;

	if (out->n_reasons >= POLICY_MAX_REASONS)
		return;
	va_start(ap, fmt);
	vsnprintf(out->reasons[out->n_reasons++], POLICY_REASON_LEN, fmt, ap);
	va_end(ap);
}

/* "3 of 20 features drifted (15%): tenure, monthly_charges, contract";
 * names that do not fit become "(+N more)". */
static void drift_reason(const policy *p, const policy_window_eval *ev,
			 policy_decision *out)
{
	char buf[POLICY_REASON_LEN];
	size_t with_values = 0, listed = 0, len;
	const char *verdict = ev->dataset_drift ? "dataset drift"
						: "no dataset drift";

	for (size_t i = 0; i < ev->n_features; i++)
		with_values += ev->features[i].n > 0;
	if (with_values == 0) {
		reason(out, "drift not judged: no feature values in this window");
		return;
	}
	len = (size_t)snprintf(buf, sizeof(buf),
			       "%zu of %zu features drifted (%.0f%%)",
			       ev->n_drifted, with_values,
			       100.0 * ev->drifted_share);
	for (size_t i = 0; i < ev->n_features && len < sizeof(buf); i++) {
		const policy_feature_eval *f = &ev->features[i];
		const char *name = f->name ? f->name : "?";
		/* leave room for the verdict and a "(+N more)" */
		size_t room = sizeof(buf) - len;
		size_t need = strlen(name) + 2 + 48;

		if (!f->drifted)
			continue;
		if (need > room)
			break;
		len += (size_t)snprintf(buf + len, room, "%s%s",
					listed ? ", " : ": ", name);
		listed++;
	}
	if (listed < ev->n_drifted && len < sizeof(buf))
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					" (+%zu more)", ev->n_drifted - listed);
	if (len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, "; %s (threshold %.0f%%)",
			 verdict, 100.0 * p->dataset_drift_share);
	reason(out, "%s", buf);
}

/* Deterministic in model, window index and start; fits IDEM_KEY_MAX.
 * A model name that had to be changed or cut carries a hash of the
 * original, so two models never share keys. */
static void idempotency_key(const policy *p, const policy_window_eval *ev,
			    char *key, size_t keylen)
{
	const char *model = p->model ? p->model : "";
	char m[IDEM_MODEL_MAX + 1];
	size_t n = 0, len = strlen(model);
	int changed = len > IDEM_MODEL_MAX;
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)model[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
			 ch == ':' || ch == '-';

		h = (h ^ ch) * 16777619u;
		if (!ok)
			changed = 1;
		if (n < IDEM_MODEL_MAX)
			m[n++] = ok ? (char)ch : '_';
	}
	m[n] = '\0';
	if (changed) /* 29 characters + "-" + 8 hex = 38 */
		snprintf(m + (n < 29 ? n : 29), sizeof(m) - (n < 29 ? n : 29),
			 "-%08" PRIx32, h);
	snprintf(key, keylen, "%s:%" PRIu64 ":%" PRId64, m, ev->window_index,
		 ev->start_ms);
}

static void fmt_period(int64_t ms, char *buf, size_t len)
{
	if (ms > 0 && ms % 86400000 == 0)
		snprintf(buf, len, "%" PRId64 " day%s", ms / 86400000,
			 ms == 86400000 ? "" : "s");
	else if (ms > 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%" PRId64 " hours", ms / 3600000);
	else
		snprintf(buf, len, "%" PRId64 " s", ms / 1000);
}

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* Lists every KPI's value; returns how many had a value, sets *breached. */
static size_t kpi_reasons(const policy *p, const policy_window_eval *ev,
			  policy_decision *out, int *breached)
{
	size_t n_valid = 0;

	*breached = 0;
	for (size_t i = 0; i < p->n_kpis; i++) {
		const policy_kpi *k = &p->kpis[i];
		const policy_kpi_value *v = k->class_name != NULL
						    ? &ev->class_kpis[i]
						    : &ev->kpis[k->metric];
		const char *name = kpi_metric_name(k->metric);
		char cname[POLICY_LABEL_MAX + 32];
		const char *fmt;
		int b;

		if (k->class_name != NULL) {
			snprintf(cname, sizeof(cname), "%s of class %s", name,
				 k->class_name);
			name = cname;
		}

		if ((unsigned)k->metric >= KPI__COUNT)
			continue;
		if (!v->valid) {
			reason(out, "%s: no value in this window (no evidence)",
			       name);
			continue;
		}
		n_valid++;
		b = k->is_max ? v->value > k->threshold : v->value < k->threshold;
		*breached |= b;
		if (!kpi_metric_higher_is_better(k->metric))
			fmt = "%s %.4g %s %.4g (n=%" PRIu64 ")";
		else
			fmt = "%s %.3f %s %.3f (n=%" PRIu64 ")";
		reason(out, fmt, name, v->value,
		       k->is_max ? (b ? ">" : "<=") : (b ? "<" : ">="),
		       k->threshold, v->n);
	}
	return n_valid;
}

void policy_decide(const policy *p, const policy_window_eval *ev,
		   policy_guard_state *g, policy_decision *out)
{
	int64_t now = ev->end_ms;
	size_t n_valid;
	int breached, blocked = 0;

	memset(out, 0, sizeof(*out));
	idempotency_key(p, ev, out->idempotency_key,
			sizeof(out->idempotency_key));

	/* 1. what a retrain-on-every-drift-alarm controller would do */
	out->naive_would_retrain = ev->dataset_drift;
	drift_reason(p, ev, out);

	/* 2-3. enough data to judge at all; the streak is left as it was */
	if (ev->n_records < p->min_records) {
		reason(out, "window has %" PRIu64 " records, fewer than min_records %" PRIu64,
		       ev->n_records, p->min_records);
		kpi_reasons(p, ev, out, &breached);
		return;
	}
	if (ev->n_labelled < p->min_labelled) {
		reason(out, "no KPI evidence: %" PRIu64 " labelled records, fewer than min_labelled %" PRIu64,
		       ev->n_labelled, p->min_labelled);
		kpi_reasons(p, ev, out, &breached);
		return;
	}

	/* 4. the KPIs */
	n_valid = kpi_reasons(p, ev, out, &breached);
	if (n_valid == 0) {
		reason(out, "no KPI evidence: none of the policy's KPIs has a value in this window");
		return;
	}
	out->kpi_breached = breached;

	/* 5. no breach: drift alone never retrains */
	if (!breached) {
		g->consecutive_breaches = 0;
		reason(out, "KPIs within thresholds");
		if (ev->dataset_drift)
			reason(out, "drift without KPI breach: alert only");
		return;
	}

	/* 6. a breach, then every guard: each one that blocks is listed, so a
	 * team sees all that stands between this window and a retrain */
	if (g->consecutive_breaches < UINT32_MAX)
		g->consecutive_breaches++;
	if (p->require_drift && !ev->dataset_drift) {
		reason(out, "KPI breach without dataset drift; policy requires drift");
		blocked = 1;
	}
	if (g->consecutive_breaches < p->consecutive_windows) {
		reason(out, "KPI breach in %u of %u consecutive windows required",
		       g->consecutive_breaches, p->consecutive_windows);
		blocked = 1;
	}
	if (p->cooldown_ms > 0 && g->last_retrain_ms != INT64_MIN &&
	    now < sat_add(g->last_retrain_ms, p->cooldown_ms)) {
		char last[32], ends[32];

		kpg_time_format_iso8601(g->last_retrain_ms, last, sizeof(last));
		kpg_time_format_iso8601(sat_add(g->last_retrain_ms,
						p->cooldown_ms),
					ends, sizeof(ends));
		reason(out, "cooldown: last retrain at %s, cooldown ends %s",
		       last, ends);
		blocked = 1;
	}
	if (p->max_retrains > 0) {
		int64_t from = sat_add(now, -p->budget_period_ms);
		unsigned used = 0;
		char period[48];

		for (size_t i = 0; i < g->n_retrains; i++)
			used += g->retrain_ms[i] > from && g->retrain_ms[i] <= now;
		if (used >= p->max_retrains) {
			fmt_period(p->budget_period_ms, period, sizeof(period));
			reason(out, "budget: %u retrains in the last %s, max %u",
			       used, period, p->max_retrains);
			blocked = 1;
		}
	}
	if (blocked)
		return;

	out->retrain = 1;
	reason(out, "retrain: KPI breach in %u consecutive window%s (%u required)%s",
	       g->consecutive_breaches,
	       g->consecutive_breaches == 1 ? "" : "s", p->consecutive_windows,
	       p->require_drift ? ", with dataset drift as required" : "");
	g->last_retrain_ms = now;
	if (g->n_retrains == POLICY_MAX_RETRAIN_HISTORY) {
		memmove(g->retrain_ms, g->retrain_ms + 1,
			(POLICY_MAX_RETRAIN_HISTORY - 1) * sizeof(g->retrain_ms[0]));
		g->n_retrains--;
	}
	g->retrain_ms[g->n_retrains++] = now;
	g->consecutive_breaches = 0;
}

void policy_window_key(const policy *p, const policy_window_eval *ev,
		       char *key, size_t keylen)
{
	idempotency_key(p, ev, key, keylen);
}
