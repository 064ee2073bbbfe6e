/* Real labels: the label dictionary (canonical numbers, exact texts, the
 * cap), multiclass KPIs against hand-computed values, binary
 * positive_label / negative_label mapping of labels and text predictions
 * through a real pipeline, multiclass predictions from a label field and
 * from a probability array, and the reference's label column checked
 * against the task. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label_dict.h"
#include "pipeline.h"
#include "pipeline_fixture.h"

#define assert_near(a, b) assert_true(fabs((double)(a) - (double)(b)) <= 1e-12)

static char dir[64];

/* ---- the dictionary ------------------------------------------------ */

static void test_dict_canonical_and_exact(void **state)
{
	label_dict d;
	uint32_t a, b, c, e, f;
	char t[LABEL_TEXT_MAX];
	char longer[100];

	(void)state;
	assert_int_equal(label_dict_init(&d, NULL), 0);
	assert_int_equal(label_dict_intern(&d, "1", 1, &a), 0);
	assert_int_equal(label_dict_intern(&d, "1.0", 3, &b), 0);
	assert_int_equal(label_dict_intern(&d, "+1e0", 4, &c), 0);
	assert_int_equal(a, b);
	assert_int_equal(a, c);
	assert_string_equal(label_dict_text(&d, a), "1");
	/* texts are exact: no trimming, case kept */
	assert_int_equal(label_dict_intern(&d, "UP", 2, &e), 0);
	assert_int_equal(label_dict_intern(&d, "up", 2, &f), 0);
	assert_int_not_equal(e, f);
	assert_int_equal(label_dict_find(&d, " UP", 3), 0);
	assert_int_equal(label_dict_find(&d, "UP", 2), e);
	assert_int_equal(label_dict_find(&d, "True.", 5), 0);
	assert_null(label_dict_text(&d, 0));
	assert_null(label_dict_text(&d, d.n + 1));
	label_canon_number(-0.0, t);
	assert_string_equal(t, "0");
	label_canon("0.1", 3, t);
	assert_string_equal(t, "0.1");
	/* a long text is cut before a partial UTF-8 sequence */
	memset(longer, 'a', sizeof(longer));
	memcpy(longer + 62, "\xc3\xa9", 2); /* the cut at 63 splits it */
	label_canon(longer, sizeof(longer), t);
	assert_int_equal(strlen(t), 62);
	label_dict_free(&d);
}

static void test_dict_cap(void **state)
{
	label_dict d;
	uint32_t code = 0, first;
	char t[32];

	(void)state;
	assert_int_equal(label_dict_init(&d, NULL), 0);
	assert_int_equal(label_dict_intern(&d, "x0", 2, &first), 0);
	for (int i = 1; i < LABEL_DICT_MAX; i++) {
		int n = snprintf(t, sizeof(t), "x%d", i);

		assert_int_equal(label_dict_intern(&d, t, (size_t)n, &code), 0);
		assert_int_equal(code, (uint32_t)i + 1);
	}
	assert_int_equal(d.n, LABEL_DICT_MAX);
	/* full: a new text is refused and counted, known ones still resolve */
	assert_int_equal(label_dict_intern(&d, "new", 3, &code), KPG_ETOOBIG);
	assert_int_equal(label_dict_intern(&d, "another", 7, &code), KPG_ETOOBIG);
	assert_int_equal(d.over, 2);
	assert_int_equal(label_dict_intern(&d, "x0", 2, &code), 0);
	assert_int_equal(code, first);
	assert_string_equal(label_dict_text(&d, LABEL_DICT_MAX), "x4095");
	label_dict_free(&d);
}

/* ---- multiclass KPIs, by hand ---------------------------------------- */

