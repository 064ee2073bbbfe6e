/* kll.c - KLL quantile sketch and its weighted view. Design, memory and
 * error bound in kll.h; how Model Monitor's sketches are read in
 * docs/model-monitor.md.
 *
 * Written from the paper (Karnin, Lang & Liberty 2016) and the
 * description of DataSketches' KllDoublesSketch (level rooms shrinking by
 * 2/3 below the top, a minimum room of 8, compacting the lowest full
 * level, one coin per compaction); no code was copied. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kll.h"
#include "sort.h"

#define KLL_SEED_DEFAULT 0x9E3779B97F4A7C15ULL
#define KLL_MAX_N 9007199254740992.0 /* 2^53 */

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* xorshift64*: one bit per compaction, from the high end. */
static unsigned coin(kll_sketch *s)
{
	uint64_t x = s->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return (unsigned)((x * 0x2545F4914F6CDD1DULL) >> 63);
}

int kll_init(kll_sketch *s, unsigned k, uint64_t seed, kpg_err *err)
{
	memset(s, 0, sizeof(*s));
	if (k == 0)
		k = KLL_DEFAULT_K;
	if (k < KLL_MIN_K || k > KLL_MAX_K) {
		kpg_err_set(err, "kll: k %u outside %d..%d", k, KLL_MIN_K,
			    KLL_MAX_K);
		return KPG_EINVAL;
	}
	s->k = s->min_k = k;
	s->min = NAN;
	s->max = NAN;
	s->rng = splitmix64(seed ? seed : KLL_SEED_DEFAULT);
	if (s->rng == 0)
		s->rng = KLL_SEED_DEFAULT;
	s->n_levels = 1;
	return KPG_OK;
}

void kll_free(kll_sketch *s)
{
	for (size_t h = 0; h < KLL_MAX_LEVELS; h++)
		free(s->items[h]);
	memset(s, 0, sizeof(*s));
}

/* Room of level h in a stack of H: max(m, ceil(k * 2^d / 3^d)), d the
 * depth below the top, in integers so every platform agrees. Past depth
 * 30, k * (2/3)^d < 1 for any k <= 65535, so the minimum applies. */
static size_t level_room(unsigned k, size_t h, size_t n_levels)
{
	size_t d = n_levels - 1 - h;
	uint64_t p3 = 1, num, room;

	if (d > 30)
		return KLL_MIN_WIDTH;
	for (size_t i = 0; i < d; i++)
		p3 *= 3;
	num = (uint64_t)k << d;
	room = (num + p3 - 1) / p3;
	return room < KLL_MIN_WIDTH ? KLL_MIN_WIDTH : (size_t)room;
}

static size_t total_room_of(unsigned k, size_t n_levels)
{
	size_t t = 0;

	for (size_t h = 0; h < n_levels; h++)
		t += level_room(k, h, n_levels);
	return t;
}

/* The rooms change only with the level count (k is fixed): computed once
 * per count, not once per value. */
static size_t total_room(kll_sketch *s)
{
	if (s->room_levels != s->n_levels) {
		s->room = total_room_of(s->k, s->n_levels);
		s->room_levels = s->n_levels;
	}
	return s->room;
}

size_t kll_retained(const kll_sketch *s)
{
	size_t t = 0;

	for (size_t h = 0; h < s->n_levels; h++)
		t += s->len[h];
	return t;
}

static int level_reserve(kll_sketch *s, size_t h, size_t need)
{
	size_t cap;
	double *p;

	if (need <= s->alloc[h])
		return 0;
	cap = s->alloc[h] ? s->alloc[h] : 16;
	while (cap < need)
		cap *= 2;
	p = realloc(s->items[h], cap * sizeof(*p));
	if (p == NULL)
		return KPG_ENOMEM;
	s->items[h] = p;
	s->alloc[h] = cap;
	return 0;
}

/* Merges sorted src[0..n) into sorted level h. */
static int level_merge_sorted(kll_sketch *s, size_t h, const double *src,
			      size_t n)
{
	size_t a, i, j, o;
	double *dst;

	if (n == 0)
		return 0;
	if (level_reserve(s, h, s->len[h] + n))
		return KPG_ENOMEM;
	dst = s->items[h];
	/* merge from the back, in place */
	a = s->len[h];
	i = a;
	j = n;
	o = a + n;
	while (j > 0) {
		if (i > 0 && dst[i - 1] > src[j - 1])
			dst[--o] = dst[--i];
		else
			dst[--o] = src[--j];
	}
	s->len[h] = a + n;
	return 0;
}

