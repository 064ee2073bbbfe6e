#include "pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "events.h"
#include "groundtruth.h"
#include "kpg_time.h"
#include "pipeline_gap.h"

static void model_free(pipeline_model *m)
{
	window_free(&m->win);
	if (!m->ref_borrowed)
		reference_free(&m->ref);
	capture_decoder_free(m->dec);
	free(m->fevals);
	policy_free(m->pol);
	memset(m, 0, sizeof(*m));
}

static int model_init(pipeline_model *m, policy *pol, size_t max_line,
		      const pipeline_options *opt, kpg_err *err)
{
	const reference *shared = NULL;
	reference_options ro;
	capture_options co;
	kpg_err sub;
	int rc;

	memset(m, 0, sizeof(*m));
	m->pol = pol;
	if (opt != NULL && opt->shared_reference != NULL)
		shared = opt->shared_reference(opt->shared_opaque, pol);
	if (shared != NULL) {
		m->ref = *shared; /* read-only from here on */
		m->ref_borrowed = 1;
	} else {
		reference_options_from_policy(pol, &ro);
		rc = reference_load(pol->reference_path, &ro, &m->ref, &sub);
		if (rc) {
			kpg_err_set(err, "%s: reference: %s", pol->source_path,
				    sub.msg);
			return rc;
		}
	}
	memset(&co, 0, sizeof(co));
	co.max_line_bytes = max_line;
	co.score_field = pol->score_field;
	rc = capture_decoder_new(&m->dec, &co, err);
	if (rc)
		return rc;
	rc = window_init(&m->win, &m->ref, pol->task, pol->score_threshold,
			 0, err);
	if (rc)
		return rc;
	m->fevals = calloc(m->ref.n_features ? m->ref.n_features : 1,
			   sizeof(*m->fevals));
	if (m->fevals == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	policy_guard_state_init(&m->guard);
	return 0;
}

int pipeline_init(pipeline *pl, policy **policies, size_t n,
		  const pipeline_options *opt, audit_log *audit, FILE *rejects,
		  kpg_err *err)
{
	size_t taken = 0;
	int rc;

	memset(pl, 0, sizeof(*pl));
	pl->last_model = -1;
	pl->audit = audit;
	pl->rejects = rejects;
	pl->max_line_bytes = opt && opt->max_line_bytes ? opt->max_line_bytes
							: (size_t)1 << 20;
	pl->models = calloc(n ? n : 1, sizeof(*pl->models));
	pl->decisions = json_array();
	if (pl->models == NULL || pl->decisions == NULL) {
		kpg_err_set(err, "out of memory");
		rc = KPG_ENOMEM;
		goto fail;
	}
	rc = join_init(&pl->join, opt ? opt->join_max_entries : 0,
		       opt ? opt->join_max_age_ms : 0, err);
	if (rc)
		goto fail;
	for (; taken < n; taken++) {
		pipeline_model *m = &pl->models[taken];

		pl->n_models = taken + 1;
		rc = model_init(m, policies[taken], pl->max_line_bytes, opt, err);
		policies[taken] = NULL; /* now owned by the model */
		if (rc)
			goto fail;
		if (pl->audit != NULL) {
			json_t *data = events_policy_loaded(m->pol);

			if (data != NULL)
				json_object_set_new(data, "reference_summary",
						    events_reference(&m->ref));

			rc = data ? audit_append(pl->audit, "policy_loaded", m->pol->model,
						 data, err)
				  : KPG_ENOMEM;
			json_decref(data);
			if (rc)
				goto fail;
		}
	}
	return 0;
fail:
	/* policies the models took are NULL here; free the rest */
	for (size_t i = taken; i < n; i++) {
		policy_free(policies[i]);
		policies[i] = NULL;
	}
	pipeline_free(pl);
	return rc;
}

void pipeline_free(pipeline *pl)
{
	for (size_t i = 0; i < pl->n_models; i++)
		model_free(&pl->models[i]);
	free(pl->models);
	join_free(&pl->join);
	json_decref(pl->decisions);
	memset(pl, 0, sizeof(*pl));
}

int pipeline_route(const pipeline *pl, const char *hint)
{
	if (hint != NULL && *hint) {
		for (size_t i = 0; i < pl->n_models; i++) {
			const policy *p = pl->models[i].pol;

			if ((p->endpoint && strcmp(p->endpoint, hint) == 0) ||
			    strcmp(p->model, hint) == 0)
				return (int)i;
		}
	}
	return pl->n_models == 1 ? 0 : -1;
}

int pipeline_reject(pipeline *pl, int is_gt, capture_reject reason,
		    const char *src, uint64_t line_no, const char *msg)
{
	if (is_gt)
		pl->stats.gt_rejects[reason]++;
	else
		pl->stats.capture_rejects[reason]++;
	pl->last_reject = reason;
	snprintf(pl->last_reject_msg, sizeof(pl->last_reject_msg), "%s", msg ? msg : "");
	if (pl->rejects != NULL) {
		json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s}", "kind",
				      is_gt ? "ground_truth" : "capture", "source",
				      src ? src : "", "line", (json_int_t)line_no,
				      "reason", capture_reject_name(reason), "message",
				      msg ? msg : "");

		if (o != NULL) {
			json_dumpf(o, pl->rejects, JSON_COMPACT);
			fputc('\n', pl->rejects);
			json_decref(o);
		}
	}
	return 0;
}

