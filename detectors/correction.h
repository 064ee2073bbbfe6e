/* correction.h - multiple-testing correction across the p-value tests of
 * one window (every KS and chi-square p-value of every feature).
 *
 * bonferroni: p_adj = min(1, n * p).
 * benjamini_hochberg (false discovery rate): with p sorted ascending,
 * p_adj(i) = min over j >= i of min(1, n * p(j) / j) -- the adjusted
 * p-values of statsmodels' multipletests(method="fdr_bh") and
 * scipy.stats.false_discovery_control(method="bh"). A test rejects when
 * p_adj < alpha, which is the BH step-up procedure at level alpha.
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

/* adj[i] is the adjusted p[i] (adj may be p). p values in [0, 1]; n may be
 * 0. KPG_EINVAL for a p outside [0, 1] or NaN; KPG_ENOMEM for the sort's
 * n-element index buffer (benjamini_hochberg only). */
int correction_adjust(correction_method method, const double *p, size_t n,
		      double *adj, kpg_err *err);

#endif
