/* cli_names.h - a list of column names gathered from repeated COL[,COL...]
 * options (`compare --exclude`, `baseline build --categorical`, ...). */
#ifndef CLI_NAMES_H
#define CLI_NAMES_H

#include <stddef.h>

typedef struct cli_names {
	char **v; /* owned, each owned */
	size_t n;
} cli_names;

/* Appends the comma-separated names of s. Returns 0, -1 for an empty name
 * (a usage error), KPG_ENOMEM. */
int cli_names_add(cli_names *l, const char *s);
int cli_names_has(const cli_names *l, const char *name);
void cli_names_free(cli_names *l);

#endif
