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
	int fallback;     /* 1 when the exact computation failed (overflow or a
			   * value outside [0,1]) and the asymptotic p-value
			   * was used instead; scipy emits a RuntimeWarning */
} ks_result;

/* Samples up to this size (both) get the exact p-value (scipy's MAX_AUTO_N). */
#define KS_MAX_EXACT_N 10000

/* Two-sample test on data already sorted ascending (NaN-free; the caller
 * filters NaN). Neither array is modified (both are borrowed for the call).
 * n and m must be >= 1. Returns KPG_EINVAL for a NULL pointer, an empty
 * sample, a NaN or unsorted input; KPG_ETOOBIG above 2^31-1 values;
 * KPG_ENOMEM if the exact method's n+2 doubles cannot be allocated. When the exact p-value is used the
 * statistic is scipy's lattice-rounded value round(D*lcm)/lcm. */
int ks_2samp_sorted(const double *a, size_t n, const double *b, size_t m,
		    ks_result *out, kpg_err *err);

/* How the p-value is computed: KS_METHOD_AUTO as above (scipy's default
 * method='auto'), KS_METHOD_ASYMP always the kstwo asymptotic one (scipy's
 * method='asymp'): O(1) instead of O(n * m * D) for the exact count, which
 * dominates the cost of small windows against references of a few
 * thousand rows. */
typedef enum ks_method {
	KS_METHOD_AUTO = 0,
	KS_METHOD_ASYMP
} ks_method;

int ks_2samp_sorted_method(const double *a, size_t n, const double *b,
			   size_t m, ks_method method, ks_result *out,
			   kpg_err *err);

/* D as the exact method reports it: on the lattice of n and m,
 * round(D * lcm) / lcm (scipy's rounding before the path count). */
double ks_lattice_statistic(double d, size_t n, size_t m);

/* ks_2samp_sorted_method with the walk's statistic already known
 * (ks_walk_statistic(a, n, b, m), computed once for several users of it):
 * walk_d >= 0 is taken as that value, walk_d < 0 computes it. */
int ks_2samp_sorted_given(const double *a, size_t n, const double *b, size_t m,
			  double walk_d, ks_method method, ks_result *out, kpg_err *err);

/* Survival function of the one-sample KS statistic D_n (scipy.stats.kstwo.sf),
 * Simard & L'Ecuyer (2011). n must be an integer >= 1, otherwise NaN
 * (as scipy); d <= 0.5/n gives 1 and d >= 1 gives 0. */
double ks_kstwo_sf(double d, double n);

#endif
