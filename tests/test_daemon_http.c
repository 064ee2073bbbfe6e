/* HTTP endpoint: a tiny blocking HTTP/1.1 client over loopback checks
 * /metrics, /healthz and /readyz, the 404/405 answers, bind errors, IPv6,
 * the connection limit and timeout, and that stop neither hangs on a
 * connected client nor leaks descriptors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http_server.h"
#include "kpg_time.h"

typedef struct resp {
	int status;      /* -1 when no status line came */
	char head[4096]; /* status line and headers */
	char body[65536];
	size_t body_len;
	int eof_errno; /* errno of a failed read, 0 after a clean EOF */
} resp;

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A connected loopback socket (AF_INET or AF_INET6) with a 5 s receive
 * timeout, so that a server that never answers fails the test. */
static int dial(int family, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct timeval tv = {5, 0};
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	fd = socket(family, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		assert_true(w > 0);
		s += w;
		n -= (size_t)w;
	}
}

/* Reads to EOF and splits status line, headers and body. */
static void read_resp(int fd, resp *r)
{
	static char raw[sizeof(r->head) + sizeof(r->body)];
	size_t n = 0;
	char *sep;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	for (;;) {
		ssize_t got = recv(fd, raw + n, sizeof(raw) - 1 - n, 0);

		if (got == 0)
			break;
		if (got < 0) {
			r->eof_errno = errno;
			break;
		}
		n += (size_t)got;
		assert_true(n < sizeof(raw) - 1);
	}
	raw[n] = '\0';
	sep = strstr(raw, "\r\n\r\n");
	if (sep == NULL || sscanf(raw, "HTTP/1.%*d %d", &r->status) != 1)
		return;
	assert_true((size_t)(sep - raw) < sizeof(r->head));
	memcpy(r->head, raw, (size_t)(sep - raw) + 2);
	r->body_len = n - (size_t)(sep + 4 - raw);
	memcpy(r->body, sep + 4, r->body_len);
}

/* One request on a fresh connection ("Connection: close"); body may be
 * NULL. */
static void request(int family, unsigned port, const char *method,
		    const char *path, const char *body, resp *r)
{
	char req[512];
	int fd = dial(family, port);

	if (body != NULL)
		snprintf(req, sizeof(req),
			 "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
			 "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
			 method, path, strlen(body), body);
	else
		snprintf(req, sizeof(req),
			 "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
			 method, path);
	send_all(fd, req, strlen(req));
	read_resp(fd, r);
	close(fd);
}

static void get(unsigned port, const char *path, resp *r)
{
	request(AF_INET, port, "GET", path, NULL, r);
}

/* The value of header name in r, or NULL (copied into a static buffer). */
static const char *header(const resp *r, const char *name)
{
	static char val[512];
	size_t nl = strlen(name);
	const char *line = strstr(r->head, "\r\n");

	while (line != NULL && line[2] != '\0') {
		const char *end;

		line += 2;
		end = strstr(line, "\r\n");
		if (end == NULL)
			break;
		if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;

			while (*v == ' ')
				v++;
			snprintf(val, sizeof(val), "%.*s", (int)(end - v), v);
			return val;
		}
		line = end;
	}
	return NULL;
}

static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static http_server *start(metrics *m, const http_server_options *opt)
{
	http_server *s = NULL;
	kpg_err err;

	kpg_err_clear(&err);
	if (http_server_start(&s, "127.0.0.1", 0, m, opt, &err) != 0)
		fail_msg("start: %s", err.msg);
	assert_true(http_server_port(s) > 0);
	return s;
}

