/* The galloping KS statistic (ks_walk.h) against the plain walk over
 * every distinct pooled value (ks.c's former loop, kept here as the
 * oracle): equal bit for bit on random samples of every size relation,
 * with and without ties, one-value samples, disjoint and interleaved
 * ranges, and infinities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ks_walk.h"
#include "sort.h"

static double oracle(const double *a, size_t n, const double *b, size_t m)
{
	double dn = (double)n, dm = (double)m, maxs = -INFINITY, mins = INFINITY;
	size_t i = 0, j = 0;

	while (i < n || j < m) {
		double v = (j >= m || (i < n && a[i] <= b[j])) ? a[i] : b[j];
		double diff;

		while (i < n && a[i] <= v)
			i++;
		while (j < m && b[j] <= v)
			j++;
		diff = (double)i / dn - (double)j / dm;
		if (diff > maxs)
			maxs = diff;
		if (diff < mins)
			mins = diff;
	}
	mins = -mins;
	mins = mins < 0 ? 0 : (mins > 1 ? 1 : mins);
	return mins > maxs ? mins : maxs;
}

static uint64_t rng = 88172645463325252ULL;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) * 0x1.0p-53;
}

/* n values: continuous in [lo, lo + width), or integers 0..levels-1 */
static double *draw(size_t n, double lo, double width, int levels)
{
	double *x = malloc(n * sizeof(*x));

	assert_non_null(x);
	for (size_t i = 0; i < n; i++)
		x[i] = levels > 0 ? floor(uniform() * levels) : lo + width * uniform();
	sort_doubles(x, n);
	return x;
}

static void same(const double *a, size_t n, const double *b, size_t m)
{
	double want = oracle(a, n, b, m), got = ks_walk_statistic(a, n, b, m);
	double swapped = ks_walk_statistic(b, m, a, n);

	assert_memory_equal(&got, &want, sizeof(double));
	/* the statistic is symmetric, and so is each walk's */
	want = oracle(b, m, a, n);
	assert_memory_equal(&swapped, &want, sizeof(double));
}

static void test_random_sizes_and_ties(void **state)
{
	const size_t sizes[] = {1, 2, 3, 7, 64, 1000, 10000, 50000};
	const int levels[] = {0, 1, 2, 6, 100};
	(void)state;

	for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++)
		for (size_t t = 0; t < sizeof(sizes) / sizeof(*sizes); t++)
			for (size_t l = 0; l < sizeof(levels) / sizeof(*levels); l++) {
				size_t n = sizes[s], m = sizes[t];
				double *a = draw(n, 0, 1, levels[l]);
				double *b = draw(m, 0.1, 1, levels[l]);

				same(a, n, b, m);
				free(a);
				free(b);
			}
}

static void test_disjoint_and_nested(void **state)
{
	double *a = draw(1000, 0, 1, 0), *b = draw(30, 5, 1, 0), *c = draw(30, 0.4, 0.01, 0);
	double one[] = {0.5}, inf[] = {-INFINITY, 0, INFINITY, INFINITY};
	(void)state;

	same(a, 1000, b, 30); /* all of a before b: D = 1 */
	assert_true(ks_walk_statistic(a, 1000, b, 30) == 1.0);
	same(a, 1000, c, 30); /* b inside a narrow part of a */
	same(a, 1000, one, 1);
	same(one, 1, one, 1); /* identical: D = 0 */
	assert_true(ks_walk_statistic(one, 1, one, 1) == 0.0);
	same(inf, 4, a, 1000);
	same(a, 1000, a, 1000);
	same(a, 1000, a + 500, 500);
	free(a);
	free(b);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sizes_and_ties),
		cmocka_unit_test(test_disjoint_and_nested),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
