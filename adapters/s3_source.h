/* s3_source.h - capture and ground-truth files in S3, for the readers
 * of file_source.h: a prefix listed into a file_list (s3://BUCKET/KEY
 * paths, each with its ETag as the tag), and an object opened as a
 * line_reader.
 *
 * s3://BUCKET/PREFIX names the object PREFIX itself (taken whatever its
 * name, like a file named on the command line) and the objects under the
 * folder PREFIX/ (capture files only, *.jsonl and *.jsonl.gz; others are
 * skipped and counted, like a folder's). A prefix ending in '/' (or
 * empty: the whole bucket) is a folder. Nothing found is KPG_ENOTFOUND,
 * as a missing local path is.
 *
 * An object is read as it was listed: GetObject with If-Match: its ETag,
 * so one that was overwritten since is a loud error, never a mix. It is
 * streamed into a temporary file (TMPDIR), unlinked once the line reader
 * has it open, and read with the line reader, gzip and all, so its lines
 * are exactly a local copy's. */
#ifndef S3_SOURCE_H
#define S3_SOURCE_H

#include <stddef.h>

#include "file_source.h"
#include "kpg_error.h"
#include "s3_client.h"

typedef struct s3_source {
	s3_client *client; /* owned; made at the first s3:// path */
	s3_client_options opt;
	size_t list_requests; /* ListObjectsV2 calls made */
	size_t get_requests;  /* GetObject calls made */
} s3_source;

/* A file_list_remote_fn (opaque = the s3_source) for
 * file_list_expand_remote(..., "s3://", ...). */
int s3_source_expand(void *opaque, const char *url, file_list_sink *sink,
		     kpg_err *err);

/* Opens the object path ("s3://BUCKET/KEY", borrowed: it names errors
 * and must outlive lr) at version etag (NULL = any) as *lr; close it with
 * line_reader_close. */
int s3_source_open(s3_source *src, const char *path, const char *etag,
		   size_t max_line, line_reader *lr, kpg_err *err);

/* Frees the client; the counters stay. */
void s3_source_close(s3_source *src);

#endif
