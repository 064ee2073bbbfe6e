#include "action_aws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_call.h"

int action_aws_route_for(const action_aws_options *o, policy_action_type type,
			 const char *policy_region, action_aws_route *r,
			 kpg_err *err)
{
	const char *region;
	int sm = type == POLICY_ACTION_SAGEMAKER_PIPELINE;

	memset(r, 0, sizeof(*r));
	if (type == POLICY_ACTION_DRY_RUN) {
		kpg_err_set(err, "a dry run calls nothing");
		return KPG_EINVAL;
	}
	region = aws_region_resolve(policy_region, o ? o->region : NULL);
	if (region == NULL) {
		kpg_err_set(err, "no AWS region: set action.region in the policy, "
				 "aws.region in the configuration, or AWS_REGION");
		return KPG_EINVAL;
	}
	if (strlen(region) >= sizeof(r->region)) {
		kpg_err_set(err, "AWS region '%.64s...' is too long", region);
		return KPG_EINVAL;
	}
	strcpy(r->region, region);
	r->service = sm ? "sagemaker" : "states";
	r->content_type = sm ? "application/x-amz-json-1.1" : "application/x-amz-json-1.0";
	r->describe_target = sm ? "SageMaker.DescribePipelineExecution"
				: "AWSStepFunctions.DescribeExecution";
	return aws_endpoint_resolve(sm ? "SAGEMAKER" : "SFN",
				    o ? (sm ? o->sagemaker_endpoint : o->sfn_endpoint) : NULL,
				    sm ? "api.sagemaker" : "states", r->region, r->endpoint,
				    sizeof(r->endpoint), err);
}

int action_aws_creds(aws_creds_provider **p, const action_aws_options *o,
		     aws_creds *out, kpg_err *err)
{
	int rc;

	if (*p == NULL) {
		aws_creds_options co = {o ? o->region : NULL, o ? o->ca_bundle : NULL, 0};

		rc = aws_creds_provider_new(p, &co, err);
		if (rc)
			return rc;
	}
	return aws_creds_get(*p, out, err);
}

const char *action_aws_started_arn(const json_t *answer)
{
	const char *a = json_string_value(json_object_get(answer, "PipelineExecutionArn"));

	return a ? a : json_string_value(json_object_get(answer, "executionArn"));
}

char *action_aws_sfn_execution_arn(const char *sm_arn, const char *name)
{
	/* arn:aws:states:REGION:ACCOUNT:stateMachine:NAME ->
	 * arn:aws:states:REGION:ACCOUNT:execution:NAME:EXECUTION */
	const char *p = strstr(sm_arn, ":stateMachine:");
	size_t head, len;
	char *out;

	if (p == NULL)
		return NULL;
	head = (size_t)(p - sm_arn);
	len = strlen(sm_arn) + strlen(name) + 16;
	out = malloc(len);
	if (out != NULL)
		snprintf(out, len, "%.*s:execution:%s:%s", (int)head, sm_arn,
			 p + strlen(":stateMachine:"), name);
	return out;
}

json_t *action_aws_describe_body(policy_action_type type, const char *arn)
{
	const char *key = type == POLICY_ACTION_SAGEMAKER_PIPELINE
				  ? "PipelineExecutionArn"
				  : "executionArn";

	return json_pack("{s:s}", key, arn);
}

static double num(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : 0;
}

int action_aws_read_status(policy_action_type type, const json_t *answer,
			   action_aws_status *st, kpg_err *err)
{
	static const char *const sm_end[] = {"Succeeded", "Failed", "Stopped"};
	static const char *const sfn_end[] = {"SUCCEEDED", "FAILED", "TIMED_OUT",
					      "ABORTED"};
	int sm = type == POLICY_ACTION_SAGEMAKER_PIPELINE;
	const char *const *end = sm ? sm_end : sfn_end;
	size_t n_end = sm ? 3 : 4;

	memset(st, 0, sizeof(*st));
	st->status = json_string_value(json_object_get(
		answer, sm ? "PipelineExecutionStatus" : "status"));
	if (st->status == NULL) {
		kpg_err_set(err, "the Describe answer has no status");
		return KPG_EINVAL;
	}
	for (size_t i = 0; i < n_end; i++)
		if (strcmp(st->status, end[i]) == 0)
			st->finished = 1;
	st->succeeded = strcmp(st->status, end[0]) == 0;
	st->start_s = num(json_object_get(answer, sm ? "CreationTime" : "startDate"));
	st->stop_s = num(json_object_get(answer, sm ? "LastModifiedTime" : "stopDate"));
	return 0;
}
