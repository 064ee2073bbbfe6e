/* pipeline_labels.c - label texts per model (pipeline_labels.h). */
#include "pipeline_labels.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pipeline.h"

static int is_bool_text(const char *t)
{
	return strcasecmp(t, "true") == 0 || strcasecmp(t, "false") == 0;
}

static int intern(label_dict *d, const char *s, uint32_t *code, kpg_err *err)
{
	int rc = label_dict_intern(d, s, strlen(s), code);

	if (rc)
		kpg_err_set(err, "label \"%s\": %s", s,
			    rc == KPG_ETOOBIG ? "the label dictionary is full"
					      : "out of memory");
	return rc;
}

static int init_binary(label_dict *d, const policy *p, const reference *ref,
		       pipeline_labels *lab, kpg_err *err)
{
	const reference_labels *rl = &ref->labels;
	char list[320], pos[LABEL_TEXT_MAX], neg[LABEL_TEXT_MAX];
	int has_col = ref->label_index >= 0;

	reference_labels_list(rl, list, sizeof(list));
	if (p->positive_label == NULL) {
		int ok = !rl->more;

		for (size_t i = 0; i < rl->n; i++)
			ok &= strcmp(rl->texts[i], "0") == 0 ||
			      strcmp(rl->texts[i], "1") == 0 ||
			      is_bool_text(rl->texts[i]);
		if (has_col && !ok) {
			kpg_err_set(err, "label column '%s' holds %s; binary_classification labels are 0/1 or true/false, else set prediction.positive_label to the positive one",
				    p->label_column, list);
			return KPG_EINVAL;
		}
		return 0;
	}
	lab->text = 1;
	label_canon(p->positive_label, strlen(p->positive_label), pos);
	if (p->negative_label != NULL)
		label_canon(p->negative_label, strlen(p->negative_label), neg);
	if (has_col && reference_labels_find(rl, pos) < 0) {
		kpg_err_set(err, "label column '%s' does not hold prediction.positive_label \"%s\" (it holds %s)",
			    p->label_column, pos, list);
		return KPG_EINVAL;
	}
	if (has_col && (rl->n != 2 || rl->more)) {
		kpg_err_set(err, "label column '%s' has %s%zu distinct values (%s); binary_classification needs exactly two, one of them \"%s\"",
			    p->label_column, rl->more ? "more than " : "", rl->n,
			    list, pos);
		return KPG_EINVAL;
	}
	if (has_col && p->negative_label != NULL &&
	    reference_labels_find(rl, neg) < 0) {
		kpg_err_set(err, "label column '%s' does not hold prediction.negative_label \"%s\" (it holds %s)",
			    p->label_column, neg, list);
		return KPG_EINVAL;
	}
	if (intern(d, pos, &lab->pos_code, err) != 0 ||
	    (p->negative_label != NULL &&
	     intern(d, neg, &lab->neg_code, err) != 0))
		return KPG_EINVAL;
	return 0;
}

