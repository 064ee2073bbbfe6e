/* reference_compare.h - every field of two references compared, for the
 * compiled-reference tests (a CSV-loaded reference against the one read
 * back from its compiled file). path and source differ by design (the
 * compiled one is REFERENCE_SOURCE_COMPILED at its own path); everything
 * else must be identical, bit for bit for the numbers. */
#ifndef REFERENCE_COMPARE_H
#define REFERENCE_COMPARE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "reference.h"

static inline void ref_assert_doubles(const double *a, const double *b, size_t n)
{
	if (n == 0)
		return;
	assert_non_null(a);
	assert_non_null(b);
	assert_memory_equal(a, b, n * sizeof(double));
}

static inline void ref_assert_same(const reference *a, const reference *b)
{
	assert_string_equal(a->source_sha256, b->source_sha256);
	assert_int_equal(a->n_payload, b->n_payload);
	assert_int_equal(a->n_ignored, b->n_ignored);
	for (size_t i = 0; i < a->n_payload; i++) {
		assert_string_equal(a->payload_names[i], b->payload_names[i]);
		assert_int_equal(a->payload_feature[i], b->payload_feature[i]);
	}
	assert_int_equal(a->n_rows, b->n_rows);
	assert_int_equal(a->label_index, b->label_index);
	assert_int_equal(a->labels.n, b->labels.n);
	assert_int_equal(a->labels.more, b->labels.more);
	assert_int_equal(a->labels.cells, b->labels.cells);
	assert_int_equal(a->labels.missing, b->labels.missing);
	assert_int_equal(a->labels.numbers, b->labels.numbers);
	assert_int_equal(a->labels.booleans, b->labels.booleans);
	for (size_t i = 0; i < a->labels.n; i++) {
		assert_string_equal(a->labels.texts[i], b->labels.texts[i]);
		assert_int_equal(a->labels.counts[i], b->labels.counts[i]);
	}
	assert_int_equal(a->n_features, b->n_features);
	for (size_t i = 0; i < a->n_features; i++) {
		const reference_feature *x = &a->features[i], *y = &b->features[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->type, y->type);
		assert_int_equal(x->inferred, y->inferred);
		assert_int_equal(x->missing, y->missing);
		assert_int_equal(x->n, y->n);
		assert_memory_equal(&x->weight_total, &y->weight_total, sizeof(double));
		assert_memory_equal(&x->rank_error, &y->rank_error, sizeof(double));
		ref_assert_doubles(x->sorted, y->sorted,
				   x->type == POLICY_FEATURE_NUMERIC ? x->n : 0);
		assert_int_equal(x->weights == NULL, y->weights == NULL);
		if (x->weights != NULL)
			ref_assert_doubles(x->weights, y->weights, x->n);
		assert_int_equal(x->psi.n_bins, y->psi.n_bins);
		if (x->psi.n_bins > 0) {
			ref_assert_doubles(x->psi.edges, y->psi.edges, x->psi.n_bins - 1);
			ref_assert_doubles(x->psi.ref_prop, y->psi.ref_prop, x->psi.n_bins);
		}
		assert_int_equal(x->n_categories, y->n_categories);
		for (size_t j = 0; j < x->n_categories; j++) {
			assert_string_equal(x->category_names[j], y->category_names[j]);
			assert_int_equal(reference_category_code(y, x->category_names[j],
								 strlen(x->category_names[j])),
					 j);
		}
		if (x->type == POLICY_FEATURE_CATEGORICAL) {
			ref_assert_doubles(x->category_counts, y->category_counts,
					   x->n_categories + 1);
			assert_int_equal(y->categories.live, x->n_categories);
		}
	}
}

#endif
