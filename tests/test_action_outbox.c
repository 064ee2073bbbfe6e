/* The outbox: triggers written durably, listed, claimed by one worker at
 * a time (another claim is refused until released), replaced, removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outbox.h"

static void test_put_list_claim_remove(void **state)
{
	char dir[] = "/tmp/kpg_outbox_XXXXXX", sub[64];
	outbox *ob = NULL;
	json_t *e = json_pack("{s:s, s:i}", "idempotency_key", "m:1:0", "attempts", 0);
	json_t *tokens = NULL, *got = NULL, *other = NULL;
	int fd = -1, fd2 = -1;
	kpg_err err = {""};

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/outbox", dir);
	assert_int_equal(outbox_open(sub, &ob, &err), 0); /* creates it */
	assert_int_equal(outbox_put(ob, "bbb", e, &err), 0);
	assert_int_equal(outbox_put(ob, "aaa", e, &err), 0);
	assert_int_equal(outbox_put(ob, "../x", e, &err), KPG_EINVAL);
	assert_int_equal(outbox_list(ob, &tokens, &err), 0);
	assert_int_equal(json_array_size(tokens), 2);
	assert_string_equal(json_string_value(json_array_get(tokens, 0)), "aaa");
	assert_string_equal(json_string_value(json_array_get(tokens, 1)), "bbb");
	json_decref(tokens);

	assert_int_equal(outbox_claim(ob, "aaa", &got, &fd, &err), 0);
	assert_true(json_equal(got, e));
	/* a second worker (another open file) is refused while it is held */
	assert_int_equal(outbox_claim(ob, "aaa", &other, &fd2, &err), KPG_EBUSY);
	assert_null(other);
	/* the holder updates it; the lock still holds (it is not the entry's file) */
	json_object_set_new(got, "attempts", json_integer(3));
	assert_int_equal(outbox_put(ob, "aaa", got, &err), 0);
	assert_int_equal(outbox_claim(ob, "aaa", &other, &fd2, &err), KPG_EBUSY);
	outbox_release(fd);
	json_decref(got);
	assert_int_equal(outbox_claim(ob, "aaa", &got, &fd, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(got, "attempts")), 3);
	assert_int_equal(outbox_remove(ob, "aaa", &err), 0);
	outbox_release(fd);
	json_decref(got);
	assert_int_equal(outbox_claim(ob, "aaa", &got, &fd, &err), KPG_ENOTFOUND);
	assert_int_equal(outbox_remove(ob, "aaa", &err), 0); /* already gone: fine */

	/* a torn or foreign file is reported, not trusted */
	{
		char path[128];
		FILE *f;

		snprintf(path, sizeof(path), "%s/ccc.json", sub);
		f = fopen(path, "w");
		fputs("{\"idempotency_key\": ", f);
		fclose(f);
		assert_int_equal(outbox_claim(ob, "ccc", &got, &fd, &err), KPG_EINTEGRITY);
		unlink(path);
		snprintf(path, sizeof(path), "%s/ccc.lock", sub);
		unlink(path);
	}
	assert_int_equal(outbox_remove(ob, "bbb", &err), 0);
	assert_int_equal(outbox_list(ob, &tokens, &err), 0);
	assert_int_equal(json_array_size(tokens), 0);
	json_decref(tokens);
	outbox_close(ob);
	json_decref(e);
	assert_int_equal(rmdir(sub), 0); /* nothing left behind: no temp, no lock */
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_list_claim_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
