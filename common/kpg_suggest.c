/* kpg_suggest.c - the "did you mean" suggester (kpg_suggest.h). */
#include "kpg_suggest.h"

#include <ctype.h>
#include <string.h>

#define SUGGEST_MAX_LEN 64

/* Case-insensitive optimal string alignment distance (Levenshtein plus
 * adjacent transpositions), so "cooldwon" is one edit from "cooldown". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];

	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j - 1] + (ca != cb);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *kpg_suggest(const char *word, const char *const *names, size_t n)
{
	size_t lw = strlen(word), best_d = (size_t)-1;
	const char *best = NULL;

	if (lw == 0 || lw > SUGGEST_MAX_LEN)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t ln = strlen(names[i]), d, limit;

		if (ln > SUGGEST_MAX_LEN)
			continue;
		d = edit_distance(word, names[i]);
		/* a third of the longer name, at least 1, at most 3 edits */
		limit = (lw > ln ? lw : ln) / 3;
		if (limit < 1)
			limit = 1;
		if (limit > 3)
			limit = 3;
		if (d <= limit && d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}
