/* kpg_suggest.h - "did you mean": the closest of a list of names to a
 * misspelt word, for unknown keys, enum values and environment variables. */
#ifndef KPG_SUGGEST_H
#define KPG_SUGGEST_H

#include <stddef.h>

/* The candidate closest to word (case-insensitive edit distance, adjacent
 * transpositions count one) when it is close enough to be a likely typo,
 * else NULL. Returns a borrowed pointer into names. */
const char *kpg_suggest(const char *word, const char *const *names, size_t n);

#endif
