/* test_policyset_payload.c - a policy whose payload does not fit its
 * reference CSV is refused when the set is loaded (the daemon's start and
 * reloads), and the report names the key's line and column, with the near
 * name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy_reload.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define POLICY_HEAD \
	"{\n" \
	"  \"model\": \"m\",\n" \
	"  \"reference\": {\"path\": \"train.csv\", \"label_column\": \"y\"},\n"
#define POLICY_TAIL \
	"  \"window\": {\"records\": 100},\n" \
	"  \"kpis\": [{\"metric\": \"auc\", \"min\": 0.7}],\n" \
	"  \"action\": {\"type\": \"dry_run\"},\n" \
	"  \"energy\": {\"instance_type\": \"ml.m5.large\", \"instance_count\": 1, \"expected_hours\": 1, \"region\": \"us-east-1\"}\n" \
	"}\n"

/* Loads the one policy; returns what the report says (caller frees). */
static char *load_report(const char *dir, const char *middle, int want_rc)
{
	char pol[128], csv[128], text[2048], *out;
	char *files[1] = {pol};
	policy_set s;
	kpg_err err = {""};
	FILE *rep = tmpfile();
	long n;

	snprintf(pol, sizeof(pol), "%s/policy.json", dir);
	snprintf(csv, sizeof(csv), "%s/train.csv", dir);
	write_file(csv, "colour,temp,y\nred,1.5,0\nblue,2.5,1\n");
	snprintf(text, sizeof(text), POLICY_HEAD "%s" POLICY_TAIL, middle);
	write_file(pol, text);
	assert_non_null(rep);
	assert_int_equal(policy_set_load(&s, files, 1, rep, &err) != 0, want_rc != 0);
	if (want_rc == 0) {
		assert_int_equal(s.n, 1);
		policy_set_free(&s);
	}
	n = ftell(rep);
	out = calloc(1, (size_t)n + 1);
	rewind(rep);
	assert_int_equal(fread(out, 1, (size_t)n, rep), (size_t)n);
	fclose(rep);
	unlink(pol);
	unlink(csv);
	print_message("%s", out);
	return out;
}

static void test_errors_at_their_key(void **state)
{
	char dir[] = "/tmp/kpg-setpay-XXXXXX", *out;

	(void)state;
	assert_non_null(mkdtemp(dir));
	out = load_report(dir,
			  "  \"features\": {\"id\": \"ignore\"},\n"
			  "  \"payload\": {\"columns\": [\"id\", \"tmep\", \"colour\"]},\n",
			  -1);
	/* line 5 holds payload.columns; column 33 its entry [1] */
	assert_non_null(strstr(out, "policy.json:5:33: "));
	assert_non_null(strstr(out, "reference: payload.columns[1]: \"tmep\" is not a feature column of the reference and not declared \"ignore\" in features (did you mean \"temp\"?)"));
	free(out);
	out = load_report(dir, "  \"features\": {\"colour\": \"categorical\", \"id\": \"ignore\"},\n", -1);
	/* at features.id (its key or its value) */
	assert_non_null(strstr(out, "policy.json:4:"));
	assert_non_null(strstr(out, "\"id\" is \"ignore\" but not a column of the reference"));
	free(out);
	out = load_report(dir,
			  "  \"features\": {\"id\": \"ignore\"},\n"
			  "  \"payload\": {\"columns\": [\"temp\", \"id\", \"colour\"]},\n",
			  0);
	assert_string_equal(out, "");
	free(out);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_at_their_key),
	};
	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
