/* kafka_log.h - librdkafka's log lines into kpigate's JSON-lines log, for
 * every client (consumer, dead-letter producer). Safe on any thread: the
 * log writes each line whole. */
#ifndef KAFKA_LOG_H
#define KAFKA_LOG_H

#include <librdkafka/rdkafka.h>

/* For rd_kafka_conf_set_log_cb: syslog levels 0-3 error, 4 warn, 5-6
 * info, 7 debug. */
void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
		  const char *buf);

#endif
