/* file_source.h - files and folders of JSON Lines, read in SageMaker's
 * S3 key order (endpoint/variant/yyyy/mm/dd/hh/file.jsonl: lexical path
 * order within a folder tree is time order).
 *
 * A PATH given by the user may be a file (taken whatever its name) or a
 * folder; folders are walked recursively (symlinked folders are not
 * followed; at most 64 levels and 1,000,000 files) for capture files only:
 * *.jsonl and *.jsonl.gz. Every other file found in a folder is skipped
 * and counted by reason (file_list.skipped), never read. Lines are handed
 * out one at a time from a reused buffer; a line over the cap is skipped
 * to its end and reported as too big, never buffered whole. A gzip file
 * (by its magic bytes, or a name ending in .gz) is decompressed as it is
 * read, under the same line cap; a corrupt or truncated stream is
 * KPG_EINTEGRITY from line_reader_next, naming where it broke. */
#ifndef FILE_SOURCE_H
#define FILE_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kpg_error.h"

/* Why a file found in a folder was not listed. */
typedef enum file_skip_reason {
	FILE_SKIP_JSON = 0,    /* *.json: a policy, a configuration, a merged
				  record; not a capture file */
	FILE_SKIP_NAME,        /* any other name */
	FILE_SKIP_NOT_REGULAR, /* fifo, socket, device, dangling symlink */
	FILE_SKIP__COUNT
} file_skip_reason;

#define FILE_SKIP_KEPT 5 /* skipped paths remembered, in walk order */

typedef struct file_list {
	char **paths;          /* owned */
	char **tags;           /* owned: an object's version (S3's ETag) for a
				  remote path, NULL for a local file */
	int64_t *partition_ms; /* yyyy/mm/dd/hh found in the path, else INT64_MIN */
	int64_t *modified_ms;  /* owned: a remote object's LastModified, else
				  (a local file, or not given) INT64_MIN */
	size_t n;
	size_t skipped[FILE_SKIP__COUNT];    /* files of folders not listed, by reason */
	size_t n_skipped;                    /* their sum */
	char *skipped_first[FILE_SKIP_KEPT]; /* owned: the first ones (NULL past
						n_skipped) */
} file_list;

/* "json", "other_name", "not_regular_file". */
const char *file_skip_reason_name(file_skip_reason r);

/* Expands the user's paths (files or folders) into *out, sorted by
 * (partition time, path), files without a partition first; a file reached
 * twice under the same path string is listed once. A missing path is
 * KPG_ENOTFOUND. Caller frees with file_list_free (also safe after a
 * failure). */
int file_list_expand(const char *const *paths, size_t n_paths, file_list *out,
		     kpg_err *err);
void file_list_free(file_list *fl);

/* Remote paths (s3://...): file_list_expand_remote hands each user path
 * that starts with scheme to remote, which adds what it finds through
 * file_list_sink_add; the list is then sorted and deduplicated with the
 * local files, by the same rules. */
typedef struct fs_vec file_list_sink;
typedef int (*file_list_remote_fn)(void *opaque, const char *url,
				   file_list_sink *sink, kpg_err *err);

/* file_list_expand, with remote paths. remote may be NULL when no path
 * starts with scheme (such a path is then looked for locally). */
int file_list_expand_remote(const char *const *paths, size_t n_paths,
			    const char *scheme, file_list_remote_fn remote,
			    void *opaque, file_list *out, kpg_err *err);

/* Adds a remote path (copied), its version tag (copied; may be NULL) and
 * its last-modified time (INT64_MIN: unknown).
 * named: the user named this object itself (taken whatever its name);
 * else it was found under a prefix, and is listed only when its name is
 * a capture file's (*.jsonl, *.jsonl.gz), skipped and counted otherwise,
 * as in a folder. */
int file_list_sink_add(file_list_sink *sink, const char *path,
		       const char *tag, int64_t modified_ms, int named, kpg_err *err);

/* Parses ".../yyyy/mm/dd/hh/..." in path (four directory names, a valid
 * date and hour 00-23; the last such run wins); 0 and *ms (UTC start of
 * that hour), or KPG_ENOTFOUND. */
int file_partition_time(const char *path, int64_t *ms);

/* The endpoint a capture file's path names: the folder four levels
 * above its yyyy/mm/dd/hh run (ENDPOINT/VARIANT/yyyy/mm/dd/hh/file), or ""
 * when the path has no such layout. */
void file_endpoint_of(const char *path, char *out, size_t n);

typedef struct line_reader {
	FILE *fp;
	char *buf; /* owned; has at least 64 spare bytes past len (simdjson padding) */
	size_t cap;
	size_t max_line;
	uint64_t line_no; /* 1-based number of the line just returned (every
			     physical line counts, blank and skipped ones too) */
	/* read-ahead, owned: lines are cut from it with memchr */
	char *chunk;
	size_t chunk_pos, chunk_len;
	int at_eof;
	void *gz;         /* owned gzFile when the file is gzip, else NULL */
	int gz_not_gzip;  /* named *.gz but not a gzip stream */
	const char *path; /* borrowed from line_reader_open's caller, for errors */
} line_reader;

enum { LINE_OK = 0,
       LINE_EOF = 1,
       LINE_TOO_BIG = 2 };

/* Opens path for reading lines of at most max_line bytes (0 = 1 MiB; at
 * most 1 GiB); a gzip file (magic 1f 8b, or a name ending in .gz) is
 * decompressed. path must outlive the reader (it names errors). *lr is
 * owned by the caller; close it with line_reader_close.
 * A failed open frees what it allocated and leaves *lr zeroed (closing it
 * again is harmless). */
int line_reader_open(line_reader *lr, const char *path, size_t max_line,
		     kpg_err *err);

/* Reads the next line (without its newline; a trailing '\r' is dropped)
 * into lr->buf, NUL-terminated. Returns LINE_OK with line and len (borrowed
 * until the next call), LINE_EOF, LINE_TOO_BIG (the line was skipped;
 * lr->line_no says which), KPG_EINTEGRITY for a corrupt or truncated gzip
 * stream (or a *.gz file that is not gzip; the rest of the file cannot be
 * read, err says after which line), or KPG_EIO on a read error. Lines of
 * only spaces, tabs and '\r' are skipped. A last line without a newline
 * is returned like any other. */
int line_reader_next(line_reader *lr, const char **line, size_t *len,
		     kpg_err *err);
void line_reader_close(line_reader *lr);

#endif
