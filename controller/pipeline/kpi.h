/* kpi.h - model KPIs of one window from joined (prediction, label) pairs:
 * accuracy, precision, recall, F1 and ROC AUC for binary classification
 * (positive = label >= 0.5, predicted positive = score >= threshold), RMSE
 * and MAE for regression. Pairs are stored (AUC needs ranks) up to a cap;
 * beyond it, counts and sums stay exact and AUC uses the stored sample. */
#ifndef KPI_H
#define KPI_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"
#include "policy_eval.h"

typedef struct kpi_pair {
	double score, label;
} kpi_pair;

typedef struct kpi_acc {
	policy_task task;
	double threshold;
	kpi_pair *pairs;
	size_t n_pairs, cap, max_pairs; /* owned */
	uint64_t n;                     /* all pairs added */
	uint64_t tp, fp, tn, fn;        /* binary */
	double sse, sae;                /* regression */
} kpi_acc;

/* max_pairs 0 = 1,000,000. */
int kpi_init(kpi_acc *k, policy_task task, double threshold, size_t max_pairs,
	     kpg_err *err);
void kpi_reset(kpi_acc *k);
void kpi_free(kpi_acc *k);

/* Adds one pair; score and label must be finite (callers reject others). */
int kpi_add(kpi_acc *k, double score, double label);

/* Fills out[KPI__COUNT]; metrics that do not apply or have nothing to be
 * computed on are valid = 0. Sorts the stored pairs in place. */
void kpi_compute(kpi_acc *k, policy_kpi_value out[KPI__COUNT]);

/* ROC AUC by the Mann-Whitney rank sum with average ranks for ties.
 * Sorts pairs by score in place. Returns NaN when a class is absent. */
double kpi_auc(kpi_pair *pairs, size_t n);

#endif
