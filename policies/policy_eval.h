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

/* ---- drift detectors (docs/detectors.md) --------------------------- */

/* The detectors a policy can pick, by the names policies and `compare
 * --detectors` use: "psi", "ks", "chi2", "js", "wasserstein", "hellinger". */
typedef enum drift_detector {
	DRIFT_PSI = 0,     /* distance; binned; numeric and categorical */
	DRIFT_KS,          /* test; numeric */
	DRIFT_CHI2,        /* test; categorical */
	DRIFT_JS,          /* distance; binned; numeric and categorical */
	DRIFT_WASSERSTEIN, /* distance; numeric */
	DRIFT_HELLINGER,   /* distance; binned; numeric and categorical */
	DRIFT__COUNT
} drift_detector;

extern const char *const drift_detector_names[]; /* NULL-terminated, by enum */
const char *drift_detector_name(drift_detector d);
int drift_detector_from_name(const char *name, drift_detector *out);
int drift_detector_is_test(drift_detector d);   /* ks, chi2: a p-value */
int drift_detector_is_binned(drift_detector d); /* psi, js, hellinger */
/* 1 when d applies to a feature of type t (NUMERIC or CATEGORICAL). */
int drift_detector_fits(drift_detector d, policy_feature_type t);

/* One configured detector. A distance drifts when value >= threshold; a
 * test when its (corrected) p-value < threshold and its effect size
 * (KS statistic, Cramer's V) >= min_effect. */
typedef struct drift_check {
	drift_detector kind;
	double threshold;
	double min_effect; /* tests only */
} drift_check;

/* How one feature is judged: its detectors (or `auto`, resolved per
 * window by sample size, see policy_drift.c), and its part in the
 * dataset-drift rule. */
typedef struct drift_plan {
	int is_auto;
	drift_check checks[DRIFT__COUNT];
	size_t n_checks;
	double weight; /* in the drifted share; default 1 */
	int critical;  /* drifted alone means dataset drift */
} drift_plan;

/* The detectors `auto` stands for at effective sample size n_eff (the
 * harmonic size N*m/(N+m) of reference and window): tests (ks, chi2) up
 * to auto_size, distances (wasserstein, js) above it, like Evidently's
 * choice; out gets the checks of plan that fit type. */
void policy_drift_resolve_auto(const drift_plan *plan, policy_feature_type type,
			       double n_eff, unsigned auto_size,
			       drift_plan *out);

/* How values are binned for psi, js and hellinger. */
typedef enum drift_binning {
	DRIFT_BINS_QUANTILE = 0, /* reference quantiles; categories + unseen */
	DRIFT_BINS_EVIDENTLY     /* Evidently's: equal width over both
				    samples; the union of categories */
} drift_binning;

/* Why a computed statistic was not judged. */
typedef enum drift_skip {
	DRIFT_JUDGED = 0,
	DRIFT_SKIP_FEW_VALUES, /* binned: fewer values per bin than the policy's
				  drift.min_values_per_bin */
	DRIFT_SKIP_NOISE       /* binned: a window this size without any drift
				  would reach the threshold more often than
				  drift.max_noise_alarm */
} drift_skip;

/* One detector's outcome on one feature of one window. */
/* drift.ks_method: how a KS p-value is computed (docs/policies.md). */
typedef enum policy_ks_method {
	POLICY_KS_AUTO = 0, /* scipy's exact count where it can change the
			       verdict, the asymptotic p-value elsewhere */
	POLICY_KS_ASYMP,    /* always the asymptotic one (method='asymp') */
	POLICY_KS_EXACT     /* scipy's method='auto' on every window */
} policy_ks_method;

/* Which distribution a KS p-value comes from, for the audit's p_method. */
typedef enum drift_p_method {
	DRIFT_P_UNKNOWN = 0, /* not a KS result, or restored from a checkpoint
				before version 7 */
	DRIFT_P_ASYMP,       /* the asymptotic kstwo distribution */
	DRIFT_P_EXACT        /* scipy's exact lattice-path count */
} drift_p_method;

typedef struct drift_result {
	drift_detector kind;
	double value;      /* statistic (tests) or distance */
	double p_value;    /* tests: as computed; NAN for distances */
	double p_adjusted; /* tests: after the window's correction */
	double effect;     /* tests: KS statistic, Cramer's V */
	double threshold, min_effect;
	double error;            /* bound on |value - exact value| when the reference
			    or the window is a sketch; 0 when exact */
	unsigned bins;           /* binned: the bins or categories compared */
	double noise;            /* binned: the chance that this window's sizes reach
			    the threshold without any drift (chi-square
			    approximation, docs/detectors.md) */
	drift_skip skip;         /* DRIFT_JUDGED, or why it was not */
	int approximate;         /* the verdict could change within error */
	drift_p_method p_method; /* ks: which p-value it is */
	int drifted;             /* set by policy_judge_features */
} drift_result;

/* What the controller measured on one closed window. */
typedef struct policy_feature_eval {
	const char *name; /* borrowed */
	policy_feature_type type;
	size_t n, missing; /* values seen / missing in the window */
	/* numeric: the window's values were a sketch (window.max_exact_values
	 * passed), and its rank error (0: it had not compacted yet) */
	int sketched;
	double sketch_error;
	/* psi and ks also as the fields of earlier releases, when they ran */
	int has_psi;
	double psi;
	int has_ks; /* numeric features only */
	double ks_statistic, ks_p_value;
	drift_result results[DRIFT__COUNT]; /* the detectors that ran */
	size_t n_results;
	double weight; /* from the plan */
	int critical;
	/* categorical: values of categories the reference does not hold, and
	 * reference categories expected at least 5 times in this window but
	 * not seen */
	uint64_t unseen, vanished;
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
	/* the window's data-quality checks (controller/pipeline/quality.h),
	 * set before policy_judge_features: failed checks, 0 when none ran */
	uint64_t quality_violations;
	policy_kpi_value kpis[KPI__COUNT];
	/* by index in the policy's kpis: the value of a KPI that names a class
	 * (multiclass recall of one class); unused for the others */
	policy_kpi_value class_kpis[POLICY_MAX_KPIS];
	uint64_t n_labelled;
	/* input: the policy's drift.ks_method as evaluation applies it
	 * (policy_drift_inputs): `auto` under a correction is `exact`, since
	 * corrected p-values depend on every feature's */
	int ks_method;
	/* input: per feature, its plan (n_features, borrowed; required by
	 * evaluate_window) */
	const drift_plan *plans;
	drift_binning binning;       /* input: drift.psi_binning */
	unsigned psi_bins;           /* input: Evidently binning's bin count */
	unsigned min_values_per_bin; /* input: 0 judges any window */
	double max_noise_alarm;      /* input: 1 judges any window */
	unsigned auto_size;          /* input: `auto` picks tests up to it */
} policy_window_eval;

#endif
