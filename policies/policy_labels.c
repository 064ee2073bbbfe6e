/* policy_labels.c - the label keys of a policy: prediction.positive_label,
 * prediction.negative_label, prediction.classes, and kpis[].class, checked
 * against the task (policy_lists.h). The texts are compared with label
 * texts as written, except that numbers compare as numbers ("1" = "1.0"),
 * so two classes that are the same number are one class. */
#include "policy_lists.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when a and b are the same label: equal texts, or equal numbers. */
static int same_label(const char *a, const char *b)
{
	char *ea, *eb;
	double x, y;

	if (strcmp(a, b) == 0)
		return 1;
	x = strtod(a, &ea);
	y = strtod(b, &eb);
	return *a && *b && *ea == '\0' && *eb == '\0' && ea != a && eb != b &&
	       isfinite(x) && x == y;
}

static void load_classes(kpg_jsonv *v, json_t *a, policy *p)
{
	size_t max_len = policy_lists_row(v, "prediction.classes[]")->max_len;

	if (kpg_jsonv_entries(v, policy_lists_row(v, "prediction.classes"), a,
			      "an array of class labels") < 0)
		return;
	if (json_array_size(a) < 2) {
		kpg_jsonv_error(v, "prediction.classes", 0, "prediction.classes needs at least two classes, got %zu",
				json_array_size(a));
		return;
	}
	p->classes = calloc(json_array_size(a) + 1, sizeof(char *));
	if (p->classes == NULL) {
		v->nomem = 1;
		return;
	}
	for (size_t i = 0; i < json_array_size(a); i++) {
		char path[48];
		json_t *e = json_array_get(a, i);
		const char *s;

		snprintf(path, sizeof(path), "prediction.classes[%zu]", i);
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > max_len) {
			kpg_jsonv_error(v, path, 0, "%s must be a label (a string of 1 to %zu bytes; write numbers as \"1\"), got %s",
					path, max_len, kpg_jsonv_kind(e));
			continue;
		}
		s = json_string_value(e);
		for (size_t j = 0; j < p->n_classes; j++)
			if (same_label(p->classes[j], s))
				kpg_jsonv_error(v, path, 0, "class \"%s\" is listed twice (as \"%s\" before)",
						s, p->classes[j]);
		p->classes[p->n_classes] = strdup(s);
		if (p->classes[p->n_classes] == NULL) {
			v->nomem = 1;
			return;
		}
		p->n_classes++;
	}
}

void policy_load_labels(kpg_jsonv *v, json_t *root, policy *p, int task_bad)
{
	json_t *x = kpg_jsonv_get(root, "prediction.classes");
	const char *task = policy_task_name(p->task);

	if (x != NULL && !json_is_null(x)) {
		if (!task_bad && p->task != POLICY_TASK_MULTICLASS)
			kpg_jsonv_error(v, "prediction.classes", 1, "prediction.classes applies only to multiclass_classification; this policy's task is %s",
					task);
		else
			load_classes(v, x, p);
	}
	if (task_bad)
		return;
	if (p->positive_label != NULL && p->task != POLICY_TASK_BINARY)
		kpg_jsonv_error(v, "prediction.positive_label", 1, "prediction.positive_label applies only to binary_classification; this policy's task is %s",
				task);
	if (p->negative_label != NULL && p->task != POLICY_TASK_BINARY)
		kpg_jsonv_error(v, "prediction.negative_label", 1, "prediction.negative_label applies only to binary_classification; this policy's task is %s",
				task);
	else if (p->negative_label != NULL && p->positive_label == NULL)
		kpg_jsonv_error(v, "prediction.negative_label", 1, "prediction.negative_label needs prediction.positive_label");
	else if (p->negative_label != NULL &&
		 same_label(p->negative_label, p->positive_label))
		kpg_jsonv_error(v, "prediction.negative_label", 0, "prediction.negative_label \"%s\" is the positive label too",
				p->negative_label);
	if (p->positive_label != NULL && p->positive_label[0] == '\0')
		kpg_jsonv_error(v, "prediction.positive_label", 0, "prediction.positive_label is empty");
	if (p->negative_label != NULL && p->negative_label[0] == '\0')
		kpg_jsonv_error(v, "prediction.negative_label", 0, "prediction.negative_label is empty");
}

int policy_load_kpi_class(kpg_jsonv *v, json_t *k, size_t i, policy *p,
			  kpi_metric m, int task_bad)
{
	json_t *c = json_object_get(k, "class");
	size_t max_len = policy_lists_row(v, "prediction.classes[]")->max_len;
	char path[48], *dup;
	const char *s;
	int known = p->n_classes == 0;

	free(p->kpis[p->n_kpis].class_name);
	p->kpis[p->n_kpis].class_name = NULL;
	snprintf(path, sizeof(path), "kpis[%zu].class", i);
	if (c == NULL) {
		if (!task_bad && p->task == POLICY_TASK_MULTICLASS &&
		    m == KPI_RECALL) {
			snprintf(path, sizeof(path), "kpis[%zu]", i);
			kpg_jsonv_error(v, path, 0, "recall of a multiclass_classification model is per class: add \"class\" (for all classes use f1_macro, f1_weighted or accuracy)");
			return -1;
		}
		return 0;
	}
	if (!json_is_string(c) || json_string_length(c) == 0 ||
	    json_string_length(c) > max_len) {
		kpg_jsonv_error(v, path, 0, "%s must be a class label (a string of 1 to %zu bytes), got %s",
				path, max_len, kpg_jsonv_kind(c));
		return -1;
	}
	s = json_string_value(c);
	if (task_bad)
		return -1;
	if (p->task != POLICY_TASK_MULTICLASS || m != KPI_RECALL) {
		kpg_jsonv_error(v, path, 1, "\"class\" applies only to recall with task multiclass_classification");
		return -1;
	}
	for (size_t j = 0; j < p->n_classes; j++)
		known |= same_label(p->classes[j], s);
	if (!known) {
		kpg_jsonv_error(v, path, 0, "class \"%s\" is not in prediction.classes", s);
		return -1;
	}
	for (size_t j = 0; j < p->n_kpis; j++)
		if (p->kpis[j].class_name != NULL &&
		    same_label(p->kpis[j].class_name, s)) {
			kpg_jsonv_error(v, path, 0, "recall of class \"%s\" is listed twice (first at kpis[%zu])",
					s, j);
			return -1;
		}
	dup = strdup(s);
	if (dup == NULL) {
		v->nomem = 1;
		return -1;
	}
	p->kpis[p->n_kpis].class_name = dup;
	return 0;
}
