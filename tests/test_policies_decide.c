/* test_policies_decide.c - the decision engine on hand-built windows:
 * feature judging, each rule of policy_decide in its order, the guards
 * (consecutive windows, cooldown, budget), each reason's code and the
 * decisive one, and idempotency keys. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "correction.h"
#include "policy.h"
#include "policy_keys.h"

#define DAY_MS (86400LL * 1000)
#define T0 1700000000000LL /* 2023-11-14T22:13:20Z */

static char model_name[] = "churn-xgb";

/* A key's default from the policy key table (policy_keys.c). */
static double dflt(const char *path)
{
	double x = 0;

	assert_int_equal(policy_key_default(path, &x), 0);
	return x;
}

/* Defaults as policy_load sets them, one auc KPI. */
static void base_policy(policy *p)
{
	memset(p, 0, sizeof(*p));
	p->model = model_name;
	p->psi_bins = (unsigned)dflt("drift.psi_bins");
	p->psi_threshold = dflt("drift.psi_threshold");
	p->ks_p_value = dflt("drift.ks_p_value");
	p->ks_min_statistic = dflt("drift.ks_min_statistic");
	p->dataset_drift_share = dflt("drift.dataset_drift_share");
	p->min_records = (uint64_t)dflt("guards.min_records");
	p->min_labelled = (uint64_t)dflt("guards.min_labelled");
	p->consecutive_windows = (unsigned)dflt("guards.consecutive_windows");
	p->budget_period_ms = (int64_t)(dflt("guards.budget_period_seconds") * 1000);
	p->kpis[0] = (policy_kpi){.metric = KPI_AUC, .threshold = 0.75};
	p->n_kpis = 1;
}

/* A judged window of 1000 records, 512 labelled, auc as given, no drift. */
static void base_window(policy_window_eval *ev, double auc, int64_t end_ms)
{
	memset(ev, 0, sizeof(*ev));
	ev->window_index = 3;
	ev->n_records = 1000;
	ev->start_ms = end_ms - 3600 * 1000;
	ev->end_ms = end_ms;
	ev->n_labelled = 512;
	ev->kpis[KPI_AUC] = (policy_kpi_value){1, auc, 512};
}

static int has_reason(const policy_decision *d, const char *substr)
{
	for (size_t i = 0; i < d->n_reasons; i++)
		if (strstr(d->reasons[i], substr) != NULL)
			return 1;
	return 0;
}

static void dump(const policy_decision *d)
{
	for (size_t i = 0; i < d->n_reasons; i++)
		print_message("    reason%s %-16s %s\n", i == d->decisive ? "*" : ":",
			      policy_reason_name(d->reason_codes[i]), d->reasons[i]);
}

/* The code of the first reason containing substr; fails when none does. */
static policy_reason_code code_of(const policy_decision *d, const char *substr)
{
	for (size_t i = 0; i < d->n_reasons; i++)
		if (strstr(d->reasons[i], substr) != NULL)
			return d->reason_codes[i];
	fail_msg("no reason contains \"%s\"", substr);
	return POLICY_REASON_UNSPECIFIED;
}

/* The decisive reason has this code and contains substr, and every
 * reason of the decision has a code. */
static void assert_decisive(const policy_decision *d, policy_reason_code code,
			    const char *substr)
{
	assert_true(d->decisive < d->n_reasons);
	assert_string_equal(policy_reason_name(d->reason_codes[d->decisive]),
			    policy_reason_name(code));
	assert_non_null(strstr(d->reasons[d->decisive], substr));
	for (size_t i = 0; i < d->n_reasons; i++)
		assert_int_not_equal(d->reason_codes[i], POLICY_REASON_UNSPECIFIED);
}

/* ---- policy_judge_features --------------------------------------- */

/* A feature with n values, weight 1, no detector results yet. */
static policy_feature_eval feat(const char *name, policy_feature_type t,
				size_t n)
{
	policy_feature_eval f;

	memset(&f, 0, sizeof(f));
	f.name = name;
	f.type = t;
	f.n = n;
	f.weight = 1;
	return f;
}

static drift_result *add_result(policy_feature_eval *f, drift_detector d,
				double value, double threshold)
{
	drift_result *r = &f->results[f->n_results++];

	memset(r, 0, sizeof(*r));
	r->kind = d;
	r->value = value;
	r->threshold = threshold;
	r->p_value = r->p_adjusted = NAN;
	return r;
}

/* A test's result: statistic/effect, p-value, p threshold, effect floor. */
static drift_result *add_test(policy_feature_eval *f, drift_detector d,
			      double effect, double p, double p_thr,
			      double min_effect)
{
	drift_result *r = add_result(f, d, effect, p_thr);

	r->effect = effect;
	r->p_value = r->p_adjusted = p;
	r->min_effect = min_effect;
	return r;
}

