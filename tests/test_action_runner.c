/* The action runner without AWS: no credentials, or nothing listening.
 * A trigger is tried on a doubling backoff (a handful of attempts in a
 * few seconds, never thousands), its failed attempts are audited as one
 * record with a count, and it ends expired on time (or stays in the
 * outbox, its failures audited at the stop, which does not wait for the
 * round in progress); on_outcome says how. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action.h"
#include "action_runner.h"
#include "aws_env_fixture.h"
#include "kpg_time.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kpg_runner_XXXXXX");
	assert_non_null(mkdtemp(dir));
	aws_env_clear();
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static policy *sm_policy(void)
{
	policy *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->model = strdup("m");
	p->action = POLICY_ACTION_SAGEMAKER_PIPELINE;
	p->action_region = strdup("eu-west-1");
	snprintf(p->energy.instance_type, sizeof(p->energy.instance_type), "ml.m5.xlarge");
	snprintf(p->energy.region, sizeof(p->energy.region), "eu-west-1");
	p->energy.instance_count = 1;
	p->energy.expected_hours = 1;
	return p;
}

static void on_outcome(void *opaque, const char *key, const char *status)
{
	json_object_set_new(opaque, key, json_string(status));
}

/* The action_result records of an audit log, in order (caller decrefs). */
static json_t *action_results(const char *path)
{
	FILE *f = fopen(path, "r");
	json_t *out = json_array();
	char line[65536];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		json_t *r = json_loads(line, 0, NULL);

		if (r != NULL && strcmp(json_string_value(json_object_get(r, "event")), "action_result") == 0)
			json_array_append(out, json_object_get(r, "data"));
		json_decref(r);
	}
	fclose(f);
	return out;
}

/* One trigger through a runner over dir/outbox; returns what stop said.
 * hold_ms > 0: the trigger is never released to the runner (its submitter
 * still delivering it) and the stop comes hold_ms after the submit. */
static int deliver_one(const char *audit_path, int64_t deadline_s, int drain_ms,
		       json_t *outcomes, int64_t *elapsed_ms, int hold_ms)
{
	action_runner_options o;
	action_runner *r = NULL;
	audit_log *log = NULL;
	policy *p = sm_policy();
	char outbox[128];
	kpg_err err = {""};
	json_t *req = json_pack("{s:s, s:s, s:{s:s, s:s}}", "action", "sagemaker_pipeline",
				"target", "SageMaker.StartPipelineExecution", "body",
				"PipelineName", "retrain-m", "ClientRequestToken", "tok");
	int64_t t0;
	int left;

	snprintf(outbox, sizeof(outbox), "%s/outbox", dir);
	assert_int_equal(audit_open(audit_path, &log, &err), 0);
	memset(&o, 0, sizeof(o));
	o.outbox_dir = outbox;
	o.audit = log;
	o.deadline_s = deadline_s;
	o.poll_ms = 1000;
	o.on_outcome = on_outcome;
	o.outcome_opaque = outcomes;
	assert_int_equal(action_runner_start(&r, &o, &err), 0);
	t0 = kpg_time_mono_ms();
	assert_int_equal(action_runner_submit(r, p, "m:1:0", req, &err), 0);
	if (hold_ms > 0)
		usleep((useconds_t)hold_ms * 1000);
	else
		action_runner_release(r, "m:1:0");
	left = action_runner_stop(r, drain_ms);
	*elapsed_ms = kpg_time_mono_ms() - t0;
	audit_close(log);
	json_decref(req);
	policy_free(p);
	return left;
}

static void test_no_credentials_expires_quietly(void **state)
{
	char path[128];
	json_t *outcomes = json_object(), *rs, *f;
	int64_t el;

	(void)state;
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	/* deadline 3 s, waited for up to 6 */
	assert_int_equal(deliver_one(path, 3, 6000, outcomes, &el, 0), 1);
	assert_string_equal(json_string_value(json_object_get(outcomes, "m:1:0")), "expired");
	/* expired on time, and the drain ended then, not at 6 s */
	assert_true(el >= 3000 && el < 5500);
	rs = action_results(path);
	/* the old runner wrote thousands here */
	assert_int_equal(json_array_size(rs), 2);
	f = json_array_get(rs, 0);
	assert_string_equal(json_string_value(json_object_get(f, "status")), "attempt_failed");
	assert_string_equal(json_string_value(json_object_get(f, "error_type")), "NoCredentialsError");
	/* waits of >= 0.1, 0.2, 0.4, 0.8, 1.6 s: at most 5 attempts in 3 s */
	assert_true(json_integer_value(json_object_get(f, "count")) >= 3);
	assert_true(json_integer_value(json_object_get(f, "count")) <= 6);
	assert_non_null(json_object_get(f, "first_time"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(rs, 1), "status")),
			    "expired");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rs, 1), "attempts")),
			 json_integer_value(json_object_get(f, "count")));
	json_decref(rs);
	json_decref(outcomes);
}

