/* test_detectors_kll.c - the KLL sketch: its sup-norm rank error on 1e6
 * values (uniform, and heavy ties) within kll_rank_error(k), merging,
 * determinism for a seed, bounded memory, exactness before the first
 * compaction, the weighted view of Model Monitor style levels, and bad
 * input. The measured errors are printed ("kll: ...") for the record. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "kll.h"
#include "sort.h"

#define BIG_N 1000000

/* sup_x |view rank(x) - true rank(x)| over the pooled values: both are
 * step functions, so the sup is at a jump of one of them. */
static double sup_rank_error(const kll_view *v, const double *sorted, size_t n)
{
	size_t i = 0, j = 0;
	double cw = 0, worst = 0;

	while (i < v->n || j < n) {
		double x = (j >= n || (i < v->n && v->values[i] <= sorted[j]))
				   ? v->values[i]
				   : sorted[j];
		double e;

		while (i < v->n && v->values[i] <= x)
			cw += v->weights[i++];
		while (j < n && sorted[j] <= x)
			j++;
		e = fabs(cw / v->total - (double)j / (double)n);
		if (e > worst)
			worst = e;
	}
	return worst;
}

static kll_sketch *sketch_of(const double *x, size_t n, unsigned k,
			     uint64_t seed)
{
	kll_sketch *s = malloc(sizeof(*s));
	kpg_err err;

	assert_non_null(s);
	assert_int_equal(kll_init(s, k, seed, &err), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(kll_update(s, x[i], &err), 0);
	return s;
}

static double *draw_uniform(size_t n, unsigned long seed)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	double *x = malloc(n * sizeof(*x));

	assert_non_null(r);
	assert_non_null(x);
	gsl_rng_set(r, seed);
	for (size_t i = 0; i < n; i++)
		x[i] = gsl_rng_uniform(r);
	gsl_rng_free(r);
	return x;
}

/* Heavy ties: 40% one value, the rest Poisson(3) counts. */
static double *draw_ties(size_t n, unsigned long seed)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	double *x = malloc(n * sizeof(*x));

	assert_non_null(r);
	assert_non_null(x);
	gsl_rng_set(r, seed);
	for (size_t i = 0; i < n; i++)
		x[i] = gsl_rng_uniform(r) < 0.4 ? 2.0
						: (double)gsl_ran_poisson(r, 3.0);
	gsl_rng_free(r);
	return x;
}

static double measured(const kll_sketch *s, const double *x, size_t n)
{
	double *sorted = malloc(n * sizeof(*sorted));
	kll_view v;
	kpg_err err;
	double e;

	assert_non_null(sorted);
	memcpy(sorted, x, n * sizeof(*x));
	sort_doubles(sorted, n);
	assert_int_equal(kll_view_build(s, &v, &err), 0);
	assert_true(v.total == (double)n); /* weights conserve the count */
	e = sup_rank_error(&v, sorted, n);
	kll_view_free(&v);
	free(sorted);
	return e;
}

static void check_bound(const double *x, size_t n, const char *what)
{
	kll_sketch *s = sketch_of(x, n, KLL_DEFAULT_K, 42);
	double bound = kll_sketch_rank_error(s), e = measured(s, x, n);

	printf("kll: %s, n=%zu, k=%u: max rank error %.6f, bound %.6f, %zu items held, %zu levels\n",
	       what, n, s->k, e, bound, kll_retained(s), s->n_levels);
	assert_true(bound > 0.016 && bound < 0.017); /* 2.446/200^0.9433 */
	assert_true(e <= bound);
	assert_int_equal(kll_count(s), n);
	kll_free(s);
	free(s);
}

static void test_rank_error_uniform(void **state)
{
	double *x = draw_uniform(BIG_N, 7);
	(void)state;

	check_bound(x, BIG_N, "uniform");
	free(x);
}

static void test_rank_error_ties(void **state)
{
	double *x = draw_ties(BIG_N, 11);
	(void)state;

	check_bound(x, BIG_N, "heavy ties");
	free(x);
}

/* Sketch of A merged with sketch of B against the truth of A u B, and
 * against one sketch fed A then B. */
