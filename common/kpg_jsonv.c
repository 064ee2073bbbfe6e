/* kpg_jsonv.c - the validator's diagnostics: positioned, counted past the
 * cap, sorted at the end (kpg_jsonv.h). */
#include "kpg_jsonv.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void kpg_jsonv_init(kpg_jsonv *v, const kpg_jsonv_key *keys, size_t n_keys,
		    const char *what, kpg_diags *d)
{
	memset(v, 0, sizeof(*v));
	v->keys = keys;
	v->n_keys = n_keys;
	v->what = what;
	v->dir = "";
	v->d = d;
	v->first = d->n;
	v->max_diags = KPG_JSONV_MAX_DIAGS;
}

static void vadd(kpg_jsonv *v, int line, int column, const char *origin,
		 const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void vadd(kpg_jsonv *v, int line, int column, const char *origin,
		 const char *fmt, va_list ap)
{
	v->n_errors++;
	if (v->d->n - v->first < v->max_diags &&
	    kpg_diags_vadd(v->d, line, column, origin, fmt, ap) != 0)
		v->nomem = 1;
}

void kpg_jsonv_error_pos(kpg_jsonv *v, int line, int column, const char *fmt,
			 ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(v, line, column, NULL, fmt, ap);
	va_end(ap);
}

void kpg_jsonv_error(kpg_jsonv *v, const char *path, int at_key,
		     const char *fmt, ...)
{
	int line = 0, column = 0;
	va_list ap;

	if (v->loc != NULL)
		json_locate_nearest(v->loc, path, at_key, &line, &column);
	va_start(ap, fmt);
	vadd(v, line, column, NULL, fmt, ap);
	va_end(ap);
}

void kpg_jsonv_report(kpg_jsonv *v, const kpg_jsonv_at *at, int at_key,
		      const char *fmt, ...)
{
	int line = 0, column = 0;
	va_list ap;

	if (at->env == NULL && v->loc != NULL)
		json_locate_nearest(v->loc, at->path, at_key, &line, &column);
	va_start(ap, fmt);
	vadd(v, line, column, at->env, fmt, ap);
	va_end(ap);
}

void kpg_jsonv_report_key(kpg_jsonv *v, const char *path, const char *fmt, ...)
{
	char env[KPG_JSONV_ENV_MAX];
	int line = 0, column = 0;
	kpg_jsonv_at at;
	va_list ap;

	kpg_jsonv_where(v, path, &at, env);
	if (at.env == NULL && v->loc != NULL)
		json_locate_nearest(v->loc, path, 0, &line, &column);
	va_start(ap, fmt);
	vadd(v, line, column, at.env, fmt, ap);
	va_end(ap);
}

/* The file's diagnostics by position first, then the environment's by
 * variable name. */
static int diag_cmp(const void *a, const void *b)
{
	const kpg_diag *x = a, *y = b;
	int xe = x->origin[0] != '\0', ye = y->origin[0] != '\0';

	if (xe != ye)
		return xe - ye;
	if (xe)
		return strcmp(x->origin, y->origin);
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return 0;
}

int kpg_jsonv_finish(kpg_jsonv *v, const char *name, kpg_err *err)
{
	size_t kept = v->d->n - v->first;

	if (v->n_errors == 0)
		return 0;
	if (kept > 1)
		qsort(v->d->items + v->first, kept, sizeof(*v->d->items),
		      diag_cmp);
	if (v->n_errors > kept && kept > 0) {
		kpg_diag *last = &v->d->items[v->d->n - 1];

		last->line = last->column = 0;
		last->origin[0] = '\0';
		snprintf(last->message, sizeof(last->message),
			 "... and %zu more errors", v->n_errors - kept + 1);
	}
	kpg_err_set(err, "%s: %zu error%s", name, v->n_errors,
		    v->n_errors == 1 ? "" : "s");
	return KPG_EINVAL;
}

const char *kpg_jsonv_kind(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

void kpg_jsonv_choice_list(const char *const *choices, char *buf, size_t len)
{
	size_t n = 0, used = 0;

	while (choices[n] != NULL)
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " or "
							   : ", ";
		int w = snprintf(buf + used, len - used, "%s%s", sep, choices[i]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int kpg_jsonv_choice(const char *const *choices, const char *s)
{
	for (int i = 0; choices[i] != NULL; i++)
		if (strcmp(choices[i], s) == 0)
			return i;
	return -1;
}
