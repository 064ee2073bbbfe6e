/* test_adapters_webhook.c - the webhook sender: HMAC-SHA256 against the
 * RFC 4231 test vectors, the signature header, secret loading (file,
 * environment, empty, too long, never in a message), status classes,
 * the audit host of a URL; and deliveries to the local receiver
 * (tests/support/webhook_receiver.py), which checks every signature:
 * delivered and signed, retried after failures, a final 4xx not retried,
 * a wrong secret refused (the mutation check of the signature), a closed
 * port retried. The receiver tests skip when python3 is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "webhook.h"

#define RECEIVER KPG_TEST_DATA_DIR "/../support/webhook_receiver.py"
#define PYTHON "/usr/bin/python3"
#define SECRET "whsec-kpg-test-0001/abc+def"

static char dir[64];
static char secret_path[128];
static pid_t rx_pid = -1;
static char rx_url[128];

/* --- RFC 4231 -------------------------------------------------------- */

static void unhex(const char *h, unsigned char *out, size_t *n)
{
	*n = 0;
	for (; h[0] && h[1]; h += 2) {
		unsigned v;

		sscanf(h, "%2x", &v);
		out[(*n)++] = (unsigned char)v;
	}
}

static void check_vector(const char *key_hex, const char *data_hex, const char *mac_hex,
			 size_t truncate)
{
	unsigned char key[256], data[256], mac[32], want[32];
	size_t kn, dn, wn;

	unhex(key_hex, key, &kn);
	unhex(data_hex, data, &dn);
	unhex(mac_hex, want, &wn);
	assert_int_equal(webhook_hmac_sha256(key, kn, data, dn, mac), 0);
	assert_memory_equal(mac, want, truncate ? truncate : 32);
}

