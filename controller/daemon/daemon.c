#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "action_hook.h"
#include "action_runner.h"
#include "audit.h"
#include "aws_creds.h"
#include "daemon_deploy.h"
#include "daemon_gap.h"
#include "daemon_metrics.h"
#include "daemon_s3.h"
#include "daemon_task.h"
#include "http_server.h"
#include "kafka_dlq.h"
#include "kafka_source.h"
#include "kpg_log.h"
#include "kpg_time.h"
#include "metrics.h"
#include "notify.h"
#include "pipeline.h"
#include "pipeline_reload.h"
#include "policy_reload.h"
#include "policy_report.h"
#include "policy_watch.h"
#include "state.h"

#define DAEMON_MAX_TASKS 100000 /* Kafka's practical partition ceiling */

static volatile sig_atomic_t daemon_stop;

static void daemon_on_signal(int sig)
{
	(void)sig;
	daemon_stop = 1;
}

static void daemon_on_hup(int sig)
{
	(void)sig;
	policy_watch_request();
}

typedef struct daemon_ctx {
	const config *cfg;
	pipeline_options po;
	policy_set set; /* the accepted policies' bytes: new tasks
			   are built from these, never from disk */
	int set_ready;
	policy_watch *watch;    /* policy_dir changes and SIGHUP */
	daemon_deploys deploys; /* deployment signals (deployments_file) */
	audit_log *audit;
	kafka_src *src; /* source.type kafka */
	daemon_s3 *s3;  /* owned; source.type s3 */
	kafka_dlq *dlq; /* NULL without kafka.dead_letter_topic */
	daemon_task **tasks;
	size_t n_tasks, cap_tasks; /* owned, one per partition */
	char **models;
	size_t n_models;          /* owned: model names, policy order */
	int32_t *model_partition; /* owned, n_models: where its records came
				     from first (-1 none); a model in two
				     partitions is warned about once */
	pipeline refs;            /* the start-up policies with their
				     references, shared read-only by every
				     task (loaded once, not per partition) */
	int refs_ready;
	pipeline keys_pl;          /* only n_models, for audit_keys */
	state_ctx audit_keys;      /* decisions found in the audit log at start */
	state_ctx audit_evaluated; /* window_evaluated records found there */
	int keys_ready;
	uint64_t records, replayed;
	int failed; /* a checkpoint or audit failure: stop */
	metrics m;  /* read by the HTTP thread */
	http_server *http;
	uint64_t audit_seq0;    /* audit records before this run */
	size_t n_assigned;      /* partitions of both topics */
	action_runner *actions; /* delivers and follows retraining triggers
				   (STATE_DIR/outbox, shared by replicas) */
	notify *notify;         /* the policies' notifications (owned) */
	int64_t rate_t0_ms;     /* records/s over ~5 s */
	uint64_t rate_n0;
} daemon_ctx;

/* Audit-log walk at start-up: note every decision's key, and every
 * evaluated window's, per model. */
static int daemon_note_decision(const json_t *rec, void *opaque, kpg_err *err)
{
	daemon_ctx *d = opaque;
	const char *event = json_string_value(json_object_get(rec, "event"));
	const char *model = json_string_value(json_object_get(rec, "model"));
	const char *key;

	(void)err;
	state_ctx *into;

	if (event == NULL || model == NULL)
		return 0;
	if (strcmp(event, "decision") == 0)
		into = &d->audit_keys;
	else if (strcmp(event, "window_evaluated") == 0)
		into = &d->audit_evaluated;
	else
		return 0;
	key = json_string_value(json_object_get(json_object_get(rec, "data"),
						"idempotency_key"));
	if (key == NULL)
		return 0;
	for (size_t i = 0; i < d->n_models; i++)
		if (strcmp(d->models[i], model) == 0)
			state_keys_note(into, i, key);
	return 0;
}

/* Fresh policy objects for a new task (a pipeline owns its policies),
 * from the accepted bytes: a file rejected by a reload is never used. */
static int daemon_policies_new(daemon_ctx *d, policy ***out, kpg_err *err)
{
	policy **pols = calloc(d->set.n ? d->set.n : 1, sizeof(*pols));
	int rc;

	*out = NULL;
	if (pols == NULL)
		return KPG_ENOMEM;
	rc = policy_set_instantiate(&d->set, pols, err);
	if (rc) {
		free(pols);
		return rc;
	}
	*out = pols;
	return 0;
}

static daemon_task *daemon_task_find(daemon_ctx *d, int32_t partition, size_t *at)
{
	for (size_t i = 0; i < d->n_tasks; i++)
		if (d->tasks[i]->partition == partition) {
			if (at != NULL)
				*at = i;
			return d->tasks[i];
		}
	return NULL;
}

