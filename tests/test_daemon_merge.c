/* task_merge: a task's capture and ground-truth records in timestamp
 * order, waiting for a partition that may still hold older records (until
 * it is known caught up as of a time after the waiting record arrived),
 * the idle limit, drops and releases, and a long random interleaving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "task_merge.h"

/* rkm stands for a message: released ones are counted by their tag */
static int released[4096];

static void release_tag(const void *rkm)
{
	released[(intptr_t)rkm]++;
}

static kafka_msg_view rec(int side, int64_t ts, intptr_t tag)
{
	kafka_msg_view v;

	memset(&v, 0, sizeof(v));
	v.topic = side == MERGE_GT ? "labels" : "capture";
	v.timestamp_ms = ts;
	v.offset = tag;
	v.rkm = (const void *)tag;
	return v;
}

/* pushed at receive time `at` */
static void push_at(task_merge *m, int side, int64_t ts, intptr_t tag, int64_t at)
{
	kafka_msg_view v = rec(side, ts, tag);

	assert_int_equal(merge_push(m, side, &v, at, NULL), 0);
}

static void push(task_merge *m, int side, int64_t ts, intptr_t tag)
{
	push_at(m, side, ts, tag, 100);
}

static intptr_t next_tag(task_merge *m, int64_t now, int64_t idle)
{
	kafka_msg_view v;

	if (!merge_next(m, now, idle, &v))
		return -1;
	return (intptr_t)v.rkm;
}

static void test_older_head_first_label_on_tie(void **state)
{
	task_merge m;

	(void)state;
	merge_init(&m, release_tag);
	push(&m, MERGE_CAPTURE, 10, 1);
	push(&m, MERGE_CAPTURE, 20, 2);
	push(&m, MERGE_CAPTURE, 30, 3);
	push(&m, MERGE_GT, 15, 4);
	push(&m, MERGE_GT, 20, 5);
	assert_int_equal(merge_blocked_on(&m), -1);
	assert_int_equal(next_tag(&m, 1000, -1), 1);
	assert_int_equal(next_tag(&m, 1000, -1), 4);
	assert_int_equal(next_tag(&m, 1000, -1), 5); /* tie: the label first */
	/* captures 20 and 30 wait: the label partition may hold older ones */
	assert_int_equal(next_tag(&m, 1000, -1), -1);
	assert_int_equal(merge_held(&m, MERGE_CAPTURE), 2);
	assert_int_equal(merge_blocked_on(&m), MERGE_GT);
	/* known caught up as of before they arrived: not enough */
	merge_set_caught_up(&m, MERGE_GT, 99);
	assert_int_equal(next_tag(&m, 1000, -1), -1);
	merge_set_caught_up(&m, MERGE_GT, 100);
	assert_int_equal(merge_blocked_on(&m), -1);
	assert_int_equal(next_tag(&m, 1000, -1), 2);
	assert_int_equal(next_tag(&m, 1000, -1), 3);
	assert_int_equal(next_tag(&m, 1000, -1), -1);
	merge_free(&m);
}

static void test_labels_wait_for_captures_too(void **state)
{
	task_merge m;

	(void)state;
	merge_init(&m, release_tag);
	push(&m, MERGE_GT, 50, 1);
	assert_int_equal(next_tag(&m, 1, -1), -1);
	push(&m, MERGE_CAPTURE, 40, 2);
	assert_int_equal(next_tag(&m, 1, -1), 2);
	assert_int_equal(next_tag(&m, 1, -1), -1); /* the capture side may hold older */
	assert_int_equal(merge_blocked_on(&m), MERGE_CAPTURE);
	merge_set_caught_up(&m, MERGE_CAPTURE, 150);
	assert_int_equal(next_tag(&m, 1, -1), 1);
	/* a label received after that point waits again */
	push_at(&m, MERGE_GT, 80, 3, 200);
	assert_int_equal(next_tag(&m, 1, -1), -1);
	assert_int_equal(merge_blocked_on(&m), MERGE_CAPTURE);
	/* the point never moves back; a side that is not ours never holds */
	merge_set_caught_up(&m, MERGE_CAPTURE, 120);
	assert_int_equal(next_tag(&m, 1, -1), -1);
	merge_set_caught_up(&m, MERGE_CAPTURE, MERGE_ALWAYS);
	assert_int_equal(next_tag(&m, 1, -1), 3);
	merge_set_caught_up(&m, MERGE_CAPTURE, 0); /* assigned again: unknown */
	push_at(&m, MERGE_GT, 90, 4, 300);
	assert_int_equal(next_tag(&m, 1, -1), -1);
	merge_free(&m);
}

