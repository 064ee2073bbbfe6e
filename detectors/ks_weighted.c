/* ks_weighted.c - KS of a sample against a weighted reference: ks.c's
 * statistic walk with a running weight in place of a count, and its
 * asymptotic p-value (ks_weighted.h). */
#include <math.h>

#include "ks.h"
#include "ks_weighted.h"

static int check_sorted(const double *x, const double *w, size_t n,
			const char *name, kpg_err *err)
{
	if (!x || n == 0) {
		kpg_err_set(err, "ks: sample %s is empty", name);
		return KPG_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (isnan(x[i]) || (i > 0 && x[i] < x[i - 1])) {
			kpg_err_set(err, "ks: sample %s is %s at index %zu", name,
				    isnan(x[i]) ? "NaN" : "not sorted", i);
			return KPG_EINVAL;
		}
		if (w && !(w[i] > 0 && isfinite(w[i]))) {
			kpg_err_set(err, "ks: weight %zu of sample %s is not a finite number > 0",
				    i, name);
			return KPG_EINVAL;
		}
	}
	return KPG_OK;
}

static double clamp01(double x)
{
	return x < 0 ? 0 : (x > 1 ? 1 : x);
}

static double p_of(double d, double en)
{
	double p = ks_kstwo_sf(d, en);

	return isnan(p) ? p : clamp01(p);
}

int ks_weighted_sorted(const double *ref, const double *ref_w, size_t n,
		       double weight_total, double rank_error,
		       const double *cur, size_t m, ks_weighted_result *out,
		       kpg_err *err)
{
	double wsum = 0, cw = 0, dm = (double)m, maxs = -INFINITY;
	double mins = INFINITY, d, big, small, en;
	size_t i = 0, j = 0;
	int rc;

	if (!out) {
		kpg_err_set(err, "ks: no result struct");
		return KPG_EINVAL;
	}
	if ((rc = check_sorted(ref, ref_w, n, "ref", err)) != 0 ||
	    (rc = check_sorted(cur, NULL, m, "cur", err)) != 0)
		return rc;
	if (!(rank_error >= 0 && rank_error <= 1)) {
		kpg_err_set(err, "ks: rank error %g outside [0, 1]", rank_error);
		return KPG_EINVAL;
	}
	for (size_t k = 0; k < n; k++)
		wsum += ref_w ? ref_w[k] : 1.0;
	if (weight_total == 0)
		weight_total = wsum;
	if (!(weight_total >= 1) || !isfinite(weight_total)) {
		kpg_err_set(err, "ks: reference weight total %g is not a count >= 1",
			    weight_total);
		return KPG_EINVAL;
	}
	/* ks.c's walk: after each distinct value v, cw = weight <= v and
	 * j = #cur <= v */
	while (i < n || j < m) {
		double v = (j >= m || (i < n && ref[i] <= cur[j])) ? ref[i] : cur[j];
		double diff;

		while (i < n && ref[i] <= v) {
			cw += ref_w ? ref_w[i] : 1.0;
			i++;
		}
		while (j < m && cur[j] <= v)
			j++;
		diff = cw / wsum - (double)j / dm;
		if (diff > maxs)
			maxs = diff;
		if (diff < mins)
			mins = diff;
	}
	mins = -mins;
	mins = mins < 0 ? 0 : (mins > 1 ? 1 : mins);
	d = mins > maxs ? mins : maxs;

	big = weight_total > dm ? weight_total : dm;
	small = weight_total > dm ? dm : weight_total;
	en = rint(big * small / (big + small));
	out->statistic = d;
	out->en = en;
	out->p_value = p_of(d, en);
	out->p_at_lower = p_of(clamp01(d - rank_error), en);
	out->p_at_upper = p_of(clamp01(d + rank_error), en);
	return KPG_OK;
}
