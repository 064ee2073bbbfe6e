/* policy_keys.c - the policy file's table: one row per key (policy_keys.h).
 * Rules a row cannot say are the check callbacks below; rules across keys
 * (KPIs vs the task, guards vs the window, the ARN's region) are in
 * policy_load.c, after the table pass. */
#include "policy_keys.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aws_names.h"
#include "aws_names_key.h"
#include "correction.h"
#include "energy.h"
#include "kpg_suggest.h"
#include "kpg_time.h"
#include "policy.h"
#include "policy_notify.h"
#include "policy_webhook.h"

#define NAME_MAX_BYTES 256          /* columns, features, score field */
#define MAX_SECONDS (366.0 * 86400) /* spans, cooldowns, budgets */
#define MAX_WINDOW_RECORDS 10000000.0

_Static_assert(sizeof(policy_task) == sizeof(int), "CHOICE stores an int");
_Static_assert(sizeof(policy_action_type) == sizeof(int), "CHOICE stores an int");

static const char *const ks_methods[] = {"auto", "asymp", "exact", NULL}; /* policy_ks_method */
/* by drift_binning */
static const char *const psi_binnings[] = {"quantile", "evidently", NULL};
/* by position: 0 numeric, 1 categorical, 2 ignore (policy_lists.c) */
static const char *const feature_types[] = {"numeric", "categorical", "ignore",
					    NULL};
/* tasks, KPI metrics and actions: policy_names.c's lists */

/* ---- rules a row cannot say --------------------------------------- */

static int check_version(kpg_jsonv *v, const kpg_jsonv_key *k,
			 const kpg_jsonv_at *at, json_t *value)
{
	long long x = json_is_integer(value) ? (long long)json_integer_value(value)
					     : (long long)json_number_value(value);

	(void)k;
	if (x == 1)
		return 1;
	kpg_jsonv_report(v, at, 0, "version must be 1 (the only policy format so far), got %lld",
			 x);
	return -1;
}

static int check_origin(kpg_jsonv *v, const kpg_jsonv_key *k,
			const kpg_jsonv_at *at, json_t *value)
{
	const char *s = json_string_value(value);
	int64_t ms;

	(void)k;
	if (kpg_time_parse_iso8601(s, strlen(s), &ms) == 0)
		return 0;
	kpg_jsonv_report(v, at, 0, "window.origin \"%s\" is not an ISO 8601 time such as 2026-01-05T00:00:00Z",
			 s);
	return -1;
}

/* Letters, digits, '.', '_', '-' only: model names go into keys, file
 * names and audit records. */
static int check_model(kpg_jsonv *v, const kpg_jsonv_key *k,
		       const kpg_jsonv_at *at, json_t *value)
{
	const char *s = json_string_value(value);

	(void)k;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr("._-", *c) != NULL)) {
			kpg_jsonv_report(v, at, 0, "model \"%s\" may hold only letters, digits, '.', '_' and '-'",
					 s);
			return -1;
		}
	return 0;
}

static int check_pipeline(kpg_jsonv *v, const kpg_jsonv_key *k,
			  const kpg_jsonv_at *at, json_t *value)
{
	(void)k;
	if (aws_names_is_pipeline_name(json_string_value(value)))
		return 0;
	kpg_jsonv_report(v, at, 0, "action.pipeline_name \"%s\" is not a SageMaker pipeline name (letters, digits and inner '-', at most 256)",
			 json_string_value(value));
	return -1;
}

static int check_arn(kpg_jsonv *v, const kpg_jsonv_key *k,
		     const kpg_jsonv_at *at, json_t *value)
{
	const char *why = NULL;
	char region[64];

	(void)k;
	if (aws_names_check_sfn_arn(json_string_value(value), region,
				    sizeof(region), &why) == 0)
		return 0;
	kpg_jsonv_report(v, at, 0, "action.state_machine_arn is not a Step Functions state machine ARN: %s",
			 why);
	return -1;
}

static int check_energy(kpg_jsonv *v, const kpg_jsonv_key *k,
			const kpg_jsonv_at *at, json_t *value)
{
	int is_region = strcmp(k->path, "energy.region") == 0;
	kpg_err e;
	int rc;

	kpg_err_clear(&e);
	rc = is_region ? energy_check_region(json_string_value(value), &e)
		       : energy_check_instance(json_string_value(value), &e);
	if (rc == 0)
		return 0;
	kpg_jsonv_report(v, at, 0, "%s: %s", at->path, e.msg[0] ? e.msg : is_region ? "unknown region"
										    : "unknown instance type");
	return -1;
}

/* KPI metrics have their own message, with the list when nothing is
 * close. */
static int check_metric(kpg_jsonv *v, const kpg_jsonv_key *k,
			const kpg_jsonv_at *at, json_t *value)
{
	const char *s = json_string_value(value), *hint;
	char list[128];

	if (kpg_jsonv_choice(k->choices, s) >= 0)
		return 1;
	hint = kpg_suggest(s, k->choices, KPI__COUNT);
	kpg_jsonv_choice_list(k->choices, list, sizeof(list));
	if (hint != NULL)
		kpg_jsonv_report(v, at, 0, "unknown KPI metric \"%s\"; did you mean \"%s\"?",
				 s, hint);
	else
		kpg_jsonv_report(v, at, 0, "unknown KPI metric \"%s\"; use %s", s, list);
	return -1;
}

