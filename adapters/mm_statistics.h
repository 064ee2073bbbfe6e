/* mm_statistics.h - a SageMaker Model Monitor statistics.json (the
 * baseline job's per-feature statistics) read into a struct with jansson.
 *
 *   {"version": 0.0, "dataset": {"item_count": N},
 *    "features": [{"name", "inferred_type",
 *      "numerical_statistics": {"common": {"num_present", "num_missing"},
 *         "mean", "sum", "std_dev", "min", "max",
 *         "distribution": {"kll": {"buckets": [{"lower_bound",
 *            "upper_bound", "count"}],
 *            "sketch": {"parameters": {"c", "k"}, "data": [[...], ...]}}}}
 *      | "string_statistics": {"common": {...}, "distinct_count",
 *         "distribution": {"categorical": {"buckets": [{"value",
 *            "count"}]}}}}]}
 *
 * inferred_type: Integral and Fractional need numerical_statistics,
 * String needs string_statistics; Unknown (Model Monitor could not tell,
 * e.g. a column that is always empty) may carry either or neither, and the
 * reference refuses it unless the policy excludes it or declares it
 * "ignore" (docs/model-monitor.md). When num_present is 0 the statistics
 * block's values and distribution may be absent. Keys not named here are
 * ignored, as newer Model Monitor versions may add some.
 *
 * Every missing or mistyped key is an error naming the file, line:column,
 * the feature and the key. Limits (MM_*), each refused past with an error:
 * the file size, features, buckets, sketch levels and items, string
 * lengths. */
#ifndef MM_STATISTICS_H
#define MM_STATISTICS_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"

#define MM_FILE_MAX (128u * 1024 * 1024) /* bytes of a statistics/constraints file */
#define MM_MAX_FEATURES 10000
#define MM_MAX_NAME 1024            /* bytes of a feature name */
#define MM_MAX_VALUE 4096           /* bytes of a category value or domain */
#define MM_MAX_KLL_BUCKETS 10000    /* Model Monitor writes 10 */
#define MM_MAX_CATEGORIES 10000     /* = REFERENCE_MAX_CATEGORIES */
#define MM_MAX_LEVELS 61            /* = KLL_MAX_LEVELS: weights up to 2^60 */
#define MM_MAX_SKETCH_ITEMS 1048576 /* per feature; k = 2048 holds ~6,200 */

typedef enum mm_type {
	MM_TYPE_INTEGRAL = 0,
	MM_TYPE_FRACTIONAL,
	MM_TYPE_STRING,
	MM_TYPE_UNKNOWN
} mm_type;

typedef struct mm_kll_bucket {
	double lower, upper, count;
} mm_kll_bucket;

typedef struct mm_cat_bucket {
	char *value; /* owned */
	double count;
} mm_cat_bucket;

typedef struct mm_numeric_stats {
	double mean, sum, std_dev, min, max; /* NaN when absent (num_present 0) */
	mm_kll_bucket *buckets;              /* owned */
	size_t n_buckets;
	int has_sketch;
	double sketch_c, sketch_k; /* sketch.parameters */
	double **levels;           /* owned; levels[h] holds level_len[h] items of weight 2^h */
	size_t *level_len;
	size_t n_levels;
} mm_numeric_stats;

typedef struct mm_string_stats {
	double distinct_count;  /* NaN when absent */
	mm_cat_bucket *buckets; /* owned, in file order */
	size_t n_buckets;
} mm_string_stats;

typedef struct mm_feature_stats {
	char *name; /* owned */
	mm_type type;
	uint64_t num_present, num_missing;
	int has_numeric, has_string; /* which statistics block it carries */
	mm_numeric_stats num;
	mm_string_stats str;
} mm_feature_stats;

typedef struct mm_statistics {
	double version;
	uint64_t item_count;        /* dataset.item_count */
	mm_feature_stats *features; /* owned, in file order */
	size_t n_features;
} mm_statistics;

/* Parses len bytes of text (borrowed for the call); what names the file
 * in messages. 0, or KPG_EPARSE (not JSON), KPG_EINVAL (a key missing,
 * mistyped or out of range), KPG_ETOOBIG (past a limit), KPG_ENOMEM, with
 * err set; out is then empty. Caller frees with mm_statistics_free. */
int mm_statistics_parse(const char *text, size_t len, const char *what,
			mm_statistics *out, kpg_err *err);

/* Reads path (at most MM_FILE_MAX bytes) and parses it. */
int mm_statistics_load(const char *path, mm_statistics *out, kpg_err *err);

void mm_statistics_free(mm_statistics *s);

/* "Integral", "Fractional", "String", "Unknown"; -1 for another text. */
int mm_type_parse(const char *s);
const char *mm_type_name(mm_type t);

/* The feature named name, or NULL. */
const mm_feature_stats *mm_statistics_find(const mm_statistics *s,
					   const char *name);

#endif
