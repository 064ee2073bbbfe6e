/* chi2.c - chi-square test of homogeneity on the 2 x k table
 * [reference counts; current counts], scipy.stats.chi2_contingency
 * (correction=True) of scipy 1.10, after dropping the categories whose two
 * counts are both zero.
 *
 * Expected counts are row total * column total / grand total. With one
 * degree of freedom each observed count is moved toward its expected count
 * by min(0.5, |observed - expected|) (Yates; the min keeps a cell that is
 * already within 0.5 of its expectation from overshooting, scipy gh-13875).
 * The p-value is the chi-square survival function with `dof` degrees of
 * freedom, computed as GSL's gsl_cdf_chisq_Q does (regularised incomplete
 * gamma, Q(dof/2, x/2), or 1 - P below the mean), but through the _e
 * functions so that a GSL error is a return code, never the handler.
 * Cramer's V is sqrt(chi2 / N) of the uncorrected statistic: for two rows
 * min(rows - 1, columns - 1) = 1. */
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>

#include "chi2.h"

/* chi2.sf(x, dof) for dof >= 1, x >= 0. */
static int chi2_sf(double x, unsigned dof, double *q, kpg_err *err)
{
	double a = dof / 2.0, y = x / 2.0;
	gsl_sf_result r;
	int st;

	if (x <= 0.0) {
		*q = 1.0;
		return KPG_OK;
	}
	if (isinf(x)) {
		*q = 0.0;
		return KPG_OK;
	}
	if (y < a) {
		st = gsl_sf_gamma_inc_P_e(a, y, &r);
		r.val = 1.0 - r.val;
	} else {
		st = gsl_sf_gamma_inc_Q_e(a, y, &r);
	}
	if (st == GSL_EUNDRFLW) {
		*q = 0.0;
		return KPG_OK;
	}
	if (st != GSL_SUCCESS || !isfinite(r.val)) {
		kpg_err_set(err, "chi2: p-value of %g with %u degrees of freedom: %s",
			    x, dof, gsl_strerror(st));
		return KPG_EINVAL;
	}
	*q = r.val < 0.0 ? 0.0 : (r.val > 1.0 ? 1.0 : r.val);
	return KPG_OK;
}

int chi2_homogeneity(const double *ref_counts, const double *cur_counts,
		     size_t k, chi2_result *out, kpg_err *err)
{
	double r1 = 0.0, r2 = 0.0, n, stat = 0.0, plain = 0.0;
	size_t j, kept = 0;
	int yates;

	if (!ref_counts || !cur_counts || !out || k == 0) {
		kpg_err_set(err, "chi2: no counts (k = %zu)", k);
		return KPG_EINVAL;
	}
	for (j = 0; j < k; j++) {
		if (!(ref_counts[j] >= 0.0) || !(cur_counts[j] >= 0.0) ||
		    isinf(ref_counts[j]) || isinf(cur_counts[j])) {
			kpg_err_set(err, "chi2: count of category %zu is negative or "
					 "not finite (%g, %g)",
				    j, ref_counts[j], cur_counts[j]);
			return KPG_EINVAL;
		}
		r1 += ref_counts[j];
		r2 += cur_counts[j];
		kept += ref_counts[j] > 0.0 || cur_counts[j] > 0.0;
	}
	if (!(r1 > 0.0) || !(r2 > 0.0)) {
		kpg_err_set(err, "chi2: the %s counts sum to zero",
			    r1 > 0.0 ? "current" : "reference");
		return KPG_EINVAL;
	}
	if (!isfinite(r1 + r2)) {
		kpg_err_set(err, "chi2: the counts sum to infinity");
		return KPG_EINVAL;
	}
	out->kept = kept;
	out->statistic = 0.0;
	out->p_value = 1.0;
	out->cramers_v = 0.0;
	out->dof = 0;
	out->yates = 0;
	if (kept < 2) /* one category: both rows are the same distribution */
		return KPG_OK;

	n = r1 + r2;
	yates = kept == 2;
	for (j = 0; j < k; j++) {
		double c = ref_counts[j] + cur_counts[j];
		double obs[2] = {ref_counts[j], cur_counts[j]};
		double row[2] = {r1, r2};
		int i;

		if (c == 0.0)
			continue; /* dropped: scipy refuses an expected 0 */
		for (i = 0; i < 2; i++) {
			double e = row[i] * c / n, d = e - obs[i], o = obs[i];

			plain += d * d / e;
			if (yates) {
				/* observed moved toward expected */
				double mag = fmin(0.5, fabs(d));

				o += d > 0 ? mag : (d < 0 ? -mag : 0.0);
			}
			stat += (o - e) * (o - e) / e;
		}
	}
	out->statistic = stat;
	out->dof = (unsigned)(kept - 1);
	out->yates = yates;
	out->cramers_v = sqrt(plain / n);
	if (out->cramers_v > 1.0) /* rounding only: V <= 1 for two rows */
		out->cramers_v = 1.0;
	return chi2_sf(stat, out->dof, &out->p_value, err);
}
