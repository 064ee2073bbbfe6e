/* s3_cursor.h - which S3 objects the daemon has processed: the set of
 * (path, ETag) seen within the look-back window, and the high-water
 * hour (the latest SageMaker yyyy/mm/dd/hh partition processed).
 *
 * A poll lists the prefixes and processes, in order, every object of an
 * hour at or after high_water - look-back that is not in the set; an
 * object of an older hour is never read again (it was processed, or it
 * came later than the look-back allows). Entries of
 * hours before high_water - look-back are pruned: they are never listed
 * as candidates again, so forgetting them is safe.
 *
 * SageMaker never rewrites a capture object: a known path with another
 * ETag is S3_CURSOR_CHANGED, an error the caller logs and counts, never
 * processed again (its records are in the windows already).
 *
 * An object of an hour before the look-back was processed (and maybe
 * pruned) when S3 says it was last modified at or before listed_ms: the
 * listing time, less S3_CURSOR_CLOCK_MARGIN_MS, of the last poll that
 * completed. Every object listed then was processed, so one modified at
 * or before it is S3_CURSOR_TOO_OLD (skipped); one modified after it
 * was never listed while its hour was within the look-back: it is
 * S3_CURSOR_LATE, read once and reported (docs/s3.md, Late objects).
 * An entry is pruned only when its hour left the look-back and its own
 * LastModified is covered by listed_ms, so a late object, once read,
 * stays seen. An object with no LastModified is never late.
 *
 * The cursor is saved inside the daemon's checkpoint (state_cursor_set)
 * in the same atomic write as the pipeline state it belongs to:
 * s3_cursor_encode / s3_cursor_decode give its bytes (docs/state.md). */
#ifndef S3_CURSOR_H
#define S3_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"

#define S3_CURSOR_MAX_ENTRIES 1000000 /* objects within the look-back */
#define S3_CURSOR_MAX_PATH 2048       /* "s3://" + bucket + 1024-byte key */
#define S3_CURSOR_MAX_ETAG 256
/* S3 refuses requests signed more than 15 minutes off its clock
 * (RequestTimeTooSkewed): a listing time this much earlier on our clock
 * is before the listing on S3's, which stamps LastModified. */
#define S3_CURSOR_CLOCK_MARGIN_MS ((int64_t)15 * 60 * 1000)

typedef struct s3_cursor_entry {
	char *path; /* owned: s3://BUCKET/KEY */
	char *etag; /* owned: as listed, quotes included */
	int64_t hour_ms;
	int64_t modified_ms; /* S3's LastModified; INT64_MIN: not given */
} s3_cursor_entry;

typedef struct s3_cursor {
	s3_cursor_entry *items; /* owned, unordered */
	size_t n, cap;
	int64_t high_water_ms; /* INT64_MIN: nothing processed yet */
	int64_t listed_ms;     /* see above; INT64_MIN: no poll completed */
} s3_cursor;

typedef enum s3_cursor_state {
	S3_CURSOR_NEW = 0, /* not processed: process it */
	S3_CURSOR_SEEN,    /* processed, same ETag: skip */
	S3_CURSOR_CHANGED, /* processed with another ETag: an error, skipped */
	S3_CURSOR_TOO_OLD, /* unknown, its hour before the look-back, and
			      modified before listed_ms: processed, skip */
	S3_CURSOR_LATE     /* unknown, its hour before the look-back, but
			      modified after listed_ms: process, report */
} s3_cursor_state;

/* An empty cursor (nothing processed). Free with s3_cursor_free. */
void s3_cursor_init(s3_cursor *c);
void s3_cursor_free(s3_cursor *c);

/* The first hour a poll considers: high_water - lookback_ms, or
 * INT64_MIN when nothing was processed. */
int64_t s3_cursor_start_ms(const s3_cursor *c, int64_t lookback_ms);

/* What to do with the listed object path/etag of hour hour_ms, last
 * modified at modified_ms (INT64_MIN: unknown). */
s3_cursor_state s3_cursor_check(const s3_cursor *c, const char *path,
				const char *etag, int64_t hour_ms,
				int64_t modified_ms, int64_t lookback_ms);

/* Records path/etag (copied) as processed and moves the high-water hour
 * up to hour_ms; a path already there gets etag (a changed ETag, noted
 * so it is reported once). KPG_ETOOBIG past S3_CURSOR_MAX_ENTRIES or a path or ETag
 * over its cap, KPG_ENOMEM; c is unchanged on failure. */
int s3_cursor_note(s3_cursor *c, const char *path, const char *etag,
		   int64_t hour_ms, int64_t modified_ms, kpg_err *err);

/* A poll that listed at listed_ms (our clock, less the margin) processed
 * every object it listed: listed_ms moves up to it (never down). */
void s3_cursor_listed(s3_cursor *c, int64_t listed_ms);

/* Forgets the entries of hours before s3_cursor_start_ms(c, lookback_ms)
 * last modified at or before listed_ms; returns how many. */
size_t s3_cursor_prune(s3_cursor *c, int64_t lookback_ms);

/* The cursor as bytes (*out: caller frees) and back. decode replaces c's
 * content (c initialised); KPG_EINTEGRITY for bytes it did not write. A
 * version 1 cursor (before LastModified was kept) gets listed_ms =
 * v1_listed_ms: the time it is read, after every object it names. */
int s3_cursor_encode(const s3_cursor *c, unsigned char **out, size_t *len,
		     kpg_err *err);
int s3_cursor_decode(s3_cursor *c, const unsigned char *b, size_t len,
		     int64_t v1_listed_ms, kpg_err *err);

#endif
