/* The payload's columns: ignored columns stay in the payload in their
 * place but out of every statistic; payload.columns maps a payload in
 * another order (and columns the reference never had) onto the reference's
 * features; every mapping error names its policy key and a near name; the
 * window checks and adds by the map; a hot reload that changes the ignored
 * columns or the order does not keep the open window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"
#include "reference.h"
#include "window.h"

static char path[64];

static void write_ref(const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/kpg-payload-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

/* colour,a,y: a = 10 + row, colour alternates, y the label */
static const char *const REF3 = "colour,a,y\nred,10,1\nblue,11,0\nred,12,1\nblue,13,0\n";

static void test_ignored_in_place_without_payload_columns(void **state)
{
	policy_feature decl[] = {{"id", POLICY_FEATURE_IGNORE}};
	reference_options opt = {.label_column = "y", .declared = decl, .n_declared = 1};
	reference ref;
	kpg_err err = {""};

	(void)state;
	write_ref("id,a,colour,y\n1,5,red,0\n2,6,blue,1\n");
	assert_int_equal(reference_load(path, &opt, &ref, &err), 0);
	assert_int_equal(ref.n_features, 2);
	assert_string_equal(ref.features[0].name, "a");
	assert_string_equal(ref.features[1].name, "colour");
	assert_int_equal(ref.n_payload, 3);
	assert_int_equal(ref.n_ignored, 1);
	assert_string_equal(ref.payload_names[0], "id");
	assert_int_equal(ref.payload_feature[0], REFERENCE_IGNORED);
	assert_int_equal(ref.payload_feature[1], 0);
	assert_int_equal(ref.payload_feature[2], 1);
	/* the ignored column's values are not read as a feature */
	assert_true(ref.features[0].n == 2 && ref.features[0].sorted[0] == 5);
	reference_free(&ref);
	unlink(path);
}

static void test_payload_columns_reorder_and_add(void **state)
{
	policy_feature decl[] = {{"uid", POLICY_FEATURE_IGNORE}};
	char *cols[] = {"a", "uid", "colour"};
	char key[REFERENCE_ERR_KEY_LEN] = "stale";
	reference_options opt = {.label_column = "y", .declared = decl, .n_declared = 1, .payload = cols, .n_payload = 3, .err_key = key};
	reference ref;
	kpg_err err = {""};

	(void)state;
	write_ref(REF3);
	assert_int_equal(reference_load(path, &opt, &ref, &err), 0);
	assert_string_equal(key, "");
	/* features in payload order, with their own column's values */
	assert_int_equal(ref.n_features, 2);
	assert_string_equal(ref.features[0].name, "a");
	assert_int_equal(ref.features[0].type, POLICY_FEATURE_NUMERIC);
	assert_true(ref.features[0].sorted[0] == 10 && ref.features[0].sorted[3] == 13);
	assert_string_equal(ref.features[1].name, "colour");
	assert_int_equal(ref.features[1].type, POLICY_FEATURE_CATEGORICAL);
	assert_int_equal(ref.features[1].n_categories, 2);
	assert_int_equal(ref.n_payload, 3);
	assert_int_equal(ref.n_ignored, 1);
	assert_int_equal(ref.payload_feature[0], 0);
	assert_int_equal(ref.payload_feature[1], REFERENCE_IGNORED);
	assert_int_equal(ref.payload_feature[2], 1);
	assert_string_equal(ref.payload_names[1], "uid");
	reference_free(&ref);
	unlink(path);
}

/* Each error: the key it names and a phrase of its message. */
static void expect_error(const reference_options *opt, const char *want_key,
			 const char *substr)
{
	reference ref;
	kpg_err err = {""};

	write_ref(REF3);
	assert_int_equal(reference_load(path, opt, &ref, &err), KPG_EINVAL);
	print_message("  %s: %s\n", opt->err_key, err.msg);
	assert_string_equal(opt->err_key, want_key);
	assert_non_null(strstr(err.msg, substr));
	unlink(path);
}

