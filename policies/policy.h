/* policy.h - retraining policies: one JSON file per model, edited by ML
 * teams, validated completely before anything runs (all errors, each as
 * file:line:column), and the decision engine that applies them.
 *
 * The rule: retrain only when a KPI is past its threshold. Drift is
 * supporting evidence as the policy says (decision.require_drift); drift
 * without a KPI breach is `hold` with the reason; no KPI evidence is `hold`.
 * Keys, types, defaults and ranges: one table, policy_keys.c (printed by
 * `kpigate policy keys`, shown in docs/policies.md). */
#ifndef POLICY_H
#define POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "energy.h"
#include "policy_eval.h"
#include "kpg_diag.h"
#include "kpg_error.h"

#define POLICY_MAX_PARAMS 32
#define POLICY_WEBHOOK_MAX_HEADERS 16 /* action.headers */
#define POLICY_MAX_NOTIFY 8           /* notify targets per policy */
/* Room for every reason one decision can give: the drift summary, one
 * line per KPI and at most 4 more (the guards that block a breach);
 * checked in policy_decide.c with a static assertion. */
#define POLICY_MAX_REASONS 24
#define POLICY_REASON_LEN 256
#define POLICY_MAX_RETRAIN_HISTORY 64
/* window.label_wait_seconds: two days, long enough for labels collected
 * the next business day (SageMaker ground truth is typically hours to a
 * day late); a shorter wait decides sooner on fewer labels. */
#define POLICY_DEFAULT_LABEL_WAIT_S 172800
/* window.max_exact_values: 100,000 values (800 KB) per numeric feature,
 * 16 MB for 20 features; a window past it keeps a KLL sketch per feature
 * of window.sketch_k (about 3k doubles: 48 KB at 2000, rank error
 * 0.0019). KS stays exact up to sizes where its critical distance is
 * still several times that error. */
#define POLICY_DEFAULT_MAX_EXACT_VALUES 100000
#define POLICY_MAX_EXACT_VALUES 10000000
#define POLICY_DEFAULT_SKETCH_K 2000
#define POLICY_MIN_SKETCH_K 100
#define POLICY_MAX_SKETCH_K 65535 /* KLL_MAX_K */
#define POLICY_WEEK_MS (7 * 86400 * 1000LL)
#define POLICY_MONDAY_MS (4 * 86400 * 1000LL) /* 1970-01-05, a Monday */


typedef enum policy_action_type {
	POLICY_ACTION_DRY_RUN = 0,
	POLICY_ACTION_SAGEMAKER_PIPELINE,
	POLICY_ACTION_STEP_FUNCTIONS,
	POLICY_ACTION_WEBHOOK
} policy_action_type;


/* A KPI rule relative to the model's own baseline (policy_baseline). */
typedef enum policy_kpi_relative {
	POLICY_REL_NONE = 0,
	POLICY_REL_AMOUNT, /* worse than the baseline by more than worse_by */
	POLICY_REL_PCT     /* ... by more than worse_by % of the baseline */
} policy_kpi_relative;

typedef struct policy_kpi {
	kpi_metric metric;
	int is_max; /* 1: lower is better (rmse, mae): breach when value >
		       threshold; 0: breach when value < threshold */
	double threshold;
	policy_kpi_relative relative;
	double worse_by;
	int relative_only; /* no min/max: only the relative rule judges */
	char *class_name;  /* owned; multiclass recall of this class, else NULL */
} policy_kpi;

/* drift.features.NAME: one feature's detectors and weight. */
typedef struct policy_drift_feature {
	char *name;        /* owned */
	int has_detectors; /* plan's checks set here; else by the type's */
	drift_plan plan;   /* weight and critical always from here */
} policy_drift_feature;

/* quality: the data-quality checks of each closed window
 * (controller/pipeline/quality.h, docs/policies.md "Data-quality checks"). */
typedef struct policy_quality {
	int checks; /* quality.checks; default 1 */
	/* owned; resolved against the policy file; NULL = constraints
	 * derived from the reference */
	char *constraints_path;
	int violation_is_drift;          /* a violation is dataset drift; default 0 */
	char *violations_dir;            /* owned; resolved; NULL = no files */
	double datatype_check_threshold; /* default 1.0 */
	double domain_content_threshold; /* default 1.0 */
	double comparison_threshold;     /* default 0.1 */
} policy_quality;

typedef struct policy_param {
	char *name, *value; /* owned; value may hold {placeholders} */
} policy_param;

