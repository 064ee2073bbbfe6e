/* kpg_jsonv_value.c - one value against its row: type, length, the row's
 * own check, range, choices; then stored where the row says, scaled
 * (kpg_jsonv.h). Also environment text as a typed JSON value. */
#include "kpg_jsonv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kpg_suggest.h"

/* A checked value; s borrowed from the JSON value. */
typedef struct val {
	const char *s;
	long long i;
	double d;
	int is_null;
} val;

static int has_range(const kpg_jsonv_key *k)
{
	return !(k->min == 0 && k->max == 0);
}

static int check_int(kpg_jsonv *v, const kpg_jsonv_at *at, json_t *value,
		     val *out)
{
	double r = json_is_real(value) ? json_real_value(value) : 0;

	if (json_is_integer(value)) {
		out->i = (long long)json_integer_value(value);
	} else if (json_is_real(value) && floor(r) == r && fabs(r) < 9e15) {
		out->i = (long long)r;
	} else {
		if (json_is_real(value))
			kpg_jsonv_report(v, at, 0, "%s must be a whole number, got %g",
					 at->path, json_real_value(value));
		else
			kpg_jsonv_report(v, at, 0, "%s must be an integer, got %s",
					 at->path, kpg_jsonv_kind(value));
		return -1;
	}
	out->d = (double)out->i;
	return 0;
}

static int range_int(kpg_jsonv *v, const kpg_jsonv_key *k,
		     const kpg_jsonv_at *at, const val *x)
{
	if (!has_range(k) || (x->i >= (long long)k->min &&
			      x->i <= (long long)k->max))
		return 1;
	kpg_jsonv_report(v, at, 0, "%s must be an integer from %lld to %lld, got %lld",
			 at->path, (long long)k->min, (long long)k->max, x->i);
	return -1;
}

static int range_number(kpg_jsonv *v, const kpg_jsonv_key *k,
			const kpg_jsonv_at *at, const val *x)
{
	int lo_open = (k->flags & KPG_JSONV_MIN_OPEN) != 0;
	int hi_open = (k->flags & KPG_JSONV_MAX_OPEN) != 0;
	double d = x->d;

	if (isfinite(d) && (!has_range(k) ||
			    ((lo_open ? d > k->min : d >= k->min) &&
			     (hi_open ? d < k->max : d <= k->max))))
		return 1;
	if (!has_range(k))
		kpg_jsonv_report(v, at, 0, "%s must be a finite number, got %g",
				 at->path, d);
	else if (isinf(k->max))
		kpg_jsonv_report(v, at, 0, "%s must be %s %g, got %g", at->path,
				 lo_open ? ">" : ">=", k->min, d);
	else
		kpg_jsonv_report(v, at, 0, "%s must be in %c%g, %g%c, got %g",
				 at->path, lo_open ? '(' : '[', k->min, k->max,
				 hi_open ? ')' : ']', d);
	return -1;
}

static int has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

static int check_string(kpg_jsonv *v, const kpg_jsonv_key *k,
			const kpg_jsonv_at *at, json_t *value, val *out)
{
	size_t len;

	if (!json_is_string(value)) {
		kpg_jsonv_report(v, at, 0, "%s must be a string%s, got %s",
				 at->path,
				 k->flags & KPG_JSONV_NULLABLE ? " or null" : "",
				 kpg_jsonv_kind(value));
		return -1;
	}
	out->s = json_string_value(value);
	len = json_string_length(value);
	if (len == 0) {
		kpg_jsonv_report(v, at, 0, "%s must not be empty", at->path);
		return -1;
	}
	if (k->max_len > 0 && len > k->max_len) {
		kpg_jsonv_report(v, at, 0, "%s is %zu bytes long; at most %zu allowed",
				 at->path, len, k->max_len);
		return -1;
	}
	if (has_control(out->s, len)) {
		kpg_jsonv_report(v, at, 0, "%s contains a control character",
				 at->path);
		return -1;
	}
	return 0;
}

int kpg_jsonv_string_ok(const kpg_jsonv_key *k, const json_t *value)
{
	const char *s = json_string_value(value);
	size_t len = json_string_length(value);

	return s != NULL && len > 0 && (k->max_len == 0 || len <= k->max_len) &&
	       !has_control(s, len);
}

