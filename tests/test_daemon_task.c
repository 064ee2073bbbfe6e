/* A partition's task (daemon_task.h): its checkpoint folder, the lock that
 * keeps a second owner out, and the decided-keys journal that lets a new
 * owner recognise a decision taken after the last checkpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon_task.h"
#include "pipeline_fixture.h"

static char dir[64];
static char state_dir[96];

/* Records from..to-1 with labels: windows of 10 records. */
static void feed(daemon_task *t, int from, int to)
{
	kpg_err err;

	for (int i = from; i < to; i++) {
		fx_feed_one(&t->pl, i);
		assert_int_equal(state_offset_set(&t->st, "capture", 3, i + 1, &err), 0);
	}
}

static int open_task(daemon_task **t, audit_log *log, int wait_ms, kpg_err *err)
{
	char pol[128];
	policy **p = calloc(1, sizeof(*p));
	policy_diags d = {0};
	int rc;

	assert_non_null(p);
	snprintf(pol, sizeof(pol), "%s/p.json", dir);
	assert_int_equal(policy_load(pol, &p[0], &d, err), 0);
	rc = daemon_task_open(t, state_dir, "capture", 3, p, 1, NULL, log, NULL,
			      NULL, wait_ms, err);
	free(p);
	return rc;
}

static void test_lock_keeps_a_second_owner_out(void **state)
{
	daemon_task *a = NULL, *b = NULL;
	kpg_err err;

	(void)state;
	assert_int_equal(open_task(&a, NULL, 0, &err), 0);
	assert_int_equal(open_task(&b, NULL, 300, &err), KPG_EBUSY);
	assert_null(b);
	assert_non_null(strstr(err.msg, "partition 3"));
	daemon_task_close(a);
	/* released with the task */
	assert_int_equal(open_task(&b, NULL, 0, &err), 0);
	daemon_task_close(b);
}

/* Owner A checkpoints mid-window, then decides two more windows and dies
 * before its next checkpoint. Owner B (its own audit log, as on another
 * replica) resumes from the checkpoint: the re-fed records close the same
 * two windows, which the journal marks as decided; B audits only the new
 * third one. */
static void test_handover_after_crash(void **state)
{
	char a1[128], a2[128];
	daemon_task *t;
	audit_log *log;
	kpg_err err;

	(void)state;
	snprintf(a1, sizeof(a1), "%s/a1.jsonl", dir);
	snprintf(a2, sizeof(a2), "%s/a2.jsonl", dir);
	assert_int_equal(audit_open(a1, &log, &err), 0);
	assert_int_equal(open_task(&t, log, 0, &err), 0);
	assert_int_equal(t->restored, 0);
	feed(t, 0, 5);
	assert_int_equal(daemon_task_checkpoint(t, &err), 0);
	feed(t, 5, 25); /* windows 0 and 1 close: decided and journaled */
	assert_int_equal(fx_count_events(a1, "decision"), 2);
	daemon_task_close(t); /* "kill -9": no checkpoint */
	audit_close(log);

	assert_int_equal(audit_open(a2, &log, &err), 0);
	assert_int_equal(open_task(&t, log, 0, &err), 0);
	assert_int_equal(t->restored, 1);
	assert_int_equal(state_offset_get(&t->st, "capture", 3)->next_offset, 5);
	assert_int_equal(t->pl.models[0].win.n_records, 5); /* the open window came along */
	feed(t, 5, 35);
	assert_int_equal(t->pl.decisions_replayed, 2);
	assert_int_equal(fx_count_events(a2, "decision"), 1);
	assert_int_equal(fx_count_events(a2, "action_result"), 1);
	/* after a checkpoint the journal is empty and the keys still known */
	assert_int_equal(daemon_task_checkpoint(t, &err), 0);
	daemon_task_close(t);
	audit_close(log);
	{
		char path[192];
		FILE *f;

		snprintf(path, sizeof(path), "%s/capture-3/decided.log", state_dir);
		f = fopen(path, "r");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		assert_int_equal(ftell(f), 0);
		fclose(f);
	}
	assert_int_equal(audit_open(a2, &log, &err), 0);
	assert_int_equal(open_task(&t, log, 0, &err), 0);
	for (int w = 0; w < 3; w++) {
		char key[96];

		snprintf(key, sizeof(key), "m:%d:%lld", w, 1767225600000LL + 10000LL * w);
		assert_true(daemon_task_already_decided(t, 0, key));
	}
	assert_false(daemon_task_already_decided(t, 0, "m:3:1767225630000"));
	daemon_task_close(t);
	audit_close(log);
}

static const reference *the_shared;

static const reference *provide(void *opaque, const policy *pol)
{
	(void)opaque;
	(void)pol;
	return the_shared;
}

/* Tasks borrow the daemon's references instead of loading one per
 * partition; the borrowed one is not freed with the task. */
static void test_shared_reference(void **state)
{
	char pol[128], ref_path[128];
	policy **p = calloc(1, sizeof(*p));
	policy_diags d = {0};
	reference shared;
	reference_options ro;
	pipeline_options po;
	daemon_task *t;
	kpg_err err;

	(void)state;
	assert_non_null(p);
	snprintf(pol, sizeof(pol), "%s/p.json", dir);
	snprintf(ref_path, sizeof(ref_path), "%s/ref.csv", dir);
	assert_int_equal(policy_load(pol, &p[0], &d, &err), 0);
	reference_options_from_policy(p[0], &ro);
	assert_int_equal(reference_load(ref_path, &ro, &shared, &err), 0);
	the_shared = &shared;
	memset(&po, 0, sizeof(po));
	po.shared_reference = provide;
	assert_int_equal(daemon_task_open(&t, state_dir, "shared", 0, p, 1, &po,
					  NULL, NULL, NULL, 0, &err),
			 0);
	free(p);
	assert_int_equal(t->pl.models[0].ref_borrowed, 1);
	assert_ptr_equal(t->pl.models[0].ref.features, shared.features);
	feed(t, 0, 25); /* windows evaluate against the shared reference */
	assert_int_equal(t->pl.models[0].windows, 2);
	daemon_task_close(t);
	/* still intact: the task did not free it */
	assert_int_equal(shared.n_features, 1);
	assert_non_null(shared.features[0].sorted);
	reference_free(&shared);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_keeps_a_second_owner_out),
		cmocka_unit_test(test_handover_after_crash),
		cmocka_unit_test(test_shared_reference),
	};
	int rc;

	gsl_set_error_handler_off();
	if (fx_make_dir(dir, sizeof(dir), "/tmp/kpg-task-XXXXXX") != 0)
		return 1;
	snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
	if (mkdir(state_dir, 0750) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	fx_remove_dir(dir);
	return rc;
}