static int audit_event(pipeline *pl, const char *event, const char *model,
		       json_t *data, kpg_err *err)
{
	int rc;

	if (data == NULL) {
		kpg_err_set(err, "out of memory building the %s event", event);
		return KPG_ENOMEM;
	}
	rc = pl->audit ? audit_append(pl->audit, event, model, data, err) : 0;
	return rc;
}

/* The naive controller's retrain and ours, priced. */
static events_energy_effect energy_effect(const policy_decision *d)
{
	if (d->retrain)
		return EVENTS_ENERGY_SPENT;
	return d->naive_would_retrain ? EVENTS_ENERGY_AVOIDED : EVENTS_ENERGY_NONE;
}

/* A retrain no actor took (dry run, or nothing is sent): recorded as
 * action_result with what would have been sent, after its decision. */
static int record_action(pipeline *pl, pipeline_model *m,
			 const policy_window_eval *ev, const policy_decision *d,
			 kpg_err *err)
{
	const pipeline_actor *a = &pl->actor;
	json_t *req = NULL, *res;
	const char *status;
	int rc;

	if (a->request != NULL) {
		rc = a->request(a->opaque, m->pol, ev, d, &req, err);
		if (rc)
			return rc;
	}
	status = m->pol->action == POLICY_ACTION_DRY_RUN ? "dry_run" : "not_sent";
	res = json_pack("{s:s, s:s, s:s}", "idempotency_key", d->idempotency_key,
			"action", policy_action_name(m->pol->action), "status",
			status);
	if (res != NULL && req != NULL)
		json_object_set(res, "request", req);
	rc = audit_event(pl, "action_result", m->pol->model, res, err);
	json_decref(req);
	json_decref(res);
	return rc;
}