typedef struct policy {
	char *source_path; /* the file it came from; owned */
	char *model;       /* owned, required */
	char *endpoint;    /* owned; NULL = match on model name */

	char *reference_path; /* owned; resolved relative to the policy file */
	char *label_column;   /* owned; NULL when the reference has none */
	char **exclude_columns;
	size_t n_exclude; /* owned */
	policy_feature *features;
	size_t n_features; /* declared types (IGNORE included); owned */
	char **payload_columns;
	size_t n_payload_columns; /* payload.columns in order; owned; 0 = not set */

	policy_task task;
	char *score_field;      /* owned; JSON output field, default "score" */
	double score_threshold; /* binary: predicted positive when score >= it; default 0.5 */
	char *positive_label;   /* owned; binary: the label text of the positive class */
	char *negative_label;   /* owned; binary: the other class; NULL = any other text */
	char **classes;         /* owned; multiclass: the class order, NULL = the reference's */
	size_t n_classes;

	uint64_t window_records;  /* 0 = not by count */
	int64_t window_span_ms;   /* 0 = not by time; at least one is set */
	int64_t window_origin_ms; /* span windows start at origin + k * span */
	char *window_origin;      /* owned; window.origin as written, NULL = default */
	int64_t label_wait_ms;    /* event time a closed window waits for labels */
	/* per numeric feature, values kept exactly; past this a KLL sketch of
	 * window_sketch_k (controller/pipeline/window.h) */
	uint64_t window_max_exact_values;
	unsigned window_sketch_k;

	unsigned psi_bins;          /* default 10, 2..1000 */
	double psi_threshold;       /* default 0.2 */
	double ks_p_value;          /* default 0.01 */
	double ks_min_statistic;    /* default 0.1 */
	int ks_method;              /* drift.ks_method: policy_ks_method */
	double dataset_drift_share; /* default 0.3: share of drifted features */
	/* the other detectors and how they combine (policy_drift.c) */
	double chi2_p_value;          /* default 0.01 */
	double chi2_min_cramers_v;    /* default 0.1 */
	double js_threshold;          /* default 0.1 (base 2) */
	double wasserstein_threshold; /* default 0.1 (reference std units) */
	double hellinger_threshold;   /* default 0.1 */
	int psi_binning;              /* drift_binning; default quantile */
	unsigned min_values_per_bin;  /* default 10; 0 judges every window */
	double max_noise_alarm;       /* default 0.01; 1 judges every window */
	int correction;               /* correction_method; default none */
	unsigned auto_sample_size;    /* default 1000 */
	drift_plan drift_numeric;     /* drift.numeric; default psi + ks */
	drift_plan drift_categorical; /* drift.categorical; default psi */
	policy_drift_feature *drift_features;
	size_t n_drift_features; /* drift.features.NAME; owned */

	policy_kpi kpis[POLICY_MAX_KPIS];
	size_t n_kpis;              /* at least one */
	int require_drift;          /* retrain only with dataset drift too; default 0 */
	unsigned baseline_windows;  /* default 3: windows that make a baseline */
	int64_t baseline_settle_ms; /* -1 (default): energy.expected_hours */

	uint64_t min_records;         /* default 100 */
	uint64_t min_labelled;        /* default 100 */
	unsigned consecutive_windows; /* default 1 */
	int64_t cooldown_ms;          /* default 0 */
	unsigned max_retrains;        /* default 0 = unlimited */
	int64_t budget_period_ms;     /* default 30 days */

	policy_action_type action;
	char *pipeline_name;     /* sagemaker_pipeline; owned */
	char *state_machine_arn; /* step_functions; owned */
	char *action_region;     /* owned; NULL = energy region */
	policy_param params[POLICY_MAX_PARAMS];
	size_t n_params;
	/* action.type webhook (policy_webhook.c): {"url", "method", "headers",
	 * "body", "secret_file" | "secret_env", "already_started_status"} as
	 * validated, method filled in,
	 * every secret_file made absolute against the policy's folder; owned;
	 * NULL for the other action types. */
	struct json_t *webhook;

	policy_quality quality; /* quality.*: Model Monitor-style data checks */

	/* notify: the validated list as in the file (jansson), each
	 * secret_file made absolute against the policy's folder; owned; NULL
	 * = none (the daemon's default list applies). */
	struct json_t *notify;
	int64_t notify_cooldown_ms; /* drift_alert cooldown; default 1 hour */

	energy_profile energy;

	unsigned char sha256[32]; /* of the file's bytes */
} policy;

/* Errors found in a policy file, each with its line and column. */
typedef kpg_diag policy_diag;
typedef kpg_diags policy_diags;

