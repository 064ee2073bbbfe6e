/* test_policies_load.c - policy files: the examples load with the values
 * they state, defaults fill the rest, and every broken file in
 * tests/data/policies/ reports exactly the expected diagnostics, each at
 * its line:column. Also json_locate and the name helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "json_locate.h"
#include "kpg_suggest.h"
#include "jsonv_fixture.h"
#include "correction.h"
#include "policy.h"
#include "policy_keys.h"

#define DATA KPG_TEST_DATA_DIR "/policies/"
#define EXAMPLES KPG_TEST_DATA_DIR "/../../policies/examples/"

/* ---- helpers ------------------------------------------------------ */

static policy *load_ok(const char *path)
{
	policy_diags d = {0};
	policy *p = NULL;
	kpg_err err;
	int rc;

	kpg_err_clear(&err);
	rc = policy_load(path, &p, &d, &err);
	if (rc != 0) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s:%d:%d: %s\n", path, d.items[i].line,
				d.items[i].column, d.items[i].message);
		fprintf(stderr, "%s\n", err.msg);
	}
	assert_int_equal(rc, 0);
	assert_non_null(p);
	assert_int_equal(d.n, 0);
	policy_diags_free(&d);
	return p;
}

typedef struct want {
	int line, column;
	const char *substr;
} want;

/* Loads a broken file; asserts it fails and that its diagnostics are
 * exactly `wants` (same count, each found at its position). */
static void expect_diags(const char *name, const want *wants, size_t n)
{
	char path[512];
	policy_diags d = {0};
	policy *p = NULL;
	kpg_err err;
	int rc;

	snprintf(path, sizeof(path), DATA "%s", name);
	kpg_err_clear(&err);
	rc = policy_load(path, &p, &d, &err);
	for (size_t i = 0; i < d.n; i++)
		print_message("  %s:%d:%d: %s\n", name, d.items[i].line,
			      d.items[i].column, d.items[i].message);
	assert_int_equal(rc, KPG_EINVAL);
	assert_null(p);
	assert_non_null(strstr(err.msg, "error"));
	assert_int_equal(d.n, n);
	for (size_t w = 0; w < n; w++) {
		size_t i;

		for (i = 0; i < d.n; i++)
			if (d.items[i].line == wants[w].line &&
			    d.items[i].column == wants[w].column &&
			    strstr(d.items[i].message, wants[w].substr) != NULL)
				break;
		if (i == d.n)
			fail_msg("%s: no diagnostic %d:%d containing \"%s\"", name,
				 wants[w].line, wants[w].column, wants[w].substr);
	}
	policy_diags_free(&d);
}

#define EXPECT(name, ...) \
	do { \
		static const want w_[] = {__VA_ARGS__}; \
		expect_diags(name, w_, sizeof(w_) / sizeof(w_[0])); \
	} while (0)

static const policy_param *param(const policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_params; i++)
		if (strcmp(p->params[i].name, name) == 0)
			return &p->params[i];
	return NULL;
}

/* ---- good files --------------------------------------------------- */

