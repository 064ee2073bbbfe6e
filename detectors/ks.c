/* ks.c - two-sample Kolmogorov-Smirnov test, scipy.stats.ks_2samp
 * (two-sided, method 'auto') of scipy 1.10.
 *
 * Statistic: both empirical CDFs are evaluated at every pooled value with
 * searchsorted(side='right') semantics, so ties count fully on both sides;
 * D = max(max(F_a - F_b), clip(-min(F_a - F_b), 0, 1)).
 *
 * p-value: exact when max(n, m) <= KS_MAX_EXACT_N, by counting lattice paths
 * from (0,0) to (n,m) (Hodges 1958): for n == m the closed reflection sum,
 * otherwise the "inside" recursion of Viehmann (2021) that carries the
 * probability of having left the band |x/n - y/m| < h/lcm directly, so no
 * binomial coefficient is ever formed. Otherwise (or if the exact value is
 * not a probability) kstwo.sf(D, round_half_even(n*m/(n+m))). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "ks.h"
#include "ks_walk.h"

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* floor(a / b) and ceil(a / b) for b > 0 and any sign of a */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a > 0) ? q + 1 : q;
}

/* Pr(D_{n,n} >= h/n) = 2 * sum_k (-1)^(k-1) C(2n, n-kh)/C(2n, n), each ratio
 * a product of h factors, nested Horner-like to avoid cancellation. */
static double prob_outside_square(int64_t n, int64_t h)
{
	double P = 0.0;
	int64_t k, j;

	for (k = n / h; k >= 0; k--) {
		double p1 = 1.0;

		for (j = 0; j < h; j++)
			p1 = (double)(n - k * h - j) * p1 /
			     (double)(n + k * h + j + 1);
		P = p1 * (1.0 - P);
	}
	return 2 * P;
}

/* Proportion of lattice paths (0,0)->(m,n) that touch |x/m - y/n| >= h/lcm.
 * A[] holds one column (a sliding window of rows minj..maxj-1) of the
 * probability that a path to that cell has already left the band; rows
 * outside the window count as having left (1). buf has n + 2 slots. */
static double prob_outside_inside(int64_t m, int64_t n, int64_t g, int64_t h,
				  double *A, double *inv)
{
	int64_t mg, ng, minj, maxj, curlen, i, jj, t;

	if (m < n) {
		t = m;
		m = n;
		n = t;
	}
	mg = m / g;
	ng = n / g;
	minj = 0;
	maxj = ceil_div(h, mg);
	if (maxj > n + 1)
		maxj = n + 1;
	curlen = maxj - minj;
	inv[0] = 0.0;
	for (t = 1; t < m + n + 2; t++)
		inv[t] = 1.0 / (double)t;
	for (t = 0; t < n + 2; t++)
		A[t] = t < maxj ? 0.0 : 1.0;
	for (i = 1; i <= m; i++) {
		int64_t lastminj = minj, lastlen = curlen;
		double val;

		minj = floor_div(ng * i - h, mg) + 1;
		if (minj < 0)
			minj = 0;
		if (minj > n)
			minj = n;
		maxj = ceil_div(ng * i + h, mg);
		if (maxj > n + 1)
			maxj = n + 1;
		if (maxj <= minj)
			return 1.0;
		val = minj == 0 ? 0.0 : 1.0;
		{
			const double di = (double)i;
			const double *src = A + (minj - lastminj);
			const double *rcp = inv + i + minj;
			double dj = (double)minj;
			int64_t len = maxj - minj;

			for (jj = 0; jj < len; jj++) {
				val = (src[jj] * di + val * dj) * rcp[jj];
				A[jj] = val;
				dj += 1.0;
			}
		}
		curlen = maxj - minj;
		for (t = curlen; t < lastlen; t++)
			A[t] = 1.0;
	}
	return A[maxj - minj - 1];
}

/* Exact p-value; returns 0 and sets *p, or -1 when the computation does not
 * give a probability (scipy then falls back to the asymptotic one). *d is
 * replaced by the lattice value h/lcm, as scipy does. */
