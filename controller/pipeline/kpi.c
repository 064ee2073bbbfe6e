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

void kpi_reset(kpi_acc *k)
{
	k->n_pairs = 0;
	k->n = k->tp = k->fp = k->tn = k->fn = 0;
	k->sse = k->sae = 0;
}

void kpi_free(kpi_acc *k)
{
	free(k->pairs);
	k->pairs = NULL;
}

int kpi_add(kpi_acc *k, double score, double label)
{
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

void kpi_compute(kpi_acc *k, policy_kpi_value out[KPI__COUNT])
{
	memset(out, 0, sizeof(policy_kpi_value) * KPI__COUNT);
	if (k->n == 0)
		return;
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
