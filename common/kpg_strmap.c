#include "kpg_strmap.h"
#include "kpg_error.h"

#include <stdlib.h>
#include <string.h>

uint64_t kpg_strmap_hash(const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	return h;
}

int kpg_strmap_init(kpg_strmap *m, size_t expected)
{
	size_t cap = 16;

	while (cap < expected * 2)
		cap *= 2;
	memset(m, 0, sizeof(*m));
	m->slots = calloc(cap, sizeof(*m->slots));
	if (m->slots == NULL)
		return KPG_ENOMEM;
	m->cap = cap;
	return 0;
}

void kpg_strmap_free(kpg_strmap *m)
{
	if (m->slots != NULL)
		for (size_t i = 0; i < m->cap; i++)
			free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static kpg_strmap_slot *strmap_find(const kpg_strmap *m, const char *key,
				    size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		kpg_strmap_slot *s = &m->slots[i];

		if (s->key == NULL && !s->dead)
			return NULL;
		if (!s->dead && s->hash == h && s->len == len &&
		    memcmp(s->key, key, len) == 0)
			return s;
	}
}

int kpg_strmap_get(const kpg_strmap *m, const char *key, size_t len,
		   uint32_t *value)
{
	kpg_strmap_slot *s = strmap_find(m, key, len, kpg_strmap_hash(key, len));

	if (s == NULL)
		return 0;
	*value = s->value;
	return 1;
}

static int strmap_grow(kpg_strmap *m)
{
	kpg_strmap_slot *old = m->slots;
	size_t ocap = m->cap, ncap = m->live * 4 > m->cap ? m->cap * 2 : m->cap;

	m->slots = calloc(ncap, sizeof(*m->slots));
	if (m->slots == NULL) {
		m->slots = old;
		return KPG_ENOMEM;
	}
	m->cap = ncap;
	m->used = m->live;
	for (size_t i = 0; i < ocap; i++) {
		size_t mask = ncap - 1, j;

		if (old[i].key == NULL)
			continue;
		if (old[i].dead) {
			free(old[i].key);
			continue;
		}
		for (j = old[i].hash & mask; m->slots[j].key != NULL;
		     j = (j + 1) & mask)
			;
		m->slots[j] = old[i];
	}
	free(old);
	return 0;
}

int kpg_strmap_put(kpg_strmap *m, const char *key, size_t len, uint32_t value)
{
	uint64_t h = kpg_strmap_hash(key, len);
	kpg_strmap_slot *s = strmap_find(m, key, len, h);
	size_t mask, i;
	char *copy;

	if (s != NULL) {
		s->value = value;
		return 0;
	}
	if ((m->used + 1) * 4 > m->cap * 3) {
		int rc = strmap_grow(m);

		if (rc)
			return rc;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return KPG_ENOMEM;
	memcpy(copy, key, len);
	copy[len] = '\0';
	mask = m->cap - 1;
	for (i = h & mask; m->slots[i].key != NULL && !m->slots[i].dead;
	     i = (i + 1) & mask)
		;
	if (m->slots[i].dead)
		free(m->slots[i].key); /* reuse the tombstone */
	else
		m->used++;
	m->slots[i] = (kpg_strmap_slot){copy, len, h, value, 0};
	m->live++;
	return 0;
}

int kpg_strmap_del(kpg_strmap *m, const char *key, size_t len)
{
	kpg_strmap_slot *s = strmap_find(m, key, len, kpg_strmap_hash(key, len));

	if (s == NULL)
		return 0;
	s->dead = 1; /* keep key allocated until reuse or free: probe chains stay intact */
	m->live--;
	return 1;
}
