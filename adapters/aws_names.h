/* aws_names.h - the shapes AWS gives the names kpigate sends it: region
 * names, Step Functions state machine ARNs, SageMaker pipeline names.
 * Policies are checked against them before anything runs, so a typo is
 * a policy error at line:column, not a 400 from AWS at 3 a.m. */
#ifndef AWS_NAMES_H
#define AWS_NAMES_H

#include <stddef.h>

/* 1 for an AWS region name: us-east-1, eu-central-2, us-gov-west-1,
 * cn-north-1 (lower-case "xx-name-N" parts, ending in a number). */
int aws_names_is_region(const char *s);

/* 0 for arn:aws[-a-z]*:states:REGION:ACCOUNT:stateMachine:NAME with a
 * 12-digit account and a 1..80 character NAME of [A-Za-z0-9_-], copying
 * REGION into region (rlen bytes); else -1 with *why (static text). */
int aws_names_check_sfn_arn(const char *arn, char *region, size_t rlen,
			    const char **why);

/* 0 for an SNS topic ARN, arn:PARTITION:sns:REGION:ACCOUNT:TOPIC (TOPIC 1
 * to 256 of [A-Za-z0-9_-], optionally with ".fifo"), its region copied
 * into region (may be NULL); -1 with *why saying what is wrong. */
int aws_names_check_sns_arn(const char *arn, char *region, size_t rlen,
			    const char **why);

/* 1 for a SageMaker PipelineName: ^[A-Za-z0-9](-*[A-Za-z0-9]){0,255}$ */
int aws_names_is_pipeline_name(const char *s);

#endif
