/* test_adapters_aws_call.c - aws_call against the AWS emulator
 * (tests/support/aws_mock.py, run with /usr/bin/python3), which checks
 * every SigV4 signature with botocore: signed calls with and without a
 * session token, a wrong secret, AWS error parsing, the retry policy
 * (throttling storms, 5xx past max_attempts, a deadline, one credential
 * refresh on ExpiredTokenException, final 4xx), transport errors, TLS with
 * and without the mock's CA; plus the endpoint/region resolvers and the
 * equal-jitter backoff bounds, which need no emulator. The emulator tests
 * skip when python3-botocore or the emulator is missing. */
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
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "aws_call.h"
#include "aws_call_internal.h"

#define MOCK_PATH KPG_TEST_DATA_DIR "/../support/aws_mock.py"
#define PYTHON "/usr/bin/python3"

#define AKID "AKIDKPGTEST0001"
#define SECRET "kpgTestSecret/0001+abcdefghijklmnop"
#define AKID_TOK "ASIAKPGTEST0002"
#define SECRET_TOK "kpgTestSecret/0002+qrstuvwxyz012345"
#define TOKEN "kpgSessionToken0002/abc+def=="

typedef struct mock {
	pid_t pid;
	char url[256];
	char ca[512];
	char dir[128];
} mock;

static mock plain = {.pid = -1}, tls = {.pid = -1};
static int have_mock;

/* --- the emulator ------------------------------------------------------ */

static int mock_available(void)
{
	if (access(MOCK_PATH, R_OK) != 0) {
		fprintf(stderr, "skip: %s missing\n", MOCK_PATH);
		return 0;
	}
	if (system(PYTHON " -c 'import botocore.auth' >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skip: python3-botocore missing\n");
		return 0;
	}
	return 1;
}

