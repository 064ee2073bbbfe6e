/* kpg_jsonv.h - one table-driven validator for kpigate's JSON files (the
 * policy files, the daemon's configuration), after librdkafka's property
 * table: one row per key says its type, whether it is required or may be
 * null, its range or length, its choices, its default, one line of
 * documentation, and where the value is stored. The loader hands the
 * validator its table, the parsed text and the struct to fill; the
 * validator reports every problem (not just the first), each at the
 * line:column of the offending key or value (json_locate.h), a missing key
 * at its object's opening brace, or naming the environment variable a
 * value came from; unknown keys and enum values get "did you mean".
 * Rules that span keys stay in the loader, after the table pass.
 *
 * Key paths are dotted: "drift.psi_threshold"; array elements "kpis[]",
 * their members "kpis[].metric"; the members of a map (an object of
 * NAME: value) "features.NAME". */
#ifndef KPG_JSONV_H
#define KPG_JSONV_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "json_locate.h"
#include "kpg_diag.h"
#include "kpg_error.h"

typedef enum kpg_jsonv_type {
	KPG_JSONV_OBJECT, /* an object whose members are rows below it */
	KPG_JSONV_MAP,    /* an object of NAME: value (row "PATH.NAME") */
	KPG_JSONV_ARRAY,  /* an array (rows "PATH[]", "PATH[].KEY") */
	KPG_JSONV_STRING,
	KPG_JSONV_INT, /* a JSON integer, or a real with an integral value */
	KPG_JSONV_NUMBER,
	KPG_JSONV_BOOL
} kpg_jsonv_type;

/* How a checked value is stored at base + offset. */
typedef enum kpg_jsonv_store {
	KPG_JSONV_NONE,  /* checked only; the loader's own code stores it */
	KPG_JSONV_STR,   /* char *, a copy (the old one freed; null: NULL) */
	KPG_JSONV_PATH,  /* char *, a file value resolved against dir */
	KPG_JSONV_CHARS, /* char[size] */
	KPG_JSONV_I64,   /* int64_t, value * scale */
	KPG_JSONV_U64,   /* uint64_t */
	KPG_JSONV_UINT,  /* unsigned */
	KPG_JSONV_SIZE,  /* size_t */
	KPG_JSONV_FLAG,  /* int, 0 or 1 */
	KPG_JSONV_DOUBLE,
	KPG_JSONV_CHOICE /* int (an enum): the value's index in choices */
} kpg_jsonv_store;

enum {
	KPG_JSONV_REQUIRED = 1 << 0,
	KPG_JSONV_NULLABLE = 1 << 1, /* null allowed: "not set" */
	KPG_JSONV_MIN_OPEN = 1 << 2, /* exclusive minimum */
	KPG_JSONV_MAX_OPEN = 1 << 3, /* exclusive maximum */
	KPG_JSONV_MUST_BE = 1 << 4   /* enum error as "P must be a or b, got "x"" */
};

typedef struct kpg_jsonv kpg_jsonv;
typedef struct kpg_jsonv_key kpg_jsonv_key;

/* Where a value came from: a path in the file (env NULL) or an
 * environment variable (path still names the key). */
typedef struct kpg_jsonv_at {
	const char *path;
	const char *env;
} kpg_jsonv_at;

/* A row's own rule, called after the type and length checks and before
 * the range and choice checks. Returns 0 to go on with those, 1 when the
 * value is valid as it is, -1 after reporting (kpg_jsonv_report). */
typedef int (*kpg_jsonv_check_fn)(kpg_jsonv *v, const kpg_jsonv_key *k,
				  const kpg_jsonv_at *at, json_t *value);

