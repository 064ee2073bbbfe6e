/* test_common_jsonv.c - the table-driven validator on a small table of its
 * own: defaults and scaled storage, every error at its line:column (a
 * missing key at its object's brace), unknown keys and enum values with
 * "did you mean", the error cap, environment overrides naming their
 * variable, and the table as JSON and Markdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kpg_jsonv.h"

typedef struct thing {
	char *name;
	int64_t span_ms;
	unsigned n;
	double ratio;
	int flag;
	int mode;
	char *path;
} thing;

static const char *const modes[] = {"fast", "slow", NULL};

/* One row per key, laid out by hand */
/* clang-format off */
static const kpg_jsonv_key keys[] = {
	{.path = "name", .type = KPG_JSONV_STRING, .flags = KPG_JSONV_REQUIRED,
	 .max_len = 8, .store = KPG_JSONV_STR, .offset = offsetof(thing, name),
	 .doc = "A name."},
	{.path = "opts", .type = KPG_JSONV_OBJECT, .doc = "Options."},
	{.path = "opts.span_seconds", .type = KPG_JSONV_INT, .min = 1,
	 .max = 100, .def = "5", .store = KPG_JSONV_I64,
	 .offset = offsetof(thing, span_ms), .scale = 1000, .doc = "A span."},
	{.path = "opts.n", .type = KPG_JSONV_INT, .min = 0, .max = 10,
	 .def = "3", .store = KPG_JSONV_UINT, .offset = offsetof(thing, n),
	 .doc = "A count."},
	{.path = "opts.ratio", .type = KPG_JSONV_NUMBER,
	 .flags = KPG_JSONV_MIN_OPEN, .min = 0, .max = 1, .def = "0.5",
	 .store = KPG_JSONV_DOUBLE, .offset = offsetof(thing, ratio),
	 .doc = "A ratio."},
	{.path = "opts.flag", .type = KPG_JSONV_BOOL, .def = "true",
	 .store = KPG_JSONV_FLAG, .offset = offsetof(thing, flag),
	 .doc = "A flag."},
	{.path = "opts.mode", .type = KPG_JSONV_STRING, .max_len = 8,
	 .choices = modes, .def = "\"fast\"", .store = KPG_JSONV_CHOICE,
	 .offset = offsetof(thing, mode), .doc = "A mode."},
	{.path = "path", .type = KPG_JSONV_STRING, .flags = KPG_JSONV_NULLABLE,
	 .max_len = 64, .store = KPG_JSONV_PATH, .offset = offsetof(thing, path),
	 .doc = "A file."},
	{.path = "list", .type = KPG_JSONV_ARRAY, .max_len = 2, .doc = "A list."},
	{.path = "list[]", .type = KPG_JSONV_OBJECT, .doc = "An entry."},
	{.path = "list[].x", .type = KPG_JSONV_INT, .min = 0, .max = 9,
	 .doc = "A digit."},
};
/* clang-format on */
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

typedef struct run {
	kpg_diags d;
	thing t;
	kpg_err err;
	int rc;
} run;

/* Validates text as the file /etc/x/t.json with prefix (or no
 * environment) and at most max_diags diagnostics kept. */
static void validate(run *r, const char *text, const char *prefix,
		     size_t max_diags)
{
	json_locate *loc = NULL;
	json_t *root;
	kpg_jsonv v;

	memset(r, 0, sizeof(*r));
	kpg_jsonv_init(&v, keys, N_KEYS, "the thing", &r->d);
	v.base = &r->t;
	v.dir = "/etc/x";
	v.env_prefix = prefix;
	if (max_diags)
		v.max_diags = max_diags;
	assert_int_equal(kpg_jsonv_defaults(&v), 0);
	root = json_loads(text, 0, NULL);
	assert_non_null(root);
	assert_int_equal(json_locate_build(text, strlen(text), &loc, &r->err), 0);
	v.loc = loc;
	kpg_jsonv_walk(&v, root);
	r->rc = kpg_jsonv_finish(&v, "t.json", &r->err);
	json_locate_free(loc);
	json_decref(root);
}

static void run_free(run *r)
{
	kpg_diags_free(&r->d);
	free(r->t.name);
	free(r->t.path);
}

static void expect(const run *r, size_t i, int line, int column,
		   const char *origin, const char *msg)
{
	assert_true(i < r->d.n);
	print_message("  %d:%d [%s] %s\n", r->d.items[i].line,
		      r->d.items[i].column, r->d.items[i].origin,
		      r->d.items[i].message);
	assert_int_equal(r->d.items[i].line, line);
	assert_int_equal(r->d.items[i].column, column);
	assert_string_equal(r->d.items[i].origin, origin);
	assert_string_equal(r->d.items[i].message, msg);
}

