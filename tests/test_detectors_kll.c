/* test_detectors_kll.c - the KLL sketch: its sup-norm rank error on 1e6
 * values (uniform, and heavy ties) within kll_rank_error(k), merging,
 * determinism for a seed, bounded memory, exactness before the first
 * compaction, the weighted view of Model Monitor style levels, bad
 * input, and kll_restore: round trips that go on bit for bit, every
 * state a sketch passes through, and corrupt checkpoints refused. The measured errors are printed ("kll: ...") for the record. */
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

/* A sketch as a checkpoint holds it: the struct's scalars and a copy of
 * each level read through kll_level. items[] are the test's (caller
 * frees with saved_free); the mutators of test_restore_corrupt edit them. */
typedef struct saved {
	unsigned k, min_k;
	uint64_t n, rng, compactions;
	double min, max;
	size_t n_levels;
	double *items[KLL_MAX_LEVELS + 1];
	size_t lens[KLL_MAX_LEVELS + 1];
} saved;

static void saved_free(saved *o)
{
	for (size_t h = 0; h <= KLL_MAX_LEVELS; h++)
		free(o->items[h]);
	memset(o, 0, sizeof(*o));
}

static void save(const kll_sketch *s, saved *o)
{
	size_t len;

	memset(o, 0, sizeof(*o));
	o->k = s->k;
	o->min_k = s->min_k;
	o->n = s->n;
	o->rng = s->rng;
	o->compactions = s->compactions;
	o->min = s->min;
	o->max = s->max;
	o->n_levels = s->n_levels;
	for (size_t h = 0; h < s->n_levels; h++) {
		const double *v = kll_level(s, h, &len);

		o->lens[h] = len;
		o->items[h] = malloc((len ? len : 1) * sizeof(double));
		assert_non_null(o->items[h]);
		if (len)
			memcpy(o->items[h], v, len * sizeof(double));
	}
	assert_null(kll_level(s, s->n_levels, &len));
	assert_int_equal(len, 0);
}

/* r is filled with garbage first: kll_restore takes it uninitialised. */
static int restore(kll_sketch *r, const saved *o, kpg_err *err)
{
	const double *levels[KLL_MAX_LEVELS + 1];

	for (size_t h = 0; h <= KLL_MAX_LEVELS; h++)
		levels[h] = o->items[h];
	memset(r, 0xA5, sizeof(*r));
	return kll_restore(r, o->k, o->min_k, o->n, o->min, o->max, o->rng,
			   o->compactions, levels, o->lens, o->n_levels, err);
}

/* Every field and every level, bit for bit (alloc aside: capacity). */
static int same_full(const kll_sketch *a, const kll_sketch *b)
{
	return a->k == b->k && a->min_k == b->min_k && a->rng == b->rng &&
	       a->compactions == b->compactions &&
	       memcmp(&a->min, &b->min, sizeof(double)) == 0 &&
	       memcmp(&a->max, &b->max, sizeof(double)) == 0 &&
	       same_sketch(a, b);
}

static void round_trip(const kll_sketch *s, kll_sketch *r)
{
	saved sv;
	kpg_err err;

	save(s, &sv);
	assert_int_equal(restore(r, &sv, &err), 0);
	saved_free(&sv); /* r owns copies: the buffers can go */
	assert_true(same_full(s, r));
}

/* 1e5 values (many compactions) saved and restored, then the same next
 * 1e5 values into both: identical levels, ranks and quantiles; and a
 * merge after the restore gives the same sketch as without it. */
