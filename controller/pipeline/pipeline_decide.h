/* pipeline_decide.h - inside the pipeline: closing a window and deciding
 * the waiting ones (pipeline.h says when). Errors are fatal to the
 * pipeline (an audit record could not be written, out of memory). */
#ifndef PIPELINE_DECIDE_H
#define PIPELINE_DECIDE_H

#include "pipeline.h"

/* Closes m's open window, which ended at end_ms (its span's end, or its
 * last record's time): drift evaluated and audited, the window waits for
 * labels until end_ms + label_wait; then decides what is ready. When
 * PIPELINE_MAX_WAITING wait already, the oldest is decided first. */
int pipeline_close_window(pipeline *pl, pipeline_model *m, int64_t end_ms,
			  kpg_err *err);

/* Decides waiting windows, oldest first, while the oldest is ready. */
int pipeline_decide_ready(pipeline *pl, pipeline_model *m, kpg_err *err);

/* Decides every waiting window now; those not ready are marked `why`. */
int pipeline_decide_all(pipeline *pl, pipeline_model *m, pipeline_wait_end why,
			kpg_err *err);

#endif
