/* pipeline.h - the one code path from a capture or ground-truth line to a
 * decision: decode -> window -> detect/KPI -> policy -> action + audit +
 * energy. `replay` feeds it from files; the Kafka daemon feeds it from
 * topics. It knows nothing of where lines come from.
 *
 * Time is event time. A window holds the records whose inferenceTime falls
 * in it; its KPIs come from those records' labels, whenever they arrive.
 * When a window closes its drift is evaluated and audited
 * (window_evaluated); it then waits for labels and is decided (decision)
 * once the model's clock -- the latest inferenceTime of its records -- is
 * window.label_wait_seconds past the window's end, or earlier once every
 * prediction of it has its label. Windows are decided in order. A label
 * for a window already decided is counted as late, never credited
 * elsewhere. */
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
#include "label_dict.h"
#include "pipeline_labels.h"
#include "policy.h"
#include "reference.h"
#include "quality.h"
#include "window.h"

/* Closed windows a model keeps waiting for labels; when one more closes,
 * the oldest is decided early (too_many_waiting). */
#define PIPELINE_MAX_WAITING 256

/* A window closed, its drift evaluated and audited, waiting for the labels
 * of its predictions before its decision. */
typedef struct pipeline_waiting {
	policy_window_eval ev;            /* judged drift; ev.features owned (n_features) */
	kpi_acc kpi;                      /* owned: its predictions' labelled pairs */
	uint64_t predictions;             /* offered to the join */
	uint64_t labelled;                /* of those, joined so far */
	int64_t due_ms;                   /* decided once the model's clock reaches it */
	uint64_t gap_events, gap_offsets; /* records lost upstream (pipeline_gap.h) */
} pipeline_waiting;

/* Why a waiting window was decided when it was (its decision says so). */
typedef enum pipeline_wait_end {
	PIPELINE_WAIT_ALL_LABELLED = 0, /* every prediction has its label */
	PIPELINE_WAIT_OVER,             /* label_wait_seconds passed */
	PIPELINE_WAIT_TOO_MANY,         /* PIPELINE_MAX_WAITING were waiting */
	PIPELINE_WAIT_END_OF_INPUT,     /* replay --decide-pending */
	PIPELINE_WAIT_RELOAD,           /* a policy reload restarted windows */
	PIPELINE_WAIT__COUNT
} pipeline_wait_end;

const char *pipeline_wait_end_name(pipeline_wait_end e);

typedef struct pipeline_model {
	policy *pol; /* owned */
	reference ref;
	window win;
	capture_decoder *dec; /* owned; per model for its score field */
	policy_guard_state guard;
	uint64_t window_index; /* of the open window */
	int64_t window_bucket; /* span windows: floor((t - origin) / span) of the open one */
	int has_bucket;        /* window_bucket is set: older records are late */
	int64_t clock_ms;      /* latest inferenceTime of its records */
	int has_clock;
	pipeline_waiting *waiting;   /* owned ring of PIPELINE_MAX_WAITING, lazily */
	size_t wait_head, n_waiting; /* windows window_index - n_waiting .. - 1 */
	int ref_borrowed;            /* ref is a shared one's shallow copy */
	/* when ref is a shallow copy of ref_cached, held from ref_cache (the
	 * pipeline's, reference_cache.h): given back by
	 * pipeline_model_drop_reference */
	struct reference_cache *ref_cache;
	const reference *ref_cached;
	struct pipeline_deployment *deploys; /* owned: deployments not applied
						yet, in time order (pipeline_deploy.h) */
	size_t n_deploys;
	char *ref_override; /* owned: the reference a deployment named, which
			       replaced the policy's; NULL = the policy's */
	/* records lost upstream since the open window began
	 * (pipeline_gap.h): gaps seen, offsets missing */
	uint64_t gap_events, gap_offsets;
	pipeline_labels lab; /* its label texts and classes */
	/* data-quality constraints for the current reference and policy,
	 * derived at a window's close when quality_ready is 0
	 * (pipeline_quality.c) */
	quality_constraints quality;
	int quality_ready;
	quality_result quality_res;  /* the last window's checks; owned */
	uint64_t quality_violations; /* tally, for the summary and metrics */
	/* tallies for the summary */
	uint64_t records, windows, retrains, holds, drift_alarms, naive_retrains;
	uint64_t late_labels;     /* labels whose window was already decided */
	uint64_t waits_cut_short; /* decided before their wait: too many waiting */
	double kwh_spent, kg_spent, kwh_avoided, kg_avoided;
} pipeline_model;

typedef struct pipeline_stats {
	uint64_t capture_lines, capture_ok, instances;
	uint64_t capture_rejects[CAPTURE_REJECT__COUNT];
	uint64_t gt_lines, gt_ok;
	uint64_t gt_rejects[CAPTURE_REJECT__COUNT];
	uint64_t unjoinable;    /* captures whose prediction cannot be joined
				(no output, several instances, non-numeric) */
	uint64_t late_labels;   /* labels whose window was already decided */
	uint64_t arrival_times; /* records without inferenceTime, placed at
				   their arrival time */
} pipeline_stats;

