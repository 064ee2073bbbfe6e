/* mm_json.c - type-checked member readers with positioned messages for the
 * Model Monitor parsers (mm_json.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpg_jsonv.h"
#include "mm_json.h"

#define MM_MAX_COUNT 9007199254740992.0 /* 2^53 */

json_t *mm_json_parse(mm_ctx *c)
{
	json_error_t je;
	json_t *root = json_loadb(c->text, c->len, JSON_REJECT_DUPLICATES, &je);

	if (root == NULL) {
		c->rc = KPG_EPARSE;
		kpg_err_set(c->err, "%s:%d:%d: not valid JSON: %s", c->what,
			    je.line, je.column, je.text);
	}
	return root;
}

void mm_join(char *buf, size_t n, const char *objpath, const char *key)
{
	if (objpath == NULL || objpath[0] == '\0')
		snprintf(buf, n, "%s", key);
	else if (key[0] == '[')
		snprintf(buf, n, "%s%s", objpath, key);
	else
		snprintf(buf, n, "%s.%s", objpath, key);
}

void mm_index(char *buf, size_t n, const char *base, size_t i)
{
	if (snprintf(buf, n, "%s[%zu]", base, i) >= (int)n)
		buf[n - 1] = '\0'; /* a cut path only costs the position */
}

int mm_fail(mm_ctx *c, const char *path, const char *fmt, ...)
{
	char msg[320], where[48] = "";
	const char *rel = path;
	size_t fl = strlen(c->fpath);
	json_locate *loc = NULL;
	int line = 0, col = 0;
	va_list ap;

	if (c->rc == 0)
		c->rc = KPG_EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* positions: a second scan of the text, only now that it is needed;
	 * a text too big for the locator gets no position */
	if (c->text != NULL &&
	    json_locate_build(c->text, c->len, &loc, NULL) == 0) {
		json_locate_nearest(loc, path, 0, &line, &col);
		json_locate_free(loc);
	}
	if (line > 0)
		snprintf(where, sizeof(where), ":%d:%d", line, col);
	if (c->feature != NULL && fl > 0 && strncmp(path, c->fpath, fl) == 0 &&
	    (path[fl] == '.' || path[fl] == '\0'))
		rel = path[fl] == '.' ? path + fl + 1 : "";
	if (c->feature != NULL)
		kpg_err_set(c->err, "%s%s: feature \"%.100s\": %s%s%s", c->what,
			    where, c->feature, rel, rel[0] ? " " : "", msg);
	else
		kpg_err_set(c->err, "%s%s: %s%s%s", c->what, where,
			    path[0] ? path : "the file", " ", msg);
	return -1;
}

/* The member, or 0 (absent, optional) / -1 (absent, required). */
static int member(mm_ctx *c, json_t *obj, const char *objpath,
		  const char *key, int required, json_t **v, char *path)
{
	mm_join(path, MM_PATH_MAX, objpath, key);
	*v = json_object_get(obj, key);
	if (*v == NULL || json_is_null(*v)) {
		*v = NULL;
		if (!required)
			return 0;
		return mm_fail(c, path, "is missing");
	}
	return 1;
}

int mm_get_object(mm_ctx *c, json_t *obj, const char *objpath,
		  const char *key, int required, json_t **out)
{
	char path[MM_PATH_MAX];
	int rc = member(c, obj, objpath, key, required, out, path);

	if (rc <= 0)
		return rc;
	if (!json_is_object(*out))
		return mm_fail(c, path, "must be an object, got %s",
			       kpg_jsonv_kind(*out));
	return 1;
}

int mm_get_array(mm_ctx *c, json_t *obj, const char *objpath, const char *key,
		 int required, size_t max, json_t **out)
{
	char path[MM_PATH_MAX];
	int rc = member(c, obj, objpath, key, required, out, path);

	if (rc <= 0)
		return rc;
	if (!json_is_array(*out))
		return mm_fail(c, path, "must be an array, got %s",
			       kpg_jsonv_kind(*out));
	if (json_array_size(*out) > max) {
		c->rc = KPG_ETOOBIG;
		return mm_fail(c, path, "has %zu elements, at most %zu",
			       json_array_size(*out), max);
	}
	return 1;
}

