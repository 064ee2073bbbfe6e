/* kll.h - KLL quantile sketch (Karnin, Lang & Liberty, "Optimal Quantile
 * Approximation in Streams", FOCS 2016), the compactor design Apache
 * DataSketches, Deequ (SageMaker Model Monitor's statistics.json) and
 * whylogs use, and a read-only weighted view of a sketch for CDFs,
 * quantiles and KS.
 *
 * A sketch is a stack of compactors. Level h holds items that each stand
 * for 2^h input values; level 0 is unsorted, the others sorted. Level h of
 * H has room for max(KLL_MIN_WIDTH, ceil(k * (2/3)^(H-1-h))) items. When
 * the items held exceed the sum of the rooms, the lowest level at or past
 * its room is compacted: sorted, one item set aside when the count is odd,
 * then every other item (the odd or the even ones, by a coin) moves up a
 * level with twice the weight. The coin comes from a seeded xorshift64*
 * generator, so a sketch fed the same values with the same seed is the
 * same, bit for bit, on every run.
 *
 * Memory: at most about 3k + KLL_MIN_WIDTH * log2(n/k) items, i.e.
 * O(k + log(n/k)) doubles, plus the level table.
 *
 * Rank error: kll_rank_error(k) = 2.446 / k^0.9433, the "double-sided"
 * normalised rank error DataSketches gives for its KLL sketch at 99%
 * confidence (k = 200: 0.0165). It bounds sup_x |sketch rank(x) - true
 * rank(x)| / n, the sup-norm error of the sketch's CDF, which is the error
 * a KS statistic against the sketch inherits. It is a probabilistic bound
 * (a run can exceed it with about 1% chance), not a worst case;
 * tests/test_detectors_kll.c checks it on 1e6 values. A sketch that never
 * compacted is exact (error 0). */
#ifndef KLL_H
#define KLL_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"

#define KLL_DEFAULT_K 200
#define KLL_MIN_K 8
#define KLL_MAX_K 65535
#define KLL_MIN_WIDTH 8 /* the smallest room of a level (DataSketches' m) */
/* Levels 0..60: weights up to 2^60. A sketch with more values than 2^53
 * (the doubles' exact integers) is refused long before that. */
#define KLL_MAX_LEVELS 61

typedef struct kll_sketch {
	unsigned k;
	unsigned min_k; /* smallest k merged in: the one the error follows */
	uint64_t n;     /* values seen */
	double min, max;
	uint64_t rng; /* xorshift64* state, never 0 */
	size_t n_levels;
	double *items[KLL_MAX_LEVELS]; /* owned; level 0 unsorted */
	size_t len[KLL_MAX_LEVELS], alloc[KLL_MAX_LEVELS];
	uint64_t compactions; /* 0: every value is still held, exactly */
	/* the sum of the rooms for room_levels levels (0: not computed), so
	 * an update need not recompute it; kll.c's alone */
	size_t room, room_levels;
} kll_sketch;

/* A sorted weighted sample: values[i] stands for weights[i] values.
 * Built from a sketch (kll_view_build) or from Model Monitor's levels
 * (kll_from_levels). Read-only once built; caller frees with
 * kll_view_free. */
typedef struct kll_view {
	double *values;  /* owned, ascending, NaN-free */
	double *weights; /* owned, each > 0 */
	size_t n;
	double total; /* the sum of weights */
} kll_view;

/* k in KLL_MIN_K..KLL_MAX_K (0 = KLL_DEFAULT_K); seed: any (0 is
 * replaced by a fixed constant). KPG_EINVAL for a k out of range. */
int kll_init(kll_sketch *s, unsigned k, uint64_t seed, kpg_err *err);
void kll_free(kll_sketch *s);

/* Adds one value. KPG_EINVAL for NaN (the sketch is unchanged),
 * KPG_ETOOBIG past 2^53 values, KPG_ENOMEM. */
int kll_update(kll_sketch *s, double x, kpg_err *err);

/* Adds other's values to s (other is only read; the two may have
 * different k: the error then follows the smaller). s == other is
 * KPG_EINVAL. On KPG_ENOMEM s may hold part of other: discard it. */
int kll_merge(kll_sketch *s, const kll_sketch *other, kpg_err *err);

/* Level h's items (level 0 in any order, the others ascending), each
 * standing for 2^h values, and their count into *len; NULL and *len = 0
 * for h >= s->n_levels (an empty level may also be NULL). Borrowed: valid
 * until the next kll_update, kll_merge or kll_free of s. With k, min_k,
 * n, min, max, rng, compactions and n_levels read from the struct, this
 * is all a checkpoint writer saves for kll_restore (rng is the generator's
 * current state, not the seed). */