/* Compacts level h into h + 1 (which exists). The total weight is kept:
 * len items of weight 2^h become start (0 or 1) items of 2^h plus pairs
 * of 2^(h+1), and start + 2 * pairs == len. kll_update adds weight 1 and
 * 1 to n, kll_merge adds other's levels and other's n, a new level is
 * empty; so sum_h len[h] * 2^h == n always holds (kll_restore checks it). */
static int compact_level(kll_sketch *s, size_t h)
{
	double *lv = s->items[h];
	size_t len = s->len[h], start = len & 1, pairs = (len - start) / 2;
	unsigned off = coin(s);
	double *up;
	int rc;

	if (h == 0)
		sort_doubles(lv, len);
	up = malloc((pairs ? pairs : 1) * sizeof(*up));
	if (up == NULL)
		return KPG_ENOMEM;
	for (size_t i = 0; i < pairs; i++)
		up[i] = lv[start + 2 * i + off];
	rc = level_merge_sorted(s, h + 1, up, pairs);
	free(up);
	if (rc)
		return rc;
	s->len[h] = start; /* the odd one out stays, with its weight */
	s->compactions++;
	return 0;
}

/* Compacts until the items fit the rooms: when it returns 0, the items
 * held are at most total_room, though one level may hold more than its
 * own room (right after a level is added, level 0 keeps its k + 1 items
 * while its room shrinks to 2k/3). kll_restore checks the sum. */
static int compress(kll_sketch *s)
{
	while (kll_retained(s) > total_room(s)) {
		size_t h = 0;

		while (h < s->n_levels &&
		       s->len[h] < level_room(s->k, h, s->n_levels))
			h++;
		if (h >= s->n_levels) /* cannot happen: some level is over */
			return KPG_EINVAL;
		if (h + 1 == s->n_levels) {
			if (s->n_levels == KLL_MAX_LEVELS)
				return KPG_ETOOBIG;
			s->n_levels++;
			continue; /* the rooms changed: look again */
		}
		if (compact_level(s, h))
			return KPG_ENOMEM;
	}
	return 0;
}

int kll_update(kll_sketch *s, double x, kpg_err *err)
{
	int rc;

	if (isnan(x)) {
		kpg_err_set(err, "kll: NaN value");
		return KPG_EINVAL;
	}
	if ((double)s->n >= KLL_MAX_N) {
		kpg_err_set(err, "kll: more than 2^53 values");
		return KPG_ETOOBIG;
	}
	if (level_reserve(s, 0, s->len[0] + 1)) {
		kpg_err_set(err, "kll: out of memory");
		return KPG_ENOMEM;
	}
	s->items[0][s->len[0]++] = x;
	if (s->n == 0 || x < s->min)
		s->min = x;
	if (s->n == 0 || x > s->max)
		s->max = x;
	s->n++;
	rc = compress(s);
	if (rc)
		kpg_err_set(err, "kll: %s while compacting",
			    rc == KPG_ENOMEM ? "out of memory" : "too many levels");
	return rc;
}

int kll_merge(kll_sketch *s, const kll_sketch *other, kpg_err *err)
{
	int rc;

	if (s == other) {
		kpg_err_set(err, "kll: a sketch cannot be merged into itself");
		return KPG_EINVAL;
	}
	if (other->n == 0)
		return KPG_OK;
	if ((double)s->n + (double)other->n > KLL_MAX_N) {
		kpg_err_set(err, "kll: more than 2^53 values after the merge");
		return KPG_ETOOBIG;
	}
	if (other->n_levels > s->n_levels)
		s->n_levels = other->n_levels;
	for (size_t h = 0; h < other->n_levels; h++) {
		size_t n = other->len[h];

		if (n == 0)
			continue;
		if (h == 0) {
			if (level_reserve(s, 0, s->len[0] + n))
				goto nomem;
			memcpy(s->items[0] + s->len[0], other->items[0],
			       n * sizeof(double));
			s->len[0] += n;
		} else if (level_merge_sorted(s, h, other->items[h], n)) {
			goto nomem;
		}
	}
	if (s->n == 0 || other->min < s->min)
		s->min = other->min;
	if (s->n == 0 || other->max > s->max)
		s->max = other->max;
	s->n += other->n;
	s->compactions += other->compactions;
	if (other->min_k < s->min_k)
		s->min_k = other->min_k;
	rc = compress(s);
	if (rc == KPG_ENOMEM)
		goto nomem;
	if (rc)
		kpg_err_set(err, "kll: too many levels after the merge");
	return rc;
nomem:
	kpg_err_set(err, "kll: out of memory merging");
	return KPG_ENOMEM;
}

