/* s3_client.c - ListObjectsV2 and GetObject over aws_call's signed GET
 * (see s3_client.h). */
#include "s3_client.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_call.h"
#include "aws_creds.h"

/* SHA-256 of the empty string: the x-amz-content-sha256 of a GET. */
#define S3_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define S3_MAX_KEY 1024
#define S3_URL_MAX 8192
#define S3_LIST_ANSWER_MAX ((size_t)16 << 20)

struct s3_client {
	char endpoint[512]; /* no trailing '/' */
	int path_style;     /* custom endpoint, or a bucket with a dot */
	char region[64];
	char *ca_bundle; /* owned, NULL = default */
	int max_keys;
	size_t max_object;
	int max_attempts;
	aws_creds_provider *creds; /* owned */
};

static int valid_bucket(const char *b)
{
	size_t n = strlen(b);

	if (n < 3 || n > 63)
		return 0;
	for (; *b; b++)
		if (!((*b >= 'a' && *b <= 'z') || (*b >= '0' && *b <= '9') ||
		      *b == '-' || *b == '.' || *b == '_'))
			return 0;
	return 1;
}

int s3_url_split(const char *url, char *bucket, size_t bucket_cap,
		 char *prefix, size_t prefix_cap, kpg_err *err)
{
	const char *b, *slash;
	size_t bn, pn;

	if (!url || strncmp(url, "s3://", 5) != 0)
		return 0;
	b = url + 5;
	slash = strchr(b, '/');
	bn = slash ? (size_t)(slash - b) : strlen(b);
	pn = slash ? strlen(slash + 1) : 0;
	if (bn >= bucket_cap || bn == 0) {
		kpg_err_set(err, "%s: no bucket name, or one too long", url);
		return KPG_EINVAL;
	}
	memcpy(bucket, b, bn);
	bucket[bn] = '\0';
	if (!valid_bucket(bucket)) {
		kpg_err_set(err, "%s: '%s' is not a bucket name (3-63 of a-z 0-9 . - _)",
			    url, bucket);
		return KPG_EINVAL;
	}
	if (pn > S3_MAX_KEY || pn >= prefix_cap) {
		kpg_err_set(err, "%s: prefix longer than %d bytes", url, S3_MAX_KEY);
		return KPG_EINVAL;
	}
	memcpy(prefix, pn ? slash + 1 : "", pn);
	prefix[pn] = '\0';
	return 1;
}

static int env_int(const char *name, int lo, int hi, int *out, kpg_err *err)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return 0;
	n = strtol(v, &end, 10);
	if (*end || n < lo || n > hi) {
		kpg_err_set(err, "%s must be %d..%d, got '%.40s'", name, lo, hi, v);
		return KPG_EINVAL;
	}
	*out = (int)n;
	return 0;
}

int s3_client_new(s3_client **out, const s3_client_options *opt, kpg_err *err)
{
	s3_client *c;
	char aws[512];
	const char *region;
	int rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		kpg_err_set(err, "s3: out of memory");
		return KPG_ENOMEM;
	}
	region = aws_region_resolve(opt ? opt->region : NULL, NULL);
	snprintf(c->region, sizeof(c->region), "%s", region ? region : "us-east-1");
	c->max_keys = opt && opt->max_keys ? opt->max_keys : 1000;
	if (!(opt && opt->max_keys) &&
	    (rc = env_int("KPIGATE_S3_MAX_KEYS", 1, 1000, &c->max_keys, err)) != 0)
		goto fail;
	if (c->max_keys < 1 || c->max_keys > 1000) {
		kpg_err_set(err, "s3: max_keys must be 1..1000");
		rc = KPG_EINVAL;
		goto fail;
	}
	c->max_object = opt && opt->max_object ? opt->max_object : S3_DEFAULT_MAX_OBJECT;
	c->max_attempts = opt ? opt->max_attempts : 0;
	if (opt && opt->ca_bundle && !(c->ca_bundle = strdup(opt->ca_bundle))) {
		kpg_err_set(err, "s3: out of memory");
		rc = KPG_ENOMEM;
		goto fail;
	}
	rc = aws_endpoint_resolve("S3", opt ? opt->endpoint : NULL, "s3", c->region,
				  c->endpoint, sizeof(c->endpoint), err);
	if (rc)
		goto fail;
	/* AWS's own endpoint is virtual-hosted; anything else path-style */
	rc = aws_endpoint_resolve(NULL, NULL, "s3", c->region, aws, sizeof(aws), NULL);
	c->path_style = getenv("AWS_ENDPOINT_URL_S3") || getenv("AWS_ENDPOINT_URL") ||
			(opt && opt->endpoint) || rc != 0 || strcmp(aws, c->endpoint) != 0;
	{
		aws_creds_options co = {c->region, c->ca_bundle, 0};

		rc = aws_creds_provider_new(&c->creds, &co, err);
		if (rc)
			goto fail;
	}
	*out = c;
	return 0;
