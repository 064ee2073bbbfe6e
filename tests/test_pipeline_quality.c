/* Data-quality checks (quality.h): constraints derived from a reference
 * like suggest_baseline, each check on a crafted window (data type with
 * rejected text and fractions in an integral column, non-negativity,
 * completeness, missing and extra columns, categorical values, baseline
 * drift with the KS and L-infinity distances against brute force),
 * per-feature overrides, Java's number format, the audit block and the
 * violations file (schema, description, atomic write), and the real
 * Model Monitor violations sample reproduced check for check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events_quality.h"
#include "quality.h"
#include "quality_file.h"
#include "window.h"

/* ---- fixtures ----------------------------------------------------- */

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kpg-quality-XXXXXX");
	return mkdtemp(tmpdir) == NULL;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) != 0;
}

static void load_ref(const char *name, const char *csv, reference *ref)
{
	char path[128];
	FILE *f;
	kpg_err err;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(csv, f);
	fclose(f);
	if (reference_load(path, &(reference_options){0}, ref, &err) != 0)
		fail_msg("reference: %s", err.msg);
}

/* One instance of up to 8 cells; cells are "" (missing), numbers, or
 * text (anything strtod does not take whole; "nan" and "inf" are
 * non-finite numbers). */
typedef struct rec_builder {
	capture_value v[8];
	size_t off[2];
	capture_record r;
	char text[256];
} rec_builder;

static capture_record *row(rec_builder *b, size_t n, const char *const *cells)
{
	size_t at = 0;

	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < n; i++) {
		char *end;
		double x = strtod(cells[i], &end);
		size_t len = strlen(cells[i]);

		if (len == 0) {
			b->v[i].kind = CAPTURE_VALUE_MISSING;
		} else if (*end == '\0') {
			b->v[i].kind = CAPTURE_VALUE_NUMBER;
			b->v[i].num = x;
		} else {
			b->v[i].kind = CAPTURE_VALUE_STRING;
		}
		b->v[i].str_off = at;
		b->v[i].str_len = b->v[i].kind == CAPTURE_VALUE_MISSING ? 0 : len;
		memcpy(b->text + at, cells[i], len);
		at += len;
	}
	b->off[0] = 0;
	b->off[1] = n;
	b->r.n_instances = 1;
	b->r.instance_off = b->off;
	b->r.values = b->v;
	b->r.text = b->text;
	return &b->r;
}

/* Offers a row as the pipeline does: checked, then added or counted as
 * rejected. Returns the reason. */
static capture_reject offer(window *w, size_t n, const char *const *cells)
{
	rec_builder b;
	capture_record *r = row(&b, n, cells);
	kpg_err err;
	capture_reject why = window_check_record(w, r, &err);

	if (why == CAPTURE_OK)
		assert_int_equal(window_add_record(w, r, 1767571200000LL, &err), 0);
	else
		window_count_rejected(w, r, why);
	return why;
}

static const quality_check *find(const quality_result *r, quality_check_kind k,
				 const char *feature)
{
	char buf[32];

	for (size_t i = 0; i < r->n; i++)
		if (r->checks[i].kind == k &&
		    strcmp(quality_check_feature(&r->checks[i], buf, sizeof(buf)),
			   feature) == 0)
			return &r->checks[i];
	return NULL;
}

static const quality_check *must_find(const quality_result *r,
				      quality_check_kind k, const char *feature)
{
	const quality_check *c = find(r, k, feature);

	if (c == NULL)
		fail_msg("no %s on '%s'", quality_check_name(k), feature);
	return c;
}

/* x integral non-negative, y fractional with a negative, z with 2 of 10
 * cells missing, colour red/blue (red 6, blue 4). */
#define REF_CSV \
	"x,y,z,colour\n" \
	"0,-1.5,1,red\n1,0.5,,red\n2,1.5,3,blue\n3,2.5,4,red\n4,3.5,,blue\n" \
	"5,4.5,6,red\n6,5.5,7,blue\n7,6.5,8,red\n8,7.5,9,blue\n9,8.5,10,red\n"

