/* A policy's reference checked before anything runs on it (`policy check`,
 * `run --check`): every column the policy names, each at its own
 * FILE:LINE:COLUMN with the nearest column, then the pipeline's loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "policy_refcheck.h"

#define TRAIN "id,customer_id,state,tenure,churn\n1,a,NY,3,0\n2,b,CA,5,1\n"

/* line 3: reference; 4: exclude_columns; 5: features */
#define POLICY_FMT \
	"{\n" \
	"  \"model\": \"m\",\n" \
	"  \"reference\": {\"path\": \"%s\", \"label_column\": \"%s\",\n" \
	"                \"exclude_columns\": [\"id\", \"%s\"]},\n" \
	"  \"features\": {\"%s\": \"categorical\", \"tenure\": \"numeric\"},\n" \
	"  \"window\": {\"records\": 1000},\n" \
	"  \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.9}],\n" \
	"  \"action\": {\"type\": \"dry_run\"},\n" \
	"  \"energy\": {\"instance_type\": \"ml.m5.large\", \"instance_count\": 1,\n" \
	"             \"expected_hours\": 0.5, \"region\": \"us-east-1\"}\n" \
	"}\n"

static char dir[64];

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kpg-refcheck-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	write_file("train.csv", TRAIN);
	write_file("text.csv", TRAIN "3,c,NY,unknown,0\n");
	return 0;
}

static int teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/train.csv", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/text.csv", dir);
	unlink(path);
	return rmdir(dir);
}

/* Loads the policy (anchored in dir) and checks its reference; the text
 * for positions when with_text. */
static int check(const char *ref, const char *label, const char *excluded,
		 const char *feature, int with_text, policy_diags *d,
		 kpg_err *err)
{
	char text[2048], path[128];
	policy_diags ld = {0};
	policy *p = NULL;
	int rc;

	snprintf(text, sizeof(text), POLICY_FMT, ref, label, excluded, feature);
	snprintf(path, sizeof(path), "%s/p.json", dir);
	assert_int_equal(policy_load_buffer(path, text, strlen(text), &p, &ld, err), 0);
	policy_diags_free(&ld);
	rc = policy_refcheck(p, with_text ? text : NULL, strlen(text), d, err);
	policy_free(p);
	return rc;
}

static void test_a_good_reference_passes(void **state)
{
	policy_diags d = {0};
	kpg_err err = {""};

	(void)state;
	assert_int_equal(check("train.csv", "churn", "customer_id", "state", 1, &d, &err), 0);
	assert_int_equal(d.n, 0);
	policy_diags_free(&d);
}

static void test_every_missing_column_at_its_key(void **state)
{
	policy_diags d = {0};
	kpg_err err = {""};
	char want[256];

	(void)state;
	assert_int_equal(check("train.csv", "churnn", "custmer_id", "stat", 1, &d, &err),
			 KPG_EINVAL);
	assert_int_equal(d.n, 3);
	assert_string_equal(err.msg, "3 reference errors");
	/* declared features first, then the label, then excluded columns */
	assert_int_equal(d.items[0].line, 5);
	assert_int_equal(d.items[0].column, 16);
	snprintf(want, sizeof(want), "reference: declared feature 'stat' is not a "
				     "column of %s/train.csv; did you mean 'state'?",
		 dir);
	assert_string_equal(d.items[0].message, want);
	assert_int_equal(d.items[1].line, 3);
	assert_int_equal(d.items[1].column, 54);
	assert_non_null(strstr(d.items[1].message, "label column 'churnn' is not a column"));
	assert_non_null(strstr(d.items[1].message, "did you mean 'churn'?"));
	assert_int_equal(d.items[2].line, 4);
	assert_int_equal(d.items[2].column, 43);
	assert_non_null(strstr(d.items[2].message, "excluded column 'custmer_id'"));
	assert_non_null(strstr(d.items[2].message, "did you mean 'customer_id'?"));
	policy_diags_free(&d);
}

static void test_missing_file_and_bad_types(void **state)
{
	policy_diags d = {0};
	kpg_err err = {""};

	(void)state;
	assert_int_equal(check("trian.csv", "churn", "customer_id", "state", 1, &d, &err),
			 KPG_EINVAL);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].line, 3);
	assert_int_equal(d.items[0].column, 25);
	assert_non_null(strstr(d.items[0].message, "trian.csv: cannot open: "));
	policy_diags_free(&d);
	memset(&d, 0, sizeof(d));
	/* the columns are there: the pipeline's loader finds the text, and the
	 * error points at the feature it names */
	assert_int_equal(check("text.csv", "churn", "customer_id", "state", 1, &d, &err),
			 KPG_EINVAL);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].line, 5);
	assert_int_equal(d.items[0].column, 40);
	assert_non_null(strstr(d.items[0].message,
			       "feature 'tenure' is declared numeric but has text values"));
	policy_diags_free(&d);
}

/* The daemon loads the reference itself: the columns check reads no row. */
static void test_columns_only_reads_no_row(void **state)
{
	char text[2048], path[128];
	policy_diags d = {0};
	policy *p = NULL;
	kpg_err err = {""};

	(void)state;
	snprintf(text, sizeof(text), POLICY_FMT, "text.csv", "churn", "customer_id", "state");
	snprintf(path, sizeof(path), "%s/p.json", dir);
	assert_int_equal(policy_load_buffer(path, text, strlen(text), &p, &d, &err), 0);
	assert_int_equal(policy_refcheck_columns(p, text, strlen(text), &d, &err), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(policy_refcheck(p, text, strlen(text), &d, &err), KPG_EINVAL);
	assert_int_equal(d.n, 1);
	policy_diags_free(&d);
	policy_free(p);
}

static void test_without_text_no_positions(void **state)
{
	policy_diags d = {0};
	kpg_err err = {""};

	(void)state;
	assert_int_equal(check("train.csv", "churn", "nope", "state", 0, &d, &err),
			 KPG_EINVAL);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].line, 0);
	assert_int_equal(d.items[0].column, 0);
	assert_non_null(strstr(d.items[0].message, "excluded column 'nope'"));
	assert_null(strstr(d.items[0].message, "did you mean"));
	policy_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_good_reference_passes),
		cmocka_unit_test(test_every_missing_column_at_its_key),
		cmocka_unit_test(test_missing_file_and_bad_types),
		cmocka_unit_test(test_columns_only_reads_no_row),
		cmocka_unit_test(test_without_text_no_positions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
