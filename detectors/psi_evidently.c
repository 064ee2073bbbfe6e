/* psi_evidently.c - Evidently's PSI (psi_evidently.h): equal-width
 * Sturges bins over both samples, or the union of categories, and
 * Evidently's per-row replacement of zero proportions.
 *
 * The edges are numpy 1.24's histogram_bin_edges, operation for operation:
 * width = ptp / (log2(N) + 1), n_bins = ceil(ptp / width) (which can be one
 * more than ceil(log2(N) + 1) through rounding, as in numpy), then linspace:
 * e_i = first + i * (ptp / n_bins), the last edge exactly the maximum. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "psi_evidently.h"

/* PSI of two count rows over k slots with totals tr, tc (both > 0). keep_empty:
 * a slot with 0 in both rows still counts (a histogram bin: each row's fill
 * may differ, and Evidently sums that term); otherwise it is skipped (a
 * category outside the union). The fill is from non-zero proportions only,
 * so skipped slots never change it. */
static double psi_rows(const double *rc, double tr, const double *cc,
		       double tc, size_t k, int keep_empty)
{
	double fr = INFINITY, fc = INFINITY, s = 0.0;
	size_t i;

	for (i = 0; i < k; i++) {
		double r = rc[i] / tr, c = cc[i] / tc;

		if (r > 0.0 && r < fr)
			fr = r;
		if (c > 0.0 && c < fc)
			fc = c;
	}
	fr = fr <= 1e-4 ? fr / 1e6 : 1e-4;
	fc = fc <= 1e-4 ? fc / 1e6 : 1e-4;
	for (i = 0; i < k; i++) {
		double r = rc[i] / tr, c = cc[i] / tc;

		if (r == 0.0 && c == 0.0 && !keep_empty)
			continue;
		r = r == 0.0 ? fr : r;
		c = c == 0.0 ? fc : c;
		s += (r - c) * log(r / c);
	}
	return s;
}

static int check_sorted(const double *x, const double *w, size_t n,
			const char *name, double *total, kpg_err *err)
{
	double s = 0.0;
	size_t i;

	if (!x || n == 0) {
		kpg_err_set(err, "psi_evidently: the %s sample is empty", name);
		return KPG_EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]) || (i > 0 && x[i] < x[i - 1])) {
			kpg_err_set(err, "psi_evidently: %s value %zu is %s", name, i,
				    isfinite(x[i]) ? "out of order (values must be sorted ascending)"
						   : "not finite");
			return KPG_EINVAL;
		}
		if (w && (!(w[i] >= 0.0) || isinf(w[i]))) {
			kpg_err_set(err, "psi_evidently: %s weight %zu is %g; weights "
					 "must be finite and >= 0",
				    name, i, w[i]);
			return KPG_EINVAL;
		}
		s += w ? w[i] : 1.0;
	}
	if (!(s > 0.0) || isinf(s)) {
		kpg_err_set(err, "psi_evidently: the %s weights sum to %g; the "
				 "total must be finite and > 0",
			    name, s);
		return KPG_EINVAL;
	}
	*total = s;
	return KPG_OK;
}

/* Categorical path: the distinct values of both samples (values of weight
 * 0 are absent), merged; the weight per value (NULL weights: 1 each) into
 * rc, cc (n + m slots each); returns how many. */
static size_t union_counts(const double *u, const double *uw, size_t n,
			   const double *v, const double *vw, size_t m,
			   double *rc, double *cc)
{
	size_t i = 0, j = 0, k = 0;

	while (i < n || j < m) {
		double x;

		while (i < n && uw && uw[i] == 0.0)
			i++;
		while (j < m && vw && vw[j] == 0.0)
			j++;
		if (i == n && j == m)
			break;
		if (i == n)
			x = v[j];
		else if (j == m)
			x = u[i];
		else
			x = u[i] < v[j] ? u[i] : v[j];
		rc[k] = 0.0;
		cc[k] = 0.0;
		for (; i < n && u[i] == x; i++)
			rc[k] += uw ? uw[i] : 1.0;
		for (; j < m && v[j] == x; j++)
			cc[k] += vw ? vw[j] : 1.0;
		k++;
	}
	return k;
}

/* The first and last index of a sorted sample whose weight is > 0 (the
 * sample's span; check_sorted made the total > 0, so some weight is). */
static void weighted_span(const double *w, size_t n, size_t *lo, size_t *hi)
{
	*lo = 0;
	*hi = n - 1;
	while (w && w[*lo] == 0.0)
		(*lo)++;
	while (w && w[*hi] == 0.0)
		(*hi)--;
}

/* numpy.histogram(x, linspace(first, last, nb + 1), weights=w) of a sorted
 * sample, added into h[nb]: a bin index that only moves up; a value belongs
 * to the last bin whose left edge is <= it (the last bin takes `last`). A
 * value of weight 0 outside [first, last] adds 0 to an end bin. */
static void hist_add(const double *x, const double *w, size_t n, double first,
		     double last, double step, size_t nb, double *h)
{
	size_t i, b;

	/* numpy.linspace(first, last, nb + 1): i * step + first */
#define EDGE(k) ((k) == nb ? last : (double)(k)*step + first)
	for (i = 0, b = 0; i < n; i++) {
		while (b + 1 < nb && x[i] >= EDGE(b + 1))
			b++;
		h[b] += w ? w[i] : 1.0;
	}
#undef EDGE
}

int psi_evidently_bins(const double *ref_sorted, const double *ref_weights,
		       size_t n, const double *cur_sorted, size_t m,
		       unsigned bins, psi_evidently_hist *out, kpg_err *err)
{
	return psi_evidently_bins_weighted(ref_sorted, ref_weights, n, cur_sorted,
					   NULL, m, bins, out, err);
}