/* Starts the emulator; reads its "url=... [ca=...]" line. */
static int mock_start(mock *m, int with_tls)
{
	int out[2];
	char line[1024];
	size_t n = 0;
	struct pollfd pfd;
	int64_t end = aws_call_mono_ms() + 30000;
	char *p;

	if (with_tls) {
		snprintf(m->dir, sizeof(m->dir), "/tmp/kpg_aws_tls_XXXXXX");
		if (!mkdtemp(m->dir))
			return -1;
	}
	if (pipe(out))
		return -1;
	m->pid = fork();
	if (m->pid < 0)
		return -1;
	if (m->pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		if (with_tls)
			execl(PYTHON, PYTHON, MOCK_PATH, "--tls", m->dir,
			      "--key", AKID ":" SECRET,
			      "--key", AKID_TOK ":" SECRET_TOK ":" TOKEN,
			      (char *)NULL);
		else
			execl(PYTHON, PYTHON, MOCK_PATH,
			      "--key", AKID ":" SECRET,
			      "--key", AKID_TOK ":" SECRET_TOK ":" TOKEN,
			      (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	pfd.fd = out[0];
	pfd.events = POLLIN;
	while (n < sizeof(line) - 1 && aws_call_mono_ms() < end) {
		ssize_t r;

		if (poll(&pfd, 1, 500) <= 0)
			continue;
		r = read(out[0], line + n, 1);
		if (r <= 0)
			break;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	close(out[0]);
	if (strncmp(line, "url=", 4) != 0) {
		fprintf(stderr, "aws_mock did not start: '%s'\n", line);
		return -1;
	}
	p = strchr(line + 4, ' ');
	if (p)
		*p = '\0';
	if (p && strncmp(p + 1, "ca=", 3) != 0)
		p = NULL; /* no CA on the line */
	if (strlen(line + 4) >= sizeof(m->url) || (p && strlen(p + 4) >= sizeof(m->ca))) {
		fprintf(stderr, "aws_mock printed a line too long: '%s'\n", line);
		return -1;
	}
	memcpy(m->url, line + 4, strlen(line + 4) + 1);
	if (p)
		memcpy(m->ca, p + 4, strlen(p + 4) + 1);
	return 0;
}

static void mock_stop(mock *m)
{
	char cmd[300];

	if (m->pid > 0) {
		kill(m->pid, SIGTERM);
		waitpid(m->pid, NULL, 0);
		m->pid = -1;
	}
	if (m->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", m->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", m->dir);
		m->dir[0] = '\0';
	}
}

/* --- plain HTTP to the control API (unsigned) -------------------------- */

typedef struct buf {
	char *p;
	size_t n;
} buf;

static size_t buf_write(char *d, size_t s, size_t nm, void *o)
{
	buf *b = o;
	char *np = realloc(b->p, b->n + s * nm + 1);

	if (!np)
		return 0;
	b->p = np;
	memcpy(b->p + b->n, d, s * nm);
	b->n += s * nm;
	b->p[b->n] = '\0';
	return s * nm;
}

/* GET (body NULL) or POST JSON to the mock; returns the parsed answer. */
static json_t *control(const mock *m, const char *path, const char *body)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hd = NULL;
	char url[512];
	buf b = {0};
	json_t *j = NULL;
	long status = 0;

	assert_non_null(h);
	snprintf(url, sizeof(url), "%s%s", m->url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	if (m->ca[0])
		curl_easy_setopt(h, CURLOPT_CAINFO, m->ca);
	if (body) {
		hd = curl_slist_append(hd, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	}
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	assert_int_equal(status, 200);
	if (b.n)
		j = json_loadb(b.p, b.n, 0, NULL);
	free(b.p);
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	return j;
}

static void control_post(const mock *m, const char *path, const char *body)
{
	json_decref(control(m, path, body));
}

/* The last logged API request. Caller json_decref's. */
static json_t *last_log(const mock *m)
{
	json_t *log = control(m, "/_mock/log", NULL), *e;

	assert_true(json_is_array(log));
	assert_true(json_array_size(log) > 0);
	e = json_incref(json_array_get(log, json_array_size(log) - 1));
	json_decref(log);
	return e;
}

static size_t log_count(const mock *m)
{
	json_t *log = control(m, "/_mock/log", NULL);
	size_t n;

	assert_true(json_is_array(log));
	n = json_array_size(log);
	json_decref(log);
	return n;
}

/* --- requests ---------------------------------------------------------- */

static aws_creds creds_plain, creds_token, creds_bad;

static void init_creds(void)
{
	memset(&creds_plain, 0, sizeof(creds_plain));
	snprintf(creds_plain.access_key_id, sizeof(creds_plain.access_key_id),
		 "%s", AKID);
	snprintf(creds_plain.secret_access_key,
		 sizeof(creds_plain.secret_access_key), "%s", SECRET);
	creds_plain.source = "environment";
	creds_token = creds_plain;
	snprintf(creds_token.access_key_id, sizeof(creds_token.access_key_id),
		 "%s", AKID_TOK);
	snprintf(creds_token.secret_access_key,
		 sizeof(creds_token.secret_access_key), "%s", SECRET_TOK);
	snprintf(creds_token.session_token, sizeof(creds_token.session_token),
		 "%s", TOKEN);
	creds_bad = creds_plain;
	snprintf(creds_bad.secret_access_key,
		 sizeof(creds_bad.secret_access_key), "%s",
		 "notTheSecret/ZZZZ+abcdefghijklmnopq");
}

static char pipeline_body[256];

static aws_call_request sm_request(const mock *m, const char *token)
{
	aws_call_request rq = {0};

	snprintf(pipeline_body, sizeof(pipeline_body),
		 "{\"PipelineName\":\"kpg-retrain\",\"ClientRequestToken\":"
		 "\"%s\"}",
		 token);
	rq.endpoint = m->url;
	rq.region = "eu-west-1";
	rq.service = "sagemaker";
	rq.target = "SageMaker.StartPipelineExecution";
	rq.content_type = "application/x-amz-json-1.1";
	rq.body = pipeline_body;
	rq.body_len = strlen(pipeline_body);
	rq.ca_bundle = m->ca[0] ? m->ca : NULL;
	rq.timeout_ms = 10000;
	return rq;
}

static void no_secret_in(const aws_call_result *res, const kpg_err *err)
{
	const char *texts[] = {res->error_message, res->error_type,
			       err ? err->msg : ""};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_null(strstr(texts[i], SECRET));
		assert_null(strstr(texts[i], SECRET_TOK));
		assert_null(strstr(texts[i], TOKEN));
	}
}

/* Retry callbacks: get_creds hands out creds_token; counters. */
typedef struct retry_ctx {
	int creds_calls;
	int attempts_seen;
	int last_attempt;
	aws_call_outcome outcomes[64];
	char types[64][128];
	int fail_creds_at; /* get_creds fails on this call (1-based); 0 no */
} retry_ctx;

static int get_creds_cb(void *opaque, aws_creds *out, kpg_err *err)
{
	retry_ctx *c = opaque;

	c->creds_calls++;
	if (c->fail_creds_at && c->creds_calls == c->fail_creds_at) {
		kpg_err_set(err, "credential source unavailable");
		return KPG_EIO;
	}
	*out = creds_token;
	return 0;
}

static void on_attempt_cb(void *opaque, int attempt, const aws_call_result *res)
{
	retry_ctx *c = opaque;

	if (c->attempts_seen < 64) {
		c->outcomes[c->attempts_seen] = res->outcome;
		snprintf(c->types[c->attempts_seen], sizeof(c->types[0]), "%s",
			 res->error_type);
	}
	c->attempts_seen++;
	c->last_attempt = attempt;
}

static int reset_plain(void **state)
{
	(void)state;
	if (have_mock)
		control_post(&plain, "/_mock/reset", "{}");
	return 0;
}

#define NEED_MOCK() \
	do { \
		if (!have_mock) \
			skip(); \
	} while (0)

/* --- signed calls ------------------------------------------------------ */

static void test_signed_ok(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	json_t *e, *b;

	(void)state;
	NEED_MOCK();
	rq = sm_request(&plain, "tok-0123456789abcdef0123456789abcdef");
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_OK);
	assert_int_equal(res.http_status, 200);
	assert_string_equal(res.error_type, "");
	assert_true(res.request_id[0] != '\0');
	b = json_loadb(res.body, res.body_len, 0, NULL);
	assert_non_null(b);
	assert_non_null(strstr(json_string_value(json_object_get(
				       b, "PipelineExecutionArn")),
			       ":pipeline/kpg-retrain/execution/"));
	json_decref(b);
	aws_call_result_free(&res);

	e = last_log(&plain);
	assert_true(json_is_true(json_object_get(e, "signature_ok")));
	assert_false(json_is_true(json_object_get(e, "session_token_sent")));
	assert_string_equal(json_string_value(json_object_get(e,
							      "access_key_id")),
			    AKID);
	assert_string_equal(json_string_value(json_object_get(e, "target")),
			    "SageMaker.StartPipelineExecution");
	json_decref(e);
}

static void test_signed_ok_session_token(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	json_t *e;

	(void)state;
	NEED_MOCK();
	rq = sm_request(&plain, "tok-token-0123456789abcdef0123456789");
	assert_int_equal(aws_call_once(&rq, &creds_token, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_OK);
	assert_int_equal(res.http_status, 200);
	aws_call_result_free(&res);
	e = last_log(&plain);
	assert_true(json_is_true(json_object_get(e, "signature_ok")));
	assert_true(json_is_true(json_object_get(e, "session_token_sent")));
	assert_string_equal(json_string_value(json_object_get(e,
							      "access_key_id")),
			    AKID_TOK);
	json_decref(e);

	/* The same key without its token is refused. */
	{
		aws_creds c = creds_token;

		c.session_token[0] = '\0';
		assert_int_equal(aws_call_once(&rq, &c, &res, &err), 0);
		assert_int_equal(res.outcome, AWS_CALL_FAILED);
		assert_int_equal(res.http_status, 403);
		assert_string_equal(res.error_type, "InvalidSignatureException");
		aws_call_result_free(&res);
	}
}

static void test_wrong_secret(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	json_t *e;

	(void)state;
	NEED_MOCK();
	rq = sm_request(&plain, "tok-bad-0123456789abcdef0123456789ab");
	assert_int_equal(aws_call_once(&rq, &creds_bad, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_FAILED);
	assert_int_equal(res.http_status, 403);
	assert_string_equal(res.error_type, "InvalidSignatureException");
	assert_true(res.error_message[0] != '\0');
	assert_null(strstr(res.error_message, creds_bad.secret_access_key));
	no_secret_in(&res, &err);
	aws_call_result_free(&res);
	e = last_log(&plain);
	assert_false(json_is_true(json_object_get(e, "signature_ok")));
	json_decref(e);

	/* Unknown key id. */
	{
		aws_creds c = creds_plain;

		snprintf(c.access_key_id, sizeof(c.access_key_id), "AKIDUNKNOWN");
		assert_int_equal(aws_call_once(&rq, &c, &res, &err), 0);
		assert_int_equal(res.outcome, AWS_CALL_FAILED);
		assert_string_equal(res.error_type,
				    "UnrecognizedClientException");
		aws_call_result_free(&res);
	}
}

/* A body with every byte class JSON allows, and one over 1 KiB (where
 * some clients switch to Expect: 100-continue), still verifies. */
static void test_signed_large_body(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	char *body;
	size_t n;
	json_t *e;

	(void)state;
	NEED_MOCK();
	body = malloc(70000);
	assert_non_null(body);
	n = (size_t)snprintf(body, 70000,
			     "{\"stateMachineArn\":\"arn:aws:states:eu-west-1:"
			     "123456789012:stateMachine:kpg\",\"name\":\"big-1\","
			     "\"input\":\"{\\\"note\\\":\\\"caf\xc3\xa9 \\\\u00e9 ");
	memset(body + n, 'x', 66000);
	n += 66000;
	n += (size_t)snprintf(body + n, 70000 - n, "\\\"}\"}");
	rq = sm_request(&plain, "unused-0123456789abcdef0123456789ab");
	rq.service = "states";
	rq.target = "AWSStepFunctions.StartExecution";
	rq.content_type = "application/x-amz-json-1.0";
	rq.body = body;
	rq.body_len = n;
	assert_int_equal(aws_call_once(&rq, &creds_token, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_OK);
	aws_call_result_free(&res);
	e = last_log(&plain);
	assert_true(json_is_true(json_object_get(e, "signature_ok")));
	json_decref(e);
	free(body);
}

/* --- error parsing ----------------------------------------------------- */

static void test_sfn_execution_already_exists(void **state)
{
	static const char b1[] =
		"{\"stateMachineArn\":\"arn:aws:states:eu-west-1:123456789012:"
		"stateMachine:kpg-retrain\",\"name\":\"run-1\","
		"\"input\":\"{\\\"a\\\":1}\"}";
	static const char b2[] =
		"{\"stateMachineArn\":\"arn:aws:states:eu-west-1:123456789012:"
		"stateMachine:kpg-retrain\",\"name\":\"run-1\","
		"\"input\":\"{\\\"a\\\":2}\"}";
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	json_t *j;
	char arn[256];

	(void)state;
	NEED_MOCK();
	rq = sm_request(&plain, "unused-0123456789abcdef0123456789ab");
	rq.service = "states";
	rq.target = "AWSStepFunctions.StartExecution";
	rq.content_type = "application/x-amz-json-1.0";
	rq.body = b1;
	rq.body_len = strlen(b1);
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_OK);
	j = json_loadb(res.body, res.body_len, 0, NULL);
	assert_true(json_is_string(json_object_get(j, "executionArn")));
	snprintf(arn, sizeof(arn), "%s",
		 json_string_value(json_object_get(j, "executionArn")));
	json_decref(j);
	aws_call_result_free(&res);

	/* Same name, same input: the same execution. */
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_OK);
	j = json_loadb(res.body, res.body_len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j,
							      "executionArn")),
			    arn);
	json_decref(j);
	aws_call_result_free(&res);

	/* Same name, other input: ExecutionAlreadyExists, final. */
	rq.body = b2;
	rq.body_len = strlen(b2);
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_FAILED);
	assert_int_equal(res.http_status, 400);
	assert_string_equal(res.error_type, "ExecutionAlreadyExists");
	/* AWS's message from the body, not our fallback sentence. */
	assert_true(res.error_message[0] != '\0');
	assert_null(strstr(res.error_message, "without an AWS error message"));
	assert_true(res.request_id[0] != '\0');
	aws_call_result_free(&res);
}

