/* Checkpoint v3 with text labels: a binary UP/DOWN model and a multiclass
 * one, saved while text labels wait in the join (and predictions wait for
 * theirs, and windows wait with confusion counts), restored into a
 * pipeline whose label dictionary gave out other codes (its policies are
 * loaded in the other order): it decides exactly as the uninterrupted run.
 * A restore whose classes changed drops only the confusion counts. */
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
#include "pipeline_wait.h"
#include "state.h"

static char dir[64], sdir[96];

#define TAIL \
	"\"window\":{\"records\":12,\"label_wait_seconds\":600}," \
	"\"guards\":{\"min_records\":1,\"min_labelled\":1}," \
	"\"action\":{\"type\":\"dry_run\"},\"energy\":{\"instance_type\":\"ml.m5.xlarge\"," \
	"\"instance_count\":1,\"expected_hours\":1,\"region\":\"us-east-1\"}}"

static const char *pol_updown =
	"{\"model\":\"ud\",\"endpoint\":\"ep-ud\",\"reference\":{\"path\":\"ud.csv\",\"label_column\":\"y\"},"
	"\"prediction\":{\"positive_label\":\"UP\",\"negative_label\":\"DOWN\"},"
	"\"kpis\":[{\"metric\":\"accuracy\",\"min\":0.7}]," TAIL;
static const char *pol_multi =
	"{\"model\":\"mc\",\"endpoint\":\"ep-mc\",\"reference\":{\"path\":\"mc.csv\",\"label_column\":\"y\"},"
	"\"prediction\":{\"task\":\"multiclass_classification\",\"classes\":[\"lo\",\"mid\",\"hi\"]},"
	"\"kpis\":[{\"metric\":\"f1_macro\",\"min\":0.6},{\"metric\":\"recall\",\"class\":\"hi\",\"min\":0.5}]," TAIL;
static const char *pol_multi_other =
	"{\"model\":\"mc\",\"endpoint\":\"ep-mc\",\"reference\":{\"path\":\"mc.csv\",\"label_column\":\"y\"},"
	"\"prediction\":{\"task\":\"multiclass_classification\"},"
	"\"kpis\":[{\"metric\":\"f1_macro\",\"min\":0.6},{\"metric\":\"recall\",\"class\":\"hi\",\"min\":0.5}]," TAIL;

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void make_pipeline(pipeline *pl, state_ctx *c, const char *first,
			  const char *second)
{
	policy *pols[2] = {NULL, NULL};
	policy_diags diags = {0};
	kpg_err err = {{0}};
	const char *names[2] = {first, second};
	char path[128];

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (policy_load(path, &pols[i], &diags, &err) != 0)
			fail_msg("policy %s: %s", path, err.msg);
	}
	policy_diags_free(&diags);
	if (pipeline_init(pl, pols, 2, NULL, NULL, NULL, &err) != 0)
		fail_msg("pipeline_init: %s", err.msg);
	assert_int_equal(state_ctx_init(c, pl, &err), 0);
}

static void drop_pipeline(pipeline *pl, state_ctx *c)
{
	state_ctx_free(c);
	pipeline_free(pl);
}

static const char *const ud[] = {"UP", "DOWN"};
static const char *const mc[] = {"lo", "mid", "hi"};

/* Deterministic in [0, n). */
static unsigned pick(unsigned i, unsigned salt, unsigned n)
{
	uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ULL ^ (uint64_t)salt << 33;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ULL;
	x ^= x >> 32;
	return (unsigned)(x % n);
}

static void capture(pipeline *pl, const char *ep, const char *id, unsigned minute,
		    const char *out)
{
	char line[1024];
	kpg_err err;
	int n = snprintf(line, sizeof(line),
			 "{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"text/csv\","
			 "\"mode\":\"INPUT\",\"data\":\"%u\",\"encoding\":\"CSV\"},\"endpointOutput\":"
			 "{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"%s\","
			 "\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":\"%s\","
			 "\"inferenceTime\":\"2026-01-0%uT%02u:%02u:00Z\"},\"eventVersion\":\"0\"}",
			 minute % 4, out, id, 1 + minute / 1440, minute / 60 % 24, minute % 60);

	assert_int_equal(pipeline_capture_line(pl, line, (size_t)n, ep, "c", 1, &err), 0);
	assert_int_equal(pl->last_reject, CAPTURE_OK);
}

