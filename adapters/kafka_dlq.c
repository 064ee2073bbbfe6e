#include "kafka_dlq.h"
#include "kafka_log.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kafka_dlq {
	rd_kafka_t *rk;
	char *topic;
	uint64_t delivered, failed;
	char last_error[256];
};

/* Runs inside rd_kafka_poll / rd_kafka_flush on the caller's thread. */
static void dlq_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	kafka_dlq *q = opaque;

	(void)rk;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		q->delivered++;
	} else {
		q->failed++;
		snprintf(q->last_error, sizeof(q->last_error), "%s",
			 rd_kafka_err2str(m->err));
	}
}

/* Properties only a consumer understands would make the producer complain. */
static int dlq_consumer_only(const char *name)
{
	static const char *const prefixes[] = {
		"group.",
		"enable.auto.",
		"auto.",
		"session.timeout",
		"heartbeat.",
		"max.poll",
		"partition.assignment",
		"fetch.",
		"isolation.level",
		"enable.partition.eof",
		"check.crcs",
		"queued.",
		"consume.",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

int kafka_dlq_new(kafka_dlq **out, const char *bootstrap_servers,
		  const char *const *props, size_t n_props, const char *topic,
		  kpg_err *err)
{
	kafka_dlq *q = calloc(1, sizeof(*q));
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512];

	*out = NULL;
	if (q == NULL || conf == NULL || (q->topic = strdup(topic)) == NULL) {
		kpg_err_set(err, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n_props; i++) {
		if (dlq_consumer_only(props[2 * i]))
			continue;
		if (rd_kafka_conf_set(conf, props[2 * i], props[2 * i + 1], errstr,
				      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
			kpg_err_set(err, "dead-letter producer: %s", errstr);
			goto fail;
		}
	}
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_servers, errstr,
			      sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "acks", "all", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr,
			      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		kpg_err_set(err, "dead-letter producer: %s", errstr);
		goto fail;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, dlq_delivery);
	rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
	rd_kafka_conf_set_opaque(conf, q);
	q->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (q->rk == NULL) {
		kpg_err_set(err, "dead-letter producer: %s", errstr);
		goto fail;
	}
	conf = NULL; /* now owned, and freed, by rk */
	*out = q;
	return 0;
fail:
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	if (q != NULL)
		free(q->topic);
	free(q);
	return KPG_EINVAL;
}

int kafka_dlq_send(kafka_dlq *q, const void *key, size_t key_len,
		   const void *value, size_t len, const char *reason,
		   const char *message, const char *src_topic,
		   int32_t src_partition, int64_t src_offset, kpg_err *err)
{
	char source[320];
	rd_kafka_resp_err_t e;

	snprintf(source, sizeof(source), "%s/%d/%lld", src_topic, (int)src_partition,
		 (long long)src_offset);
	e = rd_kafka_producev(q->rk, RD_KAFKA_V_TOPIC(q->topic),
			      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			      RD_KAFKA_V_KEY((void *)key, key_len),
			      RD_KAFKA_V_VALUE((void *)value, len),
			      RD_KAFKA_V_HEADER("kpigate-reason", reason, -1),
			      RD_KAFKA_V_HEADER("kpigate-message", message, -1),
			      RD_KAFKA_V_HEADER("kpigate-source", source, -1),
			      RD_KAFKA_V_END);
	rd_kafka_poll(q->rk, 0); /* serve delivery reports */
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		kpg_err_set(err, "dead-letter topic %s: %s", q->topic, rd_kafka_err2str(e));
		return KPG_EIO;
	}
	return 0;
}

int kafka_dlq_flush(kafka_dlq *q, int timeout_ms, kpg_err *err)
{
	rd_kafka_resp_err_t e = rd_kafka_flush(q->rk, timeout_ms);

	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		kpg_err_set(err, "dead-letter topic %s: %s", q->topic, rd_kafka_err2str(e));
		return KPG_EIO;
	}
	if (q->failed > 0) {
		kpg_err_set(err, "dead-letter topic %s: %llu deliveries failed, last: %s",
			    q->topic, (unsigned long long)q->failed, q->last_error);
		return KPG_EIO; /* sticky: the owner must not checkpoint past them */
	}
	return 0;
}

uint64_t kafka_dlq_delivered(const kafka_dlq *q)
{
	return q->delivered;
}

void kafka_dlq_close(kafka_dlq *q, int timeout_ms)
{
	if (q == NULL)
		return;
	rd_kafka_flush(q->rk, timeout_ms);
	rd_kafka_destroy(q->rk);
	free(q->topic);
	free(q);
}
