/* kpg_jsonv_doc.c - a validator table as documentation: JSON for tools
 * (and the docs/schema check), a Markdown table for docs/ (kpg_jsonv.h). */
#include "kpg_jsonv.h"

#include <math.h>
#include <string.h>

static const char *type_name(kpg_jsonv_type t)
{
	switch (t) {
	case KPG_JSONV_OBJECT: return "object";
	case KPG_JSONV_MAP: return "map";
	case KPG_JSONV_ARRAY: return "array";
	case KPG_JSONV_STRING: return "string";
	case KPG_JSONV_INT: return "integer";
	case KPG_JSONV_NUMBER: return "number";
	case KPG_JSONV_BOOL: return "boolean";
	}
	return "unknown";
}

static int has_range(const kpg_jsonv_key *k)
{
	return (k->type == KPG_JSONV_INT || k->type == KPG_JSONV_NUMBER) &&
	       !(k->min == 0 && k->max == 0);
}

/* Adds value under name; 0, or -1 without memory. */
static int put(json_t *o, const char *name, json_t *value)
{
	return json_object_set_new(o, name, value) == 0 ? 0 : -1;
}

static json_t *row_json(const kpg_jsonv_key *keys, size_t n,
			const kpg_jsonv_key *k, const char *env_prefix)
{
	json_t *o = json_object(), *e;
	int bad = o == NULL;

	if (bad)
		return NULL;
	bad |= put(o, "path", json_string(k->path));
	bad |= put(o, "type", json_string(type_name(k->type)));
	bad |= put(o, "required", json_boolean(k->flags & KPG_JSONV_REQUIRED));
	bad |= put(o, "nullable", json_boolean(k->flags & KPG_JSONV_NULLABLE));
	if (k->def != NULL)
		bad |= put(o, "default", json_loads(k->def, JSON_DECODE_ANY, NULL));
	if (has_range(k)) {
		bad |= put(o, "minimum", json_real(k->min));
		bad |= put(o, "exclusiveMinimum",
			   json_boolean(k->flags & KPG_JSONV_MIN_OPEN));
		if (!isinf(k->max)) {
			bad |= put(o, "maximum", json_real(k->max));
			bad |= put(o, "exclusiveMaximum",
				   json_boolean(k->flags & KPG_JSONV_MAX_OPEN));
		}
	}
	if (k->max_len > 0)
		bad |= put(o, k->type == KPG_JSONV_STRING ? "maxLength" : "maxItems",
			   json_integer((json_int_t)k->max_len));
	if (k->choices != NULL) {
		e = json_array();
		bad |= put(o, "enum", e);
		for (size_t i = 0; e != NULL && k->choices[i] != NULL; i++)
			bad |= json_array_append_new(e, json_string(k->choices[i]));
	}
	if (env_prefix != NULL && kpg_jsonv_has_env(keys, n, k)) {
		char env[KPG_JSONV_ENV_MAX];

		kpg_jsonv_env_name(env_prefix, k->path, env, sizeof(env));
		bad |= put(o, "env", json_string(env));
	}
	bad |= put(o, "description", json_string(k->doc ? k->doc : ""));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *kpg_jsonv_doc_json(const kpg_jsonv_key *keys, size_t n,
			   const char *env_prefix)
{
	json_t *a = json_array(), *o;

	for (size_t i = 0; a != NULL && i < n; i++) {
		o = row_json(keys, n, &keys[i], env_prefix);
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Whole numbers with thousands separators (10,000,000), others as %g. */
static const char *md_num(char *buf, size_t len, double x)
{
	char digits[32];
	size_t n, used = 0;

	if (x != floor(x) || fabs(x) >= 1e15) {
		snprintf(buf, len, "%g", x);
		return buf;
	}
	snprintf(digits, sizeof(digits), "%.0f", fabs(x));
	n = strlen(digits);
	if (x < 0 && used + 1 < len)
		buf[used++] = '-';
	for (size_t i = 0; i < n && used + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[used++] = ',';
		buf[used++] = digits[i];
	}
	buf[used] = '\0';
	return buf;
}

static void md_range(FILE *out, const kpg_jsonv_key *k)
{
	char lo[32], hi[32];
	int lo_open = (k->flags & KPG_JSONV_MIN_OPEN) != 0;
	int hi_open = (k->flags & KPG_JSONV_MAX_OPEN) != 0;

	md_num(lo, sizeof(lo), k->min);
	md_num(hi, sizeof(hi), k->max);
	if (has_range(k) && isinf(k->max))
		fprintf(out, "%s %s", lo_open ? ">" : "≥", lo);
	else if (has_range(k) && k->min == k->max)
		fprintf(out, "%s", lo);
	else if (has_range(k) && k->type == KPG_JSONV_INT)
		fprintf(out, "%s–%s", lo, hi);
	else if (has_range(k))
		fprintf(out, "%c%s, %s%c", lo_open ? '(' : '[', lo, hi,
			hi_open ? ')' : ']');
	else if (k->choices != NULL)
		for (size_t i = 0; k->choices[i] != NULL; i++)
			fprintf(out, "%s`%s`", i ? ", " : "", k->choices[i]);
	else if (k->max_len > 0 && k->type == KPG_JSONV_STRING)
		fprintf(out, "1–%s bytes", md_num(hi, sizeof(hi), (double)k->max_len));
	else if (k->max_len > 0)
		fprintf(out, "≤ %s entries", md_num(hi, sizeof(hi), (double)k->max_len));
	else
		fputs("–", out);
}

void kpg_jsonv_doc_markdown(FILE *out, const kpg_jsonv_key *keys, size_t n,
			    const char *env_prefix)
{
	fprintf(out, "| Key | Type | Default | Range |%s Meaning |\n",
		env_prefix ? " Environment variable |" : "");
	fprintf(out, "|---|---|---|---|%s---|\n", env_prefix ? "---|" : "");
	for (size_t i = 0; i < n; i++) {
		const kpg_jsonv_key *k = &keys[i];
		const char *type = type_name(k->type);

		if (k->type == KPG_JSONV_MAP)
			type = "object"; /* of NAME: value, the row below */
		fprintf(out, "| `%s` | %s%s | ", k->path, type,
			k->flags & KPG_JSONV_NULLABLE ? " or null" : "");
		if (k->flags & KPG_JSONV_REQUIRED)
			fputs("**required**", out);
		else if (k->def != NULL)
			fprintf(out, "`%s`", k->def);
		else
			fputs("–", out);
		fputs(" | ", out);
		md_range(out, k);
		if (env_prefix != NULL) {
			char env[KPG_JSONV_ENV_MAX];

			if (kpg_jsonv_has_env(keys, n, k)) {
				kpg_jsonv_env_name(env_prefix, k->path, env,
						   sizeof(env));
				fprintf(out, " | `%s`", env);
			} else {
				fputs(" | –", out);
			}
		}
		fprintf(out, " | %s |\n", k->doc ? k->doc : "");
	}
}