/* The task of partition, opened (and its checkpoint loaded) if needed. */
static int daemon_task_get(daemon_ctx *d, int32_t partition, daemon_task **out,
			   kpg_err *err)
{
	policy **pols = NULL;
	daemon_task *t = daemon_task_find(d, partition, NULL);
	int rc;

	*out = t;
	if (t != NULL)
		return 0;
	if (d->n_tasks == d->cap_tasks) {
		size_t cap = d->cap_tasks ? 2 * d->cap_tasks : 16;
		daemon_task **nt;

		if (cap > DAEMON_MAX_TASKS) {
			kpg_err_set(err, "more than %d partitions", DAEMON_MAX_TASKS);
			return KPG_ETOOBIG;
		}
		nt = realloc(d->tasks, cap * sizeof(*nt));
		if (nt == NULL)
			return KPG_ENOMEM;
		d->tasks = nt;
		d->cap_tasks = cap;
	}
	rc = daemon_policies_new(d, &pols, err);
	if (rc)
		return rc;
	rc = daemon_task_open(&t, d->cfg->state_dir,
			      d->cfg->capture_topic ? d->cfg->capture_topic : "s3", partition,
			      pols, d->set.n, &d->po, d->audit,
			      &d->audit_keys, &d->audit_evaluated,
			      (int)d->cfg->shutdown_timeout_s * 1000, err);
	free(pols); /* the array; the policies are the task's now */
	if (rc)
		return rc;
	action_hook_actor(d->actions, &t->pl.actor);
	notify_pipeline_notifier(d->notify, &t->pl.notifier);
	/* every signal so far: those its restored models applied are skipped */
	if (daemon_deploys_feed(&d->deploys, 0, &t->pl) != 0) {
		d->tasks[d->n_tasks++] = t; /* freed with the others */
		kpg_err_set(err, "out of memory queueing deployment signals");
		return KPG_ENOMEM;
	}
	for (size_t i = 0; i < t->pl.n_models; i++) {
		const pipeline_model *pm = &t->pl.models[i];

		t->rep_windows += pm->windows + pm->n_waiting;
		t->rep_retrains += pm->retrains;
		t->rep_holds += pm->holds;
		t->rep_quality += pm->quality_violations;
	}
	t->rep_joined = t->pl.join.stats.joined;
	t->rep_late = t->pl.stats.late_labels;
	if (t->restored)
		metrics_add(&d->m.state_handovers, 1);
	if (t->restored)
		for (size_t i = 0; i < t->pl.n_models; i++)
			log_info("partition %d, model %s: %s", (int)partition,
				 t->pl.models[i].pol->model,
				 state_model_status_name(t->st.status[i]));
	else
		log_info("partition %d: no checkpoint in %s, starting fresh",
			 (int)partition, t->dir);
	d->tasks[d->n_tasks++] = t;
	*out = t;
	return 0;
}

/* Checkpoint, then store the offsets it covers: an offset is only ever
 * committed for records whose effects are in a durable checkpoint. */
static int daemon_checkpoint(daemon_ctx *d, daemon_task *t)
{
	kpg_err err = {""};

	/* its decisions into the per-model series before the checkpoint
	 * clears them */
	daemon_metrics_harvest(&d->m, t);
	/* bad records' dead-letter copies first: the checkpoint moves past them */
	if (d->dlq != NULL &&
	    kafka_dlq_flush(d->dlq, (int)d->cfg->shutdown_timeout_s * 1000, &err) != 0) {
		log_errorx("not checkpointing: %s", err.msg);
		d->failed = 1;
		return -1;
	}
	/* the cursor goes into the same atomic write as the state it made */
	if (d->s3 != NULL && daemon_s3_save(d->s3, &t->st, &err) != 0) {
		log_errorx("not checkpointing: %s", err.msg);
		d->failed = 1;
		return -1;
	}
	if (daemon_task_checkpoint(t, &err) != 0) {
		log_errorx("checkpoint of partition %d failed: %s", (int)t->partition,
			   err.msg);
		d->failed = 1;
		return -1;
	}
	metrics_add(&d->m.checkpoints, 1);
	metrics_set_i64(&d->m.last_checkpoint_ms, kpg_time_now_ms());
	for (size_t i = 0; i < t->st.n_offsets; i++) {
		const state_offset *o = &t->st.offsets[i];

		/* a partition no longer ours is refused: its new owner
		 * resumes from what was committed before */
		if (o->next_offset > 0)
			(void)kafka_src_store_offset(d->src, o->topic, o->partition,
						     o->next_offset - 1, &err);
	}
	return 0;
}

static void daemon_task_drop(daemon_ctx *d, size_t at)
{
	d->replayed += d->tasks[at]->pl.decisions_replayed;
	daemon_metrics_harvest(&d->m, d->tasks[at]);
	daemon_task_close(d->tasks[at]);
	d->tasks[at] = d->tasks[--d->n_tasks];
}

static unsigned daemon_topic_bit(const daemon_ctx *d, const char *topic)
{
	return strcmp(topic, d->cfg->capture_topic) == 0 ? DAEMON_TASK_CAPTURE
							 : DAEMON_TASK_GT;
}

static void daemon_on_revoke(void *opaque, const kafka_src_tp *tps, size_t n,
			     int lost)
{
	daemon_ctx *d = opaque;

	log_info("%zu partition(s) %s", n, lost ? "lost" : "revoked");
	metrics_add(&d->m.rebalances, 1);
	d->n_assigned = d->n_assigned > n ? d->n_assigned - n : 0;
	metrics_set(&d->m.assigned_partitions, d->n_assigned);
	for (size_t i = 0; i < n; i++) {
		size_t at;
		daemon_task *t = daemon_task_find(d, tps[i].partition, &at);

		if (t == NULL)
			continue;
		/* lost: another member owns it already; our unsaved work goes
		 * (its offsets were never stored) and the owner resumes from
		 * the last checkpoint */
		if (!lost && !d->failed && t->dirty)
			daemon_checkpoint(d, t);
		/* records held for ordering were not applied: the next owner
		 * reads them again; the other side no longer waits for this one */
		{
			int side = daemon_topic_bit(d, tps[i].topic) == DAEMON_TASK_GT
					   ? MERGE_GT
					   : MERGE_CAPTURE;

			merge_drop(&t->merge, side);
			merge_set_caught_up(&t->merge, side, MERGE_ALWAYS);
			t->paused[side] = 0;
		}
		t->owned &= ~daemon_topic_bit(d, tps[i].topic);
		if (t->owned == 0)
			daemon_task_drop(d, at);
	}
}

