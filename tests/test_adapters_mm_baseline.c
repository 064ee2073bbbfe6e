/* test_adapters_mm_baseline.c - Model Monitor statistics.json and
 * constraints.json parsers.
 *
 * The real files (../shared/data/sagemaker; skipped when absent, see
 * tests/skips.allow): each is parsed, the struct is written out as JSON
 * and tests/lib/mm_baseline_ref.py compares every field with what
 * Python's json module reads from the original. A few values are also
 * asserted here as read by eye. Then bad input, declaratively: each case
 * a text, the code and a part of the message (file:line:column, the
 * feature and the key), never a crash. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "mm_constraints.h"
#include "mm_statistics.h"

#define SM_DIR KPG_SHARED_DIR "/data/sagemaker"
#define PYTHON "/usr/bin/python3"
#define SCRIPT KPG_TEST_DATA_DIR "/../lib/mm_baseline_ref.py"

static void need(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		skip();
}

static json_t *num_or_null(double x)
{
	return isnan(x) ? json_null() : json_real(x);
}

static json_t *dump_statistics(const mm_statistics *s)
{
	json_t *root = json_object(), *feats = json_array();

	json_object_set_new(root, "version", json_real(s->version));
	json_object_set_new(root, "item_count", json_integer((json_int_t)s->item_count));
	for (size_t i = 0; i < s->n_features; i++) {
		const mm_feature_stats *f = &s->features[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(f->name));
		json_object_set_new(o, "type", json_integer(f->type));
		json_object_set_new(o, "num_present", json_integer((json_int_t)f->num_present));
		json_object_set_new(o, "num_missing", json_integer((json_int_t)f->num_missing));
		json_object_set_new(o, "has_numeric", json_integer(f->has_numeric));
		json_object_set_new(o, "has_string", json_integer(f->has_string));
		if (f->has_numeric) {
			json_t *b = json_array(), *lv = json_array();

			json_object_set_new(o, "mean", num_or_null(f->num.mean));
			json_object_set_new(o, "sum", num_or_null(f->num.sum));
			json_object_set_new(o, "std_dev", num_or_null(f->num.std_dev));
			json_object_set_new(o, "min", num_or_null(f->num.min));
			json_object_set_new(o, "max", num_or_null(f->num.max));
			for (size_t j = 0; j < f->num.n_buckets; j++)
				json_array_append_new(b, json_pack("[fff]", f->num.buckets[j].lower,
								   f->num.buckets[j].upper,
								   f->num.buckets[j].count));
			json_object_set_new(o, "buckets", b);
			json_object_set_new(o, "c", json_real(f->num.sketch_c));
			json_object_set_new(o, "k", json_real(f->num.sketch_k));
			for (size_t h = 0; h < f->num.n_levels; h++) {
				json_t *l = json_array();

				for (size_t j = 0; j < f->num.level_len[h]; j++)
					json_array_append_new(l, json_real(f->num.levels[h][j]));
				json_array_append_new(lv, l);
			}
			json_object_set_new(o, "levels", lv);
		} else {
			json_t *c = json_array();

			json_object_set_new(o, "distinct_count", num_or_null(f->str.distinct_count));
			for (size_t j = 0; j < f->str.n_buckets; j++)
				json_array_append_new(c, json_pack("[sf]", f->str.buckets[j].value,
								   f->str.buckets[j].count));
			json_object_set_new(o, "cat", c);
		}
		json_array_append_new(feats, o);
	}
	json_object_set_new(root, "features", feats);
	return root;
}

static json_t *dump_config(const mm_monitoring_config *m)
{
	json_t *o = json_object();

	json_object_set_new(o, "evaluate_constraints", json_integer(m->evaluate_constraints));
	json_object_set_new(o, "emit_metrics", json_integer(m->emit_metrics));
	json_object_set_new(o, "datatype_check_threshold", num_or_null(m->datatype_check_threshold));
	json_object_set_new(o, "domain_content_threshold", num_or_null(m->domain_content_threshold));
	json_object_set_new(o, "has_distribution", json_integer(m->has_distribution));
	json_object_set_new(o, "perform_comparison", json_integer(m->perform_comparison));
	json_object_set_new(o, "comparison_threshold", num_or_null(m->comparison_threshold));
	json_object_set_new(o, "comparison_method", json_integer(m->comparison_method));
	json_object_set_new(o, "min_domain_mass", num_or_null(m->min_domain_mass));
	return o;
}

static json_t *dump_constraints(const mm_constraints *c)
{
	json_t *root = json_object(), *feats = json_array();

	json_object_set_new(root, "version", json_real(c->version));
	for (size_t i = 0; i < c->n_features; i++) {
		const mm_feature_constraints *f = &c->features[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(f->name));
		json_object_set_new(o, "type", json_integer(f->type));
		json_object_set_new(o, "completeness", num_or_null(f->completeness));
		json_object_set_new(o, "is_non_negative", json_integer(f->is_non_negative));
		if (f->has_domains) {
			json_t *d = json_array();

			for (size_t j = 0; j < f->n_domains; j++)
				json_array_append_new(d, json_string(f->domains[j]));
			json_object_set_new(o, "domains", d);
		} else {
			json_object_set_new(o, "domains", json_null());
		}
		json_object_set_new(o, "overrides", f->has_overrides ? dump_config(&f->overrides) : json_null());
		json_array_append_new(feats, o);
	}
	json_object_set_new(root, "features", feats);
	json_object_set_new(root, "config", c->has_monitoring_config ? dump_config(&c->config) : json_null());
	return root;
}

/* Writes the dump and runs the Python comparison on it. */
static void python_agrees(const char *kind, const char *orig, json_t *dump)
{
	char dir[] = "/tmp/i11b-mmref-XXXXXX", path[64], cmd[1024];
	int st;

	if (access(PYTHON, X_OK) != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dump.json", dir);
	st = -1;
	/* the folder goes before any assertion can jump out */
	if (json_dump_file(dump, path, JSON_REAL_PRECISION(17)) == 0) {
		snprintf(cmd, sizeof(cmd), "%s %s %s '%s' %s", PYTHON, SCRIPT, kind,
			 orig, path);
		st = system(cmd);
	}
	unlink(path);
	rmdir(dir);
	assert_true(st != -1);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_real_statistics(void **state)
{
	static const char *const files[] = {
		SM_DIR "/statistics_churn_excerpt.json",
		SM_DIR "/sdk_test_statistics_string_feature.json"};
	(void)state;

	need(files[0]);
	for (size_t i = 0; i < 2; i++) {
		mm_statistics s;
		kpg_err err;
		json_t *d;

		if (mm_statistics_load(files[i], &s, &err) != 0)
			fail_msg("%s", err.msg);
		d = dump_statistics(&s);
		python_agrees("statistics", files[i], d);
		json_decref(d);
		if (i == 0) {
			/* by eye, statistics_churn_excerpt.json lines 3-20:
			 * "item_count" : 2333, "name" : "Churn",
			 * "inferred_type" : "Integral", "mean" :
			 * 0.1393056150878697, "sum" : 325.0 */
			assert_int_equal(s.item_count, 2333);
			assert_string_equal(s.features[0].name, "Churn");
			assert_int_equal(s.features[0].type, MM_TYPE_INTEGRAL);
			assert_true(s.features[0].num.mean == 0.1393056150878697);
			assert_true(s.features[0].num.sum == 325.0);
			/* "parameters" : { "c" : 0.64, "k" : 2048.0 } */
			assert_true(s.features[0].num.sketch_k == 2048.0);
			assert_true(s.features[0].num.sketch_c == 0.64);
			assert_int_equal(s.features[0].num.n_levels, 2);
			/* bucket 0: 0.0 .. 0.1, count 2008.0 */
			assert_true(s.features[0].num.buckets[0].count == 2008);
		} else {
			/* sdk_test_statistics_string_feature.json: item_count
			 * 418, "message", String, distinct_count 1.0, one
			 * bucket of 418 */
			assert_int_equal(s.item_count, 418);
			assert_int_equal(s.features[0].type, MM_TYPE_STRING);
			assert_true(s.features[0].str.distinct_count == 1.0);
			assert_int_equal(s.features[0].str.n_buckets, 1);
			assert_true(s.features[0].str.buckets[0].count == 418);
		}
		mm_statistics_free(&s);
	}
}

static void test_real_constraints(void **state)
{
	static const char *const files[] = {
		SM_DIR "/constraints_churn.json",
		SM_DIR "/sdk_test_constraints_string_feature.json"};
	(void)state;

	need(files[0]);
	for (size_t i = 0; i < 2; i++) {
		mm_constraints c;
		kpg_err err;
		json_t *d;

		if (mm_constraints_load(files[i], &c, &err) != 0)
			fail_msg("%s", err.msg);
		d = dump_constraints(&c);
		python_agrees("constraints", files[i], d);
		json_decref(d);
		if (i == 0) {
			/* constraints_churn.json, the last lines:
			 * "perform_comparison" : "Enabled",
			 * "comparison_threshold" : 0.1,
			 * "comparison_method" : "Robust"; 70 features */
			assert_int_equal(c.n_features, 70);
			assert_int_equal(c.config.perform_comparison, 1);
			assert_true(c.config.comparison_threshold == 0.1);
			assert_int_equal(c.config.comparison_method, MM_COMPARISON_ROBUST);
			assert_true(c.config.datatype_check_threshold == 1.0);
			assert_int_equal(c.features[0].is_non_negative, 1);
		} else {
			/* the SDK's file: "enable_comparisons": true,
			 * "min_domain_mass": 1.0; the first feature's
			 * overrides inside string_constraints */
			assert_int_equal(c.config.perform_comparison, 1);
			assert_true(c.config.min_domain_mass == 1.0);
			assert_int_equal(c.config.comparison_method, MM_UNSET);
			assert_true(c.features[0].has_overrides);
			assert_int_equal(c.features[0].overrides.evaluate_constraints, 1);
			assert_false(c.features[1].has_overrides);
			assert_int_equal(c.features[1].n_domains, 1);
		}
		mm_constraints_free(&c);
	}
}

typedef struct bad_case {
	const char *text;
	int rc;
	const char *msg;
} bad_case;

#define NUMF_HEAD \
	"{\"version\": 0.0, \"dataset\": {\"item_count\": 3},\n" \
	"\"features\": [{\"name\": \"x\", \"inferred_type\": \"Integral\",\n" \
	"\"numerical_statistics\": {\"common\": {\"num_present\": 3, \"num_missing\": 0},\n"
#define NUMF(extra) NUMF_HEAD extra "}}]}"
#define GOODNUM \
	"\"mean\": 1, \"sum\": 3, \"std_dev\": 0, \"min\": 1, \"max\": 1,\n" \
	"\"distribution\": {\"kll\": {\"buckets\": [{\"lower_bound\": 1, \"upper_bound\": 1, \"count\": 3}],\n"

static const bad_case stats_cases[] = {
	{"{\"version\": 0.0, \"dataset\": {\"item_cou", KPG_EPARSE, "t.json:1:"},
	{"[1, 2]", KPG_EINVAL, "t.json:1:1: the file must be a JSON object"},
	{"{\"version\": 0, \"features\": []}", KPG_EINVAL, "dataset is missing"},
	{"{\"version\": 0, \"dataset\": {\"item_count\": \"3\"}, \"features\": []}", KPG_EINVAL,
	 "t.json:1:42: dataset.item_count must be a count, got a string"},
	{"{\"version\": 0, \"dataset\": {\"item_count\": 3}, \"features\": {}}", KPG_EINVAL,
	 "features must be an array, got an object"},
	{"{\"version\": 0, \"dataset\": {\"item_count\": 3}, \"features\": [7]}", KPG_EINVAL,
	 "features[0] must be an object"},
	{"{\"version\": 0, \"version\": 1}", KPG_EPARSE, "duplicate object key"},
	{NUMF("\"mean\": \"one\""), KPG_EINVAL,
	 "t.json:4:9: feature \"x\": numerical_statistics.mean must be a number, got a string"},
	{"{\"version\": 0.0, \"dataset\": {\"item_count\": 3},\n"
	 "\"features\": [{\"name\": \"x\", \"inferred_type\": \"Integral\",\n"
	 "\"numerical_statistics\": {\"common\": {\"num_present\": -3, \"num_missing\": 0}}}]}",
	 KPG_EINVAL, "feature \"x\": numerical_statistics.common.num_present must be a count >= 0, got -3"},
	{"{\"version\": 0.0, \"dataset\": {\"item_count\": 3},\n"
	 "\"features\": [{\"name\": \"x\", \"inferred_type\": \"Float\"}]}",
	 KPG_EINVAL, "feature \"x\": inferred_type must be \"Integral\", \"Fractional\", \"String\" or \"Unknown\", got \"Float\""},
	{"{\"version\": 0.0, \"dataset\": {\"item_count\": 3},\n"
	 "\"features\": [{\"name\": \"x\", \"inferred_type\": \"String\", \"numerical_statistics\": {}}]}",
	 KPG_EINVAL, "feature \"x\": is inferred_type \"String\" but has numerical_statistics"},
	{"{\"version\": 0.0, \"dataset\": {\"item_count\": 3},\n"
	 "\"features\": [{\"name\": \"x\", \"inferred_type\": \"Fractional\"}]}",
	 KPG_EINVAL, "feature \"x\": numerical_statistics is missing"},
	{NUMF(GOODNUM "\"sketch\": {\"parameters\": {\"c\": 0.64, \"k\": 2048}, \"data\": [[1, 1, 1]]}}}"),
	 0, NULL},
	{NUMF(GOODNUM "\"sketch\": {\"parameters\": {\"c\": 0.64, \"k\": 2048}, \"data\": [[1, 1, \"1\"]]}}}"),
	 KPG_EINVAL, "feature \"x\": numerical_statistics.distribution.kll.sketch.data[0][2] must be a finite number, got a string"},
	{NUMF(GOODNUM "\"sketch\": {\"parameters\": {\"c\": 0.64, \"k\": 2048}, \"data\": [1]}}}"),
	 KPG_EINVAL, "sketch.data[0] must be an array (a level of the sketch)"},
	{NUMF(GOODNUM "\"sketch\": {\"parameters\": {\"c\": 1.64, \"k\": 2048}, \"data\": []}}}"),
	 KPG_EINVAL, "feature \"x\": numerical_statistics.distribution.kll.sketch.parameters.c is 1.64, outside 0..1"},
	{NUMF(GOODNUM "\"sketch\": {\"parameters\": {\"c\": 0.64}, \"data\": []}}}"),
	 KPG_EINVAL, "sketch.parameters.k is missing"},
	{NUMF("\"mean\": 1, \"sum\": 3, \"std_dev\": 0, \"min\": 1, \"max\": 1,\n"
	      "\"distribution\": {\"kll\": {\"buckets\": [{\"lower_bound\": 1, \"upper_bound\": 1, \"count\": 1.5}]}}"),
	 KPG_EINVAL, "numerical_statistics.distribution.kll.buckets[0].count must be a whole number, got 1.5"},
	{NUMF("\"mean\": 1, \"sum\": 3, \"std_dev\": 0, \"min\": 2, \"max\": 1"), KPG_EINVAL,
	 "numerical_statistics.max is 1, below min 2"},
	{"{\"version\": 0.0, \"dataset\": {\"item_count\": 3}, \"features\": [\n"
	 "{\"name\": \"x\", \"inferred_type\": \"Unknown\"}, {\"name\": \"x\", \"inferred_type\": \"Unknown\"}]}",
	 KPG_EINVAL, "t.json:2:44: feature \"x\": repeats the name of features[0]"},
	{"{\"version\": 0.0, \"dataset\": {\"item_count\": 3}, \"features\": [\n"
	 "{\"name\": \"s\", \"inferred_type\": \"String\", \"string_statistics\": {\"common\": "
	 "{\"num_present\": 3, \"num_missing\": 0}, \"distinct_count\": 1, \"distribution\": "
	 "{\"categorical\": {\"buckets\": [{\"value\": \"a\", \"count\": 1}, {\"value\": 2, \"count\": 2}]}}}}]}",
	 KPG_EINVAL, "feature \"s\": string_statistics.distribution.categorical.buckets[1].value must be a string, got an integer"},
	{"{\"version\": 1e999}", KPG_EPARSE, "not valid JSON"},
	{"", KPG_EPARSE, "not valid JSON"},
};

static void check_cases(const bad_case *cases, size_t n, int statistics)
{
	for (size_t i = 0; i < n; i++) {
		kpg_err err = {""};
		int rc;

		if (statistics) {
			mm_statistics s;

			rc = mm_statistics_parse(cases[i].text, strlen(cases[i].text),
						 "t.json", &s, &err);
			if (rc == 0)
				mm_statistics_free(&s);
			else
				assert_null(s.features);
		} else {
			mm_constraints c;

			rc = mm_constraints_parse(cases[i].text, strlen(cases[i].text),
						  "t.json", &c, &err);
			if (rc == 0)
				mm_constraints_free(&c);
			else
				assert_null(c.features);
		}
		if (rc != cases[i].rc ||
		    (cases[i].msg && strstr(err.msg, cases[i].msg) == NULL))
			fail_msg("case %zu: rc %d (want %d), message \"%s\", want \"%s\"",
				 i, rc, cases[i].rc, err.msg,
				 cases[i].msg ? cases[i].msg : "");
	}
}

static void test_bad_statistics(void **state)
{
	(void)state;
	check_cases(stats_cases, sizeof(stats_cases) / sizeof(stats_cases[0]), 1);
}

#define CONS(feature, config) \
	"{\"version\": 0.0, \"features\": [{\"name\": \"f\", " feature "}]" \
	", \"monitoring_config\": {" config "}}"

static const bad_case cons_cases[] = {
	{CONS("\"inferred_type\": \"String\"", "\"evaluate_constraints\": \"Enabled\""), 0, NULL},
	{"{\"features\": []}", KPG_EINVAL, "version is missing"},
	{CONS("\"inferred_type\": \"String\", \"completeness\": 1.5", ""), KPG_EINVAL,
	 "feature \"f\": completeness is 1.5, outside 0..1"},
	{CONS("\"inferred_type\": \"String\", \"string_constraints\": {\"domains\": [\"a\", 3]}", ""), KPG_EINVAL,
	 "feature \"f\": string_constraints.domains[1] must be a string, got an integer"},
	{CONS("\"inferred_type\": \"Integral\", \"num_constraints\": {\"is_non_negative\": \"true\"}", ""), KPG_EINVAL,
	 "feature \"f\": num_constraints.is_non_negative must be true or false"},
	{CONS("\"inferred_type\": \"Integral\"", "\"evaluate_constraints\": \"yes\""), KPG_EINVAL,
	 "monitoring_config.evaluate_constraints must be \"Enabled\" or \"Disabled\", got \"yes\""},
	{CONS("\"inferred_type\": \"Integral\"",
	      "\"distribution_constraints\": {\"perform_comparison\": \"Enabled\", \"enable_comparisons\": false}"),
	 KPG_EINVAL, "monitoring_config.distribution_constraints.enable_comparisons disagrees with perform_comparison"},
	{CONS("\"inferred_type\": \"Integral\"",
	      "\"distribution_constraints\": {\"comparison_method\": \"Fancy\"}"),
	 KPG_EINVAL, "comparison_method must be \"Simple\" or \"Robust\", got \"Fancy\""},
	{CONS("\"inferred_type\": \"Integral\"", "\"datatype_check_threshold\": -0.5"), KPG_EINVAL,
	 "monitoring_config.datatype_check_threshold is -0.5, outside 0..1"},
	{CONS("\"inferred_type\": \"Integral\", \"monitoring_config_overrides\": {\"emit_metrics\": 1}", ""),
	 KPG_EINVAL, "feature \"f\": monitoring_config_overrides.emit_metrics must be \"Enabled\" or \"Disabled\", got an integer"},
	{CONS("\"inferred_type\": 5", ""), KPG_EINVAL, "feature \"f\": inferred_type must be a string, got an integer"},
	{"{\"version\": 0, \"features\": [{\"inferred_type\": \"String\"}]}", KPG_EINVAL,
	 "t.json:1:29: features[0].name is missing"},
	{"{\"version\": 0, \"features\": [], \"monitoring_config\": [", KPG_EPARSE, "not valid JSON"},
};

static void test_bad_constraints(void **state)
{
	(void)state;
	check_cases(cons_cases, sizeof(cons_cases) / sizeof(cons_cases[0]), 0);
}

/* Past each limit: an error naming it, not a crash or a huge allocation. */
static void test_limits(void **state)
{
	size_t cap = 16u * 1024 * 1024, o = 0;
	char *t = malloc(cap);
	mm_statistics s;
	kpg_err err;
	(void)state;

	assert_non_null(t);
	/* 62 levels */
	o = (size_t)snprintf(t, cap, "%s", NUMF_HEAD GOODNUM "\"sketch\": {\"parameters\": {\"c\": 0.64, \"k\": 2048}, \"data\": [");
	for (int h = 0; h < 62; h++)
		o += (size_t)snprintf(t + o, cap - o, "%s[1]", h ? "," : "");
	o += (size_t)snprintf(t + o, cap - o, "]}}}}}]}");
	assert_int_equal(mm_statistics_parse(t, o, "t.json", &s, &err), KPG_ETOOBIG);
	assert_non_null(strstr(err.msg, "sketch.data has 62 elements, at most 61"));
	/* more than MM_MAX_SKETCH_ITEMS items */
	o = (size_t)snprintf(t, cap, "%s", NUMF_HEAD GOODNUM "\"sketch\": {\"parameters\": {\"c\": 0.64, \"k\": 2048}, \"data\": [[");
	for (size_t i = 0; i <= MM_MAX_SKETCH_ITEMS; i++)
		o += (size_t)snprintf(t + o, cap - o, "%s1", i ? "," : "");
	o += (size_t)snprintf(t + o, cap - o, "]]}}}}}]}");
	assert_int_equal(mm_statistics_parse(t, o, "t.json", &s, &err), KPG_ETOOBIG);
	assert_non_null(strstr(err.msg, "more than 1048576 items"));
	/* more than MM_MAX_FEATURES features */
	o = (size_t)snprintf(t, cap, "{\"version\": 0, \"dataset\": {\"item_count\": 0}, \"features\": [");
	for (size_t i = 0; i <= MM_MAX_FEATURES; i++)
		o += (size_t)snprintf(t + o, cap - o, "%s{}", i ? "," : "");
	o += (size_t)snprintf(t + o, cap - o, "]}");
	assert_int_equal(mm_statistics_parse(t, o, "t.json", &s, &err), KPG_ETOOBIG);
	assert_non_null(strstr(err.msg, "features has 10001 elements, at most 10000"));
	/* a name of MM_MAX_NAME + 1 bytes */
	o = (size_t)snprintf(t, cap, "{\"version\": 0, \"dataset\": {\"item_count\": 0}, \"features\": [{\"name\": \"");
	memset(t + o, 'n', MM_MAX_NAME + 1);
	o += MM_MAX_NAME + 1;
	o += (size_t)snprintf(t + o, cap - o, "\", \"inferred_type\": \"Unknown\"}]}");
	assert_int_equal(mm_statistics_parse(t, o, "t.json", &s, &err), KPG_ETOOBIG);
	assert_non_null(strstr(err.msg, "features[0].name is 1025 bytes long, at most 1024"));
	/* a file that is not there */
	assert_int_equal(mm_statistics_load("/nonexistent/statistics.json", &s, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent/statistics.json: "));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_statistics),
		cmocka_unit_test(test_real_constraints),
		cmocka_unit_test(test_bad_statistics),
		cmocka_unit_test(test_bad_constraints),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
