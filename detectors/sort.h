/* sort.h - ascending sort of NaN-free doubles. Windows sort tens of
 * thousands of values per feature at every close; GSL's gsl_sort is a
 * heapsort, so large arrays use an LSD radix sort on the IEEE-754 bit
 * patterns instead (6 passes of 11 bits, passes that would not move
 * anything skipped). Arrays below 512 values (a KLL sketch sorts its
 * lowest level every few hundred values) use a quicksort of the same keys
 * on the stack; an allocation failure falls back to gsl_sort. */
#ifndef SORT_H
#define SORT_H

#include <stddef.h>

/* Sorts v[0..n) ascending in place. -0.0 sorts before 0.0 (they compare
 * equal, so no statistic can tell). Allocates an n-element scratch array. */
void sort_doubles(double *v, size_t n);

/* How many of ascending v[0..n) are <= x (the first index past them):
 * numpy's searchsorted(v, x, side='right'). */
size_t sort_count_le(const double *v, size_t n, double x);

#endif