static void test_refused_stays_in_outbox_audited(void **state)
{
	char path[128], entry[256];
	json_t *outcomes = json_object(), *rs, *f, *e;
	char token[65];
	int64_t el;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret-test", 1);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9", 1); /* nothing listens */
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	assert_int_equal(deliver_one(path, 3600, 1500, outcomes, &el, 0), 1);
	assert_null(json_object_get(outcomes, "m:1:0")); /* not over yet */
	/* the stop ends the round in progress: it waits for the drain, not
	 * for the round's 8 attempts (up to 30 s) */
	assert_true(el < 3000);
	rs = action_results(path);
	/* the failures so far, written at the stop: one record */
	assert_int_equal(json_array_size(rs), 1);
	f = json_array_get(rs, 0);
	assert_string_equal(json_string_value(json_object_get(f, "error_type")), "CURLE_COULDNT_CONNECT");
	/* attempts at >= 0, 0.1, 0.3, 0.7 s: at most 4 before the 1.5 s
	 * drain ends (5 if the fifth starts right at its end) */
	assert_true(json_integer_value(json_object_get(f, "count")) >= 2);
	assert_true(json_integer_value(json_object_get(f, "count")) <= 5);
	/* the trigger stays, its run closed, its backoff remembered */
	action_token("m:1:0", token);
	snprintf(entry, sizeof(entry), "%s/outbox/%s.json", dir, token);
	e = json_load_file(entry, 0, NULL);
	assert_non_null(e);
	assert_null(json_object_get(e, "failing"));
	assert_int_equal(json_integer_value(json_object_get(e, "attempts")),
			 json_integer_value(json_object_get(f, "count")));
	assert_true(json_integer_value(json_object_get(e, "next_ms")) > kpg_time_now_ms() - 60000);
	json_decref(e);
	json_decref(rs);
	json_decref(outcomes);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_ENDPOINT_URL");
}

/* A trigger past its deadline when the runner stops is expired by the
 * stop (audited, gone from the outbox), not left for the next start. */
static void test_past_deadline_expires_at_stop(void **state)
{
	char path[128], entry[256], token[65];
	json_t *outcomes = json_object(), *rs;
	int64_t el;

	(void)state;
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	/* deadline 1 s; the stop comes at 1.5 s, nothing attempted */
	assert_int_equal(deliver_one(path, 1, 0, outcomes, &el, 1500), 1);
	assert_string_equal(json_string_value(json_object_get(outcomes, "m:1:0")), "expired");
	rs = action_results(path);
	assert_int_equal(json_array_size(rs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rs, 0), "status")),
			    "expired");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rs, 0), "attempts")), 0);
	action_token("m:1:0", token);
	snprintf(entry, sizeof(entry), "%s/outbox/%s.json", dir, token);
	assert_int_equal(access(entry, F_OK), -1);
	json_decref(rs);
	json_decref(outcomes);
}

/* The same trigger stopped before its deadline stays in the outbox,
 * with nothing audited (it was never attempted). */
static void test_before_deadline_stays_at_stop(void **state)
{
	char path[128], entry[256], token[65];
	json_t *outcomes = json_object(), *rs;
	int64_t el;

	(void)state;
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	assert_int_equal(deliver_one(path, 3600, 0, outcomes, &el, 100), 1);
	assert_null(json_object_get(outcomes, "m:1:0"));
	rs = action_results(path);
	assert_int_equal(json_array_size(rs), 0);
	action_token("m:1:0", token);
	snprintf(entry, sizeof(entry), "%s/outbox/%s.json", dir, token);
	assert_int_equal(access(entry, F_OK), 0);
	json_decref(rs);
	json_decref(outcomes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_credentials_expires_quietly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_stays_in_outbox_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_past_deadline_expires_at_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_before_deadline_stays_at_stop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
