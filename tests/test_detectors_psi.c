/* test_detectors_psi.c - PSI edge cases: numpy's quantile, duplicate edges,
 * values exactly on edges, open outer bins, the 1e-4 floor, categorical
 * counts with an unseen bin, and argument errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_errno.h>

#include "psi.h"

/* (p_cur - p_ref) * ln(p_cur / p_ref), written out for expected values */
static double term(double pc, double pr)
{
	return (pc - pr) * log(pc / pr);
}

static void test_quantile_matches_numpy(void **state)
{
	const double one[] = {3.5};
	const double four[] = {1, 2, 3, 4};
	const double lerp[] = {0.1, 0.7, 1.3, 2.9};

	(void)state;
	assert_true(psi_quantile_sorted(one, 1, 0.0) == 3.5);
	assert_true(psi_quantile_sorted(one, 1, 0.7) == 3.5);
	assert_true(psi_quantile_sorted(four, 4, 0.0) == 1.0);
	assert_true(psi_quantile_sorted(four, 4, 1.0) == 4.0);
	assert_true(psi_quantile_sorted(four, 4, 0.5) == 2.5);
	assert_true(psi_quantile_sorted(four, 4, 0.25) == 1.75);
	assert_true(psi_quantile_sorted(four, 4, 1.0 / 3) == 2.0);
	/* numpy.quantile([0.1, 0.7, 1.3, 2.9], 0.9): t = 0.7 >= 0.5, so the
	 * result is b - (b - a)(1 - t), one ulp above a + (b - a) t */
	assert_true(psi_quantile_sorted(lerp, 4, 0.9) == 0x1.35c28f5c28f5dp+1);
	assert_true(isnan(psi_quantile_sorted(four, 0, 0.5)));
}

static void test_duplicate_edges_collapse(void **state)
{
	double ref[100];
	psi_ref r;
	kpg_err err;
	size_t i;

	(void)state;
	for (i = 0; i < 100; i++)
		ref[i] = 7.0;
	assert_int_equal(psi_ref_build(&r, ref, 100, 10, &err), 0);
	/* nine equal quantiles become one edge: two bins */
	assert_int_equal(r.n_bins, 2);
	assert_true(r.edges[0] == 7.0);
	/* 7.0 is not strictly above the edge 7.0: everything in bin 0 */
	assert_true(r.ref_prop[0] == 1.0);
	assert_true(r.ref_prop[1] == 0.0);
	psi_ref_free(&r);

	/* many ties: 0,0,0,0,0,1,1,1,2,9 with 10 bins */
	{
		const double t[] = {0, 0, 0, 0, 0, 1, 1, 1, 2, 9};

		assert_int_equal(psi_ref_build(&r, t, 10, 10, &err), 0);
		for (i = 1; i + 1 < r.n_bins; i++)
			assert_true(r.edges[i] > r.edges[i - 1]);
		assert_true(r.n_bins < 10);
		psi_ref_free(&r);
	}
}