static void test_merge(void **state)
{
	size_t na = BIG_N / 2, nb = BIG_N / 2;
	double *x = malloc((na + nb) * sizeof(*x)), *a = draw_uniform(na, 3);
	double *b = draw_ties(nb, 5);
	kll_sketch *sa, *sb, *su;
	kll_view vm, vu;
	kpg_err err;
	double bound, e_truth, e_single, *sorted;
	(void)state;

	assert_non_null(x);
	memcpy(x, a, na * sizeof(*x));
	for (size_t i = 0; i < nb; i++)
		x[na + i] = b[i] * 0.25; /* overlaps the uniform part */
	sa = sketch_of(x, na, KLL_DEFAULT_K, 1);
	sb = sketch_of(x + na, nb, KLL_DEFAULT_K, 2);
	su = sketch_of(x, na + nb, KLL_DEFAULT_K, 3);
	assert_int_equal(kll_merge(sa, sb, &err), 0);
	assert_int_equal(kll_count(sa), na + nb);
	assert_true(kll_min(sa) == fmin(kll_min(su), kll_min(sb)));
	assert_true(kll_max(sa) == kll_max(su));
	bound = kll_sketch_rank_error(sa);
	sorted = malloc((na + nb) * sizeof(*sorted));
	assert_non_null(sorted);
	memcpy(sorted, x, (na + nb) * sizeof(*x));
	sort_doubles(sorted, na + nb);
	assert_int_equal(kll_view_build(sa, &vm, &err), 0);
	assert_int_equal(kll_view_build(su, &vu, &err), 0);
	e_truth = sup_rank_error(&vm, sorted, na + nb);
	/* merged vs one sketch of the union: each is within the bound of
	 * the truth, so they are within twice the bound of each other; the
	 * single sketch's items as a "sample" of weight 1 would lose its
	 * weights, so compare ranks at the union's values instead */
	e_single = 0;
	for (size_t i = 0; i < na + nb; i += 997) {
		double d = fabs(kll_view_rank(&vm, sorted[i]) -
				kll_view_rank(&vu, sorted[i]));
		if (d > e_single)
			e_single = d;
	}
	printf("kll: merge of 2 x %zu: max rank error %.6f vs truth, %.6f vs one sketch of the union, bound %.6f\n",
	       na, e_truth, e_single, bound);
	assert_true(e_truth <= bound);
	assert_true(e_single <= 2 * bound);
	assert_int_equal(kll_merge(sa, sa, &err), KPG_EINVAL);
	kll_view_free(&vm);
	kll_view_free(&vu);
	kll_free(sa);
	kll_free(sb);
	kll_free(su);
	free(sa);
	free(sb);
	free(su);
	free(sorted);
	free(x);
	free(a);
	free(b);
}

static int same_sketch(const kll_sketch *a, const kll_sketch *b)
{
	if (a->n_levels != b->n_levels || a->n != b->n)
		return 0;
	for (size_t h = 0; h < a->n_levels; h++)
		if (a->len[h] != b->len[h] ||
		    (a->len[h] &&
		     memcmp(a->items[h], b->items[h], a->len[h] * sizeof(double))))
			return 0;
	return 1;
}

static void test_deterministic(void **state)
{
	double *x = draw_uniform(200000, 9);
	kll_sketch *s1 = sketch_of(x, 200000, 64, 1234);
	kll_sketch *s2 = sketch_of(x, 200000, 64, 1234);
	kll_sketch *s3 = sketch_of(x, 200000, 64, 4321);
	double q1, q2;
	kpg_err err;
	(void)state;

	assert_true(same_sketch(s1, s2));
	assert_false(same_sketch(s1, s3)); /* the coin depends on the seed */
	assert_int_equal(kll_quantile(s1, 0.5, &q1, &err), 0);
	assert_int_equal(kll_quantile(s2, 0.5, &q2, &err), 0);
	assert_true(q1 == q2);
	kll_free(s1);
	kll_free(s2);
	kll_free(s3);
	free(s1);
	free(s2);
	free(s3);
	free(x);
}

/* Items held stay within the rooms: about 3k plus 8 per level. */
static void test_memory_bounded(void **state)
{
	kll_sketch s;
	kpg_err err;
	size_t most = 0;
	(void)state;

	assert_int_equal(kll_init(&s, 100, 5, &err), 0);
	for (size_t i = 0; i < 2000000; i++) {
		assert_int_equal(kll_update(&s, (double)((i * 7919) % 1000003), &err), 0);
		if (kll_retained(&s) > most)
			most = kll_retained(&s);
	}
	printf("kll: k=100, n=2e6: at most %zu items held, %zu levels\n", most,
	       s.n_levels);
	assert_true(most <= 3 * 100 + KLL_MIN_WIDTH * s.n_levels + 1);
	assert_true(s.n_levels <= 20);
	kll_free(&s);
}

/* Fewer values than the first level's room: every value is held, ranks
 * and quantiles are exact and the error bound is 0. */
