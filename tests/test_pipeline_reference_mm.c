/* test_pipeline_reference_mm.c - Model Monitor statistics.json as the
 * reference: the flattened KLL sketch reproduces every stored bucket of the
 * real churn baseline, the reference's fields (weights, weight_total, rank
 * error, PSI bins, SHA-256 against sha256sum), categorical buckets,
 * payload order, declarations and their errors, the predicate. The real
 * files are in ../shared (skipped when absent, tests/skips.allow). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kll.h"
#include "mm_statistics.h"
#include "reference_mm.h"

#define SM_DIR KPG_SHARED_DIR "/data/sagemaker"
#define CHURN SM_DIR "/statistics_churn_excerpt.json"
#define SDK_STATS SM_DIR "/sdk_test_statistics_string_feature.json"
#define SDK_CONS SM_DIR "/sdk_test_constraints_string_feature.json"

static void need(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		skip();
}

/* Every file write_tmp made, removed by remove_tmp after the group. */
static char tmp_paths[16][64];
static size_t n_tmp;

static int remove_tmp(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_tmp; i++)
		unlink(tmp_paths[i]);
	n_tmp = 0;
	return 0;
}

static char *write_tmp(const char *text)
{
	char *path;
	FILE *f;
	int fd;

	assert_true(n_tmp < sizeof(tmp_paths) / sizeof(tmp_paths[0]));
	path = tmp_paths[n_tmp++];
	snprintf(path, sizeof(tmp_paths[0]), "/tmp/kpg-mm-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* README's rule: 10 bins [lower, upper), the last closed; a bin's count
 * is the 2^h-weighted count of the sketch items in it. Every one of the
 * 12 x 10 stored counts must come out exactly. */
static void test_buckets_reproduced(void **state)
{
	mm_statistics st;
	kpg_err err;
	size_t checked = 0;
	(void)state;

	need(CHURN);
	assert_int_equal(mm_statistics_load(CHURN, &st, &err), 0);
	assert_int_equal(st.n_features, 12);
	for (size_t i = 0; i < st.n_features; i++) {
		const mm_numeric_stats *ns = &st.features[i].num;
		kll_view v;

		assert_true(st.features[i].has_numeric);
		assert_int_equal(ns->n_buckets, 10);
		assert_int_equal(kll_from_levels((const double *const *)ns->levels,
						 ns->level_len, ns->n_levels, &v, &err),
				 0);
		assert_true(v.total == (double)st.features[i].num_present);
		for (size_t b = 0; b < ns->n_buckets; b++) {
			const mm_kll_bucket *bk = &ns->buckets[b];
			int last = b + 1 == ns->n_buckets;
			double w = 0;

			for (size_t j = 0; j < v.n; j++)
				if (v.values[j] >= bk->lower &&
				    (v.values[j] < bk->upper ||
				     (last && v.values[j] == bk->upper)))
					w += v.weights[j];
			if (w != bk->count)
				fail_msg("%s bucket %zu [%g, %g): sketch %g, stored %g",
					 st.features[i].name, b, bk->lower, bk->upper, w,
					 bk->count);
			checked++;
		}
		/* the bins are min..max in 10 equal steps */
		assert_true(ns->buckets[0].lower == ns->min);
		assert_true(ns->buckets[9].upper == ns->max);
		kll_view_free(&v);
	}
	assert_int_equal(checked, 120);
	mm_statistics_free(&st);
}

static void sha256sum_of(const char *path, char out[65])
{
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, 65, p));
	pclose(p);
}

