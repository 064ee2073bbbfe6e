/* Ground-truth join buffer: both arrival orders, the prediction's window
 * carried to its label, duplicates, caps, ages, long ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "join.h"

static void test_prediction_then_label(void **state)
{
	join_buffer jb;
	join_match m;

	(void)state;
	assert_int_equal(join_init(&jb, 16, 1000, NULL), 0);
	assert_int_equal(join_add_prediction(&jb, "a", 1, 3, 41, 0.9, 0, &m), JOIN_WAITS);
	assert_int_equal(join_add_label(&jb, "b", 1, 1.0, 0, &m), JOIN_WAITS);
	assert_int_equal(join_add_label(&jb, "a", 1, 1.0, 10, &m), JOIN_MATCHED);
	assert_int_equal(m.model, 3);
	assert_int_equal(m.window, 41); /* the prediction's, not "now" */
	assert_true(m.score == 0.9 && m.label == 1.0);
	/* joined pairs stay to catch a redelivered label */
	assert_int_equal(join_add_label(&jb, "a", 1, 0.0, 10, &m), JOIN_DUPLICATE);
	assert_int_equal(join_add_prediction(&jb, "b", 1, 1, 42, 0.2, 11, &m), JOIN_MATCHED);
	assert_true(m.model == 1 && m.window == 42 && m.score == 0.2 && m.label == 1.0);
	assert_int_equal(jb.stats.joined, 2);
	assert_int_equal(jb.stats.duplicate_ids, 1);
	join_free(&jb);
}

static void test_size_cap_evicts_oldest(void **state)
{
	join_buffer jb;
	join_match m;
	char id[16];
	uint64_t wp, wl;

	(void)state;
	assert_int_equal(join_init(&jb, 100, 1000000, NULL), 0);
	for (int i = 0; i < 250; i++) {
		int n = snprintf(id, sizeof(id), "id-%d", i);

		assert_int_equal(join_add_prediction(&jb, id, (size_t)n, 0, 0, i, i, &m), 0);
	}
	assert_int_equal(jb.stats.evicted_predictions, 150);
	join_pending(&jb, &wp, &wl);
	assert_int_equal(wp, 100);
	/* the oldest are gone, the newest still join */
	assert_int_equal(join_add_label(&jb, "id-10", 5, 1, 300, &m), 0);
	assert_int_equal(join_add_label(&jb, "id-249", 6, 1, 300, &m), 1);
	assert_true(m.score == 249);
	join_free(&jb);
}

static void test_age_cap(void **state)
{
	join_buffer jb;
	join_match m;

	(void)state;
	assert_int_equal(join_init(&jb, 100, 50, NULL), 0);
	assert_int_equal(join_add_label(&jb, "x", 1, 1, 0, &m), 0);
	assert_int_equal(join_add_label(&jb, "y", 1, 0, 40, &m), 0);
	/* at t=100, x (age 100) is too old, y (age 60) too */
	assert_int_equal(join_add_prediction(&jb, "x", 1, 0, 0, 0.5, 100, &m), 0);
	assert_int_equal(jb.stats.evicted_labels, 2);
	join_free(&jb);
}

static void test_unknown_time_does_not_age(void **state)
{
	join_buffer jb;
	join_match m;

	(void)state;
	assert_int_equal(join_init(&jb, 100, 50, NULL), 0);
	/* labels read before the stream has any event time */
	assert_int_equal(join_add_label(&jb, "x", 1, 1, JOIN_TIME_UNKNOWN, &m), 0);
	assert_int_equal(join_add_prediction(&jb, "x", 1, 0, 0, 0.5, 1700000000000LL, &m), 1);
	assert_int_equal(jb.stats.evicted_labels, 0);
	join_free(&jb);
}

static void test_churn_keeps_index_consistent(void **state)
{
	join_buffer jb;
	join_match m;
	char id[32];
	uint64_t joined = 0;

	(void)state;
	assert_int_equal(join_init(&jb, 64, 1000000000, NULL), 0);
	/* many ids through a small ring: every pair that stays within the
	 * ring joins, and the index never loses an entry */
	for (int i = 0; i < 20000; i++) {
		int n = snprintf(id, sizeof(id), "evt-%d", i);

		join_add_prediction(&jb, id, (size_t)n, 0, 0, i, i, &m);
		if (i >= 10) {
			n = snprintf(id, sizeof(id), "evt-%d", i - 10);
			if (join_add_label(&jb, id, (size_t)n, 1, i, &m)) {
				assert_true(m.score == i - 10);
				joined++;
			}
		}
	}
	assert_int_equal(joined, 20000 - 10);
	join_free(&jb);
}

/* A second prediction with a waiting or joined id is dropped: the first
 * one stands, and a joined pair ageing out is no eviction. */
static void test_duplicates(void **state)
{
	join_buffer jb;
	join_match m;
	uint64_t wp, wl;

	(void)state;
	assert_int_equal(join_init(&jb, 16, 100, NULL), 0);
	assert_int_equal(join_add_prediction(&jb, "p", 1, 0, 1, 0.3, 0, &m), JOIN_WAITS);
	assert_int_equal(join_add_prediction(&jb, "p", 1, 0, 2, 0.7, 5, &m), JOIN_DUPLICATE);
	assert_int_equal(join_add_label(&jb, "p", 1, 1, 6, &m), JOIN_MATCHED);
	assert_true(m.window == 1 && m.score == 0.3);
	assert_int_equal(join_add_prediction(&jb, "p", 1, 0, 3, 0.5, 7, &m), JOIN_DUPLICATE);
	assert_int_equal(jb.stats.duplicate_ids, 2);
	join_pending(&jb, &wp, &wl);
	assert_true(wp == 0 && wl == 0);
	/* past the age horizon the id is forgotten, without an eviction */
	assert_int_equal(join_add_prediction(&jb, "q", 1, 0, 4, 0.5, 500, &m), JOIN_WAITS);
	assert_int_equal(jb.stats.evicted_predictions, 0);
	assert_int_equal(join_add_prediction(&jb, "p", 1, 0, 4, 0.5, 500, &m), JOIN_WAITS);
	join_free(&jb);
}

static void test_long_ids(void **state)
{
	join_buffer jb;
	join_match m;
	char a[300], b[300];

	(void)state;
	memset(a, 'q', sizeof(a));
	memcpy(b, a, sizeof(b));
	b[299] = 'r'; /* differs only past the stored prefix */
	assert_int_equal(join_init(&jb, 16, 1000, NULL), 0);
	assert_int_equal(join_add_prediction(&jb, a, sizeof(a), 0, 0, 0.1, 0, &m), 0);
	assert_int_equal(join_add_label(&jb, b, sizeof(b), 1, 0, &m), 0);
	assert_int_equal(join_add_label(&jb, a, sizeof(a), 1, 0, &m), 1);
	assert_true(m.score == 0.1);
	join_free(&jb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prediction_then_label),
		cmocka_unit_test(test_size_cap_evicts_oldest),
		cmocka_unit_test(test_age_cap),
		cmocka_unit_test(test_unknown_time_does_not_age),
		cmocka_unit_test(test_churn_keeps_index_consistent),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_long_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