struct kpg_jsonv_key {
	const char *path;
	kpg_jsonv_type type;
	unsigned flags;             /* KPG_JSONV_REQUIRED, ... */
	double min, max;            /* INT, NUMBER; both 0: no range;
				       max INFINITY: no upper bound */
	size_t max_len;             /* STRING: bytes; ARRAY, MAP: entries */
	const char *const *choices; /* STRING: NULL-terminated, or NULL */
	const char *def;            /* the default as JSON text, or NULL */
	const char *doc;            /* one line for the docs */
	kpg_jsonv_store store;
	size_t offset;            /* into the loader's struct */
	size_t size;              /* CHARS: the array's size */
	double scale;             /* I64: stored value * scale (0 = 1),
				     e.g. seconds -> ms 1000 */
	kpg_jsonv_check_fn check; /* NULL: the table says it all */
};

/* One validation run. Fill it with kpg_jsonv_init, then set what applies. */
struct kpg_jsonv {
	const kpg_jsonv_key *keys; /* the table; borrowed */
	size_t n_keys;
	const char *what;       /* names the root in messages: "the policy" */
	const json_locate *loc; /* positions; NULL: none known */
	const char *dir;        /* PATH values resolve against it; "" none */
	const char *env_prefix; /* "KPIGATE_": scalar keys may be set by
				   PREFIX + PATH upper-cased, '.' -> '_';
				   NULL: no environment */
	void *base;             /* the struct rows store into; NULL none */
	kpg_diags *d;           /* borrowed; diagnostics are appended */
	size_t first;           /* d->n before this run */
	size_t max_diags;       /* kept; more are counted */
	size_t n_errors;
	int nomem;
};

#define KPG_JSONV_MAX_DIAGS 200

/* A row's .def from a numeric macro that code elsewhere also uses (the
 * module that owns the default keeps it; the table shows it as JSON). */
#define KPG_JSONV_DEF(x) KPG_JSONV_DEF_(x)
#define KPG_JSONV_DEF_(x) #x
#define KPG_JSONV_ENV_MAX 128

void kpg_jsonv_init(kpg_jsonv *v, const kpg_jsonv_key *keys, size_t n_keys,
		    const char *what, kpg_diags *d);

/* ---- the text (kpg_jsonv_text.c) ---------------------------------- */

/* Parses text (len bytes, borrowed during the call) for v, rejecting
 * duplicate keys; a syntax error is reported at jansson's position, and
 * nothing more. Returns 0 with *root (caller decrefs) and *loc (caller
 * frees with json_locate_free; v->loc is set to it), KPG_EINVAL when
 * reported, KPG_ENOMEM. */
int kpg_jsonv_parse(kpg_jsonv *v, const char *text, size_t len,
		    json_t **root, json_locate **loc, kpg_err *err);
/* A file that could not be taken in whole (err->msg says why, e.g. too
 * big): one diagnostic for the file in d, and err becomes "NAME: 1
 * error". Returns KPG_EINVAL, or KPG_ENOMEM. */
int kpg_jsonv_file_error(kpg_diags *d, const char *name, kpg_err *err);

/* ---- diagnostics (kpg_jsonv.c) ------------------------------------ */

/* At an explicit position (0, 0: the file as a whole). */
void kpg_jsonv_error_pos(kpg_jsonv *v, int line, int column, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));
/* At path's key (at_key) or value in the file, or the nearest enclosing
 * value with a position. */
