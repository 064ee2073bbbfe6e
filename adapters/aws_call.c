/* aws_call.c - one signed AWS JSON-protocol POST with libcurl's SigV4, and
 * the retry loop around it (see aws_call.h).
 *
 * Every call gets its own easy handle: calls are rare (a retraining
 * trigger, a status poll), so a TLS handshake each time costs nothing that
 * matters, and nothing is shared between threads. curl_global_init runs
 * once (pthread_once) before the first handle.
 *
 * curl 7.88 signs every header we pass with CURLOPT_HTTPHEADER, plus Host
 * and X-Amz-Date; a header-removal entry such as "Expect:" would be signed
 * but not sent, so none is added. The body is hashed from
 * CURLOPT_POSTFIELDS with its explicit size. */
#include "aws_call.h"
#include "kpg_time.h"
#include "aws_call_internal.h"
#include "s3_xml.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define AWS_BODY_CAP ((size_t)1 << 20)
#define AWS_DEFAULT_TIMEOUT_MS 10000
#define AWS_CONNECT_TIMEOUT_MS 5000

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* The answer as it arrives: body capped at AWS_BODY_CAP, two headers. */
typedef struct aws_rx {
	char *buf;
	size_t len, alloc, cap;
	int too_big;
	CURL *h;         /* borrowed: asked for the status in rx_body */
	FILE *sink;      /* borrowed: a 2xx body goes here (request's body_sink) */
	size_t sunk;     /* bytes written to sink */
	int sink_failed; /* fwrite to sink failed */
	char request_id[128];
	char error_type_hdr[128];
} aws_rx;

