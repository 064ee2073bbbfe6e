/* psi_evidently.h - Population Stability Index computed the way Evidently
 * computes it (psi_stat_test, "psi"), for users who compare kpigate's
 * numbers with an Evidently report. The version reproduced is the
 * evidently.legacy.calculations.stattests code of Evidently 0.7 (psi.py and
 * utils.get_binned_data; the same code as evidently.calculations.stattests
 * before the 0.7 move). It differs from psi.h's PSI in three ways:
 *
 * 1. Bins. A numeric feature whose reference has more than 20 distinct
 *    values gets equal-width bins over [min, max] of reference and current
 *    together: numpy.histogram_bin_edges(concat(ref, cur), bins="sturges"),
 *    i.e. ceil(ptp / (ptp / (log2(n + m) + 1))) bins, and counts by
 *    numpy.histogram (each bin [e_i, e_i+1), the last one closed). Evidently's
 *    psi takes n_bins = 30 but never passes it on (its issue #1400): the bins
 *    are always Sturges'. A reference with 20 or fewer distinct values is
 *    treated as categorical, the categories being the union of the distinct
 *    values of both samples.
 * 2. Zero proportions. In each row separately, a proportion of 0 becomes
 *    min_nonzero / 10^6 when that row's smallest non-zero proportion is
 *    <= 1e-4, else 1e-4 (Evidently's feel_zeroes). Older Evidently (0.1,
 *    evidently.analyzers) used 1e-4 always and reference-quantile bins.
 * 3. Categories are the union of both samples' categories (no "unseen"
 *    slot): a category only the current window has counts fully.
 *
 * PSI = sum (r_i - c_i) * ln(r_i / c_i); Evidently flags drift when
 * PSI >= 0.1 (its default threshold). */
#ifndef PSI_EVIDENTLY_H
#define PSI_EVIDENTLY_H

#include <stddef.h>

#include "kpg_error.h"

#define PSI_EVIDENTLY_STURGES 0         /* bins: Sturges' rule, as Evidently */
#define PSI_EVIDENTLY_MAX_BINS 1000     /* an explicit bin count, 1..this */
#define PSI_EVIDENTLY_MAX_CATEGORIES 20 /* distinct reference values up to
					 * this: categorical */
#define PSI_EVIDENTLY_THRESHOLD 0.1

/* Numeric feature. ref_sorted: n >= 1 finite values ascending, with weights
 * ref_weights (NULL = 1 each; finite, >= 0, total > 0; a weight is a
 * multiplicity: a value of weight 0 is absent, and Sturges' count is
 * total weight + m). cur_sorted: m >= 1 finite values ascending. bins:
 * PSI_EVIDENTLY_STURGES for Evidently's bins, or 1..PSI_EVIDENTLY_MAX_BINS
 * equal-width bins (what n_bins would do if Evidently honoured it:
 * histogram_bin_edges(..., bins=n)). Both arrays are borrowed for the call.
 * KPG_EINVAL for bad input, KPG_ENOMEM when the categorical path's
 * (n + m)-slot buffers or the bins cannot be had. */
int psi_evidently_numeric(const double *ref_sorted, const double *ref_weights,
			  size_t n, const double *cur_sorted, size_t m,
			  unsigned bins, double *out, kpg_err *err);

/* The two samples over Evidently's bins (as psi_evidently_numeric takes
 * them): the union of distinct values when the reference has at most 20
 * (categorical), else the equal-width bins. So JS and Hellinger can use
 * Evidently's bins too. */
typedef struct psi_evidently_hist {
	double *ref, *cur; /* owned, k each */
	size_t k;
	double ref_total, cur_total;
	int categorical; /* 1: the union of distinct values */
} psi_evidently_hist;

/* Fills out (caller frees with psi_evidently_hist_free; on failure it is
 * empty). Input and errors as psi_evidently_numeric. */
int psi_evidently_bins(const double *ref_sorted, const double *ref_weights,
		       size_t n, const double *cur_sorted, size_t m,
		       unsigned bins, psi_evidently_hist *out, kpg_err *err);
/* psi_evidently_bins with a weighted current sample too (a window kept as
 * a sketch, kll.h's kll_view): cur_sorted[i] stands for cur_weights[i]
 * values. cur_weights NULL = 1 each (psi_evidently_bins, bit for bit);
 * otherwise as ref_weights: finite, >= 0, total > 0, a multiplicity (a
 * current value of weight 0 is absent: not a category, not in the span).
 * The categorical path counts the union with both weights; Sturges' count
 * is ref total weight + cur total weight; each histogram bin holds the
 * weight of its values; cur_total is the current total weight. Integer
 * weights give exactly the hist of the sample with each value repeated
 * its weight's times. */
int psi_evidently_bins_weighted(const double *ref_sorted,
				const double *ref_weights, size_t n,
				const double *cur_sorted,
				const double *cur_weights, size_t m,
				unsigned bins, psi_evidently_hist *out,
				kpg_err *err);
/* Evidently's PSI over the bins. */
double psi_evidently_hist_psi(const psi_evidently_hist *h);
void psi_evidently_hist_free(psi_evidently_hist *h);

/* Categorical feature: counts of the same k categories, aligned by the
 * caller over the union of both samples' categories (any non-negative
 * finite reals, each total > 0). A category with 0 in both rows is not in
 * that union and is skipped. KPG_EINVAL for bad input. */
int psi_evidently_counts(const double *ref_counts, const double *cur_counts,
			 size_t k, double *out, kpg_err *err);

#endif