static void daemon_on_assign(void *opaque, const kafka_src_tp *tps, size_t n)
{
	daemon_ctx *d = opaque;
	kpg_err err = {""};

	/* ready once in the group, even with nothing assigned: a consumer
	 * serves no traffic, and a spare replica must not stall a rollout */
	metrics_set_ready(&d->m, METRICS_READY);
	if (n > 0)
		metrics_add(&d->m.rebalances, 1);
	d->n_assigned += n;
	metrics_set(&d->m.assigned_partitions, d->n_assigned);
	for (size_t i = 0; i < n && !d->failed; i++) {
		daemon_task *t;

		log_info("assigned %s [%d]", tps[i].topic, (int)tps[i].partition);
		if (daemon_task_get(d, tps[i].partition, &t, &err) != 0) {
			log_errorx("partition %d: %s", (int)tps[i].partition, err.msg);
			d->failed = 1;
			return;
		}
		t->owned |= daemon_topic_bit(d, tps[i].topic);
		merge_set_caught_up(&t->merge,
				    daemon_topic_bit(d, tps[i].topic) == DAEMON_TASK_GT
					    ? MERGE_GT
					    : MERGE_CAPTURE,
				    0);
		/* what the checkpoint holds is durable: commit up to it now,
		 * or a group that resumed below it (a failed commit before a
		 * rebalance) would stay behind while its records are skipped */
		{
			const state_offset *o = state_offset_get(&t->st, tps[i].topic,
								 tps[i].partition);

			if (o != NULL && o->next_offset > 0)
				(void)kafka_src_store_offset(d->src, o->topic, o->partition,
							     o->next_offset - 1, &err);
		}
	}
	for (size_t i = 0; i < d->n_tasks; i++)
		if (d->tasks[i]->owned == DAEMON_TASK_GT)
			log_warnx("ground-truth partition %d is assigned here without "
				  "capture partition %d: its labels cannot meet their "
				  "predictions (co-partition the topics and use the "
				  "range assignor; docs/operations.md)",
				  (int)d->tasks[i]->partition, (int)d->tasks[i]->partition);
}

/* The endpoint a capture record is for: a header, else the message key. */
static void daemon_route(const config *cfg, const kafka_msg_view *v,
			 char *out, size_t cap)
{
	const void *val = NULL;
	size_t len = 0;

	out[0] = '\0';
	if (cfg->route_header != NULL &&
	    kafka_src_header(v, cfg->route_header, &val, &len) == 0 && val != NULL) {
		;
	} else if (cfg->route_by_key && v->key != NULL) {
		val = v->key;
		len = v->key_len;
	} else {
		return;
	}
	if (len >= cap)
		len = cap - 1;
	memcpy(out, val, len);
	out[len] = '\0';
}

/* Windows are per partition: a model whose records arrive on two
 * partitions would get two interleaved window sequences. Said once. */
static void daemon_check_model_partition(daemon_ctx *d, const daemon_task *t)
{
	int m = t->pl.last_model; /* routed by the pipeline, not again here */

	if (m < 0 || (size_t)m >= d->n_models)
		return;
	if (d->model_partition[m] == -1) {
		d->model_partition[m] = t->partition;
	} else if (d->model_partition[m] >= 0 &&
		   d->model_partition[m] != t->partition) {
		log_warnx("model %s has records on partitions %d and %d: key capture "
			  "records by endpoint so a model stays in one partition "
			  "(each partition keeps its own windows)",
			  d->models[m],
			  (int)d->model_partition[m], (int)t->partition);
		d->model_partition[m] = -2; /* said */
	}
}

/* Applies one record to its task t (found by the caller; NULL when the
 * partition has none). */
static int daemon_apply(daemon_ctx *d, daemon_task *t, const kafka_msg_view *v)
{
	const state_offset *o;
	char hint[256];
	kpg_err err = {""};
	int is_gt, gap, rc;

	if (t == NULL) {
		/* never expected: records of revoked partitions are dropped
		 * before the hook returns. Stop rather than move past it. */
		log_errorx("record of %s [%d] with no task: stopping", v->topic,
			   (int)v->partition);
		d->failed = 1;
		return KPG_EINVAL;
	}
	o = state_offset_get(&t->st, v->topic, v->partition);
	if (o != NULL && v->offset < o->next_offset)
		return 0; /* its effects are already in the checkpoint */
	if (o != NULL && v->offset > o->next_offset &&
	    daemon_gap_check(d->src, d->audit, &d->m, &t->pl, v->topic, v->partition,
			     o->next_offset, v->offset, &gap, &err) != 0) {
		log_errorx("stopping: %s", err.msg);
		d->failed = 1;
		return KPG_EIO;
	}
	is_gt = d->cfg->ground_truth_topic != NULL &&
		strcmp(v->topic, d->cfg->ground_truth_topic) == 0;
	if (v->payload == NULL) {
		rc = pipeline_reject(&t->pl, is_gt, CAPTURE_REJECT_BAD_JSON, v->topic,
				     (uint64_t)v->offset, "empty message");
	} else if (is_gt) {
		rc = pipeline_gt_line(&t->pl, v->payload, v->len, v->topic,
				      (uint64_t)v->offset, &err);
	} else {
		daemon_route(d->cfg, v, hint, sizeof(hint));
		/* the record arrived at its Kafka timestamp: an inferenceTime
		 * far from it is bad_time, a missing one is placed there */
		pipeline_set_arrival(&t->pl, v->timestamp_ms >= 0 ? v->timestamp_ms : INT64_MIN,
				     v->timestamp_ms, v->timestamp_ms >= 0);
		rc = pipeline_capture_line(&t->pl, v->payload, v->len,
					   hint[0] ? hint : NULL, v->topic,
					   (uint64_t)v->offset, &err);
		daemon_check_model_partition(d, t);
	}
	if (rc != 0) {
		log_errorx("stopping: %s", err.msg);
		d->failed = 1;
		return rc;
	}
	t->dirty = 1;
	if (is_gt)
		metrics_add(&d->m.ground_truth_records, 1);
	else
		metrics_add(&d->m.capture_records, 1);
	if (t->pl.last_reject != CAPTURE_OK) {
		if (is_gt)
			metrics_add(&d->m.ground_truth_rejected, 1);
		else
			metrics_add(&d->m.capture_rejected[t->pl.last_reject], 1);
		log_debug("%s [%d] @%lld rejected: %s: %s", v->topic, (int)v->partition,
			  (long long)v->offset, capture_reject_name(t->pl.last_reject),
			  t->pl.last_reject_msg);
		if (d->dlq != NULL &&
		    kafka_dlq_send(d->dlq, v->key, v->key_len, v->payload, v->len,
				   capture_reject_name(t->pl.last_reject),
				   t->pl.last_reject_msg, v->topic, v->partition,
				   v->offset, &err) != 0) {
			log_errorx("stopping: %s", err.msg);
			d->failed = 1;
			return KPG_EIO;
		}
		if (d->dlq != NULL)
			metrics_add(&d->m.dead_lettered, 1);
	}
	rc = state_offset_set(&t->st, v->topic, v->partition, v->offset + 1, &err);
	if (rc != 0) {
		log_errorx("stopping: %s", err.msg);
		d->failed = 1;
		return rc;
	}
	/* The checkpoint keeps the last STATE_KEYS_KEPT decided keys per
	 * model, and a restart recognises only those (journal included):
	 * checkpoint, with this record, well before more windows than that
	 * close in between (tiny windows, a fast catch-up). */
	if (json_array_size(t->pl.decisions) >= STATE_KEYS_KEPT / 2 &&
	    daemon_checkpoint(d, t) != 0)
		return KPG_EIO;
	return 0;
}

