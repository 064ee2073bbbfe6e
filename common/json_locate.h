/* json_locate.h - where things are in a JSON text.
 *
 * jansson keeps no positions for values, so the validator (kpg_jsonv.h) scans the
 * original text once more and records, for every object member and array
 * element, the line and column of its key and of its value. Paths are
 * written like "guards.cooldown_seconds", "kpis[1].metric"; the root value
 * is "". Lines and columns are 1-based; columns count Unicode characters,
 * as jansson does in its syntax errors. */
#ifndef JSON_LOCATE_H
#define JSON_LOCATE_H

#include <stddef.h>

#include "kpg_error.h"

#define JSON_LOCATE_PATH_MAX 1024 /* deeper/longer paths are not recorded */
#define JSON_LOCATE_MAX_ENTRIES 200000
#define JSON_LOCATE_MAX_DEPTH 256

typedef struct json_locate json_locate;

/* Scans text (len bytes, borrowed only during the call). Returns 0 with
 * *out (caller frees with json_locate_free), KPG_EPARSE when the text is
 * not JSON, KPG_ETOOBIG past the caps above, KPG_ENOMEM. */
int json_locate_build(const char *text, size_t len, json_locate **out,
		      kpg_err *err);

/* Position of path's key (want_key 1; array elements and the root have
 * none, so their value's position is given) or of its value (want_key 0).
 * Returns 0, or KPG_ENOTFOUND leaving *line and *column untouched. */
int json_locate_find(const json_locate *loc, const char *path, int want_key,
		     int *line, int *column);

/* Like json_locate_find, falling back to the nearest enclosing value that
 * has a position ("a.b[2].c" -> "a.b[2]" -> "a.b" -> "a" -> root), so a
 * missing key is reported at its object's brace. *line and *column stay 0
 * when nothing matches. */
void json_locate_nearest(const json_locate *loc, const char *path,
			 int want_key, int *line, int *column);

void json_locate_free(json_locate *loc);

#endif