static void test_judge_features(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_feature_eval f[7];

	(void)state;
	base_policy(&p);
	/* numeric, PSI over threshold */
	f[0] = feat("tenure", POLICY_FEATURE_NUMERIC, 500);
	add_result(&f[0], DRIFT_PSI, 0.25, 0.2);
	add_test(&f[0], DRIFT_KS, 0.05, 0.5, 0.01, 0.1);
	/* numeric, PSI low, KS significant and large enough */
	f[1] = feat("monthly_charges", POLICY_FEATURE_NUMERIC, 500);
	add_result(&f[1], DRIFT_PSI, 0.05, 0.2);
	add_test(&f[1], DRIFT_KS, 0.15, 0.001, 0.01, 0.1);
	/* numeric, KS significant but statistic too small */
	f[2] = feat("age", POLICY_FEATURE_NUMERIC, 500);
	add_result(&f[2], DRIFT_PSI, 0.05, 0.2);
	add_test(&f[2], DRIFT_KS, 0.05, 0.001, 0.01, 0.1);
	/* numeric, KS p-value not small enough */
	f[3] = feat("calls", POLICY_FEATURE_NUMERIC, 500);
	add_result(&f[3], DRIFT_PSI, 0.05, 0.2);
	add_test(&f[3], DRIFT_KS, 0.3, 0.02, 0.01, 0.1);
	/* categorical: chi2 significant but Cramer's V under its floor */
	f[4] = feat("state", POLICY_FEATURE_CATEGORICAL, 500);
	add_result(&f[4], DRIFT_PSI, 0.1, 0.2);
	add_test(&f[4], DRIFT_CHI2, 0.05, 1e-6, 0.01, 0.1);
	/* no values: no results, never drifts, not counted in the share */
	f[5] = feat("empty", POLICY_FEATURE_NUMERIC, 0);
	f[5].drifted = 1; /* stale */
	/* PSI exactly at the threshold drifts */
	f[6] = feat("contract", POLICY_FEATURE_CATEGORICAL, 500);
	add_result(&f[6], DRIFT_PSI, 0.2, 0.2);
	memset(&ev, 0, sizeof(ev));
	ev.features = f;
	ev.n_features = 7;
	policy_judge_features(&p, &ev);
	assert_int_equal(f[0].drifted, 1);
	assert_int_equal(f[0].results[0].drifted, 1);
	assert_int_equal(f[0].results[1].drifted, 0);
	assert_int_equal(f[1].drifted, 1);
	assert_int_equal(f[2].drifted, 0);
	assert_int_equal(f[3].drifted, 0);
	assert_int_equal(f[4].drifted, 0);
	assert_int_equal(f[5].drifted, 0);
	assert_int_equal(f[6].drifted, 1);
	assert_int_equal(ev.n_drifted, 3);
	assert_float_equal(ev.drifted_share, 3.0 / 6.0, 1e-12);
	assert_int_equal(ev.dataset_drift, 1);

	/* share exactly at dataset_drift_share counts as drift */
	p.dataset_drift_share = 0.5;
	policy_judge_features(&p, &ev);
	assert_int_equal(ev.dataset_drift, 1);
	p.dataset_drift_share = 0.51;
	policy_judge_features(&p, &ev);
	assert_int_equal(ev.dataset_drift, 0);
	/* the thresholds are the results' own (from the feature's plan) */
	f[1].results[1].min_effect = 0.2;
	policy_judge_features(&p, &ev);
	assert_int_equal(f[1].drifted, 0);
	assert_int_equal(ev.n_drifted, 2);
	/* a result the small-sample rule skipped does not count */
	f[0].results[0].skip = DRIFT_SKIP_FEW_VALUES;
	policy_judge_features(&p, &ev);
	assert_int_equal(f[0].drifted, 0);
	assert_int_equal(ev.n_drifted, 1);
}

static void test_judge_no_values(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_feature_eval f[1];

	(void)state;
	base_policy(&p);
	f[0] = feat("a", POLICY_FEATURE_NUMERIC, 0);
	f[0].drifted = 1;
	memset(&ev, 0, sizeof(ev));
	ev.features = f;
	ev.n_features = 1;
	policy_judge_features(&p, &ev);
	assert_int_equal(f[0].drifted, 0); /* stale flag cleared */
	assert_int_equal(ev.n_drifted, 0);
	assert_true(ev.drifted_share == 0.0);
	assert_int_equal(ev.dataset_drift, 0);
}

/* Ten features, each with a KS test at p = 0.004, 0.008, ... 0.04 and a
 * large statistic: uncorrected at 0.01 two drift; Bonferroni (x10) none;
 * Benjamini-Hochberg: p(i) * 10 / i = 0.04 for every i, so none at 0.01
 * and all ten at 0.05. */
