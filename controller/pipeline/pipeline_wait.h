/* pipeline_wait.h - inside the pipeline: the ring of a model's closed
 * windows waiting for labels (pipeline.h says when they are decided). */
#ifndef PIPELINE_WAIT_H
#define PIPELINE_WAIT_H

#include "pipeline.h"

/* Frees the ring and every slot's arrays. */
void pipeline_wait_free(pipeline_model *m);

/* The k-th waiting window, oldest first (k < m->n_waiting). */
pipeline_waiting *pipeline_wait_at(const pipeline_model *m, size_t k);

/* Appends a slot (the ring must not be full), its evaluation array sized
 * to the reference and its KPI accumulator ready and empty. *out is
 * borrowed from the ring. */
int pipeline_wait_push(pipeline_model *m, pipeline_waiting **out, kpg_err *err);

/* Drops the oldest, keeping its buffers for reuse. */
void pipeline_wait_pop(pipeline_model *m);

/* The waiting window with that index, or NULL (open, decided or unknown). */
pipeline_waiting *pipeline_wait_find(pipeline_model *m, uint64_t index);

/* 1 with *why when w may be decided now. */
int pipeline_wait_ready(const pipeline_model *m, const pipeline_waiting *w,
			pipeline_wait_end *why);

#endif