static void test_example_churn(void **state)
{
	policy *p = load_ok(EXAMPLES "churn-dry-run.json");

	(void)state;
	assert_string_equal(p->model, "churn-xgb");
	assert_string_equal(p->endpoint, "churn-endpoint");
	/* resolved against the policy's folder */
	assert_string_equal(p->reference_path, EXAMPLES "train.csv");
	assert_string_equal(p->label_column, "churn");
	assert_int_equal(p->n_exclude, 1);
	assert_string_equal(p->exclude_columns[0], "customer_id");
	assert_int_equal(p->n_features, 2);
	assert_int_equal(p->task, POLICY_TASK_BINARY);
	assert_int_equal(p->window_records, 2000);
	assert_int_equal(p->window_span_ms, 86400000LL);
	assert_int_equal(p->n_kpis, 2);
	assert_int_equal(p->kpis[0].metric, KPI_AUC);
	assert_int_equal(p->kpis[0].is_max, 0);
	assert_true(p->kpis[0].threshold == 0.75);
	assert_int_equal(p->kpis[1].metric, KPI_ACCURACY);
	assert_int_equal(p->min_records, 500);
	assert_int_equal(p->min_labelled, 200);
	assert_int_equal(p->consecutive_windows, 2);
	assert_int_equal(p->cooldown_ms, 604800000LL);
	assert_int_equal(p->max_retrains, 4);
	assert_int_equal(p->budget_period_ms, 2592000000LL);
	assert_int_equal(p->action, POLICY_ACTION_DRY_RUN);
	assert_string_equal(p->pipeline_name, "churn-retrain");
	assert_null(p->state_machine_arn); /* null in the file */
	assert_string_equal(p->action_region, "us-east-1");
	assert_int_equal(p->n_params, 2);
	assert_string_equal(param(p, "ModelName")->value, "{model}");
	assert_string_equal(p->energy.instance_type, "ml.m5.xlarge");
	assert_int_equal(p->energy.instance_count, 1);
	assert_true(p->energy.expected_hours == 1.5);
	assert_string_equal(p->energy.region, "us-east-1");
	policy_free(p);
}

static void test_example_sagemaker(void **state)
{
	policy *p = load_ok(EXAMPLES "house-price-sagemaker.json");

	(void)state;
	assert_int_equal(p->task, POLICY_TASK_REGRESSION);
	assert_string_equal(p->score_field, "predicted_price");
	assert_int_equal(p->window_records, 0);
	assert_int_equal(p->window_span_ms, 604800000LL);
	assert_int_equal(p->kpis[0].metric, KPI_RMSE);
	assert_int_equal(p->kpis[0].is_max, 1);
	assert_true(p->kpis[0].threshold == 42000);
	assert_true(p->require_drift);
	assert_true(p->psi_threshold == 0.25);
	assert_int_equal(p->psi_bins, 10); /* default */
	assert_int_equal(p->action, POLICY_ACTION_SAGEMAKER_PIPELINE);
	assert_string_equal(p->pipeline_name, "house-price-retrain");
	assert_string_equal(param(p, "ClientToken")->value, "{idempotency_key}");
	assert_int_equal(p->energy.instance_count, 2);
	policy_free(p);
}

static void test_example_step_functions(void **state)
{
	policy *p = load_ok(EXAMPLES "fraud-step-functions.json");

	(void)state;
	assert_null(p->endpoint);
	assert_string_equal(p->reference_path,
			    "/srv/kpigate/reference/fraud_train.csv");
	assert_true(p->score_threshold == 0.35);
	assert_int_equal(p->action, POLICY_ACTION_STEP_FUNCTIONS);
	assert_string_equal(p->state_machine_arn,
			    "arn:aws:states:us-west-2:123456789012:stateMachine:fraud-retrain");
	assert_int_equal(p->n_kpis, 3);
	assert_int_equal(p->consecutive_windows, 3);
	assert_int_equal(p->max_retrains, 0);
	policy_free(p);
}

/* Relative rules: alone or beside min; the baseline's keys; the settle
 * time defaults to energy.expected_hours when absent. */
static void test_relative_rules(void **state)
{
	policy *p = load_ok(DATA "good_relative.json");
	policy *q = load_ok(DATA "good_minimal.json");

	(void)state;
	assert_int_equal(p->n_kpis, 2);
	assert_int_equal(p->kpis[0].relative, POLICY_REL_AMOUNT);
	assert_true(p->kpis[0].worse_by == 0.05);
	assert_false(p->kpis[0].relative_only);
	assert_true(p->kpis[0].threshold == 0.7);
	assert_int_equal(p->kpis[1].relative, POLICY_REL_PCT);
	assert_true(p->kpis[1].worse_by == 10);
	assert_true(p->kpis[1].relative_only);
	assert_int_equal(p->baseline_windows, 4);
	assert_int_equal(p->baseline_settle_ms, 7200 * 1000);
	assert_int_equal(q->baseline_settle_ms, -1);
	assert_int_equal(policy_settle_ms(q), (int64_t)(q->energy.expected_hours * 3600000.0));
	policy_free(p);
	policy_free(q);
}

