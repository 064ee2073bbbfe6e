/* mm_json.h - the field readers the Model Monitor file parsers
 * (mm_statistics.c, mm_constraints.c) share: each reads one member of a
 * jansson object, checks its type and range, and on a problem sets the
 * caller's error to one sentence with the file, the line:column of the
 * value (or of its object when the key is missing), the feature's name
 * when inside one, and the key path relative to the feature:
 *
 *   stats.json:4:9: feature "x": numerical_statistics.mean must be a
 *   number, got a string
 *
 * Internal to the adapters room. Each reader returns 1 when the member is
 * there and good, 0 when it is absent and optional, -1 after setting the
 * error (parsing stops at the first one). */
#ifndef MM_JSON_H
#define MM_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "json_locate.h"
#include "kpg_error.h"

#define MM_PATH_MAX 512

typedef struct mm_ctx {
	const char *what; /* the file's name in messages */
	const char *text; /* the whole text, for positions (borrowed) */
	size_t len;
	kpg_err *err;
	const char *feature; /* the feature being read, or NULL */
	char fpath[64];      /* its path, "features[3]" */
	int rc;              /* the KPG_E* code of the first error, 0 */
} mm_ctx;

enum { MM_OPTIONAL = 0,
       MM_REQUIRED = 1 };

/* Parses text with jansson (duplicate keys refused); sets the error with
 * jansson's line:column on a syntax error. Returns the root (caller
 * decrefs) or NULL. */
json_t *mm_json_parse(mm_ctx *c);

/* Reports "what:line:col: [feature "N": ]PATH MESSAGE" at path (the
 * JSON path of the value, "features[3].numerical_statistics.mean").
 * Sets c->rc to KPG_EINVAL unless a code is already set. Returns -1. */
int mm_fail(mm_ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* objpath + "." + key into buf (just key at the root). */
void mm_join(char *buf, size_t n, const char *objpath, const char *key);
/* base + "[i]" into buf. */
void mm_index(char *buf, size_t n, const char *base, size_t i);

int mm_get_object(mm_ctx *c, json_t *obj, const char *objpath,
		  const char *key, int required, json_t **out);
/* An array of at most max elements. */
int mm_get_array(mm_ctx *c, json_t *obj, const char *objpath, const char *key,
		 int required, size_t max, json_t **out);
/* A finite number (integer or real) in [lo, hi]. */
int mm_get_number(mm_ctx *c, json_t *obj, const char *objpath,
		  const char *key, int required, double lo, double hi,
		  double *out);
/* A count: a whole number 0..2^53 (2333 or 2333.0). */
int mm_get_count(mm_ctx *c, json_t *obj, const char *objpath, const char *key,
		 int required, uint64_t *out);
/* A string of 1..max_len bytes without NUL, copied (caller frees). */
int mm_get_string(mm_ctx *c, json_t *obj, const char *objpath,
		  const char *key, int required, size_t max_len, char **out);
/* "Enabled"/"Disabled" (or, when allow_bool, true/false): 1 or 0. */
int mm_get_switch(mm_ctx *c, json_t *obj, const char *objpath,
		  const char *key, int required, int allow_bool, int *out);

/* The same checks on a value already in hand (an array element). */
int mm_check_count(mm_ctx *c, json_t *v, const char *path, uint64_t *out);
int mm_check_number(mm_ctx *c, json_t *v, const char *path, double *out);
int mm_check_string(mm_ctx *c, json_t *v, const char *path, size_t max_len,
		    char **out);

#endif