static void test_judge_correction(void **state)
{
	static const char *const names[] = {"f0", "f1", "f2", "f3", "f4",
					    "f5", "f6", "f7", "f8", "f9"};
	policy p;
	policy_window_eval ev;
	policy_feature_eval f[10];

	(void)state;
	base_policy(&p);
	for (int i = 0; i < 10; i++) {
		f[i] = feat(names[i], POLICY_FEATURE_NUMERIC, 1000);
		add_test(&f[i], DRIFT_KS, 0.3, 0.004 * (i + 1), 0.01, 0.1);
	}
	memset(&ev, 0, sizeof(ev));
	ev.features = f;
	ev.n_features = 10;
	p.correction = CORRECTION_NONE;
	policy_judge_features(&p, &ev);
	assert_int_equal(ev.n_drifted, 2);
	p.correction = CORRECTION_BONFERRONI;
	policy_judge_features(&p, &ev);
	assert_int_equal(ev.n_drifted, 0);
	assert_float_equal(f[0].results[0].p_adjusted, 0.04, 1e-15);
	assert_float_equal(f[9].results[0].p_adjusted, 0.4, 1e-15);
	assert_float_equal(f[0].results[0].p_value, 0.004, 0); /* kept */
	p.correction = CORRECTION_BENJAMINI_HOCHBERG;
	policy_judge_features(&p, &ev);
	assert_int_equal(ev.n_drifted, 0);
	for (int i = 0; i < 10; i++) {
		assert_float_equal(f[i].results[0].p_adjusted, 0.04, 1e-15);
		f[i].results[0].threshold = 0.05;
	}
	policy_judge_features(&p, &ev);
	assert_int_equal(ev.n_drifted, 10);
	/* a skipped test is not one of the tests corrected for: with f1..f9
	 * skipped, f0 alone is corrected by 1 */
	for (int i = 1; i < 10; i++)
		f[i].results[0].skip = DRIFT_SKIP_FEW_VALUES;
	p.correction = CORRECTION_BONFERRONI;
	f[0].results[0].threshold = 0.01;
	policy_judge_features(&p, &ev);
	assert_float_equal(f[0].results[0].p_adjusted, 0.004, 0);
	assert_int_equal(ev.n_drifted, 1);
	/* distances are never corrected */
	f[1] = feat("d", POLICY_FEATURE_NUMERIC, 1000);
	add_result(&f[1], DRIFT_WASSERSTEIN, 0.5, 0.1);
	policy_judge_features(&p, &ev);
	assert_true(isnan(f[1].results[0].p_adjusted));
	assert_int_equal(f[1].drifted, 1);
}

/* Weights and critical features in the dataset-drift rule. */
static void test_judge_weights(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_feature_eval f[4];

	(void)state;
	base_policy(&p);
	p.dataset_drift_share = 0.5;
	f[0] = feat("heavy", POLICY_FEATURE_NUMERIC, 100);
	f[0].weight = 3;
	add_result(&f[0], DRIFT_PSI, 0.5, 0.2);
	for (int i = 1; i < 4; i++) {
		f[i] = feat("light", POLICY_FEATURE_NUMERIC, 100);
		add_result(&f[i], DRIFT_PSI, 0.01, 0.2);
	}
	memset(&ev, 0, sizeof(ev));
	ev.features = f;
	ev.n_features = 4;
	policy_judge_features(&p, &ev);
	/* 1 of 4 features, but weight 3 of 6 */
	assert_int_equal(ev.n_drifted, 1);
	assert_float_equal(ev.drifted_share, 0.5, 1e-15);
	assert_int_equal(ev.dataset_drift, 1);
	/* the heavy one calm, one light one drifting: 1 of 6, no drift ... */
	f[0].results[0].value = 0.01;
	f[1].results[0].value = 0.5;
	policy_judge_features(&p, &ev);
	assert_float_equal(ev.drifted_share, 1.0 / 6.0, 1e-15);
	assert_int_equal(ev.dataset_drift, 0);
	/* ... unless it is critical */
	f[1].critical = 1;
	policy_judge_features(&p, &ev);
	assert_int_equal(ev.dataset_drift, 1);
	/* a critical feature that does not drift changes nothing */
	f[1].results[0].value = 0.01;
	policy_judge_features(&p, &ev);
	assert_int_equal(ev.n_drifted, 0);
	assert_int_equal(ev.dataset_drift, 0);
}

/* ---- policy_decide, rule by rule ---------------------------------- */

static void test_reasons_list_evidence(void **state)
{
	static const char *const names[] = {"tenure", "monthly_charges",
					    "contract", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10",
					    "f11", "f12", "f13", "f14", "f15", "f16", "f17", "f18", "f19"};
	policy_feature_eval f[20];
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	p.dataset_drift_share = 0.1;
	base_window(&ev, 0.712, T0);
	for (int i = 0; i < 20; i++) {
		f[i] = feat(names[i], POLICY_FEATURE_CATEGORICAL, 100);
		add_result(&f[i], DRIFT_PSI, i < 3 ? 0.5 : 0.01, 0.2);
	}
	ev.features = f;
	ev.n_features = 20;
	policy_judge_features(&p, &ev);
	policy_guard_state_init(&g);
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_true(has_reason(&d, "3 of 20 features drifted (15%): tenure, monthly_charges, contract; dataset drift (threshold 10%)"));
	assert_true(has_reason(&d, "auc 0.712 < 0.75 (n=512)"));
	assert_int_equal(d.retrain, 1);
	assert_int_equal(d.naive_would_retrain, 1);
	assert_int_equal(d.kpi_breached, 1);
	assert_int_equal(code_of(&d, "features drifted"), POLICY_REASON_DATASET_DRIFT);
	assert_int_equal(code_of(&d, "retrain: KPI breach in 1"), POLICY_REASON_RETRAIN);
	/* a retrain is decided by the breach */
	assert_decisive(&d, POLICY_REASON_KPI_BREACH, "auc 0.712 < 0.75");

	/* fewer drifted than the share: no_drift */
	p.dataset_drift_share = 0.3;
	policy_judge_features(&p, &ev);
	policy_decide(&p, &ev, &g, &d);
	assert_true(has_reason(&d, "3 of 20 features drifted (15%): tenure, monthly_charges, contract; no dataset drift (threshold 30%)"));
	assert_int_equal(code_of(&d, "features drifted"), POLICY_REASON_NO_DRIFT);
}