static void test_defaults_and_values(void **state)
{
	run r;

	(void)state;
	validate(&r, "{\"name\": \"a\"}", NULL, 0);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.name, "a");
	assert_int_equal(r.t.span_ms, 5000);
	assert_int_equal(r.t.n, 3);
	assert_true(r.t.ratio == 0.5);
	assert_int_equal(r.t.flag, 1);
	assert_int_equal(r.t.mode, 0);
	assert_null(r.t.path);
	run_free(&r);

	validate(&r, "{\"name\": \"b\", \"path\": \"f.csv\", \"opts\": {"
		     "\"span_seconds\": 1e2, \"n\": 0, \"ratio\": 1, \"flag\": false,"
		     " \"mode\": \"slow\"}}",
		 NULL, 0);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.path, "/etc/x/f.csv");
	assert_int_equal(r.t.span_ms, 100000);
	assert_int_equal(r.t.n, 0);
	assert_true(r.t.ratio == 1);
	assert_int_equal(r.t.flag, 0);
	assert_int_equal(r.t.mode, 1);
	run_free(&r);
}

static void test_errors(void **state)
{
	run r;

	(void)state;
	validate(&r,
		 "{\"nmae\": 1,\n"
		 " \"opts\": {\"n\": 11, \"ratio\": 0, \"mode\": \"slwo\",\n"
		 "   \"span_seconds\": 2.5, \"flag\": \"yes\"},\n"
		 " \"path\": null, \"list\": []}",
		 NULL, 0);
	assert_int_equal(r.rc, KPG_EINVAL);
	assert_string_equal(r.err.msg, "t.json: 7 errors");
	assert_int_equal(r.d.n, 7);
	/* sorted by position; the missing key at the root's brace */
	expect(&r, 0, 1, 1, "", "missing required key \"name\"");
	expect(&r, 1, 1, 2, "", "unknown key \"nmae\" in the thing; did you mean \"name\"?");
	expect(&r, 2, 2, 16, "", "opts.n must be an integer from 0 to 10, got 11");
	expect(&r, 3, 2, 29, "", "opts.ratio must be in (0, 1], got 0");
	expect(&r, 4, 2, 40, "", "opts.mode \"slwo\" is not fast or slow; did you mean \"slow\"?");
	expect(&r, 5, 3, 20, "", "opts.span_seconds must be a whole number, got 2.5");
	expect(&r, 6, 3, 33, "", "opts.flag must be true or false, got a string");
	run_free(&r);

	validate(&r, "{\"name\": \"a\", \"opts\": 3}", NULL, 0);
	expect(&r, 0, 1, 23, "", "opts must be an object, got an integer");
	run_free(&r);
}

static void test_cap(void **state)
{
	run r;

	(void)state;
	validate(&r, "{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5}", NULL, 3);
	/* 5 unknown keys + the missing name; 3 kept, the last says the rest */
	assert_string_equal(r.err.msg, "t.json: 6 errors");
	assert_int_equal(r.d.n, 3);
	assert_string_equal(r.d.items[2].message, "... and 4 more errors");
	assert_int_equal(r.d.items[2].line, 0);
	run_free(&r);
}

static void test_environment(void **state)
{
	run r;

	(void)state;
	setenv("TJV_NAME", "env", 1);
	setenv("TJV_OPTS_N", "7", 1);
	setenv("TJV_PATH", "rel.csv", 1);
	validate(&r, "{\"opts\": {\"n\": 2}}", "TJV_", 0);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.name, "env");
	assert_int_equal(r.t.n, 7);
	/* environment paths are the working directory's */
	assert_string_equal(r.t.path, "rel.csv");
	run_free(&r);

	unsetenv("TJV_NAME");
	setenv("TJV_OPTS_N", "x", 1);
	setenv("TJV_OPTS_MODE", "", 1);
	validate(&r, "{\"opts\": {}}", "TJV_", 0);
	assert_int_equal(r.d.n, 3);
	expect(&r, 0, 1, 1, "", "missing required key \"name\" (or set TJV_NAME)");
	expect(&r, 1, 0, 0, "TJV_OPTS_MODE",
	       "opts.mode is set but empty; unset it to keep the file's value");
	expect(&r, 2, 0, 0, "TJV_OPTS_N", "opts.n must be an integer, got \"x\"");
	run_free(&r);
	unsetenv("TJV_OPTS_N");
	unsetenv("TJV_OPTS_MODE");
	unsetenv("TJV_PATH");
}

static void test_docs(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_t *doc = kpg_jsonv_doc_json(keys, N_KEYS, "TJV_"), *ratio;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(json_array_size(doc), N_KEYS);
	ratio = json_array_get(doc, 4);
	assert_string_equal(json_string_value(json_object_get(ratio, "path")),
			    "opts.ratio");
	assert_true(json_is_true(json_object_get(ratio, "exclusiveMinimum")));
	assert_true(json_is_false(json_object_get(ratio, "exclusiveMaximum")));
	assert_true(json_number_value(json_object_get(ratio, "default")) == 0.5);
	assert_string_equal(json_string_value(json_object_get(ratio, "env")),
			    "TJV_OPTS_RATIO");
	/* no variable inside an array */
	assert_null(json_object_get(json_array_get(doc, 10), "env"));
	json_decref(doc);

	assert_non_null(f);
	kpg_jsonv_doc_markdown(f, keys, N_KEYS, NULL);
	fclose(f);
	assert_non_null(strstr(text, "| `opts.ratio` | number | `0.5` | (0, 1] | A ratio. |\n"));
	assert_non_null(strstr(text, "| `name` | string | **required** | 1–8 bytes | A name. |\n"));
	assert_non_null(strstr(text, "| `opts.mode` | string | `\"fast\"` | `fast`, `slow` |"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_docs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
