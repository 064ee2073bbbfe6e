/* pipeline_decide.c - a window's two moments: closing (drift evaluated and
 * audited, the window joins the waiting ring with its KPI accumulator)
 * and deciding (its KPIs computed from its own predictions' labels, the
 * policy applied, the decision audited, the retrain handed to the actor).
 * Windows are decided oldest first, so guards see them in order. */
#include "pipeline_decide.h"

#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "events.h"
#include "pipeline_gap.h"
#include "pipeline_quality.h"
#include "pipeline_wait.h"

static int audit_event(pipeline *pl, const char *event, const char *model,
		       json_t *data, kpg_err *err)
{
	if (data == NULL) {
		kpg_err_set(err, "out of memory building the %s event", event);
		return KPG_ENOMEM;
	}
	return pl->audit ? audit_append(pl->audit, event, model, data, err) : 0;
}

static int seen_state(pipeline *pl, pipeline_model *m, const char *key)
{
	if (pl->already_decided == NULL)
		return PIPELINE_NEW;
	return pl->already_decided(pl->already_decided_opaque,
				   (size_t)(m - pl->models), key);
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

static void tally(pipeline_model *m, const policy_window_eval *ev,
		  const policy_decision *d, events_energy_effect effect,
		  const energy_estimate *est)
{
	m->windows++;
	if (ev->dataset_drift)
		m->drift_alarms++;
	if (d->naive_would_retrain)
		m->naive_retrains++;
	if (d->retrain)
		m->retrains++;
	else
		m->holds++;
	if (est != NULL && effect == EVENTS_ENERGY_SPENT) {
		m->kwh_spent += est->kwh;
		m->kg_spent += est->kg_co2e;
	} else if (est != NULL && effect == EVENTS_ENERGY_AVOIDED) {
		m->kwh_avoided += est->kwh;
		m->kg_avoided += est->kg_co2e;
	}
}

/* The decision record's account of the wait: why now, and how many of
 * the window's predictions had their label. */
static json_t *wait_json(const pipeline_waiting *w, pipeline_wait_end why)
{
	return json_pack("{s:s, s:o, s:I, s:I}", "ended",
			 pipeline_wait_end_name(why), "due", events_time(w->due_ms), "predictions",
			 (json_int_t)w->predictions, "labelled",
			 (json_int_t)w->labelled);
}

/* For the run's summary (replay's table and --json): the window as
 * audited at its close, with the KPIs it was decided on. */
static json_t *summary_window(const policy *p, const policy_window_eval *ev)
{
	json_t *o = events_window(p, ev, NULL);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "kpis", events_kpis(ev));
	json_object_set_new(o, "labelled", json_integer((json_int_t)ev->n_labelled));
	return o;
}

/* Decides the oldest waiting window and drops it from the ring. */
static int decide_head(pipeline *pl, pipeline_model *m, pipeline_wait_end why,
		       kpg_err *err)
{
	pipeline_waiting *w = pipeline_wait_at(m, 0);
	policy_window_eval *ev = &w->ev;
	policy_decision d;
	energy_estimate est;
	events_energy_effect effect;
	json_t *wdata = NULL, *ddata = NULL, *summary;
	char hash[65] = "";
	kpg_err sub;
	int rc = 0, have_est, replayed, submitted = 0;

	kpi_compute(&w->kpi, ev->kpis);
	pipeline_labels_class_kpis(m, &w->kpi, ev);
	ev->n_labelled = w->kpi.n;
	policy_decide(m->pol, ev, &m->guard, &d);
	effect = energy_effect(&d);
	replayed = seen_state(pl, m, d.idempotency_key) == PIPELINE_DECIDED;
	if (replayed)
		pl->decisions_replayed++;
	have_est = energy_estimate_run(&m->pol->energy, m->pol->energy.expected_hours,
				       &est, &sub) == 0;
	wdata = summary_window(m->pol, ev);
	ddata = events_decision(m->pol, ev, &d, effect, have_est ? &est : NULL);
	if (wdata == NULL || ddata == NULL ||
	    json_object_set_new(ddata, "label_wait", wait_json(w, why)) != 0) {
		kpg_err_set(err, "out of memory building decision events");
		rc = KPG_ENOMEM;
		goto out;
	}
	if ((rc = pipeline_gap_decision(w, ddata, err)) != 0 ||
	    (rc = pipeline_gap_decision(w, wdata, err)) != 0)
		goto out;
	if (d.retrain && !replayed && pl->actor.stage != NULL) {
		/* durable before the decision is: a crash in between decides
		 * the window again, with the same trigger */
		rc = pl->actor.stage(pl->actor.opaque, m->pol, ev, &d, err);
		if (rc < 0)
			goto out;
		submitted = rc == 1;
		rc = 0;
	}
	if (!replayed) {
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
		if (pl->audit != NULL)
			snprintf(hash, sizeof(hash), "%s", audit_last_hash(pl->audit));
	}
	if (submitted) {
		pl->actor.release(pl->actor.opaque, d.idempotency_key);
	} else if (d.retrain && !replayed) {
		rc = record_action(pl, m, ev, &d, err);
		if (rc)
			goto out;
	}
	/* after the action is on its way: a slow receiver does not hold it */
	if (!replayed && pl->notifier.decided != NULL) {
		rc = pl->notifier.decided(pl->notifier.opaque, m->pol, ev, &d, ddata, hash,
					  err);
		if (rc)
			goto out;
	}
	tally(m, ev, &d, effect, have_est ? &est : NULL);
	summary = json_pack("{s:s, s:O, s:O}", "model", m->pol->model, "window",
			    wdata, "decision", ddata);
	if (summary != NULL)
		json_array_append_new(pl->decisions, summary);
out:
	json_decref(wdata);
	json_decref(ddata);
	pipeline_wait_pop(m);
	return rc;
}

