/* policy_names.c - canonical names of metrics, tasks, actions, feature
 * types and decision reasons, and their parsers. */
#include "policy.h"

#include <string.h>

/* NULL-terminated, indexed by the enums: the policy key table's choices
 * (a choice's index is its enum value). */
const char *const kpi_metric_names[KPI__COUNT + 1] = {
	[KPI_ACCURACY] = "accuracy",
	[KPI_PRECISION] = "precision",
	[KPI_RECALL] = "recall",
	[KPI_F1] = "f1",
	[KPI_AUC] = "auc",
	[KPI_RMSE] = "rmse",
	[KPI_MAE] = "mae",
	[KPI_F1_MACRO] = "f1_macro",
	[KPI_F1_WEIGHTED] = "f1_weighted",
	[KPI__COUNT] = NULL,
};

const char *const policy_task_names[] = {
	[POLICY_TASK_BINARY] = "binary_classification",
	[POLICY_TASK_REGRESSION] = "regression",
	[POLICY_TASK_MULTICLASS] = "multiclass_classification",
	NULL,
};

const char *const policy_action_names[] = {
	[POLICY_ACTION_DRY_RUN] = "dry_run",
	[POLICY_ACTION_SAGEMAKER_PIPELINE] = "sagemaker_pipeline",
	[POLICY_ACTION_STEP_FUNCTIONS] = "step_functions",
	[POLICY_ACTION_WEBHOOK] = "webhook",
	NULL,
};

const char *const policy_reason_names[POLICY_REASON__COUNT + 1] = {
	[POLICY_REASON_UNSPECIFIED] = "unspecified",
	[POLICY_REASON_DATASET_DRIFT] = "dataset_drift",
	[POLICY_REASON_NO_DRIFT] = "no_drift",
	[POLICY_REASON_DRIFT_NOT_JUDGED] = "drift_not_judged",
	[POLICY_REASON_MIN_RECORDS] = "min_records",
	[POLICY_REASON_MIN_LABELLED] = "min_labelled",
	[POLICY_REASON_KPI_BREACH] = "kpi_breach",
	[POLICY_REASON_KPI_OK] = "kpi_ok",
	[POLICY_REASON_KPI_MISSING] = "kpi_missing",
	[POLICY_REASON_NO_KPI] = "no_kpi",
	[POLICY_REASON_NO_BREACH] = "no_breach",
	[POLICY_REASON_DRIFT_ALERT] = "drift_alert",
	[POLICY_REASON_REQUIRE_DRIFT] = "require_drift",
	[POLICY_REASON_CONSECUTIVE] = "consecutive",
	[POLICY_REASON_COOLDOWN] = "cooldown",
	[POLICY_REASON_BUDGET] = "budget",
	[POLICY_REASON_RETRAIN] = "retrain",
	[POLICY_REASON_KPI_DEGRADED] = "kpi_degraded",
	[POLICY_REASON_KPI_NEAR_BASELINE] = "kpi_near_baseline",
	[POLICY_REASON_BASELINE_LEARNING] = "baseline_learning",
	[POLICY_REASON__COUNT] = NULL,
};

const char *const policy_placeholders[] = {
	"model",
	"window",
	"drifted_features",
	"kpis",
	"idempotency_key",
};
const size_t policy_n_placeholders =
	sizeof(policy_placeholders) / sizeof(policy_placeholders[0]);

#define NAMES_N(a) (sizeof(a) / sizeof((a)[0]) - 1) /* without the NULL */

const char *kpi_metric_name(kpi_metric m)
{
	if ((unsigned)m >= KPI__COUNT)
		return "unknown";
	return kpi_metric_names[m];
}

int kpi_metric_higher_is_better(kpi_metric m)
{
	return m != KPI_RMSE && m != KPI_MAE;
}

#define T_BIN (1u << POLICY_TASK_BINARY)
#define T_REG (1u << POLICY_TASK_REGRESSION)
#define T_MULTI (1u << POLICY_TASK_MULTICLASS)