typedef struct fx {
	reference ref;
	window w;
	quality_constraints qc;
	quality_result res;
} fx;

static void fx_init(fx *f)
{
	kpg_err err;

	memset(f, 0, sizeof(*f));
	load_ref("ref.csv", REF_CSV, &f->ref);
	assert_int_equal(window_init(&f->w, &f->ref, POLICY_TASK_BINARY, 0.5, 0, 0, &err), 0);
	assert_int_equal(quality_constraints_from_reference(&f->ref, &f->qc, &err), 0);
}

static void fx_run(fx *f)
{
	kpg_err err;

	assert_int_equal(quality_run(&f->qc, &f->w, &f->res, &err), 0);
}

static void fx_free(fx *f)
{
	quality_result_free(&f->res);
	quality_constraints_free(&f->qc);
	window_free(&f->w);
	reference_free(&f->ref);
}

#define OFFER(f, ...) \
	offer(&(f)->w, sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *), \
	      (const char *const[]){__VA_ARGS__})

/* ---- constraints from the reference ------------------------------- */

static void test_constraints_from_reference(void **state)
{
	fx f;
	const quality_feature *x, *y, *z, *colour;

	(void)state;
	fx_init(&f);
	assert_int_equal(f.qc.n_features, 4);
	x = &f.qc.features[0];
	y = &f.qc.features[1];
	z = &f.qc.features[2];
	colour = &f.qc.features[3];
	assert_string_equal(x->name, "x");
	assert_int_equal(x->type, QUALITY_TYPE_INTEGRAL);
	assert_int_equal(y->type, QUALITY_TYPE_FRACTIONAL);
	assert_int_equal(z->type, QUALITY_TYPE_INTEGRAL);
	assert_int_equal(colour->type, QUALITY_TYPE_STRING);
	assert_true(x->is_non_negative);
	assert_false(y->is_non_negative);
	assert_true(x->completeness == 1.0);
	assert_true(fabs(z->completeness - 0.8) < 1e-15);
	assert_int_equal(colour->n_domain, 2);
	assert_true(colour->has_domain);
	assert_false(x->has_domain);
	assert_int_equal(colour->ref_index, 3);
	assert_true(isnan(x->datatype_check_threshold));
	assert_true(f.qc.datatype_check_threshold == 1.0);
	assert_true(f.qc.domain_content_threshold == 1.0);
	assert_true(f.qc.comparison_threshold == 0.1);
	assert_int_equal(f.qc.from_file, 0);
	fx_free(&f);
}

/* ---- each check --------------------------------------------------- */

static void test_clean_window_passes(void **state)
{
	fx f;

	(void)state;
	fx_init(&f);
	/* the reference itself: every check passes */
	OFFER(&f, "0", "-1.5", "1", "red");
	OFFER(&f, "1", "0.5", "", "red");
	OFFER(&f, "2", "1.5", "3", "blue");
	OFFER(&f, "3", "2.5", "4", "red");
	OFFER(&f, "4", "3.5", "", "blue");
	OFFER(&f, "5", "4.5", "6", "red");
	OFFER(&f, "6", "5.5", "7", "blue");
	OFFER(&f, "7", "6.5", "8", "red");
	OFFER(&f, "8", "7.5", "9", "blue");
	OFFER(&f, "9", "8.5", "10", "red");
	fx_run(&f);
	assert_int_equal(f.res.n_violations, 0);
	/* x: type, non-negative, completeness, drift; y: type, completeness,
	 * drift; z: the same as x; colour: completeness, values, drift;
	 * missing and extra columns */
	assert_int_equal(f.res.n, 4 + 3 + 4 + 3 + 2);
	assert_true(must_find(&f.res, QUALITY_COMPLETENESS, "z")->value == 0.8);
	assert_true(must_find(&f.res, QUALITY_BASELINE_DRIFT, "x")->value == 0);
	assert_true(must_find(&f.res, QUALITY_BASELINE_DRIFT, "colour")->value == 0);
	fx_free(&f);
}