static void test_defaults(void **state)
{
	policy *p = load_ok(DATA "good_minimal.json");
	size_t n;
	const kpg_jsonv_key *keys = policy_keys(&n);
	double d;

	(void)state;
	assert_string_equal(p->reference_path, DATA "ref/train.csv");
	assert_null(p->label_column);
	assert_null(p->endpoint);
	assert_int_equal(p->n_features, 0);
	assert_int_equal(p->window_span_ms, 0);
	assert_null(p->action_region);
	assert_int_equal(p->n_params, 0);
	/* every default the table states, none restated here */
	assert_true(fx_assert_table_defaults(keys, n, p, NULL) >= 14);
	/* and the accessor compare uses */
	assert_int_equal(policy_key_default("drift.psi_threshold", &d), 0);
	assert_true(d == p->psi_threshold);
	assert_int_equal(policy_key_default("model", &d), KPG_ENOTFOUND);
	policy_free(p);
}

/* sha256 of the file bytes, checked against coreutils' sha256sum. */
static void test_sha256(void **state)
{
	const char *path = EXAMPLES "churn-dry-run.json";
	char cmd[600], want_hex[65] = "", got_hex[65];
	policy *p = load_ok(path);
	FILE *f;

	(void)state;
	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	f = popen(cmd, "r");
	if (f == NULL || fscanf(f, "%64s", want_hex) != 1) {
		if (f)
			pclose(f);
		policy_free(p);
		skip();
	}
	pclose(f);
	for (int i = 0; i < 32; i++)
		snprintf(got_hex + 2 * i, 3, "%02x", p->sha256[i]);
	assert_string_equal(got_hex, want_hex);
	policy_free(p);
}

/* ---- broken files ------------------------------------------------- */

static void test_bad_syntax(void **state)
{
	(void)state;
	/* jansson's position (end of the unexpected token), and only it */
	EXPECT("bad_syntax.json", {4, 8, "'}' expected"});
	EXPECT("bad_duplicate_key.json", {3, 9, "duplicate object key"});
	EXPECT("bad_not_object.json", {1, 1, "one JSON object, got an array"});
}

static void test_bad_types(void **state)
{
	(void)state;
	EXPECT("bad_types.json",
	       {2, 12, "model must be a string, got an integer"},
	       {3, 57, "reference.exclude_columns must be an array"},
	       {4, 25, "window.records must be an integer, got a string"},
	       {5, 25, "drift.psi_bins must be a whole number, got 10.5"},
	       {6, 37, "kpis[0].min must be a number, got a string"},
	       {7, 33, "decision.require_drift must be true or false"},
	       {8, 57, "action.parameters.Count must be a string"});
}

static void test_bad_ranges(void **state)
{
	(void)state;
	EXPECT("bad_ranges.json",
	       {4, 31, "prediction.threshold must be in [0, 1], got 1.5"},
	       {5, 25, "window.records must be an integer from 1 to 10000000, got 0"},
	       {5, 44, "window.span_seconds must be an integer from 1 to 31622400"},
	       {6, 25, "drift.psi_bins must be an integer from 2 to 1000, got 1"},
	       {6, 45, "drift.psi_threshold must be in (0, 10], got 0"},
	       {6, 62, "drift.ks_p_value must be in (0, 1), got 1"},
	       {6, 87, "drift.ks_min_statistic must be in [0, 1], got -0.1"},
	       {6, 116, "drift.dataset_drift_share must be in (0, 1], got 0"},
	       {7, 37, "kpis[0].min must be in [0, 1], got 1.2"},
	       {8, 37, "guards.consecutive_windows must be an integer from 1"},
	       {8, 56, "guards.max_retrains must be an integer from 0 to 64"},
	       {8, 80, "guards.cooldown_seconds must be an integer from 0"},
	       {10, 65, "energy.instance_count must be an integer from 1 to 1000"},
	       {10, 86, "energy.expected_hours must be in (0, 720], got 1000"});
}