static void test_multiclass_kpis_by_hand(void **state)
{
	/* 4 classes (d never occurs), (true, predicted); 7 = outside */
	static const double pairs[][2] = {{0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 2}, {2, 2}, {2, 2}, {2, 0}, {1, 7}, {2, 2}};
	policy_kpi_value v[KPI__COUNT];
	kpi_acc k;
	uint64_t support;

	(void)state;
	assert_int_equal(kpi_init(&k, POLICY_TASK_MULTICLASS, 0.5, 0, NULL), 0);
	assert_int_equal(kpi_set_classes(&k, 4, NULL), 0);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		assert_int_equal(kpi_add(&k, pairs[i][1], pairs[i][0]), 0);
	/* a label outside the classes is not counted */
	assert_int_equal(kpi_add(&k, 0, 9), 0);
	assert_int_equal(k.n, 10);
	kpi_compute(&k, v);
	/* correct: a 2, b 1, c 3 */
	assert_near(v[KPI_ACCURACY].value, 6.0 / 10);
	/* F1 = 2tp / (support + predicted): a 4/6, b 2/5, c 6/8; d absent */
	assert_near(v[KPI_F1_MACRO].value, (4.0 / 6 + 2.0 / 5 + 6.0 / 8) / 3);
	assert_near(v[KPI_F1_MACRO].value, 109.0 / 180);
	assert_near(v[KPI_F1_WEIGHTED].value, (3 * 4.0 / 6 + 3 * 2.0 / 5 + 4 * 6.0 / 8) / 10);
	assert_near(v[KPI_F1_WEIGHTED].value, 0.62);
	assert_int_equal(v[KPI_F1_MACRO].n, 10);
	assert_false(v[KPI_AUC].valid);
	assert_false(v[KPI_PRECISION].valid);
	assert_near(kpi_class_recall(&k, 0, &support), 2.0 / 3);
	assert_int_equal(support, 3);
	assert_near(kpi_class_recall(&k, 1, &support), 1.0 / 3);
	assert_near(kpi_class_recall(&k, 2, &support), 3.0 / 4);
	assert_int_equal(support, 4);
	assert_true(isnan(kpi_class_recall(&k, 3, &support)));
	assert_int_equal(support, 0);
	kpi_reset(&k);
	kpi_compute(&k, v);
	assert_false(v[KPI_ACCURACY].valid);
	assert_int_equal(kpi_set_classes(&k, 1, NULL), KPG_EINVAL);
	assert_int_equal(kpi_set_classes(&k, KPI_MAX_CLASSES + 1, NULL), KPG_EINVAL);
	kpi_free(&k);
}

/* ---- through a pipeline -------------------------------------------- */

#define POLICY_FMT \
	"{\"model\": \"m\", \"reference\": {\"path\": \"%s\", \"label_column\": \"y\"}," \
	" \"prediction\": %s, \"window\": {\"records\": 1000}," \
	" \"kpis\": [%s]," \
	" \"guards\": {\"min_records\": 1, \"min_labelled\": 1}," \
	" \"action\": {\"type\": \"dry_run\"}," \
	" \"energy\": {\"instance_type\": \"ml.m5.xlarge\", \"instance_count\": 1," \
	" \"expected_hours\": 1, \"region\": \"us-east-1\"}}"

/* Loads a policy with that prediction object and KPIs over reference ref;
 * returns pipeline_init's result, err says why. */
static int open_pipeline(pipeline *pl, const char *ref, const char *prediction,
			 const char *kpis, kpg_err *err)
{
	char text[2048], path[128];
	policy *p[1];
	policy_diags d = {0};

	snprintf(text, sizeof(text), POLICY_FMT, ref, prediction, kpis);
	fx_write_file(dir, "p.json", text);
	snprintf(path, sizeof(path), "%s/p.json", dir);
	if (policy_load(path, &p[0], &d, err) != 0) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%d:%d: %s\n", d.items[i].line, d.items[i].column, d.items[i].message);
		fail_msg("policy: %s", err->msg);
	}
	policy_diags_free(&d);
	return pipeline_init(pl, p, 1, NULL, NULL, NULL, err);
}

static void capture(pipeline *pl, int i, const char *ctype, const char *out)
{
	char line[1024];
	kpg_err err;
	int n = snprintf(line, sizeof(line),
			 "{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"text/csv\","
			 "\"mode\":\"INPUT\",\"data\":\"%d\",\"encoding\":\"CSV\"},\"endpointOutput\":"
			 "{\"observedContentType\":\"%s\",\"mode\":\"OUTPUT\",\"data\":\"%s\","
			 "\"encoding\":\"%s\"}},\"eventMetadata\":{\"eventId\":\"e%d\","
			 "\"inferenceTime\":\"2026-01-01T00:%02d:00Z\"},\"eventVersion\":\"0\"}",
			 i % 5, ctype, out, strcmp(ctype, "text/csv") ? "JSON" : "CSV", i, i);

	assert_int_equal(pipeline_capture_line(pl, line, (size_t)n, NULL, "c", 1, &err), 0);
	assert_int_equal(pl->last_reject, CAPTURE_OK);
}