static void test_data_type_check(void **state)
{
	fx f;
	const quality_check *c;

	(void)state;
	fx_init(&f);
	for (int i = 0; i < 6; i++)
		assert_int_equal(OFFER(&f, "1", "1", "1", "red"), CAPTURE_OK);
	/* a fraction in an integral column: a valid number, in the window,
	 * but not of the type */
	assert_int_equal(OFFER(&f, "2.5", "1", "1", "red"), CAPTURE_OK);
	/* text and a non-finite number: rejected as ever, counted here */
	assert_int_equal(OFFER(&f, "abc", "1", "1", "red"), CAPTURE_REJECT_BAD_VALUE);
	assert_int_equal(OFFER(&f, "1", "inf", "1", "red"), CAPTURE_REJECT_BAD_VALUE);
	assert_int_equal(f.w.n_records, 7);
	assert_int_equal(f.w.cols[0].n, 7);
	assert_int_equal(f.w.cols[0].bad_type, 1);
	assert_int_equal(f.w.cols[1].bad_type, 1);
	fx_run(&f);
	c = must_find(&f.res, QUALITY_DATA_TYPE, "x");
	assert_false(c->passed);
	assert_true(c->value == 6.0 / 8.0); /* 6 integers of 7 numbers + 1 text */
	assert_true(c->threshold == 1.0);
	c = must_find(&f.res, QUALITY_DATA_TYPE, "y"); /* integers are fractional */
	assert_true(c->value == 7.0 / 8.0);
	assert_false(c->passed);
	assert_true(must_find(&f.res, QUALITY_DATA_TYPE, "z")->passed);
	/* no data type check on a categorical feature: any text is a string */
	assert_null(find(&f.res, QUALITY_DATA_TYPE, "colour"));
	/* a lower threshold lets 0.75 pass, and a feature's override wins */
	quality_constraints_thresholds(&f.qc, 0.75, 1.0, 0.1);
	fx_run(&f);
	assert_true(must_find(&f.res, QUALITY_DATA_TYPE, "x")->passed);
	f.qc.features[0].datatype_check_threshold = 0.9;
	fx_run(&f);
	c = must_find(&f.res, QUALITY_DATA_TYPE, "x");
	assert_false(c->passed);
	assert_true(c->threshold == 0.9);
	fx_free(&f);
}

static void test_non_negative_check(void **state)
{
	fx f;
	const quality_check *c;

	(void)state;
	fx_init(&f);
	OFFER(&f, "1", "-3", "1", "red");
	OFFER(&f, "-2", "1", "1", "red");
	OFFER(&f, "3", "1", "1", "red");
	OFFER(&f, "4", "1", "1", "red");
	fx_run(&f);
	c = must_find(&f.res, QUALITY_NON_NEGATIVE, "x");
	assert_false(c->passed);
	assert_true(c->value == 0.75);
	assert_string_equal(quality_check_mm_type(c->kind), "data_type_check");
	/* y had negatives in the reference: no constraint */
	assert_null(find(&f.res, QUALITY_NON_NEGATIVE, "y"));
	assert_true(must_find(&f.res, QUALITY_NON_NEGATIVE, "z")->passed);
	fx_free(&f);
}

