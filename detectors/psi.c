/* psi.c - Population Stability Index over reference-quantile bins (numeric)
 * or category counts. Definitions in psi.h and docs/detectors.md.
 *
 * Edges are numpy.quantile(ref, k/B) (linear method, numpy 1.24's lerp),
 * then sorted and de-duplicated (numpy.unique); a value's bin is the number
 * of edges strictly below it (numpy.searchsorted side='left'). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>

#include "psi.h"
#include "sort.h"

double psi_quantile_sorted(const double *sorted, size_t n, double q)
{
	double vi, lo, t, a, b, diff, r;
	size_t i;

	if (!sorted || n == 0 || isnan(q))
		return NAN;
	vi = (double)(n - 1) * q;
	if (vi >= (double)(n - 1))
		return sorted[n - 1];
	if (vi < 0)
		return sorted[0];
	lo = floor(vi);
	i = (size_t)lo;
	t = vi - lo;
	a = sorted[i];
	b = sorted[i + 1];
	/* numpy's _lerp: the form anchored at the nearer end point */
	diff = b - a;
	if (t >= 0.5)
		r = b - diff * (1 - t);
	else
		r = a + diff * t;
	return r;
}

/* Index of the first edge >= v, i.e. the number of edges < v. */
static size_t bin_of(const double *edges, size_t ne, double v)
{
	size_t lo = 0, hi = ne;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (edges[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static double floor_prop(double p)
{
	return p == 0.0 ? PSI_EPSILON : p;
}

void psi_ref_free(psi_ref *ref)
{
	if (!ref)
		return;
	free(ref->edges);
	free(ref->ref_prop);
	ref->edges = NULL;
	ref->ref_prop = NULL;
	ref->n_bins = 0;
}

int psi_ref_check(psi_ref *ref, const double *sorted, const double *weights,
		  size_t n, unsigned bins, kpg_err *err)
{
	if (!ref) {
		kpg_err_set(err, "psi: no reference struct");
		return KPG_EINVAL;
	}
	ref->edges = NULL;
	ref->ref_prop = NULL;
	ref->n_bins = 0;
	if (!sorted || n == 0) {
		kpg_err_set(err, "psi: reference sample is empty");
		return KPG_EINVAL;
	}
	if (bins < 2 || bins > PSI_MAX_BINS) {
		kpg_err_set(err, "psi: bins %u outside 2..%d", bins, PSI_MAX_BINS);
		return KPG_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (isnan(sorted[i]) || (i > 0 && sorted[i] < sorted[i - 1])) {
			kpg_err_set(err, "psi: reference is %s at index %zu",
				    isnan(sorted[i]) ? "NaN" : "not sorted", i);
			return KPG_EINVAL;
		}
		if (weights && !(weights[i] > 0 && isfinite(weights[i]))) {
			kpg_err_set(err, "psi: reference weight %zu is not a finite number > 0",
				    i);
			return KPG_EINVAL;
		}
	}
	return KPG_OK;
}

int psi_ref_finish(psi_ref *ref, double *edges, unsigned bins,
		   const double *sorted, const double *weights, size_t n,
		   kpg_err *err)
{
	double *prop = calloc(bins, sizeof(double)), total = 0;
	size_t ne = 0, i;

	if (!prop) {
		free(edges);
		kpg_err_set(err, "psi: out of memory for %u bins", bins);
		return KPG_ENOMEM;
	}
	/* numpy.unique: sort, then keep the first of each run */
	gsl_sort(edges, 1, bins - 1);
	for (i = 0; i < bins - 1; i++)
		if (ne == 0 || edges[i] != edges[ne - 1])
			edges[ne++] = edges[i];
	/* counts (whole numbers, exact as doubles), or weights */
	for (i = 0; i < n; i++) {
		double w = weights ? weights[i] : 1.0;

		prop[bin_of(edges, ne, sorted[i])] += w;
		total += w;
	}
	for (i = 0; i <= ne; i++)
		prop[i] = prop[i] / total;
	ref->edges = edges; /* now owned by ref */
	ref->ref_prop = prop;
	ref->n_bins = ne + 1;
	return KPG_OK;
}

int psi_ref_build(psi_ref *ref, const double *sorted, size_t n, unsigned bins,
		  kpg_err *err)
{
	double *edges;
	int rc = psi_ref_check(ref, sorted, NULL, n, bins, err);

	if (rc)
		return rc;
	edges = malloc(sizeof(double) * (bins - 1));
	if (!edges) {
		kpg_err_set(err, "psi: out of memory for %u bins", bins);
		return KPG_ENOMEM;
	}
	for (unsigned k = 1; k < bins; k++)
		edges[k - 1] = psi_quantile_sorted(sorted, n, (double)k / bins);
	return psi_ref_finish(ref, edges, bins, sorted, NULL, n, err);
}

/* PSI of the current counts cnt (of m values) against ref's shares. */
static double psi_of_counts(const psi_ref *ref, const double *cnt, size_t m)
{
	double s = 0.0;

	for (size_t i = 0; i < ref->n_bins; i++) {
		double pc = floor_prop(cnt[i] / (double)m);
		double pr = floor_prop(ref->ref_prop[i]);

		s += (pc - pr) * log(pc / pr);
	}
	return s;
}

/* bin_of's bins of an ascending sample: bin j holds the values in
 * (edges[j-1], edges[j]], one run of indices; ends[j] is where it stops. */
static void sorted_bin_ends(const psi_ref *ref, const double *cur, size_t m, size_t *ends)
{
	size_t ne = ref->n_bins - 1, from = 0;

	for (size_t j = 0; j < ne; j++) {
		from += sort_count_le(cur + from, m - from, ref->edges[j]);
		ends[j] = from;
	}
	ends[ne] = m;
}

static int check_ref_cur(const psi_ref *ref, const double *cur, size_t m, kpg_err *err)
{
	if (!ref || !ref->ref_prop || ref->n_bins < 2) {
		kpg_err_set(err, "psi: reference not built");
		return KPG_EINVAL;
	}
	if (!cur || m == 0) {
		kpg_err_set(err, "psi: current sample is empty");
		return KPG_EINVAL;
	}
	return KPG_OK;
}

int psi_numeric_sorted(const psi_ref *ref, const double *cur, size_t m, double *psi,
		       kpg_err *err)
{
	double *cnt;
	int rc = check_ref_cur(ref, cur, m, err);

	if (rc)
		return rc;
	if (!psi) {
		kpg_err_set(err, "psi: no result");
		return KPG_EINVAL;
	}
	cnt = malloc(ref->n_bins * sizeof(*cnt));
	if (!cnt) {
		kpg_err_set(err, "psi: out of memory for %zu bins", ref->n_bins);
		return KPG_ENOMEM;
	}
	rc = psi_bin_counts_sorted(ref, cur, NULL, m, cnt, err);
	if (rc == 0)
		*psi = psi_of_counts(ref, cnt, m);
	free(cnt);
	return rc;
}

int psi_bin_counts_sorted(const psi_ref *ref, const double *cur, const double *cur_w,
			  size_t m, double *counts, kpg_err *err)
{
	size_t *ends, from = 0;
	int rc = check_ref_cur(ref, cur, m, err);

	if (rc)
		return rc;
	if (!counts) {
		kpg_err_set(err, "psi: no counts");
		return KPG_EINVAL;
	}
	ends = malloc(ref->n_bins * sizeof(*ends));
	if (!ends) {
		kpg_err_set(err, "psi: out of memory for %zu bins", ref->n_bins);
		return KPG_ENOMEM;
	}
	sorted_bin_ends(ref, cur, m, ends);
	for (size_t j = 0; j < ref->n_bins; j++) {
		/* as the per-value loop adds them: in index order from 0 */
		double c = 0.0;

		if (cur_w)
			for (size_t i = from; i < ends[j]; i++)
				c += cur_w[i];
		else
			c = (double)(ends[j] - from);
		counts[j] = c;
		from = ends[j];
	}
	free(ends);
	return KPG_OK;
}

int psi_numeric(const psi_ref *ref, const double *cur, size_t m, double *psi,
		kpg_err *err)
{
	double *cnt = NULL;
	size_t i;
	int rc;

	if (!ref || !ref->ref_prop || ref->n_bins < 2 || !psi) {
		kpg_err_set(err, "psi: reference not built");
		return KPG_EINVAL;
	}
	if (!cur || m == 0) {
		kpg_err_set(err, "psi: current sample is empty");
		return KPG_EINVAL;
	}
	cnt = calloc(ref->n_bins, sizeof(*cnt));
	if (!cnt) {
		kpg_err_set(err, "psi: out of memory for %zu bins", ref->n_bins);
		return KPG_ENOMEM;
	}
	for (i = 0; i < m; i++) {
		if (isnan(cur[i])) {
			kpg_err_set(err, "psi: current value %zu is NaN", i);
			rc = KPG_EINVAL;
			goto done;
		}
		cnt[bin_of(ref->edges, ref->n_bins - 1, cur[i])] += 1.0;
	}
	*psi = psi_of_counts(ref, cnt, m);
	rc = KPG_OK;
done:
	free(cnt);
	return rc;
}

int psi_bin_counts(const psi_ref *ref, const double *cur, size_t m,
		   double *counts, kpg_err *err)
{
	return psi_bin_counts_weighted(ref, cur, NULL, m, counts, err);
}

int psi_bin_counts_weighted(const psi_ref *ref, const double *cur,
			    const double *cur_w, size_t m, double *counts,
			    kpg_err *err)
{
	size_t i;

	if (!ref || !ref->ref_prop || ref->n_bins < 2 || !counts) {
		kpg_err_set(err, "psi: reference not built");
		return KPG_EINVAL;
	}
	if (!cur || m == 0) {
		kpg_err_set(err, "psi: current sample is empty");
		return KPG_EINVAL;
	}
	for (i = 0; i < m; i++) {
		if (isnan(cur[i])) {
			kpg_err_set(err, "psi: current value %zu is NaN", i);
			return KPG_EINVAL;
		}
		if (cur_w && (!(cur_w[i] >= 0.0) || isinf(cur_w[i]))) {
			kpg_err_set(err, "psi: current weight %zu is %g; weights must be "
					 "finite and >= 0",
				    i, cur_w[i]);
			return KPG_EINVAL;
		}
	}
	for (i = 0; i < ref->n_bins; i++)
		counts[i] = 0.0;
	for (i = 0; i < m; i++)
		counts[bin_of(ref->edges, ref->n_bins - 1, cur[i])] +=
			cur_w ? cur_w[i] : 1.0;
	return KPG_OK;
}

int psi_from_counts(const double *ref_counts, const double *cur_counts,
		    size_t k, double *psi, kpg_err *err)
{
	double tr = 0.0, tc = 0.0, s = 0.0;
	size_t i;

	if (!ref_counts || !cur_counts || !psi || k == 0) {
		kpg_err_set(err, "psi: empty count vectors");
		return KPG_EINVAL;
	}
	for (i = 0; i < k; i++) {
		if (!(ref_counts[i] >= 0.0) || !(cur_counts[i] >= 0.0) ||
		    isinf(ref_counts[i]) || isinf(cur_counts[i])) {
			kpg_err_set(err, "psi: count %zu is negative or not finite",
				    i);
			return KPG_EINVAL;
		}
		tr += ref_counts[i];
		tc += cur_counts[i];
	}
	if (!(tr > 0.0) || !(tc > 0.0)) {
		kpg_err_set(err, "psi: a count vector sums to zero");
		return KPG_EINVAL;
	}
	for (i = 0; i < k; i++) {
		double pc = floor_prop(cur_counts[i] / tc);
		double pr = floor_prop(ref_counts[i] / tr);

		s += (pc - pr) * log(pc / pr);
	}
	*psi = s;
	return KPG_OK;
}
