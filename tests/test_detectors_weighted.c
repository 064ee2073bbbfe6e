/* test_detectors_weighted.c - detectors against a weighted reference (a
 * sketch): ks_weighted_sorted equals ks.c's asymptotic test bit for bit on
 * unit weights and numpy's weighted statistic (tests/lib/weighted_ref.py,
 * Debian's /usr/bin/python3 with numpy and scipy, as
 * test_detectors_scipy.c) on a KLL sketch's items; the rank-error bracket;
 * psi_ref_build_weighted equals psi_ref_build bit for bit with unit
 * weights and on the expanded sample with whole-number weights. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "kll.h"
#include "ks.h"
#include "ks_weighted.h"
#include "psi.h"
#include "psi_weighted.h"
#include "sort.h"

#define PYTHON "/usr/bin/python3"
#define SCRIPT KPG_TEST_DATA_DIR "/../lib/weighted_ref.py"

/* n values: normal(mu, sd), or rounded to integers (ties) when ties. */
static double *draw(gsl_rng *r, size_t n, double mu, double sd, int ties)
{
	double *x = malloc(n * sizeof(*x));

	assert_non_null(x);
	for (size_t i = 0; i < n; i++) {
		x[i] = mu + gsl_ran_gaussian(r, sd);
		if (ties)
			x[i] = round(x[i]);
	}
	sort_doubles(x, n);
	return x;
}

static void test_ks_unit_weights_equal_ks(void **state)
{
	static const struct {
		size_t n, m;
		double shift;
		int ties;
	} cases[] = {{500, 400, 0.0, 0}, {3000, 200, 0.2, 0}, {1, 7, 0, 0}, {20000, 150, 0.1, 1}, {37, 5000, 0.5, 1}, {2000, 2000, 0, 1}};
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	kpg_err err;
	(void)state;

	gsl_rng_set(r, 77);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		double *a = draw(r, cases[c].n, 0, 3, cases[c].ties);
		double *b = draw(r, cases[c].m, cases[c].shift, 3, cases[c].ties);
		double *ones = malloc(cases[c].n * sizeof(*ones));
		ks_result want;
		ks_weighted_result got, got1;

		assert_non_null(ones);
		for (size_t i = 0; i < cases[c].n; i++)
			ones[i] = 1.0;
		assert_int_equal(ks_2samp_sorted_method(a, cases[c].n, b, cases[c].m,
							KS_METHOD_ASYMP, &want, &err),
				 0);
		assert_int_equal(ks_weighted_sorted(a, NULL, cases[c].n, 0, 0, b,
						    cases[c].m, &got, &err),
				 0);
		assert_int_equal(ks_weighted_sorted(a, ones, cases[c].n,
						    (double)cases[c].n, 0, b,
						    cases[c].m, &got1, &err),
				 0);
		/* bit for bit, not merely close */
		assert_memory_equal(&got.statistic, &want.statistic, sizeof(double));
		assert_memory_equal(&got.p_value, &want.p_value, sizeof(double));
		assert_memory_equal(&got1.statistic, &want.statistic, sizeof(double));
		assert_memory_equal(&got1.p_value, &want.p_value, sizeof(double));
		assert_true(got.p_at_lower == got.p_value && got.p_at_upper == got.p_value);
		free(a);
		free(b);
		free(ones);
	}
	gsl_rng_free(r);
}

