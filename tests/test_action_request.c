/* What a retrain sends: the SageMaker and Step Functions request bodies
 * (names AWS accepts, tokens, parameters), where they go (endpoint and
 * region rules), and how the Describe answers read; the webhook request
 * (placeholders in the body template, secrets by reference only) and its
 * audit record (header names only, a capped JSON excerpt). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "action_aws.h"
#include "action_webhook.h"

#define POLICY_FMT \
	"{\"model\": \"%s\", \"reference\": {\"path\": \"ref.csv\"}," \
	" \"window\": {\"records\": 10}," \
	" \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.9}]," \
	" \"action\": %s," \
	" \"energy\": {\"instance_type\": \"ml.m5.xlarge\", \"instance_count\": 1," \
	" \"expected_hours\": 1, \"region\": \"us-east-1\"}}"

static policy *load(const char *model, const char *action)
{
	char text[2048];
	policy_diags diags = {0};
	policy *p = NULL;
	kpg_err err = {""};

	snprintf(text, sizeof(text), POLICY_FMT, model, action);
	if (policy_load_buffer("t.json", text, strlen(text), &p, &diags, &err) != 0)
		fail_msg("policy: %s", err.msg);
	policy_diags_free(&diags);
	return p;
}

static void decide(const policy *p, policy_window_eval *ev, policy_decision *d)
{
	memset(ev, 0, sizeof(*ev));
	memset(d, 0, sizeof(*d));
	ev->window_index = 7;
	ev->start_ms = 1767225600000; /* 2026-01-01 */
	ev->end_ms = ev->start_ms + 86400000;
	d->retrain = 1;
	snprintf(d->reasons[0], sizeof(d->reasons[0]), "accuracy 0.80 < 0.90");
	d->n_reasons = 1;
	snprintf(d->idempotency_key, sizeof(d->idempotency_key), "%s:7:%lld",
		 p->model, (long long)ev->start_ms);
}

static int matches(const char *pattern, const char *s)
{
	regex_t re;
	int ok;

	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

static void test_sagemaker_body(void **state)
{
	/* a model name SageMaker's display name pattern refuses as it is */
	policy *p = load("_churn_xgb.v2",
			 "{\"type\": \"sagemaker_pipeline\", \"pipeline_name\": \"churn-retrain\","
			 " \"region\": \"eu-west-1\", \"parameters\": {\"Model\": \"{model}\","
			 " \"Key\": \"{idempotency_key}\"}}");
	policy_window_eval ev;
	policy_decision d;
	json_t *req = NULL, *body, *params;
	const char *name, *token;
	char want[65];

	(void)state;
	decide(p, &ev, &d);
	assert_int_equal(action_build_request(p, &ev, &d, &req, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(req, "target")),
			    "SageMaker.StartPipelineExecution");
	body = json_object_get(req, "body");
	assert_string_equal(json_string_value(json_object_get(body, "PipelineName")),
			    "churn-retrain");
	name = json_string_value(json_object_get(body, "PipelineExecutionDisplayName"));
	assert_true(matches("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}$", name));
	assert_non_null(strstr(name, "churn-xgb-v2-"));
	token = json_string_value(json_object_get(body, "ClientRequestToken"));
	action_token(d.idempotency_key, want);
	assert_string_equal(token, want);
	assert_int_equal(strlen(token), 64); /* SageMaker: 32..128 */
	assert_true(matches("^kpigate retrain: accuracy 0.80 < 0.90$",
			    json_string_value(json_object_get(body,
							      "PipelineExecutionDescription"))));
	params = json_object_get(body, "PipelineParameters");
	assert_int_equal(json_array_size(params), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(params, 0), "Value")),
			    "_churn_xgb.v2");
	assert_string_equal(json_string_value(json_object_get(json_array_get(params, 1), "Value")),
			    d.idempotency_key);
	json_decref(req);
	policy_free(p);
}

