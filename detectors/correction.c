/* correction.c - multiple-testing correction of one window's p-values:
 * Bonferroni and Benjamini-Hochberg (1995) adjusted p-values, the values
 * statsmodels' multipletests(method="bonferroni" / "fdr_bh") returns.
 *
 * BH runs from the largest p down, carrying the running minimum of
 * n * p(j) / j: that is the step-up rule "reject the i smallest, i the
 * largest index with p(i) <= i * alpha / n" written as one adjusted value
 * per test, so a policy compares each adj[] with its alpha. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_sort.h>

#include "correction.h"

const char *const correction_method_names[] = {"none", "bonferroni",
					       "benjamini_hochberg", NULL};

int correction_adjust(correction_method method, const double *p, size_t n,
		      double *adj, kpg_err *err)
{
	size_t *idx, i, k;
	double run;

	if (method != CORRECTION_NONE && method != CORRECTION_BONFERRONI &&
	    method != CORRECTION_BENJAMINI_HOCHBERG) {
		kpg_err_set(err, "correction: unknown method %d", (int)method);
		return KPG_EINVAL;
	}
	if (n == 0)
		return KPG_OK;
	if (!p || !adj) {
		kpg_err_set(err, "correction: no p-values or no output array");
		return KPG_EINVAL;
	}
	/* all checked before any write: adj may be p */
	for (i = 0; i < n; i++) {
		if (!(p[i] >= 0.0 && p[i] <= 1.0)) {
			kpg_err_set(err, "correction: p-value %zu is %g, not in [0, 1]",
				    i, p[i]);
			return KPG_EINVAL;
		}
	}

	switch (method) {
	case CORRECTION_NONE:
		for (i = 0; i < n; i++)
			adj[i] = p[i];
		return KPG_OK;
	case CORRECTION_BONFERRONI:
		for (i = 0; i < n; i++)
			adj[i] = fmin(1.0, (double)n * p[i]);
		return KPG_OK;
	case CORRECTION_BENJAMINI_HOCHBERG:
		break;
	}

	idx = malloc(sizeof(size_t) * n);
	if (!idx) {
		kpg_err_set(err, "correction: out of memory sorting %zu p-values",
			    n);
		return KPG_ENOMEM;
	}
	gsl_sort_index(idx, p, 1, n);
	/* From the largest p down; p[idx[k]] is read before adj[idx[k]] is
	 * written and never again, so adj may be p. The order of tied p-values
	 * does not matter: the running minimum gives them all the value of the
	 * last of them. */
	run = 1.0;
	for (k = n; k-- > 0;) {
		double v = (double)n * p[idx[k]] / (double)(k + 1);

		if (v < run)
			run = v;
		adj[idx[k]] = run;
	}
	free(idx);
	return KPG_OK;
}