static int init_multiclass(label_dict *d, const policy *p, const reference *ref,
			   pipeline_labels *lab, kpg_err *err)
{
	const reference_labels *rl = &ref->labels;
	char list[320], t[LABEL_TEXT_MAX];
	int has_col = ref->label_index >= 0;

	lab->text = 1;
	reference_labels_list(rl, list, sizeof(list));
	if (p->n_classes > 0) {
		for (size_t i = 0; i < p->n_classes; i++)
			if (intern(d, p->classes[i], &lab->class_code[i], err) != 0)
				return KPG_EINVAL;
		lab->n_classes = p->n_classes;
		for (size_t i = 0; has_col && i < rl->n; i++) {
			uint32_t c = label_dict_find(d, rl->texts[i], strlen(rl->texts[i]));
			size_t j = 0;

			while (j < lab->n_classes && lab->class_code[j] != c)
				j++;
			if (c == 0 || j == lab->n_classes) {
				kpg_err_set(err, "label \"%s\" of the reference's column '%s' is not in prediction.classes",
					    rl->texts[i], p->label_column);
				return KPG_EINVAL;
			}
		}
		if (has_col && rl->more) {
			kpg_err_set(err, "label column '%s' has more than %d distinct values, more than prediction.classes",
				    p->label_column, REFERENCE_MAX_LABELS);
			return KPG_EINVAL;
		}
	} else {
		if (!has_col) {
			kpg_err_set(err, "multiclass_classification needs prediction.classes or a reference.label_column to take the classes from");
			return KPG_EINVAL;
		}
		if (rl->more || rl->n < 2) {
			kpg_err_set(err, "label column '%s' has %s%zu distinct values (%s); multiclass_classification needs 2 to %d classes",
				    p->label_column, rl->more ? "more than " : "",
				    rl->n, list, POLICY_MAX_CLASSES);
			return KPG_EINVAL;
		}
		for (size_t i = 0; i < rl->n; i++)
			if (intern(d, rl->texts[i], &lab->class_code[i], err) != 0)
				return KPG_EINVAL;
		lab->n_classes = rl->n;
	}
	for (size_t k = 0; k < p->n_kpis; k++) {
		uint32_t c;
		size_t j = 0;

		if (p->kpis[k].class_name == NULL)
			continue;
		label_canon(p->kpis[k].class_name, strlen(p->kpis[k].class_name), t);
		c = label_dict_find(d, t, strlen(t));
		while (j < lab->n_classes && (c == 0 || lab->class_code[j] != c))
			j++;
		if (j == lab->n_classes) {
			kpg_err_set(err, "the recall KPI names class \"%s\", which the reference's label column does not hold (%s)",
				    t, list);
			return KPG_EINVAL;
		}
		lab->kpi_class[k] = (int)j;
	}
	return 0;
}

int pipeline_labels_build(label_dict *d, const policy *p, const reference *ref,
			  pipeline_labels *lab, kpg_err *err)
{
	const reference_labels *rl = &ref->labels;
	char list[320];
	int rc = 0;

	memset(lab, 0, sizeof(*lab));
	for (size_t i = 0; i < POLICY_MAX_KPIS; i++)
		lab->kpi_class[i] = -1;
	switch (p->task) {
	case POLICY_TASK_REGRESSION:
		if (ref->label_index >= 0 && rl->numbers + rl->missing != rl->cells) {
			reference_labels_list(rl, list, sizeof(list));
			kpg_err_set(err, "label column '%s' holds text (%s); regression labels are numbers",
				    p->label_column, list);
			rc = KPG_EINVAL;
		}
		break;
	case POLICY_TASK_BINARY:
		rc = init_binary(d, p, ref, lab, err);
		break;
	case POLICY_TASK_MULTICLASS:
		rc = init_multiclass(d, p, ref, lab, err);
		break;
	}
	return rc;
}

int pipeline_labels_output_details(const policy *p)
{
	return p->positive_label != NULL || p->task == POLICY_TASK_MULTICLASS;
}

int pipeline_labels_check(const policy *p, const reference *ref, kpg_err *err)
{
	label_dict d;
	pipeline_labels lab;
	int rc = label_dict_init(&d, err);

	if (rc == 0)
		rc = pipeline_labels_build(&d, p, ref, &lab, err);
	label_dict_free(&d);
	return rc;
}

int pipeline_labels_init(pipeline *pl, pipeline_model *m, kpg_err *err)
{
	int rc = pipeline_labels_build(&pl->labels, m->pol, &m->ref, &m->lab, err);

	if (rc == 0)
		rc = pipeline_labels_kpi(m, &m->win.kpi, err);
	if (rc == 0 && m->lab.text)
		pl->text_labels = 1;
	return rc;
}

int pipeline_labels_kpi(const pipeline_model *m, kpi_acc *k, kpg_err *err)
{
	if (m->pol->task != POLICY_TASK_MULTICLASS ||
	    (k->confusion != NULL && k->n_classes == m->lab.n_classes))
		return 0;
	return kpi_set_classes(k, m->lab.n_classes, err);
}

/* Index of a class code, n_classes when it is none. */
static size_t class_of(const pipeline_labels *lab, uint32_t code)
{
	size_t i = 0;

	while (i < lab->n_classes && (code == 0 || lab->class_code[i] != code))
		i++;
	return i;
}

