/* reference_labels.h - what the reference's label column holds: its
 * distinct label texts (canonical, label_dict.h) in order of first
 * appearance, up to REFERENCE_MAX_LABELS, and how many cells were
 * numbers. pipeline_labels.c checks it against the policy's task. */
#ifndef REFERENCE_LABELS_H
#define REFERENCE_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "label_dict.h"

#define REFERENCE_MAX_LABELS 64

typedef struct reference_labels {
	char texts[REFERENCE_MAX_LABELS][LABEL_TEXT_MAX];
	uint64_t counts[REFERENCE_MAX_LABELS];
	size_t n; /* distinct texts kept */
	int more; /* there were more than REFERENCE_MAX_LABELS */
	uint64_t cells, missing;
	uint64_t numbers;  /* cells that are finite numbers */
	uint64_t booleans; /* true / false (any case) */
} reference_labels;

/* One label cell (NUL-terminated, as the CSV reader gives it). */
void reference_labels_add(reference_labels *l, const char *cell);

/* Index of the canonical text t, -1 when absent. */
int reference_labels_find(const reference_labels *l, const char *t);

/* The texts as `"a", "b", "c"` (with "..." when cut), for messages. */
void reference_labels_list(const reference_labels *l, char *out, size_t len);

#endif
