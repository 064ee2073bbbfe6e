/* fuzz_mm_statistics.c - libFuzzer target for a Model Monitor
 * statistics.json: any bytes give a parsed struct within the documented
 * limits or an error with a message, never a crash or a leak; a parsed
 * numeric feature's sketch flattens (kll_from_levels) and bins
 * (psi_ref_build_weighted), or fails cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kll.h"
#include "mm_statistics.h"
#include "psi_weighted.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mm_statistics s;
	kpg_err err = {""};

	if (mm_statistics_parse((const char *)data, size, "fuzz.json", &s, &err) != 0) {
		if (s.features != NULL || s.n_features != 0 || err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (s.n_features > MM_MAX_FEATURES)
		abort();
	for (size_t i = 0; i < s.n_features; i++) {
		const mm_feature_stats *f = &s.features[i];
		kll_view v;
		psi_ref ref;

		if (f->name == NULL || (f->has_numeric && f->has_string) ||
		    f->num.n_levels > MM_MAX_LEVELS)
			abort();
		if (!f->num.has_sketch)
			continue;
		if (kll_from_levels((const double *const *)f->num.levels,
				    f->num.level_len, f->num.n_levels, &v, &err) != 0)
			continue;
		for (size_t j = 1; j < v.n; j++)
			if (v.values[j - 1] > v.values[j])
				abort();
		if (psi_ref_build_weighted(&ref, v.values, v.weights, v.n, 10, &err) == 0)
			psi_ref_free(&ref);
		kll_view_free(&v);
	}
	mm_statistics_free(&s);
	return 0;
}