static void test_rfc4231(void **state)
{
	(void)state;
	/* test case 1 */
	check_vector("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
		     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
		     0);
	/* test case 2: "Jefe" / "what do ya want for nothing?" */
	check_vector("4a656665",
		     "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		     0);
	/* test case 3 */
	check_vector("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		     "dddddddddddddddddddddddddddddddddddddddddddddddddd"
		     "dddddddddddddddddddddddddddddddddddddddddddddddddd",
		     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
		     0);
	/* test case 5: truncated to 128 bits */
	check_vector("0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
		     "546573742057697468205472756e636174696f6e",
		     "a3b6167473100ee06e0c796c2955552b", 16);
	/* test case 6: a key longer than the block size */
	check_vector("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaa",
		     "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a"
		     "65204b6579202d2048617368204b6579204669727374",
		     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
		     0);
}

static void test_signature_header(void **state)
{
	webhook_secret s = {(unsigned char *)"Jefe", 4};
	const char *body = "what do ya want for nothing?";
	char sig[WEBHOOK_SIG_LEN];

	(void)state;
	assert_int_equal(webhook_signature(&s, body, strlen(body), sig), 0);
	assert_string_equal(sig, "sha256=5bdcc146bf60754e6a042426089575c7"
				 "5a003f089d2739839dec58b964ec3843");
	assert_int_not_equal(webhook_signature(NULL, body, 1, sig), 0);
}

/* --- secrets ---------------------------------------------------------- */

static void write_file(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void test_secret_load(void **state)
{
	webhook_secret s;
	kpg_err err;
	char path[160], *big;

	(void)state;
	snprintf(path, sizeof(path), "%s/s1", dir);
	write_file(path, "topsecret\n", 10);
	assert_int_equal(webhook_secret_load(path, NULL, &s, &err), 0);
	assert_int_equal(s.len, 9);
	assert_memory_equal(s.key, "topsecret", 9);
	webhook_secret_free(&s);
	assert_null(s.key);

	setenv("KPG_TEST_WEBHOOK_SECRET", "envsecret", 1);
	assert_int_equal(webhook_secret_load(NULL, "KPG_TEST_WEBHOOK_SECRET", &s, &err), 0);
	assert_int_equal(s.len, 9);
	webhook_secret_free(&s);

	/* both, neither, empty, missing, too long: errors naming no value */
	assert_int_equal(webhook_secret_load(path, "KPG_TEST_WEBHOOK_SECRET", &s, &err),
			 KPG_EINVAL);
	assert_int_equal(webhook_secret_load(NULL, NULL, &s, &err), KPG_EINVAL);
	setenv("KPG_TEST_WEBHOOK_SECRET", "", 1);
	assert_int_equal(webhook_secret_load(NULL, "KPG_TEST_WEBHOOK_SECRET", &s, &err),
			 KPG_EINVAL);
	unsetenv("KPG_TEST_WEBHOOK_SECRET");
	assert_int_equal(webhook_secret_load(NULL, "KPG_TEST_WEBHOOK_SECRET", &s, &err),
			 KPG_EINVAL);
	write_file(path, "\n", 1);
	assert_int_equal(webhook_secret_load(path, NULL, &s, &err), KPG_EINVAL);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(webhook_secret_load(path, NULL, &s, &err), KPG_EIO);
	big = malloc(WEBHOOK_SECRET_MAX + 2);
	assert_non_null(big);
	memset(big, 'x', WEBHOOK_SECRET_MAX + 1);
	snprintf(path, sizeof(path), "%s/big", dir);
	write_file(path, big, WEBHOOK_SECRET_MAX + 1);
	free(big);
	assert_int_equal(webhook_secret_load(path, NULL, &s, &err), KPG_ETOOBIG);
	assert_null(strstr(err.msg, "xxxx"));
	assert_null(s.key);
}

/* --- classes and hosts ---------------------------------------------- */

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(webhook_classify(200), WEBHOOK_OK);
	assert_int_equal(webhook_classify(204), WEBHOOK_OK);
	assert_int_equal(webhook_classify(408), WEBHOOK_RETRYABLE);
	assert_int_equal(webhook_classify(429), WEBHOOK_RETRYABLE);
	assert_int_equal(webhook_classify(500), WEBHOOK_RETRYABLE);
	assert_int_equal(webhook_classify(503), WEBHOOK_RETRYABLE);
	assert_int_equal(webhook_classify(0), WEBHOOK_RETRYABLE);
	assert_int_equal(webhook_classify(301), WEBHOOK_FAILED);
	assert_int_equal(webhook_classify(400), WEBHOOK_FAILED);
	assert_int_equal(webhook_classify(401), WEBHOOK_FAILED);
	assert_int_equal(webhook_classify(404), WEBHOOK_FAILED);
	assert_string_equal(webhook_outcome_name(WEBHOOK_RETRYABLE), "retryable");
}

static void test_url_host(void **state)
{
	char host[64];
	kpg_err err;

	(void)state;
	assert_int_equal(webhook_url_host("https://user:pw@hooks.example.com/x?token=s",
					  host, sizeof(host), &err),
			 0);
	assert_string_equal(host, "hooks.example.com");
	assert_int_equal(webhook_url_host("http://127.0.0.1:8080/hook", host,
					  sizeof(host), &err),
			 0);
	assert_string_equal(host, "127.0.0.1:8080");
	assert_int_equal(webhook_url_host("ftp://x/", host, sizeof(host), &err), KPG_EINVAL);
	assert_int_equal(webhook_url_host("https://a-rather-long-host-name-that-does-not-fit"
					  ".example.com/",
					  host, 16, &err),
			 KPG_ETOOBIG);
}

static void test_bad_requests(void **state)
{
	webhook_request rq = {.url = "http://127.0.0.1:1/", .body = "{}", .body_len = 2};
	const char *hdrs[] = {"Authorization: Bearer s3cr3t\r\nX: y", NULL};
	webhook_result res;
	kpg_err err;

	(void)state;
	rq.url = "file:///etc/passwd";
	assert_int_equal(webhook_send_once(&rq, &res, &err), KPG_EINVAL);
	rq.url = "http://127.0.0.1:1/";
	rq.headers = hdrs;
	assert_int_equal(webhook_send_once(&rq, &res, &err), KPG_EINVAL);
	assert_null(strstr(err.msg, "s3cr3t"));
	rq.headers = NULL;
	rq.idempotency_key = "k\nInjected: 1";
	assert_int_equal(webhook_send_once(&rq, &res, &err), KPG_EINVAL);
}

/* --- the receiver ----------------------------------------------------- */

typedef struct buf {
	char *p;
	size_t n;
} buf;

static size_t buf_write(char *d, size_t s, size_t nm, void *o)
{
	buf *b = o;
	char *p = realloc(b->p, b->n + s * nm + 1);

	if (!p)
		return 0;
	memcpy(p + b->n, d, s * nm);
	b->p = p;
	b->n += s * nm;
	b->p[b->n] = '\0';
	return s * nm;
}

static json_t *control(const char *path, const char *body)
{
	char url[256];
	buf b = {NULL, 0};
	CURL *h = curl_easy_init();
	json_t *j;

	assert_non_null(h);
	snprintf(url, sizeof(url), "%s%s", rx_url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_cleanup(h);
	j = json_loads(b.p ? b.p : "{}", 0, NULL);
	free(b.p);
	assert_non_null(j);
	return j;
}

static int receiver_start(void)
{
	int out[2];
	char line[256];
	size_t n = 0;
	struct pollfd pfd;

	if (access(RECEIVER, R_OK) != 0 || access(PYTHON, X_OK) != 0)
		return -1;
	if (pipe(out))
		return -1;
	rx_pid = fork();
	if (rx_pid < 0)
		return -1;
	if (rx_pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execl(PYTHON, PYTHON, RECEIVER, "--secret-file", secret_path, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	pfd.fd = out[0];
	pfd.events = POLLIN;
	while (n < sizeof(line) - 1 && poll(&pfd, 1, 20000) > 0) {
		if (read(out[0], line + n, 1) != 1 || line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	close(out[0]);
	if (strncmp(line, "url=", 4) != 0 || strlen(line + 4) >= sizeof(rx_url))
		return -1;
	memcpy(rx_url, line + 4, strlen(line + 4) + 1);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(dir, sizeof(dir), "/tmp/kpg_webhook_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(secret_path, sizeof(secret_path), "%s/secret", dir);
	write_file(secret_path, SECRET "\n", strlen(SECRET) + 1);
	if (receiver_start() != 0)
		fprintf(stderr, "webhook receiver did not start: its tests skip\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (rx_pid > 0) {
		kill(rx_pid, SIGTERM);
		waitpid(rx_pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	curl_global_cleanup();
	return 0;
}

static int reset(void **state)
{
	(void)state;
	if (rx_url[0])
		json_decref(control("/_ctl/reset", "{}"));
	return 0;
}

typedef struct attempts_seen {
	int n;
	long status[8];
} attempts_seen;

static void on_attempt(void *opaque, int attempt, const webhook_result *res)
{
	attempts_seen *a = opaque;

	if (attempt <= 8)
		a->status[attempt - 1] = res->http_status;
	a->n = attempt;
}

static const char *BODY = "{\"event\":\"drift_alert\",\"model\":\"m1\"}";

static webhook_request hook_request(const webhook_secret *s, char *url, size_t urllen)
{
	webhook_request rq;

	snprintf(url, urllen, "%s/hook", rx_url);
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.body = BODY;
	rq.body_len = strlen(BODY);
	rq.secret = s;
	rq.idempotency_key = "kpg-0123456789abcdef";
	rq.event = "drift_alert";
	rq.timeout_ms = 5000;
	return rq;
}

static json_t *deliveries(json_t **accepted)
{
	json_t *log = control("/_ctl/log", NULL);

	*accepted = json_incref(json_object_get(log, "accepted"));
	json_incref(json_object_get(log, "deliveries"));
	{
		json_t *d = json_object_get(log, "deliveries");

		json_decref(log);
		return d;
	}
}

static void test_delivered_signed(void **state)
{
	webhook_secret s;
	webhook_result res;
	webhook_retry_policy pol = {.max_attempts = 3, .base_ms = 10, .cap_ms = 20};
	kpg_err err;
	char url[200];
	json_t *d, *acc;

	(void)state;
	if (!rx_url[0])
		skip();
	assert_int_equal(webhook_secret_load(secret_path, NULL, &s, &err), 0);
	webhook_request rq = hook_request(&s, url, sizeof(url));
	assert_int_equal(webhook_send(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, WEBHOOK_OK);
	assert_int_equal(res.http_status, 200);
	assert_int_equal(res.attempts, 1);
	d = deliveries(&acc);
	assert_int_equal(json_array_size(d), 1);
	assert_true(json_is_true(json_object_get(json_array_get(d, 0), "signature_ok")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "key")),
			    "kpg-0123456789abcdef");
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0),
							      "content_type")),
			    "application/json");
	assert_int_equal(json_integer_value(json_object_get(acc,
							    "/hook kpg-0123456789abcdef drift_alert")),
			 1);
	json_decref(d);
	json_decref(acc);
	webhook_secret_free(&s);
}

static void test_retried_after_failures(void **state)
{
	webhook_secret s;
	webhook_result res;
	attempts_seen seen = {0};
	webhook_retry_policy pol = {.max_attempts = 5, .base_ms = 10, .cap_ms = 40, .on_attempt = on_attempt, .opaque = &seen};
	kpg_err err;
	char url[200];
	json_t *d, *acc;

	(void)state;
	if (!rx_url[0])
		skip();
	json_decref(control("/_ctl/fail", "{\"count\": 2, \"status\": 500}"));
	assert_int_equal(webhook_secret_load(secret_path, NULL, &s, &err), 0);
	webhook_request rq = hook_request(&s, url, sizeof(url));
	assert_int_equal(webhook_send(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, WEBHOOK_OK);
	assert_int_equal(res.attempts, 3);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.status[0], 500);
	assert_int_equal(seen.status[1], 500);
	assert_int_equal(seen.status[2], 200);
	d = deliveries(&acc);
	assert_int_equal(json_array_size(d), 3);
	/* three attempts, one accepted delivery of (key, event) */
	assert_int_equal(json_integer_value(json_object_get(acc,
							    "/hook kpg-0123456789abcdef drift_alert")),
			 1);
	json_decref(d);
	json_decref(acc);

	/* 429 is retried too; a dropped connection as well */
	json_decref(control("/_ctl/reset", "{}"));
	json_decref(control("/_ctl/fail", "{\"count\": 1, \"status\": 429}"));
	assert_int_equal(webhook_send(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, WEBHOOK_OK);
	assert_int_equal(res.attempts, 2);
	json_decref(control("/_ctl/fail", "{\"count\": 1, \"status\": 0}"));
	assert_int_equal(webhook_send(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, WEBHOOK_OK);
	assert_int_equal(res.attempts, 2);

	/* past max_attempts: the last retryable answer */
	json_decref(control("/_ctl/fail", "{\"count\": 9, \"status\": 503}"));
	pol.max_attempts = 3;
	assert_int_equal(webhook_send(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, WEBHOOK_RETRYABLE);
	assert_int_equal(res.attempts, 3);
	assert_string_equal(res.error, "HTTP 503");
	webhook_secret_free(&s);
}

static void test_final_4xx_not_retried(void **state)
{
	webhook_secret s;
	webhook_result res;
	webhook_retry_policy pol = {.max_attempts = 5, .base_ms = 10, .cap_ms = 20};
	kpg_err err;
	char url[200];
	json_t *d, *acc;

	(void)state;
	if (!rx_url[0])
		skip();
	json_decref(control("/_ctl/fail", "{\"count\": 3, \"status\": 400}"));
	assert_int_equal(webhook_secret_load(secret_path, NULL, &s, &err), 0);
	webhook_request rq = hook_request(&s, url, sizeof(url));
	assert_int_equal(webhook_send(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, WEBHOOK_FAILED);
	assert_int_equal(res.attempts, 1);
	d = deliveries(&acc);
	assert_int_equal(json_array_size(d), 1);
	json_decref(d);
	json_decref(acc);
	webhook_secret_free(&s);
}

/* The mutation check: a wrong secret (or a broken signature) is refused
 * by the receiver, 401, final, and the error holds neither secret. */
static void test_wrong_secret_refused(void **state)
{
	webhook_secret s = {(unsigned char *)"not-the-secret", 14};
	webhook_result res;
	webhook_retry_policy pol = {.max_attempts = 5, .base_ms = 10, .cap_ms = 20};
	kpg_err err;
	char url[200];
	json_t *d, *acc;

	(void)state;
	if (!rx_url[0])
		skip();
	webhook_request rq = hook_request(&s, url, sizeof(url));
	assert_int_equal(webhook_send(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, WEBHOOK_FAILED);
	assert_int_equal(res.http_status, 401);
	assert_null(strstr(res.error, "not-the-secret"));
	/* unsigned: refused too */
	rq.secret = NULL;
	assert_int_equal(webhook_send(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.http_status, 401);
	d = deliveries(&acc);
	assert_int_equal(json_array_size(d), 2);
	assert_false(json_is_true(json_object_get(json_array_get(d, 0), "signature_ok")));
	assert_int_equal(json_object_size(acc), 0);
	json_decref(d);
	json_decref(acc);
}

static void test_closed_port_retried(void **state)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char url[64];
	webhook_request rq;
	webhook_result res;
	webhook_retry_policy pol = {.max_attempts = 2, .base_ms = 10, .cap_ms = 20};
	kpg_err err;

	(void)state;
	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd); /* nobody listens there now */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", ntohs(a.sin_port));
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.body = "{}";
	rq.body_len = 2;
	assert_int_equal(webhook_send(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, WEBHOOK_RETRYABLE);
	assert_int_equal(res.attempts, 2);
	assert_int_equal(res.http_status, 0);
	assert_non_null(strstr(res.error, "curl error 7"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4231),
		cmocka_unit_test(test_signature_header),
		cmocka_unit_test(test_secret_load),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_url_host),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test_setup(test_delivered_signed, reset),
		cmocka_unit_test_setup(test_retried_after_failures, reset),
		cmocka_unit_test_setup(test_final_4xx_not_retried, reset),
		cmocka_unit_test_setup(test_wrong_secret_refused, reset),
		cmocka_unit_test(test_closed_port_retried),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
