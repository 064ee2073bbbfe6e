/* kpg_strmap.h - string -> uint32 hash map (open addressing, FNV-1a),
 * keys copied into the map. Used for category dictionaries and the
 * ground-truth join index. Supports removal (tombstones). */
#ifndef KPG_STRMAP_H
#define KPG_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct kpg_strmap_slot {
	char *key; /* owned; NULL = empty */
	size_t len;
	uint64_t hash;
	uint32_t value;
	uint8_t dead; /* tombstone */
} kpg_strmap_slot;

typedef struct kpg_strmap {
	kpg_strmap_slot *slots; /* owned */
	size_t cap;             /* power of two */
	size_t live, used;      /* used counts tombstones too */
} kpg_strmap;

int kpg_strmap_init(kpg_strmap *m, size_t expected);
void kpg_strmap_free(kpg_strmap *m);

/* Returns 1 and *value when key is present, else 0. */
int kpg_strmap_get(const kpg_strmap *m, const char *key, size_t len,
		   uint32_t *value);

/* Inserts or replaces. Returns 0, or KPG_ENOMEM. */
int kpg_strmap_put(kpg_strmap *m, const char *key, size_t len, uint32_t value);

/* Removes key; returns 1 when it was present. */
int kpg_strmap_del(kpg_strmap *m, const char *key, size_t len);

uint64_t kpg_strmap_hash(const char *key, size_t len);

#endif
