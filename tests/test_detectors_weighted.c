/* test_detectors_weighted.c - detectors against a weighted reference (a
 * sketch): ks_weighted_sorted equals ks.c's asymptotic test bit for bit on
 * unit weights and numpy's weighted statistic (tests/lib/weighted_ref.py,
 * Debian's /usr/bin/python3 with numpy and scipy, as
 * test_detectors_scipy.c) on a KLL sketch's items; the rank-error bracket;
 * psi_ref_build_weighted equals psi_ref_build bit for bit with unit
 * weights and on the expanded sample with whole-number weights. A weighted
 * current sample (a window kept as a sketch): psi_bin_counts_weighted and
 * psi_evidently_bins_weighted against numpy (weighted_ref.py psibins,
 * psie), NULL and unit weights bit for bit the unweighted calls, integer
 * weights exactly the expanded sample. */
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
#include "psi_evidently.h"
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

/* Both samples as KLL sketches (a window kept as a sketch): D and p from
 * numpy/scipy on the two weighted CDFs; the bracket widens by both rank
 * errors; unit weights give ks_weighted_sorted's result. */
static void test_ks_both_weighted_vs_numpy(void **state)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	char dir[] = "/tmp/kpg-ksw2-XXXXXX", pr[64], pw[64], pc[64], pcw[64];
	char cmd[640];
	double *ref, *cur, d_py = NAN, p_py = NAN, dd = NAN;
	kll_sketch s, t;
	kll_view v, u;
	ks_weighted_result got, one, plain;
	kpg_err err;
	FILE *p;
	int st, got_py, have_py;
	(void)state;

	gsl_rng_set(r, 777);
	ref = draw(r, 100000, 0, 1, 0);
	cur = draw(r, 50000, 0.05, 1, 0);
	assert_int_equal(kll_init(&s, 200, 1, &err), 0);
	assert_int_equal(kll_init(&t, 200, 2, &err), 0);
	for (size_t i = 0; i < 100000; i++)
		assert_int_equal(kll_update(&s, ref[i], &err), 0);
	for (size_t i = 0; i < 50000; i++)
		assert_int_equal(kll_update(&t, cur[i], &err), 0);
	assert_int_equal(kll_view_build(&s, &v, &err), 0);
	assert_int_equal(kll_view_build(&t, &u, &err), 0);
	assert_true(u.n < 50000); /* the window really is a sketch */
	assert_non_null(mkdtemp(dir));
	snprintf(pr, sizeof(pr), "%s/ref", dir);
	snprintf(pw, sizeof(pw), "%s/w", dir);
	snprintf(pc, sizeof(pc), "%s/cur", dir);
	snprintf(pcw, sizeof(pcw), "%s/cw", dir);
	write_f64(pr, v.values, v.n);
	write_f64(pw, v.weights, v.n);
	write_f64(pc, u.values, u.n);
	write_f64(pcw, u.weights, u.n);
	snprintf(cmd, sizeof(cmd), "%s %s %s %s %s 100000 %s 50000", PYTHON, SCRIPT,
		 pr, pw, pc, pcw);
	have_py = access(PYTHON, X_OK) == 0;
	p = have_py ? popen(cmd, "r") : NULL;
	got_py = p != NULL ? fscanf(p, "%lf %lf", &d_py, &p_py) : 0;
	st = p != NULL ? pclose(p) : -1;
	unlink(pr);
	unlink(pw);
	unlink(pc);
	unlink(pcw);
	rmdir(dir);
	if (!have_py || (WIFEXITED(st) && WEXITSTATUS(st) == 77))
		skip();
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(got_py, 2);
	assert_int_equal(ks_weighted_both_sorted(v.values, v.weights, v.n, 100000,
						 kll_sketch_rank_error(&s), u.values,
						 u.weights, u.n, 50000,
						 kll_sketch_rank_error(&t), &got, &err),
			 0);
	assert_true(fabs(got.statistic - d_py) <= 1e-12);
	assert_true(fabs(got.p_value - p_py) <= 1e-8 * fabs(p_py) + 1e-300);
	assert_true(got.en == round(100000.0 * 50000 / 150000));
	/* the bracket is wider than with the reference's error alone */
	assert_int_equal(ks_weighted_both_sorted(v.values, v.weights, v.n, 100000,
						 kll_sketch_rank_error(&s), u.values,
						 u.weights, u.n, 50000, 0, &one, &err),
			 0);
	assert_true(got.p_at_upper <= one.p_at_upper && got.p_at_lower >= one.p_at_lower);
	/* unit current weights: ks_weighted_sorted, bit for bit */
	assert_int_equal(ks_weighted_both_sorted(v.values, v.weights, v.n, 100000, 0,
						 cur, NULL, 1000, 0, 0, &one, &err),
			 0);
	assert_int_equal(ks_weighted_sorted(v.values, v.weights, v.n, 100000, 0, cur,
					    1000, &plain, &err),
			 0);
	assert_memory_equal(&one.statistic, &plain.statistic, sizeof(double));
	assert_memory_equal(&one.p_value, &plain.p_value, sizeof(double));
	/* no rank error on either side: the bracket is the p-value */
	assert_memory_equal(&one.p_at_lower, &one.p_value, sizeof(double));
	assert_memory_equal(&one.p_at_upper, &one.p_value, sizeof(double));
	/* the distance alone is the statistic, bit for bit */
	assert_int_equal(ks_weighted_distance(v.values, v.weights, v.n, u.values, u.weights,
					      u.n, &dd, &err),
			 0);
	assert_memory_equal(&dd, &got.statistic, sizeof(double));
	assert_int_equal(ks_weighted_distance(v.values, v.weights, v.n, cur, NULL, 1000, &dd,
					      &err),
			 0);
	assert_memory_equal(&dd, &plain.statistic, sizeof(double));
	assert_int_equal(ks_weighted_distance(v.values, v.weights, v.n, NULL, NULL, 0, &dd, &err),
			 KPG_EINVAL);
	kll_view_free(&v);
	kll_view_free(&u);
	kll_free(&s);
	kll_free(&t);
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

