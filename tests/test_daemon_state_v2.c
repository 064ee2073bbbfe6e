/* Reading a version-2 checkpoint (tests/data/state_v2: written by the
 * code of commit b6c3c5a, the last to write version 2, after v2_feed(0, 63)
 * below, with the policy and reference beside it; README.md there says how):
 * the restored pipeline equals one fed the same 63 steps by this build,
 * decides the rest the same, and a label waiting in the join finds its
 * text's code when a model maps label texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline.h"
#include "state.h"

#define SAVED_AT 63

static char dir[64], sdir[96];

/* Drops "detectors" from the features of a decision summary's window. */
static void strip_detectors(json_t *decision)
{
	json_t *feats = json_object_get(json_object_get(decision, "window"),
					"features");

	for (size_t i = 0; i < json_array_size(feats); i++)
		json_object_del(json_array_get(feats, i), "detectors");
}

/* Step i: the label of step i+2 arrives before its prediction, the one of
 * step i-6 after it (every third of those never); scores right 2 in 3. */
static void v2_feed(pipeline *pl, unsigned from, unsigned to)
{
	char line[1024];
	kpg_err err;
	int n;

	for (unsigned i = from; i < to; i++) {
		unsigned y = (i * 7 + 3) % 5 < 2;
		double score = (i % 3) ? (y ? 0.8 : 0.2) : (y ? 0.3 : 0.7);

		if ((i + 2) % 4 == 0) {
			n = snprintf(line, sizeof(line),
				     "{\"groundTruthData\":{\"data\":\"%u\",\"encoding\":\"CSV\"},"
				     "\"eventMetadata\":{\"eventId\":\"e%u\"},\"eventVersion\":\"0\"}",
				     ((i + 2) * 7 + 3) % 5 < 2, i + 2);
			if (pipeline_gt_line(pl, line, (size_t)n, "g", 1, &err) != 0)
				abort();
		}
		n = snprintf(line, sizeof(line),
			     "{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"text/csv\","
			     "\"mode\":\"INPUT\",\"data\":\"%u\",\"encoding\":\"CSV\"},\"endpointOutput\":"
			     "{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"%.2f\","
			     "\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":\"e%u\","
			     "\"inferenceTime\":\"2026-01-01T%02u:%02u:00Z\"},\"eventVersion\":\"0\"}",
			     i % 9, score, i, i / 60, i % 60);
		if (pipeline_capture_line(pl, line, (size_t)n, NULL, "c", 1, &err) != 0)
			abort();
		if (i >= 6 && (i - 6) % 4 != 0 && (i - 6) % 3 != 0) {
			n = snprintf(line, sizeof(line),
				     "{\"groundTruthData\":{\"data\":\"%u\",\"encoding\":\"CSV\"},"
				     "\"eventMetadata\":{\"eventId\":\"e%u\"},\"eventVersion\":\"0\"}",
				     ((i - 6) * 7 + 3) % 5 < 2, i - 6);
			if (pipeline_gt_line(pl, line, (size_t)n, "g", 1, &err) != 0)
				abort();
		}
	}
}

static void copy_file(const char *from, const char *to)
{
	char buf[8192];
	size_t n;
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

static void open_pipeline(pipeline *pl, state_ctx *c, const char *const *names, size_t n)
{
	policy *pols[2] = {NULL, NULL};
	policy_diags d = {0};
	kpg_err err;
	char path[160];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (policy_load(path, &pols[i], &d, &err) != 0)
			fail_msg("%s: %s", path, err.msg);
	}
	policy_diags_free(&d);
	if (pipeline_init(pl, pols, n, NULL, NULL, NULL, &err) != 0)
		fail_msg("pipeline_init: %s", err.msg);
	assert_int_equal(state_ctx_init(c, pl, &err), 0);
}

static void assert_same_kpi(const kpi_acc *a, const kpi_acc *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->tp, b->tp);
	assert_int_equal(a->fp, b->fp);
	assert_int_equal(a->tn, b->tn);
	assert_int_equal(a->fn, b->fn);
	assert_int_equal(a->n_pairs, b->n_pairs);
	assert_memory_equal(a->pairs, b->pairs, a->n_pairs * sizeof(*a->pairs));
}