/* drift.ks_method: "auto" (scipy's default) or "asymp" */
static void test_ks_method(void **state)
{
	policy *p = load_ok(DATA "good_ks_asymp.json");

	(void)state;
	assert_int_equal(p->ks_method, POLICY_KS_ASYMP);
	policy_free(p);
	EXPECT("bad_ks_method.json",
	       {5, 26, "drift.ks_method \"asym\" is not auto, asymp or exact; did you mean \"asymp\"?"});
}

/* drift.numeric / categorical / features: entries as names or objects,
 * thresholds from the globals or their own, plans per feature. */
static void test_drift_choices(void **state)
{
	policy *p = load_ok(DATA "good_drift.json");
	drift_plan plan;
	kpg_err err;

	(void)state;
	assert_int_equal(p->drift_numeric.n_checks, 3);
	assert_int_equal(p->drift_numeric.checks[0].kind, DRIFT_PSI);
	assert_float_equal(p->drift_numeric.checks[0].threshold, 0.2, 0);
	assert_int_equal(p->drift_numeric.checks[1].kind, DRIFT_KS);
	assert_float_equal(p->drift_numeric.checks[1].threshold, 0.001, 0);
	assert_float_equal(p->drift_numeric.checks[1].min_effect, 0.05, 0);
	assert_int_equal(p->drift_numeric.checks[2].kind, DRIFT_WASSERSTEIN);
	assert_true(p->drift_categorical.is_auto);
	assert_int_equal(p->correction, CORRECTION_BENJAMINI_HOCHBERG);
	assert_int_equal(p->psi_binning, DRIFT_BINS_EVIDENTLY);
	assert_int_equal(p->min_values_per_bin, 5);
	assert_float_equal(p->max_noise_alarm, 0.05, 0);
	/* tenure: its own detector and weight */
	assert_int_equal(policy_drift_plan_for(p, "tenure", POLICY_FEATURE_NUMERIC,
					       &plan, &err),
			 0);
	assert_int_equal(plan.n_checks, 1);
	assert_int_equal(plan.checks[0].kind, DRIFT_HELLINGER);
	assert_float_equal(plan.weight, 2.5, 0);
	assert_false(plan.critical);
	/* contract: its type's detectors, critical */
	assert_int_equal(policy_drift_plan_for(p, "contract",
					       POLICY_FEATURE_CATEGORICAL, &plan, &err),
			 0);
	assert_true(plan.is_auto && plan.critical);
	assert_float_equal(plan.weight, 1, 0);
	/* auto resolves by effective size: tests small, distances large */
	{
		drift_plan use;

		policy_drift_resolve_auto(&plan, POLICY_FEATURE_CATEGORICAL, 1000,
					  p->auto_sample_size, &use);
		assert_int_equal(use.n_checks, 1);
		assert_int_equal(use.checks[0].kind, DRIFT_CHI2);
		policy_drift_resolve_auto(&plan, POLICY_FEATURE_CATEGORICAL, 1000.5,
					  p->auto_sample_size, &use);
		assert_int_equal(use.checks[0].kind, DRIFT_JS);
		assert_float_equal(use.checks[0].threshold, 0.15, 0);
		policy_drift_resolve_auto(&plan, POLICY_FEATURE_NUMERIC, 10,
					  p->auto_sample_size, &use);
		assert_int_equal(use.checks[0].kind, DRIFT_KS);
	}
	/* a detector that does not fit the feature's type, known only with
	 * the reference */
	assert_int_equal(policy_drift_plan_for(p, "tenure", POLICY_FEATURE_CATEGORICAL,
					       &plan, &err),
			 0); /* hellinger fits both */
	policy_free(p);

	p = load_ok(DATA "good_minimal.json");
	/* the defaults: psi + ks, psi */
	assert_int_equal(p->drift_numeric.n_checks, 2);
	assert_int_equal(p->drift_categorical.n_checks, 1);
	assert_int_equal(p->correction, CORRECTION_NONE);
	assert_int_equal(p->min_values_per_bin, 10);
	assert_int_equal(p->n_drift_features, 0);
	policy_free(p);

	EXPECT("bad_drift.json",
	       {6, 24, "drift.numeric[1]: chi2 does not apply to numeric features"},
	       {6, 32, "unknown detector \"kss\"; use psi, ks, chi2, js, wasserstein, hellinger or auto (did you mean \"ks\"?)"},
	       {6, 68, "drift.numeric[3].min_effect must be in [0, 1], got 2"},
	       {7, 20, "drift.categorical: \"auto\" picks the detectors itself; list it alone"},
	       {8, 19, "drift.correction \"holm\" is not none, bonferroni or benjamini_hochberg"},
	       {10, 26, "drift.features.a.detectors lists no detector"},
	       {10, 40, "drift.features.a.weight must be in (0, 1000], got 0"},
	       {11, 27, "min_effect applies to the tests (ks, chi2); js is judged by its threshold"},
	       {11, 63, "unknown key \"colour\" in drift.features.b"},
	       {12, 12, "drift.features.c must be an object"},
	       {13, 34, "drift.features.d.detectors[1]: psi is listed twice"},
	       {13, 54, "drift.features.d.critical must be true or false"});
}

