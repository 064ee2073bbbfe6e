/* libFuzzer target: policy files. Any bytes must give either a policy or
 * diagnostics with positions inside the text, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	policy_diags diags = {0};
	policy *p = NULL;
	kpg_err err;
	int lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (policy_load_buffer("/fuzz/policy.json", (const char *)data, size, &p,
			       &diags, &err) == 0) {
		if (p == NULL || diags.n != 0)
			abort();
		policy_free(p);
	} else {
		if (p != NULL)
			abort();
		for (size_t i = 0; i < diags.n; i++)
			if (diags.items[i].line < 0 || diags.items[i].line > lines + 1)
				abort();
	}
	policy_diags_free(&diags);
	return 0;
}