static void label(pipeline *pl, const char *id, const char *text)
{
	char line[512];
	kpg_err err;
	int n = snprintf(line, sizeof(line),
			 "{\"groundTruthData\":{\"data\":\"%s\",\"encoding\":\"CSV\"},"
			 "\"eventMetadata\":{\"eventId\":\"%s\"},\"eventVersion\":\"0\"}",
			 text, id);

	assert_int_equal(pipeline_gt_line(pl, line, (size_t)n, "g", 1, &err), 0);
	assert_int_equal(pl->last_reject, CAPTURE_OK);
}

/* Step i: ud's label for step i+3 and mc's for step i+2 arrive before
 * their predictions; predictions are right two times in three; "UP" /
 * "DOWN", or a probability row. */
static void feed(pipeline *pl, unsigned from, unsigned to)
{
	char id[32], out[64];

	for (unsigned i = from; i < to; i++) {
		unsigned y = pick(i, 1, 2), z = pick(i, 2, 3), zp;

		snprintf(id, sizeof(id), "u%u", i + 3);
		label(pl, id, ud[pick(i + 3, 1, 2)]);
		snprintf(id, sizeof(id), "m%u", i + 2);
		label(pl, id, mc[pick(i + 2, 2, 3)]);
		snprintf(id, sizeof(id), "u%u", i);
		capture(pl, "ep-ud", id, i, pick(i, 3, 3) ? ud[y] : ud[!y]);
		zp = pick(i, 4, 3) ? z : (z + 1) % 3;
		snprintf(out, sizeof(out), "%.2f,%.2f,%.2f", zp == 0 ? 0.8 : 0.1,
			 zp == 1 ? 0.8 : 0.1, zp == 2 ? 0.8 : 0.1);
		snprintf(id, sizeof(id), "m%u", i);
		capture(pl, "ep-mc", id, i, out);
	}
}

/* The decisions of model name after a's first `from`, and all of b's, in
 * order (b holds its models in the other order, so pipeline_finish
 * interleaves the two models' last decisions differently). */
static int same_decisions(const pipeline *a, size_t from, const pipeline *b,
			  const char *name)
{
	size_t i = from, j = 0, na = json_array_size(a->decisions),
	       nb = json_array_size(b->decisions), n = 0;

	for (;; i++, j++, n++) {
		json_t *x, *y;

		while (i < na && strcmp(json_string_value(json_object_get(
						json_array_get(a->decisions, i), "model")),
					name) != 0)
			i++;
		while (j < nb && strcmp(json_string_value(json_object_get(
						json_array_get(b->decisions, j), "model")),
					name) != 0)
			j++;
		if (i == na || j == nb)
			return i == na && j == nb && n > 3;
		x = json_array_get(a->decisions, i);
		y = json_array_get(b->decisions, j);
		if (!json_equal(x, y)) {
			char *p = json_dumps(x, JSON_COMPACT), *q = json_dumps(y, JSON_COMPACT);

			fprintf(stderr, "%s's decision %zu differs:\n%s\n%s\n", name, n, p, q);
			free(p);
			free(q);
			return 0;
		}
	}
}

static const pipeline_model *by_name(const pipeline *pl, const char *name)
{
	for (size_t i = 0; i < pl->n_models; i++)
		if (strcmp(pl->models[i].pol->model, name) == 0)
			return &pl->models[i];
	fail_msg("no model %s", name);
	return NULL;
}