fail:
	s3_client_free(c);
	return rc;
}

void s3_client_free(s3_client *c)
{
	if (!c)
		return;
	aws_creds_provider_free(c->creds);
	free(c->ca_bundle);
	free(c);
}

/* Appends s percent-encoded as SigV4 wants it (unreserved characters
 * kept, and '/' when keep_slash). 0, or KPG_ETOOBIG past cap. */
static int enc_append(char *dst, size_t cap, size_t *len, const char *s,
		      int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int keep = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			   (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
			   ch == '.' || ch == '~' || (keep_slash && ch == '/');

		if (*len + (keep ? 1 : 3) >= cap)
			return KPG_ETOOBIG;
		if (keep) {
			dst[(*len)++] = (char)ch;
		} else {
			dst[(*len)++] = '%';
			dst[(*len)++] = hex[ch >> 4];
			dst[(*len)++] = hex[ch & 15];
		}
	}
	dst[*len] = '\0';
	return 0;
}

static int raw_append(char *dst, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + n >= cap)
		return KPG_ETOOBIG;
	memcpy(dst + *len, s, n + 1);
	*len += n;
	return 0;
}

/* The URL of bucket + "/" + key (key NULL: the bucket, for a listing). */
static int object_url(const s3_client *c, const char *bucket, const char *key,
		      char *url, size_t cap, size_t *len)
{
	int path_style = c->path_style || strchr(bucket, '.');

	*len = 0;
	url[0] = '\0';
	if (path_style) {
		if (raw_append(url, cap, len, c->endpoint) ||
		    raw_append(url, cap, len, "/") || raw_append(url, cap, len, bucket))
			return KPG_ETOOBIG;
		if (key && raw_append(url, cap, len, "/"))
			return KPG_ETOOBIG;
	} else {
		/* https://s3.REGION... -> https://BUCKET.s3.REGION... */
		if (raw_append(url, cap, len, "https://") ||
		    raw_append(url, cap, len, bucket) || raw_append(url, cap, len, ".") ||
		    raw_append(url, cap, len, c->endpoint + 8) ||
		    raw_append(url, cap, len, "/"))
			return KPG_ETOOBIG;
	}
	return key ? enc_append(url, cap, len, key, 1) : 0;
}

static int get_creds(void *opaque, aws_creds *out, kpg_err *err)
{
	return aws_creds_get(opaque, out, err);
}

/* Credentials S3 calls expired are fetched again before the retry
 * aws_call_retry makes at once. */
static void on_attempt(void *opaque, int attempt, const aws_call_result *res)
{
	(void)attempt;
	if (strcmp(res->error_type, "ExpiredToken") == 0 ||
	    strcmp(res->error_type, "ExpiredTokenException") == 0)
		aws_creds_invalidate(opaque);
}

/* One signed GET with retries; 0 with the 2xx answer in *res (caller
 * frees it), or an error naming what (s3://bucket/what). */
static int s3_request(s3_client *c, const char *url, const char *const *headers,
		      size_t max_answer, FILE *sink, const char *what_bucket,
		      const char *what, aws_call_result *res, kpg_err *err)
{
	aws_call_request rq;
	aws_retry_policy pol;
	char msg[300];
	int rc;

	memset(&rq, 0, sizeof(rq));
	memset(&pol, 0, sizeof(pol));
	rq.endpoint = url;
	rq.method = "GET";
	rq.region = c->region;
	rq.service = "s3";
	rq.ca_bundle = c->ca_bundle;
	rq.timeout_ms = 60000;
	rq.headers = headers;
	rq.max_answer = max_answer;
	rq.body_sink = sink;
	pol.max_attempts = c->max_attempts;
	pol.get_creds = get_creds;
	pol.on_attempt = on_attempt;
	pol.opaque = c->creds;
	rc = aws_call_retry(&rq, &pol, res, err);
	if (rc) {
		snprintf(msg, sizeof(msg), "%.299s", err && err->msg[0] ? err->msg : kpg_rc_name(rc));
		kpg_err_set(err, "s3://%s/%s: %s", what_bucket, what, msg);
		aws_call_result_free(res);
		return rc;
	}
	if (res->outcome == AWS_CALL_OK)
		return 0;
	/* S3's <Error> Code and Message are aws_call's error type and
	 * message (classify_http) */
	snprintf(msg, sizeof(msg), "%.299s", res->error_message);
	if (res->http_status)
		kpg_err_set(err, "s3://%s/%s: HTTP %ld %s: %s (%d attempt%s)",
			    what_bucket, what, res->http_status, res->error_type,
			    msg, res->attempts, res->attempts == 1 ? "" : "s");
	else
		kpg_err_set(err, "s3://%s/%s: %s: %s (%d attempt%s)", what_bucket,
			    what, res->error_type, msg, res->attempts,
			    res->attempts == 1 ? "" : "s");
	rc = res->http_status == 404 ? KPG_ENOTFOUND : KPG_EIO;
	aws_call_result_free(res);
	return rc;
}

