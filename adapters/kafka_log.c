#include "kafka_log.h"

#include "kpg_log.h"

void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
		  const char *buf)
{
	(void)rk;
	if (level <= 3)
		log_errorx("kafka %s: %s", fac, buf);
	else if (level <= 4)
		log_warnx("kafka %s: %s", fac, buf);
	else if (level <= 6)
		log_info("kafka %s: %s", fac, buf);
	else
		log_debug("kafka %s: %s", fac, buf);
}