static void test_version_2_restores(void **state)
{
	static const char *const one[] = {"p1.json"};
	pipeline a, b;
	state_ctx ca, cb;
	kpg_err err;
	uint64_t pa, la, pb, lb;
	size_t k;

	(void)state;
	open_pipeline(&a, &ca, one, 1);
	v2_feed(&a, 0, SAVED_AT);
	k = json_array_size(a.decisions);
	open_pipeline(&b, &cb, one, 1);
	if (state_load(sdir, &b, &cb, &err) != 0)
		fail_msg("state_load: %s", err.msg);
	assert_int_equal(cb.status[0], STATE_MODEL_RESTORED);
	/* what the fixture holds: a window waiting, a label and predictions
	 * waiting in the join */
	assert_int_equal(b.models[0].n_waiting, 1);
	join_pending(&a.join, &pa, &la);
	join_pending(&b.join, &pb, &lb);
	assert_int_equal(lb, 1);
	assert_int_equal(pa, pb);
	assert_int_equal(la, lb);
	assert_int_equal(a.models[0].window_index, b.models[0].window_index);
	assert_int_equal(a.models[0].win.n_records, b.models[0].win.n_records);
	assert_int_equal(a.models[0].n_waiting, b.models[0].n_waiting);
	assert_same_kpi(&a.models[0].win.kpi, &b.models[0].win.kpi);
	assert_same_kpi(&a.models[0].waiting[a.models[0].wait_head].kpi,
			&b.models[0].waiting[b.models[0].wait_head].kpi);
	assert_memory_equal(&a.stats, &b.stats, sizeof(a.stats));

	v2_feed(&a, SAVED_AT, 140);
	v2_feed(&b, SAVED_AT, 140);
	assert_int_equal(pipeline_finish(&a, &err), 0);
	assert_int_equal(pipeline_finish(&b, &err), 0);
	assert_int_equal(json_array_size(a.decisions) - k, json_array_size(b.decisions));
	assert_true(json_array_size(b.decisions) >= 4);
	for (size_t i = 0; i < json_array_size(b.decisions); i++) {
		json_t *da = json_deep_copy(json_array_get(a.decisions, k + i));
		json_t *db = json_deep_copy(json_array_get(b.decisions, i));

		/* version 2 has no per-detector results (version 4 added
		 * them): the window restored from it reports its verdicts only */
		strip_detectors(da);
		strip_detectors(db);
		assert_true(json_equal(da, db));
		json_decref(da);
		json_decref(db);
	}
	state_ctx_free(&ca);
	state_ctx_free(&cb);
	pipeline_free(&a);
	pipeline_free(&b);
}

static void test_version_2_label_finds_its_code(void **state)
{
	static const char *const two[] = {"p1.json", "t.json"};
	pipeline b;
	state_ctx cb;
	kpg_err err;
	uint32_t one;
	int seen = 0;

	(void)state;
	open_pipeline(&b, &cb, two, 2);
	one = label_dict_find(&b.labels, "1", 1);
	assert_int_not_equal(one, 0); /* t's positive label */
	if (state_load(sdir, &b, &cb, &err) != 0)
		fail_msg("state_load: %s", err.msg);
	assert_int_equal(cb.status[0], STATE_MODEL_RESTORED);
	for (size_t k = 0; k < b.join.count; k++) {
		const join_entry *e = &b.join.ring[(b.join.head + k) % b.join.cap];

		if (!e->live || e->kind != JOIN_KIND_LABEL)
			continue;
		/* the waiting label is e64's: 1 */
		assert_true(e->value == 1.0);
		assert_int_equal(e->code, one);
		seen++;
	}
	assert_int_equal(seen, 1);
	state_ctx_free(&cb);
	pipeline_free(&b);
}

static int setup(void **state)
{
	char from[256], to[160];
	static const char *const files[] = {"p1.json", "ref1.csv"};

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kpg-state-v2-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sdir, sizeof(sdir), "%s/state", dir);
	if (mkdir(sdir, 0700) != 0)
		return -1;
	for (size_t i = 0; i < 2; i++) {
		snprintf(from, sizeof(from), "%s/state_v2/%s", KPG_TEST_DATA_DIR, files[i]);
		snprintf(to, sizeof(to), "%s/%s", dir, files[i]);
		copy_file(from, to);
	}
	snprintf(from, sizeof(from), "%s/state_v2/checkpoint.bin", KPG_TEST_DATA_DIR);
	snprintf(to, sizeof(to), "%s/checkpoint.bin", sdir);
	copy_file(from, to);
	/* a second model that maps label texts: "1" is its positive label */
	snprintf(to, sizeof(to), "%s/t.json", dir);
	{
		FILE *f = fopen(to, "w");

		if (f == NULL)
			return -1;
		fputs("{\"model\": \"t\", \"endpoint\": \"t-ep\","
		      " \"reference\": {\"path\": \"ref1.csv\", \"label_column\": \"label\"},"
		      " \"prediction\": {\"positive_label\": \"1\"},"
		      " \"window\": {\"records\": 20},"
		      " \"kpis\": [{\"metric\": \"accuracy\", \"min\": 0.7}],"
		      " \"action\": {\"type\": \"dry_run\"},"
		      " \"energy\": {\"instance_type\": \"ml.m5.xlarge\", \"instance_count\": 1,"
		      " \"expected_hours\": 1, \"region\": \"us-east-1\"}}\n",
		      f);
		fclose(f);
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_2_restores),
		cmocka_unit_test(test_version_2_label_finds_its_code),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, setup, teardown);
}