static void test_values_on_edges_go_low(void **state)
{
	const double ref[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
	const double cur[] = {2, 4, 6};
	double v, want;
	psi_ref r;
	kpg_err err;

	(void)state;
	/* quantiles at 1/4, 2/4, 3/4 of 0..8 are exactly 2, 4, 6 */
	assert_int_equal(psi_ref_build(&r, ref, 9, 4, &err), 0);
	assert_int_equal(r.n_bins, 4);
	assert_true(r.edges[0] == 2 && r.edges[1] == 4 && r.edges[2] == 6);
	assert_true(r.ref_prop[0] == 3.0 / 9);
	assert_true(r.ref_prop[1] == 2.0 / 9);
	assert_true(r.ref_prop[3] == 2.0 / 9);
	/* 2 -> bin 0, 4 -> bin 1, 6 -> bin 2, bin 3 empty -> 1e-4 */
	assert_int_equal(psi_numeric(&r, cur, 3, &v, &err), 0);
	want = term(1.0 / 3, 3.0 / 9) + term(1.0 / 3, 2.0 / 9) +
	       term(1.0 / 3, 2.0 / 9) + term(PSI_EPSILON, 2.0 / 9);
	assert_true(fabs(v - want) <= 1e-15 * want);
	psi_ref_free(&r);
}

static void test_outer_bins_open(void **state)
{
	const double ref[] = {1, 2, 3, 4};
	const double cur[] = {-INFINITY, -1e300, 1e300, INFINITY};
	double v, want;
	psi_ref r;
	kpg_err err;

	(void)state;
	assert_int_equal(psi_ref_build(&r, ref, 4, 2, &err), 0);
	assert_int_equal(r.n_bins, 2);
	assert_true(r.ref_prop[0] == 0.5 && r.ref_prop[1] == 0.5);
	/* two values far below, two far above: same proportions, PSI 0 */
	assert_int_equal(psi_numeric(&r, cur, 4, &v, &err), 0);
	assert_true(v == 0.0);
	/* all current values above the top edge */
	assert_int_equal(psi_numeric(&r, cur + 2, 2, &v, &err), 0);
	want = term(PSI_EPSILON, 0.5) + term(1.0, 0.5);
	assert_true(fabs(v - want) <= 1e-15 * want);
	psi_ref_free(&r);
}

static void test_identical_is_zero_and_shift_grows(void **state)
{
	double ref[1000], cur[1000], v0, v1, v2;
	psi_ref r;
	kpg_err err;
	size_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		ref[i] = (double)i / 1000;
	assert_int_equal(psi_ref_build(&r, ref, 1000, PSI_DEFAULT_BINS, &err), 0);
	assert_int_equal(r.n_bins, PSI_DEFAULT_BINS);
	assert_int_equal(psi_numeric(&r, ref, 1000, &v0, &err), 0);
	assert_true(v0 == 0.0);
	for (i = 0; i < 1000; i++)
		cur[i] = ref[i] + 0.05;
	assert_int_equal(psi_numeric(&r, cur, 1000, &v1, &err), 0);
	for (i = 0; i < 1000; i++)
		cur[i] = ref[i] + 0.2;
	assert_int_equal(psi_numeric(&r, cur, 1000, &v2, &err), 0);
	assert_true(v1 > 0 && v2 > v1);
	psi_ref_free(&r);
}

static void test_numeric_equals_counts(void **state)
{
	const double ref[] = {0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5};
	const double cur[] = {0, 0.7, 1.2, 2.2, 2.2, 2.2, 9, 9, 9};
	double rc[PSI_MAX_BINS] = {0}, cc[PSI_MAX_BINS] = {0}, v1, v2;
	psi_ref r;
	kpg_err err;
	size_t i, j;

	(void)state;
	assert_int_equal(psi_ref_build(&r, ref, 11, 5, &err), 0);
	for (i = 0; i < r.n_bins; i++)
		rc[i] = r.ref_prop[i] * 11;
	/* bin by hand with a linear scan (edges strictly below the value) */
	for (i = 0; i < 9; i++) {
		size_t b = 0;

		for (j = 0; j + 1 < r.n_bins; j++)
			b += r.edges[j] < cur[i];
		cc[b] += 1;
	}
	assert_int_equal(psi_numeric(&r, cur, 9, &v1, &err), 0);
	assert_int_equal(psi_from_counts(rc, cc, r.n_bins, &v2, &err), 0);
	assert_true(fabs(v1 - v2) <= 1e-14 * v1);
	psi_ref_free(&r);
}

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static double next_uniform(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) * 0x1.0p-53;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The sorted-input variants give the per-value functions' results bit for
 * bit: values on the edges, ties, values outside every edge, few and many
 * bins, and weights summed in index order. */
static void test_sorted_equals_per_value(void **state)
{
	enum { N = 5000 };
	static double ref[N], cur[N], w[N];
	const unsigned bins[] = {2, 3, 10, 50};
	(void)state;

	for (int round = 0; round < 40; round++) {
		int levels = round % 4 == 0 ? 7 : 0; /* ties on the edges */
		size_t m = 1 + (size_t)(next_uniform() * (N - 1));
		psi_ref r;
		kpg_err err;
		double a, b, ca[64], cb[64];

		for (size_t i = 0; i < N; i++)
			ref[i] = levels ? floor(next_uniform() * levels) : next_uniform();
		for (size_t i = 0; i < m; i++) {
			cur[i] = levels ? floor(next_uniform() * (levels + 2)) - 1
					: next_uniform() * 1.4 - 0.2;
			w[i] = floor(next_uniform() * 5) + 0.25 * (i % 3);
		}
		qsort(ref, N, sizeof(double), cmp_double);
		qsort(cur, m, sizeof(double), cmp_double);
		assert_int_equal(psi_ref_build(&r, ref, N, bins[round % 4], &err), 0);
		assert_int_equal(psi_numeric(&r, cur, m, &a, &err), 0);
		assert_int_equal(psi_numeric_sorted(&r, cur, m, &b, &err), 0);
		assert_memory_equal(&a, &b, sizeof(double));
		assert_int_equal(psi_bin_counts_weighted(&r, cur, NULL, m, ca, &err), 0);
		assert_int_equal(psi_bin_counts_sorted(&r, cur, NULL, m, cb, &err), 0);
		assert_memory_equal(ca, cb, r.n_bins * sizeof(double));
		assert_int_equal(psi_bin_counts_weighted(&r, cur, w, m, ca, &err), 0);
		assert_int_equal(psi_bin_counts_sorted(&r, cur, w, m, cb, &err), 0);
		assert_memory_equal(ca, cb, r.n_bins * sizeof(double));
		psi_ref_free(&r);
	}
}

static void test_categorical_unseen(void **state)
{
	/* categories a, b, plus "unseen": never in the reference */
	const double ref[] = {50, 50, 0};
	const double cur[] = {40, 40, 20};
	double v, want;
	kpg_err err;

	(void)state;
	assert_int_equal(psi_from_counts(ref, cur, 3, &v, &err), 0);
	want = 2 * term(0.4, 0.5) + term(0.2, PSI_EPSILON);
	assert_true(fabs(v - want) <= 1e-15 * want);
	/* no renormalisation: same counts scaled give the same PSI */
	{
		const double cur10[] = {400, 400, 200};
		double v10;

		assert_int_equal(psi_from_counts(ref, cur10, 3, &v10, &err), 0);
		assert_true(v10 == v);
	}
	assert_int_equal(psi_from_counts(ref, ref, 3, &v, &err), 0);
	assert_true(v == 0.0);
}

static void test_errors(void **state)
{
	const double ok[] = {1, 2, 3};
	const double unsorted[] = {1, 3, 2};
	const double withnan[] = {1, NAN, 3};
	const double zeros[] = {0, 0, 0};
	const double neg[] = {1, -1, 3};
	psi_ref r;
	kpg_err err;
	double v;

	(void)state;
	assert_int_equal(psi_ref_build(&r, ok, 3, 1, &err), KPG_EINVAL);
	assert_int_equal(psi_ref_build(&r, ok, 3, PSI_MAX_BINS + 1, &err),
			 KPG_EINVAL);
	assert_int_equal(psi_ref_build(&r, ok, 0, 10, &err), KPG_EINVAL);
	assert_int_equal(psi_ref_build(&r, unsorted, 3, 10, &err), KPG_EINVAL);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(psi_ref_build(&r, withnan, 3, 10, &err), KPG_EINVAL);
	assert_null(r.edges);
	psi_ref_free(&r); /* safe on a failed build */

	assert_int_equal(psi_ref_build(&r, ok, 3, 2, &err), 0);
	assert_int_equal(psi_numeric(&r, withnan, 3, &v, &err), KPG_EINVAL);
	assert_int_equal(psi_numeric(&r, ok, 0, &v, &err), KPG_EINVAL);
	psi_ref_free(&r);
	psi_ref_free(&r); /* and twice */
	assert_int_equal(psi_numeric(&r, ok, 3, &v, &err), KPG_EINVAL);

	assert_int_equal(psi_from_counts(zeros, ok, 3, &v, &err), KPG_EINVAL);
	assert_int_equal(psi_from_counts(ok, zeros, 3, &v, &err), KPG_EINVAL);
	assert_int_equal(psi_from_counts(ok, neg, 3, &v, &err), KPG_EINVAL);
	assert_int_equal(psi_from_counts(ok, withnan, 3, &v, &err), KPG_EINVAL);
	assert_int_equal(psi_from_counts(ok, ok, 0, &v, &err), KPG_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile_matches_numpy),
		cmocka_unit_test(test_duplicate_edges_collapse),
		cmocka_unit_test(test_values_on_edges_go_low),
		cmocka_unit_test(test_outer_bins_open),
		cmocka_unit_test(test_identical_is_zero_and_shift_grows),
		cmocka_unit_test(test_numeric_equals_counts),
		cmocka_unit_test(test_sorted_equals_per_value),
		cmocka_unit_test(test_categorical_unseen),
		cmocka_unit_test(test_errors),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
