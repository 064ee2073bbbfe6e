#include "sort.h"

#include <gsl/gsl_sort.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SORT_RADIX_MIN 512
#define SORT_BITS 11
#define SORT_BUCKETS (1u << SORT_BITS)
#define SORT_PASSES 6 /* 6 x 11 bits >= 64 */

/* Order-preserving map of a double's bits to an unsigned key: flip all
 * bits of negatives, only the sign bit of positives. */
static inline uint64_t sort_key(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return (u & 0x8000000000000000ULL) ? ~u : u | 0x8000000000000000ULL;
}

static inline double sort_unkey(uint64_t k)
{
	uint64_t u = (k & 0x8000000000000000ULL) ? k & ~0x8000000000000000ULL : ~k;
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

static void insertion_keys(uint64_t *k, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint64_t x = k[i];
		size_t j = i;

		for (; j > 0 && k[j - 1] > x; j--)
			k[j] = k[j - 1];
		k[j] = x;
	}
}

/* Quicksort of keys (median of three, insertion sort below 16), the
 * smaller side first so the recursion stays under log2(n) deep. */
static void quick_keys(uint64_t *k, size_t n)
{
	while (n > 16) {
		uint64_t a = k[0], b = k[n / 2], c = k[n - 1], p, t;
		size_t i = 0, j = n - 1;

		p = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		for (;;) { /* Hoare partition */
			while (k[i] < p)
				i++;
			while (k[j] > p)
				j--;
			if (i >= j)
				break;
			t = k[i];
			k[i++] = k[j];
			k[j--] = t;
		}
		if (j + 1 < n - j - 1) {
			quick_keys(k, j + 1);
			k += j + 1;
			n -= j + 1;
		} else {
			quick_keys(k + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	insertion_keys(k, n);
}

/* Below the radix sort's size, on the keys in a stack buffer, so -0.0
 * still sorts before 0.0. */
static void sort_small(double *v, size_t n)
{
	uint64_t k[SORT_RADIX_MIN];

	for (size_t i = 0; i < n; i++)
		k[i] = sort_key(v[i]);
	quick_keys(k, n);
	for (size_t i = 0; i < n; i++)
		v[i] = sort_unkey(k[i]);
}

void sort_doubles(double *v, size_t n)
{
	uint64_t *a, *b, *t;
	uint32_t(*count)[SORT_BUCKETS];

	if (n < SORT_RADIX_MIN) {
		sort_small(v, n);
		return;
	}
	a = malloc(2 * n * sizeof(*a));
	count = calloc(SORT_PASSES, sizeof(*count));
	if (a == NULL || count == NULL || n > UINT32_MAX) {
		free(a);
		free(count);
		goto fallback;
	}
	b = a + n;
	for (size_t i = 0; i < n; i++) {
		uint64_t k = sort_key(v[i]);

		a[i] = k;
		for (int p = 0; p < SORT_PASSES; p++)
			count[p][(k >> (p * SORT_BITS)) & (SORT_BUCKETS - 1)]++;
	}
	for (int p = 0; p < SORT_PASSES; p++) {
		uint32_t sum = 0, *c = count[p];
		int shift = p * SORT_BITS;

		/* a pass where every key has the same digit moves nothing */
		if (c[(a[0] >> shift) & (SORT_BUCKETS - 1)] == n)
			continue;
		for (uint32_t d = 0; d < SORT_BUCKETS; d++) {
			uint32_t x = c[d];

			c[d] = sum;
			sum += x;
		}
		for (size_t i = 0; i < n; i++)
			b[c[(a[i] >> shift) & (SORT_BUCKETS - 1)]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = sort_unkey(a[i]);
	free(a < b ? a : b); /* the one allocation starts at the lower address */
	free(count);
	return;
fallback:
	gsl_sort(v, 1, n);
}

size_t sort_count_le(const double *v, size_t n, double x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
