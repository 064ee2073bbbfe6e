/* mm_constraints.h - a SageMaker Model Monitor constraints.json (the
 * baseline job's suggested data-quality constraints) read into a struct
 * with jansson, for the data-quality checks to come.
 *
 *   {"version": 0.0,
 *    "features": [{"name", "inferred_type", "completeness",
 *       "num_constraints": {"is_non_negative": bool},
 *       "string_constraints": {"domains": ["..."]},
 *       "monitoring_config_overrides": {...}}],
 *    "monitoring_config": {"evaluate_constraints": "Enabled",
 *       "emit_metrics": "Enabled", "datatype_check_threshold",
 *       "domain_content_threshold",
 *       "distribution_constraints": {"perform_comparison": "Enabled",
 *          "comparison_threshold", "comparison_method": "Simple"|"Robust",
 *          "min_domain_mass", "categorical_comparison_threshold",
 *          "categorical_drift_method": "LInfinity"|"ChiSquared"}}}
 *
 * Two spellings of the comparison switch are real: "perform_comparison":
 * "Enabled" (the baseline job's output) and "enable_comparisons": true (the
 * SageMaker Python SDK's test file); both are read into one field, and a
 * file with both that disagree is refused. monitoring_config_overrides is
 * read where Model Monitor documents it (the feature, camel-cased
 * "monitoringConfigOverrides" too) and where the SDK's sample has it
 * (inside string_constraints or num_constraints), with the keys of
 * monitoring_config. Other keys are ignored. Errors and limits as
 * mm_statistics.h (MM_MAX_FEATURES, MM_MAX_NAME, MM_MAX_VALUE; at most
 * MM_MAX_DOMAIN values per domain). */
#ifndef MM_CONSTRAINTS_H
#define MM_CONSTRAINTS_H

#include <stddef.h>

#include "kpg_error.h"
#include "mm_statistics.h"

#define MM_MAX_DOMAIN 10000

#define MM_UNSET (-1) /* a switch or enum not in the file */

typedef enum mm_comparison_method {
	MM_COMPARISON_SIMPLE = 0,
	MM_COMPARISON_ROBUST
} mm_comparison_method;

typedef enum mm_categorical_method {
	MM_CATEGORICAL_LINFINITY = 0,
	MM_CATEGORICAL_CHISQUARED
} mm_categorical_method;

/* monitoring_config, or a feature's overrides of it. Switches: MM_UNSET,
 * 0 (Disabled) or 1 (Enabled); numbers: NaN when unset. */
typedef struct mm_monitoring_config {
	int evaluate_constraints;
	int emit_metrics;
	double datatype_check_threshold;         /* 0..1 */
	double domain_content_threshold;         /* 0..1 */
	int has_distribution;                    /* distribution_constraints present */
	int perform_comparison;                  /* perform_comparison / enable_comparisons */
	double comparison_threshold;             /* >= 0 */
	int comparison_method;                   /* mm_comparison_method or MM_UNSET */
	double min_domain_mass;                  /* 0..1 */
	double categorical_comparison_threshold; /* >= 0 */
	int categorical_drift_method;            /* mm_categorical_method or MM_UNSET */
} mm_monitoring_config;

typedef struct mm_feature_constraints {
	char *name; /* owned */
	mm_type type;
	double completeness; /* 0..1; NaN when absent */
	int is_non_negative; /* num_constraints.is_non_negative: MM_UNSET, 0, 1 */
	int has_domains;     /* string_constraints.domains present */
	char **domains;      /* owned */
	size_t n_domains;
	int has_overrides;
	mm_monitoring_config overrides;
} mm_feature_constraints;

typedef struct mm_constraints {
	double version;
	mm_feature_constraints *features; /* owned, in file order */
	size_t n_features;
	int has_monitoring_config;
	mm_monitoring_config config;
} mm_constraints;

/* As mm_statistics_parse / _load, for a constraints.json. Caller frees
 * with mm_constraints_free. */
int mm_constraints_parse(const char *text, size_t len, const char *what,
			 mm_constraints *out, kpg_err *err);
int mm_constraints_load(const char *path, mm_constraints *out, kpg_err *err);
void mm_constraints_free(mm_constraints *c);

#endif
