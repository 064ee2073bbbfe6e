/* Checkpoints: a pipeline saved mid-window and restored into a fresh one
 * decides exactly as the uninterrupted run; every flipped byte and every
 * truncation is caught; a checkpoint with a valid checksum but any byte
 * changed never crashes; a changed policy or reference resets only its
 * model; a leftover temp file is ignored; a failed save keeps the old
 * checkpoint. Real policies and reference CSVs, real capture lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpg_time.h"
#include "pipeline.h"
#include "pipeline_wait.h"
#include "state.h"

#define N_STEPS 300
#define SAVE_AT 125        /* mid-window for both; m2 waits for labels */
#define T0 1704067200000LL /* 2024-01-01 */

static char dir[64];  /* policies and references */
static char sdir[96]; /* state_dir */

static const char *policy1 =
	"{\"model\":\"m1\",\"reference\":{\"path\":\"ref1.csv\",\"label_column\":\"label\"},"
	"\"prediction\":{\"task\":\"binary_classification\"},"
	"\"window\":{\"records\":40,\"label_wait_seconds\":600},"
	"\"kpis\":[{\"metric\":\"accuracy\",\"min\":0.8}],"
	"\"guards\":{\"min_records\":20,\"min_labelled\":10,\"cooldown_seconds\":3000},"
	"\"action\":{\"type\":\"dry_run\"},\"energy\":{\"instance_type\":\"ml.m5.xlarge\","
	"\"instance_count\":1,\"expected_hours\":1,\"region\":\"us-east-1\"}}";
static const char *policy2 =
	"{\"model\":\"m2\",\"endpoint\":\"ep2\",\"reference\":{\"path\":\"ref2.csv\","
	"\"label_column\":\"price\"},\"features\":{\"b\":\"categorical\"},"
	"\"prediction\":{\"task\":\"regression\"},"
	"\"window\":{\"span_seconds\":3600,\"label_wait_seconds\":600},"
	"\"kpis\":[{\"metric\":\"rmse\",\"max\":1.0}],"
	"\"guards\":{\"min_records\":20,\"min_labelled\":10},"
	"\"action\":{\"type\":\"dry_run\"},\"energy\":{\"instance_type\":\"ml.m5.xlarge\","
	"\"instance_count\":1,\"expected_hours\":2,\"region\":\"us-east-1\"}}";

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

/* Deterministic noise in [0, 1) from a step and a stream. */
static double noise(unsigned i, unsigned stream)
{
	uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ULL ^ (uint64_t)stream << 40;

	x ^= x >> 31;
	x *= 0xBF58476D1CE4E5B9ULL;
	x ^= x >> 29;
	return (double)(x >> 11) / 9007199254740992.0;
}

static void write_refs(int extra_category)
{
	static const char *colours[] = {"red", "blue", "green"};
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ref1.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("x,y,colour,label\n", f);
	for (unsigned i = 0; i < 300; i++)
		fprintf(f, "%.6f,%.6f,%s,%d\n", noise(i, 1) * 10, noise(i, 2),
			colours[i % 3], i % 2);
	if (extra_category)
		fputs("1,0.5,violet,0\n", f);
	assert_int_equal(fclose(f), 0);
	snprintf(path, sizeof(path), "%s/ref2.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("a,b,price\n", f);
	for (unsigned i = 0; i < 300; i++)
		fprintf(f, "%.6f,%s,%.3f\n", noise(i, 3) * 5, i % 2 ? "N" : "S",
			noise(i, 4) * 3);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kpg-state-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sdir, sizeof(sdir), "%s/state", dir);
	if (mkdir(sdir, 0700) != 0)
		return -1;
	write_refs(0);
	write_file("p1.json", policy1);
	write_file("p2.json", policy2);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A pipeline of policies p<first>.json .. p<first + n - 1>.json. */
static void make_pipeline_of(pipeline *pl, state_ctx *c, int first, int n)
{
	policy *pols[2] = {NULL, NULL};
	policy_diags diags = {0};
	kpg_err err = {{0}};
	char path[128];

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/p%d.json", dir, first + i);
		if (policy_load(path, &pols[i], &diags, &err) != 0)
			fail_msg("policy %s: %s", path, err.msg);
	}
	policy_diags_free(&diags);
	if (pipeline_init(pl, pols, (size_t)n, NULL, NULL, NULL, &err) != 0)
		fail_msg("pipeline_init: %s", err.msg);
	assert_int_equal(state_ctx_init(c, pl, &err), 0);
}

