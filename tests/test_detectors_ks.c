/* test_detectors_ks.c - two-sample KS edge cases and the kstwo survival
 * function, checked against closed forms, brute-force enumeration of all
 * splits of the pooled sample, and properties (symmetry, monotonicity,
 * continuity across regime boundaries). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sort.h>

#include "ks.h"

static int rel_close(double got, double want, double tol)
{
	return fabs(got - want) <= tol * fabs(want);
}

static double *normal_sample(gsl_rng *rng, size_t n, double mu)
{
	double *x = malloc(sizeof(double) * n);
	size_t i;

	assert_non_null(x);
	for (i = 0; i < n; i++)
		x[i] = mu + gsl_ran_gaussian(rng, 1.0);
	gsl_sort(x, 1, n);
	return x;
}

/* D by definition: both ECDFs at every pooled point, quadratic time. */
static double brute_d(const double *a, size_t n, const double *b, size_t m)
{
	double d = 0;
	size_t i, j, k;

	for (k = 0; k < n + m; k++) {
		double v = k < n ? a[k] : b[k - n], fa = 0, fb = 0;

		for (i = 0; i < n; i++)
			fa += a[i] <= v;
		for (j = 0; j < m; j++)
			fb += b[j] <= v;
		d = fmax(d, fabs(fa / n - fb / m));
	}
	return d;
}

static void test_rejects_bad_input(void **state)
{
	const double ok[] = {1, 2, 3};
	const double unsorted[] = {1, 3, 2};
	const double withnan[] = {1, NAN, 3};
	ks_result r;
	kpg_err err;

	(void)state;
	assert_int_equal(ks_2samp_sorted(NULL, 3, ok, 3, &r, &err), KPG_EINVAL);
	assert_int_equal(ks_2samp_sorted(ok, 0, ok, 3, &r, &err), KPG_EINVAL);
	assert_int_equal(ks_2samp_sorted(ok, 3, ok, 0, &r, &err), KPG_EINVAL);
	assert_int_equal(ks_2samp_sorted(ok, 3, unsorted, 3, &r, &err),
			 KPG_EINVAL);
	assert_non_null(strstr(err.msg, "not sorted"));
	assert_int_equal(ks_2samp_sorted(withnan, 3, ok, 3, &r, &err),
			 KPG_EINVAL);
	assert_non_null(strstr(err.msg, "NaN"));
	assert_int_equal(ks_2samp_sorted(ok, 3, ok, 3, NULL, &err), KPG_EINVAL);
}

static void test_single_values(void **state)
{
	const double a[] = {1.0}, b[] = {2.0};
	ks_result r;
	kpg_err err;

	(void)state;
	/* n = m = 1: D is 0 or 1 and either outcome has probability 1 */
	assert_int_equal(ks_2samp_sorted(a, 1, b, 1, &r, &err), 0);
	assert_true(r.statistic == 1.0 && r.p_value == 1.0 && r.exact);
	assert_int_equal(ks_2samp_sorted(a, 1, a, 1, &r, &err), 0);
	assert_true(r.statistic == 0.0 && r.p_value == 1.0);
}

static void test_all_ties(void **state)
{
	double a[10], b[20];
	ks_result r;
	kpg_err err;
	size_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		a[i] = 5.0;
	for (i = 0; i < 20; i++)
		b[i] = 5.0;
	assert_int_equal(ks_2samp_sorted(a, 10, b, 20, &r, &err), 0);
	assert_true(r.statistic == 0.0 && r.p_value == 1.0);
	for (i = 0; i < 20; i++)
		b[i] = 6.0;
	/* all of a below all of b: the one most extreme split of 30 */
	assert_int_equal(ks_2samp_sorted(a, 10, b, 20, &r, &err), 0);
	assert_true(r.statistic == 1.0);
	assert_true(rel_close(r.p_value, 2.0 / gsl_sf_choose(30, 10), 1e-12));
}

static void test_identical_samples(void **state)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	double *a;
	ks_result r;
	kpg_err err;

	(void)state;
	gsl_rng_set(rng, 7);
	a = normal_sample(rng, 3000, 0);
	assert_int_equal(ks_2samp_sorted(a, 3000, a, 3000, &r, &err), 0);
	assert_true(r.statistic == 0.0 && r.p_value == 1.0 && r.exact);
	free(a);
	a = normal_sample(rng, 20000, 0);
	assert_int_equal(ks_2samp_sorted(a, 20000, a, 20000, &r, &err), 0);
	assert_true(r.statistic == 0.0 && r.p_value == 1.0 && !r.exact);
	free(a);
	gsl_rng_free(rng);
}

/* Disjoint samples: only the two extreme lattice paths reach D = 1, so
 * p = 2 / C(n+m, n), for both exact methods (n == m and n != m). */
