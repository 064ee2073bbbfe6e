/* policy_decide.c - the decision engine: judges a closed window's drift
 * with the policy's thresholds, then decides retrain or hold, KPI first,
 * guards after. Time is the window's event time (ev->end_ms), never the
 * wall clock, so a replay decides exactly as the live run did. Each reason
 * has a code (policy_reason_code) and the decision names the one that
 * decided it. */
#include "policy.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correction.h"
#include "kpg_time.h"
#include "policy_format.h"

/* The most reasons one decision gives: the drift summary, one line per
 * KPI, and on a blocked breach the four guards. */
_Static_assert(POLICY_MAX_REASONS >= 1 + POLICY_MAX_KPIS + 4,
	       "a decision's reasons must all fit");

#define NO_REASON POLICY_MAX_REASONS

#define IDEM_KEY_MAX 80
#define IDEM_MODEL_MAX 38 /* 80 - two ':' - two 20-character numbers */

void policy_guard_state_init(policy_guard_state *g)
{
	memset(g, 0, sizeof(*g));
	g->last_retrain_ms = INT64_MIN;
	g->base.since_ms = INT64_MIN;
	g->base.deployed_ms = INT64_MIN;
}

/* Corrects the window's judged p-values together (drift.correction):
 * each judged test's p_adjusted. Without memory for the correction
 * (benjamini_hochberg sorts), Bonferroni, which is never less strict. */
static void correct_p_values(const policy *p, policy_window_eval *ev)
{
	size_t n = 0, k = 0;
	double *ps = NULL;
	correction_method m = (correction_method)p->correction;
	kpg_err err;

	for (size_t i = 0; i < ev->n_features; i++)
		for (size_t j = 0; j < ev->features[i].n_results; j++) {
			drift_result *r = &ev->features[i].results[j];

			r->p_adjusted = r->p_value;
			n += drift_detector_is_test(r->kind) && r->skip == DRIFT_JUDGED;
		}
	if (m == CORRECTION_NONE || n == 0)
		return;
	ps = malloc(n * sizeof(*ps));
	if (ps == NULL)
		m = CORRECTION_BONFERRONI;
	for (size_t i = 0; i < ev->n_features; i++)
		for (size_t j = 0; j < ev->features[i].n_results; j++) {
			drift_result *r = &ev->features[i].results[j];

			if (!drift_detector_is_test(r->kind) || r->skip != DRIFT_JUDGED)
				continue;
			if (ps != NULL)
				ps[k++] = r->p_value;
			else
				r->p_adjusted = fmin(1.0, r->p_value * (double)n);
		}
	if (ps == NULL)
		return;
	if (correction_adjust(m, ps, n, ps, &err) != 0) {
		free(ps);
		return; /* p-values come from the detectors, in [0, 1] */
	}
	k = 0;
	for (size_t i = 0; i < ev->n_features; i++)
		for (size_t j = 0; j < ev->features[i].n_results; j++) {
			drift_result *r = &ev->features[i].results[j];

			if (drift_detector_is_test(r->kind) && r->skip == DRIFT_JUDGED)
				r->p_adjusted = ps[k++];
		}
	free(ps);
}

static int result_drifted(const drift_result *r)
{
	if (r->skip != DRIFT_JUDGED)
		return 0;
	if (drift_detector_is_test(r->kind))
		return r->p_adjusted < r->threshold && r->effect >= r->min_effect;
	return r->value >= r->threshold;
}

void policy_judge_features(const policy *p, policy_window_eval *ev)
{
	double with_values = 0, drifted = 0;
	int critical = 0;

	correct_p_values(p, ev);
	ev->n_drifted = 0;
	for (size_t i = 0; i < ev->n_features; i++) {
		policy_feature_eval *f = &ev->features[i];
		int d = 0;

		for (size_t j = 0; j < f->n_results; j++) {
			f->results[j].drifted = result_drifted(&f->results[j]);
			d |= f->results[j].drifted;
		}
		if (f->n > 0)
			with_values += f->weight;
		if (d) {
			drifted += f->weight;
			critical |= f->critical;
		}
		f->drifted = d;
		ev->n_drifted += (size_t)d;
	}
	ev->drifted_share = with_values > 0 ? drifted / with_values : 0.0;
	ev->dataset_drift = ev->n_drifted >= 1 &&
			    (critical || ev->drifted_share >= p->dataset_drift_share);
	/* quality.violation_is_drift: a failed data-quality check is
	 * evidence of dataset drift on its own */
	if (p->quality.violation_is_drift && ev->quality_violations > 0)
		ev->dataset_drift = 1;
}

