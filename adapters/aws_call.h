/* aws_call.h - one AWS JSON-protocol API call over HTTPS, signed with
 * libcurl's built-in SigV4 (CURLOPT_AWS_SIGV4), and the retry policy
 * around it. A request with method "GET" (S3's REST calls, s3_client.h)
 * sends no body, takes its path and query in the endpoint URL, and needs
 * no target or content type.
 *
 * The request is a POST of a JSON body with X-Amz-Target and the
 * protocol's Content-Type (application/x-amz-json-1.1 for SageMaker, 1.0
 * for Step Functions), or, for the Query protocol (SNS Publish), a POST of
 * a form (application/x-www-form-urlencoded, target NULL, the action in
 * the body); a session token goes in X-Amz-Security-Token. TLS
 * certificates are always verified (CA bundle: the option, else
 * AWS_CA_BUNDLE, else the system's).
 *
 * Retries: throttling (HTTP 429, ThrottlingException, Throttling,
 * TooManyRequestsException, RequestLimitExceeded, ProvisionedThroughput...),
 * HTTP 5xx, transport errors (refused, DNS, TLS, timeout, reset) and
 * credentials that cannot be had (get_creds failing) are retried alike,
 * with exponential backoff and equal jitter (sleep = b/2 + random(0, b/2),
 * b = min(cap, base * 2^retry)), up to max_attempts and never past the
 * deadline. Other 4xx answers are final and reported with AWS's error type
 * and message. */
#ifndef AWS_CALL_H
#define AWS_CALL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aws_creds.h"
#include "kpg_error.h"

typedef struct aws_call_request {
	const char *endpoint;     /* "https://host[:port]" (no path); for GET
				     the whole URL, path and query already
				     percent-encoded as SigV4 wants them */
	const char *method;       /* NULL or "POST": the JSON protocol; "GET" */
	const char *region;       /* e.g. "eu-west-1" */
	const char *service;      /* signing name: "sagemaker", "states" */
	const char *target;       /* X-Amz-Target, e.g.
				     "SageMaker.StartPipelineExecution" */
	const char *content_type; /* "application/x-amz-json-1.1" */
	const char *body;
	size_t body_len;       /* borrowed */
	const char *ca_bundle; /* NULL = AWS_CA_BUNDLE or the system's */
	int timeout_ms;        /* whole call; 0 = 10000 */
	/* more headers, "Name: value" lines, NULL-terminated (all signed);
	   NULL = none. Borrowed. */
	const char *const *headers;
	size_t max_answer; /* cap of the answer's body; 0 = 1 MiB */
	/* NULL, or where a 2xx answer's body goes (the result's body is then
	   empty; other answers stay in the result). Emptied (truncated) at
	   the start of every attempt, so a retry never appends to a broken
	   answer. Borrowed; a seekable file opened for writing. */
	FILE *body_sink;
} aws_call_request;

typedef enum aws_call_outcome {
	AWS_CALL_OK = 0,    /* HTTP 2xx */
	AWS_CALL_RETRYABLE, /* throttled, 5xx, transport error */
	AWS_CALL_FAILED     /* any other answer: final */
} aws_call_outcome;

/* error_type of an attempt that could not be made for want of
 * credentials (botocore's names): none configured, or the configured
 * source gave none. */
#define AWS_CALL_NO_CREDENTIALS "NoCredentialsError"
#define AWS_CALL_CREDENTIALS_FAILED "CredentialRetrievalError"

typedef struct aws_call_result {
	aws_call_outcome outcome;
	long http_status; /* 0 when no answer (transport error) */
	char *body;
	size_t body_len;         /* owned, NUL-terminated; the answer
				    (capped at max_answer) */
	char error_type[128];    /* "ThrottlingException", ... ("" on 2xx);
				    the part after '#' of __type, or the
				    x-amzn-ErrorType header, or S3's XML
				    <Error><Code> (with its <Message>); for transport
				    errors curl's name, e.g. "CURLE_COULDNT_CONNECT" */
	char error_message[512]; /* AWS's message or curl's, no secrets */
	char request_id[128];    /* x-amzn-RequestId (S3: x-amz-request-id),
				    "" if none */
	int attempts;            /* calls made (aws_call_retry) */
} aws_call_result;

