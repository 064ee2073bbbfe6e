/* kpg_jsonv_walk.c - the table pass: walks the rows over a parsed file,
 * object by object, and applies the environment (kpg_jsonv.h). */
#include "kpg_jsonv.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kpg_suggest.h"

#define JSONV_MAX_MEMBERS 128 /* rows under one object */

/* Length of path's parent ("a.b" -> 1, "kpis[]" -> 4, "a" -> 0); *name
 * is the last member name, or NULL for an array element row. */
static size_t parent_len(const char *path, const char **name)
{
	const char *dot = strrchr(path, '.');
	size_t len = strlen(path);

	if (len >= 2 && strcmp(path + len - 2, "[]") == 0 &&
	    (dot == NULL || dot < path + len - 2)) {
		*name = NULL;
		return len - 2;
	}
	*name = dot ? dot + 1 : path;
	return dot ? (size_t)(dot - path) : 0;
}

/* 1 when k is a member row of the object at table path tpath. */
static int member_of(const kpg_jsonv_key *k, const char *tpath,
		     const char **name)
{
	size_t plen = parent_len(k->path, name), tlen = strlen(tpath);

	return *name != NULL && plen == tlen &&
	       strncmp(k->path, tpath, tlen) == 0;
}

const kpg_jsonv_key *kpg_jsonv_key_find(const kpg_jsonv_key *keys, size_t n,
					const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].path, path) == 0)
			return &keys[i];
	return NULL;
}

int kpg_jsonv_has_env(const kpg_jsonv_key *keys, size_t n,
		      const kpg_jsonv_key *k)
{
	char up[JSON_LOCATE_PATH_MAX];
	const kpg_jsonv_key *parent;
	const char *name;
	size_t plen;

	if (k->type < KPG_JSONV_STRING || strstr(k->path, "[]") != NULL ||
	    strlen(k->path) >= sizeof(up))
		return 0;
	/* every enclosing row is an object */
	snprintf(up, sizeof(up), "%s", k->path);
	while ((plen = parent_len(up, &name)) > 0) {
		up[plen] = '\0';
		parent = kpg_jsonv_key_find(keys, n, up);
		if (parent == NULL || parent->type != KPG_JSONV_OBJECT)
			return 0;
	}
	return 1;
}

void kpg_jsonv_env_name(const char *prefix, const char *path, char *buf,
			size_t len)
{
	size_t i = strlen(prefix);

	if (snprintf(buf, len, "%s%s", prefix, path) >= (int)len)
		buf[len - 1] = '\0'; /* key paths are short; never in practice */
	for (; buf[i]; i++)
		buf[i] = buf[i] == '.' ? '_' : (char)toupper((unsigned char)buf[i]);
}

static void path_join(char *buf, size_t len, const char *parent,
		      const char *key)
{
	if (parent[0] == '\0')
		snprintf(buf, len, "%s", key);
	else
		snprintf(buf, len, "%s.%s", parent, key);
}

