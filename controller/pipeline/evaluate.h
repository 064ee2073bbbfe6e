/* evaluate.h - measures a closed window against its reference: PSI and KS
 * per numeric feature, PSI over categories for categorical ones, and the
 * window's KPIs. Judging (drifted or not) is the policy engine's job. */
#ifndef EVALUATE_H
#define EVALUATE_H

#include "kpg_error.h"
#include "policy_eval.h"
#include "reference.h"
#include "window.h"

/* Fills ev (features must point to ref->n_features elements owned by the
 * caller; ev->ks_asymptotic chooses the KS p-value). Sorts the window's
 * numeric buffers in place. */
int evaluate_window(const reference *ref, window *w, policy_window_eval *ev,
		    kpg_err *err);

/* Drift of one numeric feature: current values (sorted in place). */
int evaluate_numeric(const reference_feature *f, double *cur, size_t m,
		     int ks_asymptotic, policy_feature_eval *fe, kpg_err *err);

/* Drift of one categorical feature from current category counts. */
int evaluate_categorical(const reference_feature *f, const double *counts,
			 policy_feature_eval *fe, kpg_err *err);

#endif