/* __type with a namespace and a suffix; "Message" spelled AWS's other way
 * is covered by the mock's own bodies only when it uses it. */
static void test_error_type_namespaced(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};

	(void)state;
	NEED_MOCK();
	control_post(&plain, "/_mock/fail",
		     "{\"match\":\"SageMaker.StartPipelineExecution\","
		     "\"responses\":[{\"status\":400,\"type\":"
		     "\"com.amazonaws.sagemaker#ResourceLimitExceeded:"
		     "http://internal.amazon.com/coral/\",\"message\":"
		     "\"too many executions\"}]}");
	rq = sm_request(&plain, "tok-ns-0123456789abcdef0123456789abc");
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_FAILED);
	assert_string_equal(res.error_type, "ResourceLimitExceeded");
	assert_string_equal(res.error_message, "too many executions");
	aws_call_result_free(&res);

	/* "Message" (capital M) and no x-amzn-ErrorType header; then a
	 * non-JSON 503 from something in front of AWS. */
	control_post(&plain, "/_mock/fail",
		     "{\"match\":\"*\",\"responses\":["
		     "{\"status\":400,\"body\":\"{\\\"__type\\\":"
		     "\\\"AccessDeniedException\\\",\\\"Message\\\":"
		     "\\\"not allowed\\\"}\"},"
		     "{\"status\":503,\"body\":\"<html>busy</html>\"}]}");
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_FAILED);
	assert_string_equal(res.error_type, "AccessDeniedException");
	assert_string_equal(res.error_message, "not allowed");
	aws_call_result_free(&res);
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_RETRYABLE);
	assert_int_equal(res.http_status, 503);
	assert_string_equal(res.error_type, "HTTP503");
	assert_string_equal(res.body, "<html>busy</html>");
	aws_call_result_free(&res);
}

