/* divergence.c - Jensen-Shannon and Hellinger distances between two count
 * vectors over the same bins. Definitions in divergence.h.
 *
 * Jensen-Shannon follows scipy.spatial.distance.jensenshannon (scipy 1.10)
 * step by step: p and q divided by their sums, m = (p + q) / 2, the two
 * rel_entr sums (a term with p_i = 0 is 0; m_i > 0 wherever p_i > 0, so no
 * term is infinite), divided by ln(base), then sqrt(js / 2). The sum of the
 * two relative entropies is >= 0 in exact arithmetic; rounding can leave
 * -1e-17 for near-identical inputs, where scipy returns NaN and we return 0. */
#include <math.h>

#include "divergence.h"

/* Checks one count vector and returns its total in *tot. */
static int check_counts(const double *c, size_t k, const char *name,
			double *tot, kpg_err *err)
{
	double s = 0.0;
	size_t i;

	for (i = 0; i < k; i++) {
		if (!(c[i] >= 0.0) || isinf(c[i])) {
			kpg_err_set(err, "divergence: %s count %zu is %g; counts must "
					 "be finite and >= 0",
				    name, i, c[i]);
			return KPG_EINVAL;
		}
		s += c[i];
	}
	if (!(s > 0.0) || isinf(s)) {
		kpg_err_set(err, "divergence: %s counts sum to %g; the total must "
				 "be finite and > 0",
			    name, s);
		return KPG_EINVAL;
	}
	*tot = s;
	return KPG_OK;
}

static int check_pair(const double *p, const double *q, size_t k,
		      const double *out, double *tp, double *tq, kpg_err *err)
{
	int rc;

	if (!p || !q || !out || k == 0) {
		kpg_err_set(err, "divergence: no counts (k = %zu)", k);
		return KPG_EINVAL;
	}
	if ((rc = check_counts(p, k, "reference", tp, err)) != 0 ||
	    (rc = check_counts(q, k, "current", tq, err)) != 0)
		return rc;
	return KPG_OK;
}

/* x * ln(x / y), scipy.special.rel_entr for x >= 0, y > 0 where x > 0 */
static double rel_entr(double x, double y)
{
	return x > 0.0 ? x * log(x / y) : 0.0;
}

int divergence_js(const double *p, const double *q, size_t k, double base,
		  double *out, kpg_err *err)
{
	double tp, tq, left = 0.0, right = 0.0, js;
	size_t i;
	int rc;

	if ((rc = check_pair(p, q, k, out, &tp, &tq, err)) != 0)
		return rc;
	/* below 1 the logarithm is negative and so is js: no real distance */
	if (!(base > 1.0) || isinf(base)) {
		kpg_err_set(err, "divergence: logarithm base %g; it must be finite "
				 "and > 1",
			    base);
		return KPG_EINVAL;
	}
	for (i = 0; i < k; i++) {
		double pi = p[i] / tp, qi = q[i] / tq, mi = (pi + qi) / 2.0;

		left += rel_entr(pi, mi);
		right += rel_entr(qi, mi);
	}
	js = (left + right) / log(base);
	*out = js > 0.0 ? sqrt(js / 2.0) : 0.0;
	return KPG_OK;
}

int divergence_hellinger(const double *p, const double *q, size_t k,
			 double *out, kpg_err *err)
{
	double tp, tq, s = 0.0;
	size_t i;
	int rc;

	if ((rc = check_pair(p, q, k, out, &tp, &tq, err)) != 0)
		return rc;
	for (i = 0; i < k; i++) {
		double d = sqrt(p[i] / tp) - sqrt(q[i] / tq);

		s += d * d;
	}
	/* <= 1 in exact arithmetic (1 - sum sqrt(p q) is in [0, 1]) */
	*out = fmin(1.0, sqrt(s) / sqrt(2.0));
	return KPG_OK;
}