static void make_pipeline(pipeline *pl, state_ctx *c)
{
	make_pipeline_of(pl, c, 1, 2);
}

static void drop_pipeline(pipeline *pl, state_ctx *c)
{
	state_ctx_free(c);
	pipeline_free(pl);
}

static void feed_capture(pipeline *pl, const char *hint, const char *id,
			 int64_t t, const char *data, double out)
{
	char line[1024], ts[32];
	kpg_err err;
	int n;

	kpg_time_format_iso8601(t, ts, sizeof(ts));
	n = snprintf(line, sizeof(line),
		     "{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"text/csv\","
		     "\"mode\":\"INPUT\",\"data\":\"%s\",\"encoding\":\"CSV\"},"
		     "\"endpointOutput\":{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\","
		     "\"data\":\"%.17g\",\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":"
		     "\"e-%s\",\"inferenceId\":\"%s\",\"inferenceTime\":\"%s\"},\"eventVersion\":\"0\"}",
		     data, out, id, id, ts);
	assert_int_equal(pipeline_capture_line(pl, line, (size_t)n, hint, "t", 1, &err), 0);
}

static void feed_gt(pipeline *pl, const char *id, double label)
{
	char line[512];
	kpg_err err;
	int n = snprintf(line, sizeof(line),
			 "{\"groundTruthData\":{\"data\":\"%.17g\",\"encoding\":\"CSV\"},"
			 "\"eventMetadata\":{\"eventId\":\"e-%s\",\"inferenceId\":\"%s\"},"
			 "\"eventVersion\":\"0\"}",
			 label, id, id);

	assert_int_equal(pipeline_gt_line(pl, line, (size_t)n, "g", 1, &err), 0);
}

static int label1(unsigned i) { return noise(i, 5) < 0.5; }

/* Step i: m1's label for step i+2 arrives early; captures for both
 * models; m2's label for step i-3 arrives late, and every fourth never.
 * From step 150 the inputs drift and m1's predictions go bad. */
static void feed(pipeline *pl, unsigned from, unsigned to)
{
	static const char *colours[] = {"red", "blue", "green"};
	char data[128], id[32];

	for (unsigned i = from; i < to; i++) {
		int64_t t = T0 + (int64_t)i * 60000;
		int late = i >= 150;
		double score;

		snprintf(id, sizeof(id), "a%u", i + 2);
		feed_gt(pl, id, label1(i + 2));
		snprintf(data, sizeof(data), "%.6f,%.6f,%s",
			 noise(i, 11) * 10 + (late ? 4 : 0), noise(i, 12),
			 late ? "green" : colours[i % 3]);
		score = late ? noise(i, 13) : (label1(i) ? 0.9 : 0.1);
		snprintf(id, sizeof(id), "a%u", i);
		feed_capture(pl, "m1", id, t, data, score);

		snprintf(data, sizeof(data), "%.6f,%s", noise(i, 14) * 5,
			 i % 3 ? "N" : "S");
		snprintf(id, sizeof(id), "b%u", i);
		feed_capture(pl, "ep2", id, t, data, noise(i, 15) * 3);
		if (i >= 3 && (i - 3) % 4 != 0) {
			snprintf(id, sizeof(id), "b%u", i - 3);
			feed_gt(pl, id, noise(i - 3, 16) * 3 + (late ? 2 : 0));
		}
	}
}

static void assert_same_kpi(const kpi_acc *a, const kpi_acc *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->tp, b->tp);
	assert_int_equal(a->fn, b->fn);
	assert_memory_equal(&a->sse, &b->sse, sizeof(double));
	assert_int_equal(a->n_pairs, b->n_pairs);
	if (a->n_pairs)
		assert_memory_equal(a->pairs, b->pairs, a->n_pairs * sizeof(kpi_pair));
}