/* Fetching a partition pauses while this many of its records are held
 * waiting for the other topic, and resumes below half of it. */
#define DAEMON_HOLD_PAUSE 20000
#define DAEMON_CATCHUP_EVERY_MS 20 /* a leader asked per task, at most */
#define DAEMON_CATCHUP_TIMEOUT_MS 1000

static void daemon_pause(daemon_ctx *d, daemon_task *t, int side, int pause)
{
	const char *topic = side == MERGE_GT ? d->cfg->ground_truth_topic
					     : d->cfg->capture_topic;
	kpg_err err = {""};

	if (kafka_src_pause(d->src, topic, t->partition, pause, &err) != 0) {
		log_warnx("%s", err.msg);
		return;
	}
	t->paused[side] = pause;
}

/* The partition a task's held records wait for: when it was handed out
 * all the leader holds as of a moment after they arrived, they may go
 * (task_merge.h). Asked at most every DAEMON_CATCHUP_EVERY_MS per task. */
static int daemon_check_caught_up(daemon_ctx *d, daemon_task *t, int side)
{
	const char *topic = side == MERGE_GT ? d->cfg->ground_truth_topic
					     : d->cfg->capture_topic;
	const state_offset *o = state_offset_get(&t->st, topic, t->partition);
	int64_t asked = kpg_time_mono_ms();
	kpg_err err = {""};
	int caught_up = 0;

	if (asked - t->caught_up_asked_ms < DAEMON_CATCHUP_EVERY_MS)
		return 0;
	t->caught_up_asked_ms = asked;
	if (kafka_src_caught_up(d->src, topic, t->partition,
				o != NULL ? o->next_offset : -1, DAEMON_CATCHUP_TIMEOUT_MS,
				&caught_up, &err) != 0) {
		log_debug("%s", err.msg);
		return 0;
	}
	if (caught_up)
		merge_set_caught_up(&t->merge, side, asked);
	return caught_up;
}

/* Applies what the task's merge lets go, in timestamp order. */
static void daemon_drain(daemon_ctx *d, daemon_task *t)
{
	kafka_msg_view v;
	int side;

	do {
		int64_t now = kpg_time_mono_ms();

		while (!d->failed &&
		       merge_next(&t->merge, now, (int64_t)d->cfg->max_task_idle_ms, &v)) {
			daemon_apply(d, t, &v);
			kafka_src_msg_free(v.rkm);
			d->records++;
		}
		side = merge_blocked_on(&t->merge);
	} while (!d->failed && side >= 0 && daemon_check_caught_up(d, t, side));
	for (int s = 0; s < 2; s++) {
		size_t h = merge_held(&t->merge, s);

		if (!t->paused[s] && h >= DAEMON_HOLD_PAUSE)
			daemon_pause(d, t, s, 1);
		else if (t->paused[s] && h < DAEMON_HOLD_PAUSE / 2)
			daemon_pause(d, t, s, 0);
	}
}

/* One record of a batch. With ground truth,
 * a task that owns both partitions holds its records in task_merge so
 * they are applied in timestamp order; otherwise they apply now. */
static void daemon_dispatch(daemon_ctx *d, const kafka_msg_view *v)
{
	daemon_task *t = daemon_task_find(d, v->partition, NULL);
	int side = d->cfg->ground_truth_topic != NULL &&
				   strcmp(v->topic, d->cfg->ground_truth_topic) == 0
			   ? MERGE_GT
			   : MERGE_CAPTURE;
	const state_offset *o;
	kpg_err err = {""};

	if (t == NULL || d->cfg->ground_truth_topic == NULL ||
	    (t->owned != (DAEMON_TASK_CAPTURE | DAEMON_TASK_GT) &&
	     merge_held(&t->merge, MERGE_CAPTURE) + merge_held(&t->merge, MERGE_GT) == 0)) {
		daemon_apply(d, t, v); /* reports a record with no task */
		d->records++;
		return;
	}
	o = state_offset_get(&t->st, v->topic, v->partition);
	if (o != NULL && v->offset < o->next_offset) {
		d->records++;
		return; /* in the checkpoint already: not worth holding */
	}
	if (kafka_src_keep(d->src, v) != 0) {
		log_errorx("stopping: record %s [%d] @%lld is not in the batch",
			   v->topic, (int)v->partition, (long long)v->offset);
		d->failed = 1;
	} else if (merge_push(&t->merge, side, v, kpg_time_mono_ms(), &err) != 0) {
		log_errorx("stopping: %s", err.msg);
		kafka_src_msg_free(v->rkm);
		d->failed = 1;
	}
}

/* pipeline_options.shared_reference: the start-up reference of a policy
 * whose bytes are the start-up ones; a reloaded policy loads its own. */