const double *kll_level(const kll_sketch *s, size_t h, size_t *len)
{
	if (h >= s->n_levels) {
		*len = 0;
		return NULL;
	}
	*len = s->len[h];
	return s->items[h];
}

/* The checks of kll_restore on the scalars and the lengths: nothing here
 * reads an item, so a corrupt length cannot make it read or allocate. */
static int restore_check_shape(unsigned k, unsigned min_k, uint64_t n,
			       double min, double max, uint64_t rng,
			       uint64_t compactions, const size_t *lens,
			       size_t n_levels, kpg_err *err)
{
	size_t rooms = 0, held = 0;
	uint64_t weight = 0;
	const uint64_t max_n = (uint64_t)1 << 53;

	if (k < KLL_MIN_K || k > KLL_MAX_K || min_k < KLL_MIN_K || min_k > k) {
		kpg_err_set(err, "kll: saved k %u and min_k %u: both must be in %d..%d and min_k <= k",
			    k, min_k, KLL_MIN_K, KLL_MAX_K);
		return KPG_EINTEGRITY;
	}
	if (rng == 0) {
		kpg_err_set(err, "kll: saved rng state is 0 (xorshift64* never reaches 0)");
		return KPG_EINTEGRITY;
	}
	if (n_levels < 1 || n_levels > KLL_MAX_LEVELS) {
		kpg_err_set(err, "kll: saved sketch has %zu levels, not 1..%d",
			    n_levels, KLL_MAX_LEVELS);
		return KPG_EINTEGRITY;
	}
	if (n > max_n) {
		kpg_err_set(err, "kll: saved count %" PRIu64 " is above 2^53", n);
		return KPG_EINTEGRITY;
	}
	/* the top level was added when the one below held k items of
	 * weight 2^(n_levels - 2); merges keep it with the smaller k */
	if (n_levels >= 2 && (n >> (n_levels - 2)) < min_k) {
		kpg_err_set(err, "kll: saved sketch has %zu levels for %" PRIu64 " values (at least min_k * 2^%zu needed)",
			    n_levels, n, n_levels - 2);
		return KPG_EINTEGRITY;
	}
	for (size_t h = 0; h < n_levels; h++)
		rooms += level_room(k, h, n_levels);
	for (size_t h = 0; h < n_levels; h++) {
		if (lens[h] > rooms - held) {
			kpg_err_set(err, "kll: saved level %zu length %zu takes the items held past the %zu that the rooms of k %u and %zu levels hold",
				    h, lens[h], rooms, k, n_levels);
			return KPG_EINTEGRITY;
		}
		held += lens[h];
		/* lens[h] <= rooms < 2^18; past level 53 one item is too heavy */
		if (lens[h] > 0 && (h > 53 || lens[h] > (max_n - weight) >> h)) {
			kpg_err_set(err, "kll: saved level %zu stands for more than 2^53 values",
				    h);
			return KPG_EINTEGRITY;
		}
		weight += (uint64_t)lens[h] << h;
	}
	if (weight != n) {
		kpg_err_set(err, "kll: saved levels weigh %" PRIu64 " (sum of length * 2^level) but the count is %" PRIu64,
			    weight, n);
		return KPG_EINTEGRITY;
	}
	if ((compactions == 0) != (lens[0] == n)) {
		kpg_err_set(err, "kll: saved compactions %" PRIu64 " but %zu of %" PRIu64 " values on level 0",
			    compactions, lens[0], n);
		return KPG_EINTEGRITY;
	}
	if (n == 0 ? !(isnan(min) && isnan(max))
		   : !(isfinite(min) && isfinite(max) && min <= max)) {
		kpg_err_set(err, "kll: saved min %g and max %g for %" PRIu64 " values",
			    min, max, n);
		return KPG_EINTEGRITY;
	}
	return KPG_OK;
}