static void test_bad_unknown_keys(void **state)
{
	(void)state;
	/* reported at the key, with a suggestion only for near misses */
	EXPECT("bad_unknown_keys.json",
	       {3, 38, "unknown key \"lable_column\" in reference; did you mean \"label_column\"?"},
	       {5, 3, "unknown key \"drfit\" in the policy; did you mean \"drift\"?"},
	       {6, 42, "unknown key \"treshold\" in kpis[0]"},
	       {7, 14, "did you mean \"cooldown_seconds\"?"},
	       {7, 39, "unknown key \"zzzzzz\" in guards"});
}

static void test_bad_kpis(void **state)
{
	(void)state;
	EXPECT("bad_kpi_bounds.json",
	       {6, 23, "auc is higher-is-better: use \"min\""},
	       {7, 16, "rmse is a regression metric but prediction.task is binary_classification"},
	       {8, 40, "kpis[2] has both \"min\" and \"max\""},
	       {9, 16, "unknown KPI metric \"aucc\"; did you mean \"auc\"?"},
	       {10, 5, "kpis[4] needs a threshold: \"min\" for recall"},
	       {11, 16, "KPI auc is listed twice (first at kpis[0])"});
	EXPECT("bad_relative_kpis.json",
	       {6, 55, "kpis[0] has both \"worse_than_baseline_by\" and \"worse_than_baseline_pct\""},
	       {7, 49, "kpis[1].worse_than_baseline_pct must be in [0, 1000], got 1001"},
	       {8, 52, "kpis[2].worse_than_baseline_by must be >= 0, got -1"},
	       {10, 27, "baseline.windows must be an integer from 1 to 100, got 0"});
	EXPECT("bad_regression_kpis.json",
	       {4, 40, "prediction.threshold applies only to binary_classification"},
	       {6, 30, "mae is lower-is-better: use \"max\""},
	       {6, 52, "f1 is a classification metric but prediction.task is regression"});
}