static void test_restore_round_trip(void **state)
{
	const double at[] = {-1, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999, 2};
	double *x = draw_uniform(200000, 21), *y = draw_ties(100000, 22);
	kll_sketch *s = sketch_of(x, 100000, KLL_DEFAULT_K, 77);
	kll_sketch *o = sketch_of(y, 100000, 64, 5), r, ms, mr;
	double qs, qr;
	kpg_err err;
	(void)state;

	assert_true(s->compactions > 100 && s->n_levels > 5);
	round_trip(s, &r);
	for (size_t i = 100000; i < 200000; i++) {
		assert_int_equal(kll_update(s, x[i], &err), 0);
		assert_int_equal(kll_update(&r, x[i], &err), 0);
	}
	assert_true(same_full(s, &r));
	assert_int_equal(kll_count(&r), 200000);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		assert_true(kll_rank(s, at[i]) == kll_rank(&r, at[i]));
	assert_int_equal(kll_quantile(s, 0.5, &qs, &err), 0);
	assert_int_equal(kll_quantile(&r, 0.5, &qr, &err), 0);
	assert_true(qs == qr);
	assert_true(kll_sketch_rank_error(&r) == kll_sketch_rank_error(s));
	/* another sketch (k 64, ties) merged into both */
	assert_int_equal(kll_merge(s, o, &err), 0);
	assert_int_equal(kll_merge(&r, o, &err), 0);
	assert_true(same_full(s, &r));
	assert_int_equal(r.min_k, 64);
	/* the restored sketch merged into a fresh one, as the original */
	assert_int_equal(kll_init(&ms, 100, 8, &err), 0);
	assert_int_equal(kll_init(&mr, 100, 8, &err), 0);
	assert_int_equal(kll_merge(&ms, s, &err), 0);
	assert_int_equal(kll_merge(&mr, &r, &err), 0);
	assert_true(same_full(&ms, &mr));
	kll_free(&ms);
	kll_free(&mr);
	kll_free(&r);
	kll_free(s);
	kll_free(o);
	free(s);
	free(o);
	free(x);
	free(y);
}

/* An empty sketch: NaN min and max, one level, no items; it goes on as
 * a fresh one. */
static void test_restore_empty(void **state)
{
	kll_sketch s, r;
	size_t len;
	kpg_err err;
	(void)state;

	assert_int_equal(kll_init(&s, 100, 3, &err), 0);
	round_trip(&s, &r);
	assert_true(isnan(r.min) && isnan(r.max));
	assert_int_equal(kll_count(&r), 0);
	assert_int_equal(r.n_levels, 1);
	assert_null(kll_level(&r, 0, &len));
	assert_int_equal(len, 0);
	assert_true(isnan(kll_rank(&r, 1.0)));
	for (size_t i = 0; i < 5000; i++) {
		assert_int_equal(kll_update(&s, (double)((i * 31) % 977), &err), 0);
		assert_int_equal(kll_update(&r, (double)((i * 31) % 977), &err), 0);
	}
	assert_true(r.compactions > 0);
	assert_true(same_full(&s, &r));
	kll_free(&s);
	kll_free(&r);
}

/* Never compacted: exact (error 0) after the restore too. At k + 1
 * values a level is added without a compaction and level 0 holds more
 * than its room (201 > 134): the restore must take that. */
static void test_restore_never_compacted(void **state)
{
	const size_t sizes[] = {1, 150, 201, 334};
	(void)state;

	for (size_t c = 0; c < sizeof(sizes) / sizeof(sizes[0]); c++) {
		kll_sketch s, r;
		kpg_err err;

		assert_int_equal(kll_init(&s, 200, c + 1, &err), 0);
		for (size_t i = 0; i < sizes[c]; i++)
			assert_int_equal(kll_update(&s, (double)((i * 7) % 101) - 50, &err), 0);
		assert_int_equal(s.compactions, 0);
		assert_int_equal(s.n_levels, sizes[c] > 200 ? 2 : 1);
		round_trip(&s, &r);
		assert_true(kll_sketch_rank_error(&r) == 0);
		assert_true(kll_min(&r) == -50 || sizes[c] == 1);
		for (size_t i = 0; i < 1000; i++) {
			assert_int_equal(kll_update(&s, (double)i / 7, &err), 0);
			assert_int_equal(kll_update(&r, (double)i / 7, &err), 0);
		}
		assert_true(r.compactions > 0);
		assert_true(same_full(&s, &r));
		kll_free(&s);
		kll_free(&r);
	}
}

/* Every state a sketch passes through restores (the structural checks
 * refuse nothing real): k 8, after each value, then after a merge into
 * a k 16 sketch (min_k 8, more levels than its own) and more values. */
static void test_restore_every_state(void **state)
{
	double *x = draw_uniform(3000, 31), *y = draw_ties(3000, 32);
	kll_sketch a, b, r;
	kpg_err err;
	(void)state;

	assert_int_equal(kll_init(&a, 8, 1, &err), 0);
	assert_int_equal(kll_init(&b, 16, 2, &err), 0);
	for (size_t i = 0; i < 3000; i++) {
		assert_int_equal(kll_update(&a, x[i], &err), 0);
		round_trip(&a, &r);
		kll_free(&r);
	}
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(kll_update(&b, y[i], &err), 0);
	assert_int_equal(kll_merge(&b, &a, &err), 0);
	assert_int_equal(b.min_k, 8);
	for (size_t i = 100; i < 3000; i++) {
		assert_int_equal(kll_update(&b, y[i], &err), 0);
		round_trip(&b, &r);
		kll_free(&r);
	}
	printf("kll: restored every state of k 8 to %zu levels, merged into k 16: %zu levels\n",
	       a.n_levels, b.n_levels);
	kll_free(&a);
	kll_free(&b);
	free(x);
	free(y);
}

