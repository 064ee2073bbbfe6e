/* The pipeline's already-decided hook: a window whose idempotency key was
 * decided before (a restart replaying records) is not audited or acted on
 * again, while windows it does not know are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline_fixture.h"

static char dir[64];

static const char *known_key;
static int known_as = PIPELINE_DECIDED;

static int hook(void *opaque, size_t model, const char *key)
{
	(void)opaque;
	(void)model;
	return known_key != NULL && strcmp(key, known_key) == 0 ? known_as
								: PIPELINE_NEW;
}

/* Feeds 30 records: windows of 10 close three times. */
static void feed(pipeline *pl)
{
	for (int i = 0; i < 30; i++)
		fx_feed_one(pl, i);
}

static void run(const char *audit_path, const char *key, uint64_t *replayed)
{
	audit_log *log;
	pipeline pl;

	fx_pipeline_open(dir, "p.json", audit_path, &pl, &log);
	known_key = key;
	pl.already_decided = hook;
	feed(&pl);
	*replayed = pl.decisions_replayed;
	assert_int_equal(json_array_size(pl.decisions), 3);
	fx_pipeline_close(&pl, log);
}

static void test_replayed_window_not_audited_again(void **state)
{
	char a1[128], a2[128];
	uint64_t replayed;

	(void)state;
	snprintf(a1, sizeof(a1), "%s/a1.jsonl", dir);
	snprintf(a2, sizeof(a2), "%s/a2.jsonl", dir);
	run(a1, NULL, &replayed);
	assert_int_equal(replayed, 0);
	assert_int_equal(fx_count_events(a1, "decision"), 3);
	assert_int_equal(fx_count_events(a1, "action_result"), 3); /* accuracy 0 < 0.9 */
	/* the second window's key: model:1:start_ms (00:00:10) */
	run(a2, "m:1:1767225610000", &replayed);
	assert_int_equal(replayed, 1);
	assert_int_equal(fx_count_events(a2, "decision"), 2);
	assert_int_equal(fx_count_events(a2, "window_evaluated"), 2);
	assert_int_equal(fx_count_events(a2, "action_result"), 2);
}

/* A crash between a window's two audit records: the evaluation is there,
 * the decision is not. The replayed window writes only the decision, and
 * acts on it. */
static void test_evaluated_window_decided_once(void **state)
{
	char a3[128];
	uint64_t replayed;

	(void)state;
	snprintf(a3, sizeof(a3), "%s/a3.jsonl", dir);
	known_as = PIPELINE_EVALUATED;
	run(a3, "m:1:1767225610000", &replayed);
	known_as = PIPELINE_DECIDED;
	assert_int_equal(replayed, 0);
	assert_int_equal(fx_count_events(a3, "window_evaluated"), 2);
	assert_int_equal(fx_count_events(a3, "decision"), 3);
	assert_int_equal(fx_count_events(a3, "action_result"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replayed_window_not_audited_again),
		cmocka_unit_test(test_evaluated_window_decided_once),
	};
	int rc;

	gsl_set_error_handler_off();
	if (fx_make_dir(dir, sizeof(dir), "/tmp/kpg-pl-XXXXXX") != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	fx_remove_dir(dir);
	return rc;
}