double pipeline_labels_prediction(const pipeline *pl, pipeline_model *m,
				  const capture_record *rec)
{
	pipeline_labels *lab = &m->lab;
	const capture_output *o;
	double s;
	char t[LABEL_TEXT_MAX];
	uint32_t code;

	if (rec->n_instances != 1 || rec->n_predictions != 1)
		return NAN;
	s = rec->predictions[0];
	o = rec->outputs != NULL ? &rec->outputs[0] : NULL;
	if (!lab->text)
		return s;
	if (o != NULL && o->text_len > 0)
		code = label_dict_find(&pl->labels, rec->output_text + o->text_off,
				       o->text_len);
	else
		code = 0;
	if (m->pol->task == POLICY_TASK_BINARY) {
		if (o == NULL || o->text_len == 0)
			return s; /* a score: the threshold decides */
		if (code == lab->pos_code)
			return 1.0;
		if (lab->neg_code == 0 || code == lab->neg_code)
			return 0.0;
		lab->unusable_predictions++;
		return NAN;
	}
	if (o != NULL && o->text_len > 0)
		return (double)class_of(lab, code);
	if (o != NULL && o->n_probs >= 2) {
		const double *p = rec->probs + o->probs_off;
		size_t best = 0;

		if (o->n_probs != lab->n_classes) {
			lab->unusable_predictions++;
			return NAN;
		}
		for (size_t i = 0; i < o->n_probs; i++) {
			if (!isfinite(p[i])) {
				lab->unusable_predictions++;
				return NAN;
			}
			if (p[i] > p[best])
				best = i; /* the first of equal maxima, as numpy's argmax */
		}
		return (double)best;
	}
	if (isfinite(s)) {
		label_canon_number(s, t);
		return (double)class_of(lab, label_dict_find(&pl->labels, t, strlen(t)));
	}
	lab->unusable_predictions++;
	return NAN;
}

static int model_takes(const pipeline_model *m, uint32_t code, double label)
{
	const pipeline_labels *lab = &m->lab;

	if (!lab->text)
		return isfinite(label);
	if (m->pol->task == POLICY_TASK_BINARY)
		return lab->neg_code == 0 || code == lab->pos_code ||
		       code == lab->neg_code;
	return class_of(lab, code) < lab->n_classes;
}

/* Why model m does not take label text t. */
static void refusal(const pipeline *pl, const pipeline_model *m,
		    const char *t, kpg_err *why)
{
	const pipeline_labels *lab = &m->lab;
	char list[320];
	size_t w = 0;

	if (!lab->text) {
		kpg_err_set(why, "label \"%s\" is not a finite number (model %s has no prediction.positive_label)",
			    t, m->pol->model);
		return;
	}
	if (m->pol->task == POLICY_TASK_BINARY) {
		kpg_err_set(why, "label \"%s\" is neither the positive class \"%s\" nor the negative class \"%s\" of model %s",
			    t, label_dict_text(&pl->labels, lab->pos_code),
			    label_dict_text(&pl->labels, lab->neg_code), m->pol->model);
		return;
	}
	list[0] = '\0';
	for (size_t i = 0; i < lab->n_classes && w + 8 < sizeof(list); i++) {
		int k = snprintf(list + w, sizeof(list) - w, "%s\"%s\"", i ? ", " : "",
				 label_dict_text(&pl->labels, lab->class_code[i]));

		if (k < 0)
			break;
		w += (size_t)k;
	}
	kpg_err_set(why, "label \"%s\" is not one of the classes of model %s (%s)",
		    t, m->pol->model, list);
}

capture_reject pipeline_labels_accept(pipeline *pl, const char *text,
				      double label, uint32_t *code,
				      kpg_err *why)
{
	const pipeline_model *first = NULL;
	int any_text = 0;

	*code = 0;
	if (pl->text_labels)
		*code = label_dict_find(&pl->labels, text, strlen(text));
	for (size_t i = 0; i < pl->n_models; i++) {
		const pipeline_model *m = &pl->models[i];

		if (model_takes(m, *code, label)) {
			any_text |= m->lab.text && m->lab.neg_code == 0 &&
				    m->pol->task == POLICY_TASK_BINARY;
			first = first ? first : m;
			continue;
		}
	}
	if (first == NULL) {
		const pipeline_model *m = pl->n_models ? &pl->models[0] : NULL;

		for (size_t i = 0; i < pl->n_models; i++)
			if (pl->models[i].lab.text) {
				m = &pl->models[i];
				break;
			}
		if (m != NULL)
			refusal(pl, m, text, why);
		else
			kpg_err_set(why, "label \"%s\" is taken by no model", text);
		return CAPTURE_REJECT_BAD_VALUE;
	}
	/* a positive_label-only model counts the distinct texts it is given:
	 * a new text gets a code while the dictionary has room (past it, it
	 * is still a negative label, counted in the dictionary's `over`) */
	if (*code == 0 && any_text &&
	    label_dict_intern(&pl->labels, text, strlen(text), code) != 0)
		*code = 0;
	return CAPTURE_OK;
}

