/* action_aws.h - what each AWS action calls and how its answers read:
 * the endpoint, signing name and protocol of SageMaker and Step
 * Functions, the Describe request that follows an execution, and the
 * execution's status and times from the answers. No I/O here: the
 * action runner (action_runner.h) makes the calls. */
#ifndef ACTION_AWS_H
#define ACTION_AWS_H

#include <jansson.h>
#include <stdint.h>

#include "aws_creds.h"
#include "kpg_error.h"
#include "policy.h"

typedef struct action_aws_options {
	const char *region;             /* default region (config), NULL */
	const char *sagemaker_endpoint; /* config overrides, NULL */
	const char *sfn_endpoint;
	const char *ca_bundle; /* NULL = AWS_CA_BUNDLE / system */
	int max_attempts;      /* per delivery round; 0 = AWS_CALL_DEFAULT_ATTEMPTS (aws_call.h) */
	int timeout_ms;        /* per call; 0 = 10000 */
} action_aws_options;

typedef struct action_aws_route {
	char endpoint[512];
	char region[64];
	const char *service;      /* "sagemaker" | "states" (static) */
	const char *content_type; /* JSON 1.1 | 1.0 (static) */
	const char *describe_target;
} action_aws_route;

/* Resolves the route of an action type (region: the policy's, else the
 * options', else AWS_REGION / AWS_DEFAULT_REGION). KPG_EINVAL for
 * dry_run or no region. */
int action_aws_route_for(const action_aws_options *o, policy_action_type type,
			 const char *policy_region, action_aws_route *r,
			 kpg_err *err);

/* The credentials an action is signed with, from the AWS SDK chain
 * (aws_creds.h) for o's region (STS) and CA bundle: the provider is
 * created in *p on first use and kept there for the next calls (caller
 * frees it with aws_creds_provider_free). The action runner and `kpigate
 * action test` both resolve them here. KPG_ENOTFOUND: no source is
 * configured; other codes: the configured one gave none (err says why,
 * never a secret). *out is the caller's to wipe (aws_creds_wipe). */
int action_aws_creds(aws_creds_provider **p, const action_aws_options *o,
		     aws_creds *out, kpg_err *err);

/* The chain, in order, in words (for messages). */
#define ACTION_AWS_CREDS_CHAIN \
	"environment (AWS_ACCESS_KEY_ID), shared files (AWS_PROFILE), web " \
	"identity (AWS_WEB_IDENTITY_TOKEN_FILE), container " \
	"(AWS_CONTAINER_CREDENTIALS_*_URI), EC2 instance metadata (IMDSv2)"

/* Execution ARN from a start answer (PipelineExecutionArn or
 * executionArn), or NULL (borrowed from answer). */
const char *action_aws_started_arn(const json_t *answer);

/* The Step Functions execution ARN for stateMachineArn + name (an
 * ExecutionAlreadyExists answer carries none). malloc'd or NULL. */
char *action_aws_sfn_execution_arn(const char *state_machine_arn,
				   const char *name);

/* The Describe body for an execution ARN (caller decrefs). */
json_t *action_aws_describe_body(policy_action_type type, const char *arn);

typedef struct action_aws_status {
	const char *status; /* borrowed from the answer: "Succeeded", "RUNNING"... */
	int finished;       /* a terminal status */
	int succeeded;
	double start_s, stop_s; /* epoch seconds; 0 unknown */
} action_aws_status;

/* Reads a Describe answer. KPG_EINVAL when it has no status. */
int action_aws_read_status(policy_action_type type, const json_t *answer,
			   action_aws_status *st, kpg_err *err);

#endif