static void test_bad_missing(void **state)
{
	(void)state;
	/* at the enclosing object's opening brace */
	EXPECT("bad_missing.json",
	       {1, 1, "missing required key \"model\""},
	       {1, 1, "missing required key \"kpis\""},
	       {2, 16, "missing required key \"path\" in reference"},
	       {3, 13, "window needs \"records\", \"span_seconds\" or both"},
	       {4, 13, "sagemaker_pipeline needs \"pipeline_name\""},
	       {5, 13, "missing required key \"region\" in energy"});
}

static void test_bad_action(void **state)
{
	(void)state;
	EXPECT("bad_arn.json",
	       {7, 35, "not a Step Functions state machine ARN: the account field must be 12 digits"});
	EXPECT("bad_arn_region.json",
	       {8, 24, "action.region is us-east-1 but the state machine is in us-west-2"});
	EXPECT("bad_placeholders.json",
	       {8, 29, "unknown placeholder {modle} in action.parameters.ModelName; did you mean {model}?"},
	       {9, 24, "unknown placeholder {unknown_thing}"});
}

/* notify: each target's keys against their rows, the secret rule, and
 * the list kept with secret_file made absolute. */
static void test_notify(void **state)
{
	policy *p = load_ok(DATA "good_notify.json");
	json_t *t;

	(void)state;
	assert_non_null(p->notify);
	assert_int_equal(json_array_size(p->notify), 3);
	t = json_array_get(p->notify, 0);
	assert_string_equal(json_string_value(json_object_get(t, "secret_file")),
			    DATA "hook.secret");
	assert_int_equal(p->notify_cooldown_ms, 7200000);
	policy_free(p);
	p = load_ok(DATA "good_minimal.json");
	assert_null(p->notify);
	assert_int_equal(p->notify_cooldown_ms, 3600000);
	policy_free(p);
	EXPECT("bad_notify.json",
	       {8, 32, "notify[0].url must start with http:// or https://"},
	       {9, 5, "notify[1]: a webhook needs exactly one of \"secret_file\" and \"secret_env\""},
	       {10, 5, "notify[2]: a webhook needs exactly one of"},
	       {10, 127, "notify[2].events names \"retrain_decided\" twice"},
	       {11, 14, "notify[3].type \"sms\" is not webhook or sns"},
	       {11, 84, "notify[3].events[0] \"paged\" is not drift_alert, retrain_decided, "
			"action_failed or execution_finished"},
	       {11, 104, "notify[3].format \"xml\" is not json or slack"},
	       {12, 5, "notify[4]: \"url\" applies to webhooks"},
	       {12, 34, "notify[4].topic_arn is not an SNS topic ARN: the account field must be 12 digits"});
}

static void test_bad_energy(void **state)
{
	(void)state;
	/* the energy module's message, at the value */
	EXPECT("bad_energy.json",
	       {7, 31, "energy.instance_type: "},
	       {7, 100, "energy.region: "});
}

static void test_bad_many(void **state)
{
	(void)state;
	EXPECT("bad_many.json",
	       {2, 14, "version must be 1"},
	       {3, 12, "model \"many errors\" may hold only"},
	       {5, 16, "feature \"churn\" is the label column"},
	       {5, 46, "(did you mean \"numeric\"?)"},
	       {8, 29, "guards.min_records 200 is larger than window.records 100"},
	       {9, 22, "did you mean \"dry_run\"?"},
	       {9, 42, "action.region \"mars-1\" is not an AWS region"});
}

static void test_bad_unicode_columns(void **state)
{
	(void)state;
	/* columns count characters (as jansson does), a tab is one */
	EXPECT("bad_unicode_columns.json",
	       {2, 11, "may hold only letters"},
	       {4, 143, "unknown key \"\xc3\xa9\xc3\xa9x\""});
}

static void test_unreadable(void **state)
{
	policy_diags d = {0};
	policy *p = NULL;
	kpg_err err;

	(void)state;
	kpg_err_clear(&err);
	assert_int_equal(policy_load(DATA "does-not-exist.json", &p, &d, &err),
			 KPG_EIO);
	assert_null(p);
	assert_int_equal(d.n, 0);
	assert_non_null(strstr(err.msg, "No such file"));
}

