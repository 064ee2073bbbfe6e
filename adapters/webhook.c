/* webhook.c - one webhook delivery over libcurl, its status classes and
 * its retries (webhook.h). Each attempt is its own easy handle, nothing
 * is shared between threads; curl_global_init runs once. The answer's
 * body is read and dropped: a receiver's page is not ours to keep. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "aws_call.h"
#include "webhook.h"

#define WEBHOOK_TIMEOUT_MS 10000
#define WEBHOOK_CONNECT_TIMEOUT_MS 5000

static pthread_once_t webhook_curl_once = PTHREAD_ONCE_INIT;
static CURLcode webhook_curl_rc = CURLE_FAILED_INIT;

static void webhook_curl_init(void)
{
	webhook_curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Keeps the answer's first WEBHOOK_ANSWER_MAX bytes, drops the rest. */
static size_t webhook_keep(char *data, size_t size, size_t nmemb, void *opaque)
{
	webhook_result *res = opaque;
	size_t n = size * nmemb, room = WEBHOOK_ANSWER_MAX - res->answer_len;

	if (n > room)
		res->answer_truncated = 1;
	memcpy(res->answer + res->answer_len, data, n < room ? n : room);
	res->answer_len += n < room ? n : room;
	res->answer[res->answer_len] = '\0';
	return n;
}

webhook_outcome webhook_classify(long status)
{
	if (status >= 200 && status <= 299)
		return WEBHOOK_OK;
	if (status == 0 || status == 408 || status == 429 || (status >= 500 && status <= 599))
		return WEBHOOK_RETRYABLE;
	return WEBHOOK_FAILED;
}

const char *webhook_outcome_name(webhook_outcome o)
{
	switch (o) {
	case WEBHOOK_OK: return "ok";
	case WEBHOOK_RETRYABLE: return "retryable";
	default: return "failed";
	}
}

static int webhook_is_http_url(const char *url)
{
	return url && (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0);
}

