/* window.h - one model's open window: column-wise value buffers per
 * feature (numeric: the values, for KS and PSI; categorical: counts per
 * category), missing counts, record count and event-time span, and the
 * KPI accumulator of its own predictions (those whose inferenceTime falls
 * in it), which goes on filling after the window closes while labels may
 * still arrive (pipeline.h: waiting windows).
 *
 * Memory is bounded whatever the window's size: a numeric column keeps
 * its first max_exact values exactly; the value after that moves them all
 * into a KLL quantile sketch of parameter sketch_k (detectors/kll.h),
 * which takes every later value. The sketch is seeded by the feature's
 * index, so a replay of the same records gives the same sketch and the
 * same decisions. Per numeric feature at most max_exact * 8 bytes plus
 * the sketch (about 3 * sketch_k doubles).
 *
 * Buffers grow to the largest window seen and are then reused, so adding
 * records allocates nothing in steady state (a sketch is freed when its
 * window resets). */
#ifndef WINDOW_H
#define WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "kpg_error.h"
#include "kll.h"
#include "kpi.h"
#include "reference.h"
#include "unseen.h"

typedef struct window_column {
	double *values;
	size_t n, cap; /* numeric, exact: the values; owned */
	/* numeric past max_exact: every value of the window (n is then 0);
	 * owned; NULL while exact */
	kll_sketch *sketch;
	/* numeric, sketched: of its values, the whole numbers and those below
	 * 0, which a sketch cannot tell (quality.h's checks) */
	uint64_t integers, negatives;
	double *counts;      /* categorical: n_categories + 1; owned */
	unseen_tally unseen; /* categorical: the new names behind the last count */
	uint64_t missing;
	/* numeric: values of rejected records that were not numbers (text, or
	 * non-finite), for quality.h's data_type_check; none of them is in
	 * values (window_count_rejected) */
	uint64_t bad_type;
	/* window_column_ks's last answer: the reference array it was for,
	 * its length, the column's length then, and D; ks_ref NULL: none */
	const double *ks_ref;
	size_t ks_ref_n, ks_len;
	double ks_d;
} window_column;

typedef struct window {
	const reference *ref;     /* borrowed for the window's life */
	window_column *cols;      /* owned, ref->n_features */
	uint64_t n_records;       /* instances added */
	int64_t start_ms, end_ms; /* event time of first and last instance */
	int has_time;
	size_t max_exact;  /* values per numeric column kept exactly */
	unsigned sketch_k; /* the sketch past them */
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

/* A numeric column's values as one sorted sample, weighted when they are
 * a sketch's (kll_view): what the detectors and the quality checks read. */
typedef struct window_sample {
	const double *values;  /* ascending; borrowed from the column or view */
	const double *weights; /* NULL: each value counts once */
	size_t len;
	double total;       /* the values it stands for */
	double error;       /* the CDF's rank error bound; 0: exact */
	kll_view view;      /* owned when sketched */
	window_column *col; /* exact: the column it is (window_column_ks) */
} window_sample;

/* max_exact 0 = POLICY_DEFAULT_MAX_EXACT_VALUES, sketch_k 0 =
 * POLICY_DEFAULT_SKETCH_K (policy.h: window.max_exact_values,
 * window.sketch_k). */
int window_init(window *w, const reference *ref, policy_task task,
		double threshold, size_t max_exact, unsigned sketch_k,
		kpg_err *err);
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

/* Adds every instance of a checked record at event time t_ms. Returns 0,
 * or KPG_ENOMEM when a column's sketch cannot be had (the window then
 * holds part of the record; err says which feature). */
int window_add_record(window *w, const capture_record *rec, int64_t t_ms,
		      kpg_err *err);

/* Numeric column c (index feature): its values as a sample, sorting the
 * exact ones in place. The caller frees it with window_sample_free.
 * KPG_ENOMEM. An empty column gives len 0. */
int window_column_sample(window_column *c, window_sample *s, kpg_err *err);
void window_sample_free(window_sample *s);

/* The KS statistic (ks_walk_statistic) of exact, sorted column c (as
 * window_column_sample leaves it) against the unweighted sorted reference
 * ref (ref_n values): computed once per window close and remembered, since
 * the drift KS and the baseline-drift quality check both read it. */
double window_column_ks(window_column *c, const double *ref, size_t ref_n);

/* Moves numeric column f into its sketch when it holds more exact values
 * than max_exact (a checkpoint restored under a lower limit). */
int window_column_fit(window *w, size_t f, kpg_err *err);

/* Values of numeric column c: exact ones or the sketch's count. */
uint64_t window_column_count(const window_column *c);

/* Of numeric column c's values, the whole numbers and those below 0. */
void window_column_tallies(const window_column *c, uint64_t *integers,
			   uint64_t *negatives);

#endif
