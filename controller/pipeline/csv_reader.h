/* csv_reader.h - RFC 4180 CSV rows from a file (training references and
 * `kpigate compare` inputs). Quoted fields with "" escapes; CRLF or LF;
 * every row capped at max_row bytes and max_fields fields. */
#ifndef CSV_READER_H
#define CSV_READER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kpg_error.h"

#define CSV_MAX_FIELDS 4096

typedef struct csv_reader {
	FILE *fp;
	const char *path; /* borrowed, for messages */
	char *buf;        /* owned: the current row, fields NUL-terminated in place */
	size_t cap, max_row;
	char *fields[CSV_MAX_FIELDS]; /* point into buf, valid until the next row */
	size_t n_fields;
	uint64_t line_no; /* line on which the current row started */
} csv_reader;

/* max_row 0 = 1 MiB. */
int csv_open(csv_reader *cr, const char *path, size_t max_row, kpg_err *err);

/* Reads the next row into cr->fields/n_fields. Returns 0, 1 at end of file,
 * or a negative code (row too long, too many fields, unterminated quote,
 * read error) with err naming path:line. Blank lines are skipped. */
int csv_next(csv_reader *cr, kpg_err *err);
void csv_close(csv_reader *cr);

/* Parses a whole cell as a finite or non-finite double (leading/trailing
 * blanks allowed). Returns 0 and *v, or -1 when the cell is not a number.
 * An empty cell is -1 too: callers treat it as missing first. */
int csv_parse_number(const char *cell, double *v);

/* 1 when the cell is empty or only blanks, or a conventional missing
 * marker (NA, N/A, NaN, null, ?). */
int csv_is_missing(const char *cell);

#endif
