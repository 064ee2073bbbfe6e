/* pipeline_gap.c - marks on the windows that lack records lost upstream
 * (see pipeline_gap.h). */
#include "pipeline_gap.h"

#include "events.h"

int pipeline_note_gap(pipeline *pl, int model, uint64_t offsets_lost)
{
	size_t from = 0, to = pl->n_models;

	if (model >= 0) {
		if ((size_t)model >= pl->n_models)
			return KPG_EINVAL;
		from = (size_t)model;
		to = from + 1;
	}
	for (size_t i = from; i < to; i++) {
		pl->models[i].gap_events++;
		pl->models[i].gap_offsets += offsets_lost;
	}
	return 0;
}

static int gap_set(json_t *data, uint64_t events, uint64_t offsets,
		   kpg_err *err)
{
	json_t *g;

	if (data == NULL || events == 0)
		return 0;
	g = events_data_gap(events, offsets);
	if (g == NULL || json_object_set_new(data, "data_gap", g) != 0) {
		kpg_err_set(err, "out of memory marking a data gap");
		return KPG_ENOMEM;
	}
	return 0;
}

int pipeline_gap_window_closed(pipeline_model *m, pipeline_waiting *w,
			       json_t *wdata, kpg_err *err)
{
	w->gap_events = m->gap_events;
	w->gap_offsets = m->gap_offsets;
	m->gap_events = 0;
	m->gap_offsets = 0;
	return gap_set(wdata, w->gap_events, w->gap_offsets, err);
}

int pipeline_gap_decision(const pipeline_waiting *w, json_t *ddata,
			  kpg_err *err)
{
	return gap_set(ddata, w->gap_events, w->gap_offsets, err);
}
