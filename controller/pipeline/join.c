#include "join.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpg_strmap.h"

#define JOIN_DEFAULT_AGE_MS (JOIN_DEFAULT_MAX_AGE_HOURS * 3600LL * 1000)
#define JOIN_TOMB UINT64_MAX

int join_init(join_buffer *jb, size_t max_entries, int64_t max_age_ms,
	      kpg_err *err)
{
	memset(jb, 0, sizeof(*jb));
	jb->cap = max_entries ? max_entries : JOIN_DEFAULT_MAX_ENTRIES;
	jb->max_age_ms = max_age_ms ? max_age_ms : JOIN_DEFAULT_AGE_MS;
	jb->index_cap = 16;
	while (jb->index_cap < jb->cap * 2)
		jb->index_cap *= 2;
	/* calloc: pages are only made resident as the ring fills */
	jb->ring = calloc(jb->cap, sizeof(*jb->ring));
	jb->index = calloc(jb->index_cap, sizeof(*jb->index));
	if (jb->ring == NULL || jb->index == NULL) {
		join_free(jb);
		kpg_err_set(err, "out of memory for a join buffer of %zu entries",
			    max_entries);
		return KPG_ENOMEM;
	}
	return 0;
}

void join_free(join_buffer *jb)
{
	free(jb->ring);
	free(jb->index);
	jb->ring = NULL;
	jb->index = NULL;
}

/* Normalises an id into a key: ids longer than the slot keep a prefix and
 * a hash of the whole id, so distinct long ids stay distinct in practice. */
static size_t join_key(const char *id, size_t len, char *key)
{
	if (len < JOIN_KEY_MAX) {
		memcpy(key, id, len);
		return len;
	}
	memcpy(key, id, JOIN_KEY_MAX - 18);
	snprintf(key + JOIN_KEY_MAX - 18, 18, "~%016llx",
		 (unsigned long long)kpg_strmap_hash(id, len));
	return JOIN_KEY_MAX - 1;
}

static inline uint64_t join_index_value(uint32_t hash, size_t slot)
{
	return (uint64_t)hash << 32 | (uint64_t)(slot + 1);
}

/* Finds the index position holding key, or where it would go. The index
 * keeps each key's hash, so a probe touches the ring only on a hash match. */
static size_t join_probe(const join_buffer *jb, const char *key, size_t len,
			 uint32_t hash, int *found)
{
	size_t mask = jb->index_cap - 1, i = hash & mask;
	size_t first_tomb = SIZE_MAX;

	*found = 0;
	for (;; i = (i + 1) & mask) {
		uint64_t v = jb->index[i];
		const join_entry *e;

		if (v == 0)
			return first_tomb != SIZE_MAX ? first_tomb : i;
		if (v == JOIN_TOMB) {
			if (first_tomb == SIZE_MAX)
				first_tomb = i;
			continue;
		}
		if ((uint32_t)(v >> 32) != hash)
			continue;
		e = &jb->ring[(uint32_t)v - 1];
		if (e->key_len == len && memcmp(e->key, key, len) == 0) {
			*found = 1;
			return i;
		}
	}
}

int join_reindex(join_buffer *jb)
{
	int dup = 0;

	memset(jb->index, 0, jb->index_cap * sizeof(*jb->index));
	jb->tombstones = 0;
	for (size_t k = 0; k < jb->count; k++) {
		size_t slot = (jb->head + k) % jb->cap;
		const join_entry *e = &jb->ring[slot];
		int found;
		size_t pos;

		if (!e->live)
			continue;
		pos = join_probe(jb, e->key, e->key_len, e->hash, &found);
		if (found) {
			dup = 1; /* only a restored ring can hold a key twice */
			continue;
		}
		jb->index[pos] = join_index_value(e->hash, slot);
	}
	return dup ? -1 : 0;
}

/* Removes a ring entry's index position: found by its exact index value,
 * without reading other ring entries. */
static void join_unindex(join_buffer *jb, size_t slot)
{
	const join_entry *e = &jb->ring[slot];
	uint64_t want = join_index_value(e->hash, slot);
	size_t mask = jb->index_cap - 1;

	for (size_t i = e->hash & mask; jb->index[i] != 0; i = (i + 1) & mask)
		if (jb->index[i] == want) {
			jb->index[i] = JOIN_TOMB;
			jb->tombstones++;
			return;
		}
}

