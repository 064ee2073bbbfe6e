/* fuzz_mm_constraints.c - libFuzzer target for a Model Monitor
 * constraints.json: any bytes give a parsed struct within the documented
 * limits or an error with a message, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mm_constraints.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mm_constraints c;
	kpg_err err = {""};

	if (mm_constraints_parse((const char *)data, size, "fuzz.json", &c, &err) != 0) {
		if (c.features != NULL || c.n_features != 0 || err.msg[0] == '\0')
			abort();
		return 0;
	}
	for (size_t i = 0; i < c.n_features; i++) {
		const mm_feature_constraints *f = &c.features[i];

		if (f->name == NULL || f->n_domains > MM_MAX_DOMAIN ||
		    (f->n_domains > 0 && !f->has_domains))
			abort();
		for (size_t j = 0; j < f->n_domains; j++)
			if (f->domains[j] == NULL)
				abort();
	}
	mm_constraints_free(&c);
	return 0;
}
