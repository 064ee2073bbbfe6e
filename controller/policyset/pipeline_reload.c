#include "pipeline_reload.h"

#include <stdlib.h>
#include <string.h>

#include "pipeline_quality.h"
#include "pipeline_wait.h"

/* Equal strings, or both NULL. */
static int same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* ---- replacing a policy --------------------------------------------- */

/* What a model needs for a new reference, built before anything running
 * is touched. */
typedef struct staged_model {
	reference ref;
	int has_ref;
	window win;
	int has_win;
	pipeline_labels lab;
} staged_model;

static void staged_free(staged_model *st)
{
	if (st->has_win)
		window_free(&st->win);
	if (st->has_ref)
		reference_free(&st->ref);
	memset(st, 0, sizeof(*st));
}

static int stage_reference(pipeline *pl, staged_model *st, const policy *pol,
			   kpg_err *err)
{
	reference_options ro;
	kpg_err sub = {""};
	int rc;

	memset(st, 0, sizeof(*st));
	reference_options_from_policy(pol, &ro);
	rc = reference_load(pol->reference_path, &ro, &st->ref, &sub);
	if (rc) {
		kpg_err_set(err, "%s: reference: %s", pol->source_path, sub.msg);
		return rc;
	}
	st->has_ref = 1;
	/* st->win.ref points at st->ref until it is moved into the model */
	rc = window_init(&st->win, &st->ref, pol->task, pol->score_threshold,
			 (size_t)pol->window_max_exact_values,
			 pol->window_sketch_k, err);
	if (rc)
		goto fail;
	st->has_win = 1;
	/* the label column against the task; classes interned (the
	 * dictionary only grows, so a failed reload leaves it usable) */
	rc = pipeline_labels_build(&pl->labels, pol, &st->ref, &st->lab, &sub);
	if (rc) {
		kpg_err_set(err, "%s: reference: %s", pol->source_path, sub.msg);
		goto fail;
	}
	if (st->lab.n_classes > 0 &&
	    (rc = kpi_set_classes(&st->win.kpi, st->lab.n_classes, err)) != 0)
		goto fail;
	return 0;
fail:
	staged_free(st);
	return rc;
}

int pipeline_replace_policy(pipeline *pl, size_t model, policy *newpol,
			    kpg_err *err)
{
	pipeline_model *m;
	capture_decoder *dec = NULL;
	staged_model st;
	int keep, rc;

	memset(&st, 0, sizeof(st));
	if (model >= pl->n_models || newpol == NULL) {
		kpg_err_set(err, "no model %zu to replace the policy of", model);
		return KPG_EINVAL;
	}
	m = &pl->models[model];
	if (strcmp(m->pol->model, newpol->model) != 0) {
		kpg_err_set(err, "%s: model \"%s\" cannot replace model \"%s\"",
			    newpol->source_path, newpol->model, m->pol->model);
		return KPG_EINVAL;
	}
	keep = pipeline_policy_keeps_window(m->pol, newpol);
	if (!same_str(m->pol->score_field, newpol->score_field) ||
	    pipeline_labels_output_details(m->pol) !=
		    pipeline_labels_output_details(newpol)) {
		capture_options co;

		memset(&co, 0, sizeof(co));
		co.max_line_bytes = pl->max_line_bytes;
		co.score_field = newpol->score_field;
		co.output_details = pipeline_labels_output_details(newpol);
		rc = capture_decoder_new(&dec, &co, err);
		if (rc)
			return rc;
	}
	if (!keep) {
		rc = stage_reference(pl, &st, newpol, err);
		if (rc)
			goto fail;
		/* the open window closes and every waiting one is decided
		 * under the policy they were measured for */
		rc = pipeline_finish_model(pl, model, PIPELINE_WAIT_RELOAD, err);
		if (rc)
			goto fail;
	}
	/* nothing below can fail */
	if (dec != NULL) {
		capture_decoder_free(m->dec);
		m->dec = dec;
	}
	if (!keep) {
		window_free(&m->win);
		pipeline_wait_free(m); /* empty; its slots are sized to the old reference */
		pipeline_model_drop_reference(m);
		m->ref = st.ref;
		m->ref_borrowed = 0;
		m->win = st.win;
		m->win.ref = &m->ref;
		m->window_bucket = 0; /* set by the next record */
		m->has_bucket = 0;
		/* the new policy's reference wins over one a deployment named */
		free(m->ref_override);
		m->ref_override = NULL;
		m->lab = st.lab;
		pl->text_labels |= m->lab.text;
	}
	policy_free(m->pol);
	m->pol = newpol;
	pipeline_quality_invalidate(m); /* derived from the old policy */
	return 0;
fail:
	capture_decoder_free(dec);
	staged_free(&st);
	return rc;
}

int pipeline_apply_reload(pipeline *pl, const policy_set *s,
			  const policy_reload_result *res, kpg_err *err)
{
	int first = 0;

	for (size_t c = 0; c < res->n_changed; c++) {
		size_t i = res->changed[c];
		policy *pol = NULL;
		kpg_err sub = {""};
		int rc = 0;

		if (i >= s->n)
			continue;
		for (size_t mi = 0; mi < pl->n_models; mi++) {
			if (strcmp(pl->models[mi].pol->model, s->items[i].model) != 0)
				continue;
			rc = policy_set_instantiate_one(s, i, &pol, &sub);
			if (rc == 0) {
				rc = pipeline_replace_policy(pl, mi, pol, &sub);
				if (rc)
					policy_free(pol);
			}
			break;
		}
		if (rc && first == 0) {
			first = rc;
			kpg_err_set(err, "model %s keeps its previous policy: %s",
				    s->items[i].model, sub.msg);
		}
	}
	return first;
}