/* Windows waiting for labels: evaluation, counts, due time, KPI pairs. */
static void assert_same_waiting(const pipeline_model *a, const pipeline_model *b)
{
	assert_int_equal(a->n_waiting, b->n_waiting);
	assert_int_equal(a->has_clock, b->has_clock);
	assert_int_equal(a->clock_ms, b->clock_ms);
	assert_int_equal(a->has_bucket, b->has_bucket);
	assert_int_equal(a->late_labels, b->late_labels);
	for (size_t k = 0; k < a->n_waiting; k++) {
		const pipeline_waiting *x = pipeline_wait_at(a, k);
		const pipeline_waiting *y = pipeline_wait_at(b, k);

		assert_int_equal(x->ev.window_index, y->ev.window_index);
		assert_int_equal(x->ev.n_records, y->ev.n_records);
		assert_int_equal(x->ev.start_ms, y->ev.start_ms);
		assert_int_equal(x->ev.end_ms, y->ev.end_ms);
		assert_int_equal(x->ev.n_drifted, y->ev.n_drifted);
		assert_int_equal(x->ev.dataset_drift, y->ev.dataset_drift);
		for (size_t i = 0; i < a->ref.n_features; i++) {
			const policy_feature_eval *f = &x->ev.features[i], *g = &y->ev.features[i];

			assert_string_equal(f->name, g->name);
			assert_int_equal(f->n, g->n);
			assert_memory_equal(&f->psi, &g->psi, sizeof(double));
			assert_memory_equal(&f->ks_p_value, &g->ks_p_value, sizeof(double));
			assert_int_equal(f->drifted, g->drifted);
		}
		assert_int_equal(x->predictions, y->predictions);
		assert_int_equal(x->labelled, y->labelled);
		assert_int_equal(x->due_ms, y->due_ms);
		assert_same_kpi(&x->kpi, &y->kpi);
	}
}

/* A sketched column: the same sketch, level by level, bit for bit. */
static void assert_same_sketch(const window_column *a, const window_column *b)
{
	assert_int_equal(a->sketch == NULL, b->sketch == NULL);
	if (a->sketch == NULL)
		return;
	assert_int_equal(a->sketch->n, b->sketch->n);
	assert_int_equal(a->sketch->rng, b->sketch->rng);
	assert_int_equal(a->sketch->compactions, b->sketch->compactions);
	assert_int_equal(a->sketch->n_levels, b->sketch->n_levels);
	assert_int_equal(a->integers, b->integers);
	assert_int_equal(a->negatives, b->negatives);
	for (size_t h = 0; h < a->sketch->n_levels; h++) {
		size_t la, lb;
		const double *x = kll_level(a->sketch, h, &la);
		const double *y = kll_level(b->sketch, h, &lb);

		assert_int_equal(la, lb);
		if (la)
			assert_memory_equal(x, y, la * sizeof(double));
	}
}

static void assert_same_model(const pipeline_model *a, const pipeline_model *b)
{
	const window *wa = &a->win, *wb = &b->win;

	assert_int_equal(a->window_index, b->window_index);
	assert_int_equal(a->window_bucket, b->window_bucket);
	assert_memory_equal(&a->guard, &b->guard, sizeof(a->guard));
	assert_int_equal(a->records, b->records);
	assert_int_equal(a->windows, b->windows);
	assert_int_equal(a->retrains, b->retrains);
	assert_int_equal(a->holds, b->holds);
	assert_memory_equal(&a->kwh_spent, &b->kwh_spent, sizeof(double));
	assert_memory_equal(&a->kg_avoided, &b->kg_avoided, sizeof(double));
	assert_int_equal(wa->n_records, wb->n_records);
	assert_int_equal(wa->has_time, wb->has_time);
	assert_int_equal(wa->start_ms, wb->start_ms);
	assert_int_equal(wa->end_ms, wb->end_ms);
	for (size_t i = 0; i < a->ref.n_features; i++) {
		const window_column *ca = &wa->cols[i], *cb = &wb->cols[i];

		assert_int_equal(ca->missing, cb->missing);
		assert_int_equal(ca->n, cb->n);
		assert_same_sketch(ca, cb);
		if (ca->n)
			assert_memory_equal(ca->values, cb->values, ca->n * sizeof(double));
		if (ca->counts)
			assert_memory_equal(ca->counts, cb->counts,
					    (a->ref.features[i].n_categories + 1) * sizeof(double));
	}
	assert_same_kpi(&wa->kpi, &wb->kpi);
	assert_int_equal(wa->predictions, wb->predictions);
	assert_int_equal(wa->labelled, wb->labelled);
	assert_same_waiting(a, b);
}

static void assert_same_join(const join_buffer *a, const join_buffer *b)
{
	assert_memory_equal(&a->stats, &b->stats, sizeof(a->stats));
	assert_int_equal(a->count, b->count);
	for (size_t k = 0; k < a->count; k++) {
		const join_entry *x = &a->ring[(a->head + k) % a->cap];
		const join_entry *y = &b->ring[(b->head + k) % b->cap];

		assert_int_equal(x->live, y->live);
		if (!x->live)
			continue;
		assert_int_equal(x->key_len, y->key_len);
		assert_memory_equal(x->key, y->key, x->key_len);
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->model, y->model);
		assert_int_equal(x->window, y->window);
		assert_memory_equal(&x->value, &y->value, sizeof(double));
		assert_int_equal(x->t_ms, y->t_ms);
	}
}