static char *tmp_file(const char *content, size_t len)
{
	char *path = strdup("/tmp/kpg-policy-test-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_too_big(void **state)
{
	size_t len = 1024 * 1024 + 1;
	char *buf = malloc(len), *path;
	policy_diags d = {0};
	policy *p = NULL;
	kpg_err err;

	(void)state;
	assert_non_null(buf);
	memset(buf, ' ', len);
	buf[0] = '{';
	buf[len - 1] = '}';
	path = tmp_file(buf, len);
	assert_int_equal(policy_load(path, &p, &d, &err), KPG_EINVAL);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].line, 0);
	assert_non_null(strstr(d.items[0].message, "at most 1 MiB"));
	policy_diags_free(&d);
	unlink(path);
	free(path);
	free(buf);
}

/* 300 unknown keys: the list is capped and says how many were left out. */
static void test_error_cap(void **state)
{
	size_t cap = 300 * 32 + 16, len = 0;
	char *buf = malloc(cap), *path;
	policy_diags d = {0};
	policy *p = NULL;
	kpg_err err;

	(void)state;
	assert_non_null(buf);
	len += (size_t)snprintf(buf + len, cap - len, "{");
	for (int i = 0; i < 300; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s\"junk%03d\": 1",
					i ? ",\n" : "\n", i);
	len += (size_t)snprintf(buf + len, cap - len, "\n}\n");
	path = tmp_file(buf, len);
	assert_int_equal(policy_load(path, &p, &d, &err), KPG_EINVAL);
	/* 300 unknown keys + 6 missing required keys, 200 kept, sorted */
	assert_int_equal(d.n, 200);
	assert_int_equal(d.items[0].line, 2);
	assert_non_null(strstr(d.items[0].message, "\"junk000\""));
	for (size_t i = 1; i + 1 < d.n; i++)
		assert_true(d.items[i].line > d.items[i - 1].line);
	assert_string_equal(d.items[199].message, "... and 107 more errors");
	assert_non_null(strstr(err.msg, "306 errors"));
	policy_diags_free(&d);
	unlink(path);
	free(path);
	free(buf);
}

/* ---- json_locate -------------------------------------------------- */

static void test_locate(void **state)
{
	static const char text[] =
		"{\"a\": {\"b\\\"c\": [1, {\"d\": true}],\n"
		"  \"\\u00e9\\ud83d\\ude00\": \"x\\\\\"},\n"
		"\t\"e\":[ [ ] , \"{\" ]}";
	json_locate *loc = NULL;
	kpg_err err;
	int line = -1, col = -1;

	(void)state;
	assert_int_equal(json_locate_build(text, sizeof(text) - 1, &loc, &err), 0);
	assert_int_equal(json_locate_find(loc, "", 0, &line, &col), 0);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
	assert_int_equal(json_locate_find(loc, "a", 1, &line, &col), 0);
	assert_int_equal(col, 2);
	assert_int_equal(json_locate_find(loc, "a", 0, &line, &col), 0);
	assert_int_equal(col, 7);
	/* an escaped quote inside a key */
	assert_int_equal(json_locate_find(loc, "a.b\"c", 0, &line, &col), 0);
	assert_int_equal(col, 16);
	assert_int_equal(json_locate_find(loc, "a.b\"c[1].d", 0, &line, &col), 0);
	assert_int_equal(line, 1);
	assert_int_equal(col, 26);
	/* \u escapes and a surrogate pair decode to UTF-8 */
	assert_int_equal(json_locate_find(loc, "a.\xc3\xa9\xf0\x9f\x98\x80", 1,
					  &line, &col),
			 0);
	assert_int_equal(line, 2);
	assert_int_equal(col, 3);
	assert_int_equal(json_locate_find(loc, "e[1]", 0, &line, &col), 0);
	assert_int_equal(line, 3);
	assert_int_equal(col, 14);
	assert_int_equal(json_locate_find(loc, "e[0]", 1, &line, &col), 0);
	assert_int_equal(col, 8);
	assert_int_equal(json_locate_find(loc, "e[2]", 0, &line, &col),
			 KPG_ENOTFOUND);
	json_locate_free(loc);

	assert_int_equal(json_locate_build("{\"a\": \"x", 8, &loc, &err),
			 KPG_EPARSE);
	assert_null(loc);
}

