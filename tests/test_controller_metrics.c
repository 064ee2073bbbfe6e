/* Metrics: counters add up and render in the Prometheus text format; a
 * short buffer reports the size needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static void test_render(void **state)
{
	metrics m;
	char buf[8192], small[16];
	size_t n, need;

	(void)state;
	metrics_init(&m);
	metrics_add(&m.capture_records, 41);
	metrics_add(&m.capture_records, 1);
	metrics_add(&m.capture_rejected[CAPTURE_REJECT_BAD_JSON], 3);
	metrics_add(&m.decisions_retrain, 1);
	atomic_store(&m.consumer_lag, -1);
	n = metrics_render(&m, buf, sizeof(buf));
	assert_true(n > 0 && n < sizeof(buf));
	assert_int_equal(strlen(buf), n);
	assert_non_null(strstr(buf, "\nkpigate_capture_records_total 42\n"));
	assert_non_null(strstr(buf, "kpigate_capture_rejected_total{reason=\"bad_json\"} 3\n"));
	assert_non_null(strstr(buf, "kpigate_capture_rejected_total{reason=\"too_big\"} 0\n"));
	assert_non_null(strstr(buf, "kpigate_decisions_total{decision=\"retrain\"} 1\n"));
	assert_non_null(strstr(buf, "# TYPE kpigate_consumer_lag gauge\nkpigate_consumer_lag -1\n"));
	need = metrics_render(&m, small, sizeof(small));
	assert_int_equal(need, n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
