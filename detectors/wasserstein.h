/* wasserstein.h - first Wasserstein (earth mover's) distance between two
 * one-dimensional samples, as scipy.stats.wasserstein_distance(u, v,
 * u_weights, v_weights): the integral of |U(x) - V(x)| over x for the two
 * (weighted) empirical CDFs. Normalised, it is divided by the reference's
 * standard deviation (numpy.std, ddof=0; weighted with the reference's
 * weights), as Evidently's wasserstein drift test reports it: 0.1 means the
 * distributions are a tenth of a standard deviation apart. */
#ifndef WASSERSTEIN_H
#define WASSERSTEIN_H

#include <stddef.h>

#include "kpg_error.h"

typedef struct wasserstein_result {
	double distance;   /* in the feature's units */
	double ref_std;    /* reference standard deviation, ddof = 0 */
	double normalised; /* distance / ref_std; when ref_std == 0: 0 if
			    * distance == 0, else INFINITY */
} wasserstein_result;

/* u: the reference, n values sorted ascending with weights uw (NULL = 1
 * each); v: the current sample, m values sorted ascending with weights vw
 * (NULL = 1 each). Values finite (an infinite one makes scipy's answer NaN
 * or infinite), n, m >= 1, weights finite, >= 0, total > 0; KPG_EINVAL
 * otherwise. All four arrays are borrowed for the call; nothing is
 * allocated (one merge walk over the two sorted samples). ref_std is
 * exactly 0 when all reference values of positive weight are equal.
 * Evidently divides by max(std, 0.001) instead; kpigate keeps the
 * 0 / INFINITY rule above so a constant reference is visible as such. */
int wasserstein_sorted(const double *u, const double *uw, size_t n,
		       const double *v, const double *vw, size_t m,
		       wasserstein_result *out, kpg_err *err);

#endif
