/* kpg_diag.h - a list of positioned errors, the way policy files and the
 * daemon's configuration report them: all of them, each as
 * FILE:LINE:COLUMN: message (or VARIABLE (environment): message), capped. */
#ifndef KPG_DIAG_H
#define KPG_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "kpg_error.h"

typedef struct kpg_diag {
	int line, column; /* 1-based; 0 when unknown */
	char origin[128]; /* "" for the file; else e.g. an environment variable */
	char message[320];
} kpg_diag;

typedef struct kpg_diags {
	kpg_diag *items; /* owned */
	size_t n, cap;
} kpg_diags;

/* Appends one diagnostic. Returns 0, or KPG_ENOMEM (nothing appended). */
int kpg_diags_vadd(kpg_diags *d, int line, int column, const char *origin,
		   const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

void kpg_diags_free(kpg_diags *d);

/* Prints each diagnostic of the file at path, then err's summary; with none,
 * "path: cannot read: err". */
void kpg_diags_print(FILE *out, const char *path, const kpg_diags *d,
		     const kpg_err *err);

#endif
