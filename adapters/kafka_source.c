/* kafka_source.c - librdkafka consumer group member with manual offset
 * store, both rebalance protocols, batch polling and a bounded close (see
 * kafka_source.h). */
#include "kafka_source.h"
#include "kafka_log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "kpg_log.h"

#define KS_MAX_BATCH 100000
#define KS_MAX_PROPS 1024
#define KS_CLOSE_DEFAULT_MS 10000
#define KS_MAX_HOOK_TPS 1000000

struct kafka_src {
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;       /* the consumer queue; owned */
	rd_kafka_message_t **msgs; /* held batch, owned, cap entries */
	size_t cap, held;
	size_t keep_hint;  /* where kafka_src_keep looks first */
	kafka_src_tp *tps; /* hook argument, reused; tps_cap entries */
	size_t tps_cap;
	kafka_src_hooks hooks;
	kafka_src_counters c;
	int fatal;
};

/* librdkafka boolean values that mean true. */
static int prop_is_true(const char *v)
{
	return strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	       strcasecmp(v, "t") == 0 || strcasecmp(v, "yes") == 0 ||
	       strcasecmp(v, "on") == 0;
}

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *val,
		    kpg_err *err)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, name, val, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK) {
		kpg_err_set(err, "kafka property %s: %s", name, errstr);
		return KPG_EINVAL;
	}
	return 0;
}

static void error_cb(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
	kafka_src *src = opaque;
	char fstr[512];

	if (code == RD_KAFKA_RESP_ERR__FATAL) {
		src->fatal = 1;
		rd_kafka_fatal_error(rk, fstr, sizeof(fstr));
		log_errorx("kafka fatal error: %s", fstr);
		return;
	}
	src->c.transient_errors++;
	log_warnx("kafka error %s: %s",
		  rd_kafka_err2name((rd_kafka_resp_err_t)code), reason);
}

/* Sums consumer_lag over the partitions that report one (the assigned
 * ones); librdkafka frees json after we return 0. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
	kafka_src *src = opaque;
	json_t *root, *topics, *topic, *parts, *part, *lag;
	const char *tname, *pname;
	int64_t sum = 0;
	int seen = 0;

	(void)rk;
	root = json_loadb(json, json_len, 0, NULL);
	if (root == NULL)
		return 0;
	topics = json_object_get(root, "topics");
	json_object_foreach(topics, tname, topic) {
		parts = json_object_get(topic, "partitions");
		json_object_foreach(parts, pname, part) {
			if (strcmp(pname, "-1") == 0)
				continue; /* the unassigned-messages pseudo partition */
			lag = json_object_get(part, "consumer_lag");
			if (json_is_integer(lag) && json_integer_value(lag) >= 0) {
				sum += json_integer_value(lag);
				seen = 1;
			}
		}
	}
	json_decref(root);
	src->c.lag = seen ? sum : 0;
	src->c.stats_reports++;
	return 0;
}

/* Copies the list into src->tps for a hook; 0 entries on a failed grow
 * (the hook still runs, the rebalance must go on). */
