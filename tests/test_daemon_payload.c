/* test_daemon_payload.c - a checkpoint's reference fingerprint covers the
 * payload: ignoring a column, moving an ignored column, renaming it, or a
 * payload order that moves the features all change it (the model's
 * checkpoint then resets); the same payload reached by payload.columns or
 * by the CSV's order, and a reference CSV in another column order, do
 * not. */
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

#include "reference.h"
#include "state.h"

/* Fingerprint of the reference text under the given options. */
static void fingerprint(const char *csv, const char *ignored,
			char *const *payload, size_t n_payload,
			unsigned char out[32])
{
	char path[64];
	policy_feature decl[] = {{(char *)ignored, POLICY_FEATURE_IGNORE}};
	reference_options opt = {.label_column = "y", .payload = payload, .n_payload = n_payload};
	reference ref;
	kpg_err err = {""};
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/kpg-fp-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(csv, f);
	fclose(f);
	if (ignored != NULL) {
		opt.declared = decl;
		opt.n_declared = 1;
	}
	if (reference_load(path, &opt, &ref, &err) != 0)
		fail_msg("%s", err.msg);
	unlink(path);
	assert_int_equal(state_reference_fingerprint(&ref, out), 0);
	reference_free(&ref);
}

#define CSV "id,a,b,y\n1,5,red,0\n2,6,blue,1\n"
#define CSV_NO_ID "a,b,y\n5,red,0\n6,blue,1\n"
#define CSV_OTHER_ORDER "y,b,a\n0,red,5\n1,blue,6\n"

static void test_payload_in_the_fingerprint(void **state)
{
	unsigned char plain[32], no_id[32], ign_first[32], ign_listed[32],
		ign_moved[32], ign_renamed[32], other_order[32], swapped[32];
	char *first[] = {"id", "a", "b"}, *moved[] = {"a", "b", "id"},
	     *renamed[] = {"uid", "a", "b"}, *ab[] = {"a", "b"},
	     *ba[] = {"b", "a"};

	(void)state;
	fingerprint(CSV_NO_ID, NULL, NULL, 0, plain);
	fingerprint(CSV, NULL, NULL, 0, no_id); /* id is a feature here */
	fingerprint(CSV, "id", NULL, 0, ign_first);
	fingerprint(CSV_NO_ID, "id", first, 3, ign_listed);
	fingerprint(CSV_NO_ID, "id", moved, 3, ign_moved);
	fingerprint(CSV_NO_ID, "uid", renamed, 3, ign_renamed);
	fingerprint(CSV_OTHER_ORDER, NULL, ab, 2, other_order);
	fingerprint(CSV_NO_ID, NULL, ba, 2, swapped);
	/* the same payload, however it is said: the same fingerprint */
	assert_memory_equal(ign_first, ign_listed, 32);
	assert_memory_equal(plain, other_order, 32);
	/* a different payload: a different fingerprint */
	assert_memory_not_equal(plain, ign_first, 32);
	assert_memory_not_equal(no_id, ign_first, 32);
	assert_memory_not_equal(ign_first, ign_moved, 32);
	assert_memory_not_equal(ign_first, ign_renamed, 32);
	assert_memory_not_equal(plain, swapped, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_in_the_fingerprint),
	};
	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
