/* policy_names.c - canonical names of metrics, tasks, actions and feature
 * types and their parsers. */
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
	[KPI__COUNT] = NULL,
};

const char *const policy_task_names[] = {
	[POLICY_TASK_BINARY] = "binary_classification",
	[POLICY_TASK_REGRESSION] = "regression",
	NULL,
};

const char *const policy_action_names[] = {
	[POLICY_ACTION_DRY_RUN] = "dry_run",
	[POLICY_ACTION_SAGEMAKER_PIPELINE] = "sagemaker_pipeline",
	[POLICY_ACTION_STEP_FUNCTIONS] = "step_functions",
	NULL,
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

const char *policy_action_name(policy_action_type a)
{
	if ((unsigned)a >= NAMES_N(policy_action_names))
		return "unknown";
	return policy_action_names[a];
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