/* The drifted share is printed with the digits that put it on its side of
 * dataset_drift_share: 2 of 7 is 28.6%, under 28.6% + a hair. */
static void test_drift_share_digits(void **state)
{
	policy_feature_eval f[7];
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	base_window(&ev, 0.9, T0);
	for (int i = 0; i < 7; i++) {
		f[i] = feat("f", POLICY_FEATURE_CATEGORICAL, 100);
		add_result(&f[i], DRIFT_PSI, i < 2 ? 0.5 : 0.01, 0.2);
	}
	ev.features = f;
	ev.n_features = 7;
	p.dataset_drift_share = 0.2858; /* 2/7 = 0.285714... */
	policy_judge_features(&p, &ev);
	assert_int_equal(ev.dataset_drift, 0);
	policy_guard_state_init(&g);
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_true(has_reason(&d, "2 of 7 features drifted (28.57%): f, f; no dataset drift (threshold 28.58%)"));
	p.dataset_drift_share = 2.0 / 7.0; /* exactly at it: drift, same text */
	policy_judge_features(&p, &ev);
	policy_decide(&p, &ev, &g, &d);
	assert_true(has_reason(&d, "(28.6%): f, f; dataset drift (threshold 28.6%)"));
}

static void test_naive_follows_drift(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	policy_guard_state_init(&g);
	base_window(&ev, 0.9, T0);
	ev.dataset_drift = 1;
	ev.n_drifted = 4;
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.naive_would_retrain, 1);
	assert_int_equal(d.retrain, 0);
	/* even when the window is too small to judge */
	ev.n_records = 10;
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.naive_would_retrain, 1);
	ev.dataset_drift = 0;
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.naive_would_retrain, 0);
}

static void test_min_records(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	policy_guard_state_init(&g);
	g.consecutive_breaches = 1;
	base_window(&ev, 0.5, T0); /* a breach, but too few records */
	ev.n_records = 80;
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_int_equal(d.retrain, 0);
	assert_true(has_reason(&d, "window has 80 records, fewer than min_records 100"));
	assert_true(has_reason(&d, "auc 0.5 < 0.75")); /* still listed */
	assert_int_equal(g.consecutive_breaches, 1);   /* unchanged */
	/* the guard decided, not the KPI listed after it */
	assert_decisive(&d, POLICY_REASON_MIN_RECORDS, "fewer than min_records");
	assert_int_equal(code_of(&d, "auc 0.5"), POLICY_REASON_KPI_BREACH);
	assert_int_equal(code_of(&d, "drift not judged"), POLICY_REASON_DRIFT_NOT_JUDGED);
	/* and with a KPI that holds */
	ev.kpis[KPI_AUC].value = 0.841;
	policy_decide(&p, &ev, &g, &d);
	assert_decisive(&d, POLICY_REASON_MIN_RECORDS, "fewer than min_records");
	assert_int_equal(code_of(&d, "auc 0.841 >= 0.75"), POLICY_REASON_KPI_OK);
	ev.kpis[KPI_AUC].value = 0.5;
	ev.n_records = 100; /* exactly min_records is enough */
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 1);
}

static void test_min_labelled(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	policy_guard_state_init(&g);
	g.consecutive_breaches = 1;
	base_window(&ev, 0.5, T0);
	ev.n_labelled = 12;
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_int_equal(d.retrain, 0);
	assert_int_equal(d.kpi_breached, 0);
	assert_true(has_reason(&d, "no KPI evidence: 12 labelled records, fewer than min_labelled 100"));
	assert_int_equal(g.consecutive_breaches, 1);
	assert_decisive(&d, POLICY_REASON_MIN_LABELLED, "fewer than min_labelled 100");
	/* min_records is checked first and decides when both block */
	ev.n_records = 10;
	policy_decide(&p, &ev, &g, &d);
	assert_decisive(&d, POLICY_REASON_MIN_RECORDS, "fewer than min_records");
	assert_false(has_reason(&d, "min_labelled"));
}

static void test_invalid_kpi_is_no_evidence(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	p.kpis[1] = (policy_kpi){.metric = KPI_ACCURACY, .threshold = 0.8};
	p.n_kpis = 2;
	policy_guard_state_init(&g);

	/* auc has no value; accuracy breaches: decided on accuracy */
	base_window(&ev, 0.0, T0);
	ev.kpis[KPI_AUC].valid = 0;
	ev.kpis[KPI_ACCURACY] = (policy_kpi_value){1, 0.7, 512};
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_true(has_reason(&d, "auc: no value in this window (no evidence)"));
	assert_true(has_reason(&d, "accuracy 0.7 < 0.8 (n=512)"));
	assert_int_equal(d.retrain, 1);
	assert_int_equal(code_of(&d, "auc: no value"), POLICY_REASON_KPI_MISSING);
	assert_decisive(&d, POLICY_REASON_KPI_BREACH, "accuracy 0.7 < 0.8");

	/* no KPI has a value: hold, streak unchanged */
	g.consecutive_breaches = 1;
	ev.kpis[KPI_ACCURACY].valid = 0;
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 0);
	assert_true(has_reason(&d, "no KPI evidence"));
	assert_int_equal(g.consecutive_breaches, 1);
	assert_decisive(&d, POLICY_REASON_NO_KPI, "none of the policy's KPIs has a value");

	/* a NaN value is no evidence either: not "accuracy nan >= 0.8" */
	ev.kpis[KPI_ACCURACY] = (policy_kpi_value){1, NAN, 512};
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_int_equal(d.retrain, 0);
	assert_true(has_reason(&d, "accuracy: value is not a number in this window (no evidence)"));
	assert_int_equal(code_of(&d, "accuracy: value is not"), POLICY_REASON_KPI_MISSING);
	assert_decisive(&d, POLICY_REASON_NO_KPI, "no KPI evidence");
	assert_int_equal(g.consecutive_breaches, 1);
}