int mm_check_number(mm_ctx *c, json_t *v, const char *path, double *out)
{
	if (!json_is_number(v))
		return mm_fail(c, path, "must be a number, got %s",
			       kpg_jsonv_kind(v));
	*out = json_number_value(v);
	if (!isfinite(*out))
		return mm_fail(c, path, "must be a finite number");
	return 1;
}

int mm_get_number(mm_ctx *c, json_t *obj, const char *objpath,
		  const char *key, int required, double lo, double hi,
		  double *out)
{
	char path[MM_PATH_MAX];
	json_t *v;
	int rc = member(c, obj, objpath, key, required, &v, path);

	if (rc <= 0)
		return rc;
	if (mm_check_number(c, v, path, out) < 0)
		return -1;
	if (*out < lo || *out > hi)
		return mm_fail(c, path, "is %g, outside %g..%g", *out, lo, hi);
	return 1;
}

int mm_check_count(mm_ctx *c, json_t *v, const char *path, uint64_t *out)
{
	double d;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0)
			return mm_fail(c, path, "must be a count >= 0, got %lld",
				       (long long)i);
		d = (double)i;
	} else if (json_is_real(v)) {
		d = json_real_value(v);
		if (!(d >= 0))
			return mm_fail(c, path, "must be a count >= 0, got %g", d);
		if (d != floor(d))
			return mm_fail(c, path, "must be a whole number, got %g", d);
	} else {
		return mm_fail(c, path, "must be a count, got %s",
			       kpg_jsonv_kind(v));
	}
	if (d > MM_MAX_COUNT)
		return mm_fail(c, path, "is %g, more than 2^53", d);
	*out = (uint64_t)d;
	return 1;
}

int mm_get_count(mm_ctx *c, json_t *obj, const char *objpath, const char *key,
		 int required, uint64_t *out)
{
	char path[MM_PATH_MAX];
	json_t *v;
	int rc = member(c, obj, objpath, key, required, &v, path);

	if (rc <= 0)
		return rc;
	return mm_check_count(c, v, path, out);
}

int mm_check_string(mm_ctx *c, json_t *v, const char *path, size_t max_len,
		    char **out)
{
	size_t len;

	if (!json_is_string(v))
		return mm_fail(c, path, "must be a string, got %s",
			       kpg_jsonv_kind(v));
	len = json_string_length(v);
	if (len == 0)
		return mm_fail(c, path, "must not be empty");
	if (len > max_len) {
		c->rc = KPG_ETOOBIG;
		return mm_fail(c, path, "is %zu bytes long, at most %zu", len,
			       max_len);
	}
	if (memchr(json_string_value(v), '\0', len) != NULL)
		return mm_fail(c, path, "must not contain a NUL character");
	*out = strdup(json_string_value(v));
	if (*out == NULL) {
		kpg_err_set(c->err, "%s: out of memory", c->what);
		c->rc = KPG_ENOMEM;
		return -1;
	}
	return 1;
}

int mm_get_string(mm_ctx *c, json_t *obj, const char *objpath,
		  const char *key, int required, size_t max_len, char **out)
{
	char path[MM_PATH_MAX];
	json_t *v;
	int rc = member(c, obj, objpath, key, required, &v, path);

	if (rc <= 0)
		return rc;
	return mm_check_string(c, v, path, max_len, out);
}

int mm_get_switch(mm_ctx *c, json_t *obj, const char *objpath,
		  const char *key, int required, int allow_bool, int *out)
{
	char path[MM_PATH_MAX];
	json_t *v;
	int rc = member(c, obj, objpath, key, required, &v, path);
	const char *s;

	if (rc <= 0)
		return rc;
	if (allow_bool && json_is_boolean(v)) {
		*out = json_is_true(v);
		return 1;
	}
	if (!json_is_string(v))
		return mm_fail(c, path, "must be \"Enabled\" or \"Disabled\"%s, got %s",
			       allow_bool ? " (or true/false)" : "",
			       kpg_jsonv_kind(v));
	s = json_string_value(v);
	if (strcmp(s, "Enabled") == 0)
		*out = 1;
	else if (strcmp(s, "Disabled") == 0)
		*out = 0;
	else
		return mm_fail(c, path, "must be \"Enabled\" or \"Disabled\", got \"%.40s\"",
			       s);
	return 1;
}