static void test_completeness_check(void **state)
{
	fx f;
	const quality_check *c;

	(void)state;
	fx_init(&f);
	/* z: 4 of 5 present = 0.8, the reference's completeness: passes;
	 * x: 4 of 5 against 1.0: fails; colour missing once: fails */
	OFFER(&f, "1", "1", "1", "red");
	OFFER(&f, "1", "1", "", "red");
	OFFER(&f, "", "1", "1", "");
	OFFER(&f, "1", "1", "1", "red");
	OFFER(&f, "1", "1", "1", "blue");
	fx_run(&f);
	c = must_find(&f.res, QUALITY_COMPLETENESS, "z");
	assert_true(c->passed);
	assert_true(c->value == 0.8);
	c = must_find(&f.res, QUALITY_COMPLETENESS, "x");
	assert_false(c->passed);
	assert_true(c->value == 0.8 && c->threshold == 1.0);
	assert_false(must_find(&f.res, QUALITY_COMPLETENESS, "colour")->passed);
	assert_true(must_find(&f.res, QUALITY_COMPLETENESS, "y")->passed);
	/* rejected text is present, not missing */
	window_reset(&f.w);
	OFFER(&f, "1", "1", "1", "red");
	OFFER(&f, "abc", "1", "1", "red");
	fx_run(&f);
	assert_true(must_find(&f.res, QUALITY_COMPLETENESS, "x")->passed);
	fx_free(&f);
}

static void test_column_checks(void **state)
{
	fx f;
	const quality_check *c;
	char buf[32];

	(void)state;
	fx_init(&f);
	for (int i = 0; i < 6; i++)
		OFFER(&f, "1", "1", "1", "red");
	assert_int_equal(OFFER(&f, "1", "1"), CAPTURE_REJECT_FEATURE_COUNT);
	assert_int_equal(OFFER(&f, "1", "1", "1"), CAPTURE_REJECT_FEATURE_COUNT);
	assert_int_equal(OFFER(&f, "1", "1", "1", "red", "x"), CAPTURE_REJECT_FEATURE_COUNT);
	assert_int_equal(OFFER(&f, "1", "1", "1", "red", "x", "y"),
			 CAPTURE_REJECT_FEATURE_COUNT);
	assert_int_equal(f.w.n_records, 6);
	assert_int_equal(f.w.rejected_instances, 4);
	fx_run(&f);
	/* of 10 instances: z lacked by 1, colour by 2 */
	assert_null(find(&f.res, QUALITY_MISSING_COLUMN, "x"));
	c = must_find(&f.res, QUALITY_MISSING_COLUMN, "z");
	assert_false(c->passed);
	assert_true(c->value == 0.9);
	c = must_find(&f.res, QUALITY_MISSING_COLUMN, "colour");
	assert_true(c->value == 0.8);
	c = must_find(&f.res, QUALITY_EXTRA_COLUMN, "_c4");
	assert_false(c->passed);
	assert_true(c->value == 0.8);
	assert_string_equal(quality_check_feature(c, buf, sizeof(buf)), "_c4");
	/* a window without such records: both pass, unnamed */
	window_reset(&f.w);
	OFFER(&f, "1", "1", "1", "red");
	fx_run(&f);
	assert_true(must_find(&f.res, QUALITY_MISSING_COLUMN, "")->passed);
	assert_true(must_find(&f.res, QUALITY_EXTRA_COLUMN, "")->passed);
	/* what fails is the drift of one record of 1s, nothing else */
	for (size_t i = 0; i < f.res.n; i++)
		assert_true(f.res.checks[i].passed ||
			    f.res.checks[i].kind == QUALITY_BASELINE_DRIFT);
	fx_free(&f);
}

static void test_categorical_values_check(void **state)
{
	fx f;
	const quality_check *c;

	(void)state;
	fx_init(&f);
	OFFER(&f, "1", "1", "1", "red");
	OFFER(&f, "1", "1", "1", "blue");
	OFFER(&f, "1", "1", "1", "green");
	OFFER(&f, "1", "1", "1", "red");
	fx_run(&f);
	c = must_find(&f.res, QUALITY_CATEGORICAL_VALUES, "colour");
	assert_false(c->passed);
	assert_true(c->value == 0.75);
	quality_constraints_thresholds(&f.qc, 1.0, 0.7, 0.1);
	fx_run(&f);
	assert_true(must_find(&f.res, QUALITY_CATEGORICAL_VALUES, "colour")->passed);
	/* a domain that names a category the reference lacks (as a
	 * constraints file may): green counts as in the domain */
	{
		quality_feature *qf = &f.qc.features[3];
		char **d = realloc(qf->domain, 3 * sizeof(*d));

		assert_non_null(d);
		qf->domain = d;
		qf->domain[qf->n_domain++] = strdup("green");
		quality_constraints_thresholds(&f.qc, 1.0, 1.0, 0.1);
		fx_run(&f);
		assert_true(must_find(&f.res, QUALITY_CATEGORICAL_VALUES, "colour")->passed);
	}
	fx_free(&f);
}

