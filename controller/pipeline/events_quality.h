/* events_quality.h - the data-quality checks of a window (quality.h) as
 * JSON: the audit's "quality" block and Model Monitor's violations file. */
#ifndef EVENTS_QUALITY_H
#define EVENTS_QUALITY_H

#include <jansson.h>

#include "quality.h"

/* window_evaluated's "quality": {checks (how many ran), constraints
 * ("reference" or "file": where they came from), violations: [{feature,
 * check, value, threshold, description}]}, failed checks only, in the
 * order they ran. New reference, or NULL when out of memory. */
json_t *events_quality(const quality_result *r, const quality_constraints *qc);

/* Model Monitor's constraint_violations.json: {"violations":
 * [{feature_name, constraint_check_type, description}]}, failed checks
 * only (non_negative_check as data_type_check). New reference. */
json_t *events_quality_violations(const quality_result *r);

#endif