/* --- retry policy ------------------------------------------------------ */

static void test_throttling_storm(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	retry_ctx ctx = {0};
	aws_retry_policy pol = {
		.max_attempts = 8,
		.base_ms = 5,
		.cap_ms = 40,
		.get_creds = get_creds_cb,
		.on_attempt = on_attempt_cb,
		.opaque = &ctx,
	};
	int64_t t0, el;
	int i;

	(void)state;
	NEED_MOCK();
	control_post(&plain, "/_mock/fail",
		     "{\"match\":\"SageMaker.StartPipelineExecution\","
		     "\"responses\":["
		     "{\"status\":429,\"type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"},"
		     "{\"status\":429,\"type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"},"
		     "{\"status\":400,\"type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"},"
		     "{\"status\":429,\"type\":\"TooManyRequestsException\",\"message\":\"slow down\"},"
		     "{\"status\":429,\"type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}]}");
	rq = sm_request(&plain, "tok-storm-0123456789abcdef0123456789");
	t0 = aws_call_mono_ms();
	assert_int_equal(aws_call_retry(&rq, &pol, &res, &err), 0);
	el = aws_call_mono_ms() - t0;
	assert_int_equal(res.outcome, AWS_CALL_OK);
	assert_int_equal(res.attempts, 6);
	assert_int_equal(ctx.attempts_seen, 6);
	assert_int_equal(ctx.creds_calls, 6);
	for (i = 0; i < 5; i++)
		assert_int_equal(ctx.outcomes[i], AWS_CALL_RETRYABLE);
	assert_string_equal(ctx.types[2], "ThrottlingException"); /* a 400 */
	assert_string_equal(ctx.types[3], "TooManyRequestsException");
	assert_int_equal(ctx.outcomes[5], AWS_CALL_OK);
	/* The sleeps add up to at most 5+10+20+40+40 ms; allow plenty for
	 * the calls themselves. */
	assert_true(el < 10000);
	assert_int_equal(log_count(&plain), 6);
	aws_call_result_free(&res);
}

