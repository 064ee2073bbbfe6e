/* policy_eval.h - what the pipeline measures on one closed window, in the
 * terms the decision engine (policy.h) judges: per-feature drift
 * statistics and the window's KPIs, with the enums both sides name. The
 * earlier stages (reference, window, KPI, evaluate) need only this; the
 * policy file model and the decision engine stay in policy.h. */
#ifndef POLICY_EVAL_H
#define POLICY_EVAL_H

#include <stddef.h>
#include <stdint.h>

#define POLICY_MAX_FEATURES 1024
#define POLICY_MAX_KPIS 16
#define POLICY_MAX_CLASSES 64 /* multiclass_classification */
#define POLICY_LABEL_MAX 63   /* bytes of a label text (label_dict's) */

typedef enum policy_feature_type {
	POLICY_FEATURE_INFER = 0, /* not declared: inferred from the reference */
	POLICY_FEATURE_NUMERIC,
	POLICY_FEATURE_CATEGORICAL,
	POLICY_FEATURE_IGNORE /* in the payload, kept out of every statistic */
} policy_feature_type;

typedef enum policy_task {
	POLICY_TASK_BINARY = 0, /* binary_classification */
	POLICY_TASK_REGRESSION, /* regression */
	POLICY_TASK_MULTICLASS  /* multiclass_classification */
} policy_task;

typedef enum kpi_metric {
	KPI_ACCURACY = 0,
	KPI_PRECISION,
	KPI_RECALL,
	KPI_F1,
	KPI_AUC,
	KPI_RMSE,
	KPI_MAE,
	KPI_F1_MACRO,    /* multiclass: unweighted mean of per-class F1 */
	KPI_F1_WEIGHTED, /* multiclass: per-class F1 weighted by support */
	KPI__COUNT
} kpi_metric;

typedef struct policy_feature {
	char *name; /* owned */
	policy_feature_type type;
} policy_feature;

/* Canonical names: "accuracy", "auc", ...; "binary_classification", ... */
const char *kpi_metric_name(kpi_metric m);
/* The same names as NULL-terminated lists indexed by the enum. */
extern const char *const kpi_metric_names[];
extern const char *const policy_task_names[];
int kpi_metric_higher_is_better(kpi_metric m);
/* 1 when metric m applies to task t (accuracy: both classification tasks;
 * precision, f1, auc: binary; recall: binary, and multiclass with a
 * class; f1_macro, f1_weighted: multiclass; rmse, mae: regression). */
int kpi_metric_fits_task(kpi_metric m, policy_task t);
/* The task names m applies to, for messages ("binary_classification"). */
const char *kpi_metric_tasks_text(kpi_metric m);
const char *policy_task_name(policy_task t);
const char *policy_feature_type_name(policy_feature_type t); /* "numeric", ... */

/* What the controller measured on one closed window. */
typedef struct policy_feature_eval {
	const char *name; /* borrowed */
	policy_feature_type type;
	size_t n, missing; /* values seen / missing in the window */
	double psi;
	int has_ks; /* numeric features only */
	double ks_statistic, ks_p_value;
	int drifted; /* set by policy_judge_features */
} policy_feature_eval;

typedef struct policy_kpi_value {
	int valid; /* 0 when there was nothing to compute it on */
	double value;
	uint64_t n; /* labelled records behind it */
} policy_kpi_value;

typedef struct policy_window_eval {
	uint64_t window_index; /* 0-based per model */
	uint64_t n_records;
	int64_t start_ms, end_ms; /* event time of first and last record */
	policy_feature_eval *features;
	size_t n_features; /* borrowed */
	size_t n_drifted;  /* set by policy_judge_features */
	double drifted_share;
	int dataset_drift;
	policy_kpi_value kpis[KPI__COUNT];
	/* by index in the policy's kpis: the value of a KPI that names a class
	 * (multiclass recall of one class); unused for the others */
	policy_kpi_value class_kpis[POLICY_MAX_KPIS];
	uint64_t n_labelled;
	int ks_asymptotic; /* input: the policy's drift.ks_method */
} policy_window_eval;

#endif