/* ---- a weighted current sample ---- */

/* Weights of n current values by kind: 0 unit, 1 KLL-like powers of two
 * 1..8, 2 exponential reals (mean 1, full 53-bit mantissas, so sums round)
 * with about one in eight exactly 0. */
static double *cur_weights(gsl_rng *r, size_t n, int kind)
{
	double *w = malloc(n * sizeof(*w));

	assert_non_null(w);
	for (size_t i = 0; i < n; i++) {
		if (kind == 0)
			w[i] = 1.0;
		else if (kind == 1)
			w[i] = ldexp(1.0, (int)gsl_rng_uniform_int(r, 4));
		else
			w[i] = gsl_rng_uniform_int(r, 8) == 0 ? 0.0
							      : gsl_ran_exponential(r, 1.0);
	}
	return w;
}

/* Runs "weighted_ref.py MODE F1 .. Fna BINS", Fi a file of arr[i] (len[i]
 * values) in a fresh folder under /tmp, and reads up to cap numbers into
 * out. The folder is gone when it returns, and it never jumps out (an
 * assertion after it cannot leave files behind). Returns how many numbers,
 * -77 when there is no python or numpy (skip), -1 when the script or a
 * file failed. */
static int py_numbers(const char *mode, const double *const *arr,
		      const size_t *len, size_t na, unsigned bins, double *out,
		      size_t cap)
{
	char dir[] = "/tmp/kpg-psiw-XXXXXX", path[4][64], cmd[1024];
	FILE *p, *f;
	int st, k = 0, o;
	size_t i;

	if (access(PYTHON, X_OK) != 0)
		return -77;
	if (na > 4 || !mkdtemp(dir))
		return -1;
	o = snprintf(cmd, sizeof(cmd), "%s %s %s", PYTHON, SCRIPT, mode);
	for (i = 0; i < na; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/a%zu", dir, i);
		o += snprintf(cmd + o, sizeof(cmd) - (size_t)o, " %s", path[i]);
		f = fopen(path[i], "wb");
		if (!f || fwrite(arr[i], sizeof(double), len[i], f) != len[i] ||
		    fclose(f) != 0) {
			k = -1;
			na = i + 1;
			goto done;
		}
	}
	snprintf(cmd + o, sizeof(cmd) - (size_t)o, " %u", bins);
	p = popen(cmd, "r");
	if (!p) {
		k = -1;
		goto done;
	}
	while ((size_t)k < cap && fscanf(p, "%lf", &out[k]) == 1)
		k++;
	st = pclose(p);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		k = -77;
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		k = -1;
done:
	for (i = 0; i < na; i++)
		unlink(path[i]);
	rmdir(dir);
	return k;
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
	double d = 0;

	for (size_t i = 0; i < n; i++)
		d = fmax(d, fabs(a[i] - b[i]));
	return d;
}

