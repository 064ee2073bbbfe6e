/* ks_walk.c - the KS statistic by scanning the larger sample in blocks
 * (ks_walk.h). */
#include "ks_walk.h"

#include <math.h>

/* Scan by blocks only when the larger sample is at least this many times
 * the smaller: below it, a block costs more than the steps it skips. */
#define KS_WALK_SCAN_RATIO 4

/* The first index k in [from, len) with x[k] > v (inclusive: x[k] >= v),
 * or len. Eight values at a time: the values before v are a prefix of each
 * block (x is sorted), so their count is the step, and the comparisons
 * have no branch to mispredict (the compiler makes them vector compares). */
static size_t scan(const double *x, size_t len, size_t from, double v, int inclusive)
{
	size_t i = from;

	while (i + 8 <= len) {
		unsigned c = 0;

		if (inclusive)
			for (int k = 0; k < 8; k++)
				c += x[i + k] < v;
		else
			for (int k = 0; k < 8; k++)
				c += x[i + k] <= v;
		i += c;
		if (c < 8)
			return i;
	}
	while (i < len && (inclusive ? x[i] < v : x[i] <= v))
		i++;
	return i;
}

double ks_walk_sup(double maxs, double mins)
{
	mins = -mins;
	mins = mins < 0 ? 0 : (mins > 1 ? 1 : mins);
	return mins > maxs ? mins : maxs;
}

/* The plain walk over every distinct pooled value: fewer comparisons
 * than scanning by blocks when the two samples are of similar sizes. */
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
	return ks_walk_sup(maxs, mins);
}

double ks_walk_statistic(const double *a, size_t n, const double *b, size_t m)
{
	/* s: the smaller sample, whose distinct values are visited; l: the
	 * larger, scanned in blocks. a_is_l says which of (i, j) is whose. */
	int a_is_l = n >= m;
	const double *s = a_is_l ? b : a, *l = a_is_l ? a : b;
	size_t ns = a_is_l ? m : n, nl = a_is_l ? n : m;
	double dn = (double)n, dm = (double)m, maxs = -INFINITY, mins = INFINITY, diff;
	size_t k = 0, lt, le = 0;

	if (nl < KS_WALK_SCAN_RATIO * ns)
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
		lt = scan(l, nl, le, v, 1);
		le = lt < nl && l[lt] <= v ? scan(l, nl, lt, v, 0) : lt; /* ties are rare */
		/* the last value of l between the previous s value and v */
		if (lt > prev_le)
			KS_SEEN(lt, before);
		/* v itself */
		KS_SEEN(le, k);
	}
	/* the walk's last value: every value of both samples counted */
	KS_SEEN(nl, ns);
#undef KS_SEEN
	return ks_walk_sup(maxs, mins);
}