static void test_no_breach_resets_and_drift_alerts(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	p.consecutive_windows = 3;
	policy_guard_state_init(&g);
	g.consecutive_breaches = 2;
	base_window(&ev, 0.75, T0); /* exactly at min: not a breach */
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 0);
	assert_int_equal(d.kpi_breached, 0);
	assert_int_equal(g.consecutive_breaches, 0);
	assert_true(has_reason(&d, "auc 0.75 >= 0.75"));
	assert_true(has_reason(&d, "KPIs within thresholds"));
	assert_false(has_reason(&d, "alert only"));
	assert_int_equal(code_of(&d, "auc 0.75"), POLICY_REASON_KPI_OK);
	assert_decisive(&d, POLICY_REASON_NO_BREACH, "KPIs within thresholds");

	ev.dataset_drift = 1;
	ev.n_drifted = 10;
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_int_equal(d.retrain, 0);
	assert_int_equal(d.naive_would_retrain, 1);
	assert_true(has_reason(&d, "drift without KPI breach: alert only"));
	/* the alert is what held back the drift alarm's retrain */
	assert_decisive(&d, POLICY_REASON_DRIFT_ALERT, "alert only");
	assert_int_equal(code_of(&d, "KPIs within"), POLICY_REASON_NO_BREACH);
}

static void test_lower_is_better(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	p.task = POLICY_TASK_REGRESSION;
	p.kpis[0] = (policy_kpi){.metric = KPI_RMSE, .is_max = 1, .threshold = 10.0};
	policy_guard_state_init(&g);
	base_window(&ev, 0, T0);
	ev.kpis[KPI_AUC].valid = 0;
	ev.kpis[KPI_RMSE] = (policy_kpi_value){1, 10.0, 300};
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.kpi_breached, 0); /* at max: fine */
	assert_true(has_reason(&d, "rmse 10 <= 10 (n=300)"));
	ev.kpis[KPI_RMSE].value = 12.5;
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_int_equal(d.kpi_breached, 1);
	assert_int_equal(d.retrain, 1);
	assert_true(has_reason(&d, "rmse 12.5 > 10 (n=300)"));
	assert_decisive(&d, POLICY_REASON_KPI_BREACH, "rmse 12.5 > 10");
	/* just past the threshold: the digits show it (was "rmse 110 > 110") */
	p.kpis[0].threshold = 110;
	ev.kpis[KPI_RMSE].value = 110.029;
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_int_equal(d.retrain, 1);
	assert_true(has_reason(&d, "rmse 110.03 > 110 (n=300)"));
	ev.kpis[KPI_RMSE].value = 109.9996;
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 0);
	assert_true(has_reason(&d, "rmse 109.9996 <= 110 (n=300)"));
}

static void test_require_drift(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	p.require_drift = 1;
	policy_guard_state_init(&g);
	base_window(&ev, 0.6, T0);
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 0);
	assert_int_equal(d.kpi_breached, 1);
	assert_true(has_reason(&d, "KPI breach without dataset drift; policy requires drift"));
	assert_int_equal(g.consecutive_breaches, 1); /* the breach counted */
	assert_decisive(&d, POLICY_REASON_REQUIRE_DRIFT, "policy requires drift");
	assert_int_equal(code_of(&d, "auc 0.6 < 0.75"), POLICY_REASON_KPI_BREACH);
	ev.dataset_drift = 1;
	ev.n_drifted = 5;
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 1);
}

static void test_consecutive_windows(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	p.consecutive_windows = 2;
	policy_guard_state_init(&g);

	base_window(&ev, 0.6, T0);
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 0);
	assert_true(has_reason(&d, "KPI breach in 1 of 2 consecutive windows required"));
	assert_decisive(&d, POLICY_REASON_CONSECUTIVE, "1 of 2 consecutive");
	/* a good window in between breaks the streak */
	base_window(&ev, 0.9, T0 + DAY_MS);
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(g.consecutive_breaches, 0);
	base_window(&ev, 0.6, T0 + 2 * DAY_MS);
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 0);
	base_window(&ev, 0.6, T0 + 3 * DAY_MS);
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_int_equal(d.retrain, 1);
	assert_decisive(&d, POLICY_REASON_KPI_BREACH, "auc 0.6 < 0.75");
	assert_int_equal(code_of(&d, "retrain: KPI breach in 2 consecutive windows (2 required)"),
			 POLICY_REASON_RETRAIN);
	assert_int_equal(g.consecutive_breaches, 0); /* reset by the retrain */
	assert_int_equal(g.last_retrain_ms, T0 + 3 * DAY_MS);
	assert_int_equal(g.n_retrains, 1);
}

