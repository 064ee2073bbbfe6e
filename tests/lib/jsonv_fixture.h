/* jsonv_fixture.h - what the loader tests share: every default a key
 * table (kpg_jsonv.h) states is the value a file without that key loads,
 * read from the table rather than written again. Include after cmocka.h. */
#ifndef JSONV_FIXTURE_H
#define JSONV_FIXTURE_H

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kpg_jsonv.h"

/* Asserts each row with a default and a store holds it in base, except
 * the rows named in skip (NULL-terminated; set by the file under test).
 * Returns how many rows were checked. */
static inline size_t fx_assert_table_defaults(const kpg_jsonv_key *keys,
					      size_t n, const void *base,
					      const char *const *skip)
{
	size_t checked = 0;

	for (size_t i = 0; i < n; i++) {
		const kpg_jsonv_key *k = &keys[i];
		const char *slot = (const char *)base + k->offset;
		double scale = k->scale != 0 ? k->scale : 1;
		json_t *d;
		size_t j;

		if (k->def == NULL || k->store == KPG_JSONV_NONE)
			continue;
		for (j = 0; skip != NULL && skip[j] != NULL; j++)
			if (strcmp(skip[j], k->path) == 0)
				break;
		if (skip != NULL && skip[j] != NULL)
			continue;
		d = json_loads(k->def, JSON_DECODE_ANY, NULL);
		assert_non_null(d);
		print_message("  default %s = %s\n", k->path, k->def);
		switch (k->store) {
		case KPG_JSONV_STR:
			assert_string_equal(*(char *const *)(const void *)slot,
					    json_string_value(d));
			break;
		case KPG_JSONV_CHOICE:
			assert_int_equal(*(const int *)(const void *)slot,
					 kpg_jsonv_choice(k->choices,
							  json_string_value(d)));
			break;
		case KPG_JSONV_FLAG:
			assert_int_equal(*(const int *)(const void *)slot,
					 json_is_true(d));
			break;
		case KPG_JSONV_DOUBLE:
			assert_true(*(const double *)(const void *)slot ==
				    json_number_value(d));
			break;
		case KPG_JSONV_UINT:
			assert_int_equal(*(const unsigned *)(const void *)slot,
					 (unsigned)json_number_value(d));
			break;
		case KPG_JSONV_SIZE:
			assert_int_equal(*(const size_t *)(const void *)slot,
					 (size_t)json_number_value(d));
			break;
		case KPG_JSONV_U64:
			assert_int_equal(*(const uint64_t *)(const void *)slot,
					 (uint64_t)json_number_value(d));
			break;
		case KPG_JSONV_I64:
			assert_int_equal(*(const int64_t *)(const void *)slot,
					 (int64_t)llround(json_number_value(d) * scale));
			break;
		default:
			fail_msg("%s: no check for its store", k->path);
		}
		json_decref(d);
		checked++;
	}
	return checked;
}

#endif