static int close_window(pipeline *pl, pipeline_model *m, kpg_err *err)
{
	policy_window_eval ev;
	policy_decision d;
	energy_estimate est;
	events_energy_effect effect;
	json_t *wdata = NULL, *ddata = NULL, *summary;
	kpg_err sub;
	int rc, have_est, replayed, seen, submitted = 0;

	memset(&ev, 0, sizeof(ev));
	ev.features = m->fevals;
	ev.window_index = m->window_index;
	ev.ks_asymptotic = m->pol->ks_asymptotic;
	rc = evaluate_window(&m->ref, &m->win, &ev, err);
	if (rc)
		goto out;
	policy_judge_features(m->pol, &ev);
	policy_decide(m->pol, &ev, &m->guard, &d);
	effect = energy_effect(&d);
	seen = pl->already_decided == NULL ? PIPELINE_NEW
					   : pl->already_decided(pl->already_decided_opaque,
								 (size_t)(m - pl->models), d.idempotency_key);
	replayed = seen == PIPELINE_DECIDED;
	if (replayed)
		pl->decisions_replayed++;
	have_est = energy_estimate_run(&m->pol->energy, m->pol->energy.expected_hours,
				       &est, &sub) == 0;
	wdata = events_window(m->pol, &ev);
	ddata = events_decision(m->pol, &ev, &d, effect, have_est ? &est : NULL);
	if (wdata == NULL || ddata == NULL) {
		kpg_err_set(err, "out of memory building window events");
		rc = KPG_ENOMEM;
		goto out;
	}
	/* the key lets a restart tell an evaluated window from a decided one */
	json_object_set_new(wdata, "idempotency_key", json_string(d.idempotency_key));
	if ((rc = pipeline_gap_window_closed(m, wdata, ddata, err)) != 0)
		goto out;
	if (d.retrain && !replayed && pl->actor.stage != NULL) {
		/* durable before the decision is: a crash in between decides
		 * the window again, with the same trigger */
		rc = pl->actor.stage(pl->actor.opaque, m->pol, &ev, &d, err);
		if (rc < 0)
			goto out;
		submitted = rc == 1;
		rc = 0;
	}
	if (!replayed) {
		if (seen != PIPELINE_EVALUATED) {
			rc = audit_event(pl, "window_evaluated", m->pol->model, wdata,
					 err);
			if (rc)
				goto out;
		}
		/* the decision is durable before any action is taken */
		rc = audit_event(pl, "decision", m->pol->model, ddata, err);
		if (rc)
			goto out;
		if (pl->on_decided != NULL) {
			rc = pl->on_decided(pl->already_decided_opaque,
					    (size_t)(m - pl->models), d.idempotency_key,
					    err);
			if (rc)
				goto out;
		}
	}
	if (submitted) {
		pl->actor.release(pl->actor.opaque, d.idempotency_key);
	} else if (d.retrain && !replayed) {
		rc = record_action(pl, m, &ev, &d, err);
		if (rc)
			goto out;
	}
	m->windows++;
	if (ev.dataset_drift)
		m->drift_alarms++;
	if (d.naive_would_retrain)
		m->naive_retrains++;
	if (d.retrain)
		m->retrains++;
	else
		m->holds++;
	if (have_est && effect == EVENTS_ENERGY_SPENT) {
		m->kwh_spent += est.kwh;
		m->kg_spent += est.kg_co2e;
	} else if (have_est && effect == EVENTS_ENERGY_AVOIDED) {
		m->kwh_avoided += est.kwh;
		m->kg_avoided += est.kg_co2e;
	}
	summary = json_pack("{s:s, s:O, s:O}", "model", m->pol->model, "window",
			    wdata, "decision", ddata);
	if (summary != NULL)
		json_array_append_new(pl->decisions, summary);
out:
	json_decref(wdata);
	json_decref(ddata);
	window_reset(&m->win);
	m->window_index++;
	return rc;
}

static int64_t span_bucket(const policy *p, int64_t t)
{
	int64_t s = p->window_span_ms;

	return t >= 0 ? t / s : -((-t + s - 1) / s);
}

static int64_t stream_now(const pipeline *pl)
{
	return pl->has_clock ? pl->clock_ms : JOIN_TIME_UNKNOWN;
}

static void credit_pair(pipeline *pl, const join_match *jm)
{
	if (jm->model < pl->n_models && isfinite(jm->score) && isfinite(jm->label))
		kpi_add(&pl->models[jm->model].win.kpi, jm->score, jm->label);
}

int pipeline_capture_line(pipeline *pl, const char *line, size_t len,
			  const char *endpoint_hint, const char *src,
			  uint64_t line_no, kpg_err *err)
{
	capture_record rec;
	capture_reject reason = CAPTURE_OK;
	pipeline_model *m;
	kpg_err sub;
	int64_t t;
	int idx, rc;

	pl->stats.capture_lines++;
	pl->last_reject = CAPTURE_OK;
	idx = pipeline_route(pl, endpoint_hint);
	pl->last_model = idx;
	if (idx < 0) {
		snprintf(sub.msg, sizeof(sub.msg), "no policy for endpoint '%s'",
			 endpoint_hint ? endpoint_hint : "");
		return pipeline_reject(pl, 0, CAPTURE_REJECT_NO_POLICY, src, line_no,
				       sub.msg);
	}
	m = &pl->models[idx];
	sub.msg[0] = '\0';
	if (capture_decode(m->dec, line, len, &rec, &reason, &sub) != 0)
		return pipeline_reject(pl, 0, reason ? reason : CAPTURE_REJECT_BAD_JSON,
				       src, line_no, sub.msg);
	reason = window_check_record(&m->win, &rec, &sub);
	if (reason != CAPTURE_OK)
		return pipeline_reject(pl, 0, reason, src, line_no, sub.msg);

	if (rec.has_inference_time) {
		t = rec.inference_time_ms;
		if (!pl->has_clock || t > pl->clock_ms)
			pl->clock_ms = t;
		pl->has_clock = 1;
	} else {
		t = pl->clock_ms; /* no event time: it happened "now" in the stream */
	}
	if (m->pol->window_span_ms > 0) {
		int64_t b = span_bucket(m->pol, t);

		if (m->win.n_records > 0 && b > m->window_bucket) {
			rc = close_window(pl, m, err);
			if (rc)
				return rc;
		}
		if (m->win.n_records == 0 || b > m->window_bucket)
			m->window_bucket = b;
	}
	if (window_add_record(&m->win, &rec, t) != 0) {
		/* the window's buffers are at their cap: close it and retry */
		rc = close_window(pl, m, err);
		if (rc)
			return rc;
		if (window_add_record(&m->win, &rec, t) != 0)
			return pipeline_reject(pl, 0, CAPTURE_REJECT_TOO_BIG, src,
					       line_no, "record larger than a window");
	}
	pl->stats.capture_ok++;
	pl->stats.instances += rec.n_instances;
	m->records += rec.n_instances;

	if (rec.n_instances == 1 && rec.n_predictions == 1 &&
	    isfinite(rec.predictions[0])) {
		join_match jm;
		const char *id = rec.inference_id_len ? rec.inference_id : rec.event_id;
		size_t id_len = rec.inference_id_len ? rec.inference_id_len
						     : rec.event_id_len;

		if (join_add_prediction(&pl->join, id, id_len, (uint32_t)idx,
					rec.predictions[0], stream_now(pl), &jm))
			credit_pair(pl, &jm);
	} else {
		pl->stats.unjoinable++;
	}
	if (m->pol->window_records > 0 && m->win.n_records >= m->pol->window_records)
		return close_window(pl, m, err);
	return 0;
}

