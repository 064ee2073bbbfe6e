/* Metrics: counters add up and render in the Prometheus text format; a
 * short buffer reports the size needed; gauges, readiness and timestamps
 * render in base units; per-model series escape their label values and
 * stop at their caps, counting what they drop. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpg_time.h"
#include "metrics.h"

static void test_render(void **state)
{
	metrics m;
	char buf[16384], small[16];
	size_t n, need;

	(void)state;
	metrics_init(&m);
	metrics_add(&m.capture_records, 41);
	metrics_add(&m.capture_records, 1);
	metrics_add(&m.capture_rejected[CAPTURE_REJECT_BAD_JSON], 3);
	metrics_add(&m.decisions_retrain, 1);
	atomic_store(&m.consumer_lag, -1);
	metrics_add(&m.data_gaps, 2);
	metrics_add(&m.data_gap_offsets, 102);
	n = metrics_render(&m, buf, sizeof(buf));
	assert_true(n > 0 && n < sizeof(buf));
	assert_int_equal(strlen(buf), n);
	assert_non_null(strstr(buf, "\nkpigate_capture_records_total 42\n"));
	assert_non_null(strstr(buf, "kpigate_capture_rejected_total{reason=\"bad_json\"} 3\n"));
	assert_non_null(strstr(buf, "kpigate_capture_rejected_total{reason=\"too_big\"} 0\n"));
	assert_non_null(strstr(buf, "kpigate_decisions_total{decision=\"retrain\"} 1\n"));
	assert_non_null(strstr(buf, "# TYPE kpigate_consumer_lag gauge\nkpigate_consumer_lag -1\n"));
	assert_non_null(strstr(buf, "# TYPE kpigate_data_gaps_total counter\nkpigate_data_gaps_total 2\n"));
	assert_non_null(strstr(buf, "# TYPE kpigate_data_gap_offsets_total counter\nkpigate_data_gap_offsets_total 102\n"));
	need = metrics_render(&m, small, sizeof(small));
	assert_int_equal(need, n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_gauges(void **state)
{
	metrics m;
	char buf[16384], line[128];
	int64_t before = kpg_time_now_ms();
	size_t n;

	(void)state;
	metrics_init(&m);
	assert_true(m.start_ms >= before && m.start_ms <= kpg_time_now_ms());
	n = metrics_render(&m, buf, sizeof(buf));
	assert_true(n < sizeof(buf));
	/* zeroed: not started, not ready, no heartbeat */
	assert_int_equal(metrics_get_ready(&m), METRICS_STARTING);
	assert_non_null(strstr(buf, "# TYPE kpigate_ready gauge\nkpigate_ready 0\n"));
	assert_non_null(strstr(buf, "\nkpigate_heartbeat_timestamp_seconds 0.000\n"));
	assert_non_null(strstr(buf, "kpigate_build_info{version=\"" KPIGATE_VERSION "\"} 1\n"));
	snprintf(line, sizeof(line), "\nkpigate_start_time_seconds %lld.%03lld\n",
		 (long long)(m.start_ms / 1000), (long long)(m.start_ms % 1000));
	assert_non_null(strstr(buf, line));

	metrics_heartbeat(&m, 1764590400007);
	metrics_set_i64(&m.last_checkpoint_ms, 1764590399120);
	metrics_set(&m.assigned_partitions, 6);
	metrics_set(&m.assigned_partitions, 4); /* a gauge: set, not added */
	metrics_set(&m.open_windows, 11);
	metrics_set(&m.policies_loaded, 3);
	metrics_add(&m.state_handovers, 2);
	metrics_add(&m.rebalances, 5);
	metrics_add(&m.kafka_errors, 1);
	metrics_add(&m.order_timeouts, 4);
	metrics_set(&m.held_records, 12);
	metrics_set_ready(&m, METRICS_READY);
	assert_int_equal(metrics_get(&m.assigned_partitions), 4);
	n = metrics_render(&m, buf, sizeof(buf));
	assert_true(n < sizeof(buf));
	assert_non_null(strstr(buf, "\nkpigate_heartbeat_timestamp_seconds 1764590400.007\n"));
	assert_non_null(strstr(buf, "\nkpigate_last_checkpoint_timestamp_seconds 1764590399.120\n"));
	assert_non_null(strstr(buf, "# TYPE kpigate_assigned_partitions gauge\nkpigate_assigned_partitions 4\n"));
	assert_non_null(strstr(buf, "# TYPE kpigate_open_windows gauge\nkpigate_open_windows 11\n"));
	assert_non_null(strstr(buf, "\nkpigate_policies_loaded 3\n"));
	assert_non_null(strstr(buf, "# TYPE kpigate_state_handovers_total counter\nkpigate_state_handovers_total 2\n"));
	assert_non_null(strstr(buf, "\nkpigate_rebalances_total 5\n"));
	assert_non_null(strstr(buf, "\nkpigate_kafka_errors_total 1\n"));
	assert_non_null(strstr(buf, "\nkpigate_order_timeouts_total 4\n"));
	assert_non_null(strstr(buf, "# TYPE kpigate_held_records gauge\nkpigate_held_records 12\n"));
	assert_non_null(strstr(buf, "\nkpigate_ready 1\n"));

	/* only METRICS_READY is ready */
	metrics_set_ready(&m, METRICS_STOPPING);
	metrics_render(&m, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\nkpigate_ready 0\n"));
}

