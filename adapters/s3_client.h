/* s3_client.h - reading S3: ListObjectsV2 and GetObject, signed with
 * SigV4 through aws_call (libcurl's CURLOPT_AWS_SIGV4) and the SDK
 * credential chain (aws_creds.h).
 *
 * Endpoint, the SDK way: AWS_ENDPOINT_URL_S3, then the configured one
 * (s3_client_options.endpoint), then AWS_ENDPOINT_URL (all path-style: http(s)://host:port/BUCKET/KEY, so S3-compatible
 * stores work), else AWS's regional endpoint, virtual-hosted
 * (https://BUCKET.s3.REGION.amazonaws.com/KEY; path-style for a bucket
 * name with a dot, which a certificate's wildcard does not cover).
 * Region: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1 (the signing
 * region of a custom endpoint).
 *
 * Every request carries x-amz-content-sha256 (S3 requires it; curl 7.88
 * does not add it) and, with temporary credentials,
 * X-Amz-Security-Token; curl signs both. Throttling (503 SlowDown, 429)
 * and 5xx are retried with aws_call_retry's bounded backoff; every other
 * answer, 403 and 404 first, is an error that names the bucket and the
 * key or prefix with S3's Code and Message.
 *
 * A cursor: s3_list's start_after lists only keys after the last one
 * processed, so a durable (last key, ETag) can resume a listing. */
#ifndef S3_CLIENT_H
#define S3_CLIENT_H

#include <stddef.h>
#include <stdio.h>

#include "kpg_error.h"
#include "s3_xml.h"

typedef struct s3_client s3_client;

typedef struct s3_client_options {
	const char *region;    /* NULL = AWS_REGION / AWS_DEFAULT_REGION /
				  us-east-1 */
	const char *ca_bundle; /* NULL = AWS_CA_BUNDLE or the system's */
	const char *endpoint;  /* a configured endpoint (path-style): after
				  AWS_ENDPOINT_URL_S3, before AWS_ENDPOINT_URL;
				  NULL = none */
	int max_keys;          /* ListObjectsV2 page size, 1..1000; 0 =
				  KPIGATE_S3_MAX_KEYS or 1000 */
	size_t max_object;     /* GetObject cap in bytes; 0 =
				  S3_DEFAULT_MAX_OBJECT */
	int max_attempts;      /* per request; 0 = AWS_CALL_DEFAULT_ATTEMPTS */
} s3_client_options;

#define S3_DEFAULT_MAX_OBJECT ((size_t)4 << 30) /* 4 GiB, on disk */

/* Resolves the endpoint and the credential source (no request yet).
 * Caller frees with s3_client_free. KPG_EINVAL for a bad endpoint or
 * option, KPG_ENOTFOUND when no credentials are configured. */
int s3_client_new(s3_client **out, const s3_client_options *opt, kpg_err *err);
void s3_client_free(s3_client *c);

/* "s3://BUCKET/PREFIX" into bucket and prefix (may be ""); 1 when url
 * starts with "s3://", else 0. KPG_EINVAL (as a negative return) for a
 * bad bucket name or a prefix over 1024 bytes. */
int s3_url_split(const char *url, char *bucket, size_t bucket_cap,
		 char *prefix, size_t prefix_cap, kpg_err *err);

/* Called once per listed object, in key order; the object is borrowed
 * for the call. A non-zero return stops the listing with that code. */
typedef int (*s3_object_fn)(void *opaque, const char *bucket,
			    const s3_object *obj, kpg_err *err);

/* Lists every key under prefix after start_after (NULL or "" = from the
 * start), page by page (continuation tokens), calling fn for each.
 * *requests (may be NULL) counts the LIST calls made. */
int s3_list(s3_client *c, const char *bucket, const char *prefix,
	    const char *start_after, s3_object_fn fn, void *opaque,
	    size_t *requests, kpg_err *err);

/* GetObject of bucket/key streamed into out (a seekable file opened for
 * writing: emptied first, and again before each retry), refused unless
 * the object still has etag (If-Match; NULL = any). At most the client's
 * max_object bytes. */
int s3_get(s3_client *c, const char *bucket, const char *key,
	   const char *etag, FILE *out, kpg_err *err);

#endif
