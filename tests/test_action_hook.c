/* The action room's actor for the pipeline (action_hook.h) without a
 * runner, as `replay` runs without --execute: every retrain is recorded
 * once, after its decision, with the exact request it would send and
 * status not_sent; a dry run with status dry_run. Nothing is staged. */
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

#include "action_hook.h"
#include "pipeline_fixture.h"

#define SM_POLICY \
	"{\"model\": \"m\", \"reference\": {\"path\": \"ref.csv\"}," \
	" \"window\": {\"records\": 10}," \
	" \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.9}]," \
	" \"guards\": {\"min_records\": 1, \"min_labelled\": 1}," \
	" \"action\": {\"type\": \"sagemaker_pipeline\", \"pipeline_name\": \"retrain-m\"," \
	" \"region\": \"eu-west-1\"}," \
	" \"energy\": {\"instance_type\": \"ml.m5.xlarge\", \"instance_count\": 1," \
	" \"expected_hours\": 1, \"region\": \"us-east-1\"}}"

static char dir[64];

static void run(const char *policy_name, const char *audit_path)
{
	audit_log *log;
	pipeline pl;

	fx_pipeline_open(dir, policy_name, audit_path, &pl, &log);
	action_hook_actor(NULL, &pl.actor);
	for (int i = 0; i < 30; i++)
		fx_feed_one(&pl, i);
	fx_pipeline_close(&pl, log);
}

static void test_sagemaker_recorded_not_sent(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/sm.jsonl", dir);
	run("sm.json", path);
	assert_int_equal(fx_count_events(path, "decision"), 3);
	assert_int_equal(fx_count_events(path, "action_result"), 3);
	assert_int_equal(fx_count_matching(path, "\"status\":\"not_sent\""), 3);
	assert_int_equal(fx_count_matching(path, "\"PipelineName\":\"retrain-m\""), 3);
	assert_int_equal(fx_count_matching(path, "\"ClientRequestToken\":\""), 3);
	assert_int_equal(fx_count_matching(path,
					   "\"target\":\"SageMaker.StartPipelineExecution\""),
			 3);
}

static void test_dry_run_recorded_with_request(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/dry.jsonl", dir);
	run("p.json", path);
	assert_int_equal(fx_count_events(path, "action_result"), 3);
	assert_int_equal(fx_count_matching(path, "\"status\":\"dry_run\""), 3);
	assert_int_equal(fx_count_matching(path, "\"request\":{"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sagemaker_recorded_not_sent),
		cmocka_unit_test(test_dry_run_recorded_with_request),
	};
	int rc;

	gsl_set_error_handler_off();
	if (fx_make_dir(dir, sizeof(dir), "/tmp/kpg-hook-XXXXXX") != 0)
		return 1;
	fx_write_file(dir, "sm.json", SM_POLICY);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	fx_remove_dir(dir);
	return rc;
}
