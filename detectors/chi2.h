/* chi2.h - chi-square test of homogeneity for a categorical feature: the
 * 2 x k contingency table [reference counts; current counts], as
 * scipy.stats.chi2_contingency(table, correction=True) computes it, after
 * dropping every category whose two counts are both zero (scipy would
 * refuse the table: an expected frequency of zero). With one degree of
 * freedom (two categories left) Yates' continuity correction is applied,
 * as scipy does by default. The effect size beside the p-value is Cramer's
 * V of the uncorrected statistic, sqrt(chi2 / N) for two rows
 * (scipy.stats.contingency.association(table, method="cramer")). */
#ifndef CHI2_H
#define CHI2_H

#include <stddef.h>

#include "kpg_error.h"

typedef struct chi2_result {
	double statistic; /* Yates-corrected when dof == 1 */
	double p_value;   /* chi2.sf(statistic, dof) */
	double cramers_v; /* of the uncorrected statistic; 0..1 */
	unsigned dof;     /* categories kept - 1; 0 when fewer than two kept */
	int yates;        /* 1 when the correction was applied */
	size_t kept;      /* categories with a non-zero count in either row */
} chi2_result;

/* ref_counts and cur_counts: k non-negative finite counts each (any real
 * weights: a sketch's counts need not be integers), borrowed for the call.
 * Both totals must be > 0. The p-value is GSL's chi-square upper tail
 * (the regularised incomplete gamma function Q(dof / 2, chi2 / 2)). Fewer than two categories kept: statistic 0, p 1, V 0, dof 0 (the
 * two samples cannot differ). KPG_EINVAL for NULL, k == 0, a negative or
 * non-finite count or an empty row. */
int chi2_homogeneity(const double *ref_counts, const double *cur_counts,
		     size_t k, chi2_result *out, kpg_err *err);

#endif
