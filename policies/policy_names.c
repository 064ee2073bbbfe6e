/* policy_names.c - canonical names of metrics, tasks, actions and feature
 * types, their parsers, and the "did you mean" suggester used by the
 * loader for unknown keys and values. */
#include "policy.h"

#include <ctype.h>
#include <string.h>

static const char *const kpi_names[KPI__COUNT] = {
	[KPI_ACCURACY] = "accuracy", [KPI_PRECISION] = "precision",
	[KPI_RECALL] = "recall",     [KPI_F1] = "f1",
	[KPI_AUC] = "auc",           [KPI_RMSE] = "rmse",
	[KPI_MAE] = "mae",
};

static const char *const task_names[] = {
	[POLICY_TASK_BINARY] = "binary_classification",
	[POLICY_TASK_REGRESSION] = "regression",
};

static const char *const action_names[] = {
	[POLICY_ACTION_DRY_RUN] = "dry_run",
	[POLICY_ACTION_SAGEMAKER_PIPELINE] = "sagemaker_pipeline",
	[POLICY_ACTION_STEP_FUNCTIONS] = "step_functions",
};

const char *const policy_placeholders[] = {
	"model", "window", "drifted_features", "kpis", "idempotency_key",
};
const size_t policy_n_placeholders =
	sizeof(policy_placeholders) / sizeof(policy_placeholders[0]);

#define NAMES_N(a) (sizeof(a) / sizeof((a)[0]))

const char *kpi_metric_name(kpi_metric m)
{
	if ((unsigned)m >= KPI__COUNT)
		return "unknown";
	return kpi_names[m];
}

int kpi_metric_higher_is_better(kpi_metric m)
{
	return m != KPI_RMSE && m != KPI_MAE;
}

const char *policy_action_name(policy_action_type a)
{
	if ((unsigned)a >= NAMES_N(action_names))
		return "unknown";
	return action_names[a];
}

const char *policy_task_name(policy_task t)
{
	if ((unsigned)t >= NAMES_N(task_names))
		return "unknown";
	return task_names[t];
}

const char *policy_feature_type_name(policy_feature_type t)
{
	switch (t) {
	case POLICY_FEATURE_NUMERIC: return "numeric";
	case POLICY_FEATURE_CATEGORICAL: return "categorical";
	case POLICY_FEATURE_INFER: return "inferred";
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
	int i = names_find(name, kpi_names, KPI__COUNT);

	if (i < 0)
		return KPG_ENOTFOUND;
	*out = (kpi_metric)i;
	return 0;
}

int policy_task_from_name(const char *name, policy_task *out)
{
	int i = names_find(name, task_names, NAMES_N(task_names));

	if (i < 0)
		return KPG_ENOTFOUND;
	*out = (policy_task)i;
	return 0;
}

int policy_action_from_name(const char *name, policy_action_type *out)
{
	int i = names_find(name, action_names, NAMES_N(action_names));

	if (i < 0)
		return KPG_ENOTFOUND;
	*out = (policy_action_type)i;
	return 0;
}

#define SUGGEST_MAX_LEN 64

/* Case-insensitive optimal string alignment distance (Levenshtein plus
 * adjacent transpositions), so "cooldwon" is one edit from "cooldown". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];

	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j - 1] + (ca != cb);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *policy_suggest(const char *word, const char *const *names,
			   size_t n)
{
	size_t lw = strlen(word), best_d = (size_t)-1;
	const char *best = NULL;

	if (lw == 0 || lw > SUGGEST_MAX_LEN)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t ln = strlen(names[i]), d, limit;

		if (ln > SUGGEST_MAX_LEN)
			continue;
		d = edit_distance(word, names[i]);
		/* a third of the longer name, at least 1, at most 3 edits */
		limit = (lw > ln ? lw : ln) / 3;
		if (limit < 1)
			limit = 1;
		if (limit > 3)
			limit = 3;
		if (d <= limit && d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}