/* ---- the table ---------------------------------------------------- */

#define AT(field) .offset = offsetof(policy, field)
#define REQ KPG_JSONV_REQUIRED
#define NUL KPG_JSONV_NULLABLE
#define OPEN_MIN KPG_JSONV_MIN_OPEN
#define OPEN_MAX KPG_JSONV_MAX_OPEN

/* One row per key, laid out by hand: clang-format would join each row
 * into one line. */
/* clang-format off */
static const kpg_jsonv_key keys[] = {
	{.path = "$schema", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = 4096, .doc = "For editors. kpigate ignores it."},
	{.path = "description", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = 4096, .doc = "Free text for people. kpigate ignores it."},
	{.path = "version", .type = KPG_JSONV_INT, .min = 1, .max = 1,
	 .def = "1", .check = check_version,
	 .doc = "Policy format version."},
	{.path = "model", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = 128, .store = KPG_JSONV_STR, AT(model), .check = check_model,
	 .doc = "Model name of `A-Z a-z 0-9 . _ -`, used in the audit log, the energy ledger and idempotency keys."},
	{.path = "endpoint", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = 256, .store = KPG_JSONV_STR, AT(endpoint),
	 .doc = "Endpoint whose captured traffic belongs to this model. null means the model name is matched instead."},

	{.path = "reference", .type = KPG_JSONV_OBJECT, .flags = REQ,
	 .doc = "The reference (training) data drift is measured against."},
	{.path = "reference.path", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = 4096, .store = KPG_JSONV_PATH, AT(reference_path),
	 .doc = "Reference (training) CSV that drift is measured against. A relative path is resolved against the policy file's folder, not the working directory."},
	{.path = "reference.label_column", .type = KPG_JSONV_STRING,
	 .flags = NUL, .max_len = NAME_MAX_BYTES, .store = KPG_JSONV_STR,
	 AT(label_column),
	 .doc = "Ground-truth column in the reference. It is never treated as a feature."},
	{.path = "reference.exclude_columns", .type = KPG_JSONV_ARRAY,
	 .max_len = POLICY_MAX_FEATURES,
	 .doc = "Columns of the reference CSV that are not in the payload (such as the training data's row IDs). They are dropped from the reference and from the expected payload. For a column the payload does carry but that should not be measured, use `features.NAME: \"ignore\"`."},
	{.path = "reference.exclude_columns[]", .type = KPG_JSONV_STRING,
	 .max_len = NAME_MAX_BYTES, .doc = "A column name."},

	{.path = "features", .type = KPG_JSONV_MAP,
	 .max_len = POLICY_MAX_FEATURES,
	 .doc = "Declared feature types; a feature not listed gets its type from the reference."},
	{.path = "features.NAME", .type = KPG_JSONV_STRING,
	 .choices = feature_types,
	 .doc = "Declared type of feature NAME (1–256 bytes). A feature not listed gets its type from the reference. `ignore`: the payload carries the column (in its place) but it is kept out of every statistic; it need not be in the reference when `payload.columns` places it. A name may not also be the label or an excluded column."},

	{.path = "payload", .type = KPG_JSONV_OBJECT,
	 .doc = "The captured payload's columns."},
	{.path = "payload.columns", .type = KPG_JSONV_ARRAY,
	 .max_len = POLICY_MAX_FEATURES,
	 .doc = "Every column of the captured payload, in its order, when that differs from the reference's. Each is a reference feature or a feature declared `ignore`; every reference feature must be listed. Not set: the reference's columns in order, without the label and excluded columns."},
	{.path = "payload.columns[]", .type = KPG_JSONV_STRING,
	 .max_len = NAME_MAX_BYTES, .doc = "A column name."},

	{.path = "prediction", .type = KPG_JSONV_OBJECT,
	 .doc = "What the model predicts and where its output is."},
	{.path = "prediction.task", .type = KPG_JSONV_STRING, .max_len = 64,
	 .choices = policy_task_names, .def = "\"binary_classification\"",
	 .store = KPG_JSONV_CHOICE, AT(task),
	 .doc = "Decides which KPIs are allowed."},
	{.path = "prediction.score_field", .type = KPG_JSONV_STRING,
	 .max_len = NAME_MAX_BYTES, .def = "\"score\"", .store = KPG_JSONV_STR,
	 AT(score_field),
	 .doc = "Field of the model's output holding the score (classification) or the predicted value (regression)."},
	{.path = "prediction.threshold", .type = KPG_JSONV_NUMBER, .min = 0,
	 .max = 1, .def = "0.5", .store = KPG_JSONV_DOUBLE, AT(score_threshold),
	 .doc = "binary_classification only. A prediction is positive when score ≥ threshold."},
	{.path = "prediction.positive_label", .type = KPG_JSONV_STRING,
	 .flags = NUL, .max_len = POLICY_LABEL_MAX, .store = KPG_JSONV_STR,
	 AT(positive_label),
	 .doc = "binary_classification with text labels (`UP`, `True.`): the label of the positive class, compared exactly (case kept, no trimming; numbers compare as numbers, so `\"1\"` matches `1.0`). Every other label is negative unless `negative_label` is set. A prediction that is text maps the same way (score 1 or 0). null: labels are numbers (positive when ≥ 0.5) or true/false."},
	{.path = "prediction.negative_label", .type = KPG_JSONV_STRING,
	 .flags = NUL, .max_len = POLICY_LABEL_MAX, .store = KPG_JSONV_STR,
	 AT(negative_label),
	 .doc = "With `positive_label`: the label of the negative class. Then any third label is rejected as `bad_value` naming the two classes; without it every other label is negative and the distinct label texts are counted (`label_texts` in the replay summary)."},
	{.path = "prediction.classes", .type = KPG_JSONV_ARRAY, .flags = NUL,
	 .max_len = POLICY_MAX_CLASSES,
	 .doc = "multiclass_classification: the class labels in the order of the model's probability outputs (2 to 64, distinct). Required when the output is a probability array (XGBoost `multi:softprob`); null: the classes of the reference's label column, in order of first appearance. Labels outside the classes are not credited."},
	{.path = "prediction.classes[]", .type = KPG_JSONV_STRING,
	 .max_len = POLICY_LABEL_MAX,
	 .doc = "A class label; write numbers as strings (`\"1\"`)."},

	{.path = "window", .type = KPG_JSONV_OBJECT, .flags = REQ,
	 .doc = "How records are grouped; needs `records`, `span_seconds` or both (whichever comes first closes a window)."},
	{.path = "window.records", .type = KPG_JSONV_INT, .min = 1,
	 .max = MAX_WINDOW_RECORDS, .store = KPG_JSONV_U64, AT(window_records),
	 .doc = "Close a window after this many records."},
	{.path = "window.span_seconds", .type = KPG_JSONV_INT, .min = 1,
	 .max = MAX_SECONDS, .store = KPG_JSONV_I64, AT(window_span_ms),
	 .scale = 1000, .doc = "Close a window after this much event time (at most 366 days). With both `records` and `span_seconds`, whichever comes first closes the window."},
	{.path = "window.origin", .type = KPG_JSONV_STRING, .max_len = 40,
	 .store = KPG_JSONV_STR, AT(window_origin), .check = check_origin,
	 .doc = "Span windows start at this UTC time (ISO 8601, e.g. `2026-01-05T00:00:00Z`) plus whole spans. Default: UTC midnight, and Monday 00:00 UTC when the span is a whole number of weeks (ISO weeks)."},
	{.path = "window.label_wait_seconds", .type = KPG_JSONV_INT, .min = 0,
	 .max = MAX_SECONDS, .def = KPG_JSONV_DEF(POLICY_DEFAULT_LABEL_WAIT_S),
	 .store = KPG_JSONV_I64, AT(label_wait_ms), .scale = 1000,
	 .doc = "How long (event time) after a window ends its predictions' labels may still arrive. The window's KPIs are those of its own predictions; it is decided when this wait has passed, or earlier once every prediction of the window has its label. Labels later than that are counted as `late_label`."},

	{.path = "window.max_exact_values", .type = KPG_JSONV_INT,
	 .min = 1000, .max = POLICY_MAX_EXACT_VALUES,
	 .def = KPG_JSONV_DEF(POLICY_DEFAULT_MAX_EXACT_VALUES),
	 .store = KPG_JSONV_U64, AT(window_max_exact_values),
	 .doc = "Values of a numeric feature a window keeps exactly (8 bytes each). Past this the feature's values go into a KLL quantile sketch of `window.sketch_k` (bounded memory, any window size); every statistic computed from it carries the sketch's error bound in the audit record. Exact up to here, as scipy computes it."},
	{.path = "window.sketch_k", .type = KPG_JSONV_INT,
	 .min = POLICY_MIN_SKETCH_K, .max = POLICY_MAX_SKETCH_K,
	 .def = KPG_JSONV_DEF(POLICY_DEFAULT_SKETCH_K), .store = KPG_JSONV_UINT,
	 AT(window_sketch_k),
	 .doc = "Accuracy of a window's sketch: its CDF errs by at most 2.446 / k^0.9433 of the values (99 % confidence; 0.0019 at 2000) and it keeps about 3k values (48 KB at 2000) per feature."},

	{.path = "drift", .type = KPG_JSONV_OBJECT,
	 .doc = "Drift detectors and their thresholds."},
	{.path = "drift.psi_bins", .type = KPG_JSONV_INT, .min = 2, .max = 1000,
	 .def = "10", .store = KPG_JSONV_UINT, AT(psi_bins),
	 .doc = "Quantile bins of the reference used for PSI (and `js`, `hellinger`) on numeric features."},
	{.path = "drift.psi_threshold", .type = KPG_JSONV_NUMBER,
	 .flags = OPEN_MIN, .min = 0, .max = 10, .def = "0.2",
	 .store = KPG_JSONV_DOUBLE, AT(psi_threshold),
	 .doc = "A feature has drifted when its PSI ≥ this value."},
	{.path = "drift.ks_p_value", .type = KPG_JSONV_NUMBER,
	 .flags = OPEN_MIN | OPEN_MAX, .min = 0, .max = 1, .def = "0.01",
	 .store = KPG_JSONV_DOUBLE, AT(ks_p_value),
	 .doc = "A numeric feature has also drifted when the KS p-value < this value …"},
	{.path = "drift.ks_min_statistic", .type = KPG_JSONV_NUMBER, .min = 0,
	 .max = 1, .def = "0.1", .store = KPG_JSONV_DOUBLE,
	 AT(ks_min_statistic),
	 .doc = "… and the KS statistic ≥ this value. The minimum stops large windows from flagging tiny shifts."},
	{.path = "drift.ks_method", .type = KPG_JSONV_STRING, .max_len = 16,
	 .choices = ks_methods, .def = "\"auto\"", .store = KPG_JSONV_CHOICE,
	 AT(ks_method),
	 .doc = "How the KS p-value is computed: `auto` scipy's exact count wherever it could change the verdict and the asymptotic one elsewhere (marked), `asymp` always the asymptotic one, `exact` scipy's default on every window (below)."},
	{.path = "drift.dataset_drift_share", .type = KPG_JSONV_NUMBER,
	 .flags = OPEN_MIN, .min = 0, .max = 1, .def = "0.3",
	 .store = KPG_JSONV_DOUBLE, AT(dataset_drift_share),
	 .doc = "There is dataset drift when the share of drifted features ≥ this value: features with values in the window, each counted by its `weight` (`drift.features`). A `critical` feature that drifts is dataset drift on its own."},
	{.path = "drift.chi2_p_value", .type = KPG_JSONV_NUMBER,
	 .flags = OPEN_MIN | OPEN_MAX, .min = 0, .max = 1, .def = "0.01",
	 .store = KPG_JSONV_DOUBLE, AT(chi2_p_value),
	 .doc = "`chi2` (categorical): drift when the chi-square test's p-value (after `correction`) < this value …"},
	{.path = "drift.chi2_min_cramers_v", .type = KPG_JSONV_NUMBER, .min = 0,
	 .max = 1, .def = "0.1", .store = KPG_JSONV_DOUBLE,
	 AT(chi2_min_cramers_v),
	 .doc = "… and Cramér's V ≥ this value: the effect-size floor that keeps large windows from flagging tiny shifts."},
	{.path = "drift.js_threshold", .type = KPG_JSONV_NUMBER,
	 .flags = OPEN_MIN, .min = 0, .max = 1, .def = "0.1",
	 .store = KPG_JSONV_DOUBLE, AT(js_threshold),
	 .doc = "`js`: drift when the Jensen–Shannon distance (base 2, 0–1) ≥ this value."},
	{.path = "drift.wasserstein_threshold", .type = KPG_JSONV_NUMBER,
	 .flags = OPEN_MIN, .min = 0, .max = 1000, .def = "0.1",
	 .store = KPG_JSONV_DOUBLE, AT(wasserstein_threshold),
	 .doc = "`wasserstein` (numeric): drift when the Wasserstein distance divided by the reference's standard deviation ≥ this value."},
	{.path = "drift.hellinger_threshold", .type = KPG_JSONV_NUMBER,
	 .flags = OPEN_MIN, .min = 0, .max = 1, .def = "0.1",
	 .store = KPG_JSONV_DOUBLE, AT(hellinger_threshold),
	 .doc = "`hellinger`: drift when the Hellinger distance (0–1) ≥ this value."},
	{.path = "drift.psi_binning", .type = KPG_JSONV_STRING, .max_len = 16,
	 .choices = psi_binnings, .def = "\"quantile\"",
	 .store = KPG_JSONV_CHOICE, AT(psi_binning),
	 .doc = "Bins of `psi`, `js` and `hellinger`: `quantile` (`psi_bins` quantile bins of the reference; categories plus one unseen bin) or `evidently` (Evidently 0.7's own: Sturges' equal-width bins over reference and window together, or value by value when the reference has 20 distinct values or fewer; the union of categories; its zero fill), so teams moving from Evidently see their numbers. `psi_bins` does not apply to `evidently`, as Evidently ignores its own `n_bins`."},
	{.path = "drift.min_values_per_bin", .type = KPG_JSONV_INT, .min = 0,
	 .max = 1000, .def = "10", .store = KPG_JSONV_UINT,
	 AT(min_values_per_bin),
	 .doc = "The binned detectors (`psi`, `js`, `hellinger`) judge a window only when it has at least this many values per bin (10 bins: 100 values); below, the value is reported with `skipped: few_values` and does not count. 0 judges every window."},
	{.path = "drift.max_noise_alarm", .type = KPG_JSONV_NUMBER,
	 .flags = OPEN_MIN, .min = 0, .max = 1, .def = "0.01",
	 .store = KPG_JSONV_DOUBLE, AT(max_noise_alarm),
	 .doc = "The binned detectors also judge a window only when one of its size with no drift at all would reach their threshold at most this often (a chi-square approximation from the bins and both sample sizes: 51 categories in 1,666 values reach a Jensen–Shannon distance of 0.1 by chance alone); below, `skipped: noise`. 1 turns the rule off."},
	{.path = "drift.correction", .type = KPG_JSONV_STRING, .max_len = 32,
	 .choices = correction_method_names, .def = "\"none\"",
	 .store = KPG_JSONV_CHOICE, AT(correction),
	 .doc = "Multiple-testing correction across the window's p-value tests (every `ks` and `chi2` of every feature): `none`, `bonferroni` or `benjamini_hochberg` (false discovery rate)."},
	{.path = "drift.auto_sample_size", .type = KPG_JSONV_INT, .min = 1,
	 .max = 100000000, .def = "1000", .store = KPG_JSONV_UINT,
	 AT(auto_sample_size),
	 .doc = "`auto` detectors: up to this effective sample size (N·m/(N+m) of reference and window) the tests (`ks`, `chi2`), above it the distances (`wasserstein`, `js`)."},
	{.path = "drift.numeric", .type = KPG_JSONV_ARRAY, .max_len = DRIFT__COUNT,
	 .doc = "Detectors for numeric features: any of `psi`, `ks`, `js`, `wasserstein`, `hellinger`, or `[\"auto\"]`. Default `[\"psi\", \"ks\"]`. A feature has drifted when any of its detectors says so."},
	{.path = "drift.numeric[]", .type = KPG_JSONV_STRING, .max_len = 16,
	 .doc = "A detector name, with the thresholds above, or an object `{\"name\": \"ks\", \"threshold\": 0.001, \"min_effect\": 0.05}` with its own."},
	{.path = "drift.numeric[].name", .type = KPG_JSONV_STRING, .flags = REQ, .max_len = 16,
	 .doc = "The detector."},
	{.path = "drift.numeric[].threshold", .type = KPG_JSONV_NUMBER,
	 .flags = OPEN_MIN, .min = 0, .max = 1000,
	 .doc = "Its threshold: the p-value below which a test (`ks`, `chi2`) finds drift, or the distance at or above which a distance does."},
	{.path = "drift.numeric[].min_effect", .type = KPG_JSONV_NUMBER, .min = 0,
	 .max = 1, .doc = "Tests only: the effect size (KS statistic, Cramér's V) drift also needs."},
	{.path = "drift.categorical", .type = KPG_JSONV_ARRAY,
	 .max_len = DRIFT__COUNT,
	 .doc = "Detectors for categorical features: any of `psi`, `chi2`, `js`, `hellinger`, or `[\"auto\"]`. Default `[\"psi\"]`. Entries as in `drift.numeric`."},
	{.path = "drift.categorical[]", .type = KPG_JSONV_STRING, .max_len = 16,
	 .doc = "A detector name or an object, as in `drift.numeric[]`."},
	{.path = "drift.categorical[].name", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = 16, .doc = "The detector."},
	{.path = "drift.categorical[].threshold", .type = KPG_JSONV_NUMBER,
	 .flags = OPEN_MIN, .min = 0, .max = 1000, .doc = "Its threshold."},
	{.path = "drift.categorical[].min_effect", .type = KPG_JSONV_NUMBER,
	 .min = 0, .max = 1, .doc = "Tests only: the effect-size floor."},
	{.path = "drift.features", .type = KPG_JSONV_MAP,
	 .max_len = POLICY_MAX_FEATURES,
	 .doc = "Per feature: its own detectors, its weight in the dataset-drift share, or whether it is critical. Each NAME must be a feature of the reference."},
	{.path = "drift.features.NAME", .type = KPG_JSONV_OBJECT,
	 .doc = "One feature, e.g. `{\"detectors\": [\"wasserstein\"], \"weight\": 2, \"critical\": true}`."},
	{.path = "drift.features.NAME.detectors", .type = KPG_JSONV_ARRAY,
	 .max_len = DRIFT__COUNT,
	 .doc = "Its detectors, instead of its type's; entries as in `drift.numeric`; each must fit the feature's type."},
	{.path = "drift.features.NAME.detectors[]", .type = KPG_JSONV_STRING,
	 .max_len = 16, .doc = "A detector name or an object."},
	{.path = "drift.features.NAME.detectors[].name", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = 16, .doc = "The detector."},
	{.path = "drift.features.NAME.detectors[].threshold",
	 .type = KPG_JSONV_NUMBER, .flags = OPEN_MIN, .min = 0, .max = 1000,
	 .doc = "Its threshold."},
	{.path = "drift.features.NAME.detectors[].min_effect",
	 .type = KPG_JSONV_NUMBER, .min = 0, .max = 1,
	 .doc = "Tests only: the effect-size floor."},
	{.path = "drift.features.NAME.weight", .type = KPG_JSONV_NUMBER,
	 .flags = OPEN_MIN, .min = 0, .max = 1000, .def = "1",
	 .doc = "Its weight in the drifted share (a feature of weight 2 counts as two)."},
	{.path = "drift.features.NAME.critical", .type = KPG_JSONV_BOOL,
	 .def = "false",
	 .doc = "When true, this feature drifting is dataset drift whatever the share."},

	{.path = "kpis", .type = KPG_JSONV_ARRAY, .flags = REQ,
	 .max_len = POLICY_MAX_KPIS,
	 .doc = "The KPIs that decide retraining: at least one, each metric at most once (recall once per class)."},
	{.path = "kpis[]", .type = KPG_JSONV_OBJECT,
	 .doc = "One KPI: a metric and its rules: the `min` or `max` its direction calls for, a rule against the model's baseline, or both."},
	{.path = "kpis[].metric", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = 64, .choices = kpi_metric_names, .check = check_metric,
	 .doc = "Computed on the labelled records of the window. `accuracy` needs a classification task; `precision`, `f1`, `auc` need binary_classification; `recall` binary_classification, or multiclass_classification with `class`; `f1_macro`, `f1_weighted` need multiclass_classification; `rmse`, `mae` need regression."},
	{.path = "kpis[].class", .type = KPG_JSONV_STRING,
	 .max_len = POLICY_LABEL_MAX,
	 .doc = "multiclass_classification, metric `recall` only (and required there): the class whose recall is judged, e.g. `{\"metric\": \"recall\", \"class\": \"b\", \"min\": 0.6}`. Each class at most once."},
	{.path = "kpis[].min", .type = KPG_JSONV_NUMBER, .min = 0, .max = 1,
	 .doc = "For higher-is-better metrics (accuracy, precision, recall, f1, auc, f1_macro, f1_weighted). Breach when value < min."},
	{.path = "kpis[].max", .type = KPG_JSONV_NUMBER, .min = 0,
	 .max = INFINITY,
	 .doc = "For lower-is-better metrics (rmse, mae). Breach when value > max. Give exactly one of `min` and `max`. The other one is an error with a hint."},

	{.path = "kpis[].worse_than_baseline_by", .type = KPG_JSONV_NUMBER,
	 .min = 0, .max = INFINITY,
	 .doc = "Breach when the KPI is worse than the model's own baseline by more than this amount, in the metric's units (`auc` 0.05: five points of AUC below the baseline). The baseline is learned after each (re)train: see [Relative KPI rules](#relative-kpi-rules). With `min`/`max` too, either rule breaches."},
	{.path = "kpis[].worse_than_baseline_pct", .type = KPG_JSONV_NUMBER,
	 .min = 0, .max = 1000,
	 .doc = "Breach when the KPI is worse than the model's own baseline by more than this percentage of the baseline (`rmse` 20: the RMSE rose more than 20 % above its baseline; what AWS's monitoring sample calls `performance_degradation_pct`). At most one of `worse_than_baseline_by` and `worse_than_baseline_pct`."},

	{.path = "baseline", .type = KPG_JSONV_OBJECT,
	 .doc = "How the model's own KPI level is learned, for the relative KPI rules."},
	{.path = "baseline.windows", .type = KPG_JSONV_INT, .min = 1, .max = 100,
	 .def = "3", .store = KPG_JSONV_UINT, AT(baseline_windows),
	 .doc = "Windows with KPI evidence (at least `min_records` records and `min_labelled` labels) that make the baseline: the first ones of the stream, and again after each retrain or deployment. Their KPIs are averaged, weighted by labelled records."},
	{.path = "baseline.settle_seconds", .type = KPG_JSONV_INT, .min = 0,
	 .max = MAX_SECONDS, .store = KPG_JSONV_I64, AT(baseline_settle_ms),
	 .scale = 1000,
	 .doc = "After a retrain kpigate decided, the baseline is learned from windows that start this long after the decision (the new model must be serving). Default: `energy.expected_hours`. A deployment signal (`replay --deployments`) starts it at the deployment's time instead."},

	{.path = "decision", .type = KPG_JSONV_OBJECT,
	 .doc = "How KPI breaches and drift combine."},
	{.path = "decision.require_drift", .type = KPG_JSONV_BOOL,
	 .def = "false", .store = KPG_JSONV_FLAG, AT(require_drift),
	 .doc = "When true, a KPI breach retrains only if the same window also shows dataset drift."},

	{.path = "quality", .type = KPG_JSONV_OBJECT,
	 .doc = "Model Monitor-style data-quality checks of each closed window: see [Data-quality checks](#data-quality-checks)."},
	{.path = "quality.checks", .type = KPG_JSONV_BOOL, .def = "true",
	 .store = KPG_JSONV_FLAG, AT(quality.checks),
	 .doc = "Run the checks (data type, non-negativity, completeness, missing and extra columns, categorical values, baseline drift) when a window closes; their results go into `window_evaluated` as `quality`."},
	{.path = "quality.constraints", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = 4096, .store = KPG_JSONV_PATH, AT(quality.constraints_path),
	 .doc = "A Model Monitor `constraints.json`, relative to the policy file. Not set: the constraints are derived from the reference, as `suggest_baseline` would."},
	{.path = "quality.violation_is_drift", .type = KPG_JSONV_BOOL,
	 .def = "false", .store = KPG_JSONV_FLAG, AT(quality.violation_is_drift),
	 .doc = "When true, a window with any violation has dataset drift (the drift summary says so), whatever its detectors say."},
	{.path = "quality.violations_dir", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = 4096, .store = KPG_JSONV_PATH, AT(quality.violations_dir),
	 .doc = "When set (relative to the policy file), each checked window writes `DIR/<model>/<window start, e.g. 2026-01-05T00-00-00Z>/constraint_violations.json` in Model Monitor's schema, violations only."},
	{.path = "quality.datatype_check_threshold", .type = KPG_JSONV_NUMBER,
	 .min = 0, .max = 1, .def = "1.0", .store = KPG_JSONV_DOUBLE,
	 AT(quality.datatype_check_threshold),
	 .doc = "`data_type_check` fails when the share of a feature's values of its type is below this (Model Monitor's `monitoring_config.datatype_check_threshold`)."},
	{.path = "quality.domain_content_threshold", .type = KPG_JSONV_NUMBER,
	 .min = 0, .max = 1, .def = "1.0", .store = KPG_JSONV_DOUBLE,
	 AT(quality.domain_content_threshold),
	 .doc = "`categorical_values_check` fails when the share of a categorical feature's values in its domain is below this (`monitoring_config.domain_content_threshold`)."},
	{.path = "quality.comparison_threshold", .type = KPG_JSONV_NUMBER,
	 .min = 0, .max = 1, .def = "0.1", .store = KPG_JSONV_DOUBLE,
	 AT(quality.comparison_threshold),
	 .doc = "`baseline_drift_check` fails when a feature's distance to the reference (numeric: the largest CDF difference; categorical: the largest category-share difference) is above this (`monitoring_config.comparison_threshold`)."},

	{.path = "guards", .type = KPG_JSONV_OBJECT,
	 .doc = "Limits on when and how often a model retrains."},
	{.path = "guards.min_records", .type = KPG_JSONV_INT, .min = 0,
	 .max = MAX_WINDOW_RECORDS, .def = "100", .store = KPG_JSONV_U64,
	 AT(min_records),
	 .doc = "A window with fewer records is `hold`. At most `window.records`."},
	{.path = "guards.min_labelled", .type = KPG_JSONV_INT, .min = 0,
	 .max = MAX_WINDOW_RECORDS, .def = "100", .store = KPG_JSONV_U64,
	 AT(min_labelled),
	 .doc = "A window with fewer labelled records is `hold` (\"no KPI evidence\"). At most `window.records`."},
	{.path = "guards.consecutive_windows", .type = KPG_JSONV_INT, .min = 1,
	 .max = 1000, .def = "1", .store = KPG_JSONV_UINT,
	 AT(consecutive_windows),
	 .doc = "Breaching windows needed in a row before a retrain."},
	{.path = "guards.cooldown_seconds", .type = KPG_JSONV_INT, .min = 0,
	 .max = MAX_SECONDS, .def = "0", .store = KPG_JSONV_I64,
	 AT(cooldown_ms), .scale = 1000,
	 .doc = "Minimum event time between two retrains."},
	{.path = "guards.max_retrains", .type = KPG_JSONV_INT, .min = 0,
	 .max = POLICY_MAX_RETRAIN_HISTORY, .def = "0", .store = KPG_JSONV_UINT,
	 AT(max_retrains),
	 .doc = "Most retrains allowed in any `budget_period_seconds`; 0 = unlimited."},
	{.path = "guards.budget_period_seconds", .type = KPG_JSONV_INT,
	 .min = 1, .max = MAX_SECONDS, .def = "2592000", .store = KPG_JSONV_I64,
	 AT(budget_period_ms), .scale = 1000,
	 .doc = "Sliding period for `max_retrains` (default 30 days)."},

	{.path = "action", .type = KPG_JSONV_OBJECT, .flags = REQ,
	 .doc = "The retraining action."},
	{.path = "action.type", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = 64, .choices = policy_action_names, .store = KPG_JSONV_CHOICE,
	 AT(action),
	 .doc = "What a retrain does. `dry_run` only records the decision; `webhook` sends an HTTP request (docs/actions.md)."},
	{.path = "action.pipeline_name", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = 256, .store = KPG_JSONV_STR, AT(pipeline_name),
	 .check = check_pipeline,
	 .doc = "SageMaker pipeline name, `[A-Za-z0-9](-*[A-Za-z0-9]){0,255}`. **Required** for `sagemaker_pipeline`."},
	{.path = "action.state_machine_arn", .type = KPG_JSONV_STRING,
	 .flags = NUL, .max_len = 2048, .store = KPG_JSONV_STR,
	 AT(state_machine_arn), .check = check_arn,
	 .doc = "Step Functions state machine ARN, `arn:aws[-a-z]*:states:REGION:ACCOUNT:stateMachine:NAME`. **Required** for `step_functions`."},
	{.path = "action.region", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = 32, .store = KPG_JSONV_STR, AT(action_region),
	 .check = aws_names_key_region,
	 .doc = "AWS region the action calls, e.g. `eu-west-1`; null: `energy.region`. It must match the state machine ARN's region."},
	{.path = "action.parameters", .type = KPG_JSONV_MAP, .flags = NUL,
	 .max_len = POLICY_MAX_PARAMS,
	 .doc = "Pipeline parameters or execution input. Values are strings and may use placeholders (below)."},
	{.path = "action.parameters.NAME", .type = KPG_JSONV_STRING,
	 .max_len = 1024,
	 .doc = "A string value; NAME is 1 to 256 of `A-Z a-z 0-9 _ -`; values may use placeholders (below)."},

	{.path = "action.url", .type = KPG_JSONV_STRING, .max_len = 2048,
	 .check = policy_notify_check_url,
	 .doc = "webhook, **required**: where the trigger goes, `http://` or `https://` (certificates verified, redirects not followed). Taken as written: no placeholders. Only its host is audited."},
	{.path = "action.method", .type = KPG_JSONV_STRING, .max_len = 8,
	 .def = "\"POST\"", .choices = policy_webhook_methods,
	 .doc = "webhook: the HTTP method."},
	{.path = "action.headers", .type = KPG_JSONV_MAP,
	 .max_len = POLICY_WEBHOOK_MAX_HEADERS,
	 .doc = "webhook: extra request headers, name: value. Names are HTTP tokens; `X-Kpigate-*`, `Content-Type`, `Content-Length` and `Host` are kpigate's. Only the names are audited."},
	{.path = "action.headers.NAME", .type = KPG_JSONV_STRING, .max_len = 1024,
	 .doc = "A string (placeholders allowed, no line breaks), or `{\"secret_file\": FILE}` / `{\"secret_env\": VAR}`: the value read when the request is sent (one trailing newline dropped), e.g. `Bearer ghp_...`, never in the policy, the outbox or the audit log."},
	{.path = "action.headers.NAME.secret_file", .type = KPG_JSONV_STRING,
	 .max_len = 4096,
	 .doc = "File holding the header's value, relative to the policy's folder."},
	{.path = "action.headers.NAME.secret_env", .type = KPG_JSONV_STRING,
	 .max_len = 128,
	 .doc = "Environment variable holding the header's value."},
	{.path = "action.body", .type = KPG_JSONV_MAP, .max_len = 64,
	 .doc = "webhook: the JSON object sent; every string in it, at any depth, may use placeholders (below). Absent: `{\"model\": ..., \"idempotency_key\": ..., \"decision\": \"retrain\", \"reasons\": [...], \"window\": ...}`."},
	{.path = "action.already_started_status", .type = KPG_JSONV_INT, .min = 400,
	 .max = 499,
	 .doc = "webhook: the 4xx with which the receiver says it has this idempotency key already (Airflow: 409 for an existing `dag_run_id`); audited `already_started`, not `failed`. Absent: every 4xx but 408 and 429 is final."},
	{.path = "action.secret_file", .type = KPG_JSONV_STRING, .max_len = 4096,
	 .doc = "webhook: file holding the secret the body is signed with (`X-Kpigate-Signature`, docs/notifications.md), relative to the policy's folder. At most one of `secret_file` and `secret_env`; neither: unsigned."},
	{.path = "action.secret_env", .type = KPG_JSONV_STRING, .max_len = 128,
	 .doc = "webhook: environment variable holding the signing secret."},

	{.path = "notify", .type = KPG_JSONV_ARRAY, .flags = NUL,
	 .max_len = POLICY_MAX_NOTIFY,
	 .doc = "Where this model's events go (docs/notifications.md): drift alerts and retrains, as signed webhooks. Sent by the daemon and `replay --execute`; null or absent: none."},
	POLICY_NOTIFY_TARGET_ROWS,
	{.path = "notify_cooldown_seconds", .type = KPG_JSONV_INT, .min = 0,
	 .max = MAX_SECONDS, .def = "3600", .store = KPG_JSONV_I64,
	 AT(notify_cooldown_ms), .scale = 1000,
	 .doc = "Event time between two `drift_alert` notifications of this model; the ones in between are suppressed and counted. `retrain_decided` is never suppressed."},

	{.path = "energy", .type = KPG_JSONV_OBJECT, .flags = REQ,
	 .doc = "The training run, for the energy and carbon estimate."},
	{.path = "energy.instance_type", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = 63, .store = KPG_JSONV_CHARS, AT(energy.instance_type),
	 .size = sizeof(((policy *)0)->energy.instance_type),
	 .check = check_energy,
	 .doc = "Training instance, used to estimate energy and carbon; must be in kpigate's energy table, e.g. `ml.m5.xlarge`."},
	{.path = "energy.instance_count", .type = KPG_JSONV_INT, .flags = REQ,
	 .min = 1, .max = 1000, .store = KPG_JSONV_UINT,
	 AT(energy.instance_count), .doc = "Instances per training run."},
	{.path = "energy.expected_hours", .type = KPG_JSONV_NUMBER,
	 .flags = REQ | OPEN_MIN, .min = 0, .max = 720,
	 .store = KPG_JSONV_DOUBLE, AT(energy.expected_hours),
	 .doc = "Expected run time, used for the estimate made before a run."},
	{.path = "energy.region", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = 31, .store = KPG_JSONV_CHARS, AT(energy.region),
	 .size = sizeof(((policy *)0)->energy.region), .check = check_energy,
	 .doc = "Where training runs, in kpigate's grid-factor table. Sets the grid's carbon intensity."},
};
/* clang-format on */

const kpg_jsonv_key *policy_keys(size_t *n)
{
	*n = sizeof(keys) / sizeof(keys[0]);
	return keys;
}

int policy_key_default(const char *path, double *out)
{
	const kpg_jsonv_key *k = kpg_jsonv_key_find(keys, sizeof(keys) / sizeof(keys[0]), path);

	if (k == NULL || k->def == NULL ||
	    (k->type != KPG_JSONV_INT && k->type != KPG_JSONV_NUMBER))
		return KPG_ENOTFOUND;
	*out = strtod(k->def, NULL);
	return 0;
}