static void test_disjoint_closed_form(void **state)
{
	static const unsigned sizes[][2] = {{5, 5}, {3, 7}, {10, 4}, {12, 12}, {1, 9}, {25, 40}};
	double a[64], b[64];
	size_t s, i;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		unsigned n = sizes[s][0], m = sizes[s][1];
		ks_result r;
		kpg_err err;

		for (i = 0; i < n; i++)
			a[i] = (double)i;
		for (i = 0; i < m; i++)
			b[i] = 100.0 + (double)i;
		assert_int_equal(ks_2samp_sorted(a, n, b, m, &r, &err), 0);
		assert_true(r.statistic == 1.0 && r.exact);
		assert_true(rel_close(r.p_value, 2.0 / gsl_sf_choose(n + m, n),
				      1e-12));
	}
}

/* Exact p-value = share of all C(n+m, n) splits of the pooled (distinct)
 * values whose D is at least the observed one. */
static void check_enumeration(const double *pool, unsigned n, unsigned m,
			      unsigned long obs_mask)
{
	double a[16], b[16], oa[16], ob[16], d_obs;
	unsigned long mask, total = 0, hits = 0;
	unsigned i, na, nb;
	ks_result r;
	kpg_err err;

	for (i = 0, na = nb = 0; i < n + m; i++) {
		if (obs_mask & (1UL << i))
			oa[na++] = pool[i];
		else
			ob[nb++] = pool[i];
	}
	assert_int_equal(na, n);
	d_obs = brute_d(oa, n, ob, m);
	for (mask = 0; mask < (1UL << (n + m)); mask++) {
		if ((unsigned)__builtin_popcountl(mask) != n)
			continue;
		for (i = 0, na = nb = 0; i < n + m; i++) {
			if (mask & (1UL << i))
				a[na++] = pool[i];
			else
				b[nb++] = pool[i];
		}
		total++;
		hits += brute_d(a, n, b, m) >= d_obs - 1e-12;
	}
	assert_int_equal(ks_2samp_sorted(oa, n, ob, m, &r, &err), 0);
	assert_true(r.exact);
	assert_true(fabs(r.statistic - d_obs) < 1e-15);
	assert_true(rel_close(r.p_value, (double)hits / (double)total, 1e-12));
}

static void test_exact_equals_enumeration(void **state)
{
	double pool[16];
	unsigned i;

	(void)state;
	for (i = 0; i < 16; i++)
		pool[i] = 0.5 * i;
	check_enumeration(pool, 5, 4, 0x0E5UL); /* n != m, inside method */
	check_enumeration(pool, 4, 7, 0x40EUL);
	check_enumeration(pool, 6, 6, 0x2D3UL); /* n == m, reflection sum */
	check_enumeration(pool, 7, 7, 0x1B46UL);
	check_enumeration(pool, 3, 9, 0xE00UL);
}

static void test_symmetry(void **state)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	static const size_t sizes[][2] = {{37, 500}, {2000, 3000}, {15000, 400}};
	size_t s;

	(void)state;
	gsl_rng_set(rng, 11);
	for (s = 0; s < 3; s++) {
		double *a = normal_sample(rng, sizes[s][0], 0);
		double *b = normal_sample(rng, sizes[s][1], 0.1);
		ks_result r1, r2;
		kpg_err err;

		assert_int_equal(ks_2samp_sorted(a, sizes[s][0], b, sizes[s][1],
						 &r1, &err),
				 0);
		assert_int_equal(ks_2samp_sorted(b, sizes[s][1], a, sizes[s][0],
						 &r2, &err),
				 0);
		assert_true(r1.statistic == r2.statistic);
		assert_true(rel_close(r2.p_value, r1.p_value, 1e-13));
		if (s < 2) /* brute force is quadratic */
			assert_true(fabs(r1.statistic -
					 brute_d(a, sizes[s][0], b, sizes[s][1])) < 1e-14);
		free(a);
		free(b);
	}
	gsl_rng_free(rng);
}

/* Kolmogorov's limit Pr(sqrt(n) D_n > z) = 2 sum (-1)^(k-1) exp(-2 k^2 z^2) */
static double kolmogorov_limit(double z)
{
	double s = 0;
	int k;

	for (k = 1; k < 100; k++)
		s += (k % 2 ? 2.0 : -2.0) * exp(-2.0 * k * k * z * z);
	return s;
}