static size_t hook_tps(kafka_src *src, const rd_kafka_topic_partition_list_t *parts)
{
	size_t n = parts->cnt > 0 ? (size_t)parts->cnt : 0;

	if (n > KS_MAX_HOOK_TPS)
		n = KS_MAX_HOOK_TPS;
	if (n > src->tps_cap) {
		kafka_src_tp *v = realloc(src->tps, n * sizeof(*v));
		if (v == NULL) {
			log_errorx("kafka rebalance: out of memory for %zu partitions", n);
			return 0;
		}
		src->tps = v;
		src->tps_cap = n;
	}
	for (size_t i = 0; i < n; i++) {
		src->tps[i].topic = parts->elems[i].topic;
		src->tps[i].partition = parts->elems[i].partition;
	}
	return n;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t rerr,
			 rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	kafka_src *src = opaque;
	int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	rd_kafka_error_t *e = NULL;
	rd_kafka_resp_err_t r = RD_KAFKA_RESP_ERR_NO_ERROR;
	size_t n;

	if (rerr == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		if (coop)
			e = rd_kafka_incremental_assign(rk, parts);
		else
			r = rd_kafka_assign(rk, parts);
		/* the hook hears an empty assignment too: the member has
		 * joined the group, with nothing to do for now */
		if (e == NULL && r == 0) {
			n = parts->cnt > 0 ? hook_tps(src, parts) : 0;
			if (n > 0)
				src->c.assigns++;
			if (src->hooks.on_assign)
				src->hooks.on_assign(src->hooks.opaque, src->tps, n);
		}
	} else if (rerr == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
		int lost = rd_kafka_assignment_lost(rk);

		if (parts->cnt > 0) {
			n = hook_tps(src, parts);
			src->c.revokes++;
			if (src->hooks.on_revoke)
				src->hooks.on_revoke(src->hooks.opaque, src->tps, n,
						     lost);
		}
		if (!lost && parts->cnt > 0) {
			/* hand the next owner our last stored offsets */
			r = rd_kafka_commit(rk, NULL, 0);
			if (r && r != RD_KAFKA_RESP_ERR__NO_OFFSET)
				log_warnx("kafka commit on revoke: %s",
					  rd_kafka_err2str(r));
			r = RD_KAFKA_RESP_ERR_NO_ERROR;
		}
		if (coop)
			e = rd_kafka_incremental_unassign(rk, parts);
		else
			r = rd_kafka_assign(rk, NULL);
	} else {
		log_warnx("kafka rebalance error: %s", rd_kafka_err2str(rerr));
		if (coop)
			e = rd_kafka_incremental_unassign(rk, parts);
		else
			r = rd_kafka_assign(rk, NULL);
	}
	if (e != NULL) {
		log_errorx("kafka %s: %s", coop ? "incremental (un)assign" : "assign",
			   rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	} else if (r) {
		log_errorx("kafka assign: %s", rd_kafka_err2str(r));
	}
}

int kafka_src_new(kafka_src **out, const kafka_src_config *cfg, kpg_err *err)
{
	rd_kafka_conf_t *conf = NULL;
	rd_kafka_topic_partition_list_t *subs = NULL;
	kafka_src *src = NULL;
	rd_kafka_resp_err_t r;
	char errstr[512], num[32];
	int rc = KPG_EINVAL;

	*out = NULL;
	if (cfg == NULL || cfg->capture_topic == NULL || !cfg->capture_topic[0]) {
		kpg_err_set(err, "kafka source: a capture topic is required");
		return KPG_EINVAL;
	}
	if (cfg->n_props > KS_MAX_PROPS || (cfg->n_props > 0 && cfg->props == NULL)) {
		kpg_err_set(err, "kafka source: at most %d extra properties",
			    KS_MAX_PROPS);
		return KPG_EINVAL;
	}
	if (cfg->stats_interval_ms != 0 &&
	    (cfg->stats_interval_ms < 10 || cfg->stats_interval_ms > 3600000)) {
		kpg_err_set(err, "kafka source: statistics interval %d ms is "
				 "outside 10..3600000 (0 = off)",
			    cfg->stats_interval_ms);
		return KPG_EINVAL;
	}
	src = calloc(1, sizeof(*src));
	if (src == NULL) {
		kpg_err_set(err, "kafka source: out of memory");
		return KPG_ENOMEM;
	}
	src->hooks = cfg->hooks;
	src->c.lag = -1;
	conf = rd_kafka_conf_new();

	for (size_t i = 0; i < cfg->n_props; i++) {
		const char *name = cfg->props[2 * i], *val = cfg->props[2 * i + 1];

		if (name == NULL || val == NULL) {
			kpg_err_set(err, "kafka property %zu has no name or value", i);
			goto fail;
		}
		if (strcmp(name, "enable.auto.offset.store") == 0 && prop_is_true(val)) {
			kpg_err_set(err, "kafka property enable.auto.offset.store=%s "
					 "is refused: kpigate stores an offset only "
					 "after the record's effects are durable",
				    val);
			goto fail;
		}
		if (strcmp(name, "enable.partition.eof") == 0 && prop_is_true(val)) {
			kpg_err_set(err, "kafka property enable.partition.eof=%s is "
					 "refused: the source never ends",
				    val);
			goto fail;
		}
		if ((rc = conf_set(conf, name, val, err)) != 0)
			goto fail;
	}
	rc = KPG_EINVAL;
	if (cfg->bootstrap_servers &&
	    conf_set(conf, "bootstrap.servers", cfg->bootstrap_servers, err))
		goto fail;
	if (cfg->group_id && conf_set(conf, "group.id", cfg->group_id, err))
		goto fail;
	snprintf(num, sizeof(num), "%d", cfg->stats_interval_ms);
	if (conf_set(conf, "enable.auto.offset.store", "false", err) ||
	    conf_set(conf, "enable.partition.eof", "false", err) ||
	    conf_set(conf, "statistics.interval.ms", num, err) ||
	    conf_set(conf, "log.queue", "true", err))
		goto fail;
	rd_kafka_conf_set_opaque(conf, src);
	rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_stats_cb(conf, stats_cb);
	rd_kafka_conf_set_log_cb(conf, kafka_log_cb); /* on the polling thread: queued below */

	src->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (src->rk == NULL) {
		kpg_err_set(err, "kafka consumer: %s", errstr);
		goto fail;
	}
	conf = NULL; /* now owned, and freed, by rk */
	/* logs, errors, stats and rebalances all come to the consumer queue,
	 * so every callback runs on the thread that polls */
	rd_kafka_set_log_queue(src->rk, NULL);
	rd_kafka_poll_set_consumer(src->rk);
	src->q = rd_kafka_queue_get_consumer(src->rk);

	subs = rd_kafka_topic_partition_list_new(2);
	rd_kafka_topic_partition_list_add(subs, cfg->capture_topic,
					  RD_KAFKA_PARTITION_UA);
	if (cfg->ground_truth_topic && cfg->ground_truth_topic[0])
		rd_kafka_topic_partition_list_add(subs, cfg->ground_truth_topic,
						  RD_KAFKA_PARTITION_UA);
	r = rd_kafka_subscribe(src->rk, subs);
	rd_kafka_topic_partition_list_destroy(subs);
	if (r) {
		kpg_err_set(err, "kafka subscribe: %s", rd_kafka_err2str(r));
		goto fail;
	}
	*out = src;
	return 0;
fail:
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	if (src->rk != NULL) {
		if (src->q != NULL)
			rd_kafka_queue_destroy(src->q);
		rd_kafka_destroy_flags(src->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	}
	free(src);
	return rc;
}

void kafka_src_release_batch(kafka_src *src)
{
	for (size_t i = 0; i < src->held; i++)
		if (src->msgs[i] != NULL)
			rd_kafka_message_destroy(src->msgs[i]);
	src->held = 0;
	src->keep_hint = 0;
}

int kafka_src_keep(kafka_src *src, const kafka_msg_view *v)
{
	/* records are usually kept in batch order: start where the last was */
	for (size_t k = 0; k < src->held; k++) {
		size_t i = (src->keep_hint + k) % src->held;

		if (src->msgs[i] != NULL && src->msgs[i] == v->rkm) {
			src->msgs[i] = NULL;
			src->keep_hint = i + 1;
			return 0;
		}
	}
	return KPG_ENOTFOUND;
}

void kafka_src_msg_free(const void *rkm)
{
	if (rkm != NULL)
		rd_kafka_message_destroy((rd_kafka_message_t *)rkm);
}

int kafka_src_caught_up(kafka_src *src, const char *topic, int32_t partition,
			int64_t next_offset, int timeout_ms, int *caught_up,
			kpg_err *err)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t r;
	int64_t lo = 0, hi = 0, pos;

	*caught_up = 0;
	r = rd_kafka_query_watermark_offsets(src->rk, topic, partition, &lo, &hi,
					     timeout_ms);
	if (r) {
		kpg_err_set(err, "%s [%d]: high watermark: %s", topic, (int)partition,
			    rd_kafka_err2str(r));
		return KPG_EIO;
	}
	l = rd_kafka_topic_partition_list_new(1);
	if (l == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	rd_kafka_topic_partition_list_add(l, topic, partition);
	pos = rd_kafka_position(src->rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR
		      ? l->elems[0].offset
		      : RD_KAFKA_OFFSET_INVALID;
	rd_kafka_topic_partition_list_destroy(l);
	if (pos < 0) /* nothing handed out yet: where the owner resumes */
		pos = next_offset >= 0 ? next_offset : -1;
	*caught_up = (pos >= 0 && pos >= hi) || hi == lo;
	return 0;
}

int kafka_src_log_start(kafka_src *src, const char *topic, int32_t partition,
			int64_t past, int timeout_ms, int64_t *log_start,
			kpg_err *err)
{
	rd_kafka_resp_err_t r;
	int64_t lo = 0, hi = 0;

	*log_start = -1;
	/* a cached log start may be old, so lower than the real one: past
	 * `past` it settles the question without a round trip */
	if (rd_kafka_get_watermark_offsets(src->rk, topic, partition, &lo, &hi) ==
		    RD_KAFKA_RESP_ERR_NO_ERROR &&
	    lo >= 0 && lo > past) {
		*log_start = lo;
		return 0;
	}
	r = rd_kafka_query_watermark_offsets(src->rk, topic, partition, &lo, &hi,
					     timeout_ms);
	if (r) {
		kpg_err_set(err, "%s [%d]: log start offset: %s", topic,
			    (int)partition, rd_kafka_err2str(r));
		return KPG_EIO;
	}
	*log_start = lo;
	return 0;
}

int kafka_src_pause(kafka_src *src, const char *topic, int32_t partition,
		    int pause, kpg_err *err)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t r;
	int rc = 0;

	if (l == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	rd_kafka_topic_partition_list_add(l, topic, partition);
	r = pause ? rd_kafka_pause_partitions(src->rk, l)
		  : rd_kafka_resume_partitions(src->rk, l);
	if (r == RD_KAFKA_RESP_ERR_NO_ERROR)
		r = l->elems[0].err;
	if (r) {
		kpg_err_set(err, "%s %s [%d]: %s", pause ? "pausing" : "resuming",
			    topic, (int)partition, rd_kafka_err2str(r));
		rc = KPG_EIO;
	}
	rd_kafka_topic_partition_list_destroy(l);
	return rc;
}

int kafka_src_poll_batch(kafka_src *src, kafka_msg_view *out, size_t max,
			 int timeout_ms, size_t *n, kpg_err *err)
{
	ssize_t got;
	size_t k = 0;
	int rc = 0;

	*n = 0;
	kafka_src_release_batch(src);
	if (max == 0 || max > KS_MAX_BATCH) {
		kpg_err_set(err, "kafka poll: batch size %zu outside 1..%d", max,
			    KS_MAX_BATCH);
		return KPG_EINVAL;
	}
	if (src->fatal)
		goto fatal;
	if (max > src->cap) {
		rd_kafka_message_t **v = realloc(src->msgs, max * sizeof(*v));
		if (v == NULL) {
			kpg_err_set(err, "kafka poll: out of memory for %zu records", max);
			return KPG_ENOMEM;
		}
		src->msgs = v;
		src->cap = max;
	}
	got = rd_kafka_consume_batch_queue(src->q, timeout_ms, src->msgs, max);
	if (got < 0) {
		kpg_err_set(err, "kafka poll: %s",
			    rd_kafka_err2str(rd_kafka_last_error()));
		return KPG_EIO;
	}
	src->held = (size_t)got;
	for (size_t i = 0; i < src->held; i++) {
		const rd_kafka_message_t *m = src->msgs[i];
		rd_kafka_timestamp_type_t tstype;

		if (m->err) {
			if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
				continue;
			if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
				src->fatal = 1;
				continue;
			}
			src->c.transient_errors++;
			if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET)
				log_errorx("%s [%d]: offset %lld is gone from Kafka and "
					   "auto.offset.reset is error: the partition "
					   "stops here (%s)",
					   m->rkt ? rd_kafka_topic_name(m->rkt) : "?",
					   (int)m->partition, (long long)m->offset,
					   rd_kafka_message_errstr(m));
			else
				log_warnx("kafka consume error %s: %s",
					  rd_kafka_err2name(m->err), rd_kafka_message_errstr(m));
			continue;
		}
		out[k].topic = rd_kafka_topic_name(m->rkt);
		out[k].partition = m->partition;
		out[k].offset = m->offset;
		out[k].key = m->key;
		out[k].key_len = m->key_len;
		out[k].payload = m->payload;
		out[k].len = m->len;
		out[k].timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
		if (tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
			out[k].timestamp_ms = -1;
		out[k].rkm = m;
		k++;
	}
	*n = k;
	src->c.records += k;
	if (src->fatal)
		goto fatal;
	return rc;
fatal : {
	char fstr[512];
	rd_kafka_resp_err_t r = rd_kafka_fatal_error(src->rk, fstr, sizeof(fstr));
	kpg_err_set(err, "kafka fatal error %s: %s", rd_kafka_err2name(r),
		    r ? fstr : "unknown");
	return KPG_EIO;
}
}

int kafka_src_header(const kafka_msg_view *msg, const char *name,
		     const void **val, size_t *len)
{
	rd_kafka_headers_t *hdrs = NULL;

	*val = NULL;
	*len = 0;
	if (msg->rkm == NULL ||
	    rd_kafka_message_headers((const rd_kafka_message_t *)msg->rkm, &hdrs) ||
	    rd_kafka_header_get_last(hdrs, name, val, len))
		return KPG_ENOTFOUND;
	return 0;
}

int kafka_src_store_offset(kafka_src *src, const char *topic,
			   int32_t partition, int64_t offset, kpg_err *err)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t r, pr;

	if (offset < 0 || offset == INT64_MAX) {
		kpg_err_set(err, "kafka store: bad offset %lld", (long long)offset);
		return KPG_EINVAL;
	}
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset + 1;
	r = rd_kafka_offsets_store(src->rk, l);
	pr = l->elems[0].err;
	rd_kafka_topic_partition_list_destroy(l);
	if (r || pr) {
		kpg_err_set(err, "kafka store offset %s [%d] @%lld: %s", topic,
			    (int)partition, (long long)offset,
			    rd_kafka_err2str(pr ? pr : r));
		return KPG_EINVAL;
	}
	return 0;
}

int kafka_src_commit_sync(kafka_src *src, kpg_err *err)
{
	rd_kafka_resp_err_t r = rd_kafka_commit(src->rk, NULL, 0);

	if (r && r != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		kpg_err_set(err, "kafka commit: %s", rd_kafka_err2str(r));
		return KPG_EIO;
	}
	return 0;
}

int kafka_src_fatal(const kafka_src *src)
{
	return src->fatal;
}

void kafka_src_get_counters(const kafka_src *src, kafka_src_counters *c)
{
	*c = src->c;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int kafka_src_close(kafka_src *src, int timeout_ms, kpg_err *err)
{
	rd_kafka_error_t *e;
	int64_t deadline;
	int closed = 0, rc = 0;

	if (src == NULL)
		return 0;
	if (timeout_ms <= 0)
		timeout_ms = KS_CLOSE_DEFAULT_MS;
	deadline = mono_ms() + timeout_ms;
	kafka_src_release_batch(src); /* 1. messages */
	/* 2. leave the group; its revoke and our callbacks are served from
	 * the consumer queue while we wait */
	e = rd_kafka_consumer_close_queue(src->rk, src->q);
	if (e != NULL) {
		kpg_err_set(err, "kafka close: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
		rc = KPG_EIO;
	} else {
		while (!(closed = rd_kafka_consumer_closed(src->rk)) &&
		       mono_ms() < deadline) {
			rd_kafka_message_t *m = rd_kafka_consume_queue(src->q, 100);
			if (m != NULL)
				rd_kafka_message_destroy(m); /* late fetches are dropped */
		}
		if (!closed) {
			kpg_err_set(err, "kafka close: the consumer did not leave "
					 "its group within %d ms",
				    timeout_ms);
			rc = KPG_EIO;
		}
	}
	rd_kafka_queue_destroy(src->q);
	/* 3. destroy; never a second, unbounded close */
	rd_kafka_destroy_flags(src->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	free(src->msgs);
	free(src->tps);
	free(src);
	return rc;
}