static void test_cooldown(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	p.cooldown_ms = 7 * DAY_MS;
	policy_guard_state_init(&g);
	base_window(&ev, 0.6, T0);
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 1);

	base_window(&ev, 0.6, T0 + 7 * DAY_MS - 1);
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_int_equal(d.retrain, 0);
	assert_true(has_reason(&d, "cooldown: last retrain at 2023-11-14T22:13:20.000Z, cooldown ends 2023-11-21T22:13:20.000Z"));
	assert_decisive(&d, POLICY_REASON_COOLDOWN, "cooldown ends 2023-11-21");
	assert_int_equal(g.consecutive_breaches, 1); /* kept for after */
	assert_int_equal(g.last_retrain_ms, T0);

	base_window(&ev, 0.6, T0 + 7 * DAY_MS);
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 1);
	assert_int_equal(g.last_retrain_ms, T0 + 7 * DAY_MS);
}

static void test_every_blocking_guard_is_listed(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	p.consecutive_windows = 2;
	p.cooldown_ms = 7 * DAY_MS;
	policy_guard_state_init(&g);
	base_window(&ev, 0.6, T0);
	policy_decide(&p, &ev, &g, &d);
	base_window(&ev, 0.6, T0 + DAY_MS);
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 1);
	/* the next breach is both the first of a new streak and in cooldown */
	base_window(&ev, 0.6, T0 + 2 * DAY_MS);
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_int_equal(d.retrain, 0);
	assert_true(has_reason(&d, "KPI breach in 1 of 2 consecutive windows required"));
	assert_true(has_reason(&d, "cooldown: last retrain at"));
	/* the engine lists evidence first, outcome last; the last blocking
	 * guard decides */
	assert_non_null(strstr(d.reasons[d.n_reasons - 1], "cooldown"));
	assert_decisive(&d, POLICY_REASON_COOLDOWN, "cooldown");
	assert_int_equal(code_of(&d, "1 of 2 consecutive"), POLICY_REASON_CONSECUTIVE);
}

/* The most reasons a decision can give all fit, and the decisive one is
 * among them: 16 breaching KPIs blocked by all four guards. */
static void test_all_reasons_fit(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	for (size_t i = 0; i < POLICY_MAX_KPIS; i++)
		p.kpis[i] = (policy_kpi){.metric = KPI_AUC, .threshold = 0.75};
	p.n_kpis = POLICY_MAX_KPIS;
	p.require_drift = 1;
	p.consecutive_windows = 3;
	p.cooldown_ms = 7 * DAY_MS;
	p.max_retrains = 1;
	policy_guard_state_init(&g);
	g.last_retrain_ms = T0 - DAY_MS;
	g.retrain_ms[0] = T0 - DAY_MS;
	g.n_retrains = 1;
	base_window(&ev, 0.6, T0);
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_int_equal(d.retrain, 0);
	assert_int_equal(d.n_reasons, 1 + POLICY_MAX_KPIS + 4);
	assert_int_equal(d.reason_codes[0], POLICY_REASON_DRIFT_NOT_JUDGED);
	for (size_t i = 1; i <= POLICY_MAX_KPIS; i++)
		assert_int_equal(d.reason_codes[i], POLICY_REASON_KPI_BREACH);
	assert_int_equal(d.reason_codes[POLICY_MAX_KPIS + 1], POLICY_REASON_REQUIRE_DRIFT);
	assert_int_equal(d.reason_codes[POLICY_MAX_KPIS + 2], POLICY_REASON_CONSECUTIVE);
	assert_int_equal(d.reason_codes[POLICY_MAX_KPIS + 3], POLICY_REASON_COOLDOWN);
	assert_decisive(&d, POLICY_REASON_BUDGET, "budget: 1 retrains in the last 30 days, max 1");
	assert_int_equal(d.decisive, d.n_reasons - 1);
}

/* Every code has one name, the list ends with NULL, and docs/policies.md
 * has a row for each code in its table of reason codes. */
static void test_reason_names_documented(void **state)
{
	const char *path = KPG_TEST_DATA_DIR "/../../docs/policies.md";
	char row[96], *doc;
	FILE *f;
	long len;

	(void)state;
	assert_null(policy_reason_names[POLICY_REASON__COUNT]);
	assert_string_equal(policy_reason_name(POLICY_REASON__COUNT), "unknown");
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	doc = malloc((size_t)len + 1);
	assert_non_null(doc);
	assert_int_equal(fread(doc, 1, (size_t)len, f), (size_t)len);
	doc[len] = '\0';
	fclose(f);
	for (int c = 0; c < POLICY_REASON__COUNT; c++) {
		const char *name = policy_reason_names[c];
		int found;

		assert_non_null(name);
		assert_string_equal(policy_reason_name((policy_reason_code)c), name);
		for (int o = 0; o < c; o++)
			assert_string_not_equal(policy_reason_names[o], name);
		snprintf(row, sizeof(row), "\n| `%s` |", name);
		found = strstr(doc, row) != NULL;
		if (!found) {
			free(doc);
			fail_msg("docs/policies.md has no row \"| `%s` |\"", name);
		}
	}
	free(doc);
}

