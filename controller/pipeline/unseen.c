/* unseen.c - tally of new category names for one window (unseen.h). */
#include "unseen.h"

#include <stdlib.h>
#include <string.h>

#include "kpg_error.h"

static int unseen_init(unseen_tally *t)
{
	if (kpg_strmap_init(&t->index, 16) != 0)
		return KPG_ENOMEM;
	t->names = calloc(UNSEEN_MAX_NAMES, sizeof(*t->names));
	t->counts = calloc(UNSEEN_MAX_NAMES, sizeof(*t->counts));
	if (t->names == NULL || t->counts == NULL) {
		unseen_free(t);
		return KPG_ENOMEM;
	}
	return 0;
}

int unseen_add(unseen_tally *t, const char *text, size_t len)
{
	uint32_t slot;
	char *name;

	if (len > UNSEEN_NAME_MAX)
		len = UNSEEN_NAME_MAX;
	len = strnlen(text, len); /* names are kept as C strings */
	if (t->names == NULL && unseen_init(t) != 0) {
		t->other += 1;
		return KPG_ENOMEM;
	}
	if (kpg_strmap_get(&t->index, text, len, &slot)) {
		t->counts[slot] += 1;
		return 0;
	}
	if (t->n == UNSEEN_MAX_NAMES) {
		t->other += 1;
		return 0;
	}
	name = malloc(len + 1);
	if (name == NULL || kpg_strmap_put(&t->index, text, len, (uint32_t)t->n) != 0) {
		free(name);
		t->other += 1;
		return KPG_ENOMEM;
	}
	memcpy(name, text, len);
	name[len] = '\0';
	t->names[t->n] = name;
	t->counts[t->n++] = 1;
	return 0;
}

void unseen_reset(unseen_tally *t)
{
	for (size_t i = 0; i < t->n; i++) {
		kpg_strmap_del(&t->index, t->names[i], strlen(t->names[i]));
		free(t->names[i]);
		t->names[i] = NULL;
		t->counts[i] = 0;
	}
	t->n = 0;
	t->other = 0;
}

void unseen_free(unseen_tally *t)
{
	for (size_t i = 0; i < t->n && t->names != NULL; i++)
		free(t->names[i]);
	free(t->names);
	free(t->counts);
	if (t->index.slots != NULL)
		kpg_strmap_free(&t->index);
	memset(t, 0, sizeof(*t));
}

void unseen_sorted(const unseen_tally *t, size_t *order)
{
	/* at most UNSEEN_MAX_NAMES: an insertion sort is plenty */
	for (size_t i = 0; i < t->n; i++) {
		size_t j = i;

		while (j > 0 && t->counts[order[j - 1]] < t->counts[i]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
}
