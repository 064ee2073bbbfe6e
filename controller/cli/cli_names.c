/* cli_names.c - names from repeated COL[,COL...] options (cli_names.h). */
#include "cli_names.h"

#include <stdlib.h>
#include <string.h>

#include "kpg_error.h"

int cli_names_add(cli_names *l, const char *s)
{
	const char *p = s;

	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char **nv;

		if (len == 0)
			return -1;
		nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
		if (nv == NULL)
			return KPG_ENOMEM;
		l->v = nv;
		if ((l->v[l->n] = strndup(p, len)) == NULL)
			return KPG_ENOMEM;
		l->n++;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

int cli_names_has(const cli_names *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return 1;
	return 0;
}

void cli_names_free(cli_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