static void test_budget(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	p.max_retrains = 2;
	policy_guard_state_init(&g);
	base_window(&ev, 0.6, T0);
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 1);
	base_window(&ev, 0.6, T0 + DAY_MS);
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 1);
	base_window(&ev, 0.6, T0 + 2 * DAY_MS);
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_int_equal(d.retrain, 0);
	assert_true(has_reason(&d, "budget: 2 retrains in the last 30 days, max 2"));
	assert_decisive(&d, POLICY_REASON_BUDGET, "budget: 2 retrains");
	/* at T0 + 30 days the retrain at T0 is outside (end - period, end] */
	base_window(&ev, 0.6, T0 + 30 * DAY_MS);
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 1);
	assert_int_equal(g.n_retrains, 3);
	/* a non-whole-day period is worded in hours */
	p.budget_period_ms = 36 * 3600 * 1000LL;
	p.max_retrains = 1;
	base_window(&ev, 0.6, T0 + 30 * DAY_MS + 1000);
	policy_decide(&p, &ev, &g, &d);
	assert_true(has_reason(&d, "budget: 1 retrains in the last 36 hours, max 1"));
}

static void test_history_capped(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	policy_guard_state_init(&g);
	for (int i = 0; i < POLICY_MAX_RETRAIN_HISTORY + 6; i++) {
		base_window(&ev, 0.6, T0 + i * DAY_MS);
		policy_decide(&p, &ev, &g, &d);
		assert_int_equal(d.retrain, 1);
	}
	assert_int_equal(g.n_retrains, POLICY_MAX_RETRAIN_HISTORY);
	assert_int_equal(g.retrain_ms[0], T0 + 6 * DAY_MS); /* oldest dropped */
	assert_int_equal(g.retrain_ms[POLICY_MAX_RETRAIN_HISTORY - 1],
			 T0 + (POLICY_MAX_RETRAIN_HISTORY + 5) * DAY_MS);
}

/* Same inputs, same decision: nothing reads the wall clock. */
static void test_replay_is_deterministic(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g1, g2;
	policy_decision d1, d2;

	(void)state;
	base_policy(&p);
	p.cooldown_ms = DAY_MS;
	p.consecutive_windows = 2;
	policy_guard_state_init(&g1);
	policy_guard_state_init(&g2);
	for (int i = 0; i < 10; i++) {
		base_window(&ev, i % 3 ? 0.6 : 0.8, T0 + i * 3600 * 1000LL * 10);
		policy_decide(&p, &ev, &g1, &d1);
		policy_decide(&p, &ev, &g2, &d2);
		assert_memory_equal(&d1, &d2, sizeof(d1));
	}
	assert_memory_equal(&g1, &g2, sizeof(g1));
}

/* ---- idempotency keys --------------------------------------------- */

static void key_for(const char *model, uint64_t idx, int64_t start, char *out)
{
	char m[512];
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	snprintf(m, sizeof(m), "%s", model);
	base_policy(&p);
	p.model = m;
	policy_guard_state_init(&g);
	base_window(&ev, 0.9, T0);
	ev.window_index = idx;
	ev.start_ms = start;
	policy_decide(&p, &ev, &g, &d);
	snprintf(out, 96, "%s", d.idempotency_key);
}

/* ---- relative KPI rules ------------------------------------------ */

/* A relative-only auc rule: the first baseline_windows windows with
 * evidence teach the baseline and hold (nothing judges yet); then a drop
 * of more than the amount breaches; a retrain starts the baseline again
 * once the settle time has passed, and windows before it do not teach. */
static void test_relative_amount(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;
	int64_t t = T0;

	(void)state;
	base_policy(&p);
	p.kpis[0] = (policy_kpi){.metric = KPI_AUC, .relative = POLICY_REL_AMOUNT, .worse_by = 0.05, .relative_only = 1};
	p.baseline_windows = 3;
	p.baseline_settle_ms = 2 * DAY_MS;
	policy_guard_state_init(&g);
	/* 0.80, 0.82, 0.84 with 512 labels each: baseline 0.82 */
	for (int i = 0; i < 3; i++) {
		base_window(&ev, 0.80 + 0.02 * i, t += DAY_MS);
		policy_decide(&p, &ev, &g, &d);
		dump(&d);
		assert_false(d.retrain);
		assert_decisive(&d, POLICY_REASON_BASELINE_LEARNING, "baseline");
	}
	assert_true(g.base.ready);
	assert_true(fabs(g.base.value[0] - 0.82) < 1e-12);
	/* 0.771 is 0.049 below: within */
	base_window(&ev, 0.771, t += DAY_MS);
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_false(d.retrain);
	assert_int_equal(code_of(&d, "baseline 0.82"), POLICY_REASON_KPI_NEAR_BASELINE);
	assert_decisive(&d, POLICY_REASON_NO_BREACH, "within");
	/* 0.76 is 0.06 below: a breach, and with one window required, a retrain */
	base_window(&ev, 0.76, t += DAY_MS);
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_true(d.retrain);
	assert_decisive(&d, POLICY_REASON_KPI_DEGRADED, "worse by 0.06");
	assert_false(g.base.ready);
	assert_int_equal(g.base.since_ms, t + 2 * DAY_MS);
	/* a window inside the settle time does not teach the new baseline */
	base_window(&ev, 0.5, t + DAY_MS);
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(g.base.windows, 0);
	assert_decisive(&d, POLICY_REASON_BASELINE_LEARNING, "0 of 3");
	/* afterwards it does */
	base_window(&ev, 0.9, t + 4 * DAY_MS);
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(g.base.windows, 1);
}