static void test_mapping_errors(void **state)
{
	char key[REFERENCE_ERR_KEY_LEN];
	policy_feature ign[] = {{"uid", POLICY_FEATURE_IGNORE}};
	policy_feature typo[] = {{"colr", POLICY_FEATURE_IGNORE}};
	policy_feature decl[] = {{"colur", POLICY_FEATURE_CATEGORICAL}};
	char *missing[] = {"a", "colr"};
	char *unknown[] = {"a", "colr", "colour"};
	char *twice[] = {"a", "colour", "a"};
	char *label[] = {"a", "colour", "y"};
	reference_options o = {.label_column = "y", .err_key = key};

	(void)state;
	/* a feature missing from the list, the near name the list has */
	o.declared = typo, o.n_declared = 1, o.payload = missing, o.n_payload = 2;
	expect_error(&o, "payload.columns", "does not list \"colour\", a feature of the reference; list every payload column, or exclude it with reference.exclude_columns when the payload does not carry it (did you mean \"colr\"?)");
	/* a name that is neither a feature nor ignored */
	o.declared = NULL, o.n_declared = 0, o.payload = unknown, o.n_payload = 3;
	expect_error(&o, "payload.columns[1]", "\"colr\" is not a feature column of the reference and not declared \"ignore\" in features (did you mean \"colour\"?)");
	o.payload = twice;
	expect_error(&o, "payload.columns[2]", "\"a\" is listed twice");
	o.payload = label;
	expect_error(&o, "payload.columns[2]", "\"y\" is the label or an excluded column, which the payload does not carry");
	/* without payload.columns an ignored column must be in the CSV */
	o.payload = NULL, o.n_payload = 0, o.declared = ign, o.n_declared = 1;
	expect_error(&o, "features.uid", "feature \"uid\" is \"ignore\" but not a column of the reference");
	/* a declared type for no column: its key, and the near column */
	o.declared = decl;
	expect_error(&o, "features.colur", "declared feature 'colur' is not a column of the reference (did you mean \"colour\"?)");
	/* the label that is not there: its key */
	o.declared = NULL, o.n_declared = 0, o.label_column = "churn";
	expect_error(&o, "reference.label_column", "label column 'churn'");
}

/* A hand-made decoded record of one instance. */
typedef struct rec_builder {
	capture_value v[8];
	size_t off[2];
	capture_record r;
	char text[64];
} rec_builder;

static capture_record *record(rec_builder *b, size_t n, const capture_value *vals,
			      const char *text)
{
	memset(b, 0, sizeof(*b));
	memcpy(b->v, vals, n * sizeof(*vals));
	b->off[1] = n;
	snprintf(b->text, sizeof(b->text), "%s", text);
	b->r.n_instances = 1;
	b->r.instance_off = b->off;
	b->r.values = b->v;
	b->r.text = b->text;
	return &b->r;
}

#define NUM(x) \
	{ \
		(x), 0, 0, CAPTURE_VALUE_NUMBER \
	}
#define STR(off, len) \
	{ \
		0, (off), (len), CAPTURE_VALUE_STRING \
	}

static void test_window_by_the_map(void **state)
{
	policy_feature decl[] = {{"uid", POLICY_FEATURE_IGNORE}};
	char *cols[] = {"a", "uid", "colour"};
	reference_options opt = {.label_column = "y", .declared = decl, .n_declared = 1, .payload = cols, .n_payload = 3};
	reference ref;
	window w;
	rec_builder b;
	kpg_err err = {""};
	/* text "u-1" and a NaN in the ignored column are fine */
	const capture_value ok[] = {NUM(12), STR(0, 3), STR(4, 4)};
	const capture_value nan_[] = {NUM(11), NUM(NAN), STR(4, 4)};
	const capture_value bad[] = {STR(9, 3), NUM(1), STR(4, 4)};
	const capture_value nofe[] = {NUM(12), STR(4, 4)};
	const capture_value fin[] = {NUM(INFINITY), NUM(1), STR(4, 4)};

	(void)state;
	write_ref(REF3);
	assert_int_equal(reference_load(path, &opt, &ref, &err), 0);
	unlink(path);
	assert_int_equal(window_init(&w, &ref, POLICY_TASK_BINARY, 0.5, 0, 0, &err), 0);
	assert_int_equal(window_check_record(&w, record(&b, 3, ok, "u-1 blue abc"), &err),
			 CAPTURE_OK);
	assert_int_equal(window_check_record(&w, record(&b, 3, nan_, "u-1 blue"), &err),
			 CAPTURE_OK);
	assert_int_equal(window_check_record(&w, record(&b, 3, bad, "u-1 blue abc"), &err),
			 CAPTURE_REJECT_BAD_VALUE);
	assert_non_null(strstr(err.msg, "column 1 (a): text 'abc'"));
	assert_int_equal(window_check_record(&w, record(&b, 3, fin, "u-1 blue"), &err),
			 CAPTURE_REJECT_BAD_VALUE);
	assert_non_null(strstr(err.msg, "column 1 (a): non-finite"));
	/* the record the reference alone would expect: a value short */
	assert_int_equal(window_check_record(&w, record(&b, 2, nofe, "u-1 blue"), &err),
			 CAPTURE_REJECT_FEATURE_COUNT);
	assert_non_null(strstr(err.msg, "2 values, the payload has 3 columns (2 features, 1 ignored)"));
	/* values land in their features' columns; the ignored one nowhere */
	assert_int_equal(window_add_record(&w, record(&b, 3, ok, "u-1 blue abc"), 1000, &err), 0);
	assert_int_equal(window_add_record(&w, record(&b, 3, nan_, "u-1 blue"), 2000, &err), 0);
	assert_int_equal(w.n_records, 2);
	assert_int_equal(w.cols[0].n, 2);
	assert_true(w.cols[0].values[0] == 12 && w.cols[0].values[1] == 11);
	assert_int_equal(w.cols[0].missing, 0);
	assert_true(w.cols[1].counts[reference_category_code(&ref.features[1], "blue", 4)] == 2);
	assert_true(w.cols[1].counts[ref.features[1].n_categories] == 0);
	window_free(&w);
	reference_free(&ref);
}

