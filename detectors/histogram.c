/* histogram.c - numpy's equal-width binning of two samples (histogram.h). */
#include "histogram.h"

#include <math.h>

void histogram_edges(double lo, double hi, unsigned k, double *edges)
{
	double step;

	if (lo == hi) { /* numpy widens an empty range */
		lo -= 0.5;
		hi += 0.5;
	}
	step = (hi - lo) / (double)k;
	for (unsigned i = 0; i < k; i++)
		edges[i] = (double)i * step + lo;
	edges[k] = hi;
}

/* First index in sorted[0..n) with sorted[i] >= x (right: > x). */
static size_t lower_bound(const double *sorted, size_t n, double x, int right)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (right ? sorted[mid] <= x : sorted[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void histogram_counts(const double *sorted, const double *weights, size_t n,
		      const double *edges, unsigned k, double *counts)
{
	size_t at = lower_bound(sorted, n, edges[0], 0);

	for (unsigned i = 0; i < k; i++) {
		/* the last bin holds its upper edge */
		size_t end = lower_bound(sorted, n, edges[i + 1], i + 1 == k);
		double c = 0;

		if (end < at)
			end = at; /* edges that do not rise (cannot happen) */
		if (weights == NULL)
			c = (double)(end - at);
		else
			for (size_t j = at; j < end; j++)
				c += weights[j];
		counts[i] = c;
		at = end;
	}
}

int histogram_two(const double *ref, const double *ref_weights, size_t n,
		  const double *cur, size_t m, unsigned k, double *ref_counts,
		  double *cur_counts, kpg_err *err)
{
	double edges[HISTOGRAM_MAX_BINS + 1], lo, hi;

	if (k < 1 || k > HISTOGRAM_MAX_BINS) {
		kpg_err_set(err, "histogram: %u bins; 1 to %d allowed", k,
			    HISTOGRAM_MAX_BINS);
		return KPG_EINVAL;
	}
	if (ref == NULL || cur == NULL || n == 0 || m == 0) {
		kpg_err_set(err, "histogram: an empty sample");
		return KPG_EINVAL;
	}
	lo = fmin(ref[0], cur[0]);
	hi = fmax(ref[n - 1], cur[m - 1]);
	if (!isfinite(lo) || !isfinite(hi)) {
		kpg_err_set(err, "histogram: a sample is not finite");
		return KPG_EINVAL;
	}
	histogram_edges(lo, hi, k, edges);
	histogram_counts(ref, ref_weights, n, edges, k, ref_counts);
	histogram_counts(cur, NULL, m, edges, k, cur_counts);
	return 0;
}