/* The checks of kll_restore on the items of level h. */
static int restore_check_level(const double *v, size_t len, size_t h,
			       double min, double max, kpg_err *err)
{
	for (size_t i = 0; i < len; i++) {
		if (!isfinite(v[i])) {
			kpg_err_set(err, "kll: saved level %zu item %zu is not a finite number",
				    h, i);
			return KPG_EINTEGRITY;
		}
		if (v[i] < min || v[i] > max) {
			kpg_err_set(err, "kll: saved level %zu item %zu (%g) is outside [min %g, max %g]",
				    h, i, v[i], min, max);
			return KPG_EINTEGRITY;
		}
		if (h > 0 && i > 0 && v[i] < v[i - 1]) {
			kpg_err_set(err, "kll: saved level %zu is not sorted at item %zu",
				    h, i);
			return KPG_EINTEGRITY;
		}
	}
	return KPG_OK;
}

int kll_restore(kll_sketch *s, unsigned k, unsigned min_k, uint64_t n,
		double min, double max, uint64_t rng, uint64_t compactions,
		const double *const *levels, const size_t *lens,
		size_t n_levels, kpg_err *err)
{
	int rc, has_min = 0, has_max = 0;

	memset(s, 0, sizeof(*s));
	if (lens == NULL) {
		kpg_err_set(err, "kll: no level lengths to restore");
		return KPG_EINVAL;
	}
	rc = restore_check_shape(k, min_k, n, min, max, rng, compactions, lens,
				 n_levels, err);
	if (rc)
		return rc;
	for (size_t h = 0; h < n_levels; h++) {
		if (lens[h] == 0)
			continue;
		if (levels == NULL || levels[h] == NULL) {
			kpg_err_set(err, "kll: saved level %zu has %zu items but no array",
				    h, lens[h]);
			return KPG_EINVAL;
		}
		rc = restore_check_level(levels[h], lens[h], h, min, max, err);
		if (rc)
			return rc;
		for (size_t i = 0; i < lens[h]; i++) {
			has_min |= levels[h][i] == min;
			has_max |= levels[h][i] == max;
		}
	}
	/* a sketch that never compacted holds every value, min and max too */
	if (n > 0 && compactions == 0 && !(has_min && has_max)) {
		kpg_err_set(err, "kll: saved sketch never compacted but min %g or max %g is not among its items",
			    min, max);
		return KPG_EINTEGRITY;
	}
	s->k = k;
	s->min_k = min_k;
	s->n = n;
	s->min = min;
	s->max = max;
	s->rng = rng;
	s->compactions = compactions;
	s->n_levels = n_levels;
	for (size_t h = 0; h < n_levels; h++) {
		if (lens[h] == 0)
			continue;
		if (level_reserve(s, h, lens[h])) {
			kll_free(s);
			kpg_err_set(err, "kll: out of memory restoring level %zu (%zu items)",
				    h, lens[h]);
			return KPG_ENOMEM;
		}
		memcpy(s->items[h], levels[h], lens[h] * sizeof(double));
		s->len[h] = lens[h];
	}
	return KPG_OK;
}

uint64_t kll_count(const kll_sketch *s) { return s->n; }
double kll_min(const kll_sketch *s) { return s->n ? s->min : NAN; }
double kll_max(const kll_sketch *s) { return s->n ? s->max : NAN; }

double kll_rank(const kll_sketch *s, double x)
{
	double w = 0;
	size_t c = 0;

	if (s->n == 0 || isnan(x))
		return NAN;
	for (size_t i = 0; i < s->len[0]; i++)
		c += s->items[0][i] <= x;
	w = (double)c;
	for (size_t h = 1; h < s->n_levels; h++)
		w += ldexp((double)sort_count_le(s->items[h], s->len[h], x),
			   (int)h);
	return w / (double)s->n;
}

double kll_rank_error(double k)
{
	if (!(k >= 1))
		return 1.0;
	return 2.446 / pow(k, 0.9433);
}

double kll_sketch_rank_error(const kll_sketch *s)
{
	return s->compactions == 0 ? 0.0 : kll_rank_error(s->min_k);
}

typedef struct kll_pair {
	double v, w;
} kll_pair;

static int pair_cmp(const void *a, const void *b)
{
	const kll_pair *x = a, *y = b;

	if (x->v < y->v)
		return -1;
	if (x->v > y->v)
		return 1;
	return (x->w > y->w) - (x->w < y->w);
}

/* Sorts pairs[0..n) into v (takes nothing; pairs is the caller's). */
static int view_from_pairs(kll_pair *pairs, size_t n, kll_view *v,
			   kpg_err *err)
{
	qsort(pairs, n, sizeof(*pairs), pair_cmp);
	v->values = malloc(n * sizeof(double));
	v->weights = malloc(n * sizeof(double));
	if (v->values == NULL || v->weights == NULL) {
		kll_view_free(v);
		kpg_err_set(err, "kll: out of memory for a view of %zu items", n);
		return KPG_ENOMEM;
	}
	v->total = 0;
	for (size_t i = 0; i < n; i++) {
		v->values[i] = pairs[i].v;
		v->weights[i] = pairs[i].w;
		v->total += pairs[i].w;
	}
	v->n = n;
	return KPG_OK;
}

