/* Repeated identical failures of a trigger become one action_result with
 * a count: a run closes when the failure changes, when its interval has
 * passed (at most one record per interval), or when it is taken (the
 * trigger ended); first/last attempt and time are the run's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "action_coalesce.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00.000Z */
#define MIN 60000LL

static json_t *failure(const char *type, int http, const char *msg)
{
	return json_pack("{s:s, s:s, s:i, s:s, s:i}", "status", "attempt_failed",
			 "error_type", type, "http_status", http, "error_message", msg,
			 "attempt", 99);
}

static json_int_t num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_identical_failures_one_record(void **state)
{
	json_t *e = json_object(), *f = failure("NoCredentialsError", 0, "none"), *out;
	int opened, i;

	(void)state;
	for (i = 1; i <= 1000; i++) {
		assert_int_equal(action_coalesce_add(e, f, i, T0 + i * 10, 5 * MIN, &out, &opened), 0);
		assert_null(out); /* nothing written while the same failure goes on */
		assert_int_equal(opened, i == 1);
	}
	out = action_coalesce_take(e);
	assert_non_null(out);
	assert_int_equal(num(out, "count"), 1000);
	assert_int_equal(num(out, "first_attempt"), 1);
	assert_int_equal(num(out, "last_attempt"), 1000);
	assert_int_equal(num(out, "attempt"), 1000);
	assert_string_equal(str(out, "first_time"), "2026-01-01T00:00:00.010Z");
	assert_string_equal(str(out, "last_time"), "2026-01-01T00:00:10.000Z");
	assert_string_equal(str(out, "error_type"), "NoCredentialsError");
	assert_string_equal(str(out, "status"), "attempt_failed");
	json_decref(out);
	/* taken: nothing open any more */
	assert_null(action_coalesce_take(e));
	assert_null(json_object_get(e, "failing"));
	json_decref(f);
	json_decref(e);
}

static void test_change_closes_the_run(void **state)
{
	json_t *e = json_object(), *out;
	json_t *a = failure("ThrottlingException", 429, "Rate exceeded");
	json_t *b = failure("ServiceUnavailable", 503, "try again");
	json_t *c = failure("ServiceUnavailable", 503, "other words");
	int opened;

	(void)state;
	assert_int_equal(action_coalesce_add(e, a, 1, T0, 0, &out, &opened), 0);
	assert_int_equal(action_coalesce_add(e, a, 2, T0 + 1, 0, &out, &opened), 0);
	assert_null(out);
	assert_int_equal(opened, 0);
	assert_int_equal(action_coalesce_add(e, b, 3, T0 + 2, 0, &out, &opened), 0);
	assert_non_null(out);
	assert_int_equal(opened, 1);
	assert_int_equal(num(out, "count"), 2);
	assert_int_equal(num(out, "http_status"), 429);
	assert_int_equal(num(out, "last_attempt"), 2);
	json_decref(out);
	/* the message is part of the failure */
	assert_int_equal(action_coalesce_add(e, c, 4, T0 + 3, 0, &out, &opened), 0);
	assert_non_null(out);
	assert_int_equal(num(out, "count"), 1);
	assert_string_equal(str(out, "error_message"), "try again");
	json_decref(out);
	out = action_coalesce_take(e);
	assert_int_equal(num(out, "count"), 1);
	assert_int_equal(num(out, "first_attempt"), 4);
	json_decref(out);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(e);
}

/* An endless identical failure: one record per interval, the counts add
 * up to the attempts, and a continued run is not news. */
static void test_interval_bounds_records(void **state)
{
	json_t *e = json_object(), *f = failure("CURLE_COULDNT_CONNECT", 0, "refused"), *out;
	json_int_t total = 0;
	int opened, records = 0, news = 0;

	(void)state;
	/* an attempt every 10 s for 2 hours, 5-minute interval */
	for (int i = 0; i < 720; i++) {
		assert_int_equal(action_coalesce_add(e, f, i + 1, T0 + i * 10000LL, 5 * MIN, &out, &opened), 0);
		news += opened;
		if (out != NULL) {
			records++;
			total += num(out, "count");
			assert_true(num(out, "count") == 30 || num(out, "count") == 31);
			json_decref(out);
		}
	}
	out = action_coalesce_take(e);
	if (out != NULL) {
		records++;
		total += num(out, "count");
		json_decref(out);
	}
	assert_int_equal(total, 720);
	assert_true(records >= 23 && records <= 25); /* 2 h / 5 min */
	assert_int_equal(news, 1);
	json_decref(f);
	json_decref(e);
}

/* The run lives in the entry: it survives a trip through JSON text (the
 * outbox file) and goes on counting. */
static void test_run_survives_the_outbox(void **state)
{
	json_t *e = json_pack("{s:s}", "token", "abc"), *f = failure("X", 500, "boom"), *out, *back;
	char *text;
	int opened;

	(void)state;
	assert_int_equal(action_coalesce_add(e, f, 1, T0, 0, &out, &opened), 0);
	text = json_dumps(e, JSON_COMPACT);
	back = json_loads(text, 0, NULL);
	free(text);
	assert_int_equal(action_coalesce_add(back, f, 2, T0 + 5, 0, &out, &opened), 0);
	assert_null(out);
	assert_int_equal(opened, 0);
	out = action_coalesce_take(back);
	assert_int_equal(num(out, "count"), 2);
	assert_string_equal(str(back, "token"), "abc");
	json_decref(out);
	json_decref(back);
	json_decref(f);
	json_decref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical_failures_one_record),
		cmocka_unit_test(test_change_closes_the_run),
		cmocka_unit_test(test_interval_bounds_records),
		cmocka_unit_test(test_run_survives_the_outbox),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
