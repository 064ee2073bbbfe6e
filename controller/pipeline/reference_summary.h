/* reference_summary.h - a numeric feature's sample bounded in size: past
 * max_values values it is replaced by an equi-depth quantile summary, so
 * a compiled reference's memory per model and feature is bounded by
 * max_values whatever the training set's size.
 *
 * With n sorted values x(1) <= ... <= x(n) and N = max_values, the step is
 * j = ceil(n / (N - 1)); the summary keeps x(j), x(2j), ..., x(mj)
 * (m = floor(n / j)) with weight j each, and x(n) with weight r = n - mj
 * when r > 0: at most N points whose weights sum to n.
 *
 * Rank error. Let C(x) be the count of values <= x and S(x) the weight of
 * the kept points <= x. With i the number of kept x(kj) <= x: C(x) >= ij;
 * and below x(n), x((i+1)j) > x (or, when i = m, x(n) > x) so
 * C(x) <= (i+1)j - 1 (or n - 1 = mj + r - 1). S(x) = ij below x(n) and n
 * from x(n) on. So 0 <= C(x) - S(x) <= j - 1 everywhere: the summary's
 * CDF is never above the exact one and at most (j - 1) / n below it,
 * which is the rank_error written (< 1 / (N - 1)). The PSI edges and
 * proportions are the exact sample's: they are computed before this and
 * not touched. */
#ifndef REFERENCE_SUMMARY_H
#define REFERENCE_SUMMARY_H

#include <stddef.h>

#include "kpg_error.h"
#include "reference.h"

#define REFERENCE_SUMMARY_MIN_VALUES 2

/* Summarises f (numeric, an exact sample: weights NULL) when f->n >
 * max_values: f->sorted shrinks to the kept points, f->weights (owned)
 * gets their weights, f->weight_total the count, f->rank_error the bound
 * above. Anything else is left as it is. Returns 1 summarised, 0 left,
 * KPG_EINVAL (max_values < REFERENCE_SUMMARY_MIN_VALUES), KPG_ENOMEM (f
 * unchanged). */
int reference_summarise(reference_feature *f, size_t max_values, kpg_err *err);

#endif
