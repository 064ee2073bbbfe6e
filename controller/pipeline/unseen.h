/* unseen.h - the values of a categorical feature that its reference does
 * not hold, tallied by name for one window, so a report can say which
 * categories are new ("unseen") and Evidently-style binning can compare
 * over the union of categories. At most UNSEEN_MAX_NAMES names are kept
 * per window; values of further new names are counted in `other`. */
#ifndef UNSEEN_H
#define UNSEEN_H

#include <stddef.h>

#include "kpg_strmap.h"

#define UNSEEN_MAX_NAMES 100
#define UNSEEN_NAME_MAX 256 /* bytes kept of a name */

typedef struct unseen_tally {
	kpg_strmap index; /* name -> slot */
	char **names;     /* owned, n of them, in order of first sight */
	double *counts;   /* owned, parallel to names */
	size_t n;
	double other; /* values of names past UNSEEN_MAX_NAMES */
} unseen_tally;

/* Counts one value of text (len bytes; cut to UNSEEN_NAME_MAX). Memory
 * is taken on first use. Returns 0, or KPG_ENOMEM (the value is then
 * counted in `other`, so totals stay right). */
int unseen_add(unseen_tally *t, const char *text, size_t len);

/* Forgets the names of the last window, keeping the memory. */
void unseen_reset(unseen_tally *t);
void unseen_free(unseen_tally *t);

/* The slots in decreasing count (ties: first seen first), into order[n]. */
void unseen_sorted(const unseen_tally *t, size_t *order);

#endif
