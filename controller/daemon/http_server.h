/* http_server.h - the daemon's health and metrics endpoint (libmicrohttpd).
 *
 *   GET /metrics  metrics_render(), Prometheus text format 0.0.4
 *   GET /healthz  liveness: 200 "ok" while the consumer loop's heartbeat
 *                 (metrics.heartbeat_ms) is younger than the stall limit,
 *                 else 503 with a one-line reason. Before the first
 *                 heartbeat the server's own start time stands in for it,
 *                 so a slow start-up gets one stall limit of grace.
 *   GET /readyz   readiness: 200 when metrics.ready is METRICS_READY,
 *                 else 503 with metrics_readiness_reason().
 * HEAD is answered wherever GET is; other methods get 405 with
 * "Allow: GET, HEAD"; other paths 404. No request body is ever read.
 *
 * Threading: libmicrohttpd runs one internal polling thread per server;
 * every request is answered on it and only reads the metrics (relaxed
 * atomics), so the consumer loop never waits for a scrape. */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"
#include "metrics.h"

#define HTTP_SERVER_CONNECTION_LIMIT 64
#define HTTP_SERVER_CONNECTION_TIMEOUT_S 10
#define HTTP_SERVER_STALL_LIMIT_MS 60000
#define HTTP_SERVER_METRICS_MAX (4u << 20) /* cap on one /metrics body */

/* Every field 0 = its default above. */
typedef struct http_server_options {
	unsigned connection_limit;     /* concurrent connections; more wait
					  in the listen backlog until one
					  closes */
	unsigned connection_timeout_s; /* an idle connection is closed */
	int64_t stall_limit_ms;        /* /healthz fails past this heartbeat age */
	size_t metrics_max;            /* /metrics answers 500 past this size */
} http_server_options;

typedef struct http_server http_server;

/* Binds host:port and starts serving. host is a numeric IPv4 or IPv6
 * address without brackets ("127.0.0.1", "0.0.0.0", "::1", "::") or a
 * name resolved with getaddrinfo (the first address that binds wins);
 * port 0 picks an ephemeral port (see http_server_port). m is borrowed
 * until http_server_stop returns; opt is copied (NULL = defaults).
 * Returns 0 with *out (caller stops it with http_server_stop), KPG_EINVAL
 * for bad arguments, KPG_EIO when the host does not resolve or the
 * address cannot be bound (the message names host:port and the reason),
 * KPG_ENOMEM. */
int http_server_start(http_server **out, const char *host, unsigned port,
		      metrics *m, const http_server_options *opt, kpg_err *err);

/* The port actually bound (the ephemeral one when started with 0). */
unsigned http_server_port(const http_server *s);

/* Closes every connection and the listening socket, joins the thread and
 * frees s. Does not wait for clients. NULL is allowed. */
void http_server_stop(http_server *s);

#endif
