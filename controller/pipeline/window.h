/* window.h - one model's open window: column-wise value buffers per
 * feature (numeric: the values, for KS and PSI; categorical: counts per
 * category), missing counts, record count and event-time span, and the
 * KPI accumulator of its own predictions (those whose inferenceTime falls
 * in it), which goes on filling after the window closes while labels may
 * still arrive (pipeline.h: waiting windows).
 *
 * Buffers grow to the largest window seen and are then reused, so adding
 * records allocates nothing in steady state. */
#ifndef WINDOW_H
#define WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "kpg_error.h"
#include "kpi.h"
#include "reference.h"
#include "unseen.h"

typedef struct window_column {
	double *values;
	size_t n, cap;       /* numeric; owned */
	double *counts;      /* categorical: n_categories + 1; owned */
	unseen_tally unseen; /* categorical: the new names behind the last count */
	uint64_t missing;
	/* numeric: values of rejected records that were not numbers (text, or
	 * non-finite), for quality.h's data_type_check; none of them is in
	 * values (window_count_rejected) */
	uint64_t bad_type;
} window_column;

typedef struct window {
	const reference *ref;     /* borrowed for the window's life */
	window_column *cols;      /* owned, ref->n_features */
	uint64_t n_records;       /* instances added */
	int64_t start_ms, end_ms; /* event time of first and last instance */
	int has_time;
	size_t max_values; /* cap per numeric column */
	kpi_acc kpi;
	uint64_t predictions; /* offered to the label join */
	uint64_t labelled;    /* of those, joined to a label so far */
	/* Instances of this model's records rejected while the window was
	 * open, for the data-quality checks (window_count_rejected): all of
	 * them, those with fewer values than the payload's columns, by how
	 * many they had (short_by_len[k], k < n_payload; owned), and those
	 * with more (long_instances; widest: the most values seen). */
	uint64_t rejected_instances;
	uint64_t *short_by_len;
	uint64_t long_instances;
	size_t widest;
} window;

/* max_values 0 = 10,000,000. */
int window_init(window *w, const reference *ref, policy_task task,
		double threshold, size_t max_values, kpg_err *err);
void window_free(window *w);

/* Empties the window for the next one, keeping its buffers. */
void window_reset(window *w);

/* Checks that every instance of rec fits the payload schema (reference.h):
 * as many values as payload columns, numbers in numeric feature columns,
 * finite values; an ignored column takes any value. Returns CAPTURE_OK or
 * the reason, with a message in err naming the instance and column. */
capture_reject window_check_record(const window *w, const capture_record *rec,
				   kpg_err *err);

/* Counts a record window_check_record rejected (reason) in the window's
 * quality counters: its instances, short and long instances
 * (CAPTURE_REJECT_FEATURE_COUNT), and per numeric feature the values that
 * are not finite numbers (CAPTURE_REJECT_BAD_VALUE). Nothing enters the
 * statistics; other reasons are ignored. Only the reject path pays. */
void window_count_rejected(window *w, const capture_record *rec,
			   capture_reject reason);

/* 1 when n more instances fit under the per-column cap. */
int window_has_room(const window *w, size_t n);

/* Adds every instance of a checked record at event time t_ms.
 * Returns 0 or KPG_ETOOBIG when a column is at its cap (not added). */
int window_add_record(window *w, const capture_record *rec, int64_t t_ms);

#endif