/* Label of record i as JSON text (a string, number or bool literal). */
static void label(pipeline *pl, int i, const char *json_label)
{
	char line[512], data[128];
	kpg_err err;
	int n;

	snprintf(data, sizeof(data), "%s", json_label);
	n = snprintf(line, sizeof(line),
		     "{\"groundTruthData\":{\"data\":\"%s\",\"encoding\":\"JSON\"},"
		     "\"eventMetadata\":{\"eventId\":\"e%d\"},\"eventVersion\":\"0\"}",
		     data, i);
	assert_int_equal(pipeline_gt_line(pl, line, (size_t)n, "g", 1, &err), 0);
}

static void test_positive_label_maps_labels_and_text(void **state)
{
	pipeline pl;
	kpg_err err;
	const kpi_acc *k;

	(void)state;
	fx_write_file(dir, "updown.csv", "x,y\n1,UP\n2,DOWN\n3,UP\n");
	assert_int_equal(open_pipeline(&pl, "updown.csv",
				       "{\"positive_label\": \"UP\", \"negative_label\": \"DOWN\"}",
				       "{\"metric\": \"accuracy\", \"min\": 0.5}", &err),
			 0);
	/* scores: 0.9 / 0.2; text answers: UP / DOWN (and "1" is no class) */
	capture(&pl, 0, "text/csv", "0.9");
	capture(&pl, 1, "text/csv", "0.2");
	capture(&pl, 2, "text/csv", "UP");
	capture(&pl, 3, "application/json", "{\\\"predictions\\\":[{\\\"predicted_label\\\":\\\"DOWN\\\"}]}");
	capture(&pl, 4, "text/csv", "DOWN");
	capture(&pl, 5, "text/csv", "SIDEWAYS"); /* not joinable: no class */
	assert_int_equal(pl.models[0].lab.unusable_predictions, 1);
	label(&pl, 0, "\\\"UP\\\"");   /* tp */
	label(&pl, 1, "\\\"UP\\\"");   /* fn */
	label(&pl, 2, "\\\"DOWN\\\""); /* fp */
	label(&pl, 3, "\\\"DOWN\\\""); /* tn */
	label(&pl, 4, "\\\"UP\\\"");   /* fn */
	k = &pl.models[0].win.kpi;
	assert_int_equal(k->n, 5);
	assert_int_equal(k->tp, 1);
	assert_int_equal(k->fn, 2);
	assert_int_equal(k->fp, 1);
	assert_int_equal(k->tn, 1);
	/* a third label: rejected, naming both classes, counted */
	label(&pl, 5, "\\\"FLAT\\\"");
	assert_int_equal(pl.last_reject, CAPTURE_REJECT_BAD_VALUE);
	assert_non_null(strstr(pl.last_reject_msg, "\"FLAT\" is neither the positive class \"UP\" nor the negative class \"DOWN\""));
	assert_int_equal(pl.stats.gt_rejects[CAPTURE_REJECT_BAD_VALUE], 1);
	/* case matters */
	label(&pl, 6, "\\\"up\\\"");
	assert_int_equal(pl.stats.gt_rejects[CAPTURE_REJECT_BAD_VALUE], 2);
	pipeline_free(&pl);
}

static void test_positive_label_only_counts_texts(void **state)
{
	pipeline pl;
	kpg_err err;
	const kpi_acc *k;

	(void)state;
	fx_write_file(dir, "churn.csv", "x,y\n1,True.\n2,False.\n");
	assert_int_equal(open_pipeline(&pl, "churn.csv", "{\"positive_label\": \"True.\"}",
				       "{\"metric\": \"recall\", \"min\": 0.5}", &err),
			 0);
	for (int i = 0; i < 6; i++)
		capture(&pl, i, "text/csv", i % 2 ? "0.1" : "0.8");
	label(&pl, 0, "\\\"True.\\\"");  /* tp */
	label(&pl, 1, "\\\"True.\\\"");  /* fn */
	label(&pl, 2, "\\\"False.\\\""); /* fp */
	label(&pl, 3, "\\\"no\\\"");     /* tn: any other text is negative */
	label(&pl, 4, "true");           /* fp: JSON true is the text "true" */
	label(&pl, 5, "1");              /* tn */
	assert_int_equal(pl.stats.gt_rejects[CAPTURE_REJECT_BAD_VALUE], 0);
	k = &pl.models[0].win.kpi;
	assert_int_equal(k->tp, 1);
	assert_int_equal(k->fn, 1);
	assert_int_equal(k->fp, 2);
	assert_int_equal(k->tn, 2);
	assert_int_equal(pl.models[0].lab.n_texts, 5); /* True. False. no true 1 */
	pipeline_free(&pl);
}

