/* reference_cache.c - identical references loaded once (reference_cache.h).
 * A handful of entries per pipeline: a linear search is enough. */
#include "reference_cache.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "psi.h"

typedef struct cache_entry {
	char *key; /* owned; NULL: not shareable (the file could not be named) */
	size_t key_len;
	reference ref;
	size_t refs;
} cache_entry;

struct reference_cache {
	cache_entry **v; /* owned, each owned: &v[i]->ref stays put */
	size_t n, cap;
	size_t loads;
};

int reference_cache_new(reference_cache **out)
{
	*out = calloc(1, sizeof(**out));
	return *out == NULL ? KPG_ENOMEM : 0;
}

/* A growing key buffer: every part length-prefixed, so no name can be
 * mistaken for a separator. */
typedef struct keybuf {
	char *s;
	size_t len, cap;
	int nomem;
} keybuf;

static void key_add(keybuf *k, const char *part, size_t n)
{
	char pre[32];
	int p = snprintf(pre, sizeof(pre), "%zu:", n);

	if (k->nomem)
		return;
	if (k->len + (size_t)p + n + 1 > k->cap) {
		size_t ncap = (k->cap ? k->cap * 2 : 256) + (size_t)p + n;
		char *ns = realloc(k->s, ncap);

		if (ns == NULL) {
			k->nomem = 1;
			return;
		}
		k->s = ns;
		k->cap = ncap;
	}
	memcpy(k->s + k->len, pre, (size_t)p);
	memcpy(k->s + k->len + p, part, n);
	k->len += (size_t)p + n;
	k->s[k->len] = '\0';
}

static void key_str(keybuf *k, const char *s)
{
	if (s == NULL)
		key_add(k, "-", 1); /* "1:-" differs from any string's "N:..." + name */
	else
		key_add(k, s, strlen(s));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_decl(const void *a, const void *b)
{
	const policy_feature *x = *(const policy_feature *const *)a;
	const policy_feature *y = *(const policy_feature *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (int)x->type - (int)y->type;
}

/* The file's identity and the options, canonical. 0, 1 (the file cannot
 * be named: not shared), KPG_ENOMEM. */
static int make_key(const char *path, const reference_options *opt,
		    keybuf *k)
{
	char real[PATH_MAX], id[128];
	struct stat st;
	char **ex = NULL;
	const policy_feature **decl = NULL;
	unsigned bins = opt->psi_bins ? opt->psi_bins : PSI_DEFAULT_BINS;

	if (realpath(path, real) == NULL || stat(real, &st) != 0)
		return 1;
	snprintf(id, sizeof(id), "%llu/%llu/%lld/%lld.%09ld",
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
		 (long long)st.st_size, (long long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec);
	key_str(k, path); /* as given too: it is the reference's path */
	key_str(k, real);
	key_str(k, id);
	key_str(k, opt->label_column);
	ex = malloc((opt->n_exclude + 1) * sizeof(*ex));
	decl = malloc((opt->n_declared + 1) * sizeof(*decl));
	if (ex == NULL || decl == NULL) {
		free(ex);
		free(decl);
		return KPG_ENOMEM;
	}
	if (opt->n_exclude > 0) {
		memcpy(ex, opt->exclude, opt->n_exclude * sizeof(*ex));
		qsort(ex, opt->n_exclude, sizeof(*ex), cmp_str);
	}
	snprintf(id, sizeof(id), "exclude %zu", opt->n_exclude);
	key_str(k, id);
	for (size_t i = 0; i < opt->n_exclude; i++)
		key_str(k, ex[i]);
	for (size_t i = 0; i < opt->n_declared; i++)
		decl[i] = &opt->declared[i];
	if (opt->n_declared > 0)
		qsort(decl, opt->n_declared, sizeof(*decl), cmp_decl);
	snprintf(id, sizeof(id), "declared %zu", opt->n_declared);
	key_str(k, id);
	for (size_t i = 0; i < opt->n_declared; i++) {
		key_str(k, decl[i]->name);
		snprintf(id, sizeof(id), "%d", (int)decl[i]->type);
		key_str(k, id);
	}
	snprintf(id, sizeof(id), "bins %u payload %zu", bins, opt->n_payload);
	key_str(k, id);
	for (size_t i = 0; i < opt->n_payload; i++)
		key_str(k, opt->payload[i]);
	free(ex);
	free(decl);
	return k->nomem ? KPG_ENOMEM : 0;
}

int reference_cache_get(reference_cache *c, const char *path,
			const reference_options *opt, const reference **out,
			kpg_err *err)
{
	keybuf k = {0};
	cache_entry *e;
	int rc = make_key(path, opt, &k);

	*out = NULL;
	if (rc < 0)
		goto nomem;
	if (rc == 0)
		for (size_t i = 0; i < c->n; i++)
			if (c->v[i]->key != NULL && c->v[i]->key_len == k.len &&
			    memcmp(c->v[i]->key, k.s, k.len) == 0) {
				c->v[i]->refs++;
				*out = &c->v[i]->ref;
				free(k.s);
				if (opt->err_key != NULL)
					opt->err_key[0] = '\0';
				return 0;
			}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 8;
		cache_entry **nv = realloc(c->v, ncap * sizeof(*nv));

		if (nv == NULL)
			goto nomem;
		c->v = nv;
		c->cap = ncap;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto nomem;
	rc = reference_load(path, opt, &e->ref, err);
	if (rc) {
		free(e);
		free(k.s);
		return rc;
	}
	c->loads++;
	if (k.s != NULL && !k.nomem) {
		e->key = k.s; /* now owned by the entry */
		e->key_len = k.len;
		k.s = NULL;
	}
	free(k.s);
	e->refs = 1;
	c->v[c->n++] = e;
	*out = &e->ref;
	return 0;
nomem:
	free(k.s);
	kpg_err_set(err, "out of memory loading %s", path);
	return KPG_ENOMEM;
}

static void entry_free(cache_entry *e)
{
	reference_free(&e->ref);
	free(e->key);
	free(e);
}

void reference_cache_release(reference_cache *c, const reference *ref)
{
	for (size_t i = 0; c != NULL && i < c->n; i++) {
		cache_entry *e = c->v[i];

		if (&e->ref != ref)
			continue;
		if (--e->refs == 0) {
			entry_free(e);
			c->v[i] = c->v[--c->n];
		}
		return;
	}
}

size_t reference_cache_loads(const reference_cache *c)
{
	return c->loads;
}

void reference_cache_free(reference_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_free(c->v[i]);
	free(c->v);
	free(c);
}
