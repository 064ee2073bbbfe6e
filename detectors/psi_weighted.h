/* psi_weighted.h - PSI bins of a weighted reference (a KLL sketch's items,
 * each standing for weights[i] values), to go with psi.h.
 *
 * Weighted quantile: numpy.quantile's 'linear' method on the sample in
 * which item i is repeated weights[i] times. With W the total weight and
 * C_i = weights[0] + ... + weights[i], virtual index j (0 <= j < W) is
 * held by the first item with C_i > j; the quantile at q is the lerp
 * (numpy's form) between the items holding floor((W - 1) q) and the next
 * index, by the fraction (W - 1) q - floor((W - 1) q). For whole-number
 * weights (a sketch's 2^h) this is exactly numpy.quantile of the expanded
 * sample; with every weight 1 it is psi_quantile_sorted, operation for
 * operation, so psi_ref_build_weighted gives psi_ref_build's edges and
 * proportions bit for bit (tests/test_detectors_psi_weighted.c).
 *
 * Edges and binning as psi.h: quantiles at k/B, duplicates removed, a value
 * in the bin numbered by the edges strictly below it; a bin's reference
 * proportion is its items' weight over W. */
#ifndef PSI_WEIGHTED_H
#define PSI_WEIGHTED_H

#include <stddef.h>

#include "kpg_error.h"
#include "psi.h"

/* sorted: n >= 1 values ascending, NaN-free; weights: n finite weights > 0,
 * or NULL for 1 each (borrowed for the call). bins 2..PSI_MAX_BINS. Fills
 * ref (caller frees with psi_ref_free); KPG_EINVAL for bad input,
 * KPG_ENOMEM. */
int psi_ref_build_weighted(psi_ref *ref, const double *sorted,
			   const double *weights, size_t n, unsigned bins,
			   kpg_err *err);

/* The weighted quantile above at q in [0, 1]; cum[i] = C_i (the running
 * sums of the weights, cum[n - 1] = W). NaN for empty input or q NaN. */
double psi_quantile_weighted(const double *sorted, const double *cum,
			     size_t n, double q);

#endif
