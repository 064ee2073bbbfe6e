/* webhook.h - one HTTP(S) webhook delivery: a POST (or another method) of
 * a body, signed with a shared secret, and the retry policy around it.
 *
 * Signature: X-Kpigate-Signature: sha256=<hex HMAC-SHA256(secret, raw
 * body)>, lower-case hex, over exactly the bytes sent (docs/notifications.md
 * has a receiver's check in Python). X-Kpigate-Idempotency-Key carries the
 * decision's key so that a receiver can drop a retried delivery it has
 * already acted on; X-Kpigate-Event names the event.
 *
 * The secret comes from a file (secret_file; one trailing newline
 * dropped) or an environment variable (secret_env). It is never put in a
 * result, an error message or a log line; webhook_secret_free wipes it.
 *
 * Status classes: 2xx delivered; 408, 429 and 5xx retryable; transport
 * errors (refused, DNS, TLS, timeout, reset: aws_call_curl_retryable)
 * retryable; any other answer
 * (3xx: redirects are not followed; other 4xx) final. Retries back off
 * with equal jitter like aws_call (aws_call_backoff_ms), bounded by
 * max_attempts and a deadline. TLS certificates are always verified. */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"

/* Largest secret read from a file or the environment. */
#define WEBHOOK_SECRET_MAX 4096

typedef struct webhook_secret {
	unsigned char *key; /* owned; wiped and freed by webhook_secret_free */
	size_t len;
} webhook_secret;

/* Reads the secret from file (when non-NULL) or from the environment
 * variable env. Exactly one of them must be given. An empty secret, a
 * missing file or variable, or one longer than WEBHOOK_SECRET_MAX is an
 * error (KPG_EINVAL, KPG_EIO, KPG_ETOOBIG); the message names the file or
 * the variable, never the value. out is owned by the caller: free with
 * webhook_secret_free. */
int webhook_secret_load(const char *file, const char *env, webhook_secret *out,
			kpg_err *err);
void webhook_secret_free(webhook_secret *s);

/* HMAC-SHA256 of data under key (RFC 2104 / RFC 4231). */
int webhook_hmac_sha256(const unsigned char *key, size_t keylen, const void *data,
			size_t len, unsigned char out[32]);

/* "sha256=" and the 64 lower-case hex digits of the HMAC of body:
 * the X-Kpigate-Signature value. sig has room for 72 bytes. */
#define WEBHOOK_SIG_LEN 72
int webhook_signature(const webhook_secret *secret, const void *body, size_t len,
		      char sig[WEBHOOK_SIG_LEN]);

typedef struct webhook_request {
	const char *url;            /* http:// or https:// */
	const char *method;         /* NULL = "POST" */
	const char *content_type;   /* NULL = "application/json" */
	const char *const *headers; /* extra "Name: value" lines, NULL-ended;
				       borrowed, may hold secrets: never
				       copied into a result */
	const char *body;
	size_t body_len;              /* borrowed */
	const webhook_secret *secret; /* NULL = no signature header */
	const char *idempotency_key;  /* NULL = no header */
	const char *event;            /* NULL = no X-Kpigate-Event */
	const char *ca_bundle;        /* NULL = the system's */
	int timeout_ms;               /* whole attempt; 0 = 10000 */
} webhook_request;

typedef enum webhook_outcome {
	WEBHOOK_OK = 0,    /* 2xx */
	WEBHOOK_RETRYABLE, /* 408, 429, 5xx, transport error */
	WEBHOOK_FAILED     /* any other answer: final */
} webhook_outcome;

/* The first bytes of an answer kept in a result (the rest is read and
 * dropped): enough for a short excerpt in an audit record. */
#define WEBHOOK_ANSWER_MAX 512

typedef struct webhook_result {
	webhook_outcome outcome;
	long http_status; /* 0 when no answer (transport error) */
	/* the answer's first bytes, NUL-ended (may hold NULs), answer_len of
	 * them; answer_truncated: the answer was longer */
	char answer[WEBHOOK_ANSWER_MAX + 1];
	size_t answer_len;
	int answer_truncated;
	/* "" when delivered; "HTTP 503" or curl's name and message; never a
	 * header value or the secret */
	char error[256];
	int attempts; /* attempts made (webhook_send) */
} webhook_result;

/* The class of an HTTP status (0 = no answer: retryable). */
webhook_outcome webhook_classify(long http_status);

/* Short name of an outcome for the audit log: "ok", "retryable",
 * "failed". */
const char *webhook_outcome_name(webhook_outcome o);

/* The host (and port when one is given) of url, for audit records: no
 * user, password, path or query. KPG_EINVAL when url is not http(s). */
int webhook_url_host(const char *url, char *host, size_t hostlen, kpg_err *err);

/* One attempt. Returns 0 whenever the outcome is known (look at
 * res->outcome), KPG_EINVAL for a bad request (no URL, not http(s), a
 * header with a line break), KPG_ENOMEM. The answer's first
 * WEBHOOK_ANSWER_MAX bytes are kept in res->answer, the rest dropped. */
int webhook_send_once(const webhook_request *rq, webhook_result *res, kpg_err *err);

typedef struct webhook_retry_policy {
	int max_attempts;    /* 0 = 5 */
	int base_ms;         /* 0 = 500 */
	int cap_ms;          /* 0 = 30000 */
	int64_t deadline_ms; /* CLOCK_MONOTONIC ms; 0 = none */
	/* Optional: asked before each retry; 0 stops now. */
	int (*keep_going)(void *opaque);
	/* Optional: told about every attempt (the audit record per
	 * attempt). */
	void (*on_attempt)(void *opaque, int attempt, const webhook_result *res);
	void *opaque;
} webhook_retry_policy;

#define WEBHOOK_DEFAULT_ATTEMPTS 5
#define WEBHOOK_DEFAULT_BASE_MS 500
#define WEBHOOK_DEFAULT_CAP_MS 30000

/* Attempts until delivered or final, or until attempts or the deadline
 * run out (res then holds the last retryable attempt). Same returns as
 * webhook_send_once. */
int webhook_send(const webhook_request *rq, const webhook_retry_policy *pol,
		 webhook_result *res, kpg_err *err);

#endif
