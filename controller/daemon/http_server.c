/* http_server.c - /metrics, /healthz and /readyz over libmicrohttpd. We
 * bind the listening socket ourselves (getaddrinfo, then socket, bind,
 * listen) so that a bind failure reports its errno, and hand it to
 * libmicrohttpd, which closes it in MHD_stop_daemon. */
#include "http_server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <microhttpd.h>

#include "kpg_log.h"
#include "kpg_time.h"

struct http_server {
	struct MHD_Daemon *mhd;
	metrics *m;              /* borrowed */
	http_server_options opt; /* defaults filled in */
	unsigned port;
	int64_t started_ms; /* stands in for a heartbeat until the first */
};

#define HTTP_TEXT "text/plain; charset=utf-8"
#define HTTP_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define HTTP_REASON_MAX 256

/* Formats host:port for messages, with brackets around IPv6 literals. */
static void http_hostport(char *buf, size_t len, const char *host, unsigned port)
{
	if (strchr(host, ':') != NULL)
		snprintf(buf, len, "[%s]:%u", host, port);
	else
		snprintf(buf, len, "%s:%u", host, port);
}

/* Resolves host and returns a listening, non-blocking socket in *fd and
 * its family in *family. */
static int http_listen(const char *host, unsigned port, unsigned backlog,
		       int *fd, int *family, kpg_err *err)
{
	struct addrinfo hints, *res = NULL;
	char portstr[16], where[300];
	int s = -1, saved = 0, gai;
	const int one = 1;

	http_hostport(where, sizeof(where), host, port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	gai = getaddrinfo(host, portstr, &hints, &res);
	if (gai != 0) {
		kpg_err_set(err, "cannot listen on %s: the host does not resolve: %s",
			    where, gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		return KPG_EIO;
	}
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			   ai->ai_protocol);
		if (s < 0) {
			saved = errno;
			continue;
		}
		/* lets a restarted daemon rebind past TIME_WAIT; a second
		 * listener on the same port is still refused */
		if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
		    bind(s, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(s, (int)backlog) == 0) {
			*family = ai->ai_family;
			break;
		}
		saved = errno;
		close(s);
		s = -1;
	}
	freeaddrinfo(res);
	if (s < 0) {
		kpg_err_set(err, "cannot listen on %s: %s", where,
			    saved ? strerror(saved) : "no usable address");
		return KPG_EIO;
	}
	*fd = s;
	return 0;
}

static unsigned http_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/* libmicrohttpd's own error messages (failed accept, thread, ...). */
static void http_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warnx("http: %s", msg);
}

/* Queues one response. body is taken over when mode is
 * MHD_RESPMEM_MUST_FREE (freed here if the response cannot be made). */
