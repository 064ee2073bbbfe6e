/* psi_weighted.c - PSI reference bins from a weighted sorted sample (a
 * sketch). The weighted quantile and why it equals psi.c's with unit
 * weights: psi_weighted.h. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_sort.h>

#include "psi_weighted.h"

/* The first item whose running weight passes virtual index j. */
static size_t holder(const double *cum, size_t n, double j)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cum[mid] > j)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

double psi_quantile_weighted(const double *sorted, const double *cum,
			     size_t n, double q)
{
	double w, vi, lo, t, a, b, diff;

	if (!sorted || !cum || n == 0 || isnan(q))
		return NAN;
	w = cum[n - 1];
	vi = (w - 1) * q;
	if (vi >= w - 1)
		return sorted[n - 1];
	if (vi < 0)
		return sorted[0];
	lo = floor(vi);
	t = vi - lo;
	a = sorted[holder(cum, n, lo)];
	b = sorted[holder(cum, n, lo + 1)];
	/* numpy's _lerp, as psi_quantile_sorted */
	diff = b - a;
	if (t >= 0.5)
		return b - diff * (1 - t);
	return a + diff * t;
}

/* Index of the first edge >= v, i.e. the number of edges < v (psi.c). */
static size_t bin_of(const double *edges, size_t ne, double v)
{
	size_t lo = 0, hi = ne;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (edges[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int psi_ref_build_weighted(psi_ref *ref, const double *sorted,
			   const double *weights, size_t n, unsigned bins,
			   kpg_err *err)
{
	double *edges = NULL, *prop = NULL, *cum = NULL, w;
	size_t ne = 0, i;
	unsigned k;
	int rc;

	if (!ref) {
		kpg_err_set(err, "psi: no reference struct");
		return KPG_EINVAL;
	}
	ref->edges = NULL;
	ref->ref_prop = NULL;
	ref->n_bins = 0;
	if (!sorted || n == 0) {
		kpg_err_set(err, "psi: reference sample is empty");
		return KPG_EINVAL;
	}
	if (bins < 2 || bins > PSI_MAX_BINS) {
		kpg_err_set(err, "psi: bins %u outside 2..%d", bins, PSI_MAX_BINS);
		return KPG_EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (isnan(sorted[i]) || (i > 0 && sorted[i] < sorted[i - 1])) {
			kpg_err_set(err, "psi: reference is %s at index %zu",
				    isnan(sorted[i]) ? "NaN" : "not sorted", i);
			return KPG_EINVAL;
		}
		if (weights && !(weights[i] > 0 && isfinite(weights[i]))) {
			kpg_err_set(err, "psi: reference weight %zu is not a finite number > 0",
				    i);
			return KPG_EINVAL;
		}
	}
	edges = malloc(sizeof(double) * (bins - 1));
	prop = calloc(bins, sizeof(double));
	cum = malloc(sizeof(double) * n);
	if (!edges || !prop || !cum) {
		kpg_err_set(err, "psi: out of memory for %u bins", bins);
		rc = KPG_ENOMEM;
		goto fail;
	}
	w = 0;
	for (i = 0; i < n; i++) {
		w += weights ? weights[i] : 1.0;
		cum[i] = w;
	}
	for (k = 1; k < bins; k++)
		edges[k - 1] = psi_quantile_weighted(sorted, cum, n,
						     (double)k / bins);
	/* numpy.unique: sort, then keep the first of each run */
	gsl_sort(edges, 1, bins - 1);
	for (i = 0; i < bins - 1; i++)
		if (ne == 0 || edges[i] != edges[ne - 1])
			edges[ne++] = edges[i];
	/* weight per bin: whole numbers stay exact, so unit weights give
	 * psi.c's count / n */
	for (i = 0; i < n; i++)
		prop[bin_of(edges, ne, sorted[i])] += weights ? weights[i] : 1.0;
	for (i = 0; i <= ne; i++)
		prop[i] = prop[i] / w;

	ref->edges = edges;
	ref->ref_prop = prop;
	ref->n_bins = ne + 1;
	edges = NULL; /* now owned by ref */
	prop = NULL;
	rc = KPG_OK;
fail:
	free(edges);
	free(prop);
	free(cum);
	return rc;
}