/* Weighted counts over the PSI bins against numpy (searchsorted side left,
 * bincount with weights), on integer data whose values sit on the edges;
 * unit and NULL weights give psi_bin_counts bit for bit. */
static void test_psi_bin_counts_weighted_vs_numpy(void **state)
{
	static const struct {
		size_t n, m;
		unsigned bins;
		int ties, kind;
	} cases[] = {{5000, 3000, 10, 1, 2}, {5000, 3000, 10, 1, 1}, {2000, 1500, 7, 0, 2}, {40000, 20000, 1000, 1, 2}, {300, 50, 2, 1, 0}};
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	double worst = 0;
	kpg_err err;
	(void)state;

	gsl_rng_set(r, 31);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t n = cases[c].n, m = cases[c].m, on_edge = 0, cap;
		double *ref = draw(r, n, 0, 3, cases[c].ties);
		double *cur = draw(r, m, 0.4, 3.5, cases[c].ties);
		double *w = cur_weights(r, m, cases[c].kind);
		double *got, *plain, *py;
		psi_ref pr_;
		int k;

		assert_int_equal(psi_ref_build(&pr_, ref, n, cases[c].bins, &err), 0);
		cap = 2 * pr_.n_bins; /* NE, the edges, the counts */
		got = malloc(pr_.n_bins * sizeof(*got));
		plain = malloc(pr_.n_bins * sizeof(*plain));
		py = malloc(cap * sizeof(*py));
		assert_true(got && plain && py);
		for (size_t i = 0; i < m; i++)
			for (size_t e = 0; e + 1 < pr_.n_bins; e++)
				on_edge += cur[i] == pr_.edges[e];
		assert_true(!cases[c].ties || on_edge > m / 20);
		k = py_numbers("psibins", (const double *const[]){ref, cur, w},
			       (const size_t[]){n, m, m}, 3, cases[c].bins, py, cap);
		if (k == -77)
			skip();
		assert_int_equal(k, (int)cap);
		assert_int_equal((size_t)py[0] + 1, pr_.n_bins);
		/* equal edges (== : round() makes -0.0 and 0.0, which numpy's
		 * partition may pick in another order; the bins are the same) */
		for (size_t e = 0; e + 1 < pr_.n_bins; e++)
			assert_true(py[1 + e] == pr_.edges[e]);
		assert_int_equal(psi_bin_counts_weighted(&pr_, cur, w, m, got, &err), 0);
		worst = fmax(worst, max_abs_diff(got, py + pr_.n_bins, pr_.n_bins));
		assert_true(max_abs_diff(got, py + pr_.n_bins, pr_.n_bins) <= 1e-9);
		/* NULL weights: psi_bin_counts exactly, and so do unit weights */
		assert_int_equal(psi_bin_counts(&pr_, cur, m, plain, &err), 0);
		assert_int_equal(psi_bin_counts_weighted(&pr_, cur, NULL, m, got, &err), 0);
		assert_memory_equal(got, plain, pr_.n_bins * sizeof(double));
		for (size_t i = 0; i < m; i++)
			w[i] = 1.0;
		assert_int_equal(psi_bin_counts_weighted(&pr_, cur, w, m, got, &err), 0);
		assert_memory_equal(got, plain, pr_.n_bins * sizeof(double));
		psi_ref_free(&pr_);
		free(ref);
		free(cur);
		free(w);
		free(got);
		free(plain);
		free(py);
	}
	printf("psi_bin_counts_weighted: max |count - numpy| %.3g\n", worst);
	gsl_rng_free(r);
}