static enum MHD_Result http_reply(struct MHD_Connection *c, unsigned status,
				  const char *type, void *body, size_t len,
				  enum MHD_ResponseMemoryMode mode, int allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (r == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO; /* libmicrohttpd closes the connection */
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
	    (allow && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result http_text(struct MHD_Connection *c, unsigned status,
				 const char *text)
{
	return http_reply(c, status, HTTP_TEXT, (void *)text, strlen(text),
			  MHD_RESPMEM_PERSISTENT, 0);
}

static enum MHD_Result http_textf(struct MHD_Connection *c, unsigned status,
				  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum MHD_Result http_textf(struct MHD_Connection *c, unsigned status,
				  const char *fmt, ...)
{
	char buf[HTTP_REASON_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return MHD_NO;
	return http_reply(c, status, HTTP_TEXT, buf, strlen(buf),
			  MHD_RESPMEM_MUST_COPY, 0);
}

/* Renders into a buffer sized by a first, counting pass; the values may
 * grow a few digits between the passes, so it retries a few times. */
static enum MHD_Result http_metrics(http_server *s, struct MHD_Connection *c)
{
	size_t need = metrics_render(s->m, NULL, 0), cap, n;
	char *buf;

	for (int tries = 0; tries < 4; tries++) {
		if (need > s->opt.metrics_max)
			return http_textf(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "metrics need %zu bytes, more than the %zu allowed\n",
					  need, s->opt.metrics_max);
		cap = need + need / 8 + 64;
		if (cap > s->opt.metrics_max + 1)
			cap = s->opt.metrics_max + 1;
		buf = malloc(cap);
		if (buf == NULL)
			return http_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		n = metrics_render(s->m, buf, cap);
		if (n < cap)
			return http_reply(c, MHD_HTTP_OK, HTTP_METRICS_TYPE, buf, n,
					  MHD_RESPMEM_MUST_FREE, 0);
		free(buf);
		need = n;
	}
	return http_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			 "metrics kept growing while rendering\n");
}

static enum MHD_Result http_healthz(http_server *s, struct MHD_Connection *c)
{
	int64_t hb = metrics_get_i64(&s->m->heartbeat_ms);
	int64_t now = kpg_time_now_ms();
	int64_t age = now - (hb != 0 ? hb : s->started_ms);
	double limit_s = (double)s->opt.stall_limit_ms / 1000.0;

	/* a negative age (the clock stepped back) counts as fresh */
	if (age <= s->opt.stall_limit_ms)
		return http_text(c, MHD_HTTP_OK, "ok\n");
	if (hb == 0)
		return http_textf(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "consumer loop not started %.1f s after start-up (limit %.1f s)\n",
				  (double)age / 1000.0, limit_s);
	return http_textf(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			  "consumer loop stalled: last heartbeat %.1f s ago (limit %.1f s)\n",
			  (double)age / 1000.0, limit_s);
}

static enum MHD_Result http_readyz(http_server *s, struct MHD_Connection *c)
{
	metrics_readiness r = metrics_get_ready(s->m);

	if (r == METRICS_READY)
		return http_text(c, MHD_HTTP_OK, "ready\n");
	return http_textf(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready: %s\n",
			  metrics_readiness_reason(r));
}

/* The response for one request, given its path and method. */
static enum MHD_Result http_route(http_server *s, struct MHD_Connection *c,
				  const char *url, const char *method)
{
	enum { R_METRICS,
	       R_HEALTHZ,
	       R_READYZ } route;

	if (strcmp(url, "/metrics") == 0)
		route = R_METRICS;
	else if (strcmp(url, "/healthz") == 0)
		route = R_HEALTHZ;
	else if (strcmp(url, "/readyz") == 0)
		route = R_READYZ;
	else
		return http_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		static const char msg[] = "method not allowed\n";

		return http_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, HTTP_TEXT,
				  (void *)msg, sizeof(msg) - 1,
				  MHD_RESPMEM_PERSISTENT, 1);
	}
	switch (route) {
	case R_METRICS:
		return http_metrics(s, c);
	case R_HEALTHZ:
		return http_healthz(s, c);
	case R_READYZ:
		break;
	}
	return http_readyz(s, c);
}

/* Whether the request announces a body (Content-Length > 0 or chunked). */
static int http_has_body(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL)
		return 1;
	return cl != NULL && cl[strspn(cl, "0")] != '\0';
}

/* Per-request state in *con_cls (libmicrohttpd resets it per request). */
static int http_deferred, http_answered;

/* libmicrohttpd calls this once with the headers, then once per piece of
 * body, then once more with none. A request without a body is answered on
 * that last call, which keeps the connection alive for the next scrape.
 * One with a body is answered at once: libmicrohttpd then closes the
 * connection without reading the body. */
static enum MHD_Result http_answer(void *cls, struct MHD_Connection *c,
				   const char *url, const char *method,
				   const char *version, const char *upload_data,
				   size_t *upload_data_size, void **con_cls)
{
	http_server *s = cls;

	(void)version;
	(void)upload_data;
	if (*con_cls == NULL && !http_has_body(c)) {
		*con_cls = &http_deferred;
		return MHD_YES;
	}
	if (*con_cls == NULL || (*con_cls == &http_deferred && *upload_data_size == 0)) {
		*con_cls = &http_answered;
		return http_route(s, c, url, method);
	}
	*upload_data_size = 0; /* dropped unread */
	return MHD_YES;
}

int http_server_start(http_server **out, const char *host, unsigned port,
		      metrics *m, const http_server_options *opt, kpg_err *err)
{
	http_server *s = NULL;
	int fd = -1, family = AF_UNSPEC, rc;
	unsigned flags;
	char where[300];

	if (out == NULL || host == NULL || m == NULL || port > 65535) {
		kpg_err_set(err, "http_server_start: bad arguments");
		return KPG_EINVAL;
	}
	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		kpg_err_set(err, "out of memory starting the HTTP server");
		return KPG_ENOMEM;
	}
	s->m = m;
	if (opt != NULL)
		s->opt = *opt;
	if (s->opt.connection_limit == 0)
		s->opt.connection_limit = HTTP_SERVER_CONNECTION_LIMIT;
	if (s->opt.connection_timeout_s == 0)
		s->opt.connection_timeout_s = HTTP_SERVER_CONNECTION_TIMEOUT_S;
	if (s->opt.stall_limit_ms <= 0)
		s->opt.stall_limit_ms = HTTP_SERVER_STALL_LIMIT_MS;
	if (s->opt.metrics_max == 0)
		s->opt.metrics_max = HTTP_SERVER_METRICS_MAX;

	rc = http_listen(host, port, s->opt.connection_limit, &fd, &family, err);
	if (rc != 0)
		goto fail;
	s->port = http_bound_port(fd);
	s->started_ms = kpg_time_now_ms();
	flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, http_answer, s,
				  MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
				  MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				  MHD_OPTION_CONNECTION_LIMIT, s->opt.connection_limit,
				  MHD_OPTION_CONNECTION_TIMEOUT, s->opt.connection_timeout_s,
				  MHD_OPTION_END);
	fd = -1; /* now owned, and closed, by libmicrohttpd */
	if (s->mhd == NULL) {
		http_hostport(where, sizeof(where), host, port);
		kpg_err_set(err, "cannot serve HTTP on %s: libmicrohttpd did not start", where);
		rc = KPG_EIO;
		goto fail;
	}
	*out = s;
	return 0;

fail:
	free(s);
	return rc;
}

unsigned http_server_port(const http_server *s)
{
	return s ? s->port : 0;
}

void http_server_stop(http_server *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->mhd);
	free(s);
}
