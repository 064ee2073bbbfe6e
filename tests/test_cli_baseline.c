/* The bundled example's reference, compiled: the reference read back from
 * the compiled file is the one the example's policy loads from its CSV,
 * field by field (reference_compare.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_columns.h"
#include "example_gen.h"
#include "policy.h"
#include "reference.h"
#include "reference_compare.h"
#include "reference_file.h"

static void test_example_round_trip(void **state)
{
	char dir[64], csv[128], pol[128], out[128], cmd[160];
	policy_diags diags = {0};
	policy *p = NULL;
	reference_options ro;
	reference a, b;
	csv_header h;
	kpg_err err = {""};

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kpg-baseline-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(example_generate(dir, EXAMPLE_DEFAULT_SEED, EXAMPLE_MIN_RECORDS,
					  NULL, &err),
			 0);
	snprintf(csv, sizeof(csv), "%s/train.csv", dir);
	snprintf(pol, sizeof(pol), "%s/policy.json", dir);
	snprintf(out, sizeof(out), "%s/train.kpgref", dir);
	assert_int_equal(policy_load(pol, &p, &diags, &err), 0);
	reference_options_from_policy(p, &ro);
	assert_int_equal(reference_load(csv, &ro, &a, &err), 0);
	assert_int_equal(a.n_rows, EXAMPLE_TRAIN_ROWS);
	assert_int_equal(csv_header_read(csv, &h, &err), 0);
	assert_int_equal(reference_file_sha256(csv, a.source_sha256, &err), 0);
	assert_int_equal(reference_file_write(out, &a, &ro, &h, 0, &err), 0);
	assert_int_equal(reference_load(out, &ro, &b, &err), 0);
	ref_assert_same(&a, &b);
	reference_free(&a);
	reference_free(&b);
	csv_header_free(&h);
	policy_free(p);
	policy_diags_free(&diags);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_round_trip),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
