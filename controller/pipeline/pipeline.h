/* pipeline.h - the one code path from a capture or ground-truth line to a
 * decision: decode -> window -> detect/KPI -> policy -> action + audit +
 * energy. `replay` feeds it from files; the Kafka daemon will feed it from
 * topics. It knows nothing of where lines come from. */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "audit.h"
#include "capture.h"
#include "energy.h"
#include "join.h"
#include "kpg_error.h"
#include "policy.h"
#include "reference.h"
#include "window.h"

typedef struct pipeline_model {
	policy *pol; /* owned */
	reference ref;
	window win;
	capture_decoder *dec; /* owned; per model for its score field */
	policy_guard_state guard;
	uint64_t window_index;
	int64_t window_bucket;       /* span windows: floor(t / span) of the open one */
	policy_feature_eval *fevals; /* owned, ref.n_features */
	int ref_borrowed;            /* ref is a shared one's shallow copy */
	/* records lost upstream since the open window began
	 * (pipeline_gap.h): gaps seen, offsets missing */
	uint64_t gap_events, gap_offsets;
	/* tallies for the summary */
	uint64_t records, windows, retrains, holds, drift_alarms, naive_retrains;
	double kwh_spent, kg_spent, kwh_avoided, kg_avoided;
} pipeline_model;

typedef struct pipeline_stats {
	uint64_t capture_lines, capture_ok, instances;
	uint64_t capture_rejects[CAPTURE_REJECT__COUNT];
	uint64_t gt_lines, gt_ok;
	uint64_t gt_rejects[CAPTURE_REJECT__COUNT];
	uint64_t unjoinable; /* captures whose prediction cannot be joined
				(no output, several instances, non-numeric) */
} pipeline_stats;

typedef struct pipeline_options {
	size_t join_max_entries; /* 0 = default */
	int64_t join_max_age_ms; /* 0 = default */
	size_t max_line_bytes;   /* 0 = 1 MiB */
	/* Optional (daemon): a reference already loaded for this policy, to
	 * share read-only instead of loading the file again (one per
	 * partition otherwise); NULL = load it. It must outlive the pipeline. */
	const reference *(*shared_reference)(void *opaque, const policy *pol);
	void *shared_opaque;
} pipeline_options;

/* The seam between a decision and its action. The pipeline never builds
 * or sends a request itself: it hands a retrain decision over through
 * these callbacks, all optional, all called on the pipeline's thread with
 * opaque. Everything passed is borrowed for the call. */
typedef struct pipeline_actor {
	/* Before a retrain's decision is audited: take it over durably (an
	 * outbox) so a crash in between decides the window again with the
	 * same trigger. Returns 1 taken (release follows once the decision
	 * is audited), 0 not taken (recorded as action_result below), or a
	 * negative error, which stops the pipeline. */
	int (*stage)(void *opaque, const policy *pol,
		     const policy_window_eval *ev, const policy_decision *d,
		     kpg_err *err);
	/* The decision keyed key is audited: a staged retrain may go now. */
	void (*release)(void *opaque, const char *key);
	/* A retrain not taken: the request it would send, for its
	 * action_result record. *out is the caller's (json_decref). */
	int (*request)(void *opaque, const policy *pol,
		       const policy_window_eval *ev, const policy_decision *d,
		       json_t **out, kpg_err *err);
	void *opaque;
} pipeline_actor;

enum { PIPELINE_NEW = 0,
       PIPELINE_DECIDED = 1,
       PIPELINE_EVALUATED = 2 };

typedef struct pipeline {
	pipeline_model *models;
	size_t n_models; /* owned */
	join_buffer join;
	audit_log *audit; /* borrowed; NULL = no audit file */
	FILE *rejects;    /* borrowed; NULL = rejected lines not kept */
	int64_t clock_ms; /* stream time: the latest event time seen */
	int has_clock;
	pipeline_stats stats;
	json_t *decisions; /* owned array: one summary object per decision */
	size_t max_line_bytes;
	/* The last line's outcome, for callers that route rejects (e.g. to a
	 * dead-letter topic): CAPTURE_OK when it was accepted. */
	capture_reject last_reject;
	char last_reject_msg[256];
	int last_model; /* the model the last capture line was routed
			   to, -1 when none (and after a label) */
	/* Optional (daemon): asked when a window closes, with the decision's
	 * idempotency key. PIPELINE_DECIDED: decided and audited before — a
	 * window replayed after a restart — so it is neither audited nor acted
	 * on again (guards and tallies still follow it, as they did then).
	 * PIPELINE_EVALUATED: only its window_evaluated record made it to the
	 * audit log (a crash between the two records): the decision is audited
	 * and acted on now, the evaluation is not written twice.
	 * PIPELINE_NEW (0): everything happens. */
	int (*already_decided)(void *opaque, size_t model, const char *key);
	/* Optional (daemon): told, with the same opaque, once a decision is
	 * durable in the audit log and before its action runs, so the key can
	 * be kept where another replica will find it. Non-zero is fatal. */
	int (*on_decided)(void *opaque, size_t model, const char *key,
			  kpg_err *err);
	void *already_decided_opaque;
	uint64_t decisions_replayed; /* windows the hook said were decided */
	/* Where retrains go (the action room fills it: action_hook.h);
	 * zeroed: each retrain is recorded as action_result "not_sent" (or
	 * "dry_run") without a request. */
	pipeline_actor actor;
} pipeline;

/* Takes ownership of the n policies (the array itself stays the caller's),
 * loads each reference and audits policy_loaded. On failure everything
 * taken is freed. audit and rejects are borrowed for the pipeline's life. */
int pipeline_init(pipeline *pl, policy **policies, size_t n,
		  const pipeline_options *opt, audit_log *audit, FILE *rejects,
		  kpg_err *err);
void pipeline_free(pipeline *pl);

/* One capture line. endpoint_hint routes it to a policy (NULL: the only
 * policy). Rejects are counted and never an error; a negative return is
 * fatal (the audit log could not be written). src/line_no name the line in
 * the rejects file. */
int pipeline_capture_line(pipeline *pl, const char *line, size_t len,
			  const char *endpoint_hint, const char *src,
			  uint64_t line_no, kpg_err *err);

/* One ground-truth line; same contract. */
int pipeline_gt_line(pipeline *pl, const char *line, size_t len,
		     const char *src, uint64_t line_no, kpg_err *err);

/* Records a line rejected before decoding (e.g. over the size cap). */
int pipeline_reject(pipeline *pl, int is_gt, capture_reject reason,
		    const char *src, uint64_t line_no, const char *msg);

/* Evaluates every open window that holds records (end of a replay). */
int pipeline_finish(pipeline *pl, kpg_err *err);

/* Evaluates one model's open window if it holds records (a policy reload
 * that restarts the window). KPG_EINVAL for a bad index. */
int pipeline_finish_model(pipeline *pl, size_t model, kpg_err *err);

/* 1 when a model moving from policy old to neu (hot reload) keeps its
 * open window: the same reference (resolved path and every option
 * reference_load gets) and the same window definition (records, span,
 * task, score threshold). policyset/pipeline_reload.h says what follows. */
int pipeline_policy_keeps_window(const policy *old, const policy *neu);

/* Index of the model for an endpoint hint, or -1. */
int pipeline_route(const pipeline *pl, const char *endpoint_hint);

#endif
