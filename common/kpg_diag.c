#include "kpg_diag.h"

#include <stdlib.h>

int kpg_diags_vadd(kpg_diags *d, int line, int column, const char *origin,
		   const char *fmt, va_list ap)
{
	kpg_diag *g;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		kpg_diag *items = realloc(d->items, ncap * sizeof(*items));

		if (items == NULL)
			return KPG_ENOMEM;
		d->items = items;
		d->cap = ncap;
	}
	g = &d->items[d->n++];
	g->line = line;
	g->column = column;
	snprintf(g->origin, sizeof(g->origin), "%s", origin ? origin : "");
	vsnprintf(g->message, sizeof(g->message), fmt, ap);
	return 0;
}

void kpg_diags_free(kpg_diags *d)
{
	free(d->items);
	d->items = NULL;
	d->n = d->cap = 0;
}

void kpg_diags_print(FILE *out, const char *path, const kpg_diags *d,
		     const kpg_err *err)
{
	if (d->n == 0) {
		fprintf(out, "%s: cannot read: %s\n", path,
			err->msg[0] ? err->msg : "unknown error");
		return;
	}
	for (size_t i = 0; i < d->n; i++) {
		const kpg_diag *g = &d->items[i];

		if (g->origin[0])
			fprintf(out, "%s (environment): %s\n", g->origin, g->message);
		else if (g->line > 0)
			fprintf(out, "%s:%d:%d: %s\n", path, g->line, g->column,
				g->message);
		else
			fprintf(out, "%s: %s\n", path, g->message);
	}
	if (err->msg[0])
		fprintf(out, "%s\n", err->msg);
}
