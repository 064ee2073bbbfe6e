#include "daemon_metrics.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "kpi.h"
#include "pipeline.h"

/* A number of a summary, NaN when absent or null. */
static double num_or_nan(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const policy *policy_of(const pipeline *pl, const char *model)
{
	for (size_t i = 0; i < pl->n_models; i++)
		if (strcmp(pl->models[i].pol->model, model) == 0)
			return pl->models[i].pol;
	return NULL;
}

/* The policy's fixed KPI thresholds (a KPI of one class, or judged only
 * relative to the baseline, has none to show). */
static void note_thresholds(metrics *m, metrics_model *mm, const policy *pol)
{
	for (size_t k = 0; pol != NULL && k < pol->n_kpis; k++) {
		const policy_kpi *pk = &pol->kpis[k];
		metrics_kpi *mk;

		if (pk->class_name != NULL || pk->relative_only)
			continue;
		mk = metrics_kpi_slot(m, mm, kpi_metric_name(pk->metric));
		if (mk != NULL) {
			mk->threshold = pk->threshold;
			mk->has_threshold = 1;
		}
	}
}

/* One decision summary: {model, window: {features, kpis}, decision}. */
static void note_decision(metrics *m, const pipeline *pl, const json_t *sum)
{
	const char *model = json_string_value(json_object_get(sum, "model"));
	const json_t *win = json_object_get(sum, "window");
	const json_t *dec = json_object_get(sum, "decision");
	const json_t *energy = json_object_get(dec, "energy");
	const char *kind = json_string_value(json_object_get(dec, "decision"));
	const char *effect = json_string_value(json_object_get(energy, "effect"));
	const char *key;
	const json_t *v, *f;
	metrics_model *mm;
	size_t i;

	if (model == NULL || (mm = metrics_model_slot(m, model)) == NULL)
		return;
	note_thresholds(m, mm, policy_of(pl, model));
	json_object_foreach((json_t *)json_object_get(win, "kpis"), key, v) {
		metrics_kpi *mk = metrics_kpi_slot(m, mm, key);

		if (mk != NULL) {
			mk->value = num_or_nan(json_object_get(v, "value"));
			mk->has_value = 1;
		}
	}
	json_array_foreach(json_object_get(win, "features"), i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		metrics_feature *mf = name ? metrics_feature_slot(m, mm, name) : NULL;

		if (mf != NULL) {
			mf->psi = num_or_nan(json_object_get(f, "psi"));
			mf->ks = num_or_nan(json_object_get(f, "ks_statistic"));
		}
	}
	if (kind != NULL && strcmp(kind, "retrain") == 0)
		mm->retrains++;
	else if (kind != NULL)
		mm->holds++;
	if (effect != NULL && json_is_number(json_object_get(energy, "kwh"))) {
		double kwh = json_number_value(json_object_get(energy, "kwh"));
		double kg = num_or_nan(json_object_get(energy, "kg_co2e"));

		if (isnan(kg))
			kg = 0;
		if (strcmp(effect, "spent") == 0) {
			mm->kwh_spent += kwh;
			mm->kg_spent += kg;
		} else if (strcmp(effect, "avoided") == 0) {
			mm->kwh_avoided += kwh;
			mm->kg_avoided += kg;
		}
	}
}

void daemon_metrics_harvest(metrics *m, daemon_task *t)
{
	size_t n = t->pl.decisions ? json_array_size(t->pl.decisions) : 0;

	/* emptied by a checkpoint that did not harvest first: start over */
	if (n < t->metrics_seen)
		t->metrics_seen = 0;
	if (n == t->metrics_seen)
		return;
	metrics_models_lock(m);
	for (size_t i = t->metrics_seen; i < n; i++)
		note_decision(m, &t->pl, json_array_get(t->pl.decisions, i));
	metrics_models_unlock(m);
	t->metrics_seen = n;
}