/* Decisions from index `from` of a, against all of b. */
static int same_decisions(const pipeline *a, size_t from, const pipeline *b)
{
	if (json_array_size(a->decisions) - from != json_array_size(b->decisions))
		return 0;
	for (size_t i = 0; i < json_array_size(b->decisions); i++)
		if (!json_equal(json_array_get(a->decisions, from + i),
				json_array_get(b->decisions, i)))
			return 0;
	return 1;
}

static void test_resume_decides_the_same(void **state)
{
	pipeline a, b, d;
	state_ctx ca, cb, cd;
	kpg_err err;
	size_t k, n_retrain = 0;
	const char *key;
	const state_offset *o;

	(void)state;
	make_pipeline(&a, &ca);
	feed(&a, 0, SAVE_AT);
	k = json_array_size(a.decisions);
	assert_true(k >= 3);
	assert_true(a.models[0].win.n_records > 0 && a.models[1].win.n_records > 0);
	assert_true(a.models[0].win.kpi.n > 0);
	/* the checkpoint carries windows waiting for their labels */
	assert_true(a.models[1].n_waiting > 0);
	assert_int_equal(state_offset_set(&ca, "capture", 3, 12345, &err), 0);
	assert_int_equal(state_offset_set(&ca, "ground-truth", 0, 77, &err), 0);
	assert_int_equal(state_offset_set(&ca, "capture", 3, 12346, &err), 0);
	/* version 6: a source cursor, bytes kept as they are */
	assert_int_equal(state_cursor_set(&ca, "\0cursor\xff", 8), 0);
	if (state_save(sdir, &a, &ca, &err) != 0)
		fail_msg("state_save: %s", err.msg);

	make_pipeline(&b, &cb);
	if (state_load(sdir, &b, &cb, &err) != 0)
		fail_msg("state_load: %s", err.msg);
	assert_int_equal(cb.cursor_len, 8);
	assert_memory_equal(cb.cursor, "\0cursor\xff", 8);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(cb.status[i], STATE_MODEL_RESTORED);
		assert_same_model(&a.models[i], &b.models[i]);
	}
	assert_same_join(&a.join, &b.join);
	assert_memory_equal(&a.stats, &b.stats, sizeof(a.stats));
	assert_int_equal(a.clock_ms, b.clock_ms);
	assert_true(cb.saved_at_ms > T0 && cb.saved_at_ms <= kpg_time_now_ms());
	assert_int_equal(cb.n_offsets, 2);
	o = state_offset_get(&cb, "capture", 3);
	assert_non_null(o);
	assert_int_equal(o->next_offset, 12346);
	o = state_offset_get(&cb, "ground-truth", 0);
	assert_non_null(o);
	assert_int_equal(o->next_offset, 77);
	assert_null(state_offset_get(&cb, "capture", 4));
	/* every decision taken before the checkpoint is known by its key */
	for (size_t i = 0; i < k; i++) {
		json_t *dec = json_array_get(a.decisions, i);
		size_t m = strcmp(json_string_value(json_object_get(dec, "model")), "m1") != 0;

		key = json_string_value(json_object_get(json_object_get(dec, "decision"),
							"idempotency_key"));
		assert_true(state_keys_seen(&cb, m, key));
		assert_false(state_keys_seen(&cb, !m, key));
	}

	feed(&a, SAVE_AT, N_STEPS);
	feed(&b, SAVE_AT, N_STEPS);
	assert_int_equal(pipeline_finish(&a, &err), 0);
	assert_int_equal(pipeline_finish(&b, &err), 0);
	assert_true(same_decisions(&a, k, &b));
	for (size_t i = 0; i < 2; i++)
		assert_same_model(&a.models[i], &b.models[i]);
	for (size_t i = 0; i < json_array_size(a.decisions); i++)
		n_retrain += strcmp(json_string_value(json_object_get(json_object_get(
									      json_array_get(a.decisions, i), "decision"),
								      "decision")),
				    "retrain") == 0;
	assert_true(n_retrain >= 1); /* the run exercises the guards */

	/* the same remaining records without the checkpoint decide otherwise */
	make_pipeline(&d, &cd);
	feed(&d, SAVE_AT, N_STEPS);
	assert_int_equal(pipeline_finish(&d, &err), 0);
	assert_false(same_decisions(&a, k, &d));

	drop_pipeline(&a, &ca);
	drop_pipeline(&b, &cb);
	drop_pipeline(&d, &cd);
}