static void test_locate_depth_cap(void **state)
{
	char text[2 * 300 + 1];
	json_locate *loc = NULL;
	kpg_err err;

	(void)state;
	memset(text, '[', 300);
	memset(text + 300, ']', 300);
	text[600] = '\0';
	assert_int_equal(json_locate_build(text, 600, &loc, &err), KPG_ETOOBIG);
	assert_null(loc);
}

/* ---- names -------------------------------------------------------- */

static void test_names(void **state)
{
	static const char *const keys[] = {"cooldown_seconds", "max_retrains",
					   "min_records", "min_labelled"};
	kpi_metric m;
	policy_action_type a;

	(void)state;
	for (int i = 0; i < KPI__COUNT; i++) {
		assert_int_equal(kpi_metric_from_name(kpi_metric_name(i), &m), 0);
		assert_int_equal(m, i);
	}
	assert_true(kpi_metric_higher_is_better(KPI_AUC));
	assert_false(kpi_metric_higher_is_better(KPI_RMSE));
	assert_false(kpi_metric_higher_is_better(KPI_MAE));
	assert_int_equal(kpi_metric_from_name("AUC", &m), KPG_ENOTFOUND);
	/* the key table's choices: the names, by enum, NULL-terminated */
	assert_string_equal(policy_task_names[POLICY_TASK_REGRESSION], "regression");
	assert_string_equal(policy_task_names[POLICY_TASK_MULTICLASS],
			    "multiclass_classification");
	assert_null(policy_task_names[POLICY_TASK_MULTICLASS + 1]);
	assert_string_equal(kpi_metric_names[KPI_MAE], "mae");
	assert_null(kpi_metric_names[KPI__COUNT]);
	assert_string_equal(policy_action_names[POLICY_ACTION_STEP_FUNCTIONS],
			    "step_functions");
	assert_string_equal(policy_action_names[POLICY_ACTION_WEBHOOK], "webhook");
	assert_null(policy_action_names[POLICY_ACTION_WEBHOOK + 1]);
	assert_string_equal(policy_task_name(POLICY_TASK_BINARY),
			    "binary_classification");
	assert_int_equal(policy_action_from_name("step_functions", &a), 0);
	assert_string_equal(policy_action_name(a), "step_functions");
	assert_string_equal(kpg_suggest("cooldwon_seconds", keys, 4),
			    "cooldown_seconds");
	assert_string_equal(kpg_suggest("MIN_RECORD", keys, 4),
			    "min_records");
	assert_string_equal(kpg_suggest("min_labeled", keys, 4),
			    "min_labelled");
	assert_null(kpg_suggest("colour", keys, 4));
	assert_null(kpg_suggest("", keys, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_churn),
		cmocka_unit_test(test_example_sagemaker),
		cmocka_unit_test(test_example_step_functions),
		cmocka_unit_test(test_relative_rules),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_bad_syntax),
		cmocka_unit_test(test_bad_types),
		cmocka_unit_test(test_bad_ranges),
		cmocka_unit_test(test_ks_method),
		cmocka_unit_test(test_drift_choices),
		cmocka_unit_test(test_bad_unknown_keys),
		cmocka_unit_test(test_bad_kpis),
		cmocka_unit_test(test_bad_missing),
		cmocka_unit_test(test_bad_action),
		cmocka_unit_test(test_bad_energy),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_bad_many),
		cmocka_unit_test(test_bad_unicode_columns),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_locate_depth_cap),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