static size_t rx_body(char *data, size_t size, size_t nmemb, void *opaque)
{
	aws_rx *rx = opaque;
	size_t n = size * nmemb;
	long status = 0;

	if (rx->sink && curl_easy_getinfo(rx->h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
	    status >= 200 && status < 300) {
		if (n > rx->cap - rx->sunk) {
			rx->too_big = 1;
			return 0;
		}
		if (fwrite(data, 1, n, rx->sink) != n) {
			rx->sink_failed = 1;
			return 0;
		}
		rx->sunk += n;
		return n;
	}
	if (n > rx->cap - rx->len) {
		rx->too_big = 1;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (rx->len + n + 1 > rx->alloc) {
		size_t na = rx->alloc ? rx->alloc : 4096;
		char *nb;

		while (na < rx->len + n + 1)
			na *= 2;
		nb = realloc(rx->buf, na);
		if (!nb)
			return 0;
		rx->buf = nb;
		rx->alloc = na;
	}
	memcpy(rx->buf + rx->len, data, n);
	rx->len += n;
	rx->buf[rx->len] = '\0';
	return n;
}

/* Copies a header's value (trimmed) into dst when the line is "name: ...". */
static int header_value(const char *line, size_t n, const char *name,
			char *dst, size_t dstlen)
{
	size_t nl = strlen(name), i;

	if (n <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
		return 0;
	line += nl + 1;
	n -= nl + 1;
	while (n > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n' ||
			 line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	if (n >= dstlen)
		n = dstlen - 1;
	for (i = 0; i < n; i++) /* printable ASCII only: it goes into logs */
		dst[i] = (line[i] >= 0x20 && line[i] < 0x7f) ? line[i] : '?';
	dst[n] = '\0';
	return 1;
}

static size_t rx_header(char *data, size_t size, size_t nmemb, void *opaque)
{
	aws_rx *rx = opaque;
	size_t n = size * nmemb;

	if (!header_value(data, n, "x-amzn-RequestId", rx->request_id,
			  sizeof(rx->request_id)) &&
	    !header_value(data, n, "x-amz-request-id", rx->request_id,
			  sizeof(rx->request_id)))
		header_value(data, n, "x-amzn-ErrorType", rx->error_type_hdr,
			     sizeof(rx->error_type_hdr));
	return n;
}

/* "com.amazonaws.sagemaker#ValidationException:http://..." ->
 * "ValidationException". */
static void set_error_type(char *dst, size_t dstlen, const char *s)
{
	const char *hash = strrchr(s, '#');
	size_t n;

	if (hash)
		s = hash + 1;
	n = strcspn(s, ":");
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int type_in(const char *type, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(type, *list) == 0)
			return 1;
	return 0;
}

/* botocore's throttling and transient error codes (retryhandler.py,
 * retries/standard.py). */
static const char *const retry_types[] = {
	"Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottledException", "TooManyRequestsException",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded",
	"BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
	"SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
	"RequestTimeout", "RequestTimeoutException", "InternalFailure",
	"InternalError", "InternalServerError", "ServiceUnavailable", NULL};

static const char *curl_code_name(CURLcode c)
{
	switch (c) {
	case CURLE_UNSUPPORTED_PROTOCOL: return "CURLE_UNSUPPORTED_PROTOCOL";
	case CURLE_URL_MALFORMAT: return "CURLE_URL_MALFORMAT";
	case CURLE_COULDNT_RESOLVE_PROXY: return "CURLE_COULDNT_RESOLVE_PROXY";
	case CURLE_COULDNT_RESOLVE_HOST: return "CURLE_COULDNT_RESOLVE_HOST";
	case CURLE_COULDNT_CONNECT: return "CURLE_COULDNT_CONNECT";
	case CURLE_WEIRD_SERVER_REPLY: return "CURLE_WEIRD_SERVER_REPLY";
	case CURLE_PARTIAL_FILE: return "CURLE_PARTIAL_FILE";
	case CURLE_WRITE_ERROR: return "CURLE_WRITE_ERROR";
	case CURLE_OUT_OF_MEMORY: return "CURLE_OUT_OF_MEMORY";
	case CURLE_OPERATION_TIMEDOUT: return "CURLE_OPERATION_TIMEDOUT";
	case CURLE_SSL_CONNECT_ERROR: return "CURLE_SSL_CONNECT_ERROR";
	case CURLE_GOT_NOTHING: return "CURLE_GOT_NOTHING";
	case CURLE_SEND_ERROR: return "CURLE_SEND_ERROR";
	case CURLE_RECV_ERROR: return "CURLE_RECV_ERROR";
	case CURLE_SSL_CERTPROBLEM: return "CURLE_SSL_CERTPROBLEM";
	case CURLE_PEER_FAILED_VERIFICATION:
		return "CURLE_PEER_FAILED_VERIFICATION";
	case CURLE_SSL_CACERT_BADFILE: return "CURLE_SSL_CACERT_BADFILE";
	case CURLE_HTTP2: return "CURLE_HTTP2";
	case CURLE_HTTP2_STREAM: return "CURLE_HTTP2_STREAM";
	default: return NULL;
	}
}

/* Transport errors worth another try: the network, DNS, TLS (a
 * certificate being rotated, a CA bundle being replaced) or the server's
 * side of it; not a URL curl cannot use. */
int aws_call_curl_retryable(int code)
{
	switch ((CURLcode)code) {
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* A header value must not split the header block (and must fit it). */
static int valid_header_value(const char *s)
{
	return s && *s && strlen(s) < 256 && strpbrk(s, "\r\n") == NULL;
}

static int is_get(const aws_call_request *rq)
{
	return rq->method && strcmp(rq->method, "GET") == 0;
}

/* The Query protocol (SNS): a form-encoded POST that names its action in
 * the body, without X-Amz-Target. */
static int is_query(const aws_call_request *rq)
{
	return rq->target == NULL && rq->content_type &&
	       strcmp(rq->content_type, "application/x-www-form-urlencoded") == 0;
}

static int check_request(const aws_call_request *rq, const aws_creds *creds,
			 kpg_err *err)
{
	if (!rq || !creds) {
		kpg_err_set(err, "aws call: no request or no credentials");
		return KPG_EINVAL;
	}
	if (!rq->endpoint || (strncmp(rq->endpoint, "https://", 8) != 0 && strncmp(rq->endpoint, "http://", 7) != 0) ||
	    strpbrk(rq->endpoint, " \r\n")) {
		kpg_err_set(err, "aws call: endpoint must be http(s)://host[:port]");
		return KPG_EINVAL;
	}
	if (!aws_call_valid_label(rq->region) || !aws_call_valid_label(rq->service)) {
		kpg_err_set(err, "aws call: region and service must be non-empty "
				 "[a-z0-9-] names");
		return KPG_EINVAL;
	}
	if (rq->method && strcmp(rq->method, "GET") != 0 &&
	    strcmp(rq->method, "POST") != 0) {
		kpg_err_set(err, "aws call: method must be GET or POST");
		return KPG_EINVAL;
	}
	for (size_t i = 0; rq->headers && rq->headers[i]; i++)
		if (!valid_header_value(rq->headers[i]) || !strchr(rq->headers[i], ':')) {
			kpg_err_set(err, "aws call: a header must be one "
					 "\"Name: value\" line");
			return KPG_EINVAL;
		}
	if (is_get(rq) ? ((rq->target && !valid_header_value(rq->target)) ||
			  (rq->content_type && !valid_header_value(rq->content_type)) ||
			  rq->body_len)
		       : ((!valid_header_value(rq->target) && !is_query(rq)) ||
			  !valid_header_value(rq->content_type))) {
		kpg_err_set(err, "aws call: target and content type must be "
				 "non-empty single-line values");
		return KPG_EINVAL;
	}
	if (!rq->body && rq->body_len) {
		kpg_err_set(err, "aws call: body_len without a body");
		return KPG_EINVAL;
	}
	if (!creds->access_key_id[0] || !creds->secret_access_key[0] ||
	    strchr(creds->access_key_id, ':') ||
	    strpbrk(creds->session_token, "\r\n")) {
		kpg_err_set(err, "aws call: credentials are empty or malformed");
		return KPG_EINVAL;
	}
	return 0;
}

/* Never lets a credential through into a message (a proxy or a broken
 * server could echo a header back). */
static void scrub_message(char *msg, const aws_creds *creds)
{
	if (strstr(msg, creds->secret_access_key) ||
	    (creds->session_token[0] && strstr(msg, creds->session_token)))
		snprintf(msg, 512, "(message withheld: it contained a credential)");
}

/* Fills error_type / error_message / outcome from a non-2xx answer
 * (res->body already holds it). */
static void classify_http(aws_call_result *res, const aws_rx *rx)
{
	json_t *root = NULL, *v;
	const char *msg = NULL;
	char xml_msg[sizeof(res->error_message)];

	res->outcome = AWS_CALL_FAILED;
	if (res->body_len)
		root = json_loadb(res->body, res->body_len, 0, NULL);
	if (json_is_object(root)) {
		v = json_object_get(root, "__type");
		if (json_is_string(v) && json_string_value(v)[0])
			set_error_type(res->error_type, sizeof(res->error_type),
				       json_string_value(v));
		v = json_object_get(root, "message");
		if (!json_is_string(v))
			v = json_object_get(root, "Message");
		if (json_is_string(v))
			msg = json_string_value(v);
	}
	if (!res->error_type[0] && rx->error_type_hdr[0])
		set_error_type(res->error_type, sizeof(res->error_type),
			       rx->error_type_hdr);
	/* S3 answers errors in XML: <Error><Code>SlowDown</Code>... */
	if (!res->error_type[0] && !msg &&
	    s3_xml_error(res->body, res->body_len, res->error_type,
			 sizeof(res->error_type), xml_msg, sizeof(xml_msg)) == 0)
		msg = xml_msg;
	if (!res->error_type[0])
		snprintf(res->error_type, sizeof(res->error_type), "HTTP%ld",
			 res->http_status);
	if (msg)
		snprintf(res->error_message, sizeof(res->error_message), "%s",
			 msg);
	else
		snprintf(res->error_message, sizeof(res->error_message),
			 "HTTP %ld without an AWS error message (%zu bytes)",
			 res->http_status, res->body_len);
	json_decref(root);
	if (res->http_status == 429 || res->http_status >= 500 ||
	    type_in(res->error_type, retry_types))
		res->outcome = AWS_CALL_RETRYABLE;
}

int aws_call_once(const aws_call_request *rq, const aws_creds *creds,
		  aws_call_result *res, kpg_err *err)
{
	CURL *h = NULL;
	struct curl_slist *hdrs = NULL, *nh;
	aws_rx rx;
	char errbuf[CURL_ERROR_SIZE];
	char sigv4[160], line[4200];
	const char *ca;
	long timeout;
	CURLcode cc;
	int rc = 0;

	memset(&rx, 0, sizeof(rx));
	errbuf[0] = '\0';
	line[0] = '\0';
	if (!res) {
		kpg_err_set(err, "aws call: no result");
		return KPG_EINVAL;
	}
	memset(res, 0, sizeof(*res));
	rc = check_request(rq, creds, err);
	if (rc)
		return rc;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK) {
		kpg_err_set(err, "aws call: curl_global_init failed: %s",
			    curl_easy_strerror(curl_init_rc));
		return KPG_ENOMEM;
	}
	/* a sink holds this attempt's answer only */
	if (rq->body_sink && (fflush(rq->body_sink) != 0 ||
			      ftruncate(fileno(rq->body_sink), 0) != 0 ||
			      fseek(rq->body_sink, 0, SEEK_SET) != 0)) {
		kpg_err_set(err, "aws call: cannot empty the answer's file: %s",
			    strerror(errno));
		return KPG_EIO;
	}
	h = curl_easy_init();
	if (!h) {
		kpg_err_set(err, "aws call: curl_easy_init failed");
		return KPG_ENOMEM;
	}
	rx.h = h;
	rx.sink = rq->body_sink;

	rx.cap = rq->max_answer ? rq->max_answer : AWS_BODY_CAP;
	/* Headers: each appended line is copied by curl. */
	if (rq->content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s", rq->content_type);
		if (!(nh = curl_slist_append(hdrs, line)))
			goto nomem;
		hdrs = nh;
	}
	if (rq->target) {
		snprintf(line, sizeof(line), "X-Amz-Target: %s", rq->target);
		if (!(nh = curl_slist_append(hdrs, line)))
			goto nomem;
		hdrs = nh;
	}
	for (size_t i = 0; rq->headers && rq->headers[i]; i++) {
		if (!(nh = curl_slist_append(hdrs, rq->headers[i])))
			goto nomem;
		hdrs = nh;
	}
	if (creds->session_token[0]) {
		snprintf(line, sizeof(line), "X-Amz-Security-Token: %s",
			 creds->session_token);
		nh = curl_slist_append(hdrs, line);
		explicit_bzero(line, sizeof(line));
		if (!nh)
			goto nomem;
		hdrs = nh;
	}
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:%s", rq->region,
		 rq->service);

	timeout = rq->timeout_ms > 0 ? rq->timeout_ms : AWS_DEFAULT_TIMEOUT_MS;
	ca = rq->ca_bundle;
	if (!ca || !*ca)
		ca = getenv("AWS_CA_BUNDLE");

	if (curl_easy_setopt(h, CURLOPT_URL, rq->endpoint) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK) {
		kpg_err_set(err, "aws call: endpoint is not a URL curl accepts");
		rc = KPG_EINVAL;
		goto done;
	}
	/* setopt errors below can only be out-of-memory copies of strings. */
	cc = CURLE_OK;
	cc |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	cc |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	cc |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	cc |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			       timeout < AWS_CONNECT_TIMEOUT_MS ? timeout : (long)AWS_CONNECT_TIMEOUT_MS);
	cc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	cc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca && *ca)
		cc |= curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	cc |= curl_easy_setopt(h, CURLOPT_USERAGENT, "kpigate/" KPIGATE_VERSION);
	cc |= curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
	cc |= curl_easy_setopt(h, CURLOPT_USERNAME, creds->access_key_id);
	cc |= curl_easy_setopt(h, CURLOPT_PASSWORD, creds->secret_access_key);
	cc |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (is_get(rq)) {
		/* S3 keys are not paths: "a/../b" is a key of its own */
		cc |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		cc |= curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	} else {
		cc |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				       (curl_off_t)rq->body_len);
		cc |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
	}
	cc |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, rx_body);
	cc |= curl_easy_setopt(h, CURLOPT_WRITEDATA, &rx);
	cc |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, rx_header);
	cc |= curl_easy_setopt(h, CURLOPT_HEADERDATA, &rx);
	if (cc != CURLE_OK)
		goto nomem;

	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->http_status);
	snprintf(res->request_id, sizeof(res->request_id), "%s", rx.request_id);

	/* The answer, NUL-terminated even when empty. */
	if (!rx.buf && !(rx.buf = calloc(1, 1)))
		goto nomem;
	res->body = rx.buf;
	res->body_len = rx.len;
	rx.buf = NULL;

	if (rx.too_big) {
		res->outcome = AWS_CALL_FAILED;
		snprintf(res->error_type, sizeof(res->error_type),
			 "ResponseTooLarge");
		snprintf(res->error_message, sizeof(res->error_message),
			 "the answer is larger than %zu bytes", rx.cap);
	} else if (cc == CURLE_WRITE_ERROR && rx.sink_failed) {
		kpg_err_set(err, "aws call: cannot write the answer to its file: %s",
			    strerror(errno));
		aws_call_result_free(res);
		rc = KPG_EIO;
		goto done;
	} else if (cc == CURLE_WRITE_ERROR) {
		goto nomem; /* rx_body's realloc failed */
	} else if (cc != CURLE_OK) {
		const char *name = curl_code_name(cc);

		if (cc == CURLE_OUT_OF_MEMORY)
			goto nomem;
		res->outcome = aws_call_curl_retryable((int)cc) ? AWS_CALL_RETRYABLE : AWS_CALL_FAILED;
		if (name)
			snprintf(res->error_type, sizeof(res->error_type), "%s",
				 name);
		else
			snprintf(res->error_type, sizeof(res->error_type),
				 "CURLE_%d", (int)cc);
		snprintf(res->error_message, sizeof(res->error_message), "%s",
			 errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else if (res->http_status >= 200 && res->http_status < 300) {
		res->outcome = AWS_CALL_OK;
	} else {
		classify_http(res, &rx);
	}
	scrub_message(res->error_message, creds);
	goto done;

nomem:
	kpg_err_set(err, "aws call: out of memory");
	aws_call_result_free(res);
	rc = KPG_ENOMEM;
done:
	if (h)
		curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	free(rx.buf);
	return rc;
}

void aws_call_result_free(aws_call_result *res)
{
	if (!res)
		return;
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
}

/* --- retry policy ------------------------------------------------------ */

int64_t aws_call_mono_ms(void)
{
	return kpg_time_mono_ms();
}

uint64_t aws_call_random_u64(void)
{
	static _Thread_local uint64_t fallback;
	uint64_t r, z;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r))
		return r;
	if (!fallback) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		fallback = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
			   (uint64_t)(uintptr_t)&ts;
	}
	/* splitmix64 */
	z = (fallback += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int64_t aws_call_backoff_ms(int retry, int base_ms, int cap_ms, uint64_t rnd)
{
	int64_t bound, half;

	if (base_ms <= 0 || cap_ms <= 0 || retry < 0)
		return 0;
	bound = base_ms;
	while (retry-- > 0 && bound < cap_ms)
		bound *= 2;
	if (bound > cap_ms)
		bound = cap_ms;
	/* equal jitter: the lower half is fixed, so the waits double for
	 * sure and nothing can spin however the dice fall */
	half = bound / 2;
	return half + (int64_t)(rnd % (uint64_t)(bound - half + 1));
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The ExpiredTokenException answer: the credentials we signed with have
 * expired on the service's side although our cache still trusts them. */
static int is_expired_token(const aws_call_result *res)
{
	return res->outcome != AWS_CALL_OK &&
	       (strcmp(res->error_type, "ExpiredTokenException") == 0 ||
		strcmp(res->error_type, "ExpiredToken") == 0);
}

/* A get_creds failure as an attempt's result: no answer, retryable,
 * botocore's names for the two cases. */
static void creds_failure(aws_call_result *res, int rc, const kpg_err *err)
{
	memset(res, 0, sizeof(*res));
	res->outcome = AWS_CALL_RETRYABLE;
	snprintf(res->error_type, sizeof(res->error_type), "%s",
		 rc == KPG_ENOTFOUND ? AWS_CALL_NO_CREDENTIALS
				     : AWS_CALL_CREDENTIALS_FAILED);
	snprintf(res->error_message, sizeof(res->error_message), "%s",
		 err && err->msg[0] ? err->msg : "no AWS credentials");
}

int aws_call_retry(const aws_call_request *rq, const aws_retry_policy *pol,
		   aws_call_result *res, kpg_err *err)
{
	aws_call_request r;
	aws_creds creds;
	int max, base, cap, attempt, refreshed = 0, rc = 0;
	int64_t now, left, wait;

	if (!res) {
		kpg_err_set(err, "aws call: no result");
		return KPG_EINVAL;
	}
	memset(res, 0, sizeof(*res));
	if (!rq || !pol || !pol->get_creds) {
		kpg_err_set(err, "aws call: retry needs a request and a policy "
				 "with get_creds");
		return KPG_EINVAL;
	}
	max = pol->max_attempts > 0 ? pol->max_attempts : AWS_CALL_DEFAULT_ATTEMPTS;
	base = pol->base_ms > 0 ? pol->base_ms : AWS_CALL_DEFAULT_BASE_MS;
	cap = pol->cap_ms > 0 ? pol->cap_ms : AWS_CALL_DEFAULT_CAP_MS;
	memset(&creds, 0, sizeof(creds));

	for (attempt = 1; attempt <= max; attempt++) {
		r = *rq;
		if (pol->deadline_ms) {
			left = pol->deadline_ms - aws_call_mono_ms();
			if (left <= 0)
				break; /* res keeps the previous answer */
			if (r.timeout_ms <= 0)
				r.timeout_ms = AWS_DEFAULT_TIMEOUT_MS;
			if (left < r.timeout_ms)
				r.timeout_ms = (int)left;
		}
		aws_call_result_free(res);
		rc = pol->get_creds(pol->opaque, &creds, err);
		if (rc == KPG_ENOMEM)
			break;
		if (rc) {
			/* no credentials (yet): an attempt that failed like
			 * a refused connection, retried on the same schedule */
			creds_failure(res, rc, err);
			kpg_err_clear(err);
			rc = 0;
		} else {
			rc = aws_call_once(&r, &creds, res, err);
		}
		explicit_bzero(&creds, sizeof(creds));
		if (rc) {
			res->attempts = attempt;
			break;
		}
		res->attempts = attempt;
		if (pol->on_attempt)
			pol->on_attempt(pol->opaque, attempt, res);
		if (res->outcome == AWS_CALL_OK)
			break;
		if (is_expired_token(res) && !refreshed) {
			/* get_creds is asked again at once (the caller's
			 * on_attempt can invalidate its cache on this type). */
			refreshed = 1;
			continue;
		}
		if (res->outcome == AWS_CALL_FAILED || attempt == max)
			break;
		wait = aws_call_backoff_ms(pol->backoff_from + attempt - 1, base,
					   cap, aws_call_random_u64());
		if (pol->deadline_ms) {
			now = aws_call_mono_ms();
			if (now + wait >= pol->deadline_ms)
				break; /* no time left for another attempt */
		}
		/* sleeps in slices so that a stop is not kept waiting */
		while (wait > 0) {
			int64_t slice = wait < 100 ? wait : 100;

			if (pol->keep_going && !pol->keep_going(pol->opaque))
				return rc;
			sleep_ms(slice);
			wait -= slice;
		}
		if (pol->keep_going && !pol->keep_going(pol->opaque))
			break;
	}
	return rc;
}
