/* correction.h - multiple-testing correction across the p-value tests of
 * one window (every KS and chi-square p-value of every feature).
 *
 * bonferroni: p_adj = min(1, n * p).
 * benjamini_hochberg (false discovery rate): with p sorted ascending,
 * p_adj(i) = min over j >= i of min(1, n * p(j) / j) -- the adjusted
 * p-values of statsmodels' multipletests(method="fdr_bh") and
 * scipy.stats.false_discovery_control(method="bh") (scipy >= 1.11). A
 * test rejects when p_adj < alpha. The BH step-up procedure at level alpha
 * (reject the i smallest, i the largest with p(i) <= i alpha / n) is
 * p_adj <= alpha; the two differ only when some p_adj equals alpha exactly.
 * BH controls the false discovery rate for independent or positively
 * dependent tests (Benjamini & Yekutieli 2001), which the KS and chi-square
 * tests of correlated features of one window need not be.
 * none: p_adj = p. */
#ifndef CORRECTION_H
#define CORRECTION_H

#include <stddef.h>

#include "kpg_error.h"

typedef enum correction_method {
	CORRECTION_NONE = 0,
	CORRECTION_BONFERRONI,
	CORRECTION_BENJAMINI_HOCHBERG
} correction_method;

/* "none", "bonferroni", "benjamini_hochberg" by enum; NULL-terminated. */
extern const char *const correction_method_names[];

/* adj[i] is the adjusted p[i] (adj may be p; p is borrowed for the call).
 * p values in [0, 1]; n may be 0 (then p and adj may be NULL). KPG_EINVAL
 * for a p outside [0, 1] or NaN (nothing is written then) or an unknown
 * method; KPG_ENOMEM for the sort's n-element index buffer
 * (benjamini_hochberg only). */
int correction_adjust(correction_method method, const double *p, size_t n,
		      double *adj, kpg_err *err);

#endif