static const reference *daemon_shared_reference(void *opaque, const policy *pol)
{
	const daemon_ctx *d = opaque;

	for (size_t i = 0; i < d->refs.n_models; i++) {
		const policy *p = d->refs.models[i].pol;

		if (strcmp(p->model, pol->model) == 0 &&
		    memcmp(p->sha256, pol->sha256, sizeof(p->sha256)) == 0)
			return &d->refs.models[i].ref;
	}
	return NULL;
}

/* Validates every policy and reference once, audits policy_loaded once
 * for the replica, and keeps the model names and the references. */
static int daemon_load_models(daemon_ctx *d, kpg_err *err)
{
	const config *cfg = d->cfg;
	policy **pols = calloc(cfg->n_policy_files, sizeof(*pols));
	pipeline *probe = &d->refs;
	int rc;

	if (pols == NULL)
		return KPG_ENOMEM;
	/* prints and audits every problem of every file */
	if (policy_report_load_all((const char *const *)cfg->policy_files,
				   cfg->n_policy_files, pols, d->audit, stderr) != 0) {
		for (size_t i = 0; i < cfg->n_policy_files; i++)
			policy_free(pols[i]);
		free(pols);
		kpg_err_set(err, "a policy is invalid; not starting");
		return KPG_EINVAL;
	}
	rc = policy_set_load(&d->set, cfg->policy_files, cfg->n_policy_files,
			     stderr, err);
	if (rc) {
		for (size_t i = 0; i < cfg->n_policy_files; i++)
			policy_free(pols[i]);
		free(pols);
		return rc;
	}
	d->set_ready = 1;
	/* loads every reference now (a broken one stops the start, not a
	 * later rebalance) and audits policy_loaded; its references are the
	 * ones tasks share */
	rc = pipeline_init(probe, pols, cfg->n_policy_files, &d->po, d->audit,
			   NULL, err);
	free(pols);
	if (rc)
		return rc;
	d->refs_ready = 1;
	d->models = calloc(probe->n_models, sizeof(*d->models));
	d->model_partition = calloc(probe->n_models, sizeof(*d->model_partition));
	if (d->models == NULL || d->model_partition == NULL) {
		rc = KPG_ENOMEM;
		goto out;
	}
	d->n_models = probe->n_models;
	for (size_t i = 0; i < probe->n_models; i++) {
		d->model_partition[i] = -1;
		d->models[i] = strdup(probe->models[i].pol->model);
		if (d->models[i] == NULL) {
			rc = KPG_ENOMEM;
			goto out;
		}
	}
	d->keys_pl.n_models = d->n_models;
	rc = state_ctx_init(&d->audit_keys, &d->keys_pl, err);
	if (rc == 0) {
		rc = state_ctx_init(&d->audit_evaluated, &d->keys_pl, err);
		if (rc != 0)
			state_ctx_free(&d->audit_keys);
	}
	if (rc == 0)
		d->keys_ready = 1;
out:
	return rc;
}

/* Notifications are sent on the consumer's thread: three attempts and a
 * budget of 15 s per target keep a dead receiver from stalling the
 * consumer past Kafka's max.poll.interval.ms (docs/notifications.md). */
static int daemon_start_notify(daemon_ctx *d, kpg_err *err)
{
	notify_options o;

	memset(&o, 0, sizeof(o));
	o.audit = d->audit;
	o.execute = 1;
	o.defaults = d->cfg->notify; /* borrowed: the configuration outlives it */
	o.max_attempts = 3;
	o.budget_ms = 15000;
	return notify_new(&o, &d->notify, err);
}

/* The action runner over STATE_DIR/outbox: what an earlier run (or a
 * replica that died) left undelivered goes out now. */