/* A Model Monitor constraints.json replaces the derived constraints: its
 * domains, completeness, non-negativity and the thresholds of its
 * monitoring_config and of a feature's overrides; a feature the reference
 * lacks is not checked. */
static void test_constraints_file(void **state)
{
	fx f;
	char path[128];
	FILE *fp;
	kpg_err err;
	const quality_check *c;

	(void)state;
	snprintf(path, sizeof(path), "%s/constraints.json", tmpdir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("{\"version\": 0.0, \"features\": ["
	      "{\"name\": \"colour\", \"inferred_type\": \"String\", \"completeness\": 1.0,"
	      " \"string_constraints\": {\"domains\": [\"red\", \"green\"]}},"
	      "{\"name\": \"x\", \"inferred_type\": \"Integral\", \"completeness\": 1.0,"
	      " \"num_constraints\": {\"is_non_negative\": true},"
	      " \"monitoring_config_overrides\": {\"datatype_check_threshold\": 0.5}},"
	      "{\"name\": \"absent\", \"inferred_type\": \"Fractional\", \"completeness\": 1.0}],"
	      " \"monitoring_config\": {\"evaluate_constraints\": \"Enabled\","
	      " \"emit_metrics\": \"Enabled\", \"datatype_check_threshold\": 0.9,"
	      " \"domain_content_threshold\": 0.6,"
	      " \"distribution_constraints\": {\"perform_comparison\": \"Enabled\","
	      " \"comparison_threshold\": 0.2, \"comparison_method\": \"Robust\"}}}",
	      fp);
	fclose(fp);
	fx_init(&f);
	assert_int_equal(quality_constraints_apply_file(&f.qc, path, &f.ref, &err), 0);
	assert_true(f.qc.from_file);
	assert_int_equal(f.qc.n_features, 3);
	assert_true(f.qc.domain_content_threshold == 0.6);
	assert_true(f.qc.datatype_check_threshold == 0.9);
	assert_true(f.qc.comparison_threshold == 0.2);
	assert_true(f.qc.features[1].datatype_check_threshold == 0.5);
	assert_int_equal(f.qc.features[2].ref_index, -1);
	/* blue is outside the file's domain: 2 of 3 values in it, >= 0.6 */
	OFFER(&f, "1", "1", "1", "red");
	OFFER(&f, "2", "1", "1", "blue");
	OFFER(&f, "3", "1", "1", "green");
	fx_run(&f);
	c = must_find(&f.res, QUALITY_CATEGORICAL_VALUES, "colour");
	assert_true(c->value > 0.66 && c->value < 0.67);
	assert_true(c->passed);
	/* a file that is not a constraints.json is an error with a message */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("{\"features\": 3}", fp);
	fclose(fp);
	assert_int_not_equal(quality_constraints_apply_file(&f.qc, path, &f.ref, &err), 0);
	assert_true(strlen(err.msg) > 0);
	fx_free(&f);
}

/* The KS statistic by brute force: the largest CDF difference over every
 * point of either sample. */
static double ks_brute(const double *a, const double *wa, size_t n,
		       const double *b, size_t m)
{
	double d = 0, total = 0;

	for (size_t i = 0; i < n; i++)
		total += wa ? wa[i] : 1;
	for (size_t k = 0; k < n + m; k++) {
		double x = k < n ? a[k] : b[k - n], fa = 0, fb = 0;

		for (size_t i = 0; i < n; i++)
			fa += a[i] <= x ? (wa ? wa[i] : 1) : 0;
		for (size_t j = 0; j < m; j++)
			fb += b[j] <= x;
		d = fmax(d, fabs(fa / total - fb / (double)m));
	}
	return d;
}

/* quality_ks_distance of an unweighted window, asserting it succeeds */
static double ksd(const double *a, const double *wa, size_t n, const double *b,
		  size_t m)
{
	kpg_err err;
	double d = -1;

	assert_int_equal(quality_ks_distance(a, wa, n, b, NULL, m, &d, &err), 0);
	return d;
}

static void test_ks_distance(void **state)
{
	const double a[] = {0, 1, 1, 2, 3, 5, 8};
	const double wa[] = {1, 2, 0.5, 1, 4, 1, 3};
	const double b[] = {-1, 1, 1, 1, 4, 8, 9, 9};
	uint64_t s = 12345;

	(void)state;
	assert_true(fabs(ksd(a, NULL, 7, b, 8) - ks_brute(a, NULL, 7, b, 8)) < 1e-15);
	assert_true(fabs(ksd(a, wa, 7, b, 8) - ks_brute(a, wa, 7, b, 8)) < 1e-15);
	assert_true(ksd(a, NULL, 7, a, 7) == 0);
	assert_true(ksd(a, NULL, 1, b + 4, 1) == 1.0);
	/* random samples with ties */
	for (int t = 0; t < 50; t++) {
		double x[40], y[30];
		size_t n = 1 + t % 40, m = 1 + (t * 7) % 30;

		for (size_t i = 0; i < n; i++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			x[i] = (double)((s >> 33) % 10);
		}
		for (size_t j = 0; j < m; j++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			y[j] = (double)((s >> 33) % 12);
		}
		for (size_t i = 1; i < n; i++) /* insertion sorts */
			for (size_t k = i; k > 0 && x[k] < x[k - 1]; k--) {
				double tmp = x[k];
				x[k] = x[k - 1];
				x[k - 1] = tmp;
			}
		for (size_t i = 1; i < m; i++)
			for (size_t k = i; k > 0 && y[k] < y[k - 1]; k--) {
				double tmp = y[k];
				y[k] = y[k - 1];
				y[k - 1] = tmp;
			}
		assert_true(fabs(ksd(x, NULL, n, y, m) -
				 ks_brute(x, NULL, n, y, m)) < 1e-12);
	}
}

static void test_baseline_drift_check(void **state)
{
	fx f;
	const quality_check *c;

	(void)state;
	fx_init(&f);
	/* x in the window: 0,0,0,9 (unsorted on purpose) against 0..9 */
	OFFER(&f, "9", "1", "1", "red");
	OFFER(&f, "0", "1", "1", "green");
	OFFER(&f, "0", "1", "1", "green");
	OFFER(&f, "0", "1", "1", "blue");
	fx_run(&f);
	c = must_find(&f.res, QUALITY_BASELINE_DRIFT, "x");
	/* at 0: window 0.75, reference 0.1 */
	assert_true(fabs(c->value - 0.65) < 1e-15);
	assert_false(c->passed);
	assert_true(c->threshold == 0.1);
	assert_true(f.w.cols[0].values[0] == 0 && f.w.cols[0].values[3] == 9);
	/* colour: reference red 0.6, blue 0.4; window red 0.25, blue 0.25,
	 * green 0.5: L-infinity 0.5 (green) */
	c = must_find(&f.res, QUALITY_BASELINE_DRIFT, "colour");
	assert_true(fabs(c->value - 0.5) < 1e-15);
	assert_false(c->passed);
	/* the threshold is "greater than": exactly at it passes */
	quality_constraints_thresholds(&f.qc, 1.0, 1.0, 0.5);
	fx_run(&f);
	assert_true(must_find(&f.res, QUALITY_BASELINE_DRIFT, "colour")->passed);
	fx_free(&f);
}

/* ---- Model Monitor's words and files ------------------------------ */

static void test_format_double(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{0.0, "0.0"},
		{1.0, "1.0"},
		{0.4994994994994995, "0.4994994994994995"},
		{9.0 / 999, "0.009009009009009009"},
		{986.0 / 999, "0.986986986986987"},
		{0.001, "0.001"},
		{0.0001, "1.0E-4"},
		{1.25e-7, "1.25E-7"},
		{123.456, "123.456"},
		{-2.5, "-2.5"},
		{1e7, "1.0E7"},
		{9999999.0, "9999999.0"},
		{100.0, "100.0"},
	};
	char buf[40];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		quality_format_double(cases[i].v, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("%.17g: got %s, want %s", cases[i].v, buf, cases[i].want);
	}
}

