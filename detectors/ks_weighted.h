/* ks_weighted.h - two-sample KS of a current sample against a weighted
 * reference (a sketch's items with their weights), with the reference's
 * rank error carried into the verdict.
 *
 * D = sup_x |F_ref(x) - F_cur(x)|, both CDFs right-continuous (ties count
 * fully, as in ks.c), F_ref the running weight over the weights' sum and
 * F_cur the current sample's ECDF, evaluated at every value of either.
 * p-value: ks_kstwo_sf(D, en), en = round-half-even(N m / (N + m)) with N
 * = weight_total (the count the reference describes) and m the current
 * sample's size: ks.c's asymptotic branch, as if the reference were N exact
 * values. With every weight 1, weight_total = n and rank_error = 0 the
 * result is ks_2samp_sorted_method(ref, n, cur, m, KS_METHOD_ASYMP)'s, bit
 * for bit.
 *
 * A sketch's CDF is off by at most rank_error (a share of weight_total)
 * anywhere, so the true D lies in [D - rank_error, D + rank_error]:
 * p_at_upper (the p-value at D + rank_error, the smaller) and p_at_lower
 * (at D - rank_error) bracket the p-value, and a verdict is approximate
 * when the threshold falls between them. */
#ifndef KS_WEIGHTED_H
#define KS_WEIGHTED_H

#include <stddef.h>

#include "kpg_error.h"

typedef struct ks_weighted_result {
	double statistic;  /* D */
	double p_value;    /* at D */
	double p_at_lower; /* at max(D - rank_error, 0): the larger */
	double p_at_upper; /* at min(D + rank_error, 1): the smaller */
	double en;         /* the effective size the p-values used */
} ks_weighted_result;

/* ref: n >= 1 values ascending, NaN-free, with weights ref_w (finite, > 0;
 * NULL = 1 each); weight_total >= 1 (the reference's count; 0 = the
 * weights' sum); rank_error in [0, 1]. cur: m >= 1 values ascending,
 * NaN-free. All borrowed for the call. KPG_EINVAL for bad input. */
int ks_weighted_sorted(const double *ref, const double *ref_w, size_t n,
		       double weight_total, double rank_error,
		       const double *cur, size_t m, ks_weighted_result *out,
		       kpg_err *err);

/* Both samples weighted (a window kept as a sketch against a reference
 * kept as one): D between the two weighted CDFs, the p-value with
 * en = round-half-even(N M / (N + M)) for the totals N = ref_total and M =
 * cur_total (0: the weights' sums), and the bracket at D -/+ (ref_error +
 * cur_error). cur_w NULL: each current value weighs 1. With cur_w NULL,
 * cur_total m and cur_error 0 it is ks_weighted_sorted. */
int ks_weighted_both_sorted(const double *ref, const double *ref_w, size_t n,
			    double ref_total, double ref_error,
			    const double *cur, const double *cur_w, size_t m,
			    double cur_total, double cur_error,
			    ks_weighted_result *out, kpg_err *err);

/* D alone, as ks_weighted_both_sorted computes it (its statistic, bit for
 * bit), with no p-value: for a distance compared with a threshold (the
 * data-quality baseline-drift check). Same inputs and errors. */
int ks_weighted_distance(const double *ref, const double *ref_w, size_t n,
			 const double *cur, const double *cur_w, size_t m, double *d,
			 kpg_err *err);

#endif