int pipeline_labels_credit(pipeline *pl, pipeline_model *m,
			   const join_match *jm, double *label)
{
	pipeline_labels *lab = &m->lab;
	uint32_t c = jm->label_code;
	size_t i;

	(void)pl;
	if (!lab->text) {
		if (!isfinite(jm->label)) {
			lab->not_credited++;
			return 0;
		}
		*label = jm->label;
		return 1;
	}
	if (c != 0 && c <= LABEL_DICT_MAX && !(lab->seen[c / 8] & (1u << (c % 8)))) {
		lab->seen[c / 8] |= (uint8_t)(1u << (c % 8));
		lab->n_texts++;
	}
	if (m->pol->task == POLICY_TASK_BINARY) {
		if (c != 0 && c == lab->pos_code) {
			*label = 1.0;
			return 1;
		}
		if (lab->neg_code == 0 || c == lab->neg_code) {
			*label = 0.0;
			return 1;
		}
		lab->not_credited++;
		return 0;
	}
	i = class_of(lab, c);
	if (i == lab->n_classes) {
		lab->not_credited++;
		return 0;
	}
	*label = (double)i;
	return 1;
}

void pipeline_labels_class_kpis(const pipeline_model *m, const kpi_acc *k,
				policy_window_eval *ev)
{
	for (size_t i = 0; i < m->pol->n_kpis && i < POLICY_MAX_KPIS; i++) {
		policy_kpi_value *v = &ev->class_kpis[i];
		uint64_t support;
		double r;

		memset(v, 0, sizeof(*v));
		if (m->lab.kpi_class[i] < 0)
			continue;
		r = kpi_class_recall(k, (size_t)m->lab.kpi_class[i], &support);
		v->valid = isfinite(r);
		v->value = r;
		v->n = support;
	}
}

json_t *pipeline_labels_kpis_json(const policy *p, const policy_window_eval *ev)
{
	json_t *o = NULL, *by = NULL;

	for (size_t i = 0; i < p->n_kpis && i < POLICY_MAX_KPIS; i++) {
		const policy_kpi_value *v = &ev->class_kpis[i];

		if (p->kpis[i].class_name == NULL || !v->valid)
			continue;
		if (o == NULL) {
			o = json_object();
			by = json_object();
			if (o == NULL || by == NULL ||
			    json_object_set_new(o, kpi_metric_name(KPI_RECALL), by) != 0) {
				json_decref(o);
				return NULL;
			}
		}
		json_object_set_new(by, p->kpis[i].class_name,
				    json_pack("{s:f, s:I}", "value", v->value, "n",
					      (json_int_t)v->n));
	}
	return o;
}

json_t *pipeline_labels_json(const pipeline *pl, const pipeline_model *m)
{
	const pipeline_labels *lab = &m->lab;
	json_t *o, *classes;

	if (!lab->text)
		return NULL;
	o = json_pack("{s:I, s:I, s:I, s:I}", "texts", (json_int_t)lab->n_texts,
		      "not_credited", (json_int_t)lab->not_credited,
		      "unusable_predictions", (json_int_t)lab->unusable_predictions,
		      /* the pipeline's: texts past the dictionary's cap */
		      "texts_over_cap", (json_int_t)pl->labels.over);
	if (o == NULL || m->pol->task != POLICY_TASK_MULTICLASS)
		return o;
	classes = json_array();
	for (size_t i = 0; classes != NULL && i < lab->n_classes; i++)
		json_array_append_new(classes, json_string(label_dict_text(&pl->labels,
									   lab->class_code[i])));
	json_object_set_new(o, "classes", classes);
	return o;
}
