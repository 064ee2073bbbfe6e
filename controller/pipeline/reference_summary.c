/* reference_summary.c - equi-depth quantile summaries of a numeric
 * feature (reference_summary.h has the construction and its bound). */
#include "reference_summary.h"

#include <stdlib.h>

int reference_summarise(reference_feature *f, size_t max_values, kpg_err *err)
{
	size_t n = f->n, j, m, r, k;
	double *kept, *w;

	if (max_values < REFERENCE_SUMMARY_MIN_VALUES) {
		kpg_err_set(err, "a summary keeps at least %d values, not %zu",
			    REFERENCE_SUMMARY_MIN_VALUES, max_values);
		return KPG_EINVAL;
	}
	if (f->type != POLICY_FEATURE_NUMERIC || f->weights != NULL ||
	    n <= max_values)
		return 0;
	j = (n + max_values - 2) / (max_values - 1); /* ceil(n / (N - 1)) */
	m = n / j;
	r = n - m * j;
	k = m + (r > 0);
	kept = malloc(k * sizeof(*kept));
	w = malloc(k * sizeof(*w));
	if (kept == NULL || w == NULL) {
		free(kept);
		free(w);
		kpg_err_set(err, "out of memory summarising '%s'", f->name);
		return KPG_ENOMEM;
	}
	for (size_t i = 0; i < m; i++) {
		kept[i] = f->sorted[(i + 1) * j - 1];
		w[i] = (double)j;
	}
	if (r > 0) {
		kept[m] = f->sorted[n - 1];
		w[m] = (double)r;
	}
	free(f->sorted);
	f->sorted = kept;
	f->weights = w;
	f->n = k;
	f->weight_total = (double)n;
	f->rank_error = (double)(j - 1) / (double)n;
	return 1;
}