static void test_metrics(void **state)
{
	metrics m;
	http_server *s;
	resp r;
	char expect[65536];
	size_t n;

	(void)state;
	metrics_init(&m);
	metrics_add(&m.capture_records, 12345);
	metrics_add(&m.state_handovers, 2);
	metrics_set(&m.open_windows, 7);
	s = start(&m, NULL);

	get(http_server_port(s), "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "Content-Type"),
			    "text/plain; version=0.0.4; charset=utf-8");
	assert_non_null(strstr(r.body, "\nkpigate_capture_records_total 12345\n"));
	assert_non_null(strstr(r.body, "\nkpigate_state_handovers_total 2\n"));
	assert_non_null(strstr(r.body, "\nkpigate_open_windows 7\n"));
	/* nothing changed in between: the body is exactly the rendering */
	n = metrics_render(&m, expect, sizeof(expect));
	assert_true(n < sizeof(expect));
	assert_int_equal(r.body_len, n);
	assert_memory_equal(r.body, expect, n);

	/* a query string does not change the route */
	get(http_server_port(s), "/metrics?name=x", &r);
	assert_int_equal(r.status, 200);

	/* HEAD: same status and type, no body */
	request(AF_INET, http_server_port(s), "HEAD", "/metrics", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(header(&r, "Content-Type"),
			    "text/plain; version=0.0.4; charset=utf-8");
	http_server_stop(s);
}

static void test_metrics_cap(void **state)
{
	metrics m;
	http_server_options opt = {0};
	http_server *s;
	resp r;

	(void)state;
	metrics_init(&m);
	opt.metrics_max = 100;
	s = start(&m, &opt);
	get(http_server_port(s), "/metrics", &r);
	assert_int_equal(r.status, 500);
	assert_non_null(strstr(r.body, "more than the 100 allowed"));
	http_server_stop(s);
}

static void test_healthz(void **state)
{
	metrics m;
	http_server_options opt = {0};
	http_server *s;
	resp r;

	(void)state;
	metrics_init(&m);
	opt.stall_limit_ms = 1000;
	s = start(&m, &opt);

	/* no heartbeat yet: the start-up grace */
	get(http_server_port(s), "/healthz", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");
	sleep_ms(1300);
	get(http_server_port(s), "/healthz", &r);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body, "consumer loop not started"));

	metrics_heartbeat(&m, kpg_time_now_ms());
	get(http_server_port(s), "/healthz", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");

	metrics_heartbeat(&m, kpg_time_now_ms() - 120000);
	get(http_server_port(s), "/healthz", &r);
	assert_int_equal(r.status, 503);
	assert_true(strncmp(r.body, "consumer loop stalled: last heartbeat 120.", 42) == 0);
	/* one line */
	assert_ptr_equal(strchr(r.body, '\n'), r.body + r.body_len - 1);

	request(AF_INET, http_server_port(s), "HEAD", "/healthz", NULL, &r);
	assert_int_equal(r.status, 503);
	assert_int_equal(r.body_len, 0);
	http_server_stop(s);
}

static void test_readyz(void **state)
{
	metrics m;
	http_server *s;
	resp r;

	(void)state;
	metrics_init(&m);
	s = start(&m, NULL);
	get(http_server_port(s), "/readyz", &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "not ready: consumer not started yet\n");

	metrics_set_ready(&m, METRICS_UNASSIGNED);
	get(http_server_port(s), "/readyz", &r);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body, "no partitions assigned"));

	metrics_set_ready(&m, METRICS_READY);
	get(http_server_port(s), "/readyz", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ready\n");
	get(http_server_port(s), "/metrics", &r);
	assert_non_null(strstr(r.body, "\nkpigate_ready 1\n"));

	metrics_set_ready(&m, METRICS_STOPPING);
	get(http_server_port(s), "/readyz", &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "not ready: shutting down\n");
	http_server_stop(s);
}

