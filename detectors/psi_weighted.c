/* psi_weighted.c - PSI reference bins from a weighted sorted sample (a
 * sketch). The weighted quantile and why it equals psi.c's with unit
 * weights: psi_weighted.h. */
#include <math.h>
#include <stdlib.h>

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

int psi_ref_build_weighted(psi_ref *ref, const double *sorted,
			   const double *weights, size_t n, unsigned bins,
			   kpg_err *err)
{
	double *edges, *cum, w = 0;
	int rc = psi_ref_check(ref, sorted, weights, n, bins, err);

	if (rc)
		return rc;
	edges = malloc(sizeof(double) * (bins - 1));
	cum = malloc(sizeof(double) * n);
	if (!edges || !cum) {
		free(edges);
		free(cum);
		kpg_err_set(err, "psi: out of memory for %u bins", bins);
		return KPG_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		w += weights ? weights[i] : 1.0;
		cum[i] = w;
	}
	for (unsigned k = 1; k < bins; k++)
		edges[k - 1] = psi_quantile_weighted(sorted, cum, n,
						     (double)k / bins);
	free(cum);
	/* whole-number weights stay exact, so unit weights give psi.c's
	 * count / n */
	return psi_ref_finish(ref, edges, bins, sorted, weights, n, err);
}