static void test_idle_limit(void **state)
{
	task_merge m;

	(void)state;
	merge_init(&m, release_tag);
	push(&m, MERGE_CAPTURE, 10, 1);
	push(&m, MERGE_CAPTURE, 20, 2);
	assert_int_equal(next_tag(&m, 1000, 500), -1); /* the wait starts */
	assert_int_equal(next_tag(&m, 1499, 500), -1);
	assert_int_equal(next_tag(&m, 1500, 500), 1);
	assert_int_equal(next_tag(&m, 1500, 500), 2); /* the rest go too */
	assert_int_equal(m.idle_timeouts, 2);
	/* the next wait starts afresh */
	push(&m, MERGE_CAPTURE, 30, 3);
	assert_int_equal(next_tag(&m, 1600, 500), -1);
	push(&m, MERGE_GT, 25, 4);
	assert_int_equal(next_tag(&m, 1600, 500), 4);
	/* idle 0: never wait (arrival order) */
	assert_int_equal(next_tag(&m, 1600, 0), 3);
	merge_free(&m);
}

static void test_drop_and_free_release_everything(void **state)
{
	task_merge m;

	(void)state;
	memset(released, 0, sizeof(released));
	merge_init(&m, release_tag);
	for (intptr_t i = 1; i <= 3000; i++) /* grows the ring twice */
		push(&m, i % 3 ? MERGE_CAPTURE : MERGE_GT, i, i);
	assert_int_equal(merge_held(&m, MERGE_CAPTURE), 2000);
	assert_int_equal(merge_held(&m, MERGE_GT), 1000);
	merge_drop(&m, MERGE_GT);
	assert_int_equal(merge_held(&m, MERGE_GT), 0);
	for (intptr_t i = 1; i <= 3000; i++)
		assert_int_equal(released[i], i % 3 ? 0 : 1);
	merge_free(&m);
	for (intptr_t i = 1; i <= 3000; i++)
		assert_int_equal(released[i], 1);
}

/* Two sorted streams cut into random batches and pushed in a random
 * arrival interleaving: the output is their merge by timestamp, whatever
 * the interleaving, as long as each side's end is only reported once its
 * records are all pushed. */
static void test_random_interleavings_give_one_order(void **state)
{
	enum { N = 1500 };
	int64_t ts[2][N];
	intptr_t want[2 * N];

	(void)state;
	srand(7);
	for (int s = 0; s < 2; s++) {
		int64_t t = 0;

		for (int i = 0; i < N; i++) {
			t += rand() % 5; /* ties within and across sides */
			ts[s][i] = t;
		}
	}
	{ /* the expected order: the smaller head, a label on a tie */
		int i = 0, j = 0, k = 0;

		while (i < N || j < N) {
			int take_gt = j < N && (i >= N || ts[MERGE_GT][j] <= ts[MERGE_CAPTURE][i]);

			want[k++] = take_gt ? 1 + N + j++ : 1 + i++;
		}
	}
	for (int round = 0; round < 20; round++) {
		task_merge m;
		int next[2] = {0, 0}, k = 0;
		int64_t clock = 1;

		memset(released, 0, sizeof(released));
		merge_init(&m, release_tag);
		while (k < 2 * N) {
			int s = rand() % 2, burst = 1 + rand() % 200;
			kafka_msg_view v;

			for (int b = 0; b < burst && next[s] < N; b++, next[s]++)
				push_at(&m, s, ts[s][next[s]],
					s == MERGE_GT ? 1 + N + next[s] : 1 + next[s], clock++);
			/* a side is caught up (as of now) only once all of it is in */
			if (next[s] == N)
				merge_set_caught_up(&m, s, clock++);
			while (merge_next(&m, 0, -1, &v)) {
				assert_int_equal((intptr_t)v.rkm, want[k]);
				k++;
			}
		}
		assert_int_equal(merge_held(&m, 0) + merge_held(&m, 1), 0);
		merge_free(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_older_head_first_label_on_tie),
		cmocka_unit_test(test_labels_wait_for_captures_too),
		cmocka_unit_test(test_idle_limit),
		cmocka_unit_test(test_drop_and_free_release_everything),
		cmocka_unit_test(test_random_interleavings_give_one_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
