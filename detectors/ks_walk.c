/* ks_walk.c - the KS statistic by galloping through the larger sample
 * (ks_walk.h). */
#include "ks_walk.h"

#include <math.h>

/* Gallop only when the larger sample is at least this many times the
 * smaller: below it, a probe costs more than the steps it skips. */
#define KS_WALK_GALLOP_RATIO 4

/* The first index k in [from, len) with x[k] > v (inclusive: x[k] >= v),
 * or len: an exponential probe from `from`, then a binary search. */
static size_t gallop(const double *x, size_t len, size_t from, double v, int inclusive)
{
	size_t lo = from, step = 1, hi;

#define KS_PAST(k) (inclusive ? x[(k)] >= v : x[(k)] > v)
	if (lo >= len || KS_PAST(lo))
		return lo;
	/* x[lo] is before v: probe lo + 1, lo + 3, lo + 7, ... */
	for (;;) {
		hi = lo + step;
		if (hi >= len) {
			hi = len;
			break;
		}
		if (KS_PAST(hi))
			break;
		lo = hi;
		step *= 2;
	}
	/* x[lo] before v, hi = len or x[hi] past it */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (KS_PAST(mid))
			hi = mid;
		else
			lo = mid;
	}
#undef KS_PAST
	return hi;
}

/* The plain walk over every distinct pooled value: fewer comparisons
 * than galloping when the two samples are of similar sizes. */
static double merge_walk(const double *a, size_t n, const double *b, size_t m)
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

double ks_walk_statistic(const double *a, size_t n, const double *b, size_t m)
{
	/* s: the smaller sample, whose distinct values are visited; l: the
	 * larger, galloped through. a_is_l says which of (i, j) is whose. */
	int a_is_l = n >= m;
	const double *s = a_is_l ? b : a, *l = a_is_l ? a : b;
	size_t ns = a_is_l ? m : n, nl = a_is_l ? n : m;
	double dn = (double)n, dm = (double)m, maxs = -INFINITY, mins = INFINITY, diff;
	size_t k = 0, lt, le = 0;

	if (nl < KS_WALK_GALLOP_RATIO * ns)
		return merge_walk(a, n, b, m);

#define KS_SEEN(cl, cs) \
	do { \
		diff = a_is_l ? (double)(cl) / dn - (double)(cs) / dm \
			      : (double)(cs) / dn - (double)(cl) / dm; \
		if (diff > maxs) \
			maxs = diff; \
		if (diff < mins) \
			mins = diff; \
	} while (0)
	while (k < ns) {
		double v = s[k];
		size_t before = k, prev_le = le;

		while (k < ns && s[k] <= v)
			k++;
		lt = gallop(l, nl, le, v, 1);
		le = gallop(l, nl, lt, v, 0);
		/* the last value of l between the previous s value and v */
		if (lt > prev_le)
			KS_SEEN(lt, before);
		/* v itself */
		KS_SEEN(le, k);
	}
	/* the walk's last value: every value of both samples counted */
	KS_SEEN(nl, ns);
#undef KS_SEEN
	mins = -mins;
	mins = mins < 0 ? 0 : (mins > 1 ? 1 : mins);
	return mins > maxs ? mins : maxs;
}