int pipeline_decide_ready(pipeline *pl, pipeline_model *m, kpg_err *err)
{
	pipeline_wait_end why;

	while (m->n_waiting > 0 && pipeline_wait_ready(m, pipeline_wait_at(m, 0), &why)) {
		int rc = decide_head(pl, m, why, err);

		if (rc)
			return rc;
	}
	return 0;
}

int pipeline_decide_all(pipeline *pl, pipeline_model *m, pipeline_wait_end why,
			kpg_err *err)
{
	while (m->n_waiting > 0) {
		pipeline_wait_end ready;
		int rc = decide_head(pl, m,
				     pipeline_wait_ready(m, pipeline_wait_at(m, 0), &ready) ? ready : why,
				     err);

		if (rc)
			return rc;
	}
	return 0;
}

int pipeline_close_window(pipeline *pl, pipeline_model *m, int64_t end_ms,
			  kpg_err *err)
{
	pipeline_waiting *w;
	policy_feature_eval *feats;
	drift_plan *plans;
	kpi_acc kpi;
	char key[POLICY_KEY_LEN];
	json_t *wdata, *quality = NULL;
	int rc;

	if (m->n_waiting == PIPELINE_MAX_WAITING) {
		m->waits_cut_short++;
		rc = decide_head(pl, m, PIPELINE_WAIT_TOO_MANY, err);
		if (rc)
			goto out;
	}
	rc = pipeline_wait_push(m, &w, err);
	if (rc)
		goto out;
	feats = w->ev.features;
	memset(&w->ev, 0, sizeof(w->ev));
	w->ev.features = feats;
	w->ev.window_index = m->window_index;
	policy_drift_inputs(m->pol, &w->ev);
	/* the plans follow the policy and reference of this moment (a reload
	 * or deployment may have swapped either) */
	plans = calloc(m->ref.n_features, sizeof(*plans));
	if (plans == NULL) {
		kpg_err_set(err, "out of memory evaluating a window of %s",
			    m->pol->model);
		rc = KPG_ENOMEM;
	} else {
		rc = evaluate_plans(m->pol, &m->ref, plans, NULL, err);
	}
	w->ev.plans = plans;
	if (rc == 0)
		rc = evaluate_window(&m->ref, &m->win, &w->ev, err);
	w->ev.plans = NULL;
	free(plans);
	/* the data-quality checks see the window as evaluated (sorted) */
	if (rc == 0)
		rc = pipeline_quality_run(m, &w->ev, &quality, err);
	if (rc) {
		m->n_waiting--; /* the slot goes back */
		goto out;
	}
	policy_judge_features(m->pol, &w->ev);
	/* the labels of its predictions go on arriving into the same
	 * accumulator; the open window takes the slot's empty one */
	kpi = w->kpi;
	w->kpi = m->win.kpi;
	m->win.kpi = kpi;
	w->predictions = m->win.predictions;
	w->labelled = m->win.labelled;
	if (__builtin_add_overflow(end_ms, m->pol->label_wait_ms, &w->due_ms))
		w->due_ms = INT64_MAX;
	policy_window_key(m->pol, &w->ev, key, sizeof(key));
	/* a window re-closed after a restart was audited before */
	if (seen_state(pl, m, key) == PIPELINE_NEW) {
		wdata = events_window(m->pol, &w->ev, &m->win);
		/* the key lets a restart tell an evaluated window from a
		 * decided one */
		if (wdata != NULL)
			json_object_set_new(wdata, "idempotency_key", json_string(key));
		if (wdata != NULL && quality != NULL)
			json_object_set(wdata, "quality", quality);
		rc = pipeline_gap_window_closed(m, w, wdata, err);
		if (rc == 0)
			rc = audit_event(pl, "window_evaluated", m->pol->model, wdata, err);
		json_decref(wdata);
	} else {
		rc = pipeline_gap_window_closed(m, w, NULL, err);
	}
out:
	json_decref(quality);
	window_reset(&m->win);
	m->window_index++;
	if (rc)
		return rc;
	return pipeline_decide_ready(pl, m, err);
}