/* One call, no retry. Returns 0 whenever the outcome is known (look at
 * res->outcome; transport errors are AWS_CALL_RETRYABLE), KPG_EINVAL for a
 * bad request (missing field, bad endpoint), KPG_ENOMEM. Free res with
 * aws_call_result_free. The secret and token are used for signing only. */
int aws_call_once(const aws_call_request *rq, const aws_creds *creds,
		  aws_call_result *res, kpg_err *err);
void aws_call_result_free(aws_call_result *res);

/* What 0 means for max_attempts; also the configuration's aws.max_attempts
 * default. */
#define AWS_CALL_DEFAULT_ATTEMPTS 8
/* What 0 means for base_ms and cap_ms. */
#define AWS_CALL_DEFAULT_BASE_MS 200
#define AWS_CALL_DEFAULT_CAP_MS 20000

typedef struct aws_retry_policy {
	int max_attempts;    /* 0 = AWS_CALL_DEFAULT_ATTEMPTS */
	int base_ms;         /* 0 = AWS_CALL_DEFAULT_BASE_MS */
	int cap_ms;          /* 0 = AWS_CALL_DEFAULT_CAP_MS */
	int64_t deadline_ms; /* kpg_time_mono_ms() clock; 0 = none */
	/* failed attempts before this call (a caller's earlier rounds): the
	 * backoff goes on from there instead of starting over; 0 = fresh */
	int backoff_from;
	/* Called before each attempt for fresh credentials. A failure is
	 * that attempt's result (AWS_CALL_RETRYABLE, error_type
	 * AWS_CALL_NO_CREDENTIALS for KPG_ENOTFOUND, else
	 * AWS_CALL_CREDENTIALS_FAILED, the message from err); only KPG_ENOMEM
	 * ends the retries with that error. */
	int (*get_creds)(void *opaque, aws_creds *out, kpg_err *err);
	/* Optional: asked before each retry; 0 ends the retries now (the
	 * caller is stopping), res keeping the last attempt's result. */
	int (*keep_going)(void *opaque);
	/* Optional: told about every attempt's outcome (audit, metrics). */
	void (*on_attempt)(void *opaque, int attempt, const aws_call_result *res);
	void *opaque;
} aws_retry_policy;

/* Calls until AWS_CALL_OK or AWS_CALL_FAILED, or attempts/deadline run out
 * (then res holds the last AWS_CALL_RETRYABLE answer). An
 * ExpiredTokenException asks get_creds again once and retries. Same
 * returns as aws_call_once. res->attempts is 0 when the deadline left no
 * time for any attempt (res->outcome is then meaningless). */
int aws_call_retry(const aws_call_request *rq, const aws_retry_policy *pol,
		   aws_call_result *res, kpg_err *err);

/* The wait before retry number `retry` (0 = the wait after the first
 * failed attempt), equal jitter: b = min(cap_ms, base_ms * 2^retry), rnd
 * mapped uniformly onto [b/2, b], both ends included. Never overflows. */
int64_t aws_call_backoff_ms(int retry, int base_ms, int cap_ms, uint64_t rnd);

/* 1 for a libcurl error (a CURLcode) worth another try: the network,
 * DNS, TLS (a certificate being rotated, a CA bundle being replaced) or
 * the server's side of it; 0 for a URL curl cannot use and the like. The
 * webhook sender (webhook.h) classifies alike. */
int aws_call_curl_retryable(int curl_code);

/* 64 random bits from the kernel (getrandom); falls back to a
 * clock-seeded splitmix64 only if getrandom fails. */
uint64_t aws_call_random_u64(void);

/* The endpoint for a service: AWS_ENDPOINT_URL_<ENV_NAME> (ENV_NAME
 * "SAGEMAKER", "SFN", "STS"), else config_override (may be NULL), else
 * AWS_ENDPOINT_URL, else https://<default_host>.<region>.amazonaws.com
 * (default_host "api.sagemaker", "states", "sts"). Trailing '/' removed.
 * KPG_ETOOBIG if it does not fit cap. */
int aws_endpoint_resolve(const char *env_name, const char *config_override,
			 const char *default_host, const char *region,
			 char *out, size_t cap, kpg_err *err);

/* The region: first non-empty of explicit (policy), config, AWS_REGION,
 * AWS_DEFAULT_REGION; NULL when none. */
const char *aws_region_resolve(const char *explicit_region,
			       const char *config_region);

#endif