void kpg_jsonv_error(kpg_jsonv *v, const char *path, int at_key,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* At at: its environment variable, else like kpg_jsonv_error. */
void kpg_jsonv_report(kpg_jsonv *v, const kpg_jsonv_at *at, int at_key,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* At the key at path: its environment variable when v->env_prefix names
 * one that is set, else its value (or nearest enclosing value) in the
 * file. For rules across keys. */
void kpg_jsonv_report_key(kpg_jsonv *v, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Ends a run: sorts this run's diagnostics (the file's by position, then
 * the environment's by name), replaces the last kept one with "... and N
 * more errors" past the cap, and sets err to "NAME: N errors". Returns 0
 * without errors, else KPG_EINVAL. */
int kpg_jsonv_finish(kpg_jsonv *v, const char *name, kpg_err *err);

/* "an integer", "a string", ... for messages. */
const char *kpg_jsonv_kind(const json_t *value);
/* "a, b or c" from a NULL-terminated list. */
void kpg_jsonv_choice_list(const char *const *choices, char *buf, size_t len);
/* Index of s in choices (NULL-terminated), or -1. */
int kpg_jsonv_choice(const char *const *choices, const char *s);

/* ---- the table (kpg_jsonv_walk.c) --------------------------------- */

/* The row for path ("kpis[].metric"), or NULL. */
const kpg_jsonv_key *kpg_jsonv_key_find(const kpg_jsonv_key *keys, size_t n,
					const char *path);
/* 1 when k is a scalar row of an object (not inside an array or a map),
 * so an environment variable may set it. */
int kpg_jsonv_has_env(const kpg_jsonv_key *keys, size_t n,
		      const kpg_jsonv_key *k);
/* The environment variable of a scalar row: prefix + path upper-cased,
 * '.' -> '_'. */
void kpg_jsonv_env_name(const char *prefix, const char *path, char *buf,
			size_t len);

/* Stores every row's default into v->base. 0, or KPG_ENOMEM. */
int kpg_jsonv_defaults(kpg_jsonv *v);

/* The table pass over root (an object): unknown keys, objects, missing
 * required keys, every scalar row checked and stored, then its
 * environment variable (which wins). ARRAY and MAP rows are checked for
 * presence only: their entries are the loader's (kpg_jsonv_value,
 * kpg_jsonv_unknown_keys). */
void kpg_jsonv_walk(kpg_jsonv *v, json_t *root);

/* Reports each member of obj that is not a row below table_path
 * ("kpis[]"); shown_path names obj in messages ("kpis[2]"). */
void kpg_jsonv_unknown_keys(kpg_jsonv *v, json_t *obj, const char *table_path,
			    const char *shown_path);

/* The value at a dotted path of objects, or NULL. Borrowed from root. */
json_t *kpg_jsonv_get(json_t *root, const char *path);
/* Where the key at path was last set: its environment variable when one
 * is set, else the file. env is the caller's buffer for the name. */
void kpg_jsonv_where(const kpg_jsonv *v, const char *path,
		     kpg_jsonv_at *at, char env[KPG_JSONV_ENV_MAX]);

/* ---- values (kpg_jsonv_value.c) ----------------------------------- */

/* Checks value against k (type, length, the row's check, range,
 * choices) and stores it into v->base. Returns 1 valid, 0 null where
 * nullable, -1 reported. */
int kpg_jsonv_value(kpg_jsonv *v, const kpg_jsonv_key *k,
		    const kpg_jsonv_at *at, json_t *value);
/* 1 when value is a string that passes k's string checks (not empty, not
 * too long, no control characters), whatever its row's own rules say. */
int kpg_jsonv_string_ok(const kpg_jsonv_key *k, const json_t *value);
/* The entries of a list row's value: an array for ARRAY rows, an object
 * for MAP rows, said in messages as shape ("an array of column names"),
 * with at most k->max_len entries. Returns how many, or -1 after
 * reporting at k's path. */
long kpg_jsonv_entries(kpg_jsonv *v, const kpg_jsonv_key *k, json_t *value,
		       const char *shape);
/* An environment variable's text as the JSON value of k's type; NULL
 * after reporting. Caller decrefs. */
json_t *kpg_jsonv_env_value(kpg_jsonv *v, const kpg_jsonv_key *k,
			    const kpg_jsonv_at *at, const char *text);

/* ---- documentation (kpg_jsonv_doc.c) ------------------------------ */

/* Every row as a JSON array of objects (path, type, required, nullable,
 * default, minimum/maximum with exclusive flags, maxLength, enum, env,
 * description). Returns a new reference, or NULL without memory. */
json_t *kpg_jsonv_doc_json(const kpg_jsonv_key *keys, size_t n,
			   const char *env_prefix);
/* The rows as a Markdown table: Key | Type | Default | Range | Meaning. */
void kpg_jsonv_doc_markdown(FILE *out, const kpg_jsonv_key *keys, size_t n,
			    const char *env_prefix);

#endif