static void test_readiness_reason(void **state)
{
	(void)state;
	assert_string_equal(metrics_readiness_reason(METRICS_READY), "ready");
	assert_string_equal(metrics_readiness_reason(METRICS_STARTING),
			    "consumer not started yet");
	assert_non_null(strstr(metrics_readiness_reason(METRICS_UNASSIGNED),
			       "no partitions assigned"));
	assert_string_equal(metrics_readiness_reason(METRICS_STOPPING), "shutting down");
	assert_string_equal(metrics_readiness_reason((metrics_readiness)42),
			    "unknown readiness state");
}

/* Every line is a comment or "name[{labels}] value", and every sample's
 * metric has a TYPE line before it: what a Prometheus parser needs. */
static void test_exposition_shape(void **state)
{
	metrics m;
	char buf[16384], typed[4096] = " ";
	char *line, *save = NULL;

	(void)state;
	metrics_init(&m);
	metrics_render(&m, buf, sizeof(buf));
	assert_true(buf[strlen(buf) - 1] == '\n');
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], key[132];
		size_t nl;

		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s", name), 1);
			assert_true(strlen(typed) + strlen(name) + 2 < sizeof(typed));
			strcat(typed, name);
			strcat(typed, " ");
			continue;
		}
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		nl = strcspn(line, "{ ");
		assert_true(nl > 0 && nl < sizeof(name));
		memcpy(name, line, nl);
		name[nl] = '\0';
		snprintf(key, sizeof(key), " %s ", name);
		if (strstr(typed, key) == NULL)
			fail_msg("sample before its TYPE line: %s", line);
		assert_non_null(strrchr(line, ' '));
		assert_true(strrchr(line, ' ')[1] != '\0');
	}
}

static void test_models(void **state)
{
	metrics m;
	static char buf[1 << 20];
	metrics_model *mm;
	metrics_feature *f;
	metrics_kpi *k;
	char name[32];

	(void)state;
	metrics_init(&m);
	metrics_models_lock(&m);
	mm = metrics_model_slot(&m, "churn \"x\"\\y\nz");
	assert_non_null(mm);
	assert_ptr_equal(metrics_model_slot(&m, "churn \"x\"\\y\nz"), mm);
	k = metrics_kpi_slot(&m, mm, "auc");
	k->value = 0.625;
	k->has_value = 1;
	k->threshold = 0.75;
	k->has_threshold = 1;
	f = metrics_feature_slot(&m, mm, "tenure");
	f->psi = 0.5;
	f = metrics_feature_slot(&m, mm, "plan"); /* categorical: no KS */
	f->psi = 0.25;
	mm->retrains = 2;
	mm->holds = 3;
	mm->kwh_spent = 0.05;
	for (int i = 2; i < METRICS_MAX_FEATURES + 5; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		f = metrics_feature_slot(&m, mm, name);
		assert_true(i < METRICS_MAX_FEATURES ? f != NULL : f == NULL);
	}
	for (int i = 1; i < METRICS_MAX_MODELS + 2; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		assert_true((metrics_model_slot(&m, name) != NULL) == (i < METRICS_MAX_MODELS));
	}
	metrics_models_unlock(&m);
	assert_true(metrics_render(&m, buf, sizeof(buf)) < sizeof(buf));
	assert_non_null(strstr(buf, "kpigate_model_kpi{model=\"churn \\\"x\\\"\\\\y\\nz\",kpi=\"auc\"} 0.625\n"));
	assert_non_null(strstr(buf, "kpigate_model_kpi_threshold{model=\"churn \\\"x\\\"\\\\y\\nz\",kpi=\"auc\"} 0.75\n"));
	assert_non_null(strstr(buf, ",feature=\"tenure\"} 0.5\n"));
	assert_non_null(strstr(buf, "kpigate_model_feature_ks_statistic{model=\"churn \\\"x\\\"\\\\y\\nz\",feature=\"plan\"} NaN\n"));
	assert_non_null(strstr(buf, ",decision=\"retrain\"} 2\n"));
	assert_non_null(strstr(buf, ",decision=\"hold\"} 3\n"));
	assert_non_null(strstr(buf, "kpigate_model_energy_kwh_total{model=\"churn \\\"x\\\"\\\\y\\nz\",effect=\"spent\"} 0.050000000000000003\n"));
	/* 5 features and 2 models past the caps */
	assert_non_null(strstr(buf, "kpigate_metrics_series_dropped_total 7\n"));
	assert_null(strstr(buf, "f"
				"66\""));
	metrics_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_gauges),
		cmocka_unit_test(test_readiness_reason),
		cmocka_unit_test(test_exposition_shape),
		cmocka_unit_test(test_models),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