/* Replaces o's levels with one level 0 of v[0..n), n values, never
 * compacted. */
static void set_small(saved *o, const double *v, size_t n, double min,
		      double max)
{
	unsigned k = o->k;

	saved_free(o);
	o->k = o->min_k = k;
	o->rng = 12345;
	o->n = n;
	o->min = min;
	o->max = max;
	o->n_levels = 1;
	o->lens[0] = n;
	o->items[0] = malloc((n ? n : 1) * sizeof(double));
	assert_non_null(o->items[0]);
	if (n)
		memcpy(o->items[0], v, n * sizeof(double));
}

static void m_count_up(saved *o) { o->n++; }
static void m_drop_level1(saved *o) { o->lens[1]--; }
static void m_unsorted1(saved *o)
{
	double t = o->items[1][0];

	o->items[1][0] = o->items[1][1];
	o->items[1][1] = t;
}
static void m_nan0(saved *o) { o->items[0][0] = NAN; }
static void m_inf2(saved *o) { o->items[2][0] = -INFINITY; }
static void m_above_max(saved *o) { o->items[0][0] = o->max + 1; }
static void m_below_min(saved *o) { o->items[1][0] = o->min - 1; }
static void m_rng0(saved *o) { o->rng = 0; }
static void m_k7(saved *o) { o->k = 7; }
static void m_k_big(saved *o) { o->k = KLL_MAX_K + 1; }
static void m_min_k7(saved *o) { o->min_k = 7; }
static void m_min_k_over(saved *o) { o->min_k = o->k + 1; }
static void m_levels0(saved *o) { o->n_levels = 0; }
static void m_levels62(saved *o) { o->n_levels = KLL_MAX_LEVELS + 1; }
static void m_levels20(saved *o) { o->n_levels = 20; }
static void m_len_huge0(saved *o) { o->lens[0] = SIZE_MAX / 2; }
static void m_len_huge3(saved *o) { o->lens[3] = (size_t)1 << 40; }
static void m_over_rooms(saved *o)
{
	const double v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

	o->k = 8;
	set_small(o, v, 9, 1, 9); /* weights fine, 9 items in a room of 8 */
}
static void m_compactions0(saved *o) { o->compactions = 0; }
static void m_compactions_flat(saved *o)
{
	const double v[] = {1, 2, 3};

	set_small(o, v, 3, 1, 3);
	o->compactions = 5;
}
static void m_min_not_held(saved *o)
{
	const double v[] = {1, 2, 3};

	set_small(o, v, 3, 0.5, 3);
}
static void m_empty_min(saved *o)
{
	set_small(o, NULL, 0, 0, 0);
}
static void m_empty_compacted(saved *o)
{
	set_small(o, NULL, 0, NAN, NAN);
	o->compactions = 1;
}
static void m_count_huge(saved *o) { o->n = ((uint64_t)1 << 53) + 1; }
static void m_min_max_swapped(saved *o)
{
	double t = o->min;

	o->min = o->max;
	o->max = t;
}
static void m_max_inf(saved *o) { o->max = INFINITY; }
static void m_null_level(saved *o)
{
	free(o->items[1]);
	o->items[1] = NULL;
}

typedef struct corrupt_case {
	const char *what;
	void (*mutate)(saved *o);
	int rc;
	const char *msg; /* in err.msg */
} corrupt_case;

/* Each case breaks one thing in a good saved sketch (k 16, 1000 values,
 * several levels); kll_restore must refuse it with a message naming it,
 * leave the sketch zeroed, and (under ASan) leak nothing. */
