/* test_policies_decide.c - the decision engine on hand-built windows:
 * feature judging, each rule of policy_decide in its order, the guards
 * (consecutive windows, cooldown, budget), and idempotency keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

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
	p->kpis[0] = (policy_kpi){KPI_AUC, 0, 0.75, NULL};
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
		print_message("    reason: %s\n", d->reasons[i]);
}

/* ---- policy_judge_features --------------------------------------- */

static void test_judge_features(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_feature_eval f[] = {
		/* numeric, PSI over threshold */
		{"tenure", POLICY_FEATURE_NUMERIC, 500, 0, 0.25, 1, 0.05, 0.5, 0},
		/* numeric, PSI low, KS significant and large enough */
		{"monthly_charges", POLICY_FEATURE_NUMERIC, 500, 0, 0.05, 1, 0.15, 0.001, 0},
		/* numeric, KS significant but statistic too small */
		{"age", POLICY_FEATURE_NUMERIC, 500, 0, 0.05, 1, 0.05, 0.001, 0},
		/* numeric, KS p-value not small enough */
		{"calls", POLICY_FEATURE_NUMERIC, 500, 0, 0.05, 1, 0.3, 0.02, 0},
		/* categorical: only PSI counts, KS fields ignored */
		{"state", POLICY_FEATURE_CATEGORICAL, 500, 0, 0.1, 1, 0.9, 0.0, 0},
		/* no values: never drifts, not counted in the share */
		{"empty", POLICY_FEATURE_NUMERIC, 0, 500, 5.0, 1, 1.0, 0.0, 0},
		/* PSI exactly at the threshold drifts */
		{"contract", POLICY_FEATURE_CATEGORICAL, 500, 0, 0.2, 0, 0, 1, 0},
	};

	(void)state;
	base_policy(&p);
	memset(&ev, 0, sizeof(ev));
	ev.features = f;
	ev.n_features = sizeof(f) / sizeof(f[0]);
	policy_judge_features(&p, &ev);
	assert_int_equal(f[0].drifted, 1);
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
	/* a stricter KS statistic removes monthly_charges */
	p.ks_min_statistic = 0.2;
	policy_judge_features(&p, &ev);
	assert_int_equal(f[1].drifted, 0);
	assert_int_equal(ev.n_drifted, 2);
}

static void test_judge_no_values(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_feature_eval f[] = {
		{"a", POLICY_FEATURE_NUMERIC, 0, 10, 9.0, 1, 1.0, 0.0, 1},
	};

	(void)state;
	base_policy(&p);
	memset(&ev, 0, sizeof(ev));
	ev.features = f;
	ev.n_features = 1;
	policy_judge_features(&p, &ev);
	assert_int_equal(f[0].drifted, 0); /* stale flag cleared */
	assert_int_equal(ev.n_drifted, 0);
	assert_true(ev.drifted_share == 0.0);
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
	for (int i = 0; i < 20; i++)
		f[i] = (policy_feature_eval){names[i], POLICY_FEATURE_CATEGORICAL,
					     100, 0, i < 3 ? 0.5 : 0.01, 0, 0, 1, 0};
	ev.features = f;
	ev.n_features = 20;
	policy_judge_features(&p, &ev);
	policy_guard_state_init(&g);
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_true(has_reason(&d, "3 of 20 features drifted (15%): tenure, monthly_charges, contract"));
	assert_true(has_reason(&d, "auc 0.712 < 0.750 (n=512)"));
	assert_int_equal(d.retrain, 1);
	assert_int_equal(d.naive_would_retrain, 1);
	assert_int_equal(d.kpi_breached, 1);
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
	assert_true(has_reason(&d, "auc 0.500 < 0.750")); /* still listed */
	assert_int_equal(g.consecutive_breaches, 1);      /* unchanged */
	ev.n_records = 100;                               /* exactly min_records is enough */
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
}

static void test_invalid_kpi_is_no_evidence(void **state)
{
	policy p;
	policy_window_eval ev;
	policy_guard_state g;
	policy_decision d;

	(void)state;
	base_policy(&p);
	p.kpis[1] = (policy_kpi){KPI_ACCURACY, 0, 0.8, NULL};
	p.n_kpis = 2;
	policy_guard_state_init(&g);

	/* auc has no value; accuracy breaches: decided on accuracy */
	base_window(&ev, 0.0, T0);
	ev.kpis[KPI_AUC].valid = 0;
	ev.kpis[KPI_ACCURACY] = (policy_kpi_value){1, 0.7, 512};
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_true(has_reason(&d, "auc: no value in this window (no evidence)"));
	assert_true(has_reason(&d, "accuracy 0.700 < 0.800 (n=512)"));
	assert_int_equal(d.retrain, 1);

	/* no KPI has a value: hold, streak unchanged */
	g.consecutive_breaches = 1;
	ev.kpis[KPI_ACCURACY].valid = 0;
	policy_decide(&p, &ev, &g, &d);
	assert_int_equal(d.retrain, 0);
	assert_true(has_reason(&d, "no KPI evidence"));
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
	assert_true(has_reason(&d, "auc 0.750 >= 0.750"));
	assert_true(has_reason(&d, "KPIs within thresholds"));
	assert_false(has_reason(&d, "alert only"));

	ev.dataset_drift = 1;
	ev.n_drifted = 10;
	policy_decide(&p, &ev, &g, &d);
	dump(&d);
	assert_int_equal(d.retrain, 0);
	assert_int_equal(d.naive_would_retrain, 1);
	assert_true(has_reason(&d, "drift without KPI breach: alert only"));
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
	p.kpis[0] = (policy_kpi){KPI_RMSE, 1, 10.0, NULL};
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
	/* the engine lists evidence first, outcome last */
	assert_non_null(strstr(d.reasons[d.n_reasons - 1], "cooldown"));
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
		cmocka_unit_test(test_reasons_list_evidence),
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
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_history_capped),
		cmocka_unit_test(test_replay_is_deterministic),
		cmocka_unit_test(test_idempotency_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