static void test_5xx_past_max_attempts(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	retry_ctx ctx = {0};
	aws_retry_policy pol = {
		.max_attempts = 3,
		.base_ms = 2,
		.cap_ms = 10,
		.get_creds = get_creds_cb,
		.on_attempt = on_attempt_cb,
		.opaque = &ctx,
	};

	(void)state;
	NEED_MOCK();
	control_post(&plain, "/_mock/fail",
		     "{\"match\":\"*\",\"responses\":["
		     "{\"status\":500,\"type\":\"InternalFailure\",\"message\":\"boom\"},"
		     "{\"status\":503,\"type\":\"ServiceUnavailable\",\"message\":\"busy\"},"
		     "{\"status\":502,\"message\":\"bad gateway\"},"
		     "{\"status\":500,\"type\":\"InternalFailure\",\"message\":\"boom\"},"
		     "{\"status\":500,\"type\":\"InternalFailure\",\"message\":\"boom\"}]}");
	rq = sm_request(&plain, "tok-5xx-0123456789abcdef0123456789ab");
	assert_int_equal(aws_call_retry(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_RETRYABLE);
	assert_int_equal(res.attempts, 3);
	assert_int_equal(ctx.attempts_seen, 3);
	assert_int_equal(res.http_status, 502);
	assert_string_equal(ctx.types[1], "ServiceUnavailable");
	assert_int_equal(log_count(&plain), 3);
	aws_call_result_free(&res);
}

static void test_deadline_stops_retries(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	retry_ctx ctx = {0};
	aws_retry_policy pol = {
		.max_attempts = 40,
		.base_ms = 100,
		.cap_ms = 100,
		.get_creds = get_creds_cb,
		.on_attempt = on_attempt_cb,
		.opaque = &ctx,
	};
	char script[8192];
	size_t n;
	int i;
	int64_t t0, el;

	(void)state;
	NEED_MOCK();
	n = (size_t)snprintf(script, sizeof(script),
			     "{\"match\":\"*\",\"responses\":[");
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(script + n, sizeof(script) - n,
				      "%s{\"status\":503,\"type\":"
				      "\"ServiceUnavailable\",\"message\":\"x\","
				      "\"delay_ms\":50}",
				      i ? "," : "");
	snprintf(script + n, sizeof(script) - n, "]}");
	control_post(&plain, "/_mock/fail", script);
	rq = sm_request(&plain, "tok-dl-0123456789abcdef0123456789abc");
	t0 = aws_call_mono_ms();
	pol.deadline_ms = t0 + 400;
	assert_int_equal(aws_call_retry(&rq, &pol, &res, &err), 0);
	el = aws_call_mono_ms() - t0;
	assert_int_equal(res.outcome, AWS_CALL_RETRYABLE);
	/* The last attempt gets only the time left, so it may time out. */
	assert_true(strcmp(res.error_type, "ServiceUnavailable") == 0 ||
		    strcmp(res.error_type, "CURLE_OPERATION_TIMEDOUT") == 0);
	/* Each attempt takes >= 50 ms, so at most 8 fit; never all 40. */
	assert_true(res.attempts >= 1 && res.attempts <= 8);
	assert_int_equal(ctx.attempts_seen, res.attempts);
	/* Stops at the deadline (loose: one call's timeout of slack). */
	assert_true(el < 400 + 3000);
	aws_call_result_free(&res);

	/* A deadline already past makes no call at all. */
	ctx.attempts_seen = 0;
	pol.deadline_ms = aws_call_mono_ms() - 1;
	assert_int_equal(aws_call_retry(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.attempts, 0);
	assert_int_equal(ctx.attempts_seen, 0);
	aws_call_result_free(&res);
}

static void test_validation_not_retried(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	retry_ctx ctx = {0};
	aws_retry_policy pol = {
		.max_attempts = 5,
		.base_ms = 1,
		.cap_ms = 5,
		.get_creds = get_creds_cb,
		.on_attempt = on_attempt_cb,
		.opaque = &ctx,
	};
	static const char bad[] = "{\"ClientRequestToken\":"
				  "\"tok-val-0123456789abcdef0123456789abc\"}";

	(void)state;
	NEED_MOCK();
	rq = sm_request(&plain, "x");
	rq.body = bad; /* no PipelineName */
	rq.body_len = strlen(bad);
	assert_int_equal(aws_call_retry(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_FAILED);
	assert_int_equal(res.http_status, 400);
	assert_int_equal(res.attempts, 1);
	assert_int_equal(ctx.attempts_seen, 1);
	assert_string_equal(res.error_type, "ValidationException");
	assert_true(res.error_message[0] != '\0');
	assert_int_equal(log_count(&plain), 1);
	aws_call_result_free(&res);
}

/* on_attempt doubles as the caller's cache invalidation hook. */
static void test_expired_token_refreshed_once(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	retry_ctx ctx = {0};
	aws_retry_policy pol = {
		.max_attempts = 5,
		.base_ms = 1,
		.cap_ms = 5,
		.get_creds = get_creds_cb,
		.on_attempt = on_attempt_cb,
		.opaque = &ctx,
	};

	(void)state;
	NEED_MOCK();
	control_post(&plain, "/_mock/fail",
		     "{\"match\":\"*\",\"responses\":[{\"status\":400,\"type\":"
		     "\"ExpiredTokenException\",\"message\":\"expired\"}]}");
	rq = sm_request(&plain, "tok-exp-0123456789abcdef0123456789ab");
	assert_int_equal(aws_call_retry(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_OK);
	assert_int_equal(res.attempts, 2);
	assert_int_equal(ctx.creds_calls, 2);
	assert_string_equal(ctx.types[0], "ExpiredTokenException");
	aws_call_result_free(&res);

	/* Expired twice: one refresh only, then final. */
	memset(&ctx, 0, sizeof(ctx));
	control_post(&plain, "/_mock/fail",
		     "{\"match\":\"*\",\"responses\":["
		     "{\"status\":400,\"type\":\"ExpiredTokenException\",\"message\":\"expired\"},"
		     "{\"status\":400,\"type\":\"ExpiredTokenException\",\"message\":\"expired\"}]}");
	rq = sm_request(&plain, "tok-exp2-0123456789abcdef0123456789a");
	assert_int_equal(aws_call_retry(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_FAILED);
	assert_string_equal(res.error_type, "ExpiredTokenException");
	assert_int_equal(res.attempts, 2);
	aws_call_result_free(&res);
}

/* A credential source that fails is an attempt that failed, retried on
 * the same schedule as a 500; the call goes out once credentials come. */
static void test_get_creds_failure_retried(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	retry_ctx ctx = {.fail_creds_at = 2};
	aws_retry_policy pol = {
		.max_attempts = 5,
		.base_ms = 1,
		.cap_ms = 5,
		.get_creds = get_creds_cb,
		.on_attempt = on_attempt_cb,
		.opaque = &ctx,
	};

	(void)state;
	NEED_MOCK();
	control_post(&plain, "/_mock/fail",
		     "{\"match\":\"*\",\"responses\":[{\"status\":500,\"type\":"
		     "\"InternalFailure\",\"message\":\"boom\"}]}");
	rq = sm_request(&plain, "tok-cf-0123456789abcdef0123456789abc");
	assert_int_equal(aws_call_retry(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_OK);
	assert_int_equal(res.attempts, 3);
	assert_int_equal(ctx.creds_calls, 3);
	assert_int_equal(ctx.attempts_seen, 3);
	assert_string_equal(ctx.types[0], "InternalFailure");
	assert_int_equal(ctx.outcomes[1], AWS_CALL_RETRYABLE);
	assert_string_equal(ctx.types[1], AWS_CALL_CREDENTIALS_FAILED);
	assert_int_equal(log_count(&plain), 2); /* the failed one sent nothing */
	aws_call_result_free(&res);

	/* No get_creds at all: nothing to sign with. */
	pol.get_creds = NULL;
	assert_int_equal(aws_call_retry(&rq, &pol, &res, &err), KPG_EINVAL);
	aws_call_result_free(&res);
}

static int no_creds_cb(void *opaque, aws_creds *out, kpg_err *err)
{
	retry_ctx *c = opaque;

	(void)out;
	c->creds_calls++;
	kpg_err_set(err, "no AWS credentials configured: looked for ...");
	return KPG_ENOTFOUND;
}

/* No credentials at all: every attempt fails without a call, spaced by
 * the doubling waits (equal jitter: at least half of each bound), so a
 * deadline holds a handful of attempts, not thousands. */
static void test_no_creds_backs_off(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	retry_ctx ctx = {0};
	aws_retry_policy pol = {
		.max_attempts = 100,
		.base_ms = 20,
		.cap_ms = 10000,
		.get_creds = no_creds_cb,
		.on_attempt = on_attempt_cb,
		.opaque = &ctx,
	};
	int64_t t0, el;

	(void)state;
	rq = sm_request(&plain, "tok-nc-0123456789abcdef0123456789abc");
	rq.endpoint = "http://127.0.0.1:9";
	t0 = aws_call_mono_ms();
	pol.deadline_ms = t0 + 700;
	assert_int_equal(aws_call_retry(&rq, &pol, &res, &err), 0);
	el = aws_call_mono_ms() - t0;
	assert_int_equal(res.outcome, AWS_CALL_RETRYABLE);
	assert_string_equal(res.error_type, AWS_CALL_NO_CREDENTIALS);
	assert_non_null(strstr(res.error_message, "looked for"));
	assert_string_equal(err.msg, "");
	/* waits of at least 10, 20, 40, 80, 160, 320 ms: 6 fit in 700 ms
	 * (630 ms), the 7th would end past it; the first attempt is at 0 */
	assert_true(res.attempts >= 4 && res.attempts <= 6);
	assert_int_equal(ctx.creds_calls, res.attempts);
	assert_int_equal(ctx.attempts_seen, res.attempts);
	assert_true(el < 700 + 500);
	aws_call_result_free(&res);

	/* backoff_from: a later round goes on from the earlier failures */
	ctx.creds_calls = ctx.attempts_seen = 0;
	pol.backoff_from = 5; /* first wait >= 20 * 2^5 / 2 = 320 ms */
	pol.deadline_ms = aws_call_mono_ms() + 700;
	assert_int_equal(aws_call_retry(&rq, &pol, &res, &err), 0);
	assert_true(res.attempts >= 1 && res.attempts <= 2);
	aws_call_result_free(&res);
}

/* --- transport --------------------------------------------------------- */

static void test_closed_port(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	mock dead = {.pid = -1};
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	retry_ctx ctx = {0};
	aws_retry_policy pol = {
		.max_attempts = 3,
		.base_ms = 1,
		.cap_ms = 5,
		.get_creds = get_creds_cb,
		.on_attempt = on_attempt_cb,
		.opaque = &ctx,
	};

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(dead.url, sizeof(dead.url), "http://127.0.0.1:%u",
		 (unsigned)ntohs(sa.sin_port));
	close(fd); /* bound, never listened: now nobody is there */

	rq = sm_request(&dead, "tok-cl-0123456789abcdef0123456789abc");
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_RETRYABLE);
	assert_int_equal(res.http_status, 0);
	assert_string_equal(res.error_type, "CURLE_COULDNT_CONNECT");
	assert_true(res.error_message[0] != '\0');
	no_secret_in(&res, &err);
	aws_call_result_free(&res);

	assert_int_equal(aws_call_retry(&rq, &pol, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_RETRYABLE);
	assert_int_equal(res.attempts, 3);
	aws_call_result_free(&res);
}

static void test_timeout_and_dropped_connection(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	int64_t t0;

	(void)state;
	NEED_MOCK();
	control_post(&plain, "/_mock/fail",
		     "{\"match\":\"*\",\"responses\":[{\"status\":0,"
		     "\"delay_ms\":3000},{\"close\":true}]}");
	rq = sm_request(&plain, "tok-to-0123456789abcdef0123456789abc");
	rq.timeout_ms = 300;
	t0 = aws_call_mono_ms();
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err), 0);
	assert_true(aws_call_mono_ms() - t0 < 2500);
	assert_int_equal(res.outcome, AWS_CALL_RETRYABLE);
	assert_string_equal(res.error_type, "CURLE_OPERATION_TIMEDOUT");
	aws_call_result_free(&res);

	rq.timeout_ms = 5000;
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_RETRYABLE);
	assert_int_equal(res.http_status, 0);
	assert_string_equal(res.error_type, "CURLE_GOT_NOTHING");
	aws_call_result_free(&res);
}

/* A server that answers any request with 2 MiB: the answer is capped. */
static void *big_server(void *arg)
{
	int lfd = *(int *)arg, fd;
	char req[8192];
	static char chunk[65536];
	const char *hdr = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			  "Content-Length: 2097152\r\n\r\n";
	int i;

	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	if (read(fd, req, sizeof(req)) <= 0 ||
	    write(fd, hdr, strlen(hdr)) < 0)
		goto out;
	memset(chunk, ' ', sizeof(chunk));
	for (i = 0; i < 32; i++)
		if (write(fd, chunk, sizeof(chunk)) < 0)
			break; /* the client hung up, as it should */
out:
	close(fd);
	return NULL;
}

static void test_answer_capped(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	mock big = {.pid = -1};
	pthread_t th;
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(big.url, sizeof(big.url), "http://127.0.0.1:%u",
		 (unsigned)ntohs(sa.sin_port));
	assert_int_equal(pthread_create(&th, NULL, big_server, &lfd), 0);
	rq = sm_request(&big, "tok-big-0123456789abcdef0123456789ab");
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err), 0);
	pthread_join(th, NULL);
	close(lfd);
	assert_int_equal(res.outcome, AWS_CALL_FAILED);
	assert_int_equal(res.http_status, 200);
	assert_string_equal(res.error_type, "ResponseTooLarge");
	assert_true(res.body_len <= ((size_t)1 << 20));
	aws_call_result_free(&res);
}

static void test_tls(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	json_t *e;

	(void)state;
	NEED_MOCK();
	if (tls.pid < 0)
		skip();
	assert_non_null(strstr(tls.url, "https://"));
	assert_true(tls.ca[0] != '\0');
	control_post(&tls, "/_mock/reset", "{}");
	unsetenv("AWS_CA_BUNDLE");

	rq = sm_request(&tls, "tok-tls-0123456789abcdef0123456789ab");
	assert_int_equal(aws_call_once(&rq, &creds_token, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_OK);
	aws_call_result_free(&res);
	e = last_log(&tls);
	assert_true(json_is_true(json_object_get(e, "signature_ok")));
	json_decref(e);

	/* The CA through AWS_CA_BUNDLE. */
	rq.ca_bundle = NULL;
	setenv("AWS_CA_BUNDLE", tls.ca, 1);
	assert_int_equal(aws_call_once(&rq, &creds_token, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_OK);
	aws_call_result_free(&res);
	unsetenv("AWS_CA_BUNDLE");

	/* Without the CA: refused, and retried (a CA bundle or certificate
	 * may be replaced while a trigger waits). */
	assert_int_equal(aws_call_once(&rq, &creds_token, &res, &err), 0);
	assert_int_equal(res.outcome, AWS_CALL_RETRYABLE);
	assert_int_equal(res.http_status, 0);
	assert_string_equal(res.error_type, "CURLE_PEER_FAILED_VERIFICATION");
	no_secret_in(&res, &err);
	aws_call_result_free(&res);
	assert_int_equal(log_count(&tls), 2);
}

static void test_bad_requests(void **state)
{
	aws_call_request rq;
	aws_call_result res;
	kpg_err err = {{0}};
	aws_creds c = creds_plain;

	(void)state;
	rq = sm_request(&plain, "tok-0123456789abcdef0123456789abcdef");
	rq.endpoint = "ftp://example.invalid";
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err),
			 KPG_EINVAL);
	rq.endpoint = "http://127.0.0.1:9";
	rq.region = "eu west";
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err),
			 KPG_EINVAL);
	rq.region = "eu-west-1";
	rq.target = "A\r\nX-Evil: 1";
	assert_int_equal(aws_call_once(&rq, &creds_plain, &res, &err),
			 KPG_EINVAL);
	rq.target = "SageMaker.StartPipelineExecution";
	c.secret_access_key[0] = '\0';
	assert_int_equal(aws_call_once(&rq, &c, &res, &err), KPG_EINVAL);
	assert_null(strstr(err.msg, SECRET));
	assert_int_equal(aws_call_once(NULL, &creds_plain, &res, &err),
			 KPG_EINVAL);
}

