/* pipeline_gap.h - marking windows that lack records lost upstream.
 *
 * A source that finds records gone before it read them (Kafka retention
 * moved a partition's log start past the resume point, and the consumer
 * was reset) tells the pipeline with pipeline_note_gap. Every window open
 * then, and for a model with an empty window the next one to hold
 * records, is evaluated on less than the stream: its window_evaluated and
 * decision records carry a "data_gap" object (events_data_gap) so nobody
 * reads that decision as if it saw everything. The marks live in
 * pipeline_model (gap_events, gap_offsets) and are cleared when the window
 * closes. They are not part of the checkpoint (docs/operations.md). */
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

/* Called when m's window closes, with its window_evaluated and decision
 * data (borrowed; either may be NULL): adds "data_gap" to both when a gap
 * was noted since the window opened, then clears the marks. Returns 0, or
 * KPG_ENOMEM with a sentence in err. */
int pipeline_gap_window_closed(pipeline_model *m, json_t *wdata, json_t *ddata,
			       kpg_err *err);

#endif
