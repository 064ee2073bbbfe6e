/* pipeline_deploy.h - deployment signals ("a new model of M serves from
 * T", optionally "trained on R"): queued per model, applied when the
 * model's clock reaches T. Their file is JSON Lines of
 * {"model": NAME, "time": "ISO 8601", "reference": "train.csv"?}
 * (replay --deployments, the daemon's deployments_file, written by
 * `kpigate model deployed`; docs/policies.md, "Relative KPI rules"). */
#ifndef PIPELINE_DEPLOY_H
#define PIPELINE_DEPLOY_H

#include "pipeline.h"

#define PIPELINE_DEPLOY_MODEL_MAX 129 /* a model name's 128 bytes + NUL */
#define PIPELINE_DEPLOY_PATH_MAX 4096

typedef struct pipeline_deployment {
	int64_t at_ms;
	char *reference; /* owned; NULL = the drift reference stays */
} pipeline_deployment;

/* One line of a deployments file. 0 with model, *at_ms and reference (""
 * when the line names none; a relative path as written), or KPG_EINVAL
 * with why. */
int pipeline_parse_deployment(const char *line, char *model, size_t model_len,
			      int64_t *at_ms, char *ref_out, size_t ref_len,
			      kpg_err *err);

/* Queues a deployment of model at at_ms; reference (copied; NULL or ""
 * none) becomes its drift reference. KPG_ENOTFOUND when no policy names
 * the model. */
int pipeline_add_deployment(pipeline *pl, const char *model, int64_t at_ms,
			    const char *ref_path, kpg_err *err);

/* Applies m's deployments its clock has reached: the baseline starts
 * again (policy_guard_deployed); with a reference, the open window closes
 * at the deployment's time and the reference is replaced
 * (pipeline_swap_reference; a reference that cannot be used is audited,
 * and the old one stays); model_deployed is audited. A KPG_ error only
 * when the audit log fails or memory runs out. */
int pipeline_apply_deployments(pipeline *pl, pipeline_model *m, kpg_err *err);

/* Replaces m's reference with the one at path, loaded with m's policy's
 * options. Its schema must be the running one's (the same features,
 * names and types, in order): the payload does not change with a new
 * model. m's open window must be empty; it is rebuilt for the new
 * reference (categories may differ). KPG_EINVAL (refused, why in err; m
 * unchanged), KPG_ENOMEM, or 0. */
int pipeline_swap_reference(pipeline_model *m, const char *path, kpg_err *err);

/* Queues every deployment of a JSON Lines file; references resolve
 * against the file's folder. Any bad line is an error naming it. */
int pipeline_load_deployments(pipeline *pl, const char *path, kpg_err *err);

/* path resolved against dir ("" or an absolute path: path itself) into
 * out. 0, or KPG_ETOOBIG. */
int pipeline_resolve_path(const char *dir, const char *path, char *out,
			  size_t len);

#endif