static void test_step_functions_body(void **state)
{
	policy *p = load("fraud.detector",
			 "{\"type\": \"step_functions\", \"state_machine_arn\":"
			 " \"arn:aws:states:us-west-2:123456789012:stateMachine:fraud-retrain\","
			 " \"parameters\": {\"Window\": \"{window}\"}}");
	policy_window_eval ev;
	policy_decision d;
	json_t *req = NULL, *body, *input;
	const char *name;
	char *arn;

	(void)state;
	decide(p, &ev, &d);
	assert_int_equal(action_build_request(p, &ev, &d, &req, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(req, "target")),
			    "AWSStepFunctions.StartExecution");
	body = json_object_get(req, "body");
	name = json_string_value(json_object_get(body, "name"));
	assert_true(matches("^[A-Za-z0-9_-]{1,80}$", name));
	input = json_loads(json_string_value(json_object_get(body, "input")), 0, NULL);
	assert_non_null(input);
	assert_string_equal(json_string_value(json_object_get(input, "idempotency_key")),
			    d.idempotency_key);
	assert_string_equal(json_string_value(json_object_get(input, "Window")),
			    "2026-01-01T00:00:00.000Z/2026-01-02T00:00:00.000Z");
	/* the same decision builds the same request: a retry is idempotent */
	{
		json_t *again = NULL;

		assert_int_equal(action_build_request(p, &ev, &d, &again, NULL), 0);
		assert_true(json_equal(req, again));
		json_decref(again);
	}
	arn = action_aws_sfn_execution_arn(
		json_string_value(json_object_get(body, "stateMachineArn")), name);
	assert_non_null(arn);
	assert_true(strncmp(arn, "arn:aws:states:us-west-2:123456789012:execution:fraud-retrain:", 62) == 0);
	assert_string_equal(arn + 62, name);
	free(arn);
	json_decref(input);
	json_decref(req);
	policy_free(p);
}

static void test_routes(void **state)
{
	action_aws_options o;
	action_aws_route r;

	(void)state;
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_SAGEMAKER");
	unsetenv("AWS_ENDPOINT_URL_SFN");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	memset(&o, 0, sizeof(o));
	assert_int_equal(action_aws_route_for(&o, POLICY_ACTION_SAGEMAKER_PIPELINE,
					      "eu-west-1", &r, NULL),
			 0);
	assert_string_equal(r.endpoint, "https://api.sagemaker.eu-west-1.amazonaws.com");
	assert_string_equal(r.service, "sagemaker");
	assert_string_equal(r.content_type, "application/x-amz-json-1.1");
	assert_int_equal(action_aws_route_for(&o, POLICY_ACTION_STEP_FUNCTIONS, "us-west-2",
					      &r, NULL),
			 0);
	assert_string_equal(r.endpoint, "https://states.us-west-2.amazonaws.com");
	assert_string_equal(r.service, "states");
	assert_string_equal(r.content_type, "application/x-amz-json-1.0");
	/* no region anywhere */
	assert_int_not_equal(action_aws_route_for(&o, POLICY_ACTION_STEP_FUNCTIONS, NULL,
						  &r, NULL),
			     0);
	/* configuration region, then the SDK's variables, in their order */
	o.region = "ap-south-1";
	assert_int_equal(action_aws_route_for(&o, POLICY_ACTION_STEP_FUNCTIONS, NULL, &r,
					      NULL),
			 0);
	assert_string_equal(r.region, "ap-south-1");
	o.sfn_endpoint = "http://127.0.0.1:9/";
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:8", 1);
	assert_int_equal(action_aws_route_for(&o, POLICY_ACTION_STEP_FUNCTIONS, NULL, &r,
					      NULL),
			 0);
	assert_string_equal(r.endpoint, "http://127.0.0.1:9"); /* config over the general one */
	assert_int_equal(action_aws_route_for(&o, POLICY_ACTION_SAGEMAKER_PIPELINE, NULL,
					      &r, NULL),
			 0);
	assert_string_equal(r.endpoint, "http://127.0.0.1:8");
	setenv("AWS_ENDPOINT_URL_SFN", "http://127.0.0.1:7", 1);
	assert_int_equal(action_aws_route_for(&o, POLICY_ACTION_STEP_FUNCTIONS, NULL, &r,
					      NULL),
			 0);
	assert_string_equal(r.endpoint, "http://127.0.0.1:7"); /* the service's own first */
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_SFN");
	assert_int_not_equal(action_aws_route_for(&o, POLICY_ACTION_DRY_RUN, "eu-west-1",
						  &r, NULL),
			     0);
}

