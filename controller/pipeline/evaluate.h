/* evaluate.h - measures a closed window against its reference with the
 * detectors of each feature's plan (policy_eval.h, docs/detectors.md):
 * every configured detector's value, p-value and effect, the bins it
 * compared, whether the window was big enough to judge it, and the error
 * bound when the reference is a sketch; plus new and vanished categories.
 * Judging (drifted or not, after the window's multiple-testing
 * correction) is the policy engine's job. */
#ifndef EVALUATE_H
#define EVALUATE_H

#include "kpg_error.h"
#include "policy_eval.h"
#include "reference.h"
#include "unseen.h"
#include "window.h"

/* A reference category is "vanished" from a window when it was expected
 * at least this many times there (its reference share times the window's
 * values) and not seen once. */
#define EVALUATE_VANISHED_MIN_EXPECTED 5.0

struct policy;

/* Each reference feature's plan under policy p (policy_drift_plan_for)
 * into plans[ref->n_features] (NULL: only check). KPG_EINVAL when
 * drift.features names a feature the reference does not have or a
 * detector that does not fit its feature's type, with the policy key in
 * err_key (REFERENCE_ERR_KEY_LEN bytes; may be NULL). */
int evaluate_plans(const struct policy *p, const reference *ref,
		   drift_plan *plans, char *err_key, kpg_err *err);

/* Fills ev (features must point to ref->n_features elements owned by the
 * caller; ev's inputs set: plans, ks_asymptotic, binning, psi_bins,
 * min_values_per_bin, auto_size -- policy_drift_inputs). Sorts the
 * window's exact numeric buffers in place. */
int evaluate_window(const reference *ref, window *w, policy_window_eval *ev,
		    kpg_err *err);

/* Drift of one numeric feature: current values (m of them, sorted in
 * place), with in's inputs and the feature's plan. */
int evaluate_numeric(const reference_feature *f, double *cur, size_t m,
		     const policy_window_eval *in, const drift_plan *plan,
		     policy_feature_eval *fe, kpg_err *err);

/* The same over a window's sample (window.h), exact or sketched: a
 * sketch's statistics carry its rank error (drift_result.error) and KS
 * says when its verdict is approximate. */
int evaluate_numeric_sample(const reference_feature *f,
			    const window_sample *cur,
			    const policy_window_eval *in,
			    const drift_plan *plan, policy_feature_eval *fe,
			    kpg_err *err);

/* Drift of one categorical feature from its current category counts
 * (n_categories + 1, the last the unseen ones) and the names behind the
 * unseen count (NULL: not known; Evidently binning then keeps them in
 * one bin). */
int evaluate_categorical(const reference_feature *f, const double *counts,
			 const unseen_tally *unseen,
			 const policy_window_eval *in, const drift_plan *plan,
			 policy_feature_eval *fe, kpg_err *err);

#endif
