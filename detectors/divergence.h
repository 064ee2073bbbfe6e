/* divergence.h - distances between two histograms over the same bins
 * (numeric features: the PSI bins; categorical: the categories plus the
 * "unseen" slot). Each count vector is normalised to proportions first.
 *
 * Jensen-Shannon distance, as scipy.spatial.distance.jensenshannon(p, q,
 * base) of scipy 1.10: sqrt((KL(p||m) + KL(q||m)) / 2), m = (p + q) / 2,
 * logarithms in `base`. kpigate uses base 2 (DIVERGENCE_JS_BASE), which bounds the
 * distance to [0, 1]; scipy's default is e (bounded by sqrt(ln 2)).
 *
 * Hellinger distance: sqrt(sum (sqrt(p_i) - sqrt(q_i))^2) / sqrt(2), in
 * [0, 1] (as Evidently's and NannyML's hellinger). */
#ifndef DIVERGENCE_H
#define DIVERGENCE_H

#include <stddef.h>

#include "kpg_error.h"

#define DIVERGENCE_JS_BASE 2.0

/* p and q: k non-negative finite counts, each total > 0 and finite (both
 * borrowed for the call); base finite and > 1 (below 1 the logarithm is
 * negative, the divergence too, and scipy returns NaN). KPG_EINVAL
 * otherwise. Near-identical inputs can leave a sum of -1e-17 from rounding,
 * where scipy's sqrt gives NaN: the distance is then 0. */
int divergence_js(const double *p, const double *q, size_t k, double base,
		  double *out, kpg_err *err);
int divergence_hellinger(const double *p, const double *q, size_t k,
			 double *out, kpg_err *err);

#endif