static int daemon_start_actions(daemon_ctx *d, kpg_err *err)
{
	const config *cfg = d->cfg;
	action_runner_options o;
	size_t len = strlen(cfg->state_dir) + 16;
	char *dir = malloc(len);
	int rc;

	if (dir == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	snprintf(dir, len, "%s/outbox", cfg->state_dir);
	if (aws_creds_no_core_dumps() != 0)
		log_warnx("could not turn core dumps off: a core file could hold AWS secrets");
	memset(&o, 0, sizeof(o));
	o.outbox_dir = dir;
	o.audit = d->audit;
	o.aws.region = cfg->aws_region;
	o.aws.sagemaker_endpoint = cfg->aws_sagemaker_endpoint;
	o.aws.sfn_endpoint = cfg->aws_sfn_endpoint;
	o.aws.ca_bundle = cfg->aws_ca_bundle;
	o.aws.max_attempts = (int)cfg->aws_max_attempts;
	o.deadline_s = cfg->aws_deadline_s;
	o.poll_ms = (int)cfg->aws_poll_s * 1000;
	o.follow = 1;
	o.on_record = notify_action_record; /* action_failed, execution_finished */
	rc = daemon_start_notify(d, err);
	o.record_opaque = d->notify;
	if (rc == 0)
		rc = action_runner_start(&d->actions, &o, err);
	free(dir);
	return rc;
}

static void daemon_poll_deploys(daemon_ctx *d);

static int daemon_start(daemon_ctx *d, kpg_err *err)
{
	const config *cfg = d->cfg;
	audit_verify_result vr;
	const char **props = NULL;
	kafka_src_config kc;
	int rc;

	d->deploys.path = cfg->deployments_file;
	d->po.join_max_entries = cfg->join_max_entries;
	d->po.max_time_skew_ms = cfg->max_time_skew_ms > 0 ? cfg->max_time_skew_ms : -1;
	d->po.join_max_age_ms = cfg->join_max_age_ms;
	rc = audit_open(cfg->audit_log, &d->audit, err);
	if (rc)
		goto out;
	d->audit_seq0 = audit_last_seq(d->audit);
	rc = daemon_load_models(d, err);
	if (rc == 0) {
		/* the signals so far, before any record: tasks get them all */
		daemon_poll_deploys(d);
		if (d->failed) {
			kpg_err_set(err, "out of memory reading %s", cfg->deployments_file);
			rc = KPG_ENOMEM;
		}
	}
	if (rc)
		goto out;
	d->po.shared_reference = daemon_shared_reference;
	d->po.shared_opaque = d;
	metrics_set(&d->m.policies_loaded, d->n_models);
	metrics_add(&d->m.policy_reloads, d->n_models);
	rc = http_server_start(&d->http, cfg->http_host, cfg->http_port, &d->m,
			       NULL, err);
	if (rc)
		goto out;
	log_info("serving /healthz, /readyz and /metrics on %s%s%s:%u",
		 strchr(cfg->http_host, ':') ? "[" : "", cfg->http_host,
		 strchr(cfg->http_host, ':') ? "]" : "", http_server_port(d->http));
	kpg_err_clear(err);
	rc = policy_watch_open(&d->watch, cfg->policy_dir, 0, err);
	if (rc)
		goto out;
	if (err->msg[0] != '\0')
		log_warnx("%s", err->msg); /* SIGHUP only */
	if (mkdir(cfg->state_dir, 0750) != 0 && errno != EEXIST) {
		kpg_err_set(err, "cannot create state_dir %s: %s", cfg->state_dir,
			    strerror(errno));
		rc = KPG_EIO;
		goto out;
	}
	rc = audit_walk_file(cfg->audit_log, &vr, daemon_note_decision, d, err);
	if (rc)
		goto out;
	rc = daemon_start_actions(d, err);
	if (rc)
		goto out;
	if (cfg->source_type == CONFIG_SOURCE_S3)
		goto out; /* daemon_s3_start */

	props = calloc(2 * cfg->n_properties + 1, sizeof(*props));
	if (props == NULL) {
		rc = KPG_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < cfg->n_properties; i++) {
		props[2 * i] = cfg->properties[i].name;
		props[2 * i + 1] = cfg->properties[i].value;
	}
	memset(&kc, 0, sizeof(kc));
	kc.bootstrap_servers = cfg->bootstrap_servers;
	kc.group_id = cfg->group_id;
	kc.capture_topic = cfg->capture_topic;
	kc.ground_truth_topic = cfg->ground_truth_topic;
	kc.props = props;
	kc.n_props = cfg->n_properties;
	kc.stats_interval_ms = 5000;
	kc.hooks.opaque = d;
	kc.hooks.on_assign = daemon_on_assign;
	kc.hooks.on_revoke = daemon_on_revoke;
	if (cfg->dead_letter_topic != NULL) {
		rc = kafka_dlq_new(&d->dlq, cfg->bootstrap_servers, props,
				   cfg->n_properties, cfg->dead_letter_topic, err);
		if (rc)
			goto out;
	}
	rc = kafka_src_new(&d->src, &kc, err);
out:
	free(props);
	return rc;
}

/* After a batch: checkpoint every task with new records once the interval
 * has passed. A window closing does not force one: its decision is in the
 * audit log and the task's decided-keys journal before any action, which
 * is all a restart or a new owner needs; the records behind it are read
 * again from the last checkpoint. (A checkpoint holds the join buffer,
 * megabytes when many predictions wait for labels.) */
/* Window, decision and join counts since the last call, per task. */
static void daemon_count(daemon_ctx *d, int64_t now)
{
	uint64_t open = 0, waiting = 0, held = 0, started, failed;
	kafka_src_counters kc;

	for (size_t i = 0; i < d->n_tasks; i++) {
		daemon_task *t = d->tasks[i];
		uint64_t w = 0, r = 0, h = 0, qv = 0;

		daemon_metrics_harvest(&d->m, t);
		for (size_t j = 0; j < t->pl.n_models; j++) {
			const pipeline_model *pm = &t->pl.models[j];

			/* evaluated when closed: decided, or still waiting */
			w += pm->windows + pm->n_waiting;
			r += pm->retrains;
			h += pm->holds;
			qv += pm->quality_violations;
			open += pm->win.n_records > 0;
			waiting += pm->n_waiting;
		}
		metrics_add(&d->m.windows_evaluated, w - t->rep_windows);
		metrics_add(&d->m.decisions_retrain, r - t->rep_retrains);
		metrics_add(&d->m.decisions_hold, h - t->rep_holds);
		metrics_add(&d->m.labels_joined, t->pl.join.stats.joined - t->rep_joined);
		t->rep_windows = w;
		/* a tally only grows, but a model swapped in by a reload
		 * starts again from 0 */
		if (qv >= t->rep_quality)
			metrics_add(&d->m.quality_violations, qv - t->rep_quality);
		t->rep_quality = qv;
		t->rep_retrains = r;
		t->rep_holds = h;
		t->rep_joined = t->pl.join.stats.joined;
		metrics_add(&d->m.labels_late, t->pl.stats.late_labels - t->rep_late);
		t->rep_late = t->pl.stats.late_labels;
		held += merge_held(&t->merge, MERGE_CAPTURE) +
			merge_held(&t->merge, MERGE_GT);
		metrics_add(&d->m.order_timeouts,
			    t->merge.idle_timeouts - t->rep_order_timeouts);
		t->rep_order_timeouts = t->merge.idle_timeouts;
	}
	metrics_set(&d->m.open_windows, open);
	metrics_set(&d->m.waiting_windows, waiting);
	metrics_set(&d->m.held_records, held);
	metrics_set(&d->m.audit_records, audit_last_seq(d->audit) - d->audit_seq0);
	if (d->src != NULL) {
		kafka_src_get_counters(d->src, &kc);
		metrics_set_i64(&d->m.consumer_lag, kc.lag);
		metrics_set(&d->m.kafka_errors, kc.transient_errors);
	}
	action_runner_counts(d->actions, &started, &failed);
	metrics_set(&d->m.actions_started, started);
	metrics_set(&d->m.actions_failed, failed);
	if (now - d->rate_t0_ms >= 5000) {
		metrics_set(&d->m.records_per_second,
			    (d->records - d->rate_n0) * 1000 /
				    (uint64_t)(now - d->rate_t0_ms));
		d->rate_t0_ms = now;
		d->rate_n0 = d->records;
	}
}

static void daemon_after_batch(daemon_ctx *d)
{
	int64_t now = kpg_time_now_ms();
	int64_t every = (int64_t)d->cfg->checkpoint_interval_s * 1000;

	daemon_count(d, now);

	for (size_t i = 0; i < d->n_tasks && !d->failed; i++) {
		daemon_task *t = d->tasks[i];

		/* the first batch of a newly assigned partition is
		 * checkpointed at once: a daemon restarted again and again
		 * before the interval still moves on */
		if (t->dirty && (now - t->last_checkpoint_ms >= every ||
				 t->checkpoints == 0))
			daemon_checkpoint(d, t);
	}
}

/* SIGHUP or a change in policy_dir: re-validate, apply what is valid to
 * every task, audit both outcomes (policy_reload_scan), then checkpoint
 * so a restart restores the windows under the policies now running. */
static void daemon_reload(daemon_ctx *d)
{
	policy_reload_result res;
	kpg_err err = {""};
	int rc;

	memset(&res, 0, sizeof(res));
	rc = policy_reload_scan(&d->set, d->cfg->policy_dir, d->audit, stderr, &res,
				&err);
	if (rc)
		log_errorx("policy reload: %s", err.msg);
	if (rc == KPG_EIO && res.n_changed == 0) {
		/* the folder could not be listed: nothing changed, go on */
		policy_reload_result_free(&res);
		return;
	}
	for (size_t i = 0; i < d->n_tasks && res.n_changed > 0; i++) {
		daemon_task *t = d->tasks[i];

		if (pipeline_apply_reload(&t->pl, &d->set, &res, &err) != 0) {
			/* accepted and audited but not running: stop, the
			 * restart builds every task from the new files */
			log_errorx("partition %d: applying the reloaded policies: %s",
				   (int)t->partition, err.msg);
			d->failed = 1;
			break;
		}
		t->dirty = 1;
		daemon_checkpoint(d, t);
	}
	if (rc != 0 && rc != KPG_EIO)
		d->failed = 1; /* the audit log failed, or memory */
	metrics_add(&d->m.policy_reloads, res.n_changed);
	metrics_add(&d->m.policy_rejects, res.n_rejected);
	log_info("policy reload: %zu changed, %zu rejected, %zu unchanged",
		 res.n_changed, res.n_rejected, res.n_unchanged);
	policy_reload_result_free(&res);
}

/* New lines in deployments_file: queued in every task's pipeline. */
static void daemon_poll_deploys(daemon_ctx *d)
{
	size_t from = d->deploys.n;
	int n = daemon_deploys_poll(&d->deploys);

	if (n < 0) {
		log_errorx("stopping: out of memory reading %s", d->deploys.path);
		d->failed = 1;
		return;
	}
	for (size_t i = from; i < d->deploys.n; i++) {
		size_t k = 0;

		while (k < d->n_models && strcmp(d->models[k], d->deploys.items[i].model) != 0)
			k++;
		if (k == d->n_models)
			log_warnx("%s: a deployment of model %s, which no policy names: ignored",
				  d->deploys.path, d->deploys.items[i].model);
	}
	for (size_t i = 0; n > 0 && i < d->n_tasks; i++)
		if (daemon_deploys_feed(&d->deploys, from, &d->tasks[i]->pl) != 0) {
			log_errorx("stopping: out of memory queueing deployment signals");
			d->failed = 1;
			return;
		}
	if (n > 0)
		log_info("%d deployment signal(s) read from %s", n, d->deploys.path);
}

static void daemon_stop_all(daemon_ctx *d)
{
	kpg_err err = {""};

	if (d->src != NULL) {
		for (size_t i = 0; i < d->n_tasks && !d->failed; i++)
			if (d->tasks[i]->dirty)
				daemon_checkpoint(d, d->tasks[i]);
		/* held records go back before the consumer is destroyed (they
		 * were never applied: the next run reads them again) */
		for (size_t i = 0; i < d->n_tasks; i++) {
			merge_drop(&d->tasks[i]->merge, MERGE_CAPTURE);
			merge_drop(&d->tasks[i]->merge, MERGE_GT);
		}
		/* leaving the group runs the revoke hook: tasks close there */
		if (kafka_src_close(d->src, (int)d->cfg->shutdown_timeout_s * 1000, &err))
			log_warnx("leaving the consumer group: %s", err.msg);
	}
	if (d->s3 != NULL) {
		/* between objects: the cursor matches the state */
		for (size_t i = 0; i < d->n_tasks && !d->failed; i++)
			if (d->tasks[i]->dirty)
				daemon_checkpoint(d, d->tasks[i]);
	}
	while (d->n_tasks > 0)
		daemon_task_drop(d, d->n_tasks - 1);
	/* a delivery in progress ends its round; what is left stays in the
	 * outbox for the next run */
	action_runner_stop(d->actions, 0);
	d->actions = NULL;
	notify_free(d->notify); /* after every task: their pipelines told it */
	d->notify = NULL;
	http_server_stop(d->http); /* last: it reads d->m */
	d->http = NULL;
	metrics_free(&d->m);
	if (d->refs_ready)
		pipeline_free(&d->refs); /* after every task: they borrow from it */
	policy_watch_close(d->watch);
	if (d->set_ready)
		policy_set_free(&d->set);
	free(d->tasks);
	if (d->s3 != NULL) {
		daemon_s3_close(d->s3);
		free(d->s3);
		d->s3 = NULL;
	}
	kafka_dlq_close(d->dlq, (int)d->cfg->shutdown_timeout_s * 1000);
	if (d->keys_ready) {
		state_ctx_free(&d->audit_keys);
		state_ctx_free(&d->audit_evaluated);
	}
	for (size_t i = 0; i < d->n_models; i++)
		free(d->models[i]);
	free(d->models);
	free(d->model_partition);
	if (d->audit != NULL)
		audit_close(d->audit);
}

/* daemon_s3_poll's between: after each object, like after a Kafka
 * batch, and sooner when decisions pile up (STATE_KEYS_KEPT). */
static int daemon_s3_between(void *opaque)
{
	daemon_ctx *d = opaque;
	daemon_task *t = d->tasks[0];

	t->dirty = 1;
	if (json_array_size(t->pl.decisions) >= STATE_KEYS_KEPT / 2 &&
	    daemon_checkpoint(d, t) != 0)
		return KPG_EIO;
	daemon_after_batch(d);
	return d->failed ? KPG_EIO : 0;
}

/* The S3 source: one task (STATE_DIR/s3-0/) whose checkpoint holds the
 * cursor; a poll every source.poll_seconds, reloads and deployment
 * signals in between. */
static void daemon_s3_loop(daemon_ctx *d)
{
	const config *cfg = d->cfg;
	kpg_err err = {""};
	daemon_task *t;
	int64_t next_poll = 0;

	d->s3 = calloc(1, sizeof(*d->s3));
	if (d->s3 == NULL) {
		log_errorx("out of memory");
		d->failed = 1;
		return;
	}
	daemon_s3_open(d->s3, cfg, &d->m);
	if (daemon_task_get(d, 0, &t, &err) != 0 ||
	    daemon_s3_restore(d->s3, &t->st, &err) != 0) {
		log_errorx("not starting: %s", err.msg);
		d->failed = 1;
		return;
	}
	t->owned = DAEMON_TASK_CAPTURE | DAEMON_TASK_GT;
	metrics_set_ready(&d->m, METRICS_READY);
	log_info("polling %s%s%s every %u s (look-back %u h, %zu objects in the cursor)",
		 cfg->s3_capture, cfg->s3_ground_truth ? " and " : "",
		 cfg->s3_ground_truth ? cfg->s3_ground_truth : "", cfg->s3_poll_s,
		 cfg->s3_lookback_h, d->s3->cur.n);
	while (!daemon_stop && !d->failed) {
		int64_t now = kpg_time_mono_ms();

		metrics_heartbeat(&d->m, kpg_time_now_ms());
		if (now >= next_poll) {
			next_poll = now + (int64_t)cfg->s3_poll_s * 1000;
			if (daemon_s3_poll(d->s3, &t->pl, daemon_s3_between, d,
					   &daemon_stop, &err) != 0) {
				log_errorx("stopping: %s", err.msg);
				d->failed = 1;
				break;
			}
			daemon_after_batch(d);
		}
		if (policy_watch_poll(d->watch))
			daemon_reload(d);
		daemon_poll_deploys(d);
		{
			struct timespec ts = {0, 100 * 1000 * 1000};

			nanosleep(&ts, NULL); /* a signal ends it early */
		}
	}
	/* what the state holds, restored runs included: equal to a replay
	 * of the same objects (tests/check_s3_daemon.py) */
	log_info("state: %llu capture lines (%llu accepted), %llu ground-truth "
		 "lines (%llu accepted), %zu objects in the cursor",
		 (unsigned long long)t->pl.stats.capture_lines,
		 (unsigned long long)t->pl.stats.capture_ok,
		 (unsigned long long)t->pl.stats.gt_lines,
		 (unsigned long long)t->pl.stats.gt_ok, d->s3->cur.n);
}

int daemon_run(const config *cfg)
{
	daemon_ctx d;
	kafka_msg_view *batch;
	struct sigaction sa;
	kpg_err err = {""};
	int rc;

	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	metrics_init(&d.m);
	log_init(cfg->log_level, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = daemon_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = daemon_on_hup;
	sigaction(SIGHUP, &sa, NULL);
	batch = calloc(cfg->batch_size, sizeof(*batch));
	if (batch == NULL) {
		log_errorx("out of memory");
		return 1;
	}
	rc = daemon_start(&d, &err);
	if (rc) {
		log_errorx("not starting: %s", err.msg);
		d.failed = 1;
		goto out;
	}
	if (cfg->source_type == CONFIG_SOURCE_S3) {
		daemon_s3_loop(&d);
		goto out;
	}
	log_info("consuming %s%s%s as group %s", cfg->capture_topic,
		 cfg->ground_truth_topic ? " and " : "",
		 cfg->ground_truth_topic ? cfg->ground_truth_topic : "", cfg->group_id);
	metrics_set_ready(&d.m, METRICS_UNASSIGNED);
	d.rate_t0_ms = kpg_time_now_ms();
	while (!daemon_stop && !d.failed && !kafka_src_fatal(d.src)) {
		size_t n = 0;

		metrics_heartbeat(&d.m, kpg_time_now_ms());
		if (kafka_src_poll_batch(d.src, batch, cfg->batch_size,
					 (int)cfg->poll_timeout_ms, &n, &err) != 0) {
			log_warnx("consumer: %s", err.msg);
			if (kafka_src_fatal(d.src))
				break;
			continue;
		}
		for (size_t i = 0; i < n && !d.failed; i++)
			daemon_dispatch(&d, &batch[i]);
		for (size_t i = 0; i < d.n_tasks && !d.failed; i++)
			daemon_drain(&d, d.tasks[i]);
		kafka_src_release_batch(d.src);
		if (d.failed)
			break;
		daemon_after_batch(&d);
		if (policy_watch_poll(d.watch))
			daemon_reload(&d);
		daemon_poll_deploys(&d);
	}
out:
	metrics_set_ready(&d.m, METRICS_STOPPING);
	daemon_stop_all(&d);
	daemon_deploys_free(&d.deploys);
	log_info("stopping after %llu records (%llu windows replayed after a restart)",
		 (unsigned long long)d.records, (unsigned long long)d.replayed);
	free(batch);
	return d.failed || (d.src == NULL && rc) ? 1 : 0;
}