/* A percentage rule on rmse beside a fixed max: either breaches; a
 * deployment restarts the baseline at its time, and once only. */
static void test_relative_pct_and_deployment(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;
	int64_t t = T0;

	(void)state;
	base_policy(&p);
	p.kpis[0] = (policy_kpi){.metric = KPI_RMSE, .is_max = 1, .threshold = 100, .relative = POLICY_REL_PCT, .worse_by = 20};
	p.baseline_windows = 1;
	p.baseline_settle_ms = 0;
	policy_guard_state_init(&g);
	base_window(&ev, 0, t += DAY_MS);
	ev.kpis[KPI_AUC].valid = 0;
	ev.kpis[KPI_RMSE] = (policy_kpi_value){1, 50, 512};
	policy_decide(&p, &ev, &g, &d);
	/* the fixed rule judges while the baseline learns */
	assert_decisive(&d, POLICY_REASON_NO_BREACH, "within");
	assert_int_equal(code_of(&d, "learning"), POLICY_REASON_BASELINE_LEARNING);
	assert_true(g.base.ready);
	/* 61 is 22% above 50: degraded, though far below the max of 100 */
	ev.start_ms += DAY_MS;
	ev.end_ms += DAY_MS;
	ev.kpis[KPI_RMSE].value = 61;
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_true(d.kpi_breached);
	assert_int_equal(code_of(&d, "rmse 61 <= 100"), POLICY_REASON_KPI_OK);
	assert_int_equal(code_of(&d, "against its baseline"), POLICY_REASON_KPI_DEGRADED);
	/* a deployment: learned again from windows that start then */
	assert_int_equal(policy_guard_deployed(&g, ev.end_ms + DAY_MS), 0);
	assert_false(g.base.ready);
	assert_int_equal(policy_guard_deployed(&g, ev.end_ms + DAY_MS), 1);
	assert_int_equal(policy_guard_deployed(&g, ev.end_ms), 1);
	ev.start_ms += 2 * DAY_MS;
	ev.end_ms += 2 * DAY_MS;
	policy_decide(&p, &ev, &g, &d);
	assert_true(g.base.ready);
	assert_true(g.base.value[0] == 61);
}

static void test_idempotency_key(void **state)
{
	char a[96], b[96], long1[300], long2[300];

	(void)state;
	key_for("churn-xgb", 3, T0, a);
	assert_string_equal(a, "churn-xgb:3:1700000000000");
	key_for("churn-xgb", 3, T0, b);
	assert_string_equal(a, b);
	key_for("churn-xgb", 4, T0, b);
	assert_string_not_equal(a, b);

	/* characters outside [A-Za-z0-9._:-] are replaced, and a hash of
	 * the original keeps "a b" and "a/b" apart */
	key_for("a b", 1, 0, a);
	key_for("a/b", 1, 0, b);
	assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-"),
			 strlen(a));
	assert_true(strncmp(a, "a_b-", 4) == 0);
	assert_string_not_equal(a, b);

	/* long names are cut, with the hash, within 80 characters */
	memset(long1, 'm', 250);
	long1[250] = '\0';
	memcpy(long2, long1, sizeof(long1));
	long2[249] = 'n';
	key_for(long1, UINT64_MAX, INT64_MIN, a);
	key_for(long2, UINT64_MAX, INT64_MIN, b);
	print_message("    %s\n    %s\n", a, b);
	assert_true(strlen(a) <= 80);
	assert_true(strlen(b) <= 80);
	assert_string_not_equal(a, b);
	assert_non_null(strstr(a, ":18446744073709551615:-9223372036854775808"));
	key_for(long1, UINT64_MAX, INT64_MIN, b);
	assert_string_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge_features),
		cmocka_unit_test(test_judge_no_values),
		cmocka_unit_test(test_judge_correction),
		cmocka_unit_test(test_judge_weights),
		cmocka_unit_test(test_reasons_list_evidence),
		cmocka_unit_test(test_drift_share_digits),
		cmocka_unit_test(test_naive_follows_drift),
		cmocka_unit_test(test_min_records),
		cmocka_unit_test(test_min_labelled),
		cmocka_unit_test(test_invalid_kpi_is_no_evidence),
		cmocka_unit_test(test_no_breach_resets_and_drift_alerts),
		cmocka_unit_test(test_lower_is_better),
		cmocka_unit_test(test_require_drift),
		cmocka_unit_test(test_consecutive_windows),
		cmocka_unit_test(test_cooldown),
		cmocka_unit_test(test_every_blocking_guard_is_listed),
		cmocka_unit_test(test_all_reasons_fit),
		cmocka_unit_test(test_reason_names_documented),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_history_capped),
		cmocka_unit_test(test_replay_is_deterministic),
		cmocka_unit_test(test_relative_amount),
		cmocka_unit_test(test_relative_pct_and_deployment),
		cmocka_unit_test(test_idempotency_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
