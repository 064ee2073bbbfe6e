/* pipeline_quality.c - a model's data-quality checks at window close
 * (pipeline_quality.h). The constraints are derived at the first close
 * and again after the reference or the policy changed (a deployment, a
 * reload: pipeline_quality_invalidate). */
#include "pipeline_quality.h"

#include "events_quality.h"
#include "quality_file.h"

static int constraints_for(pipeline_model *m, kpg_err *err)
{
	const policy_quality *q = &m->pol->quality;
	int rc;

	if (m->quality_ready)
		return 0;
	quality_constraints_free(&m->quality);
	rc = quality_constraints_from_reference(&m->ref, &m->quality, err);
	if (rc)
		return rc;
	quality_constraints_thresholds(&m->quality, q->datatype_check_threshold,
				       q->domain_content_threshold,
				       q->comparison_threshold);
	/* a constraints.json's monitoring_config is what Model Monitor
	 * applied: its thresholds win over the policy's */
	if (q->constraints_path != NULL)
		rc = quality_constraints_apply_file(&m->quality, q->constraints_path,
						    &m->ref, err);
	if (rc)
		return rc;
	m->quality_ready = 1;
	return 0;
}

int pipeline_quality_run(pipeline_model *m, policy_window_eval *ev,
			 json_t **block, kpg_err *err)
{
	const policy_quality *q = &m->pol->quality;
	kpg_err sub;
	int rc;

	*block = NULL;
	ev->quality_violations = 0;
	if (!q->checks)
		return 0;
	rc = constraints_for(m, err);
	if (rc == 0)
		rc = quality_run(&m->quality, &m->win, &m->quality_res, err);
	if (rc)
		return rc;
	ev->quality_violations = m->quality_res.n_violations;
	m->quality_violations += m->quality_res.n_violations;
	*block = events_quality(&m->quality_res, &m->quality);
	if (*block == NULL) {
		kpg_err_set(err, "out of memory building the quality block");
		return KPG_ENOMEM;
	}
	if (q->violations_dir != NULL &&
	    quality_write_violations(q->violations_dir, m->pol->model,
				     m->win.start_ms, &m->quality_res, &sub) != 0)
		json_object_set_new(*block, "violations_file_error",
				    json_string(sub.msg));
	return 0;
}

void pipeline_quality_invalidate(pipeline_model *m)
{
	quality_constraints_free(&m->quality);
	m->quality_ready = 0;
}

void pipeline_quality_free(pipeline_model *m)
{
	pipeline_quality_invalidate(m);
	quality_result_free(&m->quality_res);
}
