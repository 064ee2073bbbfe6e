/* A CSV file's header row and the columns missing from it: what `compare`
 * and the policies' reference check name, with "did you mean". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_columns.h"

static char *write_tmp(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/kpg-cols-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_reads_the_header_row_only(void **state)
{
	csv_header h;
	kpg_err err = {""};
	char *p = write_tmp("customer_id,\"plan, tier\",tenure\n1,gold,3\n2,\"x\n");

	(void)state;
	/* the second row's open quote is never read */
	assert_int_equal(csv_header_read(p, &h, &err), 0);
	assert_int_equal(h.n, 3);
	assert_string_equal(h.names[1], "plan, tier");
	assert_int_equal(csv_header_find(&h, "tenure"), 2);
	assert_int_equal(csv_header_find(&h, "Tenure"), -1);
	csv_header_free(&h);
	assert_null(h.names);
	unlink(p);
}

static void test_unreadable_and_empty_files(void **state)
{
	csv_header h;
	kpg_err err = {""};
	char *p;

	(void)state;
	assert_int_equal(csv_header_read("/nonexistent/kpg/train.csv", &h, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent/kpg/train.csv: cannot open"));
	assert_int_equal(h.n, 0);
	p = write_tmp("\n\n");
	assert_int_equal(csv_header_read(p, &h, &err), KPG_EPARSE);
	assert_non_null(strstr(err.msg, "empty file, expected a header row"));
	unlink(p);
}

static void test_every_missing_column_named(void **state)
{
	char *names[] = {"customer_id", "state", "tenure", "churn"};
	csv_header h = {.names = names, .n = 4};
	const char *want[] = {"stat", "tenure", "plan", "custmer_id"};
	char buf[256] = "";

	(void)state;
	assert_int_equal(csv_header_list_missing(&h, want, 4, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "'stat' (did you mean 'state'?), 'plan', "
				 "'custmer_id' (did you mean 'customer_id'?)");
	/* appends after what is there */
	snprintf(buf, sizeof(buf), "x");
	assert_int_equal(csv_header_list_missing(&h, want, 1, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "x, 'stat' (did you mean 'state'?)");
	/* none missing: buf untouched */
	buf[0] = '\0';
	assert_int_equal(csv_header_list_missing(&h, &want[1], 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void test_a_small_buffer_is_cut_not_overrun(void **state)
{
	char *names[] = {"a"};
	csv_header h = {.names = names, .n = 1};
	const char *want[] = {"long_column_name_one", "long_column_name_two",
			      "long_column_name_three"};
	char buf[32 + 8];

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	buf[0] = '\0';
	assert_int_equal(csv_header_list_missing(&h, want, 3, buf, 32), 3);
	assert_int_equal(strlen(buf), 31);
	for (size_t i = 32; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_the_header_row_only),
		cmocka_unit_test(test_unreadable_and_empty_files),
		cmocka_unit_test(test_every_missing_column_named),
		cmocka_unit_test(test_a_small_buffer_is_cut_not_overrun),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