typedef struct pipeline_options {
	size_t join_max_entries; /* 0 = default */
	int64_t join_max_age_ms; /* 0 = default */
	size_t max_line_bytes;   /* 0 = 1 MiB */
	/* How far a record's inferenceTime may lie outside the time it arrived
	 * (pipeline_set_arrival) before it is rejected as bad_time:
	 * 0 = PIPELINE_DEFAULT_SKEW_S, negative = not checked. */
	int64_t max_time_skew_ms;
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

/* Told about every decision once it is audited (not about a window
 * decided before a restart): notifications (the action room's notify.h).
 * decision is the audited record's data (borrowed for the call);
 * record_hash its audit hash ("" without an audit log). A negative return
 * stops the pipeline: keep it for the audit log failing. */
typedef struct pipeline_notifier {
	int (*decided)(void *opaque, const policy *pol, const policy_window_eval *ev,
		       const policy_decision *d, const json_t *decision,
		       const char *record_hash, kpg_err *err);
	void *opaque;
} pipeline_notifier;

enum { PIPELINE_NEW = 0,
       PIPELINE_DECIDED = 1,
       PIPELINE_EVALUATED = 2 };

#define PIPELINE_DEFAULT_SKEW_S 3600

typedef struct pipeline {
	pipeline_model *models;
	size_t n_models; /* owned */
	join_buffer join;
	label_dict labels; /* label texts the join's codes stand for */
	int text_labels;   /* a model maps label texts (pipeline_labels.h) */
	audit_log *audit;  /* borrowed; NULL = no audit file */
	FILE *rejects;     /* borrowed; NULL = rejected lines not kept */
	int64_t clock_ms;  /* stream time: the latest event time seen */
	int has_clock;
	pipeline_stats stats;
	json_t *decisions; /* owned array: one summary object per decision */
	/* owned: the models' references, identical ones loaded once */
	struct reference_cache *ref_cache;
	size_t max_line_bytes;
	int64_t max_skew_ms;              /* < 0: not checked */
	int64_t arrival_from, arrival_to; /* pipeline_set_arrival */
	int arrival_checked;
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
	pipeline_notifier notifier; /* decided NULL: no notifications */
} pipeline;

/* Takes ownership of the n policies (the array itself stays the caller's),
 * loads each reference and audits policy_loaded. Policies with the same
 * reference file and options share one load (reference_cache.h). On
 * failure everything taken is freed. audit and rejects are borrowed for
 * the pipeline's life. */
int pipeline_init(pipeline *pl, policy **policies, size_t n,
		  const pipeline_options *opt, audit_log *audit, FILE *rejects,
		  kpg_err *err);
void pipeline_free(pipeline *pl);

/* Lets go of a model's reference before another replaces it: gives a
 * shared one back to the cache, frees an owned one, leaves a borrowed
 * one. m->ref is then empty and owned by nobody. */
void pipeline_model_drop_reference(pipeline_model *m);

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

/* When the next lines arrived: [from_ms, to_ms] of event time (an S3
 * hour folder: its hour; a Kafka record: its timestamp twice; a file
 * named on its own: its modification time, unchecked). INT64_MIN =
 * unknown. With `checked`, a record's inferenceTime outside it by more
 * than the allowed skew is rejected as bad_time. A record without a
 * usable inferenceTime is placed at from_ms (counted). */
void pipeline_set_arrival(pipeline *pl, int64_t from_ms, int64_t to_ms,
			  int checked);

/* Closes every open window that holds records and decides every waiting
 * one now, with the labels in hand, marked end_of_input (replay
 * --decide-pending; tests). Without it a replay leaves them pending, as a
 * daemon would have them at that point (pipeline_pending_json). */
int pipeline_finish(pipeline *pl, kpg_err *err);

/* The same for one model, marked `why` (a policy reload that restarts the
 * window: PIPELINE_WAIT_RELOAD). KPG_EINVAL for a bad index. */
int pipeline_finish_model(pipeline *pl, size_t model, pipeline_wait_end why,
			  kpg_err *err);

/* What is not decided yet, per model: the open window and the waiting
 * ones (index, records, span, predictions, labelled, due). New
 * reference, NULL when out of memory. */
json_t *pipeline_pending_json(const pipeline *pl);

/* 1 when a model moving from policy old to neu (hot reload) keeps its
 * open window: the same reference (resolved path and every option
 * reference_load gets) and the same window definition (records, span,
 * task, score threshold, positive / negative label, classes, and the KPIs
 * naming a class at the same places). policyset/pipeline_reload.h says what follows. */
int pipeline_policy_keeps_window(const policy *old, const policy *neu);

/* Index of the model for an endpoint hint, or -1. */
int pipeline_route(const pipeline *pl, const char *endpoint_hint);

#endif
