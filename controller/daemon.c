#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "kafka_dlq.h"
#include "kafka_source.h"
#include "kpg_log.h"
#include "kpg_time.h"
#include "pipeline.h"
#include "policy_report.h"
#include "state.h"

static volatile sig_atomic_t daemon_stop;

static void daemon_on_signal(int sig)
{
	(void)sig;
	daemon_stop = 1;
}

typedef struct daemon_ctx {
	const config *cfg;
	pipeline pl;
	state_ctx st;
	audit_log *audit;
	kafka_src *src;
	kafka_dlq *dlq;            /* NULL without kafka.dead_letter_topic */
	int pl_ready, st_ready;
	int64_t last_checkpoint_ms;
	size_t decisions_at_checkpoint;
	int failed; /* a checkpoint or audit failure: stop */
} daemon_ctx;

/* pipeline hook: was this window's decision already made (and audited)? */
static int daemon_already_decided(void *opaque, size_t model, const char *key)
{
	daemon_ctx *d = opaque;

	return state_keys_seen(&d->st, model, key);
}

/* Audit-log walk at start-up: note every decision's key, per model. */
static int daemon_note_decision(const json_t *rec, void *opaque, kpg_err *err)
{
	daemon_ctx *d = opaque;
	const char *event = json_string_value(json_object_get(rec, "event"));
	const char *model = json_string_value(json_object_get(rec, "model"));
	const char *key;

	(void)err;
	if (event == NULL || strcmp(event, "decision") != 0 || model == NULL)
		return 0;
	key = json_string_value(json_object_get(json_object_get(rec, "data"),
						"idempotency_key"));
	if (key == NULL)
		return 0;
	for (size_t i = 0; i < d->pl.n_models; i++)
		if (strcmp(d->pl.models[i].pol->model, model) == 0)
			state_keys_note(&d->st, i, key);
	return 0;
}

/* Checkpoint, then store the offsets it covers: an offset is only ever
 * committed for records whose effects are in a durable checkpoint. */
static int daemon_checkpoint(daemon_ctx *d)
{
	kpg_err err = {""};

	/* bad records' dead-letter copies first: the checkpoint moves past them */
	if (d->dlq != NULL &&
	    kafka_dlq_flush(d->dlq, (int)d->cfg->shutdown_timeout_s * 1000, &err) != 0) {
		log_errorx("not checkpointing: %s", err.msg);
		d->failed = 1;
		return -1;
	}
	if (state_save(d->cfg->state_dir, &d->pl, &d->st, &err) != 0) {
		log_errorx("checkpoint failed: %s", err.msg);
		d->failed = 1;
		return -1;
	}
	for (size_t i = 0; i < d->st.n_offsets; i++) {
		const state_offset *o = &d->st.offsets[i];

		/* a partition no longer ours is refused: its new owner
		 * resumes from what was committed before */
		if (o->next_offset > 0)
			(void)kafka_src_store_offset(d->src, o->topic, o->partition,
						     o->next_offset - 1, &err);
	}
	/* the decisions array only feeds the idempotency keys, now kept */
	json_array_clear(d->pl.decisions);
	d->st.decisions_seen = 0;
	d->decisions_at_checkpoint = 0;
	d->last_checkpoint_ms = kpg_time_now_ms();
	return 0;
}

static void daemon_on_revoke(void *opaque, const kafka_src_tp *tps, size_t n,
			     int lost)
{
	daemon_ctx *d = opaque;

	log_info("%zu partition(s) %s; checkpointing", n, lost ? "lost" : "revoked");
	(void)tps;
	if (!lost)
		daemon_checkpoint(d);
}