/* Drops dead entries at the head, then evicts live ones that are too old
 * or that block a full ring. */
static void join_expire(join_buffer *jb, int64_t now_ms, int need_slot)
{
	while (jb->count > 0) {
		join_entry *e = &jb->ring[jb->head];

		if (e->live) {
			int old = now_ms != JOIN_TIME_UNKNOWN &&
				  e->t_ms != JOIN_TIME_UNKNOWN &&
				  now_ms - e->t_ms > jb->max_age_ms;

			if (!old && !(need_slot && jb->count == jb->cap))
				break;
			/* a joined pair leaving is no loss */
			if (e->kind == JOIN_KIND_LABEL)
				jb->stats.evicted_labels++;
			else if (e->kind == JOIN_KIND_PREDICTION)
				jb->stats.evicted_predictions++;
			join_unindex(jb, jb->head);
			e->live = 0;
		}
		jb->head = (jb->head + 1) % jb->cap;
		jb->count--;
	}
	if (jb->tombstones > jb->index_cap / 4)
		(void)join_reindex(jb);
}

static int join_offer(join_buffer *jb, const char *id, size_t len,
		      int is_label, uint32_t model, uint64_t window,
		      double value, uint32_t code, int64_t now_ms,
		      join_match *m)
{
	char key[JOIN_KEY_MAX];
	size_t klen = join_key(id, len, key), pos, slot;
	uint32_t hash = (uint32_t)kpg_strmap_hash(key, klen);
	int found;
	join_entry *e;

	join_expire(jb, now_ms, 0);
	pos = join_probe(jb, key, klen, hash, &found);
	if (found) {
		e = &jb->ring[(uint32_t)jb->index[pos] - 1];
		if (e->kind != JOIN_KIND_JOINED &&
		    (e->kind == JOIN_KIND_LABEL) != is_label) {
			m->model = is_label ? e->model : model;
			m->window = is_label ? e->window : window;
			m->score = is_label ? e->value : value;
			m->label = is_label ? value : e->value;
			m->label_code = is_label ? code : e->code;
			e->kind = JOIN_KIND_JOINED; /* stays, to catch duplicates */
			jb->stats.joined++;
			return JOIN_MATCHED;
		}
		/* The same id again (a redelivery, a file read twice): the
		 * first one stands. */
		jb->stats.duplicate_ids++;
		return JOIN_DUPLICATE;
	}
	join_expire(jb, now_ms, 1);
	slot = (jb->head + jb->count) % jb->cap;
	e = &jb->ring[slot];
	memcpy(e->key, key, klen);
	e->hash = hash;
	e->key_len = (uint8_t)klen;
	e->live = 1;
	e->kind = is_label ? JOIN_KIND_LABEL : JOIN_KIND_PREDICTION;
	e->model = model;
	e->code = code;
	e->window = window;
	e->value = value;
	e->t_ms = now_ms;
	jb->count++;
	/* expiry may have rebuilt the index: probe again for the free place */
	pos = join_probe(jb, key, klen, hash, &found);
	if (jb->index[pos] == JOIN_TOMB)
		jb->tombstones--;
	jb->index[pos] = join_index_value(hash, slot);
	return JOIN_WAITS;
}

int join_add_prediction(join_buffer *jb, const char *id, size_t len,
			uint32_t model, uint64_t window, double score,
			int64_t now_ms, join_match *m)
{
	return join_offer(jb, id, len, 0, model, window, score, 0, now_ms, m);
}

int join_add_label(join_buffer *jb, const char *id, size_t len, double label,
		   int64_t now_ms, join_match *m)
{
	return join_offer(jb, id, len, 1, 0, 0, label, 0, now_ms, m);
}

int join_add_label_code(join_buffer *jb, const char *id, size_t len,
			double label, uint32_t code, int64_t now_ms,
			join_match *m)
{
	return join_offer(jb, id, len, 1, 0, 0, label, code, now_ms, m);
}

void join_pending(const join_buffer *jb, uint64_t *predictions,
		  uint64_t *labels)
{
	*predictions = *labels = 0;
	for (size_t k = 0; k < jb->count; k++) {
		const join_entry *e = &jb->ring[(jb->head + k) % jb->cap];

		if (e->live && e->kind == JOIN_KIND_LABEL)
			(*labels)++;
		else if (e->live && e->kind == JOIN_KIND_PREDICTION)
			(*predictions)++;
	}
}
