/* json_locate.c - one pass over a JSON text recording the line:column of
 * every member's key and value, by path. A small tokenizer: it only needs
 * to know where strings (with their escapes), containers and scalars
 * start and end; jansson has already judged the text. */
#include "json_locate.h"
#include "kpg_utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct jloc_entry {
	char *path; /* owned */
	int key_line, key_col;
	int val_line, val_col;
} jloc_entry;

struct json_locate {
	jloc_entry *e; /* owned */
	size_t n, cap;
};

typedef struct jloc_scan {
	const unsigned char *s;
	size_t len, pos;
	int line, ncol; /* ncol: characters consumed on this line */
	json_locate *loc;
	char path[JSON_LOCATE_PATH_MAX];
	size_t plen;
	int path_overflow; /* path truncated: record nothing below */
	int depth;
	kpg_err *err;
} jloc_scan;

static int jloc_value(jloc_scan *sc);

/* Consumes one byte; columns advance once per UTF-8 lead byte. */
static void jloc_advance(jloc_scan *sc)
{
	unsigned char c = sc->s[sc->pos++];

	if (c == '\n') {
		sc->line++;
		sc->ncol = 0;
	} else if ((c & 0xC0) != 0x80) {
		sc->ncol++;
	}
}

static void jloc_skip_ws(jloc_scan *sc)
{
	while (sc->pos < sc->len) {
		unsigned char c = sc->s[sc->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		jloc_advance(sc);
	}
}

static int jloc_bad(jloc_scan *sc, const char *what)
{
	kpg_err_set(sc->err, "line %d column %d: %s", sc->line, sc->ncol + 1,
		    what);
	return KPG_EPARSE;
}

static int jloc_add(jloc_scan *sc, int kl, int kc, int vl, int vc)
{
	jloc_entry *e;

	if (sc->path_overflow)
		return 0;
	if (sc->loc->n == sc->loc->cap) {
		size_t ncap = sc->loc->cap ? sc->loc->cap * 2 : 64;

		if (sc->loc->cap >= JSON_LOCATE_MAX_ENTRIES) {
			kpg_err_set(sc->err, "more than %d JSON values",
				    JSON_LOCATE_MAX_ENTRIES);
			return KPG_ETOOBIG;
		}
		e = realloc(sc->loc->e, ncap * sizeof(*e));
		if (e == NULL)
			goto nomem;
		sc->loc->e = e;
		sc->loc->cap = ncap;
	}
	e = &sc->loc->e[sc->loc->n];
	e->path = strdup(sc->path);
	if (e->path == NULL)
		goto nomem;
	e->key_line = kl;
	e->key_col = kc;
	e->val_line = vl;
	e->val_col = vc;
	sc->loc->n++;
	return 0;
nomem:
	kpg_err_set(sc->err, "out of memory locating JSON values");
	return KPG_ENOMEM;
}

/* Appends bytes to the path; on overflow marks it so nothing deeper is
 * recorded (the caller restores plen either way). */
static void jloc_path_append(jloc_scan *sc, const char *b, size_t n)
{
	if (sc->plen + n >= sizeof(sc->path)) {
		sc->path_overflow = 1;
		return;
	}
	memcpy(sc->path + sc->plen, b, n);
	sc->plen += n;
	sc->path[sc->plen] = '\0';
}

static void jloc_path_restore(jloc_scan *sc, size_t plen, int overflow)
{
	sc->plen = plen;
	sc->path[plen] = '\0';
	sc->path_overflow = overflow;
}

static int jloc_hex4(const unsigned char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Scans a string at sc->pos (the opening quote). When decode is set, the
 * decoded text is appended to the path (object keys). */
static int jloc_string(jloc_scan *sc, int decode)
{
	jloc_advance(sc); /* opening quote */
	while (sc->pos < sc->len) {
		unsigned char c = sc->s[sc->pos];
		char u[4];
		size_t n = 1;

		if (c == '"') {
			jloc_advance(sc);
			return 0;
		}
		if (c < 0x20)
			return jloc_bad(sc, "control character in string");
		if (c != '\\') {
			u[0] = (char)c;
			jloc_advance(sc);
		} else {
			unsigned cp, lo;

			if (sc->pos + 1 >= sc->len)
				break;
			jloc_advance(sc);
			c = sc->s[sc->pos];
			jloc_advance(sc);
			switch (c) {
			case 'b': u[0] = '\b'; break;
			case 'f': u[0] = '\f'; break;
			case 'n': u[0] = '\n'; break;
			case 'r': u[0] = '\r'; break;
			case 't': u[0] = '\t'; break;
			case '"':
			case '\\':
			case '/': u[0] = (char)c; break;
			case 'u':
				if (sc->pos + 4 > sc->len ||
				    jloc_hex4(sc->s + sc->pos, &cp))
					return jloc_bad(sc, "bad \\u escape");
				for (int i = 0; i < 4; i++)
					jloc_advance(sc);
				/* a surrogate pair is one character */
				if (cp >= 0xD800 && cp < 0xDC00 &&
				    sc->pos + 6 <= sc->len &&
				    sc->s[sc->pos] == '\\' &&
				    sc->s[sc->pos + 1] == 'u' &&
				    jloc_hex4(sc->s + sc->pos + 2, &lo) == 0 &&
				    lo >= 0xDC00 && lo < 0xE000) {
					for (int i = 0; i < 6; i++)
						jloc_advance(sc);
					cp = 0x10000 + ((cp - 0xD800) << 10) +
					     (lo - 0xDC00);
				}
				n = kpg_utf8_encode(cp, u);
				break;
			default:
				return jloc_bad(sc, "bad escape");
			}
		}
		if (decode)
			jloc_path_append(sc, u, n);
	}
	return jloc_bad(sc, "unterminated string");
}

static int jloc_object(jloc_scan *sc)
{
	size_t plen = sc->plen;
	int overflow = sc->path_overflow;
	int rc;

	jloc_advance(sc); /* { */
	jloc_skip_ws(sc);
	if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
		jloc_advance(sc);
		return 0;
	}
	for (;;) {
		int kl, kc, vl, vc;

		jloc_skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
			return jloc_bad(sc, "expected an object key");
		kl = sc->line;
		kc = sc->ncol + 1;
		if (plen > 0)
			jloc_path_append(sc, ".", 1);
		rc = jloc_string(sc, 1);
		if (rc)
			return rc;
		jloc_skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
			return jloc_bad(sc, "expected ':'");
		jloc_advance(sc);
		jloc_skip_ws(sc);
		vl = sc->line;
		vc = sc->ncol + 1;
		rc = jloc_add(sc, kl, kc, vl, vc);
		if (rc == 0)
			rc = jloc_value(sc);
		if (rc)
			return rc;
		jloc_path_restore(sc, plen, overflow);
		jloc_skip_ws(sc);
		if (sc->pos >= sc->len)
			break;
		if (sc->s[sc->pos] == ',') {
			jloc_advance(sc);
			continue;
		}
		if (sc->s[sc->pos] == '}') {
			jloc_advance(sc);
			return 0;
		}
		break;
	}
	return jloc_bad(sc, "expected ',' or '}'");
}

static int jloc_array(jloc_scan *sc)
{
	size_t plen = sc->plen;
	int overflow = sc->path_overflow;
	size_t i = 0;
	int rc;

	jloc_advance(sc); /* [ */
	jloc_skip_ws(sc);
	if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
		jloc_advance(sc);
		return 0;
	}
	for (;; i++) {
		char idx[32];
		int n;

		jloc_skip_ws(sc);
		n = snprintf(idx, sizeof(idx), "[%zu]", i);
		jloc_path_append(sc, idx, (size_t)n);
		rc = jloc_add(sc, sc->line, sc->ncol + 1, sc->line,
			      sc->ncol + 1);
		if (rc == 0)
			rc = jloc_value(sc);
		if (rc)
			return rc;
		jloc_path_restore(sc, plen, overflow);
		jloc_skip_ws(sc);
		if (sc->pos >= sc->len)
			break;
		if (sc->s[sc->pos] == ',') {
			jloc_advance(sc);
			continue;
		}
		if (sc->s[sc->pos] == ']') {
			jloc_advance(sc);
			return 0;
		}
		break;
	}
	return jloc_bad(sc, "expected ',' or ']'");
}