/* A window past window.max_exact_values keeps sketches; a checkpoint in
 * the middle of one restores them item for item, and the run goes on to
 * the same sketches, the same audit of every window and the same
 * decisions as the uninterrupted one. */
static const char *policy3 =
	"{\"model\":\"m3\",\"reference\":{\"path\":\"ref1.csv\",\"label_column\":\"label\"},"
	"\"prediction\":{\"task\":\"binary_classification\"},"
	"\"window\":{\"records\":5000,\"max_exact_values\":1000,\"sketch_k\":100,"
	"\"label_wait_seconds\":600},"
	"\"drift\":{\"numeric\":[\"psi\",\"ks\",\"wasserstein\"]},"
	"\"kpis\":[{\"metric\":\"accuracy\",\"min\":0.8}],"
	"\"guards\":{\"min_records\":20,\"min_labelled\":10},"
	"\"action\":{\"type\":\"dry_run\"},\"energy\":{\"instance_type\":\"ml.m5.xlarge\","
	"\"instance_count\":1,\"expected_hours\":1,\"region\":\"us-east-1\"}}";

static void feed_sketched(pipeline *pl, unsigned from, unsigned to)
{
	static const char *colours[] = {"red", "blue", "green"};
	char data[128], id[32];

	for (unsigned i = from; i < to; i++) {
		int late = i >= 7000; /* the third window drifts */

		snprintf(data, sizeof(data), "%.6f,%.6f,%s",
			 noise(i, 21) * 10 + (late ? 3 : 0) - 1, noise(i, 22),
			 colours[i % 3]);
		snprintf(id, sizeof(id), "s%u", i);
		feed_capture(pl, "m3", id, T0 + (int64_t)i * 1000, data,
			     noise(i, 23));
		feed_gt(pl, id, noise(i, 24) < 0.5);
	}
}

static void test_sketched_window_resumes_the_same(void **state)
{
	pipeline a, b;
	state_ctx ca, cb;
	kpg_err err;
	size_t k;

	(void)state;
	write_file("p3.json", policy3);
	make_pipeline_of(&a, &ca, 3, 1);
	feed_sketched(&a, 0, 7500); /* one window decided, one sketched open */
	assert_non_null(a.models[0].win.cols[0].sketch);
	assert_true(a.models[0].win.cols[0].sketch->compactions > 0);
	assert_int_equal(window_column_count(&a.models[0].win.cols[0]), 2500);
	assert_true(a.models[0].win.cols[0].negatives > 0);
	k = json_array_size(a.decisions);
	if (state_save(sdir, &a, &ca, &err) != 0)
		fail_msg("state_save: %s", err.msg);
	make_pipeline_of(&b, &cb, 3, 1);
	if (state_load(sdir, &b, &cb, &err) != 0)
		fail_msg("state_load: %s", err.msg);
	assert_int_equal(cb.status[0], STATE_MODEL_RESTORED);
	assert_same_model(&a.models[0], &b.models[0]);

	feed_sketched(&a, 7500, 15000);
	feed_sketched(&b, 7500, 15000);
	assert_same_model(&a.models[0], &b.models[0]);
	assert_int_equal(pipeline_finish(&a, &err), 0);
	assert_int_equal(pipeline_finish(&b, &err), 0);
	assert_true(json_array_size(a.decisions) > k);
	assert_true(same_decisions(&a, k, &b));
	drop_pipeline(&a, &ca);
	drop_pipeline(&b, &cb);
}

