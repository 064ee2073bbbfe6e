#include "kpi.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KPI_DEFAULT_MAX_PAIRS 1000000

int kpi_init(kpi_acc *k, policy_task task, double threshold, size_t max_pairs,
	     kpg_err *err)
{
	memset(k, 0, sizeof(*k));
	k->task = task;
	k->threshold = threshold;
	k->max_pairs = max_pairs ? max_pairs : KPI_DEFAULT_MAX_PAIRS;
	k->cap = 1024;
	k->pairs = malloc(k->cap * sizeof(*k->pairs));
	if (k->pairs == NULL) {
		kpg_err_set(err, "out of memory for KPI pairs");
		return KPG_ENOMEM;
	}
	return 0;
}

int kpi_set_classes(kpi_acc *k, size_t n_classes, kpg_err *err)
{
	uint64_t *c;

	if (n_classes < 2 || n_classes > KPI_MAX_CLASSES) {
		kpg_err_set(err, "%zu classes: a multiclass KPI needs 2 to %d",
			    n_classes, KPI_MAX_CLASSES);
		return KPG_EINVAL;
	}
	c = calloc(n_classes * (n_classes + 1), sizeof(*c));
	if (c == NULL) {
		kpg_err_set(err, "out of memory for a confusion matrix");
		return KPG_ENOMEM;
	}
	free(k->confusion);
	k->confusion = c;
	k->n_classes = n_classes;
	return 0;
}

void kpi_reset(kpi_acc *k)
{
	k->n_pairs = 0;
	k->n = k->tp = k->fp = k->tn = k->fn = 0;
	k->sse = k->sae = 0;
	if (k->confusion != NULL)
		memset(k->confusion, 0,
		       k->n_classes * (k->n_classes + 1) * sizeof(*k->confusion));
}

void kpi_free(kpi_acc *k)
{
	free(k->pairs);
	free(k->confusion);
	k->pairs = NULL;
	k->confusion = NULL;
	k->n_classes = 0;
}

static int kpi_add_class(kpi_acc *k, double predicted, double label)
{
	size_t nc = k->n_classes, t, p;

	if (k->confusion == NULL || !(label >= 0 && label < (double)nc))
		return 0;
	t = (size_t)label;
	p = predicted >= 0 && predicted < (double)nc ? (size_t)predicted : nc;
	k->confusion[t * (nc + 1) + p]++;
	k->n++;
	return 0;
}

int kpi_add(kpi_acc *k, double score, double label)
{
	if (k->task == POLICY_TASK_MULTICLASS)
		return kpi_add_class(k, score, label);
	k->n++;
	if (k->task == POLICY_TASK_BINARY) {
		int pos = label >= 0.5, pred = score >= k->threshold;

		k->tp += pos && pred;
		k->fp += !pos && pred;
		k->tn += !pos && !pred;
		k->fn += pos && !pred;
	} else {
		double e = score - label;

		k->sse += e * e;
		k->sae += fabs(e);
	}
	if (k->n_pairs == k->cap && k->cap < k->max_pairs) {
		size_t ncap = k->cap * 2 > k->max_pairs ? k->max_pairs : k->cap * 2;
		kpi_pair *np = realloc(k->pairs, ncap * sizeof(*np));

		if (np == NULL)
			return KPG_ENOMEM;
		k->pairs = np;
		k->cap = ncap;
	}
	if (k->n_pairs < k->cap)
		k->pairs[k->n_pairs++] = (kpi_pair){score, label};
	return 0;
}

static int pair_by_score(const void *a, const void *b)
{
	double x = ((const kpi_pair *)a)->score, y = ((const kpi_pair *)b)->score;

	return (x > y) - (x < y);
}

