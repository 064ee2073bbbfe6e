/* pipeline_wait.c - a model's closed windows waiting for their labels: a
 * ring of PIPELINE_MAX_WAITING slots allocated on first use and reused
 * (evaluation arrays and KPI buffers included), the lookup of the window
 * a label belongs to, and what is still pending for a report. */
#include "pipeline_wait.h"

#include <stdlib.h>
#include <string.h>

#include "events.h"

static const char *const wait_end_names[PIPELINE_WAIT__COUNT] = {
	[PIPELINE_WAIT_ALL_LABELLED] = "all_labelled",
	[PIPELINE_WAIT_OVER] = "wait_over",
	[PIPELINE_WAIT_TOO_MANY] = "too_many_waiting",
	[PIPELINE_WAIT_END_OF_INPUT] = "end_of_input",
	[PIPELINE_WAIT_RELOAD] = "policy_reload",
};

const char *pipeline_wait_end_name(pipeline_wait_end e)
{
	return (unsigned)e < PIPELINE_WAIT__COUNT ? wait_end_names[e] : "unknown";
}

void pipeline_wait_free(pipeline_model *m)
{
	if (m->waiting == NULL)
		return;
	for (size_t i = 0; i < PIPELINE_MAX_WAITING; i++) {
		free(m->waiting[i].ev.features);
		kpi_free(&m->waiting[i].kpi);
	}
	free(m->waiting);
	m->waiting = NULL;
	m->n_waiting = m->wait_head = 0;
}

pipeline_waiting *pipeline_wait_at(const pipeline_model *m, size_t k)
{
	return &m->waiting[(m->wait_head + k) % PIPELINE_MAX_WAITING];
}

int pipeline_wait_push(pipeline_model *m, pipeline_waiting **out, kpg_err *err)
{
	pipeline_waiting *w;
	size_t nf = m->ref.n_features ? m->ref.n_features : 1;

	if (m->n_waiting >= PIPELINE_MAX_WAITING) {
		kpg_err_set(err, "internal error: %s has no free waiting slot",
			    m->pol->model);
		return KPG_EINVAL;
	}
	if (m->waiting == NULL) {
		m->waiting = calloc(PIPELINE_MAX_WAITING, sizeof(*m->waiting));
		if (m->waiting == NULL)
			goto nomem;
	}
	w = pipeline_wait_at(m, m->n_waiting);
	/* a slot's arrays are sized to the reference, which a reload that
	 * keeps windows does not change; a restarting reload empties the ring
	 * first (pipeline_finish_model), so sizes always match */
	if (w->ev.features == NULL) {
		w->ev.features = calloc(nf, sizeof(*w->ev.features));
		if (w->ev.features == NULL)
			goto nomem;
	}
	if (w->kpi.pairs == NULL &&
	    kpi_init(&w->kpi, m->pol->task, m->pol->score_threshold, 0, err) != 0)
		return KPG_ENOMEM;
	if (pipeline_labels_kpi(m, &w->kpi, err) != 0)
		return KPG_ENOMEM;
	m->n_waiting++;
	*out = w;
	return 0;
nomem:
	kpg_err_set(err, "out of memory for a waiting window of %s",
		    m->pol->model);
	return KPG_ENOMEM;
}

void pipeline_wait_pop(pipeline_model *m)
{
	pipeline_waiting *w = pipeline_wait_at(m, 0);

	kpi_reset(&w->kpi);
	w->predictions = w->labelled = 0;
	w->gap_events = w->gap_offsets = 0;
	m->wait_head = (m->wait_head + 1) % PIPELINE_MAX_WAITING;
	m->n_waiting--;
}

pipeline_waiting *pipeline_wait_find(pipeline_model *m, uint64_t index)
{
	uint64_t first = m->window_index - m->n_waiting;

	if (index < first || index >= m->window_index)
		return NULL;
	return pipeline_wait_at(m, (size_t)(index - first));
}

int pipeline_wait_ready(const pipeline_model *m, const pipeline_waiting *w,
			pipeline_wait_end *why)
{
	if (w->labelled >= w->predictions) {
		*why = PIPELINE_WAIT_ALL_LABELLED;
		return 1;
	}
	if (m->has_clock && m->clock_ms >= w->due_ms) {
		*why = PIPELINE_WAIT_OVER;
		return 1;
	}
	return 0;
}

static json_t *model_pending(pipeline_model *m)
{
	json_t *o, *waiting = json_array();

	if (waiting == NULL)
		return NULL;
	for (size_t k = 0; k < m->n_waiting; k++) {
		const pipeline_waiting *w = pipeline_wait_at(m, k);

		json_array_append_new(waiting,
				      json_pack("{s:I, s:I, s:o, s:o, s:I, s:I, s:o}", "window",
						(json_int_t)w->ev.window_index, "records",
						(json_int_t)w->ev.n_records, "start",
						events_time(w->ev.start_ms), "end",
						events_time(w->ev.end_ms), "predictions",
						(json_int_t)w->predictions, "labelled",
						(json_int_t)w->labelled, "due",
						events_time(w->due_ms)));
	}
	o = json_pack("{s:s, s:o}", "model", m->pol->model, "waiting", waiting);
	if (o != NULL && m->win.n_records > 0)
		json_object_set_new(o, "open",
				    json_pack("{s:I, s:I, s:o, s:o, s:I, s:I}", "window",
					      (json_int_t)m->window_index, "records",
					      (json_int_t)m->win.n_records, "start",
					      events_time(m->win.start_ms), "end",
					      events_time(m->win.end_ms), "predictions",
					      (json_int_t)m->win.predictions, "labelled",
					      (json_int_t)m->win.labelled));
	return o;
}

json_t *pipeline_pending_json(const pipeline *pl)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < pl->n_models && arr != NULL; i++) {
		pipeline_model *m = &pl->models[i];
		json_t *o;

		if (m->n_waiting == 0 && m->win.n_records == 0)
			continue;
		o = model_pending(m);
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}