static void test_text_labels_survive_a_restart(void **state)
{
	pipeline a, b;
	state_ctx ca, cb;
	kpg_err err;
	uint64_t pa, la, pb, lb;
	size_t k;
	const pipeline_model *ma, *mb;

	(void)state;
	make_pipeline(&a, &ca, "ud.json", "mc.json");
	feed(&a, 0, 65);
	k = json_array_size(a.decisions);
	if (k < 4)
		fail_msg("%zu decisions; ud %llu windows %zu waiting, mc %llu windows %zu waiting, rejects %llu %llu",
			 k, (unsigned long long)a.models[0].windows, a.models[0].n_waiting,
			 (unsigned long long)a.models[1].windows, a.models[1].n_waiting,
			 (unsigned long long)a.stats.capture_ok, (unsigned long long)a.stats.gt_ok);
	join_pending(&a.join, &pa, &la);
	assert_true(la >= 5); /* text labels wait for their predictions */
	ma = by_name(&a, "mc");
	assert_true(ma->win.kpi.n > 0 || ma->n_waiting > 0);
	if (state_save(sdir, &a, &ca, &err) != 0)
		fail_msg("state_save: %s", err.msg);

	/* the other order: "lo", "mid", "hi" are interned first, so every
	 * code differs from a's */
	make_pipeline(&b, &cb, "mc.json", "ud.json");
	assert_int_not_equal(label_dict_find(&a.labels, "UP", 2),
			     label_dict_find(&b.labels, "UP", 2));
	if (state_load(sdir, &b, &cb, &err) != 0)
		fail_msg("state_load: %s", err.msg);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(cb.status[i], STATE_MODEL_RESTORED);
	join_pending(&b.join, &pb, &lb);
	assert_int_equal(pa, pb);
	assert_int_equal(la, lb);
	ma = by_name(&a, "mc");
	mb = by_name(&b, "mc");
	assert_int_equal(ma->win.kpi.n, mb->win.kpi.n);
	assert_memory_equal(ma->win.kpi.confusion, mb->win.kpi.confusion,
			    3 * 4 * sizeof(uint64_t));
	assert_int_equal(ma->n_waiting, mb->n_waiting);

	feed(&a, 65, 150);
	feed(&b, 65, 150);
	assert_int_equal(pipeline_finish(&a, &err), 0);
	assert_int_equal(pipeline_finish(&b, &err), 0);
	assert_true(json_array_size(b.decisions) >= 8);
	assert_true(same_decisions(&a, k, &b, "ud"));
	assert_true(same_decisions(&a, k, &b, "mc"));
	assert_int_equal(by_name(&a, "ud")->win.kpi.tp, by_name(&b, "ud")->win.kpi.tp);
	drop_pipeline(&a, &ca);
	drop_pipeline(&b, &cb);
}

static void test_changed_classes_drop_only_confusion(void **state)
{
	pipeline a, b;
	state_ctx ca, cb;
	kpg_err err;
	const pipeline_model *ma, *mb;
	uint64_t counted = 0;

	(void)state;
	/* classes from the reference: "lo", "mid", "hi" */
	make_pipeline(&a, &ca, "ud.json", "mc2.json");
	feed(&a, 0, 30);
	ma = by_name(&a, "mc");
	counted = ma->win.kpi.n;
	for (size_t i = 0; i < ma->n_waiting; i++)
		counted += pipeline_wait_at(ma, i)->kpi.n;
	assert_true(counted > 0);
	assert_int_equal(state_save(sdir, &a, &ca, &err), 0);
	/* the same policy and reference schema, but the reference's rows now
	 * give the classes as "mid", "lo", "hi": the counts would be read
	 * against the wrong classes, so they are dropped, and only they */
	write_file("mc.csv", "x,y\n1,mid\n2,lo\n3,hi\n");
	make_pipeline(&b, &cb, "ud.json", "mc2.json");
	write_file("mc.csv", "x,y\n1,lo\n2,mid\n3,hi\n");
	if (state_load(sdir, &b, &cb, &err) != 0)
		fail_msg("state_load: %s", err.msg);
	assert_int_equal(cb.status[1], STATE_MODEL_RESTORED);
	mb = by_name(&b, "mc");
	assert_string_equal(label_dict_text(&b.labels, mb->lab.class_code[0]), "mid");
	assert_int_equal(mb->win.kpi.n, 0);
	assert_int_equal(mb->win.n_records, ma->win.n_records);
	assert_int_equal(mb->n_waiting, ma->n_waiting);
	for (size_t i = 0; i < mb->n_waiting; i++)
		assert_int_equal(pipeline_wait_at(mb, i)->kpi.n, 0);
	/* the binary model beside it keeps everything */
	assert_int_equal(by_name(&b, "ud")->win.kpi.n, by_name(&a, "ud")->win.kpi.n);
	assert_true(by_name(&b, "ud")->win.kpi.n > 0);
	drop_pipeline(&a, &ca);
	drop_pipeline(&b, &cb);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kpg-state-labels-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sdir, sizeof(sdir), "%s/state", dir);
	if (mkdir(sdir, 0700) != 0)
		return -1;
	write_file("ud.csv", "x,y\n1,UP\n2,DOWN\n");
	write_file("mc.csv", "x,y\n1,lo\n2,mid\n3,hi\n");
	write_file("ud.json", pol_updown);
	write_file("mc.json", pol_multi);
	write_file("mc2.json", pol_multi_other);
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
		cmocka_unit_test(test_text_labels_survive_a_restart),
		cmocka_unit_test(test_changed_classes_drop_only_confusion),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, setup, teardown);
}
