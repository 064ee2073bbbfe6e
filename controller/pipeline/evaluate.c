#include "evaluate.h"

#include <math.h>
#include <string.h>

#include "ks.h"
#include "sort.h"
#include "psi.h"

int evaluate_numeric(const reference_feature *f, double *cur, size_t m,
		     int ks_asymptotic, policy_feature_eval *fe, kpg_err *err)
{
	ks_result ks;
	int rc;

	fe->n = m;
	fe->has_ks = 0;
	fe->psi = 0;
	if (m == 0)
		return 0;
	sort_doubles(cur, m);
	rc = psi_numeric(&f->psi, cur, m, &fe->psi, err);
	if (rc)
		return rc;
	rc = ks_2samp_sorted_method(f->sorted, f->n, cur, m,
				    ks_asymptotic ? KS_METHOD_ASYMP : KS_METHOD_AUTO,
				    &ks, err);
	if (rc)
		return rc;
	fe->has_ks = 1;
	fe->ks_statistic = ks.statistic;
	fe->ks_p_value = ks.p_value;
	return 0;
}

int evaluate_categorical(const reference_feature *f, const double *counts,
			 policy_feature_eval *fe, kpg_err *err)
{
	double total = 0;
	size_t k = f->n_categories + 1;

	for (size_t i = 0; i < k; i++)
		total += counts[i];
	fe->n = (size_t)total;
	fe->has_ks = 0;
	fe->psi = 0;
	if (total == 0)
		return 0;
	return psi_from_counts(f->category_counts, counts, k, &fe->psi, err);
}

int evaluate_window(const reference *ref, window *w, policy_window_eval *ev,
		    kpg_err *err)
{
	int rc;

	ev->n_records = w->n_records;
	ev->start_ms = w->start_ms;
	ev->end_ms = w->end_ms;
	ev->n_features = ref->n_features;
	for (size_t i = 0; i < ref->n_features; i++) {
		const reference_feature *f = &ref->features[i];
		policy_feature_eval *fe = &ev->features[i];

		memset(fe, 0, sizeof(*fe));
		fe->name = f->name;
		fe->type = f->type;
		fe->missing = w->cols[i].missing;
		if (f->type == POLICY_FEATURE_NUMERIC)
			rc = evaluate_numeric(f, w->cols[i].values, w->cols[i].n,
					      ev->ks_asymptotic,
					      fe, err);
		else
			rc = evaluate_categorical(f, w->cols[i].counts, fe, err);
		if (rc)
			return rc;
	}
	return 0;
}
