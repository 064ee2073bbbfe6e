/* histogram.h - equal-width bins over two samples together and the counts
 * of each sample in them, exactly as numpy computes them for Evidently's
 * binning: edges = numpy.histogram_bin_edges(concat(ref, cur), bins=k)
 * (numpy.linspace(min, max, k + 1): edge i = i * ((max - min) / k) + min,
 * the last edge max itself; a constant sample widens to min - 0.5 ..
 * max + 0.5), and counts = numpy.histogram(x, bins=edges)[0]: value v is
 * in bin i when edges[i] <= v < edges[i + 1], the last bin closed. */
#ifndef HISTOGRAM_H
#define HISTOGRAM_H

#include <stddef.h>

#include "kpg_error.h"

#define HISTOGRAM_MAX_BINS 1000

/* edges[k + 1] over [lo, hi] (lo <= hi, both finite), k in 1..MAX. */
void histogram_edges(double lo, double hi, unsigned k, double *edges);

/* counts[k] of sorted (ascending, n >= 0) with weights (NULL: 1 each)
 * over edges[k + 1]; values outside [edges[0], edges[k]] are not counted
 * (numpy drops them too). */
void histogram_counts(const double *sorted, const double *weights, size_t n,
		      const double *edges, unsigned k, double *counts);

/* Both samples (sorted ascending, each n >= 1) over their common
 * equal-width bins: ref_counts[k] (weighted by ref_weights, NULL: 1) and
 * cur_counts[k]. KPG_EINVAL for k outside 1..HISTOGRAM_MAX_BINS or an
 * empty or non-finite sample. */
int histogram_two(const double *ref, const double *ref_weights, size_t n,
		  const double *cur, size_t m, unsigned k, double *ref_counts,
		  double *cur_counts, kpg_err *err);

#endif
