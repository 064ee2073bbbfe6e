/* pipeline_quality.h - a model's data-quality checks at window close
 * (quality.h): the constraints kept for its reference and policy, the
 * checks run, the violations file written, the audit's block built. */
#ifndef PIPELINE_QUALITY_H
#define PIPELINE_QUALITY_H

#include <jansson.h>

#include "pipeline.h"

/* Runs m's checks on its open window (just evaluated) when its policy's
 * quality.checks is on, into m->quality_res, and sets
 * ev->quality_violations. *block gets the window_evaluated "quality"
 * object (new reference) or NULL when the checks are off. A violations
 * file that cannot be written does not stop the pipeline: the block says
 * why ("violations_file_error"). Returns 0 or KPG_ENOMEM. */
int pipeline_quality_run(pipeline_model *m, policy_window_eval *ev,
			 json_t **block, kpg_err *err);

/* The reference or policy of m changed: the constraints are derived
 * again at the next close. */
void pipeline_quality_invalidate(pipeline_model *m);

/* Frees m's constraints and results. */
void pipeline_quality_free(pipeline_model *m);

#endif
