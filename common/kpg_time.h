/* kpg_time.h - event-time helpers. kpigate keeps times as int64
 * milliseconds since the Unix epoch, UTC. */
#ifndef KPG_TIME_H
#define KPG_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Parses ISO 8601 UTC "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM]" into *ms.
 * Returns 0, or KPG_EPARSE when s (of length len) is not such a time. */
int kpg_time_parse_iso8601(const char *s, size_t len, int64_t *ms);

/* Formats ms as "YYYY-MM-DDTHH:MM:SS.fffZ" into buf (at least 32 bytes). */
void kpg_time_format_iso8601(int64_t ms, char *buf, size_t buflen);

/* Wall clock now, in ms since the epoch. */
int64_t kpg_time_now_ms(void);

/* Milliseconds of CLOCK_MONOTONIC: for deadlines and waits (never jumps). */
int64_t kpg_time_mono_ms(void);

/* Days since 1970-01-01 of a proleptic Gregorian civil date. */
int64_t kpg_time_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