/* Loads and validates path. Returns 0 with *out (caller frees with
 * policy_free), or KPG_EINVAL with every problem appended to diags (and a
 * summary in err), or KPG_EIO when the file cannot be read. */
int policy_load(const char *path, policy **out, policy_diags *diags,
		kpg_err *err);
/* The same from text already in memory (len bytes, not NUL-terminated);
 * path names the file in messages and anchors reference.path. */
int policy_load_buffer(const char *path, const char *text, size_t len,
		       policy **out, policy_diags *diags, kpg_err *err);
void policy_free(policy *p);
void policy_diags_free(policy_diags *d);

/* Names of the policy enums (policy_names.c; the ones the pipeline also
 * needs are in policy_eval.h). */
const char *policy_action_name(policy_action_type a);
extern const char *const policy_action_names[]; /* NULL-terminated, by enum */
/* notify[].type, notify[].events[] and notify[].format values
 * (policy_notify.c), NULL-terminated. */
extern const char *const policy_notify_types[];
extern const char *const policy_notify_event_names[];
extern const char *const policy_notify_formats[];
/* Name to value; 0, or KPG_ENOTFOUND leaving *out untouched. */
int kpi_metric_from_name(const char *name, kpi_metric *out);
int policy_action_from_name(const char *name, policy_action_type *out);
/* Placeholders allowed in action.parameters values, without braces:
 * "model", "window", "drifted_features", "kpis", "idempotency_key". */
extern const char *const policy_placeholders[];
extern const size_t policy_n_placeholders;

/* ---- decision engine ---------------------------------------------- */


/* Guard memory carried from window to window (checkpointed by the daemon). */
/* The model's own KPI level, for relative rules: learned from the first
 * baseline_windows windows with KPI evidence that start at or after
 * since_ms -- the start of the stream, a retrain kpigate decided (plus the
 * settle time), or a deployment it was told about. */
typedef struct policy_baseline {
	int64_t since_ms;               /* INT64_MIN: from the start of the stream */
	int64_t deployed_ms;            /* the last deployment applied; INT64_MIN none */
	unsigned windows;               /* windows learned so far */
	int ready;                      /* learned: value[] holds the means */
	double value[POLICY_MAX_KPIS];  /* per policy KPI: n-weighted sum, */
	double weight[POLICY_MAX_KPIS]; /* then the mean once ready */
} policy_baseline;

/* Guard memory carried from window to window (checkpointed by the daemon). */
typedef struct policy_guard_state {
	unsigned consecutive_breaches;
	int64_t last_retrain_ms; /* INT64_MIN when never */
	int64_t retrain_ms[POLICY_MAX_RETRAIN_HISTORY];
	size_t n_retrains;
	policy_baseline base;
} policy_guard_state;

void policy_guard_state_init(policy_guard_state *g);

/* After a window's decision: a retrain restarts the baseline, learned
 * from windows that start once the retrain has run (policy_settle_ms); a
 * window with evidence teaches a baseline still learning. */
void policy_baseline_after(const policy *p, const policy_window_eval *ev,
			   int retrained, policy_baseline *b);

/* baseline.settle_seconds, or by default energy.expected_hours, in ms. */
int64_t policy_settle_ms(const policy *p);

/* A new model serves from at_ms (a deployment signal): the baseline is
 * learned again from the windows that start then. Returns 0, or 1 when a
 * deployment at or after at_ms was applied already (nothing changes). */
int policy_guard_deployed(policy_guard_state *g, int64_t at_ms);

/* What each reason of a decision says, as a stable code beside its text
 * (names in policy_reason_names; meanings in docs/policies.md). Zero is
 * "unspecified": a reason that did not come from policy_decide. */
typedef enum policy_reason_code {
	POLICY_REASON_UNSPECIFIED = 0,
	POLICY_REASON_DATASET_DRIFT,     /* drift summary: dataset drift */
	POLICY_REASON_NO_DRIFT,          /* drift summary: no dataset drift */
	POLICY_REASON_DRIFT_NOT_JUDGED,  /* no feature values in the window */
	POLICY_REASON_MIN_RECORDS,       /* guard: too few records; hold */
	POLICY_REASON_MIN_LABELLED,      /* guard: too few labelled records; hold */
	POLICY_REASON_KPI_BREACH,        /* one KPI past its threshold */
	POLICY_REASON_KPI_OK,            /* one KPI within its threshold */
	POLICY_REASON_KPI_MISSING,       /* one KPI without a value */
	POLICY_REASON_NO_KPI,            /* no KPI has a value; hold */
	POLICY_REASON_NO_BREACH,         /* all KPIs with values within; hold */
	POLICY_REASON_DRIFT_ALERT,       /* dataset drift, no breach; hold */
	POLICY_REASON_REQUIRE_DRIFT,     /* guard: breach without required drift */
	POLICY_REASON_CONSECUTIVE,       /* guard: streak shorter than required */
	POLICY_REASON_COOLDOWN,          /* guard: inside the cooldown */
	POLICY_REASON_BUDGET,            /* guard: retrain budget used up */
	POLICY_REASON_RETRAIN,           /* the retrain and its streak */
	POLICY_REASON_KPI_DEGRADED,      /* one KPI worse than its baseline by
					   more than the rule allows */
	POLICY_REASON_KPI_NEAR_BASELINE, /* one KPI within its baseline rule */
	POLICY_REASON_BASELINE_LEARNING, /* a relative rule waits for its
					   baseline; hold when nothing else
					   could be judged */
	POLICY_REASON__COUNT
} policy_reason_code;

