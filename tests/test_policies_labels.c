/* The label keys of a policy: prediction.positive_label / negative_label /
 * classes and kpis[].class, and the metrics' task rules, each error at its
 * line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

#define HEAD \
	"{\"model\": \"m\", \"reference\": {\"path\": \"r.csv\", \"label_column\": \"y\"},\n" \
	" \"window\": {\"records\": 100},\n" \
	" \"action\": {\"type\": \"dry_run\"},\n" \
	" \"energy\": {\"instance_type\": \"ml.m5.xlarge\", \"instance_count\": 1,\n" \
	"  \"expected_hours\": 1, \"region\": \"us-east-1\"},\n"

/* Loads HEAD + tail; NULL want = must load (returned), else the one
 * error at line:column must contain want. */
static policy *load(const char *tail, int line, int column, const char *want)
{
	char text[4096];
	policy *p = NULL;
	policy_diags d = {0};
	kpg_err err;
	int rc;

	snprintf(text, sizeof(text), "%s%s", HEAD, tail);
	rc = policy_load_buffer("/tmp/p.json", text, strlen(text), &p, &d, &err);
	if (want == NULL) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%d:%d: %s\n", d.items[i].line, d.items[i].column,
				d.items[i].message);
		if (rc != 0)
			fail_msg("policy does not load: %s", err.msg);
		policy_diags_free(&d);
		return p;
	}
	assert_int_equal(rc, KPG_EINVAL);
	if (d.n != 1 || strstr(d.items[0].message, want) == NULL ||
	    d.items[0].line != line || d.items[0].column != column)
		fail_msg("%zu errors, first %d:%d: %s; want %d:%d: %s", d.n,
			 d.n ? d.items[0].line : 0, d.n ? d.items[0].column : 0,
			 d.n ? d.items[0].message : "", line, column, want);
	policy_diags_free(&d);
	return NULL;
}

static void test_good_policies(void **state)
{
	policy *p;

	(void)state;
	p = load(" \"prediction\": {\"positive_label\": \"UP\", \"negative_label\": \"DOWN\"},\n"
		 " \"kpis\": [{\"metric\": \"f1\", \"min\": 0.5}]}",
		 0, 0, NULL);
	assert_string_equal(p->positive_label, "UP");
	assert_string_equal(p->negative_label, "DOWN");
	assert_int_equal(p->task, POLICY_TASK_BINARY);
	policy_free(p);
	p = load(" \"prediction\": {\"task\": \"multiclass_classification\",\n"
		 "  \"classes\": [\"a\", \"b\", \"c\"]},\n"
		 " \"kpis\": [{\"metric\": \"f1_macro\", \"min\": 0.5},\n"
		 "  {\"metric\": \"f1_weighted\", \"min\": 0.5}, {\"metric\": \"accuracy\", \"min\": 0.5},\n"
		 "  {\"metric\": \"recall\", \"class\": \"b\", \"min\": 0.6},\n"
		 "  {\"metric\": \"recall\", \"class\": \"c\", \"min\": 0.4}]}",
		 0, 0, NULL);
	assert_int_equal(p->task, POLICY_TASK_MULTICLASS);
	assert_int_equal(p->n_classes, 3);
	assert_string_equal(p->classes[2], "c");
	assert_int_equal(p->n_kpis, 5);
	assert_null(p->kpis[0].class_name);
	assert_int_equal(p->kpis[3].metric, KPI_RECALL);
	assert_string_equal(p->kpis[3].class_name, "b");
	assert_string_equal(p->kpis[4].class_name, "c");
	policy_free(p);
	/* classes from the reference: no prediction.classes needed */
	p = load(" \"prediction\": {\"task\": \"multiclass_classification\"},\n"
		 " \"kpis\": [{\"metric\": \"recall\", \"class\": \"1\", \"min\": 0.6}]}",
		 0, 0, NULL);
	assert_int_equal(p->n_classes, 0);
	policy_free(p);
}