static void test_describe_answers(void **state)
{
	action_aws_status st;
	json_t *a;

	(void)state;
	a = json_pack("{s:s, s:f, s:f}", "PipelineExecutionStatus", "Executing",
		      "CreationTime", 1000.0, "LastModifiedTime", 1500.0);
	assert_int_equal(action_aws_read_status(POLICY_ACTION_SAGEMAKER_PIPELINE, a, &st, NULL), 0);
	assert_false(st.finished);
	json_object_set_new(a, "PipelineExecutionStatus", json_string("Succeeded"));
	assert_int_equal(action_aws_read_status(POLICY_ACTION_SAGEMAKER_PIPELINE, a, &st, NULL), 0);
	assert_true(st.finished && st.succeeded);
	assert_true(st.stop_s - st.start_s == 500.0);
	json_decref(a);
	a = json_pack("{s:s, s:i, s:i}", "status", "TIMED_OUT", "startDate", 10, "stopDate", 70);
	assert_int_equal(action_aws_read_status(POLICY_ACTION_STEP_FUNCTIONS, a, &st, NULL), 0);
	assert_true(st.finished && !st.succeeded);
	json_object_set_new(a, "status", json_string("RUNNING"));
	assert_int_equal(action_aws_read_status(POLICY_ACTION_STEP_FUNCTIONS, a, &st, NULL), 0);
	assert_false(st.finished);
	json_object_del(a, "status");
	assert_int_not_equal(action_aws_read_status(POLICY_ACTION_STEP_FUNCTIONS, a, &st, NULL), 0);
	json_decref(a);
}

static void test_webhook_request(void **state)
{
	policy *p = load("churn-xgb",
			 "{\"type\": \"webhook\", \"url\": \"https://u:pw@ci.example.com:8443/x?t=1\","
			 " \"method\": \"PUT\", \"secret_env\": \"SIGN\","
			 " \"headers\": {\"Authorization\": {\"secret_env\": \"TOK\"}, \"X-M\": \"m={model}\"},"
			 " \"body\": {\"event_type\": \"retrain\", \"client_payload\": {\"key\":"
			 " \"{idempotency_key}\", \"why\": \"\\\"{model}\\\"\", \"n\": [1, \"{model}\"]}}}");
	policy_window_eval ev;
	policy_decision d;
	json_t *req = NULL, *b, *sent, *hs, *o;
	webhook_result res;
	kpg_err err = {""};

	(void)state;
	decide(p, &ev, &d);
	assert_int_equal(action_build_request(p, &ev, &d, &req, &err), 0);
	assert_string_equal(json_string_value(json_object_get(req, "action")), "webhook");
	/* the host only: no user, password, path or query */
	assert_string_equal(json_string_value(json_object_get(req, "target")),
			    "PUT ci.example.com:8443");
	b = json_object_get(req, "body");
	assert_string_equal(json_string_value(json_object_get(b, "method")), "PUT");
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "signature"),
							      "secret_env")),
			    "SIGN");
	hs = json_object_get(b, "headers");
	assert_int_equal(json_array_size(hs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(hs, 0), "secret_env")),
			    "TOK");
	assert_null(json_object_get(json_array_get(hs, 0), "value"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(hs, 1), "value")),
			    "m=churn-xgb");
	/* the body text: placeholders filled, quotes escaped by jansson */
	sent = json_loads(json_string_value(json_object_get(b, "body")), 0, NULL);
	assert_non_null(sent);
	o = json_object_get(sent, "client_payload");
	assert_string_equal(json_string_value(json_object_get(o, "key")), d.idempotency_key);
	assert_string_equal(json_string_value(json_object_get(o, "why")), "\"churn-xgb\"");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "n"), 1)),
			    "churn-xgb");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "n"), 0)), 1);
	json_decref(sent);

	/* the audit record: header names only, the answer's excerpt capped */
	memset(&res, 0, sizeof(res));
	res.outcome = WEBHOOK_OK;
	res.http_status = 201;
	memset(res.answer, 'a', WEBHOOK_ANSWER_MAX);
	res.answer[0] = '{';
	res.answer_len = WEBHOOK_ANSWER_MAX;
	o = action_webhook_result_json("started", b, &res);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "host")), "ci.example.com:8443");
	assert_int_equal(json_array_size(json_object_get(o, "headers")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "headers"), 0)),
			    "Authorization");
	assert_int_equal(json_string_length(json_object_get(o, "answer_excerpt")),
			 ACTION_WEBHOOK_EXCERPT);
	assert_true(json_is_true(json_object_get(o, "answer_truncated")));
	json_decref(o);
	/* not JSON: no excerpt */
	snprintf(res.answer, sizeof(res.answer), "<html>ok</html>");
	res.answer_len = strlen(res.answer);
	o = action_webhook_result_json("started", b, &res);
	assert_null(json_object_get(o, "answer_excerpt"));
	json_decref(o);
	/* audited: no user:password, no query */
	assert_int_equal(action_webhook_redact(req), 0);
	assert_string_equal(json_string_value(json_object_get(b, "url")),
			    "https://ci.example.com:8443/x");
	json_decref(req);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sagemaker_body),
		cmocka_unit_test(test_step_functions_body),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_describe_answers),
		cmocka_unit_test(test_webhook_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