/* "min_records", "kpi_breach", ...; "unknown" out of range. */
const char *policy_reason_name(policy_reason_code c);
extern const char *const policy_reason_names[]; /* NULL-terminated, by enum */

typedef struct policy_decision {
	int retrain;             /* 1 retrain, 0 hold */
	int naive_would_retrain; /* a retrain-on-every-drift-alarm controller would */
	int kpi_breached;
	char reasons[POLICY_MAX_REASONS][POLICY_REASON_LEN];
	policy_reason_code reason_codes[POLICY_MAX_REASONS]; /* parallel to reasons */
	size_t n_reasons;
	/* Index in reasons of the one that decided the outcome: the data
	 * guard, "no KPI evidence", the drift alert or "KPIs within
	 * thresholds" for a hold without breach, the last blocking guard, or
	 * the first breaching KPI of a retrain. n_reasons when none did. */
	size_t decisive;
	char idempotency_key[96]; /* model + window: same window, same key */
} policy_decision;

#define POLICY_KEY_LEN 96

/* The window's idempotency key (the one policy_decide puts in the
 * decision): model, window index and start; known as soon as the window
 * closes, before its decision. key holds at least POLICY_KEY_LEN bytes. */
void policy_window_key(const policy *p, const policy_window_eval *ev,
		       char *key, size_t keylen);

/* The default plans from p's global thresholds (drift.psi_threshold,
 * ...): psi + ks for numeric features, psi for categorical ones, weight 1.
 * The loader calls it; so does code that fills a policy by hand. */
void policy_drift_defaults(policy *p);

/* A plan for features of type from detector names (as `compare
 * --detectors` takes them: "psi", "ks", ... or "auto" alone), with p's
 * global thresholds; names that do not fit type are left out (a plan
 * may end up empty). KPG_EINVAL with a message for an unknown name, a
 * name twice, or "auto" with others. */
int policy_drift_plan_from_names(const policy *p, const char *const *names,
				 size_t n, policy_feature_type type,
				 drift_plan *out, kpg_err *err);

/* The plan of one reference feature (name, type NUMERIC or CATEGORICAL):
 * drift.features.NAME's detectors when it names some, else its type's,
 * with its weight and criticality. Returns 0, or KPG_EINVAL with a
 * message (key drift.features.NAME...) when a detector named for this
 * feature does not fit its type. */
int policy_drift_plan_for(const policy *p, const char *name,
			  policy_feature_type type, drift_plan *out,
			  kpg_err *err);
/* drift.features names a feature the reference does not have: the first
 * such name, or NULL. has(name, ctx) says whether the reference has it. */
const char *policy_drift_unknown_feature(const policy *p,
					 int (*has)(const char *, void *),
					 void *ctx);
/* Sets the window inputs the policy decides (plans excluded). */
void policy_drift_inputs(const policy *p, policy_window_eval *ev);

/* The policy_ks_method evaluation applies: the policy's, except `auto`
 * under a correction, which is `exact` (a corrected p-value depends on
 * every feature's p-value, so none of them may be the asymptotic one in
 * place of the exact one). */
int policy_ks_method_applied(const policy *p);

/* Applies the policy's detector thresholds: sets each feature's drifted
 * flag, n_drifted, drifted_share and dataset_drift. */
void policy_judge_features(const policy *p, policy_window_eval *ev);

/* Decides retrain or hold for a judged window, updating guard state.
 * Every reason that led to the outcome is listed, evidence first, each
 * with its code; out->decisive names the one that decided. Numbers
 * compared with a threshold carry the digits that show the comparison
 * (policy_format.h). */
void policy_decide(const policy *p, const policy_window_eval *ev,
		   policy_guard_state *g, policy_decision *out);

#endif
