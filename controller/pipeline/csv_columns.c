/* csv_columns.c - a CSV file's header row and the columns missing from it
 * (csv_columns.h). */
#include "csv_columns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_reader.h"
#include "kpg_suggest.h"
#include "mm_statistics.h"
#include "reference_file.h"
#include "reference_mm.h"

/* A compiled reference (`kpigate baseline build`): its source's header,
 * as it recorded it. */
static int header_of_compiled(const char *path, csv_header *h, kpg_err *err)
{
	reference_file_info info;
	int rc = reference_file_read_info(path, &info, err);

	if (rc == 0) {
		h->names = info.columns; /* now owned by h */
		h->n = info.n_columns;
		info.columns = NULL;
		info.n_columns = 0;
	}
	reference_file_info_free(&info);
	return rc;
}

/* A Model Monitor statistics.json: its features' names, in file order,
 * are its columns. */
static int header_of_statistics(const char *path, csv_header *h, kpg_err *err)
{
	mm_statistics st;
	int rc = mm_statistics_load(path, &st, err);
	size_t n;

	if (rc)
		return rc;
	n = st.n_features;
	h->names = calloc(st.n_features + 1, sizeof(*h->names));
	for (size_t i = 0; h->names != NULL && i < st.n_features; i++) {
		h->names[i] = strdup(st.features[i].name);
		if (h->names[i] == NULL)
			break;
		h->n = i + 1;
	}
	mm_statistics_free(&st);
	if (h->names != NULL && h->n == n)
		return 0;
	csv_header_free(h);
	kpg_err_set(err, "%s: out of memory reading its feature names", path);
	return KPG_ENOMEM;
}

int csv_header_read(const char *path, csv_header *h, kpg_err *err)
{
	csv_reader cr;
	int rc;

	memset(h, 0, sizeof(*h));
	if (reference_file_is_compiled(path))
		return header_of_compiled(path, h, err);
	if (reference_is_mm_statistics(path))
		return header_of_statistics(path, h, err);
	rc = csv_open(&cr, path, 0, err);
	if (rc)
		return rc;
	rc = csv_next(&cr, err);
	if (rc == 1) {
		kpg_err_set(err, "%s: empty file, expected a header row", path);
		rc = KPG_EPARSE;
	}
	if (rc)
		goto done;
	h->names = calloc(cr.n_fields ? cr.n_fields : 1, sizeof(*h->names));
	if (h->names == NULL)
		goto nomem;
	for (size_t i = 0; i < cr.n_fields; i++) {
		h->names[i] = strdup(cr.fields[i]);
		if (h->names[i] == NULL)
			goto nomem;
		h->n = i + 1;
	}
	rc = 0;
	goto done;
nomem:
	kpg_err_set(err, "out of memory reading the header of %s", path);
	csv_header_free(h);
	rc = KPG_ENOMEM;
done:
	csv_close(&cr);
	return rc;
}

void csv_header_free(csv_header *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->names[i]);
	free(h->names);
	memset(h, 0, sizeof(*h));
}

int csv_header_find(const csv_header *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->names[i], name) == 0)
			return (int)i;
	return -1;
}

void csv_header_missing(const csv_header *h, const char *name, char *buf,
			size_t n)
{
	const char *near = kpg_suggest(name, (const char *const *)h->names, h->n);

	if (near != NULL)
		snprintf(buf, n, "'%s' (did you mean '%s'?)", name, near);
	else
		snprintf(buf, n, "'%s'", name);
}

size_t csv_header_list_missing(const csv_header *h, const char *const *names,
			       size_t n_names, char *buf, size_t n)
{
	size_t missing = 0, used = strlen(buf);

	for (size_t i = 0; i < n_names; i++) {
		char one[512];

		if (csv_header_find(h, names[i]) >= 0)
			continue;
		csv_header_missing(h, names[i], one, sizeof(one));
		if (used < n)
			used += (size_t)snprintf(buf + used, n - used, "%s%s",
						 used > 0 ? ", " : "", one);
		missing++;
	}
	return missing;
}
