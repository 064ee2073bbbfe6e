/* fuzz_deployment.c - libFuzzer target for a deployment signal's line
 * (pipeline_parse_deployment, read by replay --deployments and the
 * daemon's deployments_file): any bytes give a model name that fits, NUL
 * terminated, and a time, or a clean KPG_EINVAL with a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_deploy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), model[PIPELINE_DEPLOY_MODEL_MAX];
	char ref[PIPELINE_DEPLOY_PATH_MAX];
	int64_t at;
	kpg_err err;
	int rc;

	if (line == NULL)
		abort();
	memcpy(line, data, size);
	line[size] = '\0';
	err.msg[0] = '\0';
	rc = pipeline_parse_deployment(line, model, sizeof(model), &at, ref, sizeof(ref),
				       &err);
	if (rc == 0 && (strnlen(model, sizeof(model)) >= sizeof(model) ||
			strnlen(ref, sizeof(ref)) >= sizeof(ref)))
		abort();
	if (rc != 0 && (rc != KPG_EINVAL || err.msg[0] == '\0'))
		abort();
	free(line);
	return 0;
}
