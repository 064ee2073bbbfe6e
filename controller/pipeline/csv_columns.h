/* csv_columns.h - the header row of a CSV file, to check that the columns
 * a command or a policy names are there before anything is read, and to
 * say "did you mean" for each that is not. */
#ifndef CSV_COLUMNS_H
#define CSV_COLUMNS_H

#include <stddef.h>

#include "kpg_error.h"

typedef struct csv_header {
	char **names; /* owned, in file order */
	size_t n;
} csv_header;

/* Reads the first row of path. Returns 0 with *h (caller frees with
 * csv_header_free), KPG_EIO when the file cannot be opened, KPG_EPARSE
 * when it is empty or its first row is not CSV, KPG_ENOMEM; err says
 * which, naming path. A compiled reference (reference_file.h) gives the
 * header of the CSV it was built from, as it recorded it. */
int csv_header_read(const char *path, csv_header *h, kpg_err *err);
void csv_header_free(csv_header *h);

/* Index of the column named name, or -1. */
int csv_header_find(const csv_header *h, const char *name);

/* Writes "'name'" and, when a column of h is a likely typo of it,
 * " (did you mean 'col'?)" into buf (always NUL-terminated). */
void csv_header_missing(const csv_header *h, const char *name, char *buf,
			size_t n);

/* For each of names[0..n_names) not in h, appends its csv_header_missing
 * text to buf (NUL-terminated; ", " after text already there), cut at n
 * bytes. Returns how many are missing. */
size_t csv_header_list_missing(const csv_header *h, const char *const *names,
			       size_t n_names, char *buf, size_t n);

#endif