static void write_f64(const char *path, const double *x, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(x, sizeof(double), n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* A KLL sketch of 100000 values (weights 1..2^h) against a shifted
 * current sample: D and p from numpy/scipy. */
static void test_ks_weighted_vs_numpy(void **state)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	char dir[] = "/tmp/i11b-ksw-XXXXXX", pr[64], pw[64], pc[64], cmd[512];
	double *ref, *cur, d_py = NAN, p_py = NAN;
	kll_sketch s;
	kll_view v;
	ks_weighted_result got;
	kpg_err err;
	FILE *p;
	int st, got_py, have_py;
	(void)state;

	gsl_rng_set(r, 4242);
	ref = draw(r, 100000, 0, 1, 0);
	cur = draw(r, 1500, 0.08, 1, 0);
	assert_int_equal(kll_init(&s, 200, 99, &err), 0);
	for (size_t i = 0; i < 100000; i++)
		assert_int_equal(kll_update(&s, ref[i], &err), 0);
	assert_int_equal(kll_view_build(&s, &v, &err), 0);
	assert_true(v.weights[0] != v.weights[v.n / 2] || v.n < 100000);
	assert_non_null(mkdtemp(dir));
	snprintf(pr, sizeof(pr), "%s/ref", dir);
	snprintf(pw, sizeof(pw), "%s/w", dir);
	snprintf(pc, sizeof(pc), "%s/cur", dir);
	write_f64(pr, v.values, v.n);
	write_f64(pw, v.weights, v.n);
	write_f64(pc, cur, 1500);
	snprintf(cmd, sizeof(cmd), "%s %s %s %s %s 100000", PYTHON, SCRIPT, pr,
		 pw, pc);
	have_py = access(PYTHON, X_OK) == 0;
	p = have_py ? popen(cmd, "r") : NULL;
	got_py = p != NULL ? fscanf(p, "%lf %lf", &d_py, &p_py) : 0;
	st = p != NULL ? pclose(p) : -1;
	/* the folder goes before any assertion can jump out */
	unlink(pr);
	unlink(pw);
	unlink(pc);
	rmdir(dir);
	if (!have_py || (WIFEXITED(st) && WEXITSTATUS(st) == 77))
		skip();
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(got_py, 2);
	assert_int_equal(ks_weighted_sorted(v.values, v.weights, v.n, 100000,
					    kll_sketch_rank_error(&s), cur, 1500,
					    &got, &err),
			 0);
	printf("ks_weighted: D %.15g (numpy %.15g), p %.6g (scipy %.6g), p in [%.6g, %.6g] for rank error %.4f\n",
	       got.statistic, d_py, got.p_value, p_py, got.p_at_upper,
	       got.p_at_lower, kll_sketch_rank_error(&s));
	assert_true(fabs(got.statistic - d_py) <= 1e-12);
	assert_true(fabs(got.p_value - p_py) <= 1e-8 * fabs(p_py) + 1e-300);
	assert_true(got.en == round(100000.0 * 1500 / 101500));
	assert_true(got.p_at_upper <= got.p_value && got.p_value <= got.p_at_lower);
	assert_true(got.p_at_upper < got.p_at_lower);
	kll_view_free(&v);
	kll_free(&s);
	free(ref);
	free(cur);
	gsl_rng_free(r);
}

static void test_ks_weighted_bad(void **state)
{
	const double a[] = {1, 2, 3}, bad[] = {1, NAN, 3}, uns[] = {2, 1, 3};
	const double w0[] = {1, 0, 1};
	ks_weighted_result out;
	kpg_err err;
	(void)state;

	assert_int_equal(ks_weighted_sorted(a, NULL, 0, 0, 0, a, 3, &out, &err), KPG_EINVAL);
	assert_int_equal(ks_weighted_sorted(bad, NULL, 3, 0, 0, a, 3, &out, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "NaN"));
	assert_int_equal(ks_weighted_sorted(a, NULL, 3, 0, 0, uns, 3, &out, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "not sorted"));
	assert_int_equal(ks_weighted_sorted(a, w0, 3, 0, 0, a, 3, &out, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "weight 1"));
	assert_int_equal(ks_weighted_sorted(a, NULL, 3, 0, 2, a, 3, &out, &err), KPG_EINVAL);
	assert_int_equal(ks_weighted_sorted(a, NULL, 3, 0.5, 0, a, 3, &out, &err), KPG_EINVAL);
	assert_int_equal(ks_weighted_sorted(a, NULL, 3, 0, 0, a, 3, NULL, &err), KPG_EINVAL);
	/* identical: D 0, p 1; an error bracket that reaches 0 gives 1 */
	assert_int_equal(ks_weighted_sorted(a, NULL, 3, 0, 0.5, a, 3, &out, &err), 0);
	assert_true(out.statistic == 0 && out.p_value == 1 && out.p_at_lower == 1);
}

static void same_psi(const psi_ref *x, const psi_ref *y)
{
	assert_int_equal(x->n_bins, y->n_bins);
	assert_memory_equal(x->edges, y->edges, (x->n_bins - 1) * sizeof(double));
	assert_memory_equal(x->ref_prop, y->ref_prop, x->n_bins * sizeof(double));
}

static void test_psi_unit_weights_bit_for_bit(void **state)
{
	static const struct {
		size_t n;
		unsigned bins;
		int ties;
	} cases[] = {{1, 10, 0}, {3, 4, 0}, {5000, 10, 0}, {4000, 20, 1}, {50000, 1000, 0}, {999, 2, 0}, {1001, 7, 1}};
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	kpg_err err;
	(void)state;

	gsl_rng_set(r, 5);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		double *x = draw(r, cases[c].n, 10, 3, cases[c].ties);
		double *ones = malloc(cases[c].n * sizeof(*ones));
		psi_ref want, got, got1;

		assert_non_null(ones);
		for (size_t i = 0; i < cases[c].n; i++)
			ones[i] = 1.0;
		assert_int_equal(psi_ref_build(&want, x, cases[c].n, cases[c].bins, &err), 0);
		assert_int_equal(psi_ref_build_weighted(&got, x, NULL, cases[c].n,
							cases[c].bins, &err),
				 0);
		assert_int_equal(psi_ref_build_weighted(&got1, x, ones, cases[c].n,
							cases[c].bins, &err),
				 0);
		same_psi(&got, &want);
		same_psi(&got1, &want);
		for (unsigned k = 0; k <= 10; k++) {
			double q = k / 10.0, *cum = ones;
			double a = psi_quantile_sorted(x, cases[c].n, q), b;

			for (size_t i = 0; i < cases[c].n; i++)
				cum[i] = (double)(i + 1);
			b = psi_quantile_weighted(x, cum, cases[c].n, q);
			assert_memory_equal(&a, &b, sizeof(double));
			for (size_t i = 0; i < cases[c].n; i++)
				ones[i] = 1.0;
		}
		psi_ref_free(&want);
		psi_ref_free(&got);
		psi_ref_free(&got1);
		free(x);
		free(ones);
	}
	gsl_rng_free(r);
}