/* --- resolvers and backoff (no emulator) ------------------------------- */

static void test_endpoint_resolve(void **state)
{
	char out[128];
	kpg_err err = {{0}};

	(void)state;
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_SAGEMAKER");
	unsetenv("AWS_ENDPOINT_URL_SFN");

	assert_int_equal(aws_endpoint_resolve("SAGEMAKER", NULL, "api.sagemaker",
					      "eu-west-1", out, sizeof(out),
					      &err),
			 0);
	assert_string_equal(out, "https://api.sagemaker.eu-west-1.amazonaws.com");
	assert_int_equal(aws_endpoint_resolve("SFN", "", "states", "cn-north-1",
					      out, sizeof(out), &err),
			 0);
	assert_string_equal(out, "https://states.cn-north-1.amazonaws.com.cn");
	/* No region and nothing configured. */
	assert_int_equal(aws_endpoint_resolve("SFN", NULL, "states", NULL, out,
					      sizeof(out), &err),
			 KPG_EINVAL);

	/* Order: service variable, config, AWS_ENDPOINT_URL, default. */
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/", 1);
	assert_int_equal(aws_endpoint_resolve("SFN", NULL, "states", "eu-west-1",
					      out, sizeof(out), &err),
			 0);
	assert_string_equal(out, "http://127.0.0.1:4566");
	assert_int_equal(aws_endpoint_resolve("SFN", "https://sfn.config:8443//",
					      "states", "eu-west-1", out,
					      sizeof(out), &err),
			 0);
	assert_string_equal(out, "https://sfn.config:8443");
	setenv("AWS_ENDPOINT_URL_SFN", "https://sfn.env.example", 1);
	assert_int_equal(aws_endpoint_resolve("SFN", "https://sfn.config:8443",
					      "states", "eu-west-1", out,
					      sizeof(out), &err),
			 0);
	assert_string_equal(out, "https://sfn.env.example");
	/* Another service's variable does not apply. */
	assert_int_equal(aws_endpoint_resolve("SAGEMAKER", NULL, "api.sagemaker",
					      "eu-west-1", out, sizeof(out),
					      &err),
			 0);
	assert_string_equal(out, "http://127.0.0.1:4566");

	/* Too long for the buffer; not a URL. */
	assert_int_equal(aws_endpoint_resolve("SFN", NULL, "states", "eu-west-1",
					      out, 10, &err),
			 KPG_ETOOBIG);
	setenv("AWS_ENDPOINT_URL_SFN", "sfn.example.com", 1);
	assert_int_equal(aws_endpoint_resolve("SFN", NULL, "states", "eu-west-1",
					      out, sizeof(out), &err),
			 KPG_EINVAL);
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_SFN");
	assert_int_equal(aws_endpoint_resolve("SFN", NULL, "states", "us-east-1",
					      out, 20, &err),
			 KPG_ETOOBIG);
}