static void test_not_found_and_method(void **state)
{
	metrics m;
	http_server *s;
	resp r;

	(void)state;
	metrics_init(&m);
	s = start(&m, NULL);
	get(http_server_port(s), "/", &r);
	assert_int_equal(r.status, 404);
	get(http_server_port(s), "/metrics/extra", &r);
	assert_int_equal(r.status, 404);
	get(http_server_port(s), "/HEALTHZ", &r);
	assert_int_equal(r.status, 404);

	request(AF_INET, http_server_port(s), "POST", "/metrics", "a=1&b=2", &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(header(&r, "Allow"), "GET, HEAD");
	request(AF_INET, http_server_port(s), "DELETE", "/readyz", NULL, &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(header(&r, "Allow"), "GET, HEAD");
	request(AF_INET, http_server_port(s), "PUT", "/healthz", "x", &r);
	assert_int_equal(r.status, 405);

	/* still serving afterwards */
	get(http_server_port(s), "/healthz", &r);
	assert_int_equal(r.status, 200);
	http_server_stop(s);
}

static void test_bind_errors(void **state)
{
	metrics m;
	http_server *a, *b = NULL;
	kpg_err err;
	char where[64];

	(void)state;
	metrics_init(&m);
	a = start(&m, NULL);
	kpg_err_clear(&err);
	assert_int_equal(http_server_start(&b, "127.0.0.1", http_server_port(a), &m,
					   NULL, &err),
			 KPG_EIO);
	assert_null(b);
	snprintf(where, sizeof(where), "127.0.0.1:%u", http_server_port(a));
	assert_non_null(strstr(err.msg, where));
	assert_non_null(strstr(err.msg, strerror(EADDRINUSE)));
	http_server_stop(a);

	/* an address this host does not have (TEST-NET-1) */
	kpg_err_clear(&err);
	assert_int_equal(http_server_start(&b, "192.0.2.1", 0, &m, NULL, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "192.0.2.1:0"));

	kpg_err_clear(&err);
	assert_int_equal(http_server_start(&b, NULL, 0, &m, NULL, &err), KPG_EINVAL);
	assert_int_equal(http_server_start(&b, "127.0.0.1", 70000, &m, NULL, &err),
			 KPG_EINVAL);
	assert_int_equal(http_server_start(&b, "127.0.0.1", 0, NULL, NULL, &err),
			 KPG_EINVAL);
	http_server_stop(NULL);
}

static int ipv6_loopback_works(void)
{
	struct sockaddr_in6 a;
	int fd = socket(AF_INET6, SOCK_STREAM, 0), ok;

	if (fd < 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void test_ipv6(void **state)
{
	metrics m;
	http_server *s = NULL, *b = NULL;
	kpg_err err;
	resp r;
	char where[64];

	(void)state;
	if (!ipv6_loopback_works())
		skip();
	metrics_init(&m);
	metrics_heartbeat(&m, kpg_time_now_ms());
	kpg_err_clear(&err);
	if (http_server_start(&s, "::1", 0, &m, NULL, &err) != 0)
		fail_msg("start on ::1: %s", err.msg);
	assert_true(http_server_port(s) > 0);
	request(AF_INET6, http_server_port(s), "GET", "/healthz", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");

	assert_int_equal(http_server_start(&b, "::1", http_server_port(s), &m, NULL,
					   &err),
			 KPG_EIO);
	snprintf(where, sizeof(where), "[::1]:%u", http_server_port(s));
	assert_non_null(strstr(err.msg, where));
	http_server_stop(s);
}

/* Keep-alive: reads one response with a Content-Length body. */
static int read_one(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	char *sep = NULL;
	const char *cl;
	long body = -1;

	while (n < cap - 1) {
		ssize_t got = recv(fd, buf + n, cap - 1 - n, 0);

		if (got <= 0)
			return -1;
		n += (size_t)got;
		buf[n] = '\0';
		if (sep == NULL && (sep = strstr(buf, "\r\n\r\n")) != NULL) {
			cl = strstr(buf, "Content-Length: ");
			if (cl == NULL)
				return -1;
			body = strtol(cl + 16, NULL, 10);
		}
		if (sep != NULL && (long)(n - (size_t)(sep + 4 - buf)) >= body)
			return 0;
	}
	return -1;
}

static void set_rcvtimeo(int fd, long ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
}

static void test_connection_limit(void **state)
{
	static const char keep[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
	static const char once[] = "GET /readyz HTTP/1.1\r\nHost: t\r\n"
				   "Connection: close\r\n\r\n";
	metrics m;
	http_server_options opt = {0};
	http_server *s;
	char buf[4096];
	resp r;
	int a, b;

	(void)state;
	metrics_init(&m);
	opt.connection_limit = 1;
	s = start(&m, &opt);

	/* a is served and kept alive: it holds the only slot */
	a = dial(AF_INET, http_server_port(s));
	send_all(a, keep, sizeof(keep) - 1);
	assert_int_equal(read_one(a, buf, sizeof(buf)), 0);
	assert_true(strncmp(buf, "HTTP/1.1 200", 12) == 0);
	assert_null(strstr(buf, "Connection: close"));

	/* b waits in the listen backlog: no answer within a second */
	b = dial(AF_INET, http_server_port(s));
	send_all(b, once, sizeof(once) - 1);
	set_rcvtimeo(b, 1000);
	read_resp(b, &r);
	assert_int_equal(r.status, -1);
	assert_true(r.eof_errno == EAGAIN || r.eof_errno == EWOULDBLOCK);

	/* a is still served on its connection */
	send_all(a, keep, sizeof(keep) - 1);
	assert_int_equal(read_one(a, buf, sizeof(buf)), 0);
	assert_true(strncmp(buf, "HTTP/1.1 200", 12) == 0);

	/* once a goes, b gets its answer */
	close(a);
	set_rcvtimeo(b, 5000);
	read_resp(b, &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "not ready: consumer not started yet\n");
	close(b);
	http_server_stop(s);
}

static void test_connection_timeout(void **state)
{
	metrics m;
	http_server_options opt = {0};
	http_server *s;
	resp r;
	double t0, dt;
	int fd;

	(void)state;
	metrics_init(&m);
	opt.connection_timeout_s = 1;
	s = start(&m, &opt);
	fd = dial(AF_INET, http_server_port(s));
	send_all(fd, "GET /metr", 9); /* and then nothing */
	t0 = now_s();
	read_resp(fd, &r);
	dt = now_s() - t0;
	close(fd);
	assert_int_equal(r.eof_errno, 0); /* closed, not our 5 s timeout */
	assert_true(dt > 0.5 && dt < 4.0);
	http_server_stop(s);
}

static void test_stop_with_client(void **state)
{
	metrics m;
	http_server *s;
	resp r;
	double t0, dt;
	int idle, partial;

	(void)state;
	metrics_init(&m);
	s = start(&m, NULL);
	idle = dial(AF_INET, http_server_port(s));
	partial = dial(AF_INET, http_server_port(s));
	send_all(partial, "GET /metrics HTTP/1.1\r\nHost:", 28);
	sleep_ms(200);

	alarm(60); /* a hang fails the run instead of stalling it */
	t0 = now_s();
	http_server_stop(s);
	dt = now_s() - t0;
	alarm(0);
	assert_true(dt < 2.0);

	/* both clients see the connection end, not the 5 s receive timeout */
	read_resp(partial, &r);
	assert_true(r.eof_errno == 0 || r.eof_errno == ECONNRESET);
	assert_int_equal(r.status, -1);
	read_resp(idle, &r);
	assert_true(r.eof_errno == 0 || r.eof_errno == ECONNRESET);
	close(idle);
	close(partial);
}

static void test_no_fd_leak(void **state)
{
	metrics m;
	unsigned before;
	resp r;

	(void)state;
	metrics_init(&m);
	before = count_fds();
	for (int i = 0; i < 5; i++) {
		http_server *s = start(&m, NULL);

		get(http_server_port(s), "/healthz", &r);
		assert_int_equal(r.status, 200);
		http_server_stop(s);
	}
	assert_int_equal(count_fds(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_metrics_cap),
		cmocka_unit_test(test_healthz),
		cmocka_unit_test(test_readyz),
		cmocka_unit_test(test_not_found_and_method),
		cmocka_unit_test(test_bind_errors),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_connection_limit),
		cmocka_unit_test(test_connection_timeout),
		cmocka_unit_test(test_stop_with_client),
		cmocka_unit_test(test_no_fd_leak),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
