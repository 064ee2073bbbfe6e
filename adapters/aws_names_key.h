/* aws_names_key.h - the AWS name rules (aws_names.h) as check callbacks
 * for key tables (kpg_jsonv.h): the policy's action.region and the
 * configuration's aws.region share one rule and one message. */
#ifndef AWS_NAMES_KEY_H
#define AWS_NAMES_KEY_H

#include "kpg_jsonv.h"

/* A string key that must name an AWS region, like us-east-1. */
int aws_names_key_region(kpg_jsonv *v, const kpg_jsonv_key *k,
			 const kpg_jsonv_at *at, json_t *value);

#endif