double kpi_auc(kpi_pair *pairs, size_t n)
{
	double rank_sum = 0, n_pos = 0, n_neg;
	size_t i = 0;

	qsort(pairs, n, sizeof(*pairs), pair_by_score);
	while (i < n) {
		size_t j = i;
		double avg_rank, pos_in_tie = 0;

		while (j < n && pairs[j].score == pairs[i].score)
			j++;
		avg_rank = (double)(i + 1 + j) / 2.0; /* ranks i+1 .. j */
		for (size_t t = i; t < j; t++)
			pos_in_tie += pairs[t].label >= 0.5;
		rank_sum += avg_rank * pos_in_tie;
		n_pos += pos_in_tie;
		i = j;
	}
	n_neg = (double)n - n_pos;
	if (n_pos == 0 || n_neg == 0)
		return NAN;
	return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg);
}

static void kpi_set(policy_kpi_value *v, double value, uint64_t n)
{
	v->valid = isfinite(value);
	v->value = value;
	v->n = n;
}

double kpi_class_recall(const kpi_acc *k, size_t c, uint64_t *support)
{
	size_t nc = k->n_classes;
	uint64_t s = 0;

	*support = 0;
	if (k->confusion == NULL || c >= nc)
		return NAN;
	for (size_t p = 0; p <= nc; p++)
		s += k->confusion[c * (nc + 1) + p];
	*support = s;
	return s ? (double)k->confusion[c * (nc + 1) + c] / (double)s : NAN;
}

/* Accuracy and F1 macro / weighted over the classes that occur in the
 * window's labels or predictions (as scikit-learn's f1_score with
 * zero_division=0, where a predicted class outside the list counts as
 * wrong but is not a class of its own). */
static void kpi_compute_classes(const kpi_acc *k, policy_kpi_value out[KPI__COUNT])
{
	size_t nc = k->n_classes;
	double correct = 0, macro = 0, weighted = 0, present = 0;

	for (size_t c = 0; c < nc; c++) {
		double tp = (double)k->confusion[c * (nc + 1) + c], support = 0,
		       predicted = 0, f1;

		for (size_t p = 0; p <= nc; p++)
			support += (double)k->confusion[c * (nc + 1) + p];
		for (size_t t = 0; t < nc; t++)
			predicted += (double)k->confusion[t * (nc + 1) + c];
		if (support == 0 && predicted == 0)
			continue;
		/* 2tp / (2tp + fp + fn), fp = predicted - tp, fn = support - tp */
		f1 = 2 * tp / (support + predicted);
		correct += tp;
		macro += f1;
		weighted += f1 * support;
		present++;
	}
	kpi_set(&out[KPI_ACCURACY], correct / (double)k->n, k->n);
	kpi_set(&out[KPI_F1_MACRO], macro / present, k->n);
	kpi_set(&out[KPI_F1_WEIGHTED], weighted / (double)k->n, k->n);
}

void kpi_compute(kpi_acc *k, policy_kpi_value out[KPI__COUNT])
{
	memset(out, 0, sizeof(policy_kpi_value) * KPI__COUNT);
	if (k->n == 0)
		return;
	if (k->task == POLICY_TASK_MULTICLASS) {
		if (k->confusion != NULL)
			kpi_compute_classes(k, out);
		return;
	}
	if (k->task == POLICY_TASK_BINARY) {
		double tp = (double)k->tp, fp = (double)k->fp, fn = (double)k->fn;
		double prec = tp + fp > 0 ? tp / (tp + fp) : NAN;
		double rec = tp + fn > 0 ? tp / (tp + fn) : NAN;
		double f1 = isfinite(prec) && isfinite(rec)
				    ? (prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0)
				    : NAN;

		kpi_set(&out[KPI_ACCURACY], (tp + (double)k->tn) / (double)k->n, k->n);
		kpi_set(&out[KPI_PRECISION], prec, k->n);
		kpi_set(&out[KPI_RECALL], rec, k->n);
		kpi_set(&out[KPI_F1], f1, k->n);
		kpi_set(&out[KPI_AUC], kpi_auc(k->pairs, k->n_pairs), k->n_pairs);
	} else {
		kpi_set(&out[KPI_RMSE], sqrt(k->sse / (double)k->n), k->n);
		kpi_set(&out[KPI_MAE], k->sae / (double)k->n, k->n);
	}
}