static void test_without_positive_label_numbers_work(void **state)
{
	pipeline pl;
	kpg_err err;
	const kpi_acc *k;

	(void)state;
	fx_write_file(dir, "num.csv", "x,y\n1,0\n2,1\n3,true\n");
	assert_int_equal(open_pipeline(&pl, "num.csv", "{\"task\": \"binary_classification\"}",
				       "{\"metric\": \"accuracy\", \"min\": 0.5}", &err),
			 0);
	for (int i = 0; i < 4; i++)
		capture(&pl, i, "text/csv", "0.7");
	label(&pl, 0, "1");
	label(&pl, 1, "false");
	label(&pl, 2, "0.75"); /* positive: >= 0.5, as before */
	label(&pl, 3, "\\\"UP\\\"");
	assert_int_equal(pl.last_reject, CAPTURE_REJECT_BAD_VALUE);
	assert_non_null(strstr(pl.last_reject_msg, "is not a finite number"));
	k = &pl.models[0].win.kpi;
	assert_int_equal(k->tp, 2);
	assert_int_equal(k->fp, 1);
	pipeline_free(&pl);
}

static void test_multiclass_predictions(void **state)
{
	pipeline pl;
	kpg_err err;
	const kpi_acc *k;
	policy_window_eval ev;

	(void)state;
	fx_write_file(dir, "w.csv", "x,y\n1,1\n2,2\n3,3\n4,2\n");
	assert_int_equal(open_pipeline(&pl, "w.csv",
				       "{\"task\": \"multiclass_classification\", \"classes\": [\"1\", \"2\", \"3\"]}",
				       "{\"metric\": \"f1_macro\", \"min\": 0.5},"
				       " {\"metric\": \"recall\", \"class\": \"2.0\", \"min\": 0.5}",
				       &err),
			 0);
	assert_int_equal(pl.models[0].lab.n_classes, 3);
	assert_int_equal(pl.models[0].lab.kpi_class[1], 1);
	capture(&pl, 0, "text/csv", "0.1,0.7,0.2");               /* argmax: 2 */
	capture(&pl, 1, "text/csv", "0.5,0.5,0.0");               /* a tie: the first, 1 */
	capture(&pl, 2, "application/json", "[[0.1, 0.2, 0.7]]"); /* 3 */
	capture(&pl, 3, "application/json",
		"{\\\"predictions\\\":[{\\\"predicted_label\\\":2.0,\\\"score\\\":[0.9,0.05,0.05]}]}"); /* the label: 2 */
	capture(&pl, 4, "text/csv", "3");                                                               /* a label: 3 */
	capture(&pl, 5, "text/csv", "7");                                                               /* outside the classes: wrong */
	capture(&pl, 6, "text/csv", "0.5,0.5");                                                         /* 2 probabilities for 3 classes */
	assert_int_equal(pl.models[0].lab.unusable_predictions, 1);
	label(&pl, 0, "2");
	label(&pl, 1, "\\\"2\\\"");
	label(&pl, 2, "3.0");
	label(&pl, 3, "\\\"2\\\"");
	label(&pl, 4, "1");
	label(&pl, 5, "3");
	label(&pl, 6, "\\\"4\\\"");
	assert_int_equal(pl.last_reject, CAPTURE_REJECT_BAD_VALUE);
	assert_non_null(strstr(pl.last_reject_msg, "\"4\" is not one of the classes of model m (\"1\", \"2\", \"3\")"));
	k = &pl.models[0].win.kpi;
	assert_int_equal(k->n, 6);
	/* confusion[true * 4 + predicted] */
	assert_int_equal(k->confusion[1 * 4 + 1], 2); /* records 0, 3 */
	assert_int_equal(k->confusion[1 * 4 + 0], 1); /* record 1 */
	assert_int_equal(k->confusion[2 * 4 + 2], 1); /* record 2 */
	assert_int_equal(k->confusion[0 * 4 + 2], 1); /* record 4 */
	assert_int_equal(k->confusion[2 * 4 + 3], 1); /* record 5: outside */
	memset(&ev, 0, sizeof(ev));
	pipeline_labels_class_kpis(&pl.models[0], k, &ev);
	assert_false(ev.class_kpis[0].valid);
	assert_true(ev.class_kpis[1].valid);
	assert_near(ev.class_kpis[1].value, 2.0 / 3);
	assert_int_equal(ev.class_kpis[1].n, 3);
	pipeline_free(&pl);
}