int psi_evidently_bins_weighted(const double *ref_sorted,
				const double *ref_weights, size_t n,
				const double *cur_sorted,
				const double *cur_weights, size_t m,
				unsigned bins, psi_evidently_hist *out,
				kpg_err *err)
{
	const double *u = ref_sorted, *uw = ref_weights;
	const double *v = cur_sorted, *vw = cur_weights;
	double tu, tv, first, last, ptp, prev = 0.0;
	size_t i, lo, hi, vlo, vhi, distinct = 0, nb;
	int rc_;

	memset(out, 0, sizeof(*out));
	if ((rc_ = check_sorted(u, uw, n, "reference", &tu, err)) != 0 ||
	    (rc_ = check_sorted(v, vw, m, "current", &tv, err)) != 0)
		return rc_;
	if (bins > PSI_EVIDENTLY_MAX_BINS) {
		kpg_err_set(err, "psi_evidently: %u bins, more than %d", bins,
			    PSI_EVIDENTLY_MAX_BINS);
		return KPG_EINVAL;
	}
	out->ref_total = tu;
	out->cur_total = tv;

	/* each sample's span, and the reference's distinct values; weight-0
	 * values are absent */
	weighted_span(uw, n, &lo, &hi);
	weighted_span(vw, m, &vlo, &vhi);
	for (i = lo; i <= hi && distinct <= PSI_EVIDENTLY_MAX_CATEGORIES; i++) {
		if ((!uw || uw[i] > 0.0) && (distinct == 0 || u[i] != prev)) {
			distinct++;
			prev = u[i];
		}
	}
	if (distinct <= PSI_EVIDENTLY_MAX_CATEGORIES) {
		out->ref = malloc(sizeof(double) * (n + m));
		out->cur = malloc(sizeof(double) * (n + m));
		if (!out->ref || !out->cur)
			goto nomem;
		out->k = union_counts(u, uw, n, v, vw, m, out->ref, out->cur);
		out->categorical = 1;
		return KPG_OK;
	}

	first = fmin(u[lo], v[vlo]);
	last = fmax(u[hi], v[vhi]);
	ptp = last - first; /* > 0: more than 20 distinct values */
	if (isinf(ptp)) {
		kpg_err_set(err, "psi_evidently: the values span [%g, %g], wider "
				 "than a double can hold",
			    first, last);
		return KPG_EINVAL;
	}
	if (bins == PSI_EVIDENTLY_STURGES) {
		/* Sturges' count: the values the weights stand for */
		double width = ptp / (log2(tu + tv) + 1.0);

		nb = (size_t)ceil(ptp / width);
	} else {
		nb = bins;
	}
	out->ref = calloc(nb, sizeof(double));
	out->cur = calloc(nb, sizeof(double));
	if (!out->ref || !out->cur)
		goto nomem;
	out->k = nb;
	hist_add(u, uw, n, first, last, ptp / (double)nb, nb, out->ref);
	hist_add(v, vw, m, first, last, ptp / (double)nb, nb, out->cur);
	return KPG_OK;
nomem:
	psi_evidently_hist_free(out);
	kpg_err_set(err, "psi_evidently: out of memory for the bins of %zu values",
		    n + m);
	return KPG_ENOMEM;
}

void psi_evidently_hist_free(psi_evidently_hist *h)
{
	free(h->ref);
	free(h->cur);
	h->ref = h->cur = NULL;
	h->k = 0;
}

double psi_evidently_hist_psi(const psi_evidently_hist *h)
{
	/* histogram bins count even when both rows are empty there (Evidently
	 * sums that term); categories outside the union do not exist */
	return psi_rows(h->ref, h->ref_total, h->cur, h->cur_total, h->k,
			!h->categorical);
}

int psi_evidently_numeric(const double *ref_sorted, const double *ref_weights,
			  size_t n, const double *cur_sorted, size_t m,
			  unsigned bins, double *out, kpg_err *err)
{
	psi_evidently_hist h;
	int rc;

	if (!out) {
		kpg_err_set(err, "psi_evidently: no result pointer");
		return KPG_EINVAL;
	}
	rc = psi_evidently_bins(ref_sorted, ref_weights, n, cur_sorted, m, bins,
				&h, err);
	if (rc)
		return rc;
	*out = psi_evidently_hist_psi(&h);
	psi_evidently_hist_free(&h);
	return KPG_OK;
}

int psi_evidently_counts(const double *ref_counts, const double *cur_counts,
			 size_t k, double *out, kpg_err *err)
{
	double tr = 0.0, tc = 0.0;
	size_t i;

	if (!ref_counts || !cur_counts || !out || k == 0) {
		kpg_err_set(err, "psi_evidently: no counts (k = %zu)", k);
		return KPG_EINVAL;
	}
	for (i = 0; i < k; i++) {
		if (!(ref_counts[i] >= 0.0) || !(cur_counts[i] >= 0.0) ||
		    isinf(ref_counts[i]) || isinf(cur_counts[i])) {
			kpg_err_set(err, "psi_evidently: count of category %zu is "
					 "negative or not finite (%g, %g)",
				    i, ref_counts[i], cur_counts[i]);
			return KPG_EINVAL;
		}
		tr += ref_counts[i];
		tc += cur_counts[i];
	}
	if (!(tr > 0.0) || !(tc > 0.0) || isinf(tr) || isinf(tc)) {
		kpg_err_set(err, "psi_evidently: the %s counts sum to %g; each "
				 "total must be finite and > 0",
			    tr > 0.0 && !isinf(tr) ? "current" : "reference",
			    tr > 0.0 && !isinf(tr) ? tc : tr);
		return KPG_EINVAL;
	}
	*out = psi_rows(ref_counts, tr, cur_counts, tc, k, 0);
	return KPG_OK;
}
