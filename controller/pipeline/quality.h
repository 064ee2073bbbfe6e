/* quality.h - Model Monitor-style data-quality checks of a closed window
 * (docs/policies.md, "Data-quality checks"): the constraints a window must
 * meet, per feature (type, completeness, non-negativity, domain) and
 * global (the three monitoring_config thresholds), derived from the
 * reference the way Model Monitor's suggest_baseline derives a
 * constraints.json, and the checks themselves, each with the value it
 * observed, its threshold and a verdict.
 *
 * The constraints are a plain struct with owned strings; a Model
 * Monitor constraints.json (adapters/mm_constraints) replaces the derived
 * ones through quality_constraints_apply_file(). */
#ifndef QUALITY_H
#define QUALITY_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"
#include "reference.h"
#include "window.h"

#define QUALITY_DEFAULT_DATATYPE_THRESHOLD 1.0
#define QUALITY_DEFAULT_DOMAIN_THRESHOLD 1.0
#define QUALITY_DEFAULT_COMPARISON_THRESHOLD 0.1

/* Model Monitor's inferred_type. */
typedef enum quality_type {
	QUALITY_TYPE_INTEGRAL = 0,
	QUALITY_TYPE_FRACTIONAL,
	QUALITY_TYPE_STRING,
	QUALITY_TYPE_UNKNOWN /* not checked */
} quality_type;

/* One feature's constraints. A threshold left NAN takes the global one
 * (a per-feature override otherwise). */
typedef struct quality_feature {
	char *name; /* owned */
	quality_type type;
	double completeness; /* 0..1; NAN = not checked */
	int is_non_negative;
	char **domain; /* owned; the category names a value may take */
	size_t n_domain;
	int has_domain; /* 0: categorical_values_check does not run */
	double datatype_check_threshold, domain_content_threshold,
		comparison_threshold;
	/* set by quality_constraints_bind: the reference feature (-1: none,
	 * the feature is not checked) and, by reference category code,
	 * whether that category is in the domain (owned) */
	int ref_index;
	unsigned char *in_domain;
} quality_feature;

typedef struct quality_constraints {
	quality_feature *features; /* owned */
	size_t n_features;
	double datatype_check_threshold; /* default 1.0 */
	double domain_content_threshold; /* default 1.0 */
	double comparison_threshold;     /* default 0.1 */
	int from_file;                   /* 0: derived from the reference */
} quality_constraints;

/* Empty, with the default thresholds. */
void quality_constraints_init(quality_constraints *qc);
void quality_constraints_free(quality_constraints *qc);

/* Derives constraints from a loaded reference like suggest_baseline:
 * a numeric feature is Integral when every reference value is an integer,
 * else Fractional; a categorical one String; completeness is the share of
 * the reference's rows with a value; non-negative when its smallest value
 * is >= 0; the domain is the reference's categories. A summarised
 * reference (sketch weights) gives the same from its kept values. Bound
 * to ref on return. Caller frees with quality_constraints_free(). */
int quality_constraints_from_reference(const reference *ref,
				       quality_constraints *out, kpg_err *err);

/* Links every feature to ref by name (ref_index, in_domain). A feature
 * the reference does not have is left unchecked. */
int quality_constraints_bind(quality_constraints *qc, const reference *ref,
			     kpg_err *err);

/* Replaces qc's features with those of the Model Monitor constraints.json
 * at path (adapters/mm_constraints: inferred_type, completeness,
 * num_constraints.is_non_negative, string_constraints.domains, each
 * feature's monitoring_config_overrides) and binds them to ref; the file's
 * monitoring_config thresholds replace qc's global ones where it sets
 * them. qc->from_file = 1. A feature the reference lacks is not checked. */
int quality_constraints_apply_file(quality_constraints *qc, const char *path,
				   const reference *ref, kpg_err *err);

/* Sets the global thresholds from the policy's quality.* values. */
void quality_constraints_thresholds(quality_constraints *qc, double datatype,
				    double domain, double comparison);

typedef enum quality_check_kind {
	QUALITY_DATA_TYPE = 0,
	QUALITY_NON_NEGATIVE, /* reported as data_type_check in the file */
	QUALITY_COMPLETENESS,
	QUALITY_MISSING_COLUMN,
	QUALITY_EXTRA_COLUMN,
	QUALITY_CATEGORICAL_VALUES,
	QUALITY_BASELINE_DRIFT,
	QUALITY__COUNT
} quality_check_kind;

/* The name in the audit: "data_type_check", "non_negative_check", ... */
const char *quality_check_name(quality_check_kind k);
/* Model Monitor's constraint_check_type: the six of its schema
 * (non_negative_check is reported as data_type_check). */
const char *quality_check_mm_type(quality_check_kind k);

typedef struct quality_check {
	quality_check_kind kind;
	const char *feature; /* borrowed from the constraints or the
				reference's payload names; NULL: the extra
				column "_c<column>" (Spark's name) */
	size_t column;       /* extra_column_check: 0-based position */
	double value;        /* the observed share or distance */
	double threshold;
	int passed;
} quality_check;

typedef struct quality_result {
	quality_check *checks; /* owned */
	size_t n, cap;
	size_t n_violations;
} quality_result;

/* Runs every check of qc on w (sorting its numeric buffers in place when
 * they are not sorted yet). out is reset first; its checks borrow names
 * from qc and w->ref until either changes. Returns 0 or KPG_ENOMEM. */
int quality_run(const quality_constraints *qc, window *w, quality_result *out,
		kpg_err *err);
void quality_result_free(quality_result *r);

/* The feature name of a check (extra columns: "_c<k>") into buf. */
const char *quality_check_feature(const quality_check *c, char *buf,
				  size_t len);

/* A double as Java's Double.toString writes it ("0.0", "0.4994994994994995",
 * "1.0E-4"): Model Monitor's descriptions are printed so. */
void quality_format_double(double v, char *buf, size_t len);

/* Model Monitor's description: "Value: 0.0 does not meet the constraint
 * requirement! " (a passed check: "Value: 1.0 meets the constraint
 * requirement."). */
void quality_description(const quality_check *c, char *buf, size_t len);

/* ---- the distances of baseline_drift_check ------------------------ */

/* The largest absolute difference of the two empirical CDFs (the KS
 * statistic, ks_weighted.h) of a reference (ref_sorted ascending, ref_w
 * its weights or NULL for 1 each) and a window's ascending values (cur_w:
 * a sketched window's weights, or NULL), into *d; O(n + m). 0 when either
 * is empty; KPG_EINVAL for unsorted or NaN values. */
int quality_ks_distance(const double *ref_sorted, const double *ref_w,
			size_t n, const double *cur, const double *cur_w,
			size_t m, double *d, kpg_err *err);

#endif
