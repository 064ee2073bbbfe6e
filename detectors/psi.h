/* psi.h - Population Stability Index.
 *
 * Numeric features: bin edges are the reference's empirical quantiles at
 * k/B, k = 1..B-1 (numpy's default linear interpolation), duplicate edges
 * removed; the outer bins are open to +-inf; a value v falls in bin
 * i = number of edges strictly less than v. Proportions of 0 are replaced
 * by 1e-4 (no renormalisation); PSI = sum (p_cur - p_ref) * ln(p_cur / p_ref).
 *
 * Categorical features: the bins are the reference categories plus one
 * "unseen" bin; proportions and the sum are the same. */
#ifndef PSI_H
#define PSI_H

#include <stddef.h>

#include "kpg_error.h"

#define PSI_DEFAULT_BINS 10
#define PSI_MAX_BINS 1000
#define PSI_EPSILON 1e-4

typedef struct psi_ref {
	double *edges;    /* n_bins - 1 ascending, distinct; owned */
	double *ref_prop; /* n_bins reference proportions (before 1e-4 floor); owned */
	size_t n_bins;
} psi_ref;

/* Builds numeric bins from reference values sorted ascending (NaN-free,
 * n >= 1) with `bins` quantile bins (2..PSI_MAX_BINS). Caller frees with
 * psi_ref_free. */
int psi_ref_build(psi_ref *ref, const double *sorted, size_t n, unsigned bins,
		  kpg_err *err);

/* For builders of reference bins (psi_ref_build, psi_weighted.c). Checks a
 * reference sample: ref non-NULL (emptied), n >= 1 values ascending and
 * NaN-free, weights NULL or each finite and > 0, bins 2..PSI_MAX_BINS.
 * KPG_EINVAL with a message otherwise. */
int psi_ref_check(psi_ref *ref, const double *sorted, const double *weights,
		  size_t n, unsigned bins, kpg_err *err);
/* Fills ref from bins - 1 quantile edges (malloc'd; ownership moves to
 * ref, or they are freed on failure): sorted and de-duplicated as
 * numpy.unique, then each bin's share of the values (weights NULL: counts
 * / n, exact) or of the weight. KPG_ENOMEM. */
int psi_ref_finish(psi_ref *ref, double *edges, unsigned bins,
		   const double *sorted, const double *weights, size_t n,
		   kpg_err *err);

/* PSI of current values (any order, NaN-free, m >= 1) against ref. */
int psi_numeric(const psi_ref *ref, const double *cur, size_t m, double *psi,
		kpg_err *err);

/* Counts of the current values (any order, NaN-free, m >= 1) per bin of
 * ref, by psi_numeric's rule: counts[ref->n_bins], caller-owned, filled
 * (integers stored as doubles). For the distances of divergence.h over the
 * PSI bins; the reference's counts per bin are ref->ref_prop[i] * n. */
int psi_bin_counts(const psi_ref *ref, const double *cur, size_t m,
		   double *counts, kpg_err *err);
/* psi_bin_counts for a weighted current sample (a window kept as a sketch,
 * kll.h's kll_view): value cur[i] stands for cur_w[i] values, so its bin
 * gets cur_w[i] instead of 1, and counts[] holds weight sums. cur_w NULL
 * is 1 each (psi_bin_counts, bit for bit). Weights are multiplicities:
 * finite and >= 0 (0 = absent); KPG_EINVAL with the index otherwise. A
 * total weight of 0 is not checked here: the caller's distance needs a
 * positive total (divergence.h refuses an all-zero row). cur and cur_w are
 * borrowed for the call. */
int psi_bin_counts_weighted(const psi_ref *ref, const double *cur,
			    const double *cur_w, size_t m, double *counts,
			    kpg_err *err);

/* psi_numeric and psi_bin_counts_weighted for a current sample already
 * sorted ascending and NaN-free, which is not checked (a window's sample
 * is, by construction: window_column_sample): each bin is one run of
 * indices found by binary search, so the cost is O(bins log m) instead of
 * O(m log bins), and the results are those functions', bit for bit (a
 * weighted bin sums its weights in index order, as they do). Weights, if
 * any, are trusted too (a kll_view's). */
int psi_numeric_sorted(const psi_ref *ref, const double *cur, size_t m, double *psi,
		       kpg_err *err);
int psi_bin_counts_sorted(const psi_ref *ref, const double *cur, const double *cur_w,
			  size_t m, double *counts, kpg_err *err);

/* PSI from two count vectors of equal length k (categorical features:
 * category counts, last slot "unseen"). Both totals must be > 0. */
int psi_from_counts(const double *ref_counts, const double *cur_counts,
		    size_t k, double *psi, kpg_err *err);

/* numpy.quantile(sorted, q) with the default 'linear' method, bit for bit
 * where possible (numpy's lerp form). */
double psi_quantile_sorted(const double *sorted, size_t n, double q);

void psi_ref_free(psi_ref *ref);

#endif
