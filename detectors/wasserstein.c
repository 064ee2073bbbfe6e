/* wasserstein.c - first Wasserstein distance of two weighted samples,
 * scipy.stats.wasserstein_distance (scipy 1.10, _cdf_distance with p = 1).
 *
 * scipy pools and sorts both samples, evaluates both CDFs at every pooled
 * value but the last (searchsorted side='right': a value counts as soon as
 * it is reached) and sums |U - V| * (next pooled value - this one). The
 * inputs here are already sorted, so one merge walk over the distinct
 * pooled values does the same with no buffer: between two consecutive
 * distinct values both CDFs are constant. Unweighted CDFs are i / n exactly
 * as scipy forms them; weighted ones are the running sum of the weights
 * divided by the total, the running sum in scipy's cumsum order. */
#include <math.h>

#include "wasserstein.h"

static int check_sample(const double *x, const double *w, size_t n,
			const char *name, double *total, kpg_err *err)
{
	double s = 0.0;
	size_t i;

	if (!x || n == 0) {
		kpg_err_set(err, "wasserstein: the %s sample is empty", name);
		return KPG_EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i])) {
			kpg_err_set(err, "wasserstein: %s value %zu is %g; values "
					 "must be finite",
				    name, i, x[i]);
			return KPG_EINVAL;
		}
		if (i > 0 && x[i] < x[i - 1]) {
			kpg_err_set(err, "wasserstein: the %s sample is not sorted at "
					 "index %zu",
				    name, i);
			return KPG_EINVAL;
		}
		if (w && (!(w[i] >= 0.0) || isinf(w[i]))) {
			kpg_err_set(err, "wasserstein: %s weight %zu is %g; weights "
					 "must be finite and >= 0",
				    name, i, w[i]);
			return KPG_EINVAL;
		}
		if (w)
			s += w[i];
	}
	if (w && (!(s > 0.0) || isinf(s))) {
		kpg_err_set(err, "wasserstein: the %s weights sum to %g; the total "
				 "must be finite and > 0",
			    name, s);
		return KPG_EINVAL;
	}
	*total = w ? s : (double)n;
	return KPG_OK;
}

/* numpy.std(u, ddof=0), or with weights sqrt(average((u - mean)^2, w)):
 * two passes, the second corrected by the residual sum of the first.
 * Exactly 0 when every value of positive weight is the same (the rounded
 * mean would otherwise leave a std of 1e-17 and a huge normalised value). */
static double weighted_std(const double *u, const double *w, size_t n,
			   double total)
{
	double s = 0.0, mean, ss = 0.0, c = 0.0;
	size_t i, lo = 0, hi = n - 1;

	while (w && lo < hi && w[lo] == 0.0)
		lo++;
	while (w && hi > lo && w[hi] == 0.0)
		hi--;
	if (u[lo] == u[hi])
		return 0.0;
	for (i = 0; i < n; i++)
		s += w ? w[i] * u[i] : u[i];
	mean = s / total;
	for (i = 0; i < n; i++) {
		double d = u[i] - mean, wi = w ? w[i] : 1.0;

		ss += wi * d * d;
		c += wi * d;
	}
	ss = (ss - c * c / total) / total;
	return ss > 0.0 ? sqrt(ss) : 0.0;
}

int wasserstein_sorted(const double *u, const double *uw, size_t n,
		       const double *v, const double *vw, size_t m,
		       wasserstein_result *out, kpg_err *err)
{
	double tu, tv, cu = 0.0, cv = 0.0, d = 0.0, x;
	size_t i = 0, j = 0;
	int rc;

	if (!out) {
		kpg_err_set(err, "wasserstein: no result struct");
		return KPG_EINVAL;
	}
	if ((rc = check_sample(u, uw, n, "reference", &tu, err)) != 0 ||
	    (rc = check_sample(v, vw, m, "current", &tv, err)) != 0)
		return rc;

	/* x: the current distinct pooled value; take every value equal to it
	 * from both samples, then add the strip up to the next pooled value. */
	x = u[0] < v[0] ? u[0] : v[0];
	for (;;) {
		double next, fu, fv;

		for (; i < n && u[i] <= x; i++)
			cu += uw ? uw[i] : 0.0;
		for (; j < m && v[j] <= x; j++)
			cv += vw ? vw[j] : 0.0;
		if (i == n && j == m)
			break;
		if (i == n)
			next = v[j];
		else if (j == m)
			next = u[i];
		else
			next = u[i] < v[j] ? u[i] : v[j];
		fu = uw ? cu / tu : (double)i / (double)n;
		fv = vw ? cv / tv : (double)j / (double)m;
		d += fabs(fu - fv) * (next - x);
		x = next;
	}
	out->distance = d;
	out->ref_std = weighted_std(u, uw, n, tu);
	if (out->ref_std > 0.0)
		out->normalised = d / out->ref_std;
	else
		out->normalised = d == 0.0 ? 0.0 : INFINITY;
	return KPG_OK;
}
