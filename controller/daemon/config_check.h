/* config_check.h - host:port parsing for the configuration's Kafka
 * servers and HTTP listener. */
#ifndef CONFIG_CHECK_H
#define CONFIG_CHECK_H

#include <stddef.h>

/* Parses "host:port", "[v6]:port" or, when port_optional (a Kafka server),
 * a bare host; a Kafka server's port is 1..65535, http.listen may say 0
 * (any free port, logged at start). Fills host (without brackets) and
 * *port (0 when absent). Returns NULL, or a static sentence saying what
 * is wrong. */
const char *config_parse_hostport(const char *s, size_t len, int port_optional,
				  char *host, size_t hostlen, unsigned *port);

#endif