static int check_choice(kpg_jsonv *v, const kpg_jsonv_key *k,
			const kpg_jsonv_at *at, const val *x)
{
	char list[512], hint[160] = "";
	const char *h;
	size_t n = 0;

	if (k->choices == NULL || kpg_jsonv_choice(k->choices, x->s) >= 0)
		return 1;
	while (k->choices[n] != NULL)
		n++;
	kpg_jsonv_choice_list(k->choices, list, sizeof(list));
	h = kpg_suggest(x->s, k->choices, n);
	if (h != NULL)
		snprintf(hint, sizeof(hint), "; did you mean \"%s\"?", h);
	if (k->flags & KPG_JSONV_MUST_BE)
		kpg_jsonv_report(v, at, 0, "%s must be %s, got \"%s\"%s",
				 at->path, list, x->s, hint);
	else
		kpg_jsonv_report(v, at, 0, "%s \"%s\" is not %s%s", at->path,
				 x->s, list, hint);
	return -1;
}

/* Type and length, then the row's check, then range and choices. */
static int check(kpg_jsonv *v, const kpg_jsonv_key *k, const kpg_jsonv_at *at,
		 json_t *value, val *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (json_is_null(value) && (k->flags & KPG_JSONV_NULLABLE)) {
		out->is_null = 1;
		return 0;
	}
	switch (k->type) {
	case KPG_JSONV_BOOL:
		if (!json_is_boolean(value)) {
			kpg_jsonv_report(v, at, 0, "%s must be true or false, got %s",
					 at->path, kpg_jsonv_kind(value));
			return -1;
		}
		out->i = json_is_true(value);
		break;
	case KPG_JSONV_INT:
		if (check_int(v, at, value, out) != 0)
			return -1;
		break;
	case KPG_JSONV_NUMBER:
		if (!json_is_number(value)) {
			kpg_jsonv_report(v, at, 0, "%s must be a number, got %s",
					 at->path, kpg_jsonv_kind(value));
			return -1;
		}
		out->d = json_number_value(value);
		break;
	case KPG_JSONV_STRING:
		if (check_string(v, k, at, value, out) != 0)
			return -1;
		break;
	default:
		return 1; /* containers: the walker's and the loader's */
	}
	if (k->check != NULL) {
		rc = k->check(v, k, at, value);
		if (rc != 0)
			return rc;
	}
	switch (k->type) {
	case KPG_JSONV_INT: return range_int(v, k, at, out);
	case KPG_JSONV_NUMBER: return range_number(v, k, at, out);
	case KPG_JSONV_STRING: return check_choice(v, k, at, out);
	default: return 1;
	}
}

static int set_str(kpg_jsonv *v, char **slot, const char *s)
{
	char *n = NULL;

	if (s != NULL && (n = strdup(s)) == NULL) {
		v->nomem = 1;
		return -1;
	}
	free(*slot);
	*slot = n;
	return 0;
}

/* File values are relative to the file's folder, environment values to
 * the working directory. */
static int set_path(kpg_jsonv *v, const kpg_jsonv_at *at, char **slot,
		    const char *s)
{
	size_t need;
	char *p;

	if (s == NULL || s[0] == '/' || at->env != NULL || v->dir[0] == '\0')
		return set_str(v, slot, s);
	need = strlen(v->dir) + strlen(s) + 2;
	if ((p = malloc(need)) == NULL) {
		v->nomem = 1;
		return -1;
	}
	snprintf(p, need, "%s/%s", v->dir, s);
	free(*slot);
	*slot = p;
	return 0;
}