int webhook_url_host(const char *url, char *host, size_t hostlen, kpg_err *err)
{
	CURLU *u = NULL;
	char *h = NULL, *port = NULL;
	int rc = 0;

	if (!webhook_is_http_url(url) || hostlen == 0) {
		kpg_err_set(err, "webhook url must start with http:// or https://");
		return KPG_EINVAL;
	}
	u = curl_url();
	if (!u) {
		kpg_err_set(err, "webhook url: out of memory");
		return KPG_ENOMEM;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK) {
		kpg_err_set(err, "webhook url does not parse");
		rc = KPG_EINVAL;
		goto done;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;
	if ((size_t)snprintf(host, hostlen, "%s%s%s", h, port ? ":" : "",
			     port ? port : "") >= hostlen) {
		kpg_err_set(err, "webhook url: host too long");
		rc = KPG_ETOOBIG;
	}
done:
	curl_free(h);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

static int webhook_header_ok(const char *s)
{
	return s && !strpbrk(s, "\r\n") && strlen(s) < 4000;
}

static int webhook_check(const webhook_request *rq, kpg_err *err)
{
	if (!rq || !webhook_is_http_url(rq->url)) {
		kpg_err_set(err, "webhook: url must start with http:// or https://");
		return KPG_EINVAL;
	}
	if ((rq->method && (!*rq->method || !webhook_header_ok(rq->method) ||
			    strpbrk(rq->method, " \t"))) ||
	    (rq->content_type && !webhook_header_ok(rq->content_type)) ||
	    (rq->idempotency_key && !webhook_header_ok(rq->idempotency_key)) ||
	    (rq->event && !webhook_header_ok(rq->event))) {
		kpg_err_set(err, "webhook: method, content type, idempotency key "
				 "or event holds a line break");
		return KPG_EINVAL;
	}
	for (size_t i = 0; rq->headers && rq->headers[i]; i++)
		if (!webhook_header_ok(rq->headers[i]) || !strchr(rq->headers[i], ':')) {
			/* the header may hold a secret: only its number */
			kpg_err_set(err, "webhook: extra header %zu is not one "
					 "\"Name: value\" line",
				    i + 1);
			return KPG_EINVAL;
		}
	return 0;
}

/* Appends one formatted header line; the line buffer is wiped (it may
 * hold a signature). */
static int webhook_add(struct curl_slist **hdrs, const char *name, const char *value)
{
	char line[4200];
	struct curl_slist *nh;

	snprintf(line, sizeof(line), "%s: %s", name, value);
	nh = curl_slist_append(*hdrs, line);
	explicit_bzero(line, sizeof(line));
	if (!nh)
		return KPG_ENOMEM;
	*hdrs = nh;
	return 0;
}

int webhook_send_once(const webhook_request *rq, webhook_result *res, kpg_err *err)
{
	CURL *h = NULL;
	struct curl_slist *hdrs = NULL, *nh;
	char errbuf[CURL_ERROR_SIZE];
	char sig[WEBHOOK_SIG_LEN];
	CURLcode cc;
	int rc;

	if (!res) {
		kpg_err_set(err, "webhook: no result");
		return KPG_EINVAL;
	}
	memset(res, 0, sizeof(*res));
	rc = webhook_check(rq, err);
	if (rc)
		return rc;
	pthread_once(&webhook_curl_once, webhook_curl_init);
	if (webhook_curl_rc != CURLE_OK) {
		kpg_err_set(err, "webhook: curl_global_init failed: %s",
			    curl_easy_strerror(webhook_curl_rc));
		return KPG_ENOMEM;
	}
	errbuf[0] = '\0';
	h = curl_easy_init();
	if (!h) {
		kpg_err_set(err, "webhook: curl_easy_init failed");
		return KPG_ENOMEM;
	}
	rc = webhook_add(&hdrs, "Content-Type",
			 rq->content_type ? rq->content_type : "application/json");
	if (!rc && rq->secret) {
		rc = webhook_signature(rq->secret, rq->body, rq->body_len, sig);
		if (rc) {
			kpg_err_set(err, "webhook: cannot sign the body");
			goto done;
		}
		rc = webhook_add(&hdrs, "X-Kpigate-Signature", sig);
		explicit_bzero(sig, sizeof(sig));
	}
	if (!rc && rq->idempotency_key)
		rc = webhook_add(&hdrs, "X-Kpigate-Idempotency-Key", rq->idempotency_key);
	if (!rc && rq->event)
		rc = webhook_add(&hdrs, "X-Kpigate-Event", rq->event);
	/* no "Expect: 100-continue" round trip on larger bodies */
	if (!rc) {
		if (!(nh = curl_slist_append(hdrs, "Expect:")))
			rc = KPG_ENOMEM;
		else
			hdrs = nh;
	}
	for (size_t i = 0; !rc && rq->headers && rq->headers[i]; i++) {
		if (!(nh = curl_slist_append(hdrs, rq->headers[i])))
			rc = KPG_ENOMEM;
		else
			hdrs = nh;
	}
	if (rc) {
		kpg_err_set(err, "webhook: out of memory");
		goto done;
	}
	cc = curl_easy_setopt(h, CURLOPT_URL, rq->url);
	cc |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (cc != CURLE_OK) {
		kpg_err_set(err, "webhook: curl refuses the url");
		rc = KPG_EINVAL;
		goto done;
	}
	cc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	cc |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
			       (long)(rq->timeout_ms > 0 ? rq->timeout_ms : WEBHOOK_TIMEOUT_MS));
	cc |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)WEBHOOK_CONNECT_TIMEOUT_MS);
	cc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	cc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (rq->ca_bundle && *rq->ca_bundle)
		cc |= curl_easy_setopt(h, CURLOPT_CAINFO, rq->ca_bundle);
	cc |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	cc |= curl_easy_setopt(h, CURLOPT_USERAGENT, "kpigate/" KPIGATE_VERSION);
	cc |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	cc |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
	cc |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
	if (rq->method && strcmp(rq->method, "POST") != 0)
		cc |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	cc |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, webhook_keep);
	cc |= curl_easy_setopt(h, CURLOPT_WRITEDATA, res);
	if (cc != CURLE_OK) {
		kpg_err_set(err, "webhook: curl_easy_setopt failed");
		rc = KPG_ENOMEM;
		goto done;
	}
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->http_status);
		res->outcome = webhook_classify(res->http_status);
		if (res->outcome != WEBHOOK_OK)
			snprintf(res->error, sizeof(res->error), "HTTP %ld",
				 res->http_status);
	} else {
		res->http_status = 0;
		res->outcome = aws_call_curl_retryable((int)cc) ? WEBHOOK_RETRYABLE
								: WEBHOOK_FAILED;
		snprintf(res->error, sizeof(res->error), "curl error %d: %.200s", (int)cc,
			 errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
done:
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	return rc;
}

static int64_t webhook_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void webhook_sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

int webhook_send(const webhook_request *rq, const webhook_retry_policy *pol,
		 webhook_result *res, kpg_err *err)
{
	webhook_request r;
	int max, base, cap, attempt, rc = 0;
	int64_t left, wait;

	if (!res || !rq || !pol) {
		kpg_err_set(err, "webhook: send needs a request, a policy and a result");
		return KPG_EINVAL;
	}
	memset(res, 0, sizeof(*res));
	max = pol->max_attempts > 0 ? pol->max_attempts : WEBHOOK_DEFAULT_ATTEMPTS;
	base = pol->base_ms > 0 ? pol->base_ms : WEBHOOK_DEFAULT_BASE_MS;
	cap = pol->cap_ms > 0 ? pol->cap_ms : WEBHOOK_DEFAULT_CAP_MS;
	for (attempt = 1; attempt <= max; attempt++) {
		r = *rq;
		if (pol->deadline_ms) {
			left = pol->deadline_ms - webhook_mono_ms();
			if (left <= 0)
				break; /* res keeps the previous attempt */
			if (r.timeout_ms <= 0)
				r.timeout_ms = WEBHOOK_TIMEOUT_MS;
			if (left < r.timeout_ms)
				r.timeout_ms = (int)left;
		}
		rc = webhook_send_once(&r, res, err);
		res->attempts = attempt;
		if (rc)
			break;
		if (pol->on_attempt)
			pol->on_attempt(pol->opaque, attempt, res);
		if (res->outcome != WEBHOOK_RETRYABLE || attempt == max)
			break;
		wait = aws_call_backoff_ms(attempt - 1, base, cap, aws_call_random_u64());
		if (pol->deadline_ms && webhook_mono_ms() + wait >= pol->deadline_ms)
			break;
		while (wait > 0) {
			int64_t slice = wait < 100 ? wait : 100;

			if (pol->keep_going && !pol->keep_going(pol->opaque))
				return rc;
			webhook_sleep_ms(slice);
			wait -= slice;
		}
		if (pol->keep_going && !pol->keep_going(pol->opaque))
			break;
	}
	return rc;
}
