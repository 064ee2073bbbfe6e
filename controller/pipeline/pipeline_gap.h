/* pipeline_gap.h - marking windows that lack records lost upstream.
 *
 * A source that finds records gone before it read them (Kafka retention
 * moved a partition's log start past the resume point, and the consumer
 * was reset) tells the pipeline with pipeline_note_gap. Every window open
 * then, and for a model with an empty window the next one to hold
 * records, is evaluated on less than the stream: its window_evaluated and
 * decision records carry a "data_gap" object (events_data_gap) so nobody
 * reads that decision as if it saw everything. The marks live in
 * pipeline_model (gap_events, gap_offsets) while the window is open, then
 * in its waiting slot until its decision; the checkpoint carries both. */
#ifndef PIPELINE_GAP_H
#define PIPELINE_GAP_H

#include <jansson.h>
#include <stdint.h>

#include "pipeline.h"

/* Notes one gap of offsets_lost offsets in what feeds model (an index of
 * pl->models), or every model when model < 0 (a source partition feeds
 * the whole pipeline, as each daemon task's does). KPG_EINVAL for a model
 * out of range. */
int pipeline_note_gap(pipeline *pl, int model, uint64_t offsets_lost);

/* Called when m's window closes and becomes the waiting window w, with
 * its window_evaluated data (borrowed; may be NULL): when a gap was noted
 * since the window opened, adds "data_gap" to wdata and moves the marks
 * to w, for its decision; clears the model's marks. Returns 0, or
 * KPG_ENOMEM with a sentence in err. */
int pipeline_gap_window_closed(pipeline_model *m, pipeline_waiting *w,
			       json_t *wdata, kpg_err *err);

/* At w's decision: adds "data_gap" to ddata (borrowed) when w carries
 * marks. Returns 0, or KPG_ENOMEM with a sentence in err. */
int pipeline_gap_decision(const pipeline_waiting *w, json_t *ddata,
			  kpg_err *err);

#endif