static void test_audit_block_and_file(void **state)
{
	fx f;
	json_t *q, *doc, *v;
	char path[256], dir[128];
	json_error_t je;
	struct stat st;
	kpg_err err;

	(void)state;
	fx_init(&f);
	OFFER(&f, "1", "1", "1", "green");
	OFFER(&f, "1", "1", "", "red");
	fx_run(&f);
	assert_true(f.res.n_violations > 0);
	q = events_quality(&f.res, &f.qc);
	assert_non_null(q);
	assert_int_equal(json_integer_value(json_object_get(q, "checks")), f.res.n);
	assert_string_equal(json_string_value(json_object_get(q, "constraints")), "reference");
	v = json_object_get(q, "violations");
	assert_int_equal(json_array_size(v), f.res.n_violations);
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);

		assert_int_equal(json_object_size(e), 5);
		assert_non_null(json_object_get(e, "feature"));
		assert_non_null(json_object_get(e, "check"));
		assert_true(json_is_number(json_object_get(e, "value")));
		assert_true(json_is_number(json_object_get(e, "threshold")));
		assert_non_null(strstr(json_string_value(json_object_get(e, "description")),
				       " does not meet the constraint requirement! "));
	}
	json_decref(q);

	snprintf(dir, sizeof(dir), "%s/violations", tmpdir);
	assert_int_equal(quality_write_violations(dir, "churn", 1767571200000LL, &f.res, &err), 0);
	snprintf(path, sizeof(path), "%s/churn/2026-01-05T00-00-00Z/constraint_violations.json", dir);
	doc = json_load_file(path, 0, &je);
	if (doc == NULL)
		fail_msg("%s: %s", path, je.text);
	assert_int_equal(json_object_size(doc), 1);
	v = json_object_get(doc, "violations");
	assert_int_equal(json_array_size(v), f.res.n_violations);
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);
		const char *type = json_string_value(json_object_get(e, "constraint_check_type"));
		const char *desc = json_string_value(json_object_get(e, "description"));

		assert_int_equal(json_object_size(e), 3);
		assert_non_null(json_string_value(json_object_get(e, "feature_name")));
		assert_non_null(type);
		assert_non_null(strstr("data_type_check completeness_check baseline_drift_check "
				       "missing_column_check extra_column_check categorical_values_check",
				       type));
		assert_int_equal(strncmp(desc, "Value: ", 7), 0);
		assert_string_equal(desc + strlen(desc) - 43,
				    " does not meet the constraint requirement! ");
	}
	json_decref(doc);
	/* written again: replaced, no temporary file left */
	assert_int_equal(quality_write_violations(dir, "churn", 1767571200000LL, &f.res, &err), 0);
	snprintf(path, sizeof(path),
		 "%s/churn/2026-01-05T00-00-00Z/.constraint_violations.json.tmp", dir);
	assert_int_not_equal(stat(path, &st), 0);
	fx_free(&f);
}

