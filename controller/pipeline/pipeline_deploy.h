/* pipeline_deploy.h - deployment signals ("a new model of M serves from
 * T"): queued per model, applied when the model's clock reaches T. Their
 * file is JSON Lines of {"model": NAME, "time": "ISO 8601"} (replay
 * --deployments; docs/policies.md, "Relative KPI rules"). */
#ifndef PIPELINE_DEPLOY_H
#define PIPELINE_DEPLOY_H

#include "pipeline.h"

/* Queues a deployment of model at at_ms. KPG_ENOTFOUND when no policy
 * names the model. */
int pipeline_add_deployment(pipeline *pl, const char *model, int64_t at_ms,
			    kpg_err *err);

/* Applies m's deployments its clock has reached: the baseline starts
 * again (policy_guard_deployed), model_deployed is audited. A negative
 * or KPG_ error only when the audit log fails. */
int pipeline_apply_deployments(pipeline *pl, pipeline_model *m, kpg_err *err);

#define PIPELINE_DEPLOY_MODEL_MAX 129 /* a model name's 128 bytes + NUL */

/* One line of a deployments file: {"model": NAME, "time": ISO 8601} and
 * nothing else. 0 with model and *at_ms, or KPG_EINVAL with why. */
int pipeline_parse_deployment(const char *line, char *model, size_t model_len,
			      int64_t *at_ms, kpg_err *err);

/* Queues every deployment of a JSON Lines file. Any bad line is an error
 * naming it (nothing is half-trusted). */
int pipeline_load_deployments(pipeline *pl, const char *path, kpg_err *err);

#endif
