#include "pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "groundtruth.h"
#include "kpg_time.h"
#include "pipeline_decide.h"
#include "pipeline_deploy.h"
#include "pipeline_quality.h"
#include "pipeline_wait.h"
#include "reference_cache.h"
#include "reference_where.h"

void pipeline_model_drop_reference(pipeline_model *m)
{
	if (m->ref_cached != NULL)
		reference_cache_release(m->ref_cache, m->ref_cached);
	else if (!m->ref_borrowed)
		reference_free(&m->ref);
	memset(&m->ref, 0, sizeof(m->ref));
	m->ref.label_index = -1;
	m->ref_cached = NULL;
	m->ref_cache = NULL;
	m->ref_borrowed = 0;
}

static void model_free(pipeline_model *m)
{
	window_free(&m->win);
	pipeline_quality_free(m);
	pipeline_wait_free(m);
	for (size_t i = 0; i < m->n_deploys; i++)
		free(m->deploys[i].reference);
	free(m->deploys);
	free(m->ref_override);
	pipeline_model_drop_reference(m);
	capture_decoder_free(m->dec);
	policy_free(m->pol);
	memset(m, 0, sizeof(*m));
}

static int model_init(pipeline_model *m, policy *pol, size_t max_line,
		      const pipeline_options *opt, reference_cache *cache,
		      kpg_err *err)
{
	const reference *shared = NULL;
	char key[REFERENCE_ERR_KEY_LEN];
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
		ro.err_key = key;
		rc = reference_cache_get(cache, pol->reference_path, &ro, &shared, &sub);
		if (rc) {
			reference_error_at(err, pol->source_path, key, sub.msg);
			return rc;
		}
		m->ref = *shared; /* read-only, shared with identical ones */
		m->ref_borrowed = 1;
		m->ref_cache = cache;
		m->ref_cached = shared;
	}
	memset(&co, 0, sizeof(co));
	co.max_line_bytes = max_line;
	co.score_field = pol->score_field;
	co.output_details = pipeline_labels_output_details(pol);
	rc = capture_decoder_new(&m->dec, &co, err);
	if (rc)
		return rc;
	rc = window_init(&m->win, &m->ref, pol->task, pol->score_threshold,
			 (size_t)pol->window_max_exact_values, pol->window_sketch_k,
			 err);
	if (rc)
		return rc;
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
	pl->max_skew_ms = opt && opt->max_time_skew_ms ? opt->max_time_skew_ms
						       : PIPELINE_DEFAULT_SKEW_S * 1000LL;
	pl->arrival_from = pl->arrival_to = INT64_MIN;
	pl->models = calloc(n ? n : 1, sizeof(*pl->models));
	pl->decisions = json_array();
	if (pl->models == NULL || pl->decisions == NULL) {
		kpg_err_set(err, "out of memory");
		rc = KPG_ENOMEM;
		goto fail;
	}
	if (reference_cache_new(&pl->ref_cache) != 0) {
		kpg_err_set(err, "out of memory");
		rc = KPG_ENOMEM;
		goto fail;
	}
	rc = join_init(&pl->join, opt ? opt->join_max_entries : 0,
		       opt ? opt->join_max_age_ms : 0, err);
	if (rc == 0)
		rc = label_dict_init(&pl->labels, err);
	if (rc)
		goto fail;
	for (; taken < n; taken++) {
		pipeline_model *m = &pl->models[taken];

		pl->n_models = taken + 1;
		rc = model_init(m, policies[taken], pl->max_line_bytes, opt,
				pl->ref_cache, err);
		policies[taken] = NULL; /* now owned by the model */
		if (rc == 0) {
			kpg_err sub;

			rc = pipeline_labels_init(pl, m, &sub);
			if (rc)
				kpg_err_set(err, "%s: reference %s: %s",
					    m->pol->source_path, m->ref.path, sub.msg);
		}
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
	reference_cache_free(pl->ref_cache); /* after the models gave theirs back */
	join_free(&pl->join);
	label_dict_free(&pl->labels);
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

/* Span windows are [origin + k * span, origin + (k + 1) * span). */
static int64_t span_bucket(const policy *p, int64_t t)
{
	int64_t s = p->window_span_ms, d = t - p->window_origin_ms;

	return d >= 0 ? d / s : -((-d + s - 1) / s);
}

/* Saturates: a bucket restored from a damaged checkpoint must not
 * overflow. */
static int64_t bucket_end(const policy *p, int64_t b)
{
	int64_t end;

	if (__builtin_add_overflow(b, 1, &b) ||
	    __builtin_mul_overflow(b, p->window_span_ms, &end) ||
	    __builtin_add_overflow(end, p->window_origin_ms, &end))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return end;
}

static int64_t stream_now(const pipeline *pl)
{
	return pl->has_clock ? pl->clock_ms : JOIN_TIME_UNKNOWN;
}

/* A label joined to its prediction: credited to the prediction's window,
 * open or waiting; a window already decided only counts it. */
static int credit_pair(pipeline *pl, const join_match *jm, kpg_err *err)
{
	pipeline_model *m;
	pipeline_waiting *w;
	double label = 0;
	int take;

	if (jm->model >= pl->n_models)
		return 0;
	m = &pl->models[jm->model];
	take = pipeline_labels_credit(pl, m, jm, &label);
	if (jm->window == m->window_index) {
		m->win.labelled++;
		if (take)
			kpi_add(&m->win.kpi, jm->score, label);
		return 0;
	}
	w = pipeline_wait_find(m, jm->window);
	if (w == NULL) {
		m->late_labels++;
		pl->stats.late_labels++;
		return 0;
	}
	w->labelled++;
	if (take)
		kpi_add(&w->kpi, jm->score, label);
	return pipeline_decide_ready(pl, m, err);
}

void pipeline_set_arrival(pipeline *pl, int64_t from_ms, int64_t to_ms,
			  int checked)
{
	pl->arrival_from = from_ms;
	pl->arrival_to = to_ms < from_ms ? from_ms : to_ms;
	pl->arrival_checked = checked && from_ms != INT64_MIN;
}

/* The record's event time: its inferenceTime when it is near where it
 * arrived, else (*placed = 1) its arrival time; CAPTURE_OK or BAD_TIME
 * with why. */
static capture_reject event_time(pipeline *pl, const pipeline_model *m,
				 const capture_record *rec, int64_t *t,
				 int *placed, kpg_err *why)
{
	char a[40], b[40];

	if (rec->has_inference_time) {
		*t = rec->inference_time_ms;
		if (pl->max_skew_ms < 0 || !pl->arrival_checked ||
		    (*t >= pl->arrival_from - pl->max_skew_ms &&
		     *t <= pl->arrival_to + pl->max_skew_ms))
			return CAPTURE_OK;
		kpg_time_format_iso8601(*t, a, sizeof(a));
		kpg_time_format_iso8601(*t < pl->arrival_from ? pl->arrival_from
							      : pl->arrival_to,
					b, sizeof(b));
		kpg_err_set(why, "inferenceTime %s is more than %lld s from when the record arrived (%s)",
			    a, (long long)(pl->max_skew_ms / 1000), b);
		return CAPTURE_REJECT_BAD_TIME;
	}
	*placed = pl->arrival_from != INT64_MIN || m->has_clock;
	if (pl->arrival_from != INT64_MIN)
		*t = pl->arrival_from;
	else if (m->has_clock) /* it happened "now" in the model's stream */
		*t = m->clock_ms;
	if (*placed)
		return CAPTURE_OK;
	kpg_err_set(why, "no inferenceTime, and nothing says when the record arrived");
	return CAPTURE_REJECT_BAD_TIME;
}

/* Span windows: closes the open window when t is past it; a record for a
 * window already closed is late. */
static capture_reject place_in_span(pipeline *pl, pipeline_model *m, int64_t t,
				    int *rc, kpg_err *why, kpg_err *err)
{
	int64_t b = span_bucket(m->pol, t);
	char a[40], s[40];

	*rc = 0;
	if (m->has_bucket && b < m->window_bucket) {
		kpg_time_format_iso8601(t, a, sizeof(a));
		kpg_time_format_iso8601(bucket_end(m->pol, b), s, sizeof(s));
		kpg_err_set(why, "inferenceTime %s is in a window that closed at %s", a, s);
		return CAPTURE_REJECT_LATE_RECORD;
	}
	if (m->win.n_records > 0 && b > m->window_bucket)
		*rc = pipeline_close_window(pl, m, bucket_end(m->pol, m->window_bucket),
					    err);
	m->window_bucket = b;
	m->has_bucket = 1;
	return CAPTURE_OK;
}

int pipeline_capture_line(pipeline *pl, const char *line, size_t len,
			  const char *endpoint_hint, const char *src,
			  uint64_t line_no, kpg_err *err)
{
	capture_record rec;
	capture_reject reason = CAPTURE_OK;
	pipeline_model *m;
	kpg_err sub;
	int64_t t = 0;
	int idx, rc = 0, joinable, placed = 0;
	double score;

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
	/* counted for the data-quality checks of the open window; still
	 * rejected below, as ever */
	if (reason != CAPTURE_OK)
		window_count_rejected(&m->win, &rec, reason);
	if (reason == CAPTURE_OK)
		reason = event_time(pl, m, &rec, &t, &placed, &sub);
	if (reason == CAPTURE_OK && m->pol->window_span_ms > 0)
		reason = place_in_span(pl, m, t, &rc, &sub, err);
	if (rc)
		return rc;
	if (reason != CAPTURE_OK)
		return pipeline_reject(pl, 0, reason, src, line_no, sub.msg);
	if (!m->has_clock || t > m->clock_ms)
		m->clock_ms = t;
	m->has_clock = 1;
	if (!pl->has_clock || t > pl->clock_ms)
		pl->clock_ms = t;
	pl->has_clock = 1;
	if (m->n_deploys > 0 && (rc = pipeline_apply_deployments(pl, m, err)) != 0)
		return rc;
	/* the join first: a duplicate id must not count twice in the window */
	score = pipeline_labels_prediction(pl, m, &rec);
	joinable = rec.n_instances == 1 && rec.n_predictions == 1 &&
		   isfinite(score);
	if (joinable) {
		join_match jm;
		const char *id = rec.inference_id_len ? rec.inference_id : rec.event_id;
		size_t id_len = rec.inference_id_len ? rec.inference_id_len
						     : rec.event_id_len;

		switch (join_add_prediction(&pl->join, id, id_len, (uint32_t)idx,
					    m->window_index, score,
					    stream_now(pl), &jm)) {
		case JOIN_DUPLICATE:
			snprintf(sub.msg, sizeof(sub.msg),
				 "id '%.*s' was seen before (within the join horizon)",
				 (int)(id_len > 64 ? 64 : id_len), id);
			return pipeline_reject(pl, 0, CAPTURE_REJECT_DUPLICATE_ID, src,
					       line_no, sub.msg);
		case JOIN_MATCHED:
			m->win.predictions++;
			rc = credit_pair(pl, &jm, err);
			if (rc)
				return rc;
			break;
		default:
			m->win.predictions++;
		}
	} else {
		pl->stats.unjoinable++;
	}
	if (window_add_record(&m->win, &rec, t, &sub) != 0) {
		kpg_err_set(err, "adding a record to %s's window: %s",
			    m->pol->model, sub.msg);
		return KPG_ENOMEM;
	}
	pl->stats.capture_ok++;
	pl->stats.arrival_times += (uint64_t)placed;
	pl->stats.instances += rec.n_instances;
	m->records += rec.n_instances;
	if (m->pol->window_records > 0 && m->win.n_records >= m->pol->window_records)
		return pipeline_close_window(pl, m, m->win.end_ms, err);
	/* the clock moved: a waiting window may be due */
	return pipeline_decide_ready(pl, m, err);
}

int pipeline_gt_line(pipeline *pl, const char *line, size_t len,
		     const char *src, uint64_t line_no, kpg_err *err)
{
	gt_record gt;
	capture_reject reason = CAPTURE_OK;
	join_match jm;
	const char *id;
	kpg_err sub;
	uint32_t code;

	pl->stats.gt_lines++;
	pl->last_reject = CAPTURE_OK;
	pl->last_model = -1;
	sub.msg[0] = '\0';
	if (gt_decode(line, len, pl->max_line_bytes, &gt, &reason, &sub) != 0)
		return pipeline_reject(pl, 1, reason ? reason : CAPTURE_REJECT_BAD_JSON,
				       src, line_no, sub.msg);
	if (!pl->text_labels && !isfinite(gt.label))
		return pipeline_reject(pl, 1, CAPTURE_REJECT_BAD_VALUE, src, line_no,
				       "label is not a finite number");
	reason = pipeline_labels_accept(pl, gt.label_text, gt.label, &code, &sub);
	if (reason != CAPTURE_OK)
		return pipeline_reject(pl, 1, reason, src, line_no, sub.msg);
	id = gt.inference_id[0] ? gt.inference_id : gt.event_id;
	switch (join_add_label_code(&pl->join, id, strlen(id), gt.label, code,
				    stream_now(pl), &jm)) {
	case JOIN_DUPLICATE:
		snprintf(sub.msg, sizeof(sub.msg),
			 "a label for id '%.64s' was seen before (within the join horizon)",
			 id);
		return pipeline_reject(pl, 1, CAPTURE_REJECT_DUPLICATE_ID, src,
				       line_no, sub.msg);
	case JOIN_MATCHED:
		pl->stats.gt_ok++;
		return credit_pair(pl, &jm, err);
	default:
		pl->stats.gt_ok++;
		return 0;
	}
}

int pipeline_finish_model(pipeline *pl, size_t model, pipeline_wait_end why,
			  kpg_err *err)
{
	pipeline_model *m;
	int rc = 0;

	if (model >= pl->n_models) {
		kpg_err_set(err, "no model %zu", model);
		return KPG_EINVAL;
	}
	m = &pl->models[model];
	if (m->win.n_records > 0) {
		int64_t end = m->pol->window_span_ms > 0 && m->has_bucket
				      ? bucket_end(m->pol, m->window_bucket)
				      : m->win.end_ms;

		rc = pipeline_close_window(pl, m, end, err);
	}
	if (rc == 0)
		rc = pipeline_decide_all(pl, m, why, err);
	return rc;
}

int pipeline_finish(pipeline *pl, kpg_err *err)
{
	for (size_t i = 0; i < pl->n_models; i++) {
		int rc = pipeline_finish_model(pl, i, PIPELINE_WAIT_END_OF_INPUT, err);

		if (rc)
			return rc;
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
	/* the payload's order; ignored columns are declared types above */
	if (ra.n_payload != rb.n_payload)
		return 0;
	for (size_t i = 0; i < ra.n_payload; i++)
		if (!str_eq(ra.payload[i], rb.payload[i]))
			return 0;
	return 1;
}

/* The same label texts and classes, and the KPIs that name a class at
 * the same places: the accumulators' classes and the model's per-KPI class
 * indexes stay valid. */
static int same_labels(const policy *a, const policy *b)
{
	if (!str_eq(a->positive_label, b->positive_label) ||
	    !str_eq(a->negative_label, b->negative_label) ||
	    a->n_classes != b->n_classes)
		return 0;
	for (size_t i = 0; i < a->n_classes; i++)
		if (!str_eq(a->classes[i], b->classes[i]))
			return 0;
	for (size_t i = 0; i < POLICY_MAX_KPIS; i++) {
		const char *x = i < a->n_kpis ? a->kpis[i].class_name : NULL;
		const char *y = i < b->n_kpis ? b->kpis[i].class_name : NULL;

		if (!str_eq(x, y))
			return 0;
	}
	return 1;
}

int pipeline_policy_keeps_window(const policy *old, const policy *neu)
{
	/* task and score threshold shape the window's KPI accumulator */
	return same_reference(old, neu) &&
	       old->window_records == neu->window_records &&
	       old->window_span_ms == neu->window_span_ms &&
	       old->window_origin_ms == neu->window_origin_ms &&
	       old->task == neu->task &&
	       old->score_threshold == neu->score_threshold &&
	       same_labels(old, neu);
}