void kpg_jsonv_unknown_keys(kpg_jsonv *v, json_t *obj, const char *table_path,
			    const char *shown_path)
{
	const char *names[JSONV_MAX_MEMBERS], *key, *name, *hint;
	size_t n = 0, i;
	json_t *value;

	for (i = 0; i < v->n_keys && n < JSONV_MAX_MEMBERS; i++)
		if (member_of(&v->keys[i], table_path, &name))
			names[n++] = name;
	json_object_foreach(obj, key, value) {
		char p[JSON_LOCATE_PATH_MAX];

		for (i = 0; i < n; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (i < n)
			continue;
		path_join(p, sizeof(p), shown_path, key);
		hint = kpg_suggest(key, names, n);
		kpg_jsonv_error(v, p, 1, "unknown key \"%s\" in %s%s%s%s", key,
				shown_path[0] ? shown_path : v->what,
				hint ? "; did you mean \"" : "",
				hint ? hint : "", hint ? "\"?" : "");
	}
}

static void missing(kpg_jsonv *v, const char *parent, const char *name,
		    const char *env)
{
	char tail[KPG_JSONV_ENV_MAX + 16] = "";

	if (env != NULL)
		snprintf(tail, sizeof(tail), " (or set %s)", env);
	if (parent[0] == '\0')
		kpg_jsonv_error(v, parent, 0, "missing required key \"%s\"%s",
				name, tail);
	else
		kpg_jsonv_error(v, parent, 0, "missing required key \"%s\" in %s%s",
				name, parent, tail);
}

/* One scalar row: the file's value, then its environment variable. */
static void walk_scalar(kpg_jsonv *v, const kpg_jsonv_key *k, json_t *fv,
			const char *parent, const char *name, int broken)
{
	char env[KPG_JSONV_ENV_MAX];
	const char *etext = NULL;
	kpg_jsonv_at at = {k->path, NULL};
	json_t *ev;

	if (fv != NULL)
		kpg_jsonv_value(v, k, &at, fv);
	if (v->env_prefix != NULL) {
		kpg_jsonv_env_name(v->env_prefix, k->path, env, sizeof(env));
		etext = getenv(env);
	}
	if (etext != NULL) {
		at.env = env;
		ev = kpg_jsonv_env_value(v, k, &at, etext);
		if (ev != NULL) {
			kpg_jsonv_value(v, k, &at, ev);
			json_decref(ev);
		}
	} else if (fv == NULL && (k->flags & KPG_JSONV_REQUIRED) && !broken) {
		missing(v, parent, name, v->env_prefix ? env : NULL);
	}
}

/* The rows under tpath over obj (NULL: absent). broken: obj's absence or
 * type is already reported, so its required members are not. */
static void walk_object(kpg_jsonv *v, json_t *obj, const char *tpath,
			int broken)
{
	const char *name;

	if (obj != NULL)
		kpg_jsonv_unknown_keys(v, obj, tpath, tpath);
	for (size_t i = 0; i < v->n_keys; i++) {
		const kpg_jsonv_key *k = &v->keys[i];
		int required = (k->flags & KPG_JSONV_REQUIRED) != 0;
		json_t *fv;

		if (!member_of(k, tpath, &name))
			continue;
		fv = obj != NULL ? json_object_get(obj, name) : NULL;
		switch (k->type) {
		case KPG_JSONV_OBJECT:
			if (fv == NULL) {
				if (required && !broken)
					missing(v, tpath, name, NULL);
				walk_object(v, NULL, k->path, broken || required);
			} else if (!json_is_object(fv)) {
				kpg_jsonv_error(v, k->path, 0, "%s must be an object, got %s",
						k->path, kpg_jsonv_kind(fv));
				walk_object(v, NULL, k->path, 1);
			} else {
				walk_object(v, fv, k->path, 0);
			}
			break;
		case KPG_JSONV_MAP:
		case KPG_JSONV_ARRAY:
			if (fv == NULL && required && !broken)
				missing(v, tpath, name, NULL);
			break;
		default:
			walk_scalar(v, k, fv, tpath, name, broken);
			break;
		}
	}
}

void kpg_jsonv_walk(kpg_jsonv *v, json_t *root)
{
	walk_object(v, root, "", 0);
}

int kpg_jsonv_defaults(kpg_jsonv *v)
{
	for (size_t i = 0; i < v->n_keys; i++) {
		const kpg_jsonv_key *k = &v->keys[i];
		kpg_jsonv_at at = {k->path, NULL};
		json_t *value;

		if (k->def == NULL || k->store == KPG_JSONV_NONE)
			continue;
		value = json_loads(k->def, JSON_DECODE_ANY, NULL);
		if (value == NULL) {
			kpg_jsonv_error_pos(v, 0, 0, "the default of %s is not JSON",
					    k->path);
			continue;
		}
		kpg_jsonv_value(v, k, &at, value);
		json_decref(value);
	}
	return v->nomem ? KPG_ENOMEM : 0;
}

json_t *kpg_jsonv_get(json_t *root, const char *path)
{
	char name[JSON_LOCATE_PATH_MAX];
	const char *p = path;

	while (root != NULL && *p != '\0') {
		size_t len = strcspn(p, ".");

		if (!json_is_object(root) || len >= sizeof(name))
			return NULL;
		memcpy(name, p, len);
		name[len] = '\0';
		root = json_object_get(root, name);
		p += len;
		if (*p == '.')
			p++;
	}
	return root;
}

void kpg_jsonv_where(const kpg_jsonv *v, const char *path,
		     kpg_jsonv_at *at, char env[KPG_JSONV_ENV_MAX])
{
	at->path = path;
	at->env = NULL;
	if (v->env_prefix == NULL)
		return;
	kpg_jsonv_env_name(v->env_prefix, path, env, KPG_JSONV_ENV_MAX);
	if (getenv(env) != NULL)
		at->env = env;
}
