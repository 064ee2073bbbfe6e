/* pipeline_labels.h - a model's view of label texts: the binary
 * positive / negative label or the multiclass classes, as codes of the
 * pipeline's label_dict (labels are interned before anyone knows their
 * model); the reference's label column checked against the task; text
 * and probability-array predictions turned into a score or a class; a
 * joined label turned into what the model's KPI accumulator takes. */
#ifndef PIPELINE_LABELS_H
#define PIPELINE_LABELS_H

#include <jansson.h>
#include <stdint.h>

#include "capture.h"
#include "join.h"
#include "kpg_error.h"
#include "kpi.h"
#include "label_dict.h"
#include "policy.h"

struct pipeline;
struct pipeline_model;
struct reference;

typedef struct pipeline_labels {
	int text;                    /* labels are mapped from their text:
				     positive_label or multiclass */
	uint32_t pos_code, neg_code; /* binary; neg_code 0 = any other text */
	size_t n_classes;            /* multiclass */
	uint32_t class_code[POLICY_MAX_CLASSES];
	int kpi_class[POLICY_MAX_KPIS]; /* class of a KPI naming one, else -1 */
	/* tallies (not checkpointed: since the process started) */
	uint64_t not_credited;         /* joined labels that are none of its classes */
	uint64_t unusable_predictions; /* predictions that are no class / no score */
	uint32_t n_texts;              /* distinct label texts credited */
	uint8_t seen[LABEL_DICT_MAX / 8 + 1];
} pipeline_labels;

/* The labels of policy p over reference ref into *lab: checks the
 * reference's label column against the task (as pipeline_labels_init
 * says) and interns the classes into d. KPG_EINVAL with a sentence naming
 * the values found. A policy reload stages a model's labels with it. */
int pipeline_labels_build(label_dict *d, const policy *p, const struct reference *ref,
			  pipeline_labels *lab, kpg_err *err);

/* 1 when p's model needs capture_options.output_details (text and
 * probability-array predictions): positive_label, or multiclass. */
int pipeline_labels_output_details(const policy *p);

/* The same check alone, for validating a policy before it runs. */
int pipeline_labels_check(const policy *p, const struct reference *ref,
			  kpg_err *err);

/* After the model's reference is loaded: checks its label column against
 * the task (binary with positive_label: exactly two texts, one of them
 * positive; binary without: numbers 0/1 or true/false; multiclass: the
 * classes, none outside prediction.classes; regression: numbers), takes
 * the classes, interns them into pl's dictionary and sizes the window's
 * KPI accumulator. KPG_EINVAL with a sentence naming the values found. */
int pipeline_labels_init(struct pipeline *pl, struct pipeline_model *m,
			 kpg_err *err);

/* Multiclass: sizes a waiting window's accumulator like the open one. */
int pipeline_labels_kpi(const struct pipeline_model *m, kpi_acc *k,
			kpg_err *err);

/* The value the join keeps for the record's single prediction: its score
 * (binary; a text prediction is 1 when it is the positive label, else 0),
 * or its class index (multiclass: a label text, else the argmax of its
 * probabilities, n_classes when it is none of the classes). NaN when it
 * cannot be used (counted in unusable_predictions). */
double pipeline_labels_prediction(const struct pipeline *pl,
				  struct pipeline_model *m,
				  const capture_record *rec);

/* A label line's text: interned (when any model maps texts) and checked
 * against every model. Returns CAPTURE_OK with *code, or
 * CAPTURE_REJECT_BAD_VALUE with why (no model takes it; the dictionary is
 * full). */
capture_reject pipeline_labels_accept(struct pipeline *pl, const char *text,
				      double label, uint32_t *code,
				      kpg_err *why);

/* The label a joined pair gives model m's KPIs: 1 and *label (binary 1/0
 * or the number, multiclass the class index), or 0 when m does not take
 * it (counted in not_credited). */
int pipeline_labels_credit(struct pipeline *pl, struct pipeline_model *m,
			   const join_match *jm, double *label);

/* The values of KPIs naming a class, into ev->class_kpis. */
void pipeline_labels_class_kpis(const struct pipeline_model *m,
				const kpi_acc *k, policy_window_eval *ev);

/* {"recall": {"CLASS": {"value": v, "n": n}}} for the KPIs of p that name
 * a class, NULL when none does (or out of memory). New reference. */
json_t *pipeline_labels_kpis_json(const policy *p, const policy_window_eval *ev);

/* For the replay summary: {"texts": distinct label texts credited,
 * "not_credited", "unusable_predictions", "texts_over_cap" (the
 * pipeline's dictionary's), "classes": [..] (multiclass)},
 * NULL for a model with numeric labels. New reference. */
json_t *pipeline_labels_json(const struct pipeline *pl,
			     const struct pipeline_model *m);

#endif