static void daemon_on_assign(void *opaque, const kafka_src_tp *tps, size_t n)
{
	(void)opaque;
	for (size_t i = 0; i < n; i++)
		log_info("assigned %s [%d]", tps[i].topic, (int)tps[i].partition);
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

static int daemon_apply(daemon_ctx *d, const kafka_msg_view *v)
{
	const state_offset *o = state_offset_get(&d->st, v->topic, v->partition);
	char hint[256];
	kpg_err err = {""};
	int is_gt, rc;

	if (o != NULL && v->offset < o->next_offset)
		return 0; /* its effects are already in the checkpoint */
	is_gt = d->cfg->ground_truth_topic != NULL &&
		strcmp(v->topic, d->cfg->ground_truth_topic) == 0;
	if (v->payload == NULL) {
		rc = pipeline_reject(&d->pl, is_gt, CAPTURE_REJECT_BAD_JSON, v->topic,
				     (uint64_t)v->offset, "empty message");
	} else if (is_gt) {
		rc = pipeline_gt_line(&d->pl, v->payload, v->len, v->topic,
				      (uint64_t)v->offset, &err);
	} else {
		daemon_route(d->cfg, v, hint, sizeof(hint));
		rc = pipeline_capture_line(&d->pl, v->payload, v->len,
					   hint[0] ? hint : NULL, v->topic,
					   (uint64_t)v->offset, &err);
	}
	if (rc != 0) {
		log_errorx("stopping: %s", err.msg);
		d->failed = 1;
		return rc;
	}
	if (d->pl.last_reject != CAPTURE_OK) {
		log_debug("%s [%d] @%lld rejected: %s: %s", v->topic, (int)v->partition,
			  (long long)v->offset, capture_reject_name(d->pl.last_reject),
			  d->pl.last_reject_msg);
		if (d->dlq != NULL &&
		    kafka_dlq_send(d->dlq, v->key, v->key_len, v->payload, v->len,
				   capture_reject_name(d->pl.last_reject),
				   d->pl.last_reject_msg, v->topic, v->partition,
				   v->offset, &err) != 0) {
			log_errorx("stopping: %s", err.msg);
			d->failed = 1;
			return KPG_EIO;
		}
	}
	return state_offset_set(&d->st, v->topic, v->partition, v->offset + 1, &err);
}

static int daemon_start(daemon_ctx *d, kpg_err *err)
{
	const config *cfg = d->cfg;
	policy **pols = calloc(cfg->n_policy_files, sizeof(*pols));
	pipeline_options po = {.join_max_entries = cfg->join_max_entries,
			       .join_max_age_ms = cfg->join_max_age_ms};
	audit_verify_result vr;
	const char **props = NULL;
	kafka_src_config kc;
	int rc;

	if (pols == NULL)
		return KPG_ENOMEM;
	rc = audit_open(cfg->audit_log, &d->audit, err);
	if (rc)
		goto out;
	if (policy_report_load_all((const char *const *)cfg->policy_files,
				   cfg->n_policy_files, pols, d->audit, stderr) != 0) {
		kpg_err_set(err, "a policy is invalid; not starting");
		rc = KPG_EINVAL;
		goto out;
	}
	rc = pipeline_init(&d->pl, pols, cfg->n_policy_files, &po, d->audit, NULL, err);
	if (rc)
		goto out;
	d->pl_ready = 1;
	rc = state_ctx_init(&d->st, &d->pl, err);
	if (rc)
		goto out;
	d->st_ready = 1;
	if (mkdir(cfg->state_dir, 0750) != 0 && errno != EEXIST) {
		kpg_err_set(err, "cannot create state_dir %s: %s", cfg->state_dir,
			    strerror(errno));
		rc = KPG_EIO;
		goto out;
	}
	rc = state_load(cfg->state_dir, &d->pl, &d->st, err);
	if (rc == KPG_ENOTFOUND) {
		log_info("no checkpoint in %s: starting fresh", cfg->state_dir);
	} else if (rc != 0) {
		goto out; /* a corrupt checkpoint needs a person, not a guess */
	} else {
		for (size_t i = 0; i < d->pl.n_models; i++)
			log_info("model %s: %s", d->pl.models[i].pol->model,
				 state_model_status_name(d->st.status[i]));
	}
	rc = audit_walk_file(cfg->audit_log, &vr, daemon_note_decision, d, err);
	if (rc)
		goto out;
	d->pl.already_decided = daemon_already_decided;
	d->pl.already_decided_opaque = d;

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
	if (pols != NULL && !d->pl_ready)
		for (size_t i = 0; i < cfg->n_policy_files; i++)
			policy_free(pols[i]);
	free(pols);
	free(props);
	return rc;
}

static void daemon_stop_all(daemon_ctx *d)
{
	kpg_err err = {""};

	if (d->src != NULL) {
		if (!d->failed && d->pl_ready)
			daemon_checkpoint(d);
		if (kafka_src_close(d->src, (int)d->cfg->shutdown_timeout_s * 1000, &err))
			log_warnx("leaving the consumer group: %s", err.msg);
	}
	kafka_dlq_close(d->dlq, (int)d->cfg->shutdown_timeout_s * 1000);
	if (d->st_ready)
		state_ctx_free(&d->st);
	if (d->pl_ready)
		pipeline_free(&d->pl);
	if (d->audit != NULL)
		audit_close(d->audit);
}

int daemon_run(const config *cfg)
{
	daemon_ctx d;
	kafka_msg_view *batch;
	struct sigaction sa;
	kpg_err err = {""};
	uint64_t records = 0;
	int rc;

	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	log_init(cfg->log_level, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = daemon_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
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
	log_info("consuming %s%s%s as group %s", cfg->capture_topic,
		 cfg->ground_truth_topic ? " and " : "",
		 cfg->ground_truth_topic ? cfg->ground_truth_topic : "", cfg->group_id);
	d.last_checkpoint_ms = kpg_time_now_ms();
	while (!daemon_stop && !d.failed && !kafka_src_fatal(d.src)) {
		size_t n = 0;

		if (kafka_src_poll_batch(d.src, batch, cfg->batch_size,
					 (int)cfg->poll_timeout_ms, &n, &err) != 0) {
			log_warnx("consumer: %s", err.msg);
			if (kafka_src_fatal(d.src))
				break;
			continue;
		}
		for (size_t i = 0; i < n && !d.failed; i++)
			daemon_apply(&d, &batch[i]);
		records += n;
		kafka_src_release_batch(d.src);
		if (d.failed)
			break;
		if (json_array_size(d.pl.decisions) > d.decisions_at_checkpoint ||
		    kpg_time_now_ms() - d.last_checkpoint_ms >=
			    (int64_t)cfg->checkpoint_interval_s * 1000)
			daemon_checkpoint(&d);
	}
	log_info("stopping after %llu records (%llu windows replayed after a restart)",
		 (unsigned long long)records,
		 (unsigned long long)(d.pl_ready ? d.pl.decisions_replayed : 0));
out:
	daemon_stop_all(&d);
	free(batch);
	return d.failed || (d.src == NULL && rc) ? 1 : 0;
}
