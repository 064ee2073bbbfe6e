/* Training references: CSV parsing, type inference and declarations,
 * label and excluded columns, categories, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <ctype.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_reader.h"
#include "reference.h"

static char *write_tmp(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/kpg-ref-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_infers_types_and_skips_label(void **state)
{
	reference ref;
	reference_options opt = {0};
	kpg_err err = {""};
	char *p = write_tmp("age,plan,\"note, quoted\",churn\n"
			    "30,gold,\"a \"\"b\"\"\",1\n"
			    "41,silver,x,0\n"
			    ",gold,y,0\r\n"
			    "\n"
			    "25, gold ,z,1\n");

	(void)state;
	opt.label_column = "churn";
	assert_int_equal(reference_load(p, &opt, &ref, &err), 0);
	assert_int_equal(ref.n_rows, 4);
	assert_int_equal(ref.n_features, 3);
	assert_int_equal(ref.label_index, 3);
	assert_string_equal(ref.features[0].name, "age");
	assert_int_equal(ref.features[0].type, POLICY_FEATURE_NUMERIC);
	assert_int_equal(ref.features[0].n, 3);
	assert_int_equal(ref.features[0].missing, 1);
	assert_true(ref.features[0].sorted[0] == 25 && ref.features[0].sorted[2] == 41);
	assert_int_equal(ref.features[1].type, POLICY_FEATURE_CATEGORICAL);
	assert_int_equal(ref.features[1].n_categories, 2); /* " gold " trims to gold */
	assert_int_equal(reference_category_code(&ref.features[1], "silver", 6), 1);
	assert_int_equal(reference_category_code(&ref.features[1], "bronze", 6), 2);
	assert_true(ref.features[1].category_counts[0] == 3);
	assert_string_equal(ref.features[2].name, "note, quoted");
	assert_string_equal(ref.features[2].category_names[0], "a \"b\"");
	reference_free(&ref);
	unlink(p);
}

static void test_declared_types_and_exclusions(void **state)
{
	reference ref;
	reference_options opt = {0};
	policy_feature decl[] = {{"zip", POLICY_FEATURE_CATEGORICAL}};
	char *excl[] = {"id"};
	kpg_err err = {""};
	char *p = write_tmp("id,zip,score\n1,10115,0.5\n2,10117,0.7\n3,10115,0.1\n");

	(void)state;
	opt.declared = decl;
	opt.n_declared = 1;
	opt.exclude = excl;
	opt.n_exclude = 1;
	assert_int_equal(reference_load(p, &opt, &ref, &err), 0);
	assert_int_equal(ref.n_features, 2);
	assert_int_equal(ref.features[0].type, POLICY_FEATURE_CATEGORICAL);
	assert_false(ref.features[0].inferred);
	assert_int_equal(ref.features[0].n_categories, 2);
	assert_int_equal(ref.features[1].type, POLICY_FEATURE_NUMERIC);
	assert_true(ref.features[1].inferred);
	assert_true(ref.features[1].psi.n_bins >= 2);
	reference_free(&ref);
	unlink(p);
}

static void test_errors_name_the_problem(void **state)
{
	reference ref;
	reference_options opt = {0};
	policy_feature decl[] = {{"plan", POLICY_FEATURE_NUMERIC}};
	kpg_err err = {""};
	char *p = write_tmp("a,plan\n1,gold\n2,silver\n");

	(void)state;
	opt.label_column = "churn";
	assert_int_not_equal(reference_load(p, &opt, &ref, &err), 0);
	assert_non_null(strstr(err.msg, "label column 'churn'"));
	opt.label_column = NULL;
	opt.declared = decl;
	opt.n_declared = 1;
	assert_int_not_equal(reference_load(p, &opt, &ref, &err), 0);
	assert_non_null(strstr(err.msg, "declared numeric"));
	unlink(p);
	p = write_tmp("a,b\n1,2\n3\n");
	assert_int_not_equal(reference_load(p, &(reference_options){0}, &ref, &err), 0);
	assert_non_null(strstr(err.msg, ":3: 1 fields"));
	unlink(p);
	p = write_tmp("a,b\n\"1,2\n");
	assert_int_not_equal(reference_load(p, &(reference_options){0}, &ref, &err), 0);
	assert_non_null(strstr(err.msg, "unterminated"));
	unlink(p);
	assert_int_not_equal(reference_load("/nonexistent/x.csv", &(reference_options){0}, &ref, &err), 0);
	assert_non_null(strstr(err.msg, "cannot open"));
}

static void test_missing_markers(void **state)
{
	double v;

	(void)state;
	assert_true(csv_is_missing(""));
	assert_true(csv_is_missing("  NA "));
	assert_true(csv_is_missing("nan"));
	assert_false(csv_is_missing("0"));
	assert_int_equal(csv_parse_number(" 1.5e3 ", &v), 0);
	assert_true(v == 1500);
	assert_int_equal(csv_parse_number("1.5x", &v), -1);
}

/* csv_parse_number reads decimals with the decoders' fast_float rule and
 * the rest with strtod: every double is strtod's, bit for bit, on random
 * decimals of every shape (17 significant digits, exponents, signs,
 * blanks), and hex, "nan(...)", overflow and garbage behave as before. */
static void test_numbers_are_strtods(void **state)
{
	static const char *const odd[] = {"0x1p-3", " 0X1.8P+1 ", "nan(123)", "+inf",
					  "-Infinity", "1e400", "-1e-400", "4.9e-324",
					  "+.5", "5.", "-0", "  +7  ", "1,5", "--1", "+-1",
					  "0x", "e5", "."};
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	char cell[64];
	(void)state;

	for (int i = 0; i < 200000; i++) {
		double want, got = 0, d;
		int rc;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(&d, &x, sizeof(d));
		if (!isfinite(d))
			continue;
		snprintf(cell, sizeof(cell), i % 3 == 0 ? "%.17g" : (i % 3 == 1 ? " %.6f " : "%+.3e"),
			 i % 5 == 0 ? d : fmod(d, 1e6));
		want = strtod(cell, NULL);
		rc = csv_parse_number(cell, &got);
		assert_int_equal(rc, 0);
		assert_memory_equal(&got, &want, sizeof(double));
	}
	for (size_t i = 0; i < sizeof(odd) / sizeof(*odd); i++) {
		char *end;
		const char *p = odd[i];
		double want, got = 0;
		int ok;

		while (isspace((unsigned char)*p))
			p++;
		want = strtod(p, &end);
		while (isspace((unsigned char)*end))
			end++;
		ok = end != p && *end == '\0';
		assert_int_equal(csv_parse_number(odd[i], &got), ok ? 0 : -1);
		if (ok && !isnan(want))
			assert_memory_equal(&got, &want, sizeof(double));
		if (ok && isnan(want))
			assert_true(isnan(got));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_infers_types_and_skips_label),
		cmocka_unit_test(test_declared_types_and_exclusions),
		cmocka_unit_test(test_errors_name_the_problem),
		cmocka_unit_test(test_missing_markers),
		cmocka_unit_test(test_numbers_are_strtods),
	};
	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
