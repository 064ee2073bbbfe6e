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

static int gap_set(json_t *data, const pipeline_model *m)
{
	json_t *g;

	if (data == NULL)
		return 0;
	g = events_data_gap(m->gap_events, m->gap_offsets);
	if (g == NULL || json_object_set_new(data, "data_gap", g) != 0)
		return KPG_ENOMEM;
	return 0;
}

int pipeline_gap_window_closed(pipeline_model *m, json_t *wdata, json_t *ddata,
			       kpg_err *err)
{
	int rc = 0;

	if (m->gap_events > 0) {
		rc = gap_set(wdata, m) ? KPG_ENOMEM : gap_set(ddata, m);
		if (rc)
			kpg_err_set(err, "out of memory marking a data gap");
	}
	m->gap_events = 0;
	m->gap_offsets = 0;
	return rc;
}
