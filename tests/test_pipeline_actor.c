/* The seam between a decision and its action (pipeline_actor): a retrain
 * an actor stages is released only once its decision is in the audit
 * log, and gets no action_result from the pipeline; one not staged is
 * recorded with the request the actor describes; a failing stage stops
 * the pipeline before the decision is audited; with no actor every
 * retrain is still recorded. */
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

typedef struct spy {
	int stage_rc; /* what stage answers */
	int staged, released, described;
	char audit_path[128];
	int decisions_at_release[8]; /* decision records when release ran */
	char keys[8][96];
} spy;

static int spy_stage(void *opaque, const policy *pol,
		     const policy_window_eval *ev, const policy_decision *d,
		     kpg_err *err)
{
	spy *s = opaque;

	(void)pol;
	(void)ev;
	assert_true(d->retrain);
	if (s->staged < 8)
		snprintf(s->keys[s->staged], sizeof(s->keys[0]), "%s",
			 d->idempotency_key);
	s->staged++;
	if (s->stage_rc < 0)
		kpg_err_set(err, "outbox full");
	return s->stage_rc;
}

static void spy_release(void *opaque, const char *key)
{
	spy *s = opaque;

	assert_true(s->released < s->staged);
	assert_string_equal(key, s->keys[s->released]);
	s->decisions_at_release[s->released] =
		fx_count_events(s->audit_path, "decision");
	s->released++;
}

static int spy_request(void *opaque, const policy *pol,
		       const policy_window_eval *ev, const policy_decision *d,
		       json_t **out, kpg_err *err)
{
	spy *s = opaque;

	(void)pol;
	(void)ev;
	(void)err;
	s->described++;
	*out = json_pack("{s:s}", "key", d->idempotency_key);
	return 0;
}

/* Feeds 30 records (three windows of 10, every one a retrain) and their
 * labels through a pipeline with the actor; returns what the last line
 * returned (a window is decided when its last label arrives). */
static int run(const char *audit_path, const pipeline_actor *actor)
{
	audit_log *log;
	pipeline pl;
	kpg_err err;
	int rc = 0;

	fx_pipeline_open(dir, "p.json", audit_path, &pl, &log);
	if (actor != NULL)
		pl.actor = *actor;
	for (int i = 0; i < 30 && rc == 0; i++) {
		char line[512];
		int n = fx_capture_line(line, sizeof(line), i);

		rc = pipeline_capture_line(&pl, line, (size_t)n, NULL, "c",
					   (uint64_t)i, &err);
		if (rc == 0) {
			n = fx_label_line(line, sizeof(line), i);
			rc = pipeline_gt_line(&pl, line, (size_t)n, "gt", (uint64_t)i,
					      &err);
		}
	}
	fx_pipeline_close(&pl, log);
	return rc;
}

static pipeline_actor spy_actor(spy *s)
{
	pipeline_actor a = {spy_stage, spy_release, spy_request, s};

	return a;
}

static void test_staged_released_after_decision(void **state)
{
	spy s = {.stage_rc = 1};
	pipeline_actor a = spy_actor(&s);

	(void)state;
	snprintf(s.audit_path, sizeof(s.audit_path), "%s/staged.jsonl", dir);
	assert_int_equal(run(s.audit_path, &a), 0);
	assert_int_equal(s.staged, 3);
	assert_int_equal(s.released, 3);
	/* each release saw its own decision already in the audit log */
	for (int i = 0; i < 3; i++)
		assert_int_equal(s.decisions_at_release[i], i + 1);
	assert_int_equal(s.described, 0);
	assert_int_equal(fx_count_events(s.audit_path, "action_result"), 0);
}

static void test_not_staged_recorded_with_request(void **state)
{
	spy s = {.stage_rc = 0};
	pipeline_actor a = spy_actor(&s);

	(void)state;
	snprintf(s.audit_path, sizeof(s.audit_path), "%s/kept.jsonl", dir);
	assert_int_equal(run(s.audit_path, &a), 0);
	assert_int_equal(s.staged, 3);
	assert_int_equal(s.released, 0);
	assert_int_equal(s.described, 3);
	assert_int_equal(fx_count_events(s.audit_path, "action_result"), 3);
	assert_int_equal(fx_count_matching(s.audit_path, "\"request\":{\"key\":\"m:"), 3);
	assert_int_equal(fx_count_matching(s.audit_path, "\"status\":\"dry_run\""), 3);
}

static void test_failed_stage_stops_before_decision(void **state)
{
	spy s = {.stage_rc = KPG_EIO};
	pipeline_actor a = spy_actor(&s);

	(void)state;
	snprintf(s.audit_path, sizeof(s.audit_path), "%s/failed.jsonl", dir);
	assert_int_equal(run(s.audit_path, &a), KPG_EIO);
	assert_int_equal(s.staged, 1);
	assert_int_equal(s.released, 0);
	assert_int_equal(fx_count_events(s.audit_path, "decision"), 0);
	assert_int_equal(fx_count_events(s.audit_path, "action_result"), 0);
}

static void test_no_actor_still_records(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/none.jsonl", dir);
	assert_int_equal(run(path, NULL), 0);
	assert_int_equal(fx_count_events(path, "decision"), 3);
	assert_int_equal(fx_count_events(path, "action_result"), 3);
	assert_int_equal(fx_count_matching(path, "\"request\""), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_staged_released_after_decision),
		cmocka_unit_test(test_not_staged_recorded_with_request),
		cmocka_unit_test(test_failed_stage_stops_before_decision),
		cmocka_unit_test(test_no_actor_still_records),
	};
	int rc;

	gsl_set_error_handler_off();
	if (fx_make_dir(dir, sizeof(dir), "/tmp/kpg-actor-XXXXXX") != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	fx_remove_dir(dir);
	return rc;
}