static void test_churn_reference(void **state)
{
	reference ref;
	reference_options opt = {0};
	kpg_err err = {""};
	char want[65];
	(void)state;

	need(CHURN);
	opt.label_column = "Churn";
	if (reference_load_mm_statistics(CHURN, &opt, &ref, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(ref.source, REFERENCE_SOURCE_MM_STATISTICS);
	sha256sum_of(CHURN, want);
	assert_string_equal(ref.source_sha256, want);
	assert_int_equal(ref.n_rows, 2333);
	assert_int_equal(ref.label_index, -1);
	assert_int_equal(ref.n_features, 11); /* 12 minus the label */
	assert_int_equal(ref.n_payload, 11);
	assert_string_equal(ref.features[0].name, "Account Length");
	assert_string_equal(ref.features[10].name, "CustServ Calls");
	for (size_t i = 0; i < ref.n_features; i++) {
		const reference_feature *f = &ref.features[i];
		double w = 0;

		assert_int_equal(ref.payload_feature[i], (int)i);
		assert_int_equal(f->type, POLICY_FEATURE_NUMERIC);
		assert_true(f->inferred);
		assert_int_equal(f->missing, 0);
		/* README: level 0 holds 283 items, level 1 holds 1025 */
		assert_int_equal(f->n, 283 + 1025);
		assert_true(f->weight_total == 2333);
		assert_true(f->rank_error == kll_rank_error(2048));
		assert_true(f->rank_error > 0.0015 && f->rank_error < 0.002);
		for (size_t j = 0; j < f->n; j++) {
			assert_true(j == 0 || f->sorted[j - 1] <= f->sorted[j]);
			assert_true(f->weights[j] == 1 || f->weights[j] == 2);
			w += f->weights[j];
		}
		assert_true(w == 2333);
		assert_true(f->psi.n_bins >= 2);
	}
	/* "Account Length": min 1, max 243 (the file's numerical_statistics);
	 * a compaction may drop the extremes, never go past them */
	assert_true(ref.features[0].sorted[0] >= 1.0);
	assert_true(ref.features[0].sorted[ref.features[0].n - 1] <= 243.0);
	reference_free(&ref);
}

static void test_string_reference(void **state)
{
	reference ref;
	reference_options opt = {0};
	kpg_err err = {""};
	const char *v = "preproc-not-YET-supported-for-csv-json";
	(void)state;

	need(SDK_STATS);
	if (reference_load_mm_statistics(SDK_STATS, &opt, &ref, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(ref.n_features, 1);
	assert_int_equal(ref.features[0].type, POLICY_FEATURE_CATEGORICAL);
	assert_int_equal(ref.features[0].n_categories, 1);
	assert_string_equal(ref.features[0].category_names[0], v);
	assert_true(ref.features[0].category_counts[0] == 418);
	assert_true(ref.features[0].category_counts[1] == 0); /* unseen */
	assert_int_equal(ref.features[0].n, 418);
	assert_int_equal(reference_category_code(&ref.features[0], v, strlen(v)), 0);
	assert_int_equal(reference_category_code(&ref.features[0], "x", 1), 1);
	reference_free(&ref);
	/* declared numeric: there is no sketch */
	{
		policy_feature decl[] = {{"message", POLICY_FEATURE_NUMERIC}};
		char key[REFERENCE_ERR_KEY_LEN];

		opt.declared = decl;
		opt.n_declared = 1;
		opt.err_key = key;
		assert_int_equal(reference_load_mm_statistics(SDK_STATS, &opt, &ref, &err),
				 KPG_EINVAL);
		assert_non_null(strstr(err.msg, "declared numeric"));
		assert_string_equal(key, "features.message");
	}
}

static void test_predicate(void **state)
{
	(void)state;
	need(CHURN);
	assert_int_equal(reference_is_mm_statistics(CHURN), 1);
	assert_int_equal(reference_is_mm_statistics(SDK_STATS), 1);
	assert_int_equal(reference_is_mm_statistics(SDK_CONS), 0);
	assert_int_equal(reference_is_mm_statistics(write_tmp("a,b\n1,2\n")), 0);
	assert_int_equal(reference_is_mm_statistics("/nonexistent/x.json"), 0);
	assert_int_equal(reference_is_mm_statistics(write_tmp("{\"features\": []}")), 0);
}

#define NUM_FEATURE(name, present, data) \
	"{\"name\": \"" name "\", \"inferred_type\": \"Fractional\"," \
	"\"numerical_statistics\": {\"common\": {\"num_present\": " present \
	", \"num_missing\": 1}, \"mean\": 1, \"sum\": 1, \"std_dev\": 1," \
	"\"min\": 1, \"max\": 9, \"distribution\": {\"kll\": {\"buckets\": []," \
	"\"sketch\": {\"parameters\": {\"c\": 0.64, \"k\": 2048.0}," \
	"\"data\": " data "}}}}}"

#define STR_FEATURE(name) \
	"{\"name\": \"" name "\", \"inferred_type\": \"String\"," \
	"\"string_statistics\": {\"common\": {\"num_present\": 3," \
	"\"num_missing\": 0}, \"distinct_count\": 2, \"distribution\":" \
	"{\"categorical\": {\"buckets\": [{\"value\": \" a \", \"count\": 1}," \
	"{\"value\": \"b\", \"count\": 2}]}}}}"

#define STATS(features) \
	"{\"version\": 0.0, \"dataset\": {\"item_count\": 8}, \"features\": [" features "]}"

static void test_synthetic(void **state)
{
	const char *path;
	reference ref;
	reference_options opt = {0};
	kpg_err err = {""};
	char key[REFERENCE_ERR_KEY_LEN];
	policy_feature decl[] = {{"note", POLICY_FEATURE_IGNORE}};
	char *payload[] = {"s", "note", "x"};
	(void)state;

	/* one level only: exact, rank error 0; num_present 7 = 3 + 2*2 */
	path = write_tmp(STATS(NUM_FEATURE("x", "7", "[[3, 1, 9], [2, 5]]") "," STR_FEATURE("s") ","
												 "{\"name\": \"note\", \"inferred_type\": \"Unknown\"}"));
	opt.err_key = key;
	assert_int_equal(reference_load_mm_statistics(path, &opt, &ref, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "\"Unknown\" with no statistics"));
	assert_string_equal(key, "features.note");
	opt.declared = decl;
	opt.n_declared = 1;
	if (reference_load_mm_statistics(path, &opt, &ref, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(ref.n_features, 2);
	assert_int_equal(ref.n_payload, 3);
	assert_int_equal(ref.n_ignored, 1);
	assert_int_equal(ref.payload_feature[2], REFERENCE_IGNORED);
	assert_string_equal(ref.payload_names[2], "note");
	assert_true(ref.features[0].rank_error != 0); /* level 1 has items */
	assert_true(ref.features[0].weight_total == 7);
	assert_int_equal(ref.features[0].missing, 1);
	assert_int_equal(ref.features[1].n_categories, 2);
	assert_string_equal(ref.features[1].category_names[0], "a"); /* trimmed */
	reference_free(&ref);
	/* payload order */
	opt.payload = payload;
	opt.n_payload = 3;
	assert_int_equal(reference_load_mm_statistics(path, &opt, &ref, &err), 0);
	assert_string_equal(ref.features[0].name, "s");
	assert_string_equal(ref.features[1].name, "x");
	assert_int_equal(ref.payload_feature[1], REFERENCE_IGNORED);
	reference_free(&ref);
	payload[2] = "y";
	assert_int_equal(reference_load_mm_statistics(path, &opt, &ref, &err), KPG_EINVAL);
	assert_string_equal(key, "payload.columns[2]");
	assert_non_null(strstr(err.msg, "\"y\" is not a feature"));
	opt.payload = NULL;
	opt.n_payload = 0;

	/* num_present differs from the weights' sum: num_present is the count */
	path = write_tmp(STATS(NUM_FEATURE("x", "10", "[[3, 1, 9]]")));
	assert_int_equal(reference_load_mm_statistics(path, &opt, &ref, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "'note' is not a feature"));
	opt.n_declared = 0;
	if (reference_load_mm_statistics(path, &opt, &ref, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(ref.features[0].weight_total == 10);
	assert_true(ref.features[0].rank_error == 0); /* level 0 only: exact */
	assert_int_equal(ref.features[0].n, 3);
	assert_non_null(ref.features[0].weights);
	reference_free(&ref);

	/* declared categorical: a sketch has no categories */
	decl[0].name = "x";
	decl[0].type = POLICY_FEATURE_CATEGORICAL;
	opt.n_declared = 1;
	assert_int_equal(reference_load_mm_statistics(path, &opt, &ref, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "cannot be recovered"));
	opt.n_declared = 0;

	/* the sketch's NaN-free, bounded levels are checked by the parser;
	 * here, a bad file's error comes through */
	path = write_tmp(STATS(NUM_FEATURE("x", "3", "[[1, \"2\"]]")));
	assert_int_equal(reference_load_mm_statistics(path, &opt, &ref, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "feature \"x\": numerical_statistics.distribution.kll.sketch.data[0][1] must be a finite number"));
	assert_int_equal(ref.n_features, 0);
	path = write_tmp(STATS(NUM_FEATURE("x", "0", "[]")));
	assert_int_equal(reference_load_mm_statistics(path, &opt, &ref, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "has no values"));
}

/* tests/data/mm (also the fuzz seeds), worked by hand: level 0
 * {6, 1, 3, 2} of weight 1 and level 1 {4, 5} of weight 2 are the sample
 * 1 2 3 4 4 5 5 6; its median (numpy linear, index 3.5) is 4; with 2 PSI
 * bins the edge is 4, and the bins hold 1 2 3 4 4 (5/8) and 5 5 6 (3/8). */
static void test_small_seed(void **state)
{
	reference ref;
	reference_options opt = {0};
	policy_feature decl[] = {{"note", POLICY_FEATURE_IGNORE}};
	mm_constraints c;
	kpg_err err = {""};
	(void)state;

	opt.declared = decl;
	opt.n_declared = 1;
	opt.psi_bins = 2;
	if (reference_load_mm_statistics(KPG_TEST_DATA_DIR "/mm/statistics_small.json",
					 &opt, &ref, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(ref.n_features, 2);
	assert_int_equal(ref.n_rows, 9);
	assert_int_equal(ref.features[0].n, 6);
	assert_true(ref.features[0].weight_total == 8);
	assert_int_equal(ref.features[0].missing, 1);
	assert_int_equal(ref.features[0].psi.n_bins, 2);
	assert_true(ref.features[0].psi.edges[0] == 4.0);
	assert_true(ref.features[0].psi.ref_prop[0] == 5.0 / 8);
	assert_true(ref.features[0].psi.ref_prop[1] == 3.0 / 8);
	assert_true(ref.features[1].category_counts[1] == 5); /* silver */
	reference_free(&ref);
	assert_int_equal(reference_load_mm_constraints(KPG_TEST_DATA_DIR "/mm/constraints_small.json",
						       &c, &err),
			 0);
	assert_int_equal(c.n_features, 2);
	assert_int_equal(c.features[1].overrides.evaluate_constraints, 0);
	assert_int_equal(c.config.categorical_drift_method, MM_CATEGORICAL_LINFINITY);
	mm_constraints_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_reproduced),
		cmocka_unit_test(test_churn_reference),
		cmocka_unit_test(test_string_reference),
		cmocka_unit_test(test_predicate),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_small_seed),
	};

	return cmocka_run_group_tests(tests, NULL, remove_tmp);
}