static void test_window_stamp(void **state)
{
	char buf[40];

	(void)state;
	quality_window_stamp(1767571200000LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-01-05T00-00-00Z");
	quality_window_stamp(1767571200999LL + 3723000, buf, sizeof(buf));
	assert_string_equal(buf, "2026-01-05T01-02-03Z");
}

/* ---- the real sample ---------------------------------------------- */

/* sdk_test_constraint_violations.json (aws/sagemaker-python-sdk): seven
 * violations of three check types on 999 records. A reference of the
 * same features and a window of 999 records whose shares are exactly the
 * sample's values reproduce the file: the same features, check types and
 * descriptions, in the same order. */
static void test_real_violations_sample(void **state)
{
	static const char *const names[] = {"store_and_fwd_flag", "fare_amount",
					    "total_amount", "congestion_surcharge",
					    "tolls_amount", "extra", "tip_amount"};
	/* per numeric feature, how many of 999 values are integers */
	static const int integral[] = {0, 499, 986, 0, 973, 985, 497};
	char path[512], csv[4096];
	size_t at;
	json_t *want, *got;
	json_error_t je;
	fx f;
	kpg_err err;

	(void)state;
	snprintf(path, sizeof(path), "%s/data/sagemaker/sdk_test_constraint_violations.json",
		 KPG_SHARED_DIR);
	if (access(path, R_OK) != 0)
		skip(); /* tests/skips.allow: the shared data is absent */
	want = json_load_file(path, 0, &je);
	if (want == NULL)
		fail_msg("%s: %s", path, je.text);

	at = (size_t)snprintf(csv, sizeof(csv), "%s,%s,%s,%s,%s,%s,%s\n", names[0],
			      names[1], names[2], names[3], names[4], names[5], names[6]);
	for (int i = 0; i < 20; i++)
		at += (size_t)snprintf(csv + at, sizeof(csv) - at, "%s,%d,%d,%d,%d,%d,%d\n",
				       i % 2 ? "N" : "Y", i, i + 2, i % 3, i % 4, i % 5, i % 6);
	memset(&f, 0, sizeof(f));
	load_ref("taxi.csv", csv, &f.ref);
	assert_int_equal(window_init(&f.w, &f.ref, POLICY_TASK_BINARY, 0.5, 0, 0, &err), 0);
	assert_int_equal(quality_constraints_from_reference(&f.ref, &f.qc, &err), 0);
	/* no distance can exceed 1: only the sample's three check types */
	quality_constraints_thresholds(&f.qc, 1.0, 1.0, 1.0);
	for (int r = 0; r < 999; r++) {
		char cells[7][24];
		const char *p[7];

		/* 9 of 999 flags in the domain */
		snprintf(cells[0], sizeof(cells[0]), "%s", r < 9 ? "N" : "?");
		for (int k = 1; k < 7; k++)
			snprintf(cells[k], sizeof(cells[k]), r < integral[k] ? "%d" : "%d.5",
				 r % 7);
		cells[3][0] = '\0'; /* congestion_surcharge: never there */
		for (int k = 0; k < 7; k++)
			p[k] = cells[k];
		assert_int_equal(offer(&f.w, 7, p), CAPTURE_OK);
	}
	fx_run(&f);
	got = events_quality_violations(&f.res);
	assert_non_null(got);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_INDENT(2)), *w = json_dumps(want, JSON_INDENT(2));

		fail_msg("got\n%s\nwant\n%s", g, w);
	}
	json_decref(got);
	json_decref(want);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constraints_from_reference),
		cmocka_unit_test(test_clean_window_passes),
		cmocka_unit_test(test_data_type_check),
		cmocka_unit_test(test_non_negative_check),
		cmocka_unit_test(test_completeness_check),
		cmocka_unit_test(test_column_checks),
		cmocka_unit_test(test_categorical_values_check),
		cmocka_unit_test(test_constraints_file),
		cmocka_unit_test(test_ks_distance),
		cmocka_unit_test(test_baseline_drift_check),
		cmocka_unit_test(test_format_double),
		cmocka_unit_test(test_audit_block_and_file),
		cmocka_unit_test(test_window_stamp),
		cmocka_unit_test(test_real_violations_sample),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