static policy *load_policy(const char *features, const char *payload)
{
	char text[1024];
	policy_diags d = {0};
	policy *p = NULL;
	kpg_err err = {""};

	snprintf(text, sizeof(text),
		 "{\"model\": \"m\", \"reference\": {\"path\": \"train.csv\", \"label_column\": \"y\"},"
		 " \"features\": {%s}, %s \"window\": {\"records\": 100},"
		 " \"kpis\": [{\"metric\": \"auc\", \"min\": 0.7}], \"action\": {\"type\": \"dry_run\"},"
		 " \"energy\": {\"instance_type\": \"ml.m5.large\", \"instance_count\": 1,"
		 " \"expected_hours\": 1, \"region\": \"us-east-1\"}}",
		 features, payload);
	if (policy_load_buffer("/tmp/p.json", text, strlen(text), &p, &d, &err) != 0)
		for (size_t i = 0; i < d.n; i++)
			print_message("%d:%d: %s\n", d.items[i].line, d.items[i].column,
				      d.items[i].message);
	assert_non_null(p);
	policy_diags_free(&d);
	return p;
}

static void test_reload_keeps_window_only_for_the_same_payload(void **state)
{
	const char *pay = "\"payload\": {\"columns\": [\"a\", \"uid\", \"colour\"]},";
	policy *base = load_policy("\"uid\": \"ignore\"", pay);
	policy *same = load_policy("\"uid\": \"ignore\"", pay);
	policy *order = load_policy("\"uid\": \"ignore\"",
				    "\"payload\": {\"columns\": [\"uid\", \"a\", \"colour\"]},");
	policy *no_ignore = load_policy("\"uid\": \"categorical\"", pay);
	policy *no_payload = load_policy("\"colour\": \"ignore\"", "");
	policy *plain = load_policy("\"colour\": \"categorical\"", "");

	(void)state;
	assert_int_equal(base->n_payload_columns, 3);
	assert_string_equal(base->payload_columns[1], "uid");
	assert_int_equal(base->features[0].type, POLICY_FEATURE_IGNORE);
	assert_true(pipeline_policy_keeps_window(base, same));
	assert_false(pipeline_policy_keeps_window(base, order));
	assert_false(pipeline_policy_keeps_window(base, no_ignore));
	assert_false(pipeline_policy_keeps_window(no_payload, plain));
	assert_false(pipeline_policy_keeps_window(plain, no_payload));
	assert_true(pipeline_policy_keeps_window(plain, plain));
	policy_free(base);
	policy_free(same);
	policy_free(order);
	policy_free(no_ignore);
	policy_free(no_payload);
	policy_free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ignored_in_place_without_payload_columns),
		cmocka_unit_test(test_payload_columns_reorder_and_add),
		cmocka_unit_test(test_mapping_errors),
		cmocka_unit_test(test_window_by_the_map),
		cmocka_unit_test(test_reload_keeps_window_only_for_the_same_payload),
	};
	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