int kll_view_build(const kll_sketch *s, kll_view *v, kpg_err *err)
{
	size_t n = kll_retained(s), o = 0;
	kll_pair *pairs;
	int rc;

	memset(v, 0, sizeof(*v));
	if (n == 0) {
		kpg_err_set(err, "kll: the sketch is empty");
		return KPG_EINVAL;
	}
	pairs = malloc(n * sizeof(*pairs));
	if (pairs == NULL) {
		kpg_err_set(err, "kll: out of memory for a view of %zu items", n);
		return KPG_ENOMEM;
	}
	for (size_t h = 0; h < s->n_levels; h++)
		for (size_t i = 0; i < s->len[h]; i++) {
			pairs[o].v = s->items[h][i];
			pairs[o++].w = ldexp(1.0, (int)h);
		}
	rc = view_from_pairs(pairs, n, v, err);
	free(pairs);
	return rc;
}

int kll_from_levels(const double *const *levels, const size_t *lens,
		    size_t n_levels, kll_view *v, kpg_err *err)
{
	size_t n = 0, o = 0;
	double total = 0;
	kll_pair *pairs;
	int rc;

	memset(v, 0, sizeof(*v));
	if (n_levels > KLL_MAX_LEVELS) {
		kpg_err_set(err, "kll: %zu levels, at most %d", n_levels,
			    KLL_MAX_LEVELS);
		return KPG_ETOOBIG;
	}
	for (size_t h = 0; h < n_levels; h++) {
		if (lens[h] > 0 && levels[h] == NULL) {
			kpg_err_set(err, "kll: level %zu has no items array", h);
			return KPG_EINVAL;
		}
		for (size_t i = 0; i < lens[h]; i++)
			if (!isfinite(levels[h][i])) {
				kpg_err_set(err, "kll: level %zu item %zu is not a finite number",
					    h, i);
				return KPG_EINVAL;
			}
		n += lens[h];
		total += ldexp((double)lens[h], (int)h);
	}
	if (n == 0) {
		kpg_err_set(err, "kll: the sketch holds no items");
		return KPG_EINVAL;
	}
	if (total > KLL_MAX_N) {
		kpg_err_set(err, "kll: the sketch stands for more than 2^53 values");
		return KPG_ETOOBIG;
	}
	pairs = malloc(n * sizeof(*pairs));
	if (pairs == NULL) {
		kpg_err_set(err, "kll: out of memory for a view of %zu items", n);
		return KPG_ENOMEM;
	}
	for (size_t h = 0; h < n_levels; h++)
		for (size_t i = 0; i < lens[h]; i++) {
			pairs[o].v = levels[h][i];
			pairs[o++].w = ldexp(1.0, (int)h);
		}
	rc = view_from_pairs(pairs, n, v, err);
	free(pairs);
	return rc;
}

double kll_view_rank(const kll_view *v, double x)
{
	double w = 0;

	if (v->n == 0 || isnan(x))
		return NAN;
	for (size_t i = 0; i < v->n && v->values[i] <= x; i++)
		w += v->weights[i];
	return w / v->total;
}

double kll_view_quantile(const kll_view *v, double q)
{
	double target, cum = 0;

	if (v->n == 0 || !(q >= 0 && q <= 1))
		return NAN;
	target = q * v->total;
	for (size_t i = 0; i < v->n; i++) {
		cum += v->weights[i];
		if (cum >= target)
			return v->values[i];
	}
	return v->values[v->n - 1];
}

int kll_quantile(const kll_sketch *s, double q, double *out, kpg_err *err)
{
	kll_view v;
	int rc;

	if (!(q >= 0 && q <= 1)) {
		kpg_err_set(err, "kll: quantile %g outside [0, 1]", q);
		return KPG_EINVAL;
	}
	rc = kll_view_build(s, &v, err);
	if (rc)
		return rc;
	*out = kll_view_quantile(&v, q);
	kll_view_free(&v);
	return KPG_OK;
}

void kll_view_free(kll_view *v)
{
	free(v->values);
	free(v->weights);
	memset(v, 0, sizeof(*v));
}