const double *kll_level(const kll_sketch *s, size_t h, size_t *len);

/* Rebuilds into s (uninitialised on entry) a sketch saved with the fields
 * above and kll_level: levels[h] holds lens[h] items, h < n_levels;
 * levels is borrowed for the call and s owns copies, allocated as
 * kll_update allocates, so kll_update, kll_merge and kll_free work as on
 * the saved sketch and it goes on bit for bit as the saved one would.
 *
 * The input is untrusted (a checkpoint file): anything a sketch of this
 * code cannot hold is KPG_EINTEGRITY with a sentence naming it:
 *  - k and min_k in KLL_MIN_K..KLL_MAX_K, min_k <= k; rng != 0;
 *  - n_levels in 1..KLL_MAX_LEVELS, and for n_levels >= 2,
 *    n >= min_k * 2^(n_levels - 2) (a level is added only when the top
 *    one holds k items);
 *  - the items held (the sum of lens) at most the sum of the levels'
 *    rooms for k and n_levels, the state every compaction leaves (one
 *    level alone may exceed its own room); no items are read before the
 *    lengths pass, so a corrupt length allocates nothing;
 *  - n <= 2^53 and the weight invariant sum_h lens[h] * 2^h == n;
 *  - every item finite and within [min, max], levels >= 1 ascending;
 *  - n == 0: no items, min and max NaN (as kll_init leaves them);
 *    n > 0: min <= max, both finite;
 *  - compactions == 0 exactly when every value is on level 0, and then
 *    min and max are among the items (kll_sketch_rank_error trusts it).
 * A sketch whose last kll_update or kll_merge failed with KPG_ENOMEM may
 * be over its rooms and is refused. KPG_EINVAL for NULL lens, or a NULL levels or levels[h]
 * where lens[h] > 0 (levels may be NULL when every lens[h] is 0);
 * KPG_ENOMEM. On any failure s is zeroed, owns nothing
 * (kll_free is safe) and err says why. */
int kll_restore(kll_sketch *s, unsigned k, unsigned min_k, uint64_t n,
		double min, double max, uint64_t rng, uint64_t compactions,
		const double *const *levels, const size_t *lens,
		size_t n_levels, kpg_err *err);

uint64_t kll_count(const kll_sketch *s);
double kll_min(const kll_sketch *s); /* NaN when empty */
double kll_max(const kll_sketch *s);
size_t kll_retained(const kll_sketch *s); /* items held */

/* Estimated normalised rank of x: the weighted share of values <= x, in
 * [0, 1]; NaN when empty. */
double kll_rank(const kll_sketch *s, double x);

/* The value at normalised rank q in [0, 1] (kll_view_quantile), into
 * *out. KPG_EINVAL when empty or q outside [0, 1]. */
int kll_quantile(const kll_sketch *s, double q, double *out, kpg_err *err);

/* The normalised rank error bound of a sketch with parameter k (k >= 1):
 * 2.446 / k^0.9433. */
double kll_rank_error(double k);

/* The bound for this sketch: 0 when it never compacted, else
 * kll_rank_error(min_k). */
double kll_sketch_rank_error(const kll_sketch *s);

/* The sketch's items, ascending, each with weight 2^level. KPG_EINVAL for
 * an empty sketch. */
int kll_view_build(const kll_sketch *s, kll_view *v, kpg_err *err);

/* The "flatten" step for a sketch read from elsewhere (Model Monitor's
 * sketch.data): levels[h] holds lens[h] items of weight 2^h, in any order.
 * Copies what it needs (levels are borrowed for the call). KPG_EINVAL for
 * NaN or infinite items or no items at all, KPG_ETOOBIG for more than
 * KLL_MAX_LEVELS levels or a total weight above 2^53. */
int kll_from_levels(const double *const *levels, const size_t *lens,
		    size_t n_levels, kll_view *v, kpg_err *err);

/* Share of the weight at values <= x, in [0, 1]. */
double kll_view_rank(const kll_view *v, double x);

/* The smallest value whose cumulative weight reaches q * total (q in
 * [0, 1]; q = 0 gives the smallest value); NaN for q outside [0, 1]. */
double kll_view_quantile(const kll_view *v, double q);

void kll_view_free(kll_view *v);

#endif
