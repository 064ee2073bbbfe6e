/* ks_walk.h - the two-sample KS statistic of two sorted samples.
 *
 * D = sup_x |F_a(x) - F_b(x)| with both ECDFs right-continuous, as the
 * walk over every distinct pooled value computes it (ks.c), bit for bit:
 * the largest and smallest of i/n - j/m over those values. This one only
 * visits the distinct values of the smaller sample, finding each in the
 * larger one by a scan eight values at a time: between two of them only the last
 * value of the larger sample can hold an extreme (the differences are
 * monotone there, and so are IEEE divisions and subtractions), so the
 * maximum and minimum are the walk's own doubles. The scan's compares
 * have no branches to mispredict, which is what the plain walk pays for
 * on every value: a window of 10,000 against a reference of 50,000 costs
 * about half. Samples of similar sizes (l < 4 s) take the plain walk,
 * which is cheaper there; both give the same doubles. */
#ifndef KS_WALK_H
#define KS_WALK_H

#include <stddef.h>

/* a (n >= 1) and b (m >= 1) sorted ascending, NaN-free; not checked
 * (ks.c checks). Both borrowed for the call. */
double ks_walk_statistic(const double *a, size_t n, const double *b, size_t m);

/* D from the largest and smallest F_a - F_b a walk saw: max(maxs, -mins),
 * -mins clamped to [0, 1] (ks_weighted.c's walk ends the same way). */
double ks_walk_sup(double maxs, double mins);

#endif