int pipeline_gt_line(pipeline *pl, const char *line, size_t len,
		     const char *src, uint64_t line_no, kpg_err *err)
{
	gt_record gt;
	capture_reject reason = CAPTURE_OK;
	join_match jm;
	const char *id;
	kpg_err sub;

	(void)err;
	pl->stats.gt_lines++;
	pl->last_reject = CAPTURE_OK;
	pl->last_model = -1;
	sub.msg[0] = '\0';
	if (gt_decode(line, len, pl->max_line_bytes, &gt, &reason, &sub) != 0)
		return pipeline_reject(pl, 1, reason ? reason : CAPTURE_REJECT_BAD_JSON,
				       src, line_no, sub.msg);
	if (!isfinite(gt.label))
		return pipeline_reject(pl, 1, CAPTURE_REJECT_BAD_VALUE, src, line_no,
				       "label is not a finite number");
	pl->stats.gt_ok++;
	id = gt.inference_id[0] ? gt.inference_id : gt.event_id;
	if (join_add_label(&pl->join, id, strlen(id), gt.label, stream_now(pl), &jm))
		credit_pair(pl, &jm);
	return 0;
}

int pipeline_finish_model(pipeline *pl, size_t model, kpg_err *err)
{
	if (model >= pl->n_models) {
		kpg_err_set(err, "no model %zu", model);
		return KPG_EINVAL;
	}
	if (pl->models[model].win.n_records == 0)
		return 0;
	return close_window(pl, &pl->models[model], err);
}

int pipeline_finish(pipeline *pl, kpg_err *err)
{
	for (size_t i = 0; i < pl->n_models; i++) {
		pipeline_model *m = &pl->models[i];

		if (m->win.n_records > 0) {
			int rc = close_window(pl, m, err);

			if (rc)
				return rc;
		}
	}
	return 0;
}

/* ---- hot reload: does a new policy keep the open window? ---------- */

static int str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Same reference_load inputs: the reference would load identically. */
static int same_reference(const policy *a, const policy *b)
{
	reference_options ra, rb;

	reference_options_from_policy(a, &ra);
	reference_options_from_policy(b, &rb);
	if (!str_eq(a->reference_path, b->reference_path) ||
	    !str_eq(ra.label_column, rb.label_column) ||
	    ra.psi_bins != rb.psi_bins || ra.n_exclude != rb.n_exclude ||
	    ra.n_declared != rb.n_declared)
		return 0;
	for (size_t i = 0; i < ra.n_exclude; i++)
		if (!str_eq(ra.exclude[i], rb.exclude[i]))
			return 0;
	for (size_t i = 0; i < ra.n_declared; i++)
		if (!str_eq(ra.declared[i].name, rb.declared[i].name) ||
		    ra.declared[i].type != rb.declared[i].type)
			return 0;
	return 1;
}

int pipeline_policy_keeps_window(const policy *old, const policy *neu)
{
	/* task and score threshold shape the window's KPI accumulator */
	return same_reference(old, neu) &&
	       old->window_records == neu->window_records &&
	       old->window_span_ms == neu->window_span_ms &&
	       old->task == neu->task &&
	       old->score_threshold == neu->score_threshold;
}
