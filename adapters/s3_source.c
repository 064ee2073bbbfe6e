/* s3_source.c - S3 prefixes as file lists, objects as line readers (see
 * s3_source.h). */
#define _GNU_SOURCE /* mkstemps */
#include "s3_source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpg_time.h"

#define S3_SRC_KEY_MAX 1100

typedef struct expand_ctx {
	file_list_sink *sink;
	const char *prefix;
	size_t plen;
	int folder; /* prefix is "" or ends in '/' */
	size_t found;
} expand_ctx;

/* Splits an s3:// URL and makes the client at its first use. */
static int s3_source_prepare(s3_source *src, const char *url, char *bucket,
			     size_t bucket_cap, char *key, size_t key_cap,
			     kpg_err *err)
{
	int rc = s3_url_split(url, bucket, bucket_cap, key, key_cap, err);

	if (rc <= 0) {
		if (rc == 0)
			kpg_err_set(err, "%s: not an s3:// URL", url);
		return rc ? rc : KPG_EINVAL;
	}
	if (src->client)
		return 0;
	return s3_client_new(&src->client, &src->opt, err);
}

static int on_object(void *opaque, const char *bucket, const s3_object *obj,
		     kpg_err *err)
{
	expand_ctx *x = opaque;
	char path[S3_SRC_KEY_MAX + 80];
	int named = strcmp(obj->key, x->prefix) == 0;
	int64_t modified = INT64_MIN; /* a store that omits it: unknown */

	/* PREFIX itself, or under PREFIX/: not PREFIX-other/... */
	if (!named && !x->folder && obj->key[x->plen] != '/')
		return 0;
	snprintf(path, sizeof(path), "s3://%s/%s", bucket, obj->key);
	x->found++;
	if (obj->modified[0] != '\0' &&
	    kpg_time_parse_iso8601(obj->modified, strlen(obj->modified), &modified) != 0)
		modified = INT64_MIN;
	return file_list_sink_add(x->sink, path, obj->etag, modified, named, err);
}

int s3_source_expand(void *opaque, const char *url, file_list_sink *sink,
		     kpg_err *err)
{
	s3_source *src = opaque;
	char bucket[64], prefix[S3_SRC_KEY_MAX];
	expand_ctx x;
	int rc;

	rc = s3_source_prepare(src, url, bucket, sizeof(bucket), prefix,
			       sizeof(prefix), err);
	if (rc)
		return rc;
	memset(&x, 0, sizeof(x));
	x.sink = sink;
	x.prefix = prefix;
	x.plen = strlen(prefix);
	x.folder = x.plen == 0 || prefix[x.plen - 1] == '/';
	rc = s3_list(src->client, bucket, prefix, NULL, on_object, &x,
		     &src->list_requests, err);
	if (rc == 0 && x.found == 0) {
		kpg_err_set(err, "%s: no object there (nor under %s/)", url, url);
		rc = KPG_ENOTFOUND;
	}
	return rc;
}

int s3_source_open(s3_source *src, const char *path, const char *etag,
		   size_t max_line, line_reader *lr, kpg_err *err)
{
	char bucket[64], key[S3_SRC_KEY_MAX], tmp[4096];
	const char *dir = getenv("TMPDIR");
	size_t kn;
	int rc, fd, gz;
	FILE *fp;

	memset(lr, 0, sizeof(*lr));
	rc = s3_source_prepare(src, path, bucket, sizeof(bucket), key, sizeof(key), err);
	if (rc)
		return rc;
	/* the same suffix: a *.gz that is not gzip is refused as locally */
	kn = strlen(key);
	gz = kn > 3 && strcmp(key + kn - 3, ".gz") == 0;
	snprintf(tmp, sizeof(tmp), "%s/kpigate-s3.XXXXXX%s",
		 dir && *dir ? dir : "/tmp", gz ? ".gz" : "");
	fd = mkstemps(tmp, gz ? 3 : 0);
	if (fd < 0) {
		kpg_err_set(err, "%s: cannot create a temporary file in %s: %s",
			    path, dir && *dir ? dir : "/tmp", strerror(errno));
		return KPG_EIO;
	}
	fp = fdopen(fd, "wb");
	if (!fp) {
		close(fd);
		unlink(tmp);
		kpg_err_set(err, "%s: out of memory", path);
		return KPG_ENOMEM;
	}
	src->get_requests++;
	rc = s3_get(src->client, bucket, key, etag, fp, err);
	if (fclose(fp) != 0 && rc == 0) {
		kpg_err_set(err, "%s: writing the temporary copy failed", path);
		rc = KPG_EIO;
	}
	if (rc == 0)
		rc = line_reader_open(lr, tmp, max_line, err);
	/* open or not, the name goes: the reader keeps the open file */
	unlink(tmp);
	if (rc == 0)
		lr->path = path;
	return rc;
}

void s3_source_close(s3_source *src)
{
	if (!src)
		return;
	s3_client_free(src->client);
	src->client = NULL;
}