/* Any value at sc->pos (whitespace already skipped). */
static int jloc_value(jloc_scan *sc)
{
	int rc;

	if (sc->pos >= sc->len)
		return jloc_bad(sc, "expected a value");
	if (sc->depth >= JSON_LOCATE_MAX_DEPTH) {
		kpg_err_set(sc->err, "JSON nested deeper than %d",
			    JSON_LOCATE_MAX_DEPTH);
		return KPG_ETOOBIG;
	}
	switch (sc->s[sc->pos]) {
	case '{':
		sc->depth++;
		rc = jloc_object(sc);
		sc->depth--;
		return rc;
	case '[':
		sc->depth++;
		rc = jloc_array(sc);
		sc->depth--;
		return rc;
	case '"':
		return jloc_string(sc, 0);
	default:
		/* number, true, false, null: runs to the next delimiter */
		while (sc->pos < sc->len && strchr(",}] \t\r\n",
						   sc->s[sc->pos]) == NULL)
			jloc_advance(sc);
		return 0;
	}
}

int json_locate_build(const char *text, size_t len, json_locate **out,
		      kpg_err *err)
{
	jloc_scan sc;
	int rc;

	*out = NULL;
	memset(&sc, 0, sizeof(sc));
	sc.s = (const unsigned char *)text;
	sc.len = len;
	sc.line = 1;
	sc.err = err;
	sc.loc = calloc(1, sizeof(*sc.loc));
	if (sc.loc == NULL) {
		kpg_err_set(err, "out of memory locating JSON values");
		return KPG_ENOMEM;
	}
	jloc_skip_ws(&sc);
	rc = jloc_add(&sc, sc.line, sc.ncol + 1, sc.line, sc.ncol + 1);
	if (rc)
		goto fail;
	rc = jloc_value(&sc);
	if (rc)
		goto fail;
	*out = sc.loc;
	return 0;
fail:
	json_locate_free(sc.loc);
	return rc;
}

int json_locate_find(const json_locate *loc, const char *path, int want_key,
		     int *line, int *column)
{
	if (loc == NULL || path == NULL)
		return KPG_ENOTFOUND;
	for (size_t i = 0; i < loc->n; i++) {
		const jloc_entry *e = &loc->e[i];

		if (strcmp(e->path, path) != 0)
			continue;
		*line = want_key ? e->key_line : e->val_line;
		*column = want_key ? e->key_col : e->val_col;
		return 0;
	}
	return KPG_ENOTFOUND;
}

void json_locate_nearest(const json_locate *loc, const char *path,
			 int want_key, int *line, int *column)
{
	char p[JSON_LOCATE_PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	while (json_locate_find(loc, p, want_key, line, column) != 0) {
		char *cut = strrchr(p, '.'), *br = strrchr(p, '[');

		if (br != NULL && (cut == NULL || br > cut))
			cut = br;
		if (p[0] == '\0')
			break;
		if (cut == NULL)
			cut = p;
		*cut = '\0';
		want_key = 0;
	}
}

void json_locate_free(json_locate *loc)
{
	if (loc == NULL)
		return;
	for (size_t i = 0; i < loc->n; i++)
		free(loc->e[i].path);
	free(loc->e);
	free(loc);
}