static void test_large_samples_use_asymptotic(void **state)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	double *a, *b, en;
	ks_result r;
	kpg_err err;

	(void)state;
	gsl_rng_set(rng, 5);
	a = normal_sample(rng, 30000, 0);
	b = normal_sample(rng, 20000, 0.02);
	assert_int_equal(ks_2samp_sorted(a, 30000, b, 20000, &r, &err), 0);
	assert_false(r.exact);
	assert_false(r.fallback);
	en = 30000.0 * 20000.0 / 50000.0;
	assert_true(r.p_value == ks_kstwo_sf(r.statistic, rint(en)));
	/* finite-n kstwo is close to Kolmogorov's limit at this size */
	assert_true(rel_close(r.p_value,
			      kolmogorov_limit(sqrt(en) * r.statistic), 0.05));
	free(b);
	b = normal_sample(rng, 20000, 0.5);
	assert_int_equal(ks_2samp_sorted(a, 30000, b, 20000, &r, &err), 0);
	assert_true(r.statistic > 0.15);
	assert_true(r.p_value < 1e-100);
	free(a);
	free(b);
	gsl_rng_free(rng);
}

static void test_exact_cutoff(void **state)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	double *a, *b;
	ks_result r;
	kpg_err err;

	(void)state;
	gsl_rng_set(rng, 3);
	a = normal_sample(rng, KS_MAX_EXACT_N + 1, 0);
	b = normal_sample(rng, 50, 0);
	assert_int_equal(ks_2samp_sorted(a, KS_MAX_EXACT_N, b, 50, &r, &err),
			 0);
	assert_true(r.exact);
	assert_int_equal(ks_2samp_sorted(a, KS_MAX_EXACT_N + 1, b, 50, &r,
					 &err),
			 0);
	assert_false(r.exact);
	free(a);
	free(b);
	gsl_rng_free(rng);
}

static void test_kstwo_closed_forms(void **state)
{
	double d;

	(void)state;
	/* D_1 = max(U, 1-U) is uniform on [1/2, 1]: sf(d) = 2(1-d) */
	for (d = 0.55; d < 1.0; d += 0.1)
		assert_true(rel_close(ks_kstwo_sf(d, 1), 2 * (1 - d), 1e-14));
	/* Ruben-Gambino: 1/2n < d <= 1/n, cdf = n!/n^n (2nd - 1)^n */
	assert_true(rel_close(ks_kstwo_sf(0.3, 3),
			      1 - 6.0 / 27.0 * pow(0.8, 3), 1e-14));
	/* support ends */
	assert_true(ks_kstwo_sf(0.5 / 100, 100) == 1.0);
	assert_true(ks_kstwo_sf(0.0, 100) == 1.0);
	assert_true(ks_kstwo_sf(1.0, 100) == 0.0);
	assert_true(ks_kstwo_sf(1.5, 100) == 0.0);
	/* n must be a positive integer */
	assert_true(isnan(ks_kstwo_sf(0.3, 0)));
	assert_true(isnan(ks_kstwo_sf(0.3, 2.5)));
	assert_true(isnan(ks_kstwo_sf(0.3, NAN)));
	assert_true(isnan(ks_kstwo_sf(NAN, 10)));
}

/* Every regime joins its neighbours: sf is non-increasing in d, and values
 * just either side of a switch-over agree closely. The loosest joint is
 * scipy's own: Pelz-Good against 2*Smirnov at n*d^2 = 2.2 differs by ~2e-5
 * at n = 141 (the series is an approximation), hence 1e-4. */
static void test_kstwo_monotone_and_continuous(void **state)
{
	static const double ns[] = {2, 10, 60, 140, 141, 1000, 50000, 100000,
				    100001, 400000};
	static const double nx2_switch[] = {0.754693, 4.0, 2.2};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		double n = ns[i], prev = 1.0, d;

		for (d = 0.3 / n; d < 1.0; d *= 1.07) {
			double p = ks_kstwo_sf(d, n);

			assert_true(p >= 0.0 && p <= 1.0);
			assert_true(p <= prev * (1 + 1e-12));
			prev = p;
		}
		for (k = 0; k < 3; k++) {
			double dsw = sqrt(nx2_switch[k] / n);
			double lo = ks_kstwo_sf(dsw * (1 - 1e-9), n);
			double hi = ks_kstwo_sf(dsw * (1 + 1e-9), n);

			if (dsw >= 0.5 || n * dsw <= 1.0)
				continue;
			assert_true(rel_close(hi, lo, 1e-4));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejects_bad_input),
		cmocka_unit_test(test_single_values),
		cmocka_unit_test(test_all_ties),
		cmocka_unit_test(test_identical_samples),
		cmocka_unit_test(test_disjoint_closed_form),
		cmocka_unit_test(test_exact_equals_enumeration),
		cmocka_unit_test(test_symmetry),
		cmocka_unit_test(test_large_samples_use_asymptotic),
		cmocka_unit_test(test_exact_cutoff),
		cmocka_unit_test(test_kstwo_closed_forms),
		cmocka_unit_test(test_kstwo_monotone_and_continuous),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