static void test_task_rules(void **state)
{
	(void)state;
	load(" \"kpis\": [{\"metric\": \"f1_macro\", \"min\": 0.5}]}", 6, 22,
	     "f1_macro is a multiclass_classification metric but prediction.task is binary_classification");
	load(" \"prediction\": {\"task\": \"multiclass_classification\"},\n"
	     " \"kpis\": [{\"metric\": \"auc\", \"min\": 0.5}]}",
	     7, 22, "auc is a binary_classification metric but prediction.task is multiclass_classification");
	load(" \"prediction\": {\"task\": \"regression\"},\n"
	     " \"kpis\": [{\"metric\": \"f1_weighted\", \"min\": 0.5}]}",
	     7, 22, "f1_weighted is a classification metric but prediction.task is regression");
	load(" \"prediction\": {\"task\": \"multiclass_classification\"},\n"
	     " \"kpis\": [{\"metric\": \"recall\", \"min\": 0.5}]}",
	     7, 11, "recall of a multiclass_classification model is per class: add \"class\"");
	load(" \"prediction\": {\"task\": \"multiclass_classification\"},\n"
	     " \"kpis\": [{\"metric\": \"accuracy\", \"class\": \"a\", \"min\": 0.5}]}",
	     7, 34, "\"class\" applies only to recall with task multiclass_classification");
	load(" \"kpis\": [{\"metric\": \"recall\", \"class\": \"a\", \"min\": 0.5}]}", 6, 32,
	     "\"class\" applies only to recall with task multiclass_classification");
	load(" \"prediction\": {\"task\": \"multiclass_classification\", \"threshold\": 0.3},\n"
	     " \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.5}]}",
	     6, 54, "prediction.threshold applies only to binary_classification; this policy's task is multiclass_classification");
}

static void test_label_keys(void **state)
{
	(void)state;
	load(" \"prediction\": {\"classes\": [\"a\", \"b\"]},\n"
	     " \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.5}]}",
	     6, 17, "prediction.classes applies only to multiclass_classification; this policy's task is binary_classification");
	load(" \"prediction\": {\"task\": \"multiclass_classification\", \"classes\": [\"1\", \"b\", \"1.0\"]},\n"
	     " \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.5}]}",
	     6, 76, "class \"1.0\" is listed twice (as \"1\" before)");
	load(" \"prediction\": {\"task\": \"multiclass_classification\", \"classes\": [\"a\"]},\n"
	     " \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.5}]}",
	     6, 65, "prediction.classes needs at least two classes, got 1");
	load(" \"prediction\": {\"task\": \"multiclass_classification\", \"classes\": [\"a\", 2]},\n"
	     " \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.5}]}",
	     6, 71, "prediction.classes[1] must be a label (a string of 1 to 63 bytes; write numbers as \"1\"), got an integer");
	load(" \"prediction\": {\"task\": \"multiclass_classification\", \"classes\": [\"a\", \"b\"]},\n"
	     " \"kpis\": [{\"metric\": \"recall\", \"class\": \"c\", \"min\": 0.5}]}",
	     7, 41, "class \"c\" is not in prediction.classes");
	load(" \"prediction\": {\"task\": \"multiclass_classification\"},\n"
	     " \"kpis\": [{\"metric\": \"recall\", \"class\": \"a\", \"min\": 0.5},\n"
	     "  {\"metric\": \"recall\", \"class\": \"a\", \"min\": 0.4}]}",
	     8, 33, "recall of class \"a\" is listed twice (first at kpis[0])");
	load(" \"prediction\": {\"negative_label\": \"DOWN\"},\n"
	     " \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.5}]}",
	     6, 17, "prediction.negative_label needs prediction.positive_label");
	load(" \"prediction\": {\"positive_label\": \"1\", \"negative_label\": \"1.0\"},\n"
	     " \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.5}]}",
	     6, 58, "prediction.negative_label \"1.0\" is the positive label too");
	load(" \"prediction\": {\"task\": \"regression\", \"positive_label\": \"1\"},\n"
	     " \"kpis\": [{\"metric\": \"rmse\", \"max\": 1}]}",
	     6, 39, "prediction.positive_label applies only to binary_classification; this policy's task is regression");
	load(" \"prediction\": {\"positive_label\": 1},\n"
	     " \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.5}]}",
	     6, 35, "prediction.positive_label must be a string or null, got an integer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_policies),
		cmocka_unit_test(test_task_rules),
		cmocka_unit_test(test_label_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