double ks_lattice_statistic(double d, size_t n, size_t m)
{
	int64_t g = gcd64((int64_t)n, (int64_t)m);
	int64_t lcm = ((int64_t)n / g) * (int64_t)m;

	return (double)(int64_t)rint(d * (double)lcm) / (double)lcm;
}

static int attempt_exact(int64_t n1, int64_t n2, int64_t g, double *d,
			 double *p, double *work)
{
	int64_t lcm = (n1 / g) * n2;
	int64_t h = (int64_t)rint(*d * (double)lcm);
	double prob;

	*d = (double)h / (double)lcm;
	if (h == 0) {
		*p = 1.0;
		return 0;
	}
	if (n1 == n2)
		prob = prob_outside_square(n1, h);
	else
		prob = prob_outside_inside(n1, n2, g, h, work,
					   work + (n1 > n2 ? n1 : n2) + 2);
	*p = prob;
	if (!isfinite(prob) || !(prob >= 0.0 && prob <= 1.0))
		return -1;
	return 0;
}

static int check_sample(const double *x, size_t n, const char *name,
			kpg_err *err)
{
	size_t i;

	if (!x || n == 0) {
		kpg_err_set(err, "ks: sample %s is empty", name);
		return KPG_EINVAL;
	}
	if (n > (size_t)INT32_MAX) {
		kpg_err_set(err, "ks: sample %s has %zu values, more than %d",
			    name, n, INT32_MAX);
		return KPG_ETOOBIG;
	}
	for (i = 0; i < n; i++) {
		if (isnan(x[i])) {
			kpg_err_set(err, "ks: sample %s has NaN at index %zu",
				    name, i);
			return KPG_EINVAL;
		}
		if (i > 0 && x[i] < x[i - 1]) {
			kpg_err_set(err, "ks: sample %s is not sorted at index %zu",
				    name, i);
			return KPG_EINVAL;
		}
	}
	return KPG_OK;
}

int ks_2samp_sorted(const double *a, size_t n, const double *b, size_t m,
		    ks_result *out, kpg_err *err)
{
	return ks_2samp_sorted_method(a, n, b, m, KS_METHOD_AUTO, out, err);
}

int ks_2samp_sorted_method(const double *a, size_t n, const double *b,
			   size_t m, ks_method method, ks_result *out,
			   kpg_err *err)
{
	return ks_2samp_sorted_given(a, n, b, m, -1, method, out, err);
}

int ks_2samp_sorted_given(const double *a, size_t n, const double *b, size_t m,
			  double walk_d, ks_method method, ks_result *out, kpg_err *err)
{
	double dn = (double)n, dm = (double)m;
	double d, p, big, small, en, *work = NULL;
	int rc;

	if (!out) {
		kpg_err_set(err, "ks: no result struct");
		return KPG_EINVAL;
	}
	if ((rc = check_sample(a, n, "a", err)) != 0 ||
	    (rc = check_sample(b, m, "b", err)) != 0)
		return rc;

	/* the walk over the distinct pooled values, galloping (ks_walk.h) */
	d = walk_d >= 0 ? walk_d : ks_walk_statistic(a, n, b, m);

	out->exact = 0;
	out->fallback = 0;
	p = NAN;
	if (method == KS_METHOD_AUTO && (n > m ? n : m) <= KS_MAX_EXACT_N) {
		int64_t g = gcd64((int64_t)n, (int64_t)m);

		/* one column of the recursion, then 1/k for k < n + m + 2 */
		work = malloc(sizeof(double) * ((n > m ? n : m) + 2 + n + m + 2));
		if (!work) {
			kpg_err_set(err, "ks: out of memory for the exact p-value");
			rc = KPG_ENOMEM;
			goto done;
		}
		if (attempt_exact((int64_t)n, (int64_t)m, g, &d, &p, work) == 0)
			out->exact = 1;
		else
			out->fallback = 1;
	}
	if (!out->exact) {
		big = dn > dm ? dn : dm;
		small = dn > dm ? dm : dn;
		en = big * small / (big + small);
		p = ks_kstwo_sf(d, rint(en));
	}
	if (!isnan(p))
		p = p < 0 ? 0 : (p > 1 ? 1 : p);
	out->statistic = d;
	out->p_value = p;
	rc = KPG_OK;
done:
	free(work);
	return rc;
}