static void test_exact_small(void **state)
{
	const double x[] = {5, 1, 4, 1, 3, 9, 2, 6};
	kll_sketch s;
	kpg_err err;
	double q;
	(void)state;

	assert_int_equal(kll_init(&s, 0, 0, &err), 0);
	assert_int_equal(s.k, KLL_DEFAULT_K);
	assert_true(isnan(kll_rank(&s, 1.0)));
	assert_int_equal(kll_quantile(&s, 0.5, &q, &err), KPG_EINVAL);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(kll_update(&s, x[i], &err), 0);
	assert_true(kll_sketch_rank_error(&s) == 0);
	assert_true(kll_rank(&s, 1.0) == 2.0 / 8);
	assert_true(kll_rank(&s, 4.5) == 5.0 / 8);
	assert_true(kll_rank(&s, 0.0) == 0);
	assert_true(kll_rank(&s, 9.0) == 1);
	assert_true(kll_min(&s) == 1 && kll_max(&s) == 9);
	/* inclusive: the smallest value whose rank reaches q */
	assert_int_equal(kll_quantile(&s, 0.5, &q, &err), 0);
	assert_true(q == 3);
	assert_int_equal(kll_quantile(&s, 0.0, &q, &err), 0);
	assert_true(q == 1);
	assert_int_equal(kll_quantile(&s, 1.0, &q, &err), 0);
	assert_true(q == 9);
	assert_int_equal(kll_quantile(&s, 1.5, &q, &err), KPG_EINVAL);
	assert_int_equal(kll_update(&s, NAN, &err), KPG_EINVAL);
	assert_int_equal(kll_count(&s), 8);
	kll_free(&s);
	assert_int_equal(kll_init(&s, 7, 0, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "k 7 outside"));
	assert_int_equal(kll_init(&s, 70000, 0, &err), KPG_EINVAL);
}

/* Model Monitor layout: level 0 unsorted weight 1, level 1 weight 2. */
static void test_from_levels(void **state)
{
	const double l0[] = {3, 1, 2}, l1[] = {4, 5};
	const double *levels[] = {l0, l1};
	const size_t lens[] = {3, 2};
	kll_view v;
	kpg_err err;
	(void)state;

	assert_int_equal(kll_from_levels(levels, lens, 2, &v, &err), 0);
	assert_int_equal(v.n, 5);
	assert_true(v.total == 7);
	for (size_t i = 0; i < 5; i++) {
		assert_true(v.values[i] == (double)(i + 1));
		assert_true(v.weights[i] == (i < 3 ? 1.0 : 2.0));
	}
	assert_true(kll_view_rank(&v, 3) == 3.0 / 7);
	assert_true(kll_view_rank(&v, 4) == 5.0 / 7);
	assert_true(kll_view_rank(&v, 0.5) == 0);
	assert_true(kll_view_quantile(&v, 0.5) == 4); /* 3.5 of 7 reached at 4 */
	assert_true(kll_view_quantile(&v, 3.0 / 7) == 3);
	assert_true(isnan(kll_view_quantile(&v, -0.1)));
	kll_view_free(&v);
}

static void test_from_levels_bad(void **state)
{
	const double ok[] = {1}, bad[] = {1, NAN}, inf[] = {INFINITY};
	const double *levels[KLL_MAX_LEVELS + 1];
	size_t lens[KLL_MAX_LEVELS + 1] = {0};
	kll_view v;
	kpg_err err;
	(void)state;

	for (size_t h = 0; h <= KLL_MAX_LEVELS; h++)
		levels[h] = ok;
	assert_int_equal(kll_from_levels(levels, lens, KLL_MAX_LEVELS + 1, &v, &err),
			 KPG_ETOOBIG);
	assert_non_null(strstr(err.msg, "levels"));
	assert_int_equal(kll_from_levels(levels, lens, 3, &v, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "no items"));
	levels[1] = bad;
	lens[1] = 2;
	assert_int_equal(kll_from_levels(levels, lens, 2, &v, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "level 1 item 1"));
	levels[1] = inf;
	lens[1] = 1;
	assert_int_equal(kll_from_levels(levels, lens, 2, &v, &err), KPG_EINVAL);
	/* level 60 with 2^53 / 2^60 ... one item of 2^60 is too heavy */
	levels[1] = ok;
	lens[1] = 0;
	lens[60] = 1;
	assert_int_equal(kll_from_levels(levels, lens, 61, &v, &err), KPG_ETOOBIG);
	assert_non_null(strstr(err.msg, "2^53"));
	assert_null(v.values);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rank_error_uniform),
		cmocka_unit_test(test_rank_error_ties),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_memory_bounded),
		cmocka_unit_test(test_exact_small),
		cmocka_unit_test(test_from_levels),
		cmocka_unit_test(test_from_levels_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
