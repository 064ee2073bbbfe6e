/* file_source.h - files and folders of JSON Lines, read in SageMaker's
 * S3 key order (endpoint/variant/yyyy/mm/dd/hh/file.jsonl: lexical path
 * order within a folder tree is time order).
 *
 * A PATH given by the user may be a file or a folder; folders are walked
 * recursively for *.jsonl / *.json / *.jsonl.out files. Lines are handed out one
 * at a time from a reused buffer; a line over the cap is skipped to its end
 * and reported as too big, never buffered whole. */
#ifndef FILE_SOURCE_H
#define FILE_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kpg_error.h"

typedef struct file_list {
	char **paths; /* owned */
	int64_t *partition_ms; /* yyyy/mm/dd/hh found in the path, else INT64_MIN */
	size_t n;
} file_list;

/* Expands the user's paths (files or folders) into *out, sorted by
 * (partition time, path). Caller frees with file_list_free. */
int file_list_expand(const char *const *paths, size_t n_paths, file_list *out,
		     kpg_err *err);
void file_list_free(file_list *fl);

/* Parses ".../yyyy/mm/dd/hh/..." in path; 0 and *ms, or KPG_ENOTFOUND. */
int file_partition_time(const char *path, int64_t *ms);

typedef struct line_reader {
	FILE *fp;
	char *buf;        /* owned; has at least 64 spare bytes past len (simdjson padding) */
	size_t cap;
	size_t max_line;
	uint64_t line_no; /* 1-based number of the line just returned */
} line_reader;

enum { LINE_OK = 0, LINE_EOF = 1, LINE_TOO_BIG = 2 };

/* Opens path for reading lines of at most max_line bytes. */
int line_reader_open(line_reader *lr, const char *path, size_t max_line,
		     kpg_err *err);

/* Reads the next line (without its newline; a trailing '\r' is dropped)
 * into lr->buf. Returns LINE_OK with *line/*len (borrowed until the next
 * call), LINE_EOF, LINE_TOO_BIG (the line was skipped), or a negative
 * code on a read error. Blank lines are skipped. */
int line_reader_next(line_reader *lr, const char **line, size_t *len,
		     kpg_err *err);
void line_reader_close(line_reader *lr);

#endif