static const char *const s3_get_headers[] = {
	"x-amz-content-sha256: " S3_EMPTY_SHA256, NULL};

/* The listing URL: query parameters in SigV4's (alphabetical) order. */
static int list_url(const s3_client *c, const char *bucket, const char *prefix,
		    const char *token, const char *start_after, char *url,
		    size_t cap)
{
	char n[16];
	size_t len;
	int rc;

	snprintf(n, sizeof(n), "%d", c->max_keys);
	rc = object_url(c, bucket, NULL, url, cap, &len);
	if (!rc && token) {
		rc = raw_append(url, cap, &len, "?continuation-token=") ||
		     enc_append(url, cap, &len, token, 0);
	}
	rc = rc || raw_append(url, cap, &len, token ? "&list-type=2" : "?list-type=2") ||
	     raw_append(url, cap, &len, "&max-keys=") || raw_append(url, cap, &len, n) ||
	     raw_append(url, cap, &len, "&prefix=") ||
	     enc_append(url, cap, &len, prefix, 0);
	if (!rc && start_after && *start_after)
		rc = raw_append(url, cap, &len, "&start-after=") ||
		     enc_append(url, cap, &len, start_after, 0);
	return rc ? KPG_ETOOBIG : 0;
}

int s3_list(s3_client *c, const char *bucket, const char *prefix,
	    const char *start_after, s3_object_fn fn, void *opaque,
	    size_t *requests, kpg_err *err)
{
	s3_list_page page = {0};
	aws_call_result res;
	kpg_err perr = {""};
	char *url = NULL, *token = NULL, *prev = NULL;
	int rc = 0;

	memset(&res, 0, sizeof(res));
	url = malloc(S3_URL_MAX);
	if (!url) {
		kpg_err_set(err, "s3: out of memory");
		return KPG_ENOMEM;
	}
	do {
		if (list_url(c, bucket, prefix, token, start_after, url, S3_URL_MAX)) {
			kpg_err_set(err, "s3://%s/%s: listing URL too long", bucket, prefix);
			rc = KPG_ETOOBIG;
			goto done;
		}
		rc = s3_request(c, url, s3_get_headers, S3_LIST_ANSWER_MAX, NULL,
				bucket, prefix, &res, err);
		if (requests)
			++*requests;
		if (rc)
			goto done;
		rc = s3_xml_list_parse(res.body, res.body_len, &page, &perr);
		aws_call_result_free(&res);
		if (rc) {
			kpg_err_set(err, "s3://%s/%s: ListObjectsV2: %s", bucket,
				    prefix, perr.msg);
			goto done;
		}
		for (size_t i = 0; i < page.n; i++) {
			const char *k = page.objects[i].key;

			/* key order is the promise the layout rests on */
			if ((prev && strcmp(prev, k) >= 0) ||
			    strncmp(k, prefix, strlen(prefix)) != 0) {
				kpg_err_set(err, "s3://%s/%s: ListObjectsV2 answered key %.300s "
						 "out of order or outside the prefix",
					    bucket, prefix, k);
				rc = KPG_EPARSE;
				goto done;
			}
			free(prev);
			if (!(prev = strdup(k))) {
				kpg_err_set(err, "s3: out of memory");
				rc = KPG_ENOMEM;
				goto done;
			}
			rc = fn(opaque, bucket, &page.objects[i], err);
			if (rc)
				goto done;
		}
		free(token);
		token = page.truncated ? page.next_token : NULL;
		page.next_token = NULL; /* now owned by token */
		s3_list_page_free(&page);
	} while (token);
done:
	s3_list_page_free(&page);
	free(token);
	free(prev);
	free(url);
	return rc;
}

int s3_get(s3_client *c, const char *bucket, const char *key,
	   const char *etag, FILE *out, kpg_err *err)
{
	aws_call_result res;
	const char *hdrs[3] = {s3_get_headers[0], NULL, NULL};
	char match[300], *url = NULL;
	size_t len;
	int rc;

	memset(&res, 0, sizeof(res));
	if (etag && *etag) {
		if ((size_t)snprintf(match, sizeof(match), "If-Match: %s", etag) >= sizeof(match)) {
			kpg_err_set(err, "s3://%s/%s: ETag too long", bucket, key);
			return KPG_EINVAL;
		}
		hdrs[1] = match;
	}
	url = malloc(S3_URL_MAX);
	if (!url) {
		kpg_err_set(err, "s3: out of memory");
		return KPG_ENOMEM;
	}
	if (object_url(c, bucket, key, url, S3_URL_MAX, &len)) {
		kpg_err_set(err, "s3://%s/%.300s: URL too long", bucket, key);
		rc = KPG_ETOOBIG;
		goto done;
	}
	/* streamed into out, never whole in memory */
	rc = s3_request(c, url, hdrs, c->max_object, out, bucket, key, &res, err);
	if (rc == 0)
		aws_call_result_free(&res);
done:
	free(url);
	return rc;
}
