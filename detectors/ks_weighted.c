/* ks_weighted.c - KS of a sample against a weighted reference: ks.c's
 * statistic walk with a running weight in place of a count, and its
 * asymptotic p-value (ks_weighted.h). */
#include <math.h>

#include "ks.h"
#include "ks_walk.h"
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

/* The checks and the walk: D between the two weighted CDFs, and the
 * totals (0 given: the weights' sums) into *ref_total / *cur_total. */
static int weighted_walk(const double *ref, const double *ref_w, size_t n,
			 double *ref_total, const double *cur, const double *cur_w,
			 size_t m, double *cur_total, double *d, kpg_err *err)
{
	double rsum = 0, csum = 0, rw = 0, cw = 0, maxs = -INFINITY, mins = INFINITY;
	size_t i = 0, j = 0;
	int rc;

	if ((rc = check_sorted(ref, ref_w, n, "ref", err)) != 0 ||
	    (rc = check_sorted(cur, cur_w, m, "cur", err)) != 0)
		return rc;
	for (size_t k = 0; k < n; k++)
		rsum += ref_w ? ref_w[k] : 1.0;
	for (size_t k = 0; k < m; k++)
		csum += cur_w ? cur_w[k] : 1.0;
	if (*ref_total == 0)
		*ref_total = rsum;
	if (*cur_total == 0)
		*cur_total = csum;
	if (!(*ref_total >= 1) || !isfinite(*ref_total) || !(*cur_total >= 1) ||
	    !isfinite(*cur_total)) {
		kpg_err_set(err, "ks: weight totals %g and %g are not counts >= 1",
			    *ref_total, *cur_total);
		return KPG_EINVAL;
	}
	if (!ref_w && !cur_w) {
		/* counts: ks.c's own statistic (rsum = n, csum = m exactly) */
		*d = ks_walk_statistic(ref, n, cur, m);
		return KPG_OK;
	}
	/* ks.c's walk: after each distinct value v, rw and cw are the
	 * weights <= v of each sample */
	while (i < n || j < m) {
		double v = (j >= m || (i < n && ref[i] <= cur[j])) ? ref[i] : cur[j];
		double diff;

		while (i < n && ref[i] <= v) {
			rw += ref_w ? ref_w[i] : 1.0;
			i++;
		}
		while (j < m && cur[j] <= v) {
			cw += cur_w ? cur_w[j] : 1.0;
			j++;
		}
		diff = rw / rsum - cw / csum;
		if (diff > maxs)
			maxs = diff;
		if (diff < mins)
			mins = diff;
	}
	*d = ks_walk_sup(maxs, mins);
	return KPG_OK;
}

int ks_weighted_both_sorted(const double *ref, const double *ref_w, size_t n,
			    double ref_total, double ref_error,
			    const double *cur, const double *cur_w, size_t m,
			    double cur_total, double cur_error,
			    ks_weighted_result *out, kpg_err *err)
{
	double d, big, small, en, bound;
	int rc;

	if (!out) {
		kpg_err_set(err, "ks: no result struct");
		return KPG_EINVAL;
	}
	if (!(ref_error >= 0 && ref_error <= 1) || !(cur_error >= 0 && cur_error <= 1)) {
		kpg_err_set(err, "ks: rank error %g / %g outside [0, 1]", ref_error,
			    cur_error);
		return KPG_EINVAL;
	}
	rc = weighted_walk(ref, ref_w, n, &ref_total, cur, cur_w, m, &cur_total, &d, err);
	if (rc)
		return rc;
	big = ref_total > cur_total ? ref_total : cur_total;
	small = ref_total > cur_total ? cur_total : ref_total;
	en = rint(big * small / (big + small));
	/* either CDF errs by at most its rank error: D by their sum */
	bound = ref_error + cur_error;
	out->statistic = d;
	out->en = en;
	out->p_value = p_of(d, en);
	/* exact on both sides: the bracket is the p-value itself (each
	 * p-value can cost a millisecond for large en) */
	out->p_at_lower = bound > 0 ? p_of(clamp01(d - bound), en) : out->p_value;
	out->p_at_upper = bound > 0 ? p_of(clamp01(d + bound), en) : out->p_value;
	return KPG_OK;
}

int ks_weighted_distance(const double *ref, const double *ref_w, size_t n,
			 const double *cur, const double *cur_w, size_t m, double *d,
			 kpg_err *err)
{
	double ref_total = 0, cur_total = 0;

	if (!d) {
		kpg_err_set(err, "ks: no result");
		return KPG_EINVAL;
	}
	return weighted_walk(ref, ref_w, n, &ref_total, cur, cur_w, m, &cur_total, d, err);
}

int ks_weighted_sorted(const double *ref, const double *ref_w, size_t n,
		       double weight_total, double rank_error,
		       const double *cur, size_t m, ks_weighted_result *out,
		       kpg_err *err)
{
	return ks_weighted_both_sorted(ref, ref_w, n, weight_total, rank_error,
				       cur, NULL, m, (double)m, 0, out, err);
}
