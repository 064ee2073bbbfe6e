/* Data-gap marks (pipeline_gap.h): a gap noted while a window is open
 * marks that window's window_evaluated and decision records (in the audit
 * log and in pl->decisions) with data_gap {gaps, offsets_lost}; the next
 * window is clean; gaps noted while a window is empty mark the next one
 * and add up; a model index out of range is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_fixture.h"
#include "pipeline_gap.h"

static char dir[64];

/* The data_gap of decision summary i's part ("window" or "decision"), or
 * NULL. */
static json_t *gap_of(const pipeline *pl, size_t i, const char *part)
{
	json_t *s = json_array_get(pl->decisions, i);

	assert_non_null(s);
	return json_object_get(json_object_get(s, part), "data_gap");
}

static void assert_gap(const json_t *g, json_int_t gaps, json_int_t lost)
{
	assert_non_null(g);
	assert_int_equal(json_integer_value(json_object_get(g, "gaps")), gaps);
	assert_int_equal(json_integer_value(json_object_get(g, "offsets_lost")), lost);
}

static void test_gap_marks_the_open_window(void **state)
{
	char audit_path[128];
	audit_log *log;
	pipeline pl;

	(void)state;
	snprintf(audit_path, sizeof(audit_path), "%s/gap.jsonl", dir);
	fx_pipeline_open(dir, "p.json", audit_path, &pl, &log);
	assert_int_equal(pipeline_note_gap(&pl, 1, 3), KPG_EINVAL);
	assert_int_equal(pl.models[0].gap_events, 0);

	/* window 0: 5 records, a gap of 7 offsets, 5 more */
	for (int i = 0; i < 5; i++)
		fx_feed_one(&pl, i);
	assert_int_equal(pipeline_note_gap(&pl, -1, 7), 0);
	for (int i = 5; i < 10; i++)
		fx_feed_one(&pl, i);
	assert_int_equal(json_array_size(pl.decisions), 1);
	assert_gap(gap_of(&pl, 0, "window"), 1, 7);
	assert_gap(gap_of(&pl, 0, "decision"), 1, 7);
	assert_int_equal(pl.models[0].gap_events, 0);
	assert_int_equal(pl.models[0].gap_offsets, 0);

	/* window 1: no gap, no mark */
	for (int i = 10; i < 20; i++)
		fx_feed_one(&pl, i);
	assert_int_equal(json_array_size(pl.decisions), 2);
	assert_null(gap_of(&pl, 1, "window"));
	assert_null(gap_of(&pl, 1, "decision"));

	/* two gaps while window 2 is empty: it carries both */
	assert_int_equal(pipeline_note_gap(&pl, 0, 3), 0);
	assert_int_equal(pipeline_note_gap(&pl, -1, 4), 0);
	for (int i = 20; i < 30; i++)
		fx_feed_one(&pl, i);
	assert_int_equal(json_array_size(pl.decisions), 3);
	assert_gap(gap_of(&pl, 2, "window"), 2, 7);
	assert_gap(gap_of(&pl, 2, "decision"), 2, 7);
	fx_pipeline_close(&pl, log);

	/* the audit log: windows 0 and 2, both records each */
	assert_int_equal(fx_count_events(audit_path, "window_evaluated"), 3);
	assert_int_equal(fx_count_matching(audit_path, "\"data_gap\":{\"gaps\":1,\"offsets_lost\":7}"), 2);
	assert_int_equal(fx_count_matching(audit_path, "\"data_gap\":{\"gaps\":2,\"offsets_lost\":7}"), 2);
	assert_int_equal(fx_count_matching(audit_path, "data_gap"), 4);
}

static int setup(void **state)
{
	(void)state;
	return fx_make_dir(dir, sizeof(dir), "/tmp/kpg-gap-XXXXXX");
}

static int teardown(void **state)
{
	(void)state;
	fx_remove_dir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gap_marks_the_open_window),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
