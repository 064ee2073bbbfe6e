/* kpi.h - model KPIs of one window from joined (prediction, label) pairs:
 * accuracy, precision, recall, F1 and ROC AUC for binary classification
 * (positive = label >= 0.5, predicted positive = score >= threshold), RMSE
 * and MAE for regression; accuracy, F1 macro / weighted and per-class
 * recall for multiclass from a confusion matrix (the definitions follow
 * scikit-learn's, zero_division=0; docs/policies.md). Pairs are stored
 * (AUC needs ranks) up to a cap; beyond it, counts and sums stay exact and
 * AUC uses the stored sample. Multiclass stores no pairs. */
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
	size_t n_classes;               /* multiclass (kpi_set_classes) */
	uint64_t *confusion;            /* owned: confusion[true * (n_classes + 1)
					   + predicted]; predicted n_classes =
					   a prediction outside the classes */
} kpi_acc;

#define KPI_MAX_CLASSES 64

/* max_pairs 0 = 1,000,000. */
int kpi_init(kpi_acc *k, policy_task task, double threshold, size_t max_pairs,
	     kpg_err *err);
/* Multiclass: sizes the confusion matrix for n_classes (2..KPI_MAX_CLASSES). */
int kpi_set_classes(kpi_acc *k, size_t n_classes, kpg_err *err);
void kpi_reset(kpi_acc *k);
void kpi_free(kpi_acc *k);

/* Adds one pair; score and label must be finite (callers reject others).
 * Multiclass: label is the true class index (0..n_classes-1, others are
 * not counted), score the predicted one (outside 0..n_classes-1: a
 * prediction outside the classes, always wrong). */
int kpi_add(kpi_acc *k, double score, double label);

/* Fills out[KPI__COUNT]; metrics that do not apply or have nothing to be
 * computed on are valid = 0. Sorts the stored pairs in place. */
void kpi_compute(kpi_acc *k, policy_kpi_value out[KPI__COUNT]);

/* Multiclass: recall of class c (NaN when no label is c), *support = the
 * labels that are c. */
double kpi_class_recall(const kpi_acc *k, size_t c, uint64_t *support);

/* ROC AUC by the Mann-Whitney rank sum with average ranks for ties.
 * Sorts pairs by score in place. Returns NaN when a class is absent. */
double kpi_auc(kpi_pair *pairs, size_t n);

#endif