/* ---- the reference's label column against the task ------------------ */

static void expect_refused(const char *ref, const char *csv, const char *prediction,
			   const char *kpis, const char *want)
{
	pipeline pl;
	kpg_err err;

	fx_write_file(dir, ref, csv);
	assert_int_not_equal(open_pipeline(&pl, ref, prediction, kpis, &err), 0);
	if (strstr(err.msg, want) == NULL)
		fail_msg("%s: got \"%s\", want \"%s\"", ref, err.msg, want);
}

static void test_reference_labels_checked(void **state)
{
	static const char *acc = "{\"metric\": \"accuracy\", \"min\": 0.5}";
	pipeline pl;
	kpg_err err;

	(void)state;
	expect_refused("r1.csv", "x,y\n1,UP\n2,DOWN\n", "{}", acc,
		       "label column 'y' holds \"UP\", \"DOWN\"; binary_classification labels are 0/1 or true/false, else set prediction.positive_label");
	expect_refused("r2.csv", "x,y\n1,UP\n2,DOWN\n", "{\"positive_label\": \"up\"}", acc,
		       "label column 'y' does not hold prediction.positive_label \"up\" (it holds \"UP\", \"DOWN\")");
	expect_refused("r3.csv", "x,y\n1,UP\n2,DOWN\n3,FLAT\n", "{\"positive_label\": \"UP\"}",
		       acc, "label column 'y' has 3 distinct values (\"UP\", \"DOWN\", \"FLAT\"); binary_classification needs exactly two, one of them \"UP\"");
	expect_refused("r4.csv", "x,y\n1,UP\n2,DOWN\n",
		       "{\"positive_label\": \"UP\", \"negative_label\": \"FLAT\"}", acc,
		       "does not hold prediction.negative_label \"FLAT\"");
	expect_refused("r5.csv", "x,y\n1,1\n2,2\n3,4\n",
		       "{\"task\": \"multiclass_classification\", \"classes\": [\"1\", \"2\", \"3\"]}",
		       acc, "label \"4\" of the reference's column 'y' is not in prediction.classes");
	expect_refused("r6.csv", "x,y\n1,1\n2,1\n", "{\"task\": \"multiclass_classification\"}",
		       acc, "label column 'y' has 1 distinct values (\"1\"); multiclass_classification needs 2 to 64 classes");
	expect_refused("r7.csv", "x,y\n1,a\n2,b\n", "{\"task\": \"multiclass_classification\"}",
		       "{\"metric\": \"recall\", \"class\": \"c\", \"min\": 0.5}",
		       "the recall KPI names class \"c\", which the reference's label column does not hold");
	expect_refused("r8.csv", "x,y\n1,1.5\n2,cheap\n", "{\"task\": \"regression\"}",
		       "{\"metric\": \"rmse\", \"max\": 1}",
		       "label column 'y' holds text (\"1.5\", \"cheap\"); regression labels are numbers");
	/* the good ones: 0/1 and true/false; numbers as text for classes; a
	 * missing cell is no value */
	fx_write_file(dir, "g1.csv", "x,y\n1,0\n2,1\n3,\n");
	assert_int_equal(open_pipeline(&pl, "g1.csv", "{}", acc, &err), 0);
	pipeline_free(&pl);
	fx_write_file(dir, "g2.csv", "x,y\n1,1.0\n2,3\n3,2\n");
	assert_int_equal(open_pipeline(&pl, "g2.csv", "{\"task\": \"multiclass_classification\"}",
				       acc, &err),
			 0);
	assert_int_equal(pl.models[0].lab.n_classes, 3); /* 1, 3, 2: first seen */
	assert_string_equal(label_dict_text(&pl.labels, pl.models[0].lab.class_code[1]), "3");
	pipeline_free(&pl);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kpg-labels-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_remove_dir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dict_canonical_and_exact),
		cmocka_unit_test(test_dict_cap),
		cmocka_unit_test(test_multiclass_kpis_by_hand),
		cmocka_unit_test(test_positive_label_maps_labels_and_text),
		cmocka_unit_test(test_positive_label_only_counts_texts),
		cmocka_unit_test(test_without_positive_label_numbers_work),
		cmocka_unit_test(test_multiclass_predictions),
		cmocka_unit_test(test_reference_labels_checked),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
