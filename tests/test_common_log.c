/* The JSON-lines log: levels, escaping, errno appended and preserved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpg_log.h"

static json_t *read_line(FILE *f)
{
	char buf[4096];
	json_error_t jerr;

	if (fgets(buf, sizeof(buf), f) == NULL)
		return NULL;
	return json_loads(buf, 0, &jerr);
}

static void test_json_lines(void **state)
{
	FILE *f = tmpfile();
	json_t *o;

	(void)state;
	assert_non_null(f);
	log_init(KPG_LOG_INFO, f);
	log_info("hello \"%s\"\n\tnext", "quoted");
	errno = ENOENT;
	log_warn("open %s", "x.json");
	assert_int_equal(errno, ENOENT);
	log_debug("dropped at info level");
	log_errorx("bad");
	rewind(f);
	o = read_line(f);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(o, "msg")),
			    "hello \"quoted\"\n\tnext");
	assert_int_equal(strlen(json_string_value(json_object_get(o, "time"))), 24);
	json_decref(o);
	o = read_line(f);
	assert_string_equal(json_string_value(json_object_get(o, "msg")),
			    "open x.json: No such file or directory");
	json_decref(o);
	o = read_line(f);
	assert_string_equal(json_string_value(json_object_get(o, "level")), "error");
	json_decref(o);
	assert_null(read_line(f));
	assert_int_equal(log_level_from_name("debug"), KPG_LOG_DEBUG);
	assert_int_equal(log_level_from_name("loud"), -1);
	log_init(KPG_LOG_INFO, NULL);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