static void test_restore_corrupt(void **state)
{
	static const corrupt_case cases[] = {
		{"count off by one", m_count_up, KPG_EINTEGRITY, "but the count is 1001"},
		{"a level 1 item lost", m_drop_level1, KPG_EINTEGRITY, "weigh 998"},
		{"level 1 unsorted", m_unsorted1, KPG_EINTEGRITY, "level 1 is not sorted at item 1"},
		{"NaN item", m_nan0, KPG_EINTEGRITY, "level 0 item 0 is not a finite"},
		{"infinite item", m_inf2, KPG_EINTEGRITY, "level 2 item 0 is not a finite"},
		{"item above max", m_above_max, KPG_EINTEGRITY, "level 0 item 0"},
		{"item below min", m_below_min, KPG_EINTEGRITY, "outside [min"},
		{"rng 0", m_rng0, KPG_EINTEGRITY, "rng state is 0"},
		{"k 7", m_k7, KPG_EINTEGRITY, "k 7 and min_k 16"},
		{"k 65536", m_k_big, KPG_EINTEGRITY, "k 65536"},
		{"min_k 7", m_min_k7, KPG_EINTEGRITY, "min_k 7"},
		{"min_k > k", m_min_k_over, KPG_EINTEGRITY, "min_k 17"},
		{"no levels", m_levels0, KPG_EINTEGRITY, "0 levels, not 1..61"},
		{"62 levels", m_levels62, KPG_EINTEGRITY, "62 levels, not 1..61"},
		{"20 levels for 1000 values", m_levels20, KPG_EINTEGRITY, "20 levels for 1000 values"},
		{"level 0 length huge", m_len_huge0, KPG_EINTEGRITY, "level 0 length"},
		{"level 3 length 2^40", m_len_huge3, KPG_EINTEGRITY, "level 3 length 1099511627776"},
		{"more items than the rooms", m_over_rooms, KPG_EINTEGRITY, "level 0 length 9 takes the items held past the 8"},
		{"compactions 0 with levels", m_compactions0, KPG_EINTEGRITY, "compactions 0 but"},
		{"compactions with one level", m_compactions_flat, KPG_EINTEGRITY, "compactions 5 but 3 of 3"},
		{"min not among exact items", m_min_not_held, KPG_EINTEGRITY, "never compacted but min 0.5"},
		{"empty with a min", m_empty_min, KPG_EINTEGRITY, "min 0 and max 0 for 0 values"},
		{"empty and compacted", m_empty_compacted, KPG_EINTEGRITY, "compactions 1 but 0 of 0"},
		{"count above 2^53", m_count_huge, KPG_EINTEGRITY, "above 2^53"},
		{"min above max", m_min_max_swapped, KPG_EINTEGRITY, "for 1000 values"},
		{"max infinite", m_max_inf, KPG_EINTEGRITY, "max inf"},
		{"level without array", m_null_level, KPG_EINVAL, "level 1 has"},
	};
	double *x = draw_uniform(1000, 41);
	kll_sketch *s = sketch_of(x, 1000, 16, 9), r, zero;
	saved good;
	(void)state;

	memset(&zero, 0, sizeof(zero));
	save(s, &good);
	assert_true(good.n_levels >= 4 && good.n_levels < 20);
	assert_true(good.lens[1] >= 2 && good.lens[2] >= 1);
	assert_true(good.items[1][0] < good.items[1][1]);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		saved o = good;
		kpg_err err;
		int rc;

		for (size_t h = 0; h < good.n_levels; h++) {
			o.items[h] = malloc((good.lens[h] ? good.lens[h] : 1) * sizeof(double));
			assert_non_null(o.items[h]);
			memcpy(o.items[h], good.items[h], good.lens[h] * sizeof(double));
		}
		cases[c].mutate(&o);
		err.msg[0] = '\0';
		rc = restore(&r, &o, &err);
		printf("kll: corrupt %s: %s\n", cases[c].what, err.msg);
		if (rc != cases[c].rc || strstr(err.msg, cases[c].msg) == NULL)
			fail_msg("%s: rc %d, \"%s\"; wanted %d, \"%s\"", cases[c].what,
				 rc, err.msg, cases[c].rc, cases[c].msg);
		assert_memory_equal(&r, &zero, sizeof(r));
		kll_free(&r);
		saved_free(&o);
	}
	/* the good one restores (the cases broke only what they say) */
	assert_int_equal(restore(&r, &good, NULL), 0);
	assert_true(same_full(s, &r));
	kll_free(&r);
	{
		kpg_err err;
		const double *levels[1] = {NULL};

		memset(&r, 0xA5, sizeof(r));
		assert_int_equal(kll_restore(&r, 16, 16, 0, NAN, NAN, 1, 0, levels,
					     NULL, 1, &err),
				 KPG_EINVAL);
		assert_memory_equal(&r, &zero, sizeof(r));
	}
	saved_free(&good);
	kll_free(s);
	free(s);
	free(x);
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
		cmocka_unit_test(test_restore_round_trip),
		cmocka_unit_test(test_restore_empty),
		cmocka_unit_test(test_restore_never_compacted),
		cmocka_unit_test(test_restore_every_state),
		cmocka_unit_test(test_restore_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
