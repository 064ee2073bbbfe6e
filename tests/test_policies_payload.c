/* test_policies_payload.c - the payload keys of a policy file:
 * features.NAME "ignore" and payload.columns load as written, and every
 * misuse (an ignored column the order leaves out, ignore and exclude at
 * once, a name listed twice, the label or an excluded column in the
 * payload, an empty list, a misspelt type) is reported at its line:column.
 * Whether the names are the reference's is pipeline/reference.c's job
 * (test_pipeline_payload.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define DATA KPG_TEST_DATA_DIR "/policies/"

typedef struct want {
	int line, column;
	const char *substr;
} want;

/* The file fails with exactly these diagnostics, each at its place. */
static void expect_diags(const char *name, const want *wants, size_t n)
{
	policy_diags d = {0};
	policy *p = NULL;
	kpg_err err = {""};

	assert_int_equal(policy_load(name, &p, &d, &err), KPG_EINVAL);
	assert_null(p);
	for (size_t i = 0; i < d.n; i++)
		print_message("  %d:%d: %s\n", d.items[i].line, d.items[i].column,
			      d.items[i].message);
	assert_int_equal(d.n, n);
	for (size_t w = 0; w < n; w++) {
		int found = 0;

		for (size_t i = 0; i < d.n && !found; i++)
			found = d.items[i].line == wants[w].line &&
				d.items[i].column == wants[w].column &&
				strstr(d.items[i].message, wants[w].substr) != NULL;
		if (!found)
			fail_msg("%s: no diagnostic at %d:%d with \"%s\"", name,
				 wants[w].line, wants[w].column, wants[w].substr);
	}
	policy_diags_free(&d);
}

static void test_good_payload(void **state)
{
	policy_diags d = {0};
	policy *p = NULL;
	kpg_err err = {""};
	const char *cols[] = {"instant", "dteday", "hr", "temp"};
	size_t ignored = 0;

	(void)state;
	assert_int_equal(policy_load(DATA "good_payload.json", &p, &d, &err), 0);
	assert_int_equal(p->n_payload_columns, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(p->payload_columns[i], cols[i]);
	assert_int_equal(p->n_features, 3);
	for (size_t i = 0; i < p->n_features; i++)
		ignored += p->features[i].type == POLICY_FEATURE_IGNORE;
	assert_int_equal(ignored, 2);
	assert_string_equal(policy_feature_type_name(POLICY_FEATURE_IGNORE), "ignore");
	policy_free(p);
}

static void test_bad_payload(void **state)
{
	const want w[] = {
		{4, 40, "feature \"when\" is \"ignore\" but not in payload.columns"},
		{4, 50, "feature \"row\" is also in reference.exclude_columns: exclude says the payload does not carry it"},
		{4, 72, "type \"ignroe\"; use \"numeric\", \"categorical\" or \"ignore\" (did you mean \"ignore\"?)"},
		{5, 38, "column \"a\" is listed twice in payload.columns"},
		{5, 43, "column \"y\" is the label column"},
		{5, 48, "column \"row\" is in reference.exclude_columns, which says the payload does not carry it; to keep it in the payload but out of the statistics, declare features.row: \"ignore\""},
		{5, 55, "payload.columns[5] must be a column name"},
		{5, 59, "payload.columns[6] must be a column name"},
	};

	(void)state;
	expect_diags(DATA "bad_payload.json", w, sizeof(w) / sizeof(w[0]));
}

static void test_bad_payload_empty(void **state)
{
	const want w[] = {
		{5, 26, "payload.columns is empty"},
		{5, 30, "unknown key \"order\" in payload"},
	};

	(void)state;
	expect_diags(DATA "bad_payload_empty.json", w, sizeof(w) / sizeof(w[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_payload),
		cmocka_unit_test(test_bad_payload),
		cmocka_unit_test(test_bad_payload_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
