/* sort_doubles against gsl_sort: random, tied, negative, infinite and
 * signed-zero values, sizes around the quicksort's insertion cut-off and
 * the radix threshold, sorted, reversed and all-equal inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sort.h"

static void check_against_gsl(double *v, size_t n)
{
	double *w = malloc(n * sizeof(*w) + 1);

	assert_non_null(w);
	memcpy(w, v, n * sizeof(*w));
	sort_doubles(v, n);
	gsl_sort(w, 1, n);
	for (size_t i = 0; i < n; i++)
		assert_true(v[i] == w[i]); /* -0.0 == 0.0 */
	for (size_t i = 1; i < n; i++) {
		assert_true(v[i - 1] <= v[i]);
		/* as documented: -0.0 before 0.0, whichever path sorted */
		assert_false(v[i] == 0 && !signbit(v[i - 1]) && signbit(v[i]));
	}
	free(w);
}

static void test_matches_gsl(void **state)
{
	/* the quicksort below 512 (its insertion sort below 17), the radix
	 * sort from 512 */
	static const size_t sizes[] = {0, 1, 2, 3, 15, 16, 17, 18, 31, 64, 100,
				       257, 300, 510, 511, 512, 513, 4096, 100000};
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	double *v = malloc(100000 * sizeof(*v));

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];

		for (int kind = 0; kind < 4; kind++) {
			for (size_t i = 0; i < n; i++) {
				switch (kind) {
				case 0: v[i] = gsl_ran_gaussian(r, 1e3); break;
				case 1: v[i] = (double)gsl_rng_uniform_int(r, 7) - 3; break;
				case 2: v[i] = gsl_ran_cauchy(r, 1e-300) * (i % 2 ? 1 : -1); break;
				default:
					v[i] = i % 5 == 0 ? -0.0 : i % 5 == 1 ? 0.0
							   : i % 5 == 2       ? INFINITY
							   : i % 5 == 3       ? -INFINITY
									      : gsl_rng_uniform(r);
				}
			}
			check_against_gsl(v, n);
		}
	}
	free(v);
	gsl_rng_free(r);
}

static void test_all_equal_and_sorted_inputs(void **state)
{
	double *v = malloc(5000 * sizeof(*v));

	(void)state;
	for (size_t n = 17; n < 5000; n = n < 500 ? n * 3 : 5000) { /* 17..459: quicksort */
		for (size_t i = 0; i < n; i++)
			v[i] = 42.5;
		check_against_gsl(v, n);
		for (size_t i = 0; i < n; i++)
			v[i] = (double)i;
		check_against_gsl(v, n);
		for (size_t i = 0; i < n; i++)
			v[i] = (double)(n - i);
		check_against_gsl(v, n);
		for (size_t i = 0; i < n; i++) /* organ pipe */
			v[i] = (double)(i < n / 2 ? i : n - i);
		check_against_gsl(v, n);
	}
	for (int i = 0; i < 5000; i++)
		v[i] = 42.5;
	check_against_gsl(v, 5000);
	for (int i = 0; i < 5000; i++)
		v[i] = 5000 - i;
	check_against_gsl(v, 5000);
	assert_true(v[0] == 1 && v[4999] == 5000);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_gsl),
		cmocka_unit_test(test_all_equal_and_sorted_inputs),
	};
	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