/* ---- corruption ---------------------------------------------------- */

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void spit(const char *path, const unsigned char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void assert_fresh(const pipeline *pl, const state_ctx *c)
{
	for (size_t i = 0; i < pl->n_models; i++) {
		assert_int_equal(pl->models[i].win.n_records, 0);
		assert_int_equal(pl->models[i].window_index, 0);
		assert_int_equal(pl->models[i].records, 0);
		assert_int_equal(c->status[i], STATE_MODEL_FRESH);
		assert_int_equal(c->keys[i].n, 0);
	}
	assert_int_equal(pl->join.count, 0);
	assert_int_equal(pl->has_clock, 0);
	assert_int_equal(c->n_offsets, 0);
}

/* A small checkpoint: a few records, labels waiting, one offset. */
static unsigned char *small_checkpoint(char *path, size_t path_size, size_t *len)
{
	pipeline a;
	state_ctx ca;
	kpg_err err;

	make_pipeline(&a, &ca);
	feed(&a, 0, 3);
	assert_int_equal(state_offset_set(&ca, "capture", 0, 3, &err), 0);
	assert_int_equal(state_save(sdir, &a, &ca, &err), 0);
	drop_pipeline(&a, &ca);
	snprintf(path, path_size, "%s/%s", sdir, STATE_FILE);
	return slurp(path, len);
}

static void test_every_flip_and_truncation_detected(void **state)
{
	char path[160];
	size_t len;
	unsigned char *good = small_checkpoint(path, sizeof(path), &len);
	pipeline b;
	state_ctx cb;
	kpg_err err;

	(void)state;
	print_message("flipping each of %zu bytes\n", len);
	make_pipeline(&b, &cb);
	assert_int_equal(state_load(sdir, &b, &cb, &err), 0);
	assert_int_equal(b.models[0].win.n_records, 3);
	for (size_t i = 0; i < len; i++) {
		good[i] ^= 0x01;
		spit(path, good, len);
		good[i] ^= 0x01;
		if (state_load(sdir, &b, &cb, &err) != KPG_EINTEGRITY)
			fail_msg("flipped byte %zu of %zu not detected", i, len);
		assert_fresh(&b, &cb);
	}
	for (size_t n = 0; n < len; n++) {
		spit(path, good, n);
		if (state_load(sdir, &b, &cb, &err) != KPG_EINTEGRITY)
			fail_msg("truncation to %zu of %zu bytes not detected", n, len);
		assert_fresh(&b, &cb);
	}
	spit(path, good, len);
	assert_int_equal(state_load(sdir, &b, &cb, &err), 0);
	drop_pipeline(&b, &cb);
	free(good);
}

/* Version 5, the format before the source cursor: the small checkpoint
 * less its cursor length (the 4 bytes before the end marker), as version
 * 5, resealed. It loads with its windows and offsets and no cursor; a
 * version-6 file whose cursor is cut short is refused. */
static void test_version_5_still_read(void **state)
{
	char path[160];
	size_t len;
	unsigned char *v6 = small_checkpoint(path, sizeof(path), &len);
	unsigned char *v5 = malloc(len);
	const state_offset *o;
	pipeline b;
	state_ctx cb;
	kpg_err err;

	(void)state;
	assert_non_null(v5);
	assert_int_equal(v6[8], STATE_VERSION);
	assert_memory_equal(v6 + len - 40, "STATEEND", 8);
	assert_memory_equal(v6 + len - 44, "\0\0\0\0", 4); /* no cursor */
	memcpy(v5, v6, len - 44);
	memcpy(v5 + len - 44, v6 + len - 40, 8);
	v5[8] = 5;
	assert_int_equal(EVP_Digest(v5, len - 36, v5 + len - 36, NULL, EVP_sha256(), NULL),
			 1);
	spit(path, v5, len - 4);
	make_pipeline(&b, &cb);
	assert_int_equal(state_load(sdir, &b, &cb, &err), 0);
	assert_int_equal(b.models[0].win.n_records, 3);
	o = state_offset_get(&cb, "capture", 0);
	assert_non_null(o);
	assert_int_equal(o->next_offset, 3);
	assert_null(cb.cursor);
	assert_int_equal(cb.cursor_len, 0);
	/* the same bytes as version 6 lack the cursor's length */
	v5[8] = 6;
	assert_int_equal(EVP_Digest(v5, len - 36, v5 + len - 36, NULL, EVP_sha256(), NULL),
			 1);
	spit(path, v5, len - 4);
	assert_int_equal(state_load(sdir, &b, &cb, &err), KPG_EINTEGRITY);
	assert_fresh(&b, &cb);
	assert_null(cb.cursor);
	drop_pipeline(&b, &cb);
	free(v5);
	free(v6);
}

/* A valid checksum over damaged content (a bug, or a crafted file): every
 * byte changed in turn, the checksum recomputed; the load either succeeds
 * or fails cleanly, never crashes, and leaves a usable pipeline. */
static void test_resealed_damage_never_crashes(void **state)
{
	char path[160];
	size_t len, failed = 0;
	unsigned char *good = small_checkpoint(path, sizeof(path), &len);
	unsigned char *bad = malloc(len);
	pipeline b;
	state_ctx cb;
	kpg_err err;

	(void)state;
	assert_non_null(bad);
	make_pipeline(&b, &cb);
	for (size_t i = 8; i < len - 32; i++) {
		for (int v = 0; v < 2; v++) {
			int rc;

			memcpy(bad, good, len);
			bad[i] = v ? 0xFF : (unsigned char)(bad[i] ^ 0x80);
			assert_int_equal(EVP_Digest(bad, len - 32, bad + len - 32, NULL,
						    EVP_sha256(), NULL),
					 1);
			spit(path, bad, len);
			rc = state_load(sdir, &b, &cb, &err);
			assert_true(rc == 0 || rc == KPG_EINTEGRITY || rc == KPG_EINVAL);
			if (rc) {
				failed++;
				assert_fresh(&b, &cb);
			}
			/* the pipeline still works after whatever was loaded */
			feed(&b, 3, 5);
			assert_int_equal(pipeline_finish(&b, &err), 0);
		}
	}
	assert_true(failed > 0);
	drop_pipeline(&b, &cb);
	free(bad);
	free(good);
}

/* ---- policy, schema, temp file, failed saves ----------------------- */

static void test_changed_policy_resets_that_model(void **state)
{
	pipeline a, b;
	state_ctx ca, cb;
	kpg_err err;
	char changed[2048], *p;
	char key[STATE_KEY_LEN];

	(void)state;
	make_pipeline(&a, &ca);
	feed(&a, 0, 70);
	assert_true(a.models[0].windows > 0);
	snprintf(key, sizeof(key), "%s",
		 json_string_value(json_object_get(
			 json_object_get(json_array_get(a.decisions, 0), "decision"),
			 "idempotency_key")));
	assert_int_equal(state_save(sdir, &a, &ca, &err), 0);

	/* the same policy with another accuracy threshold */
	snprintf(changed, sizeof(changed), "%s", policy1);
	p = strstr(changed, "0.8}");
	assert_non_null(p);
	p[2] = '7';
	write_file("p1.json", changed);
	make_pipeline(&b, &cb);
	assert_int_equal(state_load(sdir, &b, &cb, &err), 0);
	assert_int_equal(cb.status[0], STATE_MODEL_RESET_POLICY);
	assert_string_equal(state_model_status_name(cb.status[0]), "reset_policy");
	assert_int_equal(cb.status[1], STATE_MODEL_RESTORED);
	assert_int_equal(b.models[0].win.n_records, 0);
	assert_int_equal(b.models[0].window_index, 0);
	assert_int_equal(b.models[0].windows, 0);
	assert_true(state_keys_seen(&cb, 0, key)); /* decisions taken stay known */
	assert_same_model(&a.models[1], &b.models[1]);
	/* the reset model's waiting predictions still join */
	assert_same_join(&a.join, &b.join);
	drop_pipeline(&b, &cb);
	write_file("p1.json", policy1);

	/* a reference with one more category: schema reset */
	write_refs(1);
	make_pipeline(&b, &cb);
	assert_int_equal(state_load(sdir, &b, &cb, &err), 0);
	assert_int_equal(cb.status[0], STATE_MODEL_RESET_SCHEMA);
	assert_int_equal(cb.status[1], STATE_MODEL_RESTORED);
	assert_int_equal(b.models[0].win.n_records, 0);
	drop_pipeline(&b, &cb);
	write_refs(0);

	/* the model gone from the pipeline: skipped, its predictions dropped */
	{
		policy *pols[1] = {NULL};
		policy_diags diags = {0};
		char path[128];

		snprintf(path, sizeof(path), "%s/p2.json", dir);
		assert_int_equal(policy_load(path, &pols[0], &diags, &err), 0);
		policy_diags_free(&diags);
		assert_int_equal(pipeline_init(&b, pols, 1, NULL, NULL, NULL, &err), 0);
		assert_int_equal(state_ctx_init(&cb, &b, &err), 0);
		assert_int_equal(state_load(sdir, &b, &cb, &err), 0);
		assert_int_equal(cb.status[0], STATE_MODEL_RESTORED);
		assert_int_equal(cb.n_dropped_models, 1);
		assert_true(cb.join_dropped > 0);
		assert_same_model(&a.models[1], &b.models[0]);
		for (size_t k = 0; k < b.join.count; k++)
			assert_true(!b.join.ring[k].live || b.join.ring[k].kind == JOIN_KIND_LABEL ||
				    b.join.ring[k].model == 0);
		drop_pipeline(&b, &cb);
	}
	drop_pipeline(&a, &ca);
}

static void test_leftover_tmp_ignored(void **state)
{
	char path[160], tmp[160];
	size_t len;
	unsigned char *good = small_checkpoint(path, sizeof(path), &len);
	pipeline b;
	state_ctx cb;
	kpg_err err;

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s/%s", sdir, STATE_TMP_FILE);
	spit(tmp, (const unsigned char *)"KPGSTATE half a checkpoint", 26);
	make_pipeline(&b, &cb);
	assert_int_equal(state_load(sdir, &b, &cb, &err), 0);
	assert_int_equal(b.models[0].win.n_records, 3);
	assert_int_not_equal(access(tmp, F_OK), 0);

	/* only a temp file: no checkpoint */
	spit(tmp, good, len / 2);
	assert_int_equal(unlink(path), 0);
	drop_pipeline(&b, &cb);
	make_pipeline(&b, &cb);
	assert_int_equal(state_load(sdir, &b, &cb, &err), KPG_ENOTFOUND);
	assert_int_not_equal(access(tmp, F_OK), 0);
	assert_fresh(&b, &cb);
	drop_pipeline(&b, &cb);
	free(good);
}

static void test_failed_save_keeps_previous(void **state)
{
	char path[160], tmp[160], missing[160];
	size_t len, len2;
	unsigned char *good = small_checkpoint(path, sizeof(path), &len), *now;
	struct rlimit old, small;
	pipeline a;
	state_ctx ca;
	kpg_err err;
	int rc;

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s/%s", sdir, STATE_TMP_FILE);
	snprintf(missing, sizeof(missing), "%s/no-such-dir", dir);
	make_pipeline(&a, &ca);
	feed(&a, 0, 100);
	assert_int_equal(state_save(missing, &a, &ca, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "no-such-dir"));

	/* a full disk, made by a file size limit smaller than the checkpoint */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 512;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	rc = state_save(sdir, &a, &ca, &err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, KPG_EIO);
	assert_int_not_equal(access(tmp, F_OK), 0);
	now = slurp(path, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(now, good, len);
	free(now);

	/* with room again the save goes through and replaces it */
	assert_int_equal(state_save(sdir, &a, &ca, &err), 0);
	now = slurp(path, &len2);
	assert_true(len2 > 512);
	free(now);
	drop_pipeline(&a, &ca);
	free(good);
}

static void test_ctx_limits(void **state)
{
	pipeline a;
	state_ctx ca;
	kpg_err err;
	char topic[STATE_TOPIC_MAX + 2];

	(void)state;
	make_pipeline(&a, &ca);
	memset(topic, 't', sizeof(topic) - 1);
	topic[sizeof(topic) - 1] = '\0';
	assert_int_equal(state_offset_set(&ca, topic, 0, 1, &err), KPG_EINVAL);
	assert_int_equal(state_offset_set(&ca, "", 0, 1, &err), KPG_EINVAL);
	assert_int_equal(state_offset_set(&ca, "t", 0, -1, &err), KPG_EINVAL);
	/* keys: the last STATE_KEYS_KEPT, each once */
	for (int i = 0; i < STATE_KEYS_KEPT + 10; i++) {
		char key[32];

		snprintf(key, sizeof(key), "m1:%d:0", i);
		state_keys_note(&ca, 0, key);
		state_keys_note(&ca, 0, key);
	}
	assert_int_equal(ca.keys[0].n, STATE_KEYS_KEPT);
	assert_false(state_keys_seen(&ca, 0, "m1:9:0"));
	assert_true(state_keys_seen(&ca, 0, "m1:10:0"));
	assert_true(state_keys_seen(&ca, 0, "m1:73:0"));
	assert_false(state_keys_seen(&ca, 1, "m1:73:0"));
	assert_false(state_keys_seen(&ca, 7, "m1:73:0"));
	drop_pipeline(&a, &ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resume_decides_the_same),
		cmocka_unit_test(test_sketched_window_resumes_the_same),
		cmocka_unit_test(test_every_flip_and_truncation_detected),
		cmocka_unit_test(test_resealed_damage_never_crashes),
		cmocka_unit_test(test_version_5_still_read),
		cmocka_unit_test(test_changed_policy_resets_that_model),
		cmocka_unit_test(test_leftover_tmp_ignored),
		cmocka_unit_test(test_failed_save_keeps_previous),
		cmocka_unit_test(test_ctx_limits),
	};

	gsl_set_error_handler_off();
	if (getenv("KPG_TEST_FILTER") != NULL) /* e.g. "*flip*" */
		cmocka_set_test_filter(getenv("KPG_TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