static void store(kpg_jsonv *v, const kpg_jsonv_key *k,
		  const kpg_jsonv_at *at, const val *x)
{
	char *slot = (char *)v->base + k->offset;
	double scale = k->scale != 0 ? k->scale : 1;
	int64_t ms;

	switch (k->store) {
	case KPG_JSONV_NONE:
		break;
	case KPG_JSONV_STR:
		set_str(v, (char **)(void *)slot, x->s);
		break;
	case KPG_JSONV_PATH:
		set_path(v, at, (char **)(void *)slot, x->s);
		break;
	case KPG_JSONV_CHARS:
		snprintf(slot, k->size, "%s", x->s ? x->s : "");
		break;
	case KPG_JSONV_I64:
		if (k->type == KPG_JSONV_NUMBER) {
			ms = (int64_t)llround(x->d * scale);
			if (ms < 1 && x->d > 0) /* a positive span stays positive */
				ms = 1;
		} else {
			ms = (int64_t)(x->i * (long long)scale);
		}
		*(int64_t *)(void *)slot = ms;
		break;
	case KPG_JSONV_U64:
		*(uint64_t *)(void *)slot = (uint64_t)x->i;
		break;
	case KPG_JSONV_UINT:
		*(unsigned *)(void *)slot = (unsigned)x->i;
		break;
	case KPG_JSONV_SIZE:
		*(size_t *)(void *)slot = (size_t)x->i;
		break;
	case KPG_JSONV_FLAG:
		*(int *)(void *)slot = x->i != 0;
		break;
	case KPG_JSONV_DOUBLE:
		*(double *)(void *)slot = x->d;
		break;
	case KPG_JSONV_CHOICE:
		*(int *)(void *)slot = kpg_jsonv_choice(k->choices, x->s);
		break;
	}
}

int kpg_jsonv_value(kpg_jsonv *v, const kpg_jsonv_key *k,
		    const kpg_jsonv_at *at, json_t *value)
{
	val x;
	int rc = check(v, k, at, value, &x);

	if (rc < 0)
		return -1;
	if (v->base != NULL && (rc == 1 || k->store == KPG_JSONV_STR ||
				k->store == KPG_JSONV_PATH))
		store(v, k, at, &x);
	return rc;
}

long kpg_jsonv_entries(kpg_jsonv *v, const kpg_jsonv_key *k, json_t *value,
		       const char *shape)
{
	int is_array = k->type == KPG_JSONV_ARRAY;
	size_t n;

	if (is_array ? !json_is_array(value) : !json_is_object(value)) {
		kpg_jsonv_error(v, k->path, 0, "%s must be %s, got %s", k->path,
				shape, kpg_jsonv_kind(value));
		return -1;
	}
	n = is_array ? json_array_size(value) : json_object_size(value);
	if (k->max_len > 0 && n > k->max_len) {
		kpg_jsonv_error(v, k->path, 0, "%s has %zu entries; at most %zu allowed",
				k->path, n, k->max_len);
		return -1;
	}
	return (long)n;
}

json_t *kpg_jsonv_env_value(kpg_jsonv *v, const kpg_jsonv_key *k,
			    const kpg_jsonv_at *at, const char *text)
{
	json_t *value = NULL;
	char *end;

	if (text[0] == '\0') {
		kpg_jsonv_report(v, at, 0, "%s is set but empty; unset it to keep the file's value",
				 at->path);
		return NULL;
	}
	errno = 0;
	switch (k->type) {
	case KPG_JSONV_STRING:
		value = json_string(text);
		if (value == NULL)
			kpg_jsonv_report(v, at, 0, "%s is not valid UTF-8", at->path);
		return value;
	case KPG_JSONV_INT: {
		long long x = strtoll(text, &end, 10);

		if (errno != 0 || *end != '\0' || end == text ||
		    isspace((unsigned char)text[0])) {
			kpg_jsonv_report(v, at, 0, "%s must be an integer, got \"%.40s\"",
					 at->path, text);
			return NULL;
		}
		value = json_integer(x);
		break;
	}
	case KPG_JSONV_NUMBER: {
		double x = strtod(text, &end);

		if (errno != 0 || *end != '\0' || end == text ||
		    isspace((unsigned char)text[0])) {
			kpg_jsonv_report(v, at, 0, "%s must be a number, got \"%.40s\"",
					 at->path, text);
			return NULL;
		}
		value = json_real(x);
		break;
	}
	case KPG_JSONV_BOOL:
		if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0) {
			kpg_jsonv_report(v, at, 0, "%s must be true or false, got \"%.40s\"",
					 at->path, text);
			return NULL;
		}
		value = json_boolean(strcmp(text, "true") == 0);
		break;
	default:
		return NULL;
	}
	if (value == NULL)
		v->nomem = 1;
	return value;
}
