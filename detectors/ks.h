/* ks.h - two-sample Kolmogorov-Smirnov test, matching
 * scipy.stats.ks_2samp(a, b, alternative='two-sided', method='auto'):
 * exact p-value when max(n, m) <= 10000, otherwise the finite-n kstwo
 * asymptotic distribution with en = round_half_even(n*m/(n+m)).
 * Agreement targets: statistic within 1e-12, p-value within 1e-8 relative. */
#ifndef KS_H
#define KS_H

#include <stddef.h>

#include "kpg_error.h"

typedef struct ks_result {
	double statistic; /* sup |F_a - F_b| */
	double p_value;   /* two-sided */
	int exact;        /* 1 when the exact lattice-path p-value was used */
} ks_result;

/* Two-sample test on data already sorted ascending (NaN-free; the caller
 * filters NaN). Neither array is modified. n and m must be >= 1. */
int ks_2samp_sorted(const double *a, size_t n, const double *b, size_t m,
		    ks_result *out, kpg_err *err);

/* Survival function of the one-sample KS statistic D_n (scipy.stats.kstwo.sf),
 * Simard & L'Ecuyer (2011). */
double ks_kstwo_sf(double d, double n);

#endif