static void test_psi_bin_counts_weighted_bad(void **state)
{
	const double ref[] = {1, 2, 3, 4, 5, 6, 7, 8}, cur[] = {1, 2, 3};
	const double neg[] = {1, 1, -1}, nan_[] = {1, 1, NAN}, inf[] = {INFINITY, 1, 1};
	const double zero[] = {0, 0, 0}, nanv[] = {1, NAN, 3};
	double cnt[4];
	psi_ref pr;
	kpg_err err;
	(void)state;

	assert_int_equal(psi_ref_build(&pr, ref, 8, 4, &err), 0);
	assert_int_equal(psi_bin_counts_weighted(&pr, cur, neg, 3, cnt, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "current weight 2"));
	assert_int_equal(psi_bin_counts_weighted(&pr, cur, nan_, 3, cnt, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "current weight 2"));
	assert_int_equal(psi_bin_counts_weighted(&pr, cur, inf, 3, cnt, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "current weight 0"));
	assert_int_equal(psi_bin_counts_weighted(&pr, nanv, zero, 3, cnt, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "NaN"));
	assert_int_equal(psi_bin_counts_weighted(&pr, cur, zero, 0, cnt, &err), KPG_EINVAL);
	/* weight 0: absent from its bin */
	assert_int_equal(psi_bin_counts_weighted(&pr, cur, zero, 3, cnt, &err), 0);
	assert_true(cnt[0] == 0 && cnt[1] == 0 && cnt[2] == 0 && cnt[3] == 0);
	psi_ref_free(&pr);
}

static void same_hist(const psi_evidently_hist *a, const psi_evidently_hist *b)
{
	double pa = psi_evidently_hist_psi(a), pb = psi_evidently_hist_psi(b);

	assert_int_equal(a->categorical, b->categorical);
	assert_int_equal(a->k, b->k);
	assert_memory_equal(a->ref, b->ref, a->k * sizeof(double));
	assert_memory_equal(a->cur, b->cur, a->k * sizeof(double));
	assert_memory_equal(&a->ref_total, &b->ref_total, sizeof(double));
	assert_memory_equal(&a->cur_total, &b->cur_total, sizeof(double));
	assert_memory_equal(&pa, &pb, sizeof(double));
}

/* A generated Evidently case: uniform integers lo..hi (ties, values on the
 * edges when the bins divide the span) or normal reals, both samples
 * weighted. kind as cur_weights; ends: the current sample's least and
 * greatest values move far out with weight 0 (absent: not in the span). */
typedef struct psie_case {
	size_t n, m;
	int ints, lo, hi, kind, ends;
	unsigned bins;
	int categorical;
} psie_case;

static double *draw_case(gsl_rng *r, size_t n, const psie_case *c, double shift)
{
	double *x;

	if (!c->ints)
		return draw(r, n, shift, 2, 0);
	x = malloc(n * sizeof(*x));
	assert_non_null(x);
	for (size_t i = 0; i < n; i++)
		x[i] = c->lo + (double)gsl_rng_uniform_int(r, (unsigned long)(c->hi - c->lo + 1));
	sort_doubles(x, n);
	return x;
}

/* psi_evidently_bins_weighted against numpy's histogram with weights
 * (Sturges' count = total weight) and the weighted union of categories;
 * NULL and unit current weights give psi_evidently_bins bit for bit. */