static void test_region_resolve(void **state)
{
	(void)state;
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	assert_null(aws_region_resolve(NULL, NULL));
	assert_null(aws_region_resolve("", ""));
	setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
	assert_string_equal(aws_region_resolve(NULL, NULL), "us-west-2");
	setenv("AWS_REGION", "eu-central-1", 1);
	assert_string_equal(aws_region_resolve(NULL, ""), "eu-central-1");
	assert_string_equal(aws_region_resolve(NULL, "ap-south-1"), "ap-south-1");
	assert_string_equal(aws_region_resolve("eu-west-1", "ap-south-1"),
			    "eu-west-1");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
}

static void test_backoff_bounds(void **state)
{
	int n, i;

	(void)state;
	/* The ends of the range [b/2, b] are reachable and never passed. */
	assert_int_equal(aws_call_backoff_ms(0, 200, 20000, 0), 100);
	assert_int_equal(aws_call_backoff_ms(0, 200, 20000, 100), 200);
	assert_int_equal(aws_call_backoff_ms(0, 200, 20000, 101), 100);
	assert_int_equal(aws_call_backoff_ms(3, 200, 20000, 0), 800);
	assert_int_equal(aws_call_backoff_ms(3, 200, 20000, 800), 1600);
	assert_int_equal(aws_call_backoff_ms(3, 200, 20000, 801), 800);
	assert_int_equal(aws_call_backoff_ms(10, 200, 20000, 10000), 20000);
	assert_int_equal(aws_call_backoff_ms(10, 200, 20000, 10001), 10000);
	/* No overflow at absurd retry counts. */
	assert_int_equal(aws_call_backoff_ms(1000, 200, 20000, 10000), 20000);
	assert_int_equal(aws_call_backoff_ms(INT32_MAX, 1, INT32_MAX,
					     (uint64_t)INT32_MAX - INT32_MAX / 2),
			 INT32_MAX);
	assert_int_equal(aws_call_backoff_ms(-1, 200, 20000, 5), 0);

	for (n = 0; n < 12; n++) {
		int64_t bound = (int64_t)200 << n, min = INT64_MAX, max = 0, sum = 0;

		if (bound > 20000)
			bound = 20000;
		for (i = 0; i < 4000; i++) {
			int64_t w = aws_call_backoff_ms(n, 200, 20000,
							aws_call_random_u64());

			assert_true(w >= bound / 2 && w <= bound);
			if (w > max)
				max = w;
			if (w < min)
				min = w;
			sum += w;
		}
		/* Equal jitter: the mean is 3/4 of the bound (std of the
		 * mean is ~0.2% of bound here), both ends of the range used. */
		assert_true(max > bound * 19 / 20 && min < bound * 11 / 20);
		assert_true(sum / 4000 > bound * 7 / 10 &&
			    sum / 4000 < bound * 8 / 10);
	}
}

