/* reference.h - the training-data reference a model's windows are compared
 * against: per feature, the sorted numeric values (KS) and PSI bins, or the
 * category dictionary and counts. Built once from a CSV with a header row.
 *
 * It also holds the payload's schema: the columns a captured instance
 * carries, in order, each mapped to its feature or marked ignored (a column
 * the payload carries that no statistic uses). The payload's order is
 * payload.columns when the policy sets it, else the CSV's columns in order
 * without the label and excluded columns. */
#ifndef REFERENCE_H
#define REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"
#include "kpg_strmap.h"
#include "policy_eval.h"
#include "psi.h"
#include "reference_labels.h"

struct policy;

#define REFERENCE_MAX_CATEGORIES 10000
#define REFERENCE_IGNORED (-1) /* payload_feature of an ignored column */
#define REFERENCE_ERR_KEY_LEN 300

typedef struct reference_feature {
	char *name;               /* owned */
	policy_feature_type type; /* NUMERIC or CATEGORICAL, never INFER */
	int inferred;             /* 1 when the type was inferred, not declared */
	size_t missing;           /* empty / NA cells in the reference */
	/* numeric */
	double *sorted;
	size_t n; /* owned, ascending, NaN-free */
	/* A reference summarised as a sketch (a Model Monitor statistics.json
	 * KLL sketch, or a compiled reference past its size): weights[i] is
	 * how many values sorted[i] stands for (owned; NULL: each value
	 * weighs 1, the exact sample), weight_total their sum (the count the
	 * reference describes; n when exact), and rank_error the largest
	 * error of the reference CDF as a fraction of weight_total (0 when
	 * exact). */
	double *weights;
	double weight_total;
	double rank_error;
	psi_ref psi;
	/* categorical */
	kpg_strmap categories; /* text -> code 0..n_categories-1 */
	char **category_names; /* owned, by code */
	size_t n_categories;
	double *category_counts; /* owned, n_categories + 1 (last = unseen, 0) */
} reference_feature;

/* What the reference was read from. */
typedef enum reference_source {
	REFERENCE_SOURCE_CSV = 0,       /* a training CSV with a header row */
	REFERENCE_SOURCE_MM_STATISTICS, /* a Model Monitor statistics.json */
	REFERENCE_SOURCE_COMPILED       /* `kpigate baseline build` output */
} reference_source;

typedef struct reference {
	char *path; /* owned */
	reference_source source;
	char source_sha256[65]; /* hex SHA-256 of the source file's bytes, or "" */
	/* the payload: per column, in order, the index into features or
	 * REFERENCE_IGNORED, and its name (owned) */
	int *payload_feature;
	char **payload_names;
	size_t n_payload; /* n_features + n_ignored */
	size_t n_ignored;
	reference_feature *features; /* owned, in payload column order */
	size_t n_features;
	uint64_t n_rows;
	int label_index;         /* column of the label in the CSV, -1 when none */
	reference_labels labels; /* what the label column holds */
} reference;

typedef struct reference_options {
	const char *label_column; /* excluded from features; may be NULL */
	char *const *exclude;
	size_t n_exclude; /* columns to drop */
	const policy_feature *declared;
	size_t n_declared; /* types; others inferred */
	unsigned psi_bins; /* 0 = PSI_DEFAULT_BINS */
	char *const *payload;
	size_t n_payload; /* payload.columns; 0 = the CSV's order */
	/* Optional, caller's buffer of REFERENCE_ERR_KEY_LEN bytes: on an
	 * error, the policy key it is about ("payload.columns[2]",
	 * "features.id"), or "" when it is about the CSV itself. */
	char *err_key;
} reference_options;

/* Reads path (CSV with a header). A column is numeric when every
 * non-missing cell parses as a finite number, else categorical, unless
 * declared. A declared feature that is not a column, a numeric column with
 * text, or a label column that is absent are errors; so are a payload
 * column that is neither a feature nor ignored, a feature missing from the
 * payload, and an ignored feature the payload's order cannot place (not in
 * the CSV, no payload.columns). Caller frees with reference_free(). */
int reference_load(const char *path, const reference_options *opt,
		   reference *out, kpg_err *err);

/* Options from a policy (borrowed from p). */
void reference_options_from_policy(const struct policy *p,
				   reference_options *opt);

/* Code of a category; the unseen code n_categories when unknown. */
uint32_t reference_category_code(const reference_feature *f, const char *text,
				 size_t len);

void reference_free(reference *ref);

#endif