/* Data-quality violations count as dataset drift in this window. */
static int quality_made_drift(const policy *p, const policy_window_eval *ev)
{
	return ev->dataset_drift && p->quality.violation_is_drift &&
	       ev->quality_violations > 0;
}

/* Adds a reason with its code; returns its index (NO_REASON if full). */
static size_t reason(policy_decision *out, policy_reason_code code,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static size_t reason(policy_decision *out, policy_reason_code code,
		     const char *fmt, ...)
{
	va_list ap;
	size_t i = out->n_reasons;

	if (i >= POLICY_MAX_REASONS)
		return NO_REASON;
	va_start(ap, fmt);
	vsnprintf(out->reasons[i], POLICY_REASON_LEN, fmt, ap);
	va_end(ap);
	out->reason_codes[i] = code;
	out->n_reasons++;
	return i;
}

/* "3 of 20 features drifted (15%): tenure, monthly_charges, contract";
 * names that do not fit become "(+N more)". */
static void drift_reason(const policy *p, const policy_window_eval *ev,
			 policy_decision *out)
{
	char buf[POLICY_REASON_LEN], share[POLICY_NUM_LEN], limit[POLICY_NUM_LEN];
	size_t with_values = 0, listed = 0, len;
	const char *verdict = ev->dataset_drift ? "dataset drift"
						: "no dataset drift";

	for (size_t i = 0; i < ev->n_features; i++)
		with_values += ev->features[i].n > 0;
	if (with_values == 0) {
		reason(out, POLICY_REASON_DRIFT_NOT_JUDGED,
		       "drift not judged: no feature values in this window");
		return;
	}
	/* the share is compared with dataset_drift_share: digits enough to
	 * show on which side of it it fell */
	policy_format_pair(100.0 * ev->drifted_share,
			   100.0 * p->dataset_drift_share, share, limit);
	len = (size_t)snprintf(buf, sizeof(buf),
			       "%zu of %zu features drifted (%s%%)",
			       ev->n_drifted, with_values, share);
	for (size_t i = 0; i < ev->n_features && len < sizeof(buf); i++) {
		const policy_feature_eval *f = &ev->features[i];
		const char *name = f->name ? f->name : "?";
		/* leave room for the verdict and a "(+N more)" */
		size_t room = sizeof(buf) - len;
		size_t need = strlen(name) + 2 + 48 + strlen(limit);

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
	if (len < sizeof(buf) && quality_made_drift(p, ev))
		snprintf(buf + len, sizeof(buf) - len,
			 "; %s: %llu data-quality violation%s count as drift (quality.violation_is_drift)",
			 verdict, (unsigned long long)ev->quality_violations,
			 ev->quality_violations == 1 ? "" : "s");
	else if (len < sizeof(buf) && ev->dataset_drift &&
		 ev->drifted_share < p->dataset_drift_share)
		/* below the share: a critical feature made it dataset drift */
		snprintf(buf + len, sizeof(buf) - len,
			 "; %s: a critical feature drifted (share threshold %s%%)",
			 verdict, limit);
	else if (len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, "; %s (threshold %s%%)",
			 verdict, limit);
	reason(out,
	       ev->dataset_drift ? POLICY_REASON_DATASET_DRIFT
				 : POLICY_REASON_NO_DRIFT,
	       "%s", buf);
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

/* Lists every KPI's value; returns how many had a value, sets *breached
 * and *first_breach (the index of the first breaching KPI's reason, or
 * NO_REASON). A NaN value is no evidence: it is neither side of a
 * threshold. */
/* A KPI's relative rule against the baseline; adds its reason. Returns 1
 * breached, 0 within, -1 not judged (the baseline is still learning). */
static int relative_reason(const policy *p, const policy_window_eval *ev,
			   const policy_baseline *b, size_t i, double value,
			   policy_decision *out, size_t *at)
{
	const policy_kpi *k = &p->kpis[i];
	const char *name = kpi_metric_name(k->metric);
	char val[POLICY_NUM_LEN], base[POLICY_NUM_LEN], by[POLICY_NUM_LEN];
	char cname[POLICY_LABEL_MAX + 32];
	/* a window of a model already replaced (a retrain decided, or a
	 * deployment): retraining it again would buy nothing */
	int older = b->since_ms != INT64_MIN && ev->start_ms < b->since_ms;
	double bv = b->value[i], worse, allowed;
	int br;

	if (k->class_name != NULL) {
		snprintf(cname, sizeof(cname), "%s of class %s", name, k->class_name);
		name = cname;
	}
	if (older || !b->ready || b->weight[i] <= 0) {
		*at = reason(out, POLICY_REASON_BASELINE_LEARNING,
			     older ? "%s: the model this window saw is being replaced; its successor's baseline is learned (%u of %u windows)"
				   : "%s baseline: learning (%u of %u windows since the model was (re)trained)",
			     name, b->windows, p->baseline_windows);
		return -1;
	}
	worse = k->is_max ? value - bv : bv - value;
	allowed = k->relative == POLICY_REL_PCT ? k->worse_by / 100.0 * fabs(bv) : k->worse_by;
	br = worse > allowed;
	policy_format_pair(value, bv, val, base);
	snprintf(by, sizeof(by), "%.4g%s", k->worse_by,
		 k->relative == POLICY_REL_PCT ? "%" : "");
	*at = reason(out, br ? POLICY_REASON_KPI_DEGRADED : POLICY_REASON_KPI_NEAR_BASELINE,
		     "%s %s against its baseline %s: %s by %.4g, %s %s allowed", name,
		     val, base, worse > 0 ? "worse" : "not worse", fabs(worse),
		     br ? "more than the" : "within the", by);
	return br;
}

static size_t kpi_reasons(const policy *p, const policy_window_eval *ev,
			  const policy_baseline *base, policy_decision *out,
			  int *breached, size_t *first_breach, size_t *n_judged)
{
	size_t n_valid = 0;

	*breached = 0;
	*first_breach = NO_REASON;
	*n_judged = 0;
	for (size_t i = 0; i < p->n_kpis; i++) {
		const policy_kpi *k = &p->kpis[i];
		const policy_kpi_value *v;
		const char *name = kpi_metric_name(k->metric);
		char val[POLICY_NUM_LEN], thr[POLICY_NUM_LEN];
		char cname[POLICY_LABEL_MAX + 32];
		size_t at;
		int b;

		if (k->class_name != NULL) {
			snprintf(cname, sizeof(cname), "%s of class %s", name,
				 k->class_name);
			name = cname;
		}

		if ((unsigned)k->metric >= KPI__COUNT)
			continue;
		/* a class's recall is the policy KPI's own slot */
		v = k->class_name != NULL ? &ev->class_kpis[i] : &ev->kpis[k->metric];
		if (!v->valid) {
			reason(out, POLICY_REASON_KPI_MISSING,
			       "%s: no value in this window (no evidence)", name);
			continue;
		}
		if (isnan(v->value)) {
			reason(out, POLICY_REASON_KPI_MISSING,
			       "%s: value is not a number in this window (no evidence)",
			       name);
			continue;
		}
		n_valid++;
		if (!k->relative_only) {
			b = k->is_max ? v->value > k->threshold : v->value < k->threshold;
			*breached |= b;
			++*n_judged;
			policy_format_pair(v->value, k->threshold, val, thr);
			at = reason(out, b ? POLICY_REASON_KPI_BREACH : POLICY_REASON_KPI_OK,
				    "%s %s %s %s (n=%" PRIu64 ")", name, val,
				    k->is_max ? (b ? ">" : "<=") : (b ? "<" : ">="), thr,
				    v->n);
			if (b && *first_breach == NO_REASON)
				*first_breach = at;
		}
		if (k->relative != POLICY_REL_NONE) {
			b = relative_reason(p, ev, base, i, v->value, out, &at);
			if (b >= 0)
				++*n_judged;
			if (b == 1) {
				*breached = 1;
				if (*first_breach == NO_REASON)
					*first_breach = at;
			}
		}
	}
	return n_valid;
}

/* Decides into out (reasons added in order) and returns the index of the
 * decisive reason. */
static size_t decide(const policy *p, const policy_window_eval *ev,
		     policy_guard_state *g, policy_decision *out)
{
	int64_t now = ev->end_ms;
	size_t n_valid, first_breach, decisive = NO_REASON, at, ignored, n_judged;
	int breached;

	/* 1. what a retrain-on-every-drift-alarm controller would do */
	out->naive_would_retrain = ev->dataset_drift;
	drift_reason(p, ev, out);

	/* 2-3. enough data to judge at all; the streak is left as it was */
	if (ev->n_records < p->min_records) {
		decisive = reason(out, POLICY_REASON_MIN_RECORDS,
				  "window has %" PRIu64 " records, fewer than min_records %" PRIu64,
				  ev->n_records, p->min_records);
		kpi_reasons(p, ev, &g->base, out, &breached, &ignored, &n_judged);
		return decisive;
	}
	if (ev->n_labelled < p->min_labelled) {
		decisive = reason(out, POLICY_REASON_MIN_LABELLED,
				  "no KPI evidence: %" PRIu64 " labelled records, fewer than min_labelled %" PRIu64,
				  ev->n_labelled, p->min_labelled);
		kpi_reasons(p, ev, &g->base, out, &breached, &ignored, &n_judged);
		return decisive;
	}

	/* 4. the KPIs */
	n_valid = kpi_reasons(p, ev, &g->base, out, &breached, &first_breach,
			      &n_judged);
	if (n_valid == 0)
		return reason(out, POLICY_REASON_NO_KPI,
			      "no KPI evidence: none of the policy's KPIs has a value in this window");
	/* only relative rules, their baseline still learning: nothing to
	 * judge yet, and the streak is left as it was */
	if (n_judged == 0)
		return reason(out, POLICY_REASON_BASELINE_LEARNING,
			      "no KPI rule can judge yet: the model's baseline is being learned (%u of %u windows)",
			      g->base.windows, p->baseline_windows);
	out->kpi_breached = breached;

	/* 5. no breach: drift alone never retrains (with drift, the alert is
	 * what held back the retrain a drift alarm would have started) */
	if (!breached) {
		g->consecutive_breaches = 0;
		decisive = reason(out, POLICY_REASON_NO_BREACH,
				  "KPIs within thresholds");
		if (ev->dataset_drift)
			decisive = reason(out, POLICY_REASON_DRIFT_ALERT,
					  "drift without KPI breach: alert only");
		return decisive;
	}

	/* 6. a breach, then every guard: each one that blocks is listed, so a
	 * team sees all that stands between this window and a retrain; the
	 * last one listed (the longest-lasting) decides */
	if (g->consecutive_breaches < UINT32_MAX)
		g->consecutive_breaches++;
	if (p->require_drift && !ev->dataset_drift)
		decisive = reason(out, POLICY_REASON_REQUIRE_DRIFT,
				  "KPI breach without dataset drift; policy requires drift");
	if (g->consecutive_breaches < p->consecutive_windows)
		decisive = reason(out, POLICY_REASON_CONSECUTIVE,
				  "KPI breach in %u of %u consecutive windows required",
				  g->consecutive_breaches, p->consecutive_windows);
	if (p->cooldown_ms > 0 && g->last_retrain_ms != INT64_MIN &&
	    now < sat_add(g->last_retrain_ms, p->cooldown_ms)) {
		char last[32], ends[32];

		kpg_time_format_iso8601(g->last_retrain_ms, last, sizeof(last));
		kpg_time_format_iso8601(sat_add(g->last_retrain_ms,
						p->cooldown_ms),
					ends, sizeof(ends));
		decisive = reason(out, POLICY_REASON_COOLDOWN,
				  "cooldown: last retrain at %s, cooldown ends %s",
				  last, ends);
	}
	if (p->max_retrains > 0) {
		int64_t from = sat_add(now, -p->budget_period_ms);
		unsigned used = 0;
		char period[48];

		for (size_t i = 0; i < g->n_retrains; i++)
			used += g->retrain_ms[i] > from && g->retrain_ms[i] <= now;
		if (used >= p->max_retrains) {
			fmt_period(p->budget_period_ms, period, sizeof(period));
			decisive = reason(out, POLICY_REASON_BUDGET,
					  "budget: %u retrains in the last %s, max %u",
					  used, period, p->max_retrains);
		}
	}
	if (decisive != NO_REASON)
		return decisive;

	/* 7. retrain: the breach decided it */
	out->retrain = 1;
	at = reason(out, POLICY_REASON_RETRAIN,
		    "retrain: KPI breach in %u consecutive window%s (%u required)%s",
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
	return first_breach != NO_REASON ? first_breach : at;
}

void policy_decide(const policy *p, const policy_window_eval *ev,
		   policy_guard_state *g, policy_decision *out)
{
	size_t decisive;

	memset(out, 0, sizeof(*out));
	idempotency_key(p, ev, out->idempotency_key,
			sizeof(out->idempotency_key));
	decisive = decide(p, ev, g, out);
	out->decisive = decisive < out->n_reasons ? decisive : out->n_reasons;
	policy_baseline_after(p, ev, out->retrain, &g->base);
}

void policy_window_key(const policy *p, const policy_window_eval *ev,
		       char *key, size_t keylen)
{
	idempotency_key(p, ev, key, keylen);
}