/* The tasks each metric applies to, indexed by the enum. */
static const unsigned metric_tasks[KPI__COUNT] = {
	[KPI_ACCURACY] = T_BIN | T_MULTI,
	[KPI_PRECISION] = T_BIN,
	[KPI_RECALL] = T_BIN | T_MULTI,
	[KPI_F1] = T_BIN,
	[KPI_AUC] = T_BIN,
	[KPI_RMSE] = T_REG,
	[KPI_MAE] = T_REG,
	[KPI_F1_MACRO] = T_MULTI,
	[KPI_F1_WEIGHTED] = T_MULTI,
};

int kpi_metric_fits_task(kpi_metric m, policy_task t)
{
	return (unsigned)m < KPI__COUNT && (metric_tasks[m] >> t & 1u);
}

const char *kpi_metric_tasks_text(kpi_metric m)
{
	switch ((unsigned)m < KPI__COUNT ? metric_tasks[m] : 0) {
	case T_BIN: return "binary_classification";
	case T_REG: return "regression";
	case T_MULTI: return "multiclass_classification";
	case T_BIN | T_MULTI: return "binary_classification or multiclass_classification";
	}
	return "no task";
}

const char *policy_action_name(policy_action_type a)
{
	if ((unsigned)a >= NAMES_N(policy_action_names))
		return "unknown";
	return policy_action_names[a];
}

const char *policy_reason_name(policy_reason_code c)
{
	if ((unsigned)c >= POLICY_REASON__COUNT)
		return "unknown";
	return policy_reason_names[c];
}

const char *policy_task_name(policy_task t)
{
	if ((unsigned)t >= NAMES_N(policy_task_names))
		return "unknown";
	return policy_task_names[t];
}

const char *policy_feature_type_name(policy_feature_type t)
{
	switch (t) {
	case POLICY_FEATURE_NUMERIC: return "numeric";
	case POLICY_FEATURE_CATEGORICAL: return "categorical";
	case POLICY_FEATURE_INFER: return "inferred";
	case POLICY_FEATURE_IGNORE: return "ignore";
	}
	return "unknown";
}

static int names_find(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

int kpi_metric_from_name(const char *name, kpi_metric *out)
{
	int i = names_find(name, kpi_metric_names, KPI__COUNT);

	if (i < 0)
		return KPG_ENOTFOUND;
	*out = (kpi_metric)i;
	return 0;
}

int policy_action_from_name(const char *name, policy_action_type *out)
{
	int i = names_find(name, policy_action_names, NAMES_N(policy_action_names));

	if (i < 0)
		return KPG_ENOTFOUND;
	*out = (policy_action_type)i;
	return 0;
}

/* ---- drift detectors ---------------------------------------------- */

const char *const drift_detector_names[] = {"psi", "ks", "chi2", "js",
					    "wasserstein", "hellinger", NULL};

const char *drift_detector_name(drift_detector d)
{
	if ((unsigned)d >= DRIFT__COUNT)
		return "unknown";
	return drift_detector_names[d];
}

int drift_detector_from_name(const char *name, drift_detector *out)
{
	int i = names_find(name, drift_detector_names, DRIFT__COUNT);

	if (i < 0)
		return KPG_ENOTFOUND;
	*out = (drift_detector)i;
	return 0;
}

int drift_detector_is_test(drift_detector d)
{
	return d == DRIFT_KS || d == DRIFT_CHI2;
}

int drift_detector_is_binned(drift_detector d)
{
	return d == DRIFT_PSI || d == DRIFT_JS || d == DRIFT_HELLINGER;
}

int drift_detector_fits(drift_detector d, policy_feature_type t)
{
	switch (d) {
	case DRIFT_KS:
	case DRIFT_WASSERSTEIN: return t == POLICY_FEATURE_NUMERIC;
	case DRIFT_CHI2: return t == POLICY_FEATURE_CATEGORICAL;
	case DRIFT_PSI:
	case DRIFT_JS:
	case DRIFT_HELLINGER:
		return t == POLICY_FEATURE_NUMERIC || t == POLICY_FEATURE_CATEGORICAL;
	case DRIFT__COUNT: break;
	}
	return 0;
}

_Static_assert(NAMES_N(drift_detector_names) == DRIFT__COUNT,
	       "one name per detector");