/* Whole-number weights: the same as the sample with each value repeated
 * its weight's times. */
static void test_psi_weights_expand(void **state)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	size_t n = 700, total = 0, o = 0;
	double *x, *w, *expanded;
	psi_ref want, got;
	kpg_err err;
	(void)state;

	gsl_rng_set(r, 8);
	x = draw(r, n, 0, 1, 0);
	w = malloc(n * sizeof(*w));
	assert_non_null(w);
	for (size_t i = 0; i < n; i++) {
		w[i] = ldexp(1.0, (int)gsl_rng_uniform_int(r, 4)); /* 1, 2, 4, 8 */
		total += (size_t)w[i];
	}
	expanded = malloc(total * sizeof(*expanded));
	assert_non_null(expanded);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < (size_t)w[i]; k++)
			expanded[o++] = x[i];
	for (unsigned bins = 2; bins <= 40; bins += 19) {
		assert_int_equal(psi_ref_build(&want, expanded, total, bins, &err), 0);
		assert_int_equal(psi_ref_build_weighted(&got, x, w, n, bins, &err), 0);
		same_psi(&got, &want);
		psi_ref_free(&want);
		psi_ref_free(&got);
	}
	w[3] = -1;
	assert_int_equal(psi_ref_build_weighted(&got, x, w, n, 10, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "weight 3"));
	assert_int_equal(psi_ref_build_weighted(&got, x, NULL, n, 1, &err), KPG_EINVAL);
	assert_int_equal(psi_ref_build_weighted(&got, x, NULL, 0, 10, &err), KPG_EINVAL);
	free(x);
	free(w);
	free(expanded);
	gsl_rng_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ks_unit_weights_equal_ks),
		cmocka_unit_test(test_ks_weighted_vs_numpy),
		cmocka_unit_test(test_ks_weighted_bad),
		cmocka_unit_test(test_psi_unit_weights_bit_for_bit),
		cmocka_unit_test(test_psi_weights_expand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