static void test_psi_evidently_weighted_vs_numpy(void **state)
{
	static const psie_case cases[] = {
		{3000, 2000, 0, 0, 0, 2, 1, PSI_EVIDENTLY_STURGES, 0},
		{3000, 2000, 0, 0, 0, 1, 0, 37, 0},
		{4000, 3000, 1, 0, 40, 2, 1, 20, 0}, /* edges on the integers */
		{4000, 3000, 1, 0, 40, 2, 0, 40, 0},
		{4000, 3000, 1, -5, 30, 1, 1, PSI_EVIDENTLY_STURGES, 0},
		{2000, 1500, 1, 0, 9, 2, 1, PSI_EVIDENTLY_STURGES, 1},
		{2000, 1500, 1, 0, 19, 1, 0, PSI_EVIDENTLY_STURGES, 1}, /* 20 */
		{500, 800, 1, 0, 5, 2, 0, 7, 1},
	};
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	double worst = 0, worst_psi = 0;
	kpg_err err;
	(void)state;

	gsl_rng_set(r, 2024);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const psie_case *pc_ = &cases[c];
		size_t n = pc_->n, m = pc_->m, cap = 5 + 2 * (n + m);
		double *ref = draw_case(r, n, pc_, 0);
		double *cur = draw_case(r, m, pc_, 0.3);
		double *rw = cur_weights(r, n, 2), *cw = cur_weights(r, m, pc_->kind);
		double *py = malloc(cap * sizeof(*py)), ps;
		psi_evidently_hist h, plain, h1;
		int k;

		assert_non_null(py);
		if (pc_->categorical) {
			/* a current-only value of weight 0 (absent) and one of
			 * weight > 0 (a category of its own) */
			cur[m - 1] = 1000;
			cw[m - 1] = 0;
			cur[m - 2] = 999;
			cw[m - 2] = 2.5;
		}
		if (pc_->ends) {
			cur[0] = -1e3;
			cw[0] = 0;
			cur[m - 1] = 1e3;
			cw[m - 1] = 0;
		}
		k = py_numbers("psie", (const double *const[]){ref, rw, cur, cw},
			       (const size_t[]){n, n, m, m}, 4, pc_->bins, py, cap);
		if (k == -77)
			skip();
		assert_true(k >= 5);
		assert_int_equal(psi_evidently_bins_weighted(ref, rw, n, cur, cw, m,
							     pc_->bins, &h, &err),
				 0);
		assert_int_equal(h.categorical, pc_->categorical);
		assert_int_equal((int)py[0], h.categorical);
		assert_int_equal((size_t)py[1], h.k);
		assert_int_equal(k, (int)(5 + 2 * h.k));
		assert_true(fabs(h.ref_total - py[2]) <= 1e-9 * py[2]);
		assert_true(fabs(h.cur_total - py[3]) <= 1e-9 * py[3]);
		worst = fmax(worst, max_abs_diff(h.ref, py + 5, h.k));
		worst = fmax(worst, max_abs_diff(h.cur, py + 5 + h.k, h.k));
		assert_true(max_abs_diff(h.ref, py + 5, h.k) <= 1e-9);
		assert_true(max_abs_diff(h.cur, py + 5 + h.k, h.k) <= 1e-9);
		ps = psi_evidently_hist_psi(&h);
		worst_psi = fmax(worst_psi, fabs(ps - py[4]));
		assert_true(fabs(ps - py[4]) <= 1e-9);
		psi_evidently_hist_free(&h);
		/* NULL and unit current weights: psi_evidently_bins exactly */
		assert_int_equal(psi_evidently_bins(ref, rw, n, cur, m, pc_->bins,
						    &plain, &err),
				 0);
		assert_int_equal(psi_evidently_bins_weighted(ref, rw, n, cur, NULL, m,
							     pc_->bins, &h, &err),
				 0);
		for (size_t i = 0; i < m; i++)
			cw[i] = 1.0;
		assert_int_equal(psi_evidently_bins_weighted(ref, rw, n, cur, cw, m,
							     pc_->bins, &h1, &err),
				 0);
		same_hist(&h, &plain);
		same_hist(&h1, &plain);
		psi_evidently_hist_free(&h);
		psi_evidently_hist_free(&h1);
		psi_evidently_hist_free(&plain);
		free(ref);
		free(cur);
		free(rw);
		free(cw);
		free(py);
	}
	printf("psi_evidently_bins_weighted: max |bin - numpy| %.3g, max |PSI - numpy| %.3g\n",
	       worst, worst_psi);
	gsl_rng_free(r);
}

/* Integer current weights (0 included) give exactly the hist and PSI of
 * the current sample with each value repeated its weight's times; on the
 * PSI bins, exactly its counts. */
