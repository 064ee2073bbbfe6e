/* aws_names_key.c - AWS name rules as key-table checks (aws_names_key.h). */
#include "aws_names_key.h"

#include "aws_names.h"

int aws_names_key_region(kpg_jsonv *v, const kpg_jsonv_key *k,
			 const kpg_jsonv_at *at, json_t *value)
{
	(void)k;
	if (aws_names_is_region(json_string_value(value)))
		return 0;
	kpg_jsonv_report(v, at, 0, "%s \"%s\" is not an AWS region like us-east-1",
			 at->path, json_string_value(value));
	return -1;
}
