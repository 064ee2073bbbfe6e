#include "reference_labels.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "csv_reader.h"

int reference_labels_find(const reference_labels *l, const char *t)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->texts[i], t) == 0)
			return (int)i;
	return -1;
}

void reference_labels_add(reference_labels *l, const char *cell)
{
	char t[LABEL_TEXT_MAX];
	double x;
	int i;

	l->cells++;
	if (csv_is_missing(cell)) {
		l->missing++;
		return;
	}
	label_canon(cell, strlen(cell), t);
	if (csv_parse_number(cell, &x) == 0 && x == x && x - x == 0)
		l->numbers++;
	else if (strcasecmp(cell, "true") == 0 || strcasecmp(cell, "false") == 0)
		l->booleans++;
	i = reference_labels_find(l, t);
	if (i >= 0) {
		l->counts[i]++;
		return;
	}
	if (l->n == REFERENCE_MAX_LABELS) {
		l->more = 1;
		return;
	}
	memcpy(l->texts[l->n], t, sizeof(t));
	l->counts[l->n++] = 1;
}

void reference_labels_list(const reference_labels *l, char *out, size_t len)
{
	size_t w = 0;

	out[0] = '\0';
	for (size_t i = 0; i < l->n && w + 1 < len; i++) {
		int k = snprintf(out + w, len - w, "%s\"%s\"", i ? ", " : "",
				 l->texts[i]);

		if (k < 0 || (size_t)k >= len - w || (i >= 7 && i + 1 < l->n)) {
			snprintf(out + (w < len - 6 ? w : len - 6), 6, ", ...");
			return;
		}
		w += (size_t)k;
	}
	if (l->more && w + 6 < len)
		snprintf(out + w, len - w, ", ...");
}
