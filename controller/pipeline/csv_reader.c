#include "csv_reader.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capture.h"

#define CSV_DEFAULT_MAX_ROW (1u << 20)

int csv_open(csv_reader *cr, const char *path, size_t max_row, kpg_err *err)
{
	memset(cr, 0, sizeof(*cr));
	cr->path = path;
	cr->max_row = max_row ? max_row : CSV_DEFAULT_MAX_ROW;
	cr->fp = fopen(path, "r");
	if (cr->fp == NULL) {
		kpg_err_set(err, "%s: cannot open: %s", path, strerror(errno));
		return KPG_EIO;
	}
	cr->cap = 4096;
	cr->buf = malloc(cr->cap);
	if (cr->buf == NULL) {
		fclose(cr->fp);
		cr->fp = NULL;
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	return 0;
}

void csv_close(csv_reader *cr)
{
	if (cr->fp != NULL)
		fclose(cr->fp);
	free(cr->buf);
	cr->fp = NULL;
	cr->buf = NULL;
}

static int csv_push(csv_reader *cr, size_t *len, char c, kpg_err *err)
{
	if (*len + 1 >= cr->cap) {
		size_t ncap = cr->cap * 2;
		char *nb;

		if (ncap > cr->max_row + 1)
			ncap = cr->max_row + 1;
		if (*len + 1 >= ncap) {
			kpg_err_set(err, "%s:%llu: row longer than %zu bytes",
				    cr->path, (unsigned long long)cr->line_no,
				    cr->max_row);
			return KPG_ETOOBIG;
		}
		nb = realloc(cr->buf, ncap);
		if (nb == NULL) {
			kpg_err_set(err, "out of memory");
			return KPG_ENOMEM;
		}
		cr->buf = nb;
		cr->cap = ncap;
	}
	cr->buf[(*len)++] = c;
	return 0;
}

/* Reads one logical row (quotes may span lines) into buf, recording field
 * starts as offsets; fields are NUL-separated. */
int csv_next(csv_reader *cr, kpg_err *err)
{
	size_t len, starts[CSV_MAX_FIELDS];
	int c, quoted, rc;

again:
	len = 0;
	quoted = 0;
	cr->n_fields = 0;
	cr->line_no++;
	starts[cr->n_fields++] = 0;
	c = getc(cr->fp);
	if (c == EOF)
		return ferror(cr->fp) ? (kpg_err_set(err, "%s: read error", cr->path), KPG_EIO) : 1;
	for (;; c = getc(cr->fp)) {
		if (c == EOF) {
			if (ferror(cr->fp)) {
				kpg_err_set(err, "%s: read error", cr->path);
				return KPG_EIO;
			}
			if (quoted) {
				kpg_err_set(err, "%s:%llu: unterminated quoted field",
					    cr->path, (unsigned long long)cr->line_no);
				return KPG_EPARSE;
			}
			break;
		}
		if (quoted) {
			if (c == '"') {
				int d = getc(cr->fp);

				if (d == '"') {
					rc = csv_push(cr, &len, '"', err);
					if (rc)
						return rc;
					continue;
				}
				quoted = 0;
				if (d == EOF)
					break;
				c = d;
			} else {
				rc = csv_push(cr, &len, (char)c, err);
				if (rc)
					return rc;
				continue;
			}
		}
		if (c == '\n')
			break;
		if (c == '\r')
			continue;
		if (c == '"') {
			quoted = 1;
			continue;
		}
		if (c == ',') {
			rc = csv_push(cr, &len, '\0', err);
			if (rc)
				return rc;
			if (cr->n_fields >= CSV_MAX_FIELDS) {
				kpg_err_set(err, "%s:%llu: more than %d fields",
					    cr->path, (unsigned long long)cr->line_no,
					    CSV_MAX_FIELDS);
				return KPG_ETOOBIG;
			}
			starts[cr->n_fields++] = len;
			continue;
		}
		rc = csv_push(cr, &len, (char)c, err);
		if (rc)
			return rc;
	}
	rc = csv_push(cr, &len, '\0', err);
	if (rc)
		return rc;
	if (cr->n_fields == 1 && cr->buf[0] == '\0') {
		if (feof(cr->fp))
			return 1;
		goto again; /* blank line */
	}
	for (size_t i = 0; i < cr->n_fields; i++)
		cr->fields[i] = cr->buf + starts[i];
	return 0;
}

int csv_parse_number(const char *cell, double *v)
{
	const char *last;
	char *end;

	while (isspace((unsigned char)*cell))
		cell++;
	if (*cell == '\0')
		return -1;
	/* the decoders' fast_float rule first: for every decimal it reads,
	 * its double is strtod's (both correctly rounded), at a fraction of
	 * the cost (a reference of a million cells); strtod decides the rest
	 * (hex, "nan(...)") as it always has */
	last = cell + strlen(cell);
	while (last > cell && isspace((unsigned char)last[-1]))
		last--;
	if (capture_parse_number(cell, (size_t)(last - cell), v))
		return 0;
	errno = 0;
	*v = strtod(cell, &end);
	if (end == cell)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	return *end == '\0' ? 0 : -1;
}

int csv_is_missing(const char *cell)
{
	static const char *const markers[] = {"NA", "N/A", "NaN", "null", "?"};
	const char *p = cell;
	size_t n;

	while (isspace((unsigned char)*p))
		p++;
	n = strlen(p);
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	if (n == 0)
		return 1;
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (strlen(markers[i]) == n && strncasecmp(p, markers[i], n) == 0)
			return 1;
	return 0;
}