static void test_weighted_cur_expand(void **state)
{
	static const psie_case cases[] = {
		{3000, 2000, 0, 0, 0, 0, 1, PSI_EVIDENTLY_STURGES, 0},
		{3000, 2000, 0, 0, 0, 0, 0, 25, 0},
		{3000, 2000, 1, 0, 40, 0, 1, 20, 0},
		{3000, 2000, 1, 0, 12, 0, 0, PSI_EVIDENTLY_STURGES, 1},
		{3000, 2000, 1, 0, 12, 0, 1, PSI_EVIDENTLY_STURGES, 1},
	};
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	kpg_err err;
	(void)state;

	gsl_rng_set(r, 99);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const psie_case *pc_ = &cases[c];
		size_t n = pc_->n, m = pc_->m, total = 0, o = 0;
		double *ref = draw_case(r, n, pc_, 0);
		double *cur = draw_case(r, m, pc_, 0.3);
		double *rw = cur_weights(r, n, 1), *cw = malloc(m * sizeof(*cw));
		double *ex, *a, *b;
		psi_evidently_hist h, want;
		psi_ref pr;

		assert_non_null(cw);
		for (size_t i = 0; i < m; i++)
			cw[i] = (double)gsl_rng_uniform_int(r, 10); /* 0..9 */
		if (pc_->ends) {
			cur[0] = -1e3;
			cw[0] = 0;
			cur[m - 1] = 1e3;
			cw[m - 1] = 0;
		}
		for (size_t i = 0; i < m; i++)
			total += (size_t)cw[i];
		ex = malloc(total * sizeof(*ex));
		assert_non_null(ex);
		for (size_t i = 0; i < m; i++)
			for (size_t k = 0; k < (size_t)cw[i]; k++)
				ex[o++] = cur[i];
		assert_int_equal(o, total);
		assert_int_equal(psi_evidently_bins_weighted(ref, rw, n, cur, cw, m,
							     pc_->bins, &h, &err),
				 0);
		assert_int_equal(psi_evidently_bins(ref, rw, n, ex, total, pc_->bins,
						    &want, &err),
				 0);
		assert_int_equal(h.categorical, pc_->categorical);
		same_hist(&h, &want);
		psi_evidently_hist_free(&h);
		psi_evidently_hist_free(&want);
		/* the PSI bins of the same reference (unweighted) */
		assert_int_equal(psi_ref_build(&pr, ref, n, 10, &err), 0);
		a = malloc(pr.n_bins * sizeof(*a));
		b = malloc(pr.n_bins * sizeof(*b));
		assert_true(a && b);
		assert_int_equal(psi_bin_counts_weighted(&pr, cur, cw, m, a, &err), 0);
		assert_int_equal(psi_bin_counts(&pr, ex, total, b, &err), 0);
		assert_memory_equal(a, b, pr.n_bins * sizeof(double));
		psi_ref_free(&pr);
		free(a);
		free(b);
		free(ref);
		free(cur);
		free(rw);
		free(cw);
		free(ex);
	}
	gsl_rng_free(r);
}

static void test_psi_evidently_weighted_bad(void **state)
{
	const double u[] = {1, 2, 3}, neg[] = {1, -1, 1}, nan_[] = {1, 1, NAN};
	const double zero[] = {0, 0, 0}, inf[] = {1, INFINITY, 1};
	psi_evidently_hist h;
	kpg_err err;
	(void)state;

	assert_int_equal(psi_evidently_bins_weighted(u, NULL, 3, u, neg, 3, 0, &h, &err),
			 KPG_EINVAL);
	assert_non_null(strstr(err.msg, "current weight 1"));
	assert_true(h.ref == NULL && h.cur == NULL && h.k == 0);
	assert_int_equal(psi_evidently_bins_weighted(u, NULL, 3, u, nan_, 3, 0, &h, &err),
			 KPG_EINVAL);
	assert_non_null(strstr(err.msg, "current weight 2"));
	assert_int_equal(psi_evidently_bins_weighted(u, NULL, 3, u, inf, 3, 0, &h, &err),
			 KPG_EINVAL);
	assert_non_null(strstr(err.msg, "current weight 1"));
	assert_int_equal(psi_evidently_bins_weighted(u, NULL, 3, u, zero, 3, 0, &h, &err),
			 KPG_EINVAL);
	assert_non_null(strstr(err.msg, "current weights sum to 0"));
	assert_int_equal(psi_evidently_bins_weighted(u, NULL, 3, NULL, NULL, 3, 0, &h, &err),
			 KPG_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ks_unit_weights_equal_ks),
		cmocka_unit_test(test_ks_weighted_vs_numpy),
		cmocka_unit_test(test_ks_both_weighted_vs_numpy),
		cmocka_unit_test(test_ks_weighted_bad),
		cmocka_unit_test(test_psi_unit_weights_bit_for_bit),
		cmocka_unit_test(test_psi_weights_expand),
		cmocka_unit_test(test_psi_bin_counts_weighted_vs_numpy),
		cmocka_unit_test(test_psi_bin_counts_weighted_bad),
		cmocka_unit_test(test_psi_evidently_weighted_vs_numpy),
		cmocka_unit_test(test_weighted_cur_expand),
		cmocka_unit_test(test_psi_evidently_weighted_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