/* --- main -------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	init_creds();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	unsetenv("AWS_CA_BUNDLE");
	have_mock = mock_available();
	if (have_mock && mock_start(&plain, 0) != 0) {
		mock_stop(&plain);
		return -1;
	}
	if (have_mock && mock_start(&tls, 1) != 0) {
		mock_stop(&tls);
		mock_stop(&plain);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mock_stop(&tls);
	mock_stop(&plain);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_endpoint_resolve),
		cmocka_unit_test(test_region_resolve),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_closed_port),
		cmocka_unit_test(test_answer_capped),
		cmocka_unit_test_setup(test_signed_ok, reset_plain),
		cmocka_unit_test_setup(test_signed_ok_session_token, reset_plain),
		cmocka_unit_test_setup(test_wrong_secret, reset_plain),
		cmocka_unit_test_setup(test_signed_large_body, reset_plain),
		cmocka_unit_test_setup(test_sfn_execution_already_exists,
				       reset_plain),
		cmocka_unit_test_setup(test_error_type_namespaced, reset_plain),
		cmocka_unit_test_setup(test_throttling_storm, reset_plain),
		cmocka_unit_test_setup(test_5xx_past_max_attempts, reset_plain),
		cmocka_unit_test_setup(test_deadline_stops_retries, reset_plain),
		cmocka_unit_test_setup(test_validation_not_retried, reset_plain),
		cmocka_unit_test_setup(test_expired_token_refreshed_once,
				       reset_plain),
		cmocka_unit_test_setup(test_get_creds_failure_retried,
				       reset_plain),
		cmocka_unit_test(test_no_creds_backs_off),
		cmocka_unit_test_setup(test_timeout_and_dropped_connection,
				       reset_plain),
		cmocka_unit_test(test_tls),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
