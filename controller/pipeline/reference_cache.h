/* reference_cache.h - identical references loaded once and shared.
 *
 * Several models often compare against the same training data: the same
 * file with the same options (label column, excluded columns, declared
 * types, PSI bins, payload columns) gives the same reference, byte for
 * byte. A pipeline keeps one cache; each model asks it for its
 * reference and gets a shared, read-only one, counted; the last release
 * frees it. "The same file" is the same path as given (it is the
 * reference's path, which events print), resolving to the same device,
 * inode, size and modification time, so a file replaced or rewritten in
 * place is loaded afresh. Options compare as the compiled
 * file's check does (reference_file.h): excluded columns and declared
 * types as sets, payload columns in order, PSI bins as used. Not thread
 * safe: a cache belongs to one pipeline's thread. */
#ifndef REFERENCE_CACHE_H
#define REFERENCE_CACHE_H

#include <stddef.h>

#include "kpg_error.h"
#include "reference.h"

typedef struct reference_cache reference_cache;

/* Returns 0 with *out, KPG_ENOMEM. Free with reference_cache_free. */
int reference_cache_new(reference_cache **out);

/* The reference of path loaded with opt: shared when an identical one is
 * held, else loaded (reference_load; its errors and opt->err_key as
 * there). *out is borrowed, read-only, until reference_cache_release. */
int reference_cache_get(reference_cache *c, const char *path,
			const reference_options *opt, const reference **out,
			kpg_err *err);

/* Gives back one reference_cache_get's reference; the last one frees it. */
void reference_cache_release(reference_cache *c, const reference *ref);

/* How many references were loaded (not shared) so far: for tests. */
size_t reference_cache_loads(const reference_cache *c);

/* Frees every reference still held (their borrowers must be gone).
 * NULL is allowed. */
void reference_cache_free(reference_cache *c);

#endif
