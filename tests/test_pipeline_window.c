/* Windows: schema checks with their reasons, missing values counted per
 * feature, categorical codes (including unseen), a sketch past the exact
 * limit, reset keeping buffers; evaluation against the reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evaluate.h"
#include "policy.h"
#include "policy_keys.h"
#include "window.h"

static char ref_path[64];
static reference ref;

static int setup(void **state)
{
	FILE *f;
	int fd;

	(void)state;
	snprintf(ref_path, sizeof(ref_path), "/tmp/kpg-win-XXXXXX");
	fd = mkstemp(ref_path);
	f = fdopen(fd, "w");
	fputs("x,colour\n", f);
	for (int i = 0; i < 200; i++)
		fprintf(f, "%d,%s\n", i % 10, i % 2 ? "red" : "blue");
	fclose(f);
	return reference_load(ref_path, &(reference_options){0}, &ref, NULL);
}

static int teardown(void **state)
{
	(void)state;
	reference_free(&ref);
	unlink(ref_path);
	return 0;
}

/* A hand-made decoded record of one or two instances. */
typedef struct rec_builder {
	capture_value v[8];
	size_t off[4];
	capture_record r;
	char text[64];
} rec_builder;

static capture_record *record(rec_builder *b, size_t n_inst, size_t per,
			      const capture_value *vals, const char *text)
{
	memset(b, 0, sizeof(*b));
	memcpy(b->v, vals, n_inst * per * sizeof(*vals));
	for (size_t i = 0; i <= n_inst; i++)
		b->off[i] = i * per;
	snprintf(b->text, sizeof(b->text), "%s", text);
	b->r.n_instances = n_inst;
	b->r.instance_off = b->off;
	b->r.values = b->v;
	b->r.text = b->text;
	return &b->r;
}

#define NUM(x) \
	{ \
		(x), 0, 0, CAPTURE_VALUE_NUMBER \
	}
#define STR(off, len) \
	{ \
		0, (off), (len), CAPTURE_VALUE_STRING \
	}
#define MISSING \
	{ \
		0, 0, 0, CAPTURE_VALUE_MISSING \
	}

static void test_checks_and_reasons(void **state)
{
	window w;
	rec_builder b;
	kpg_err err;
	const capture_value ok[] = {NUM(3), STR(0, 3)};
	const capture_value short_[] = {NUM(3)};
	const capture_value text[] = {STR(4, 3), STR(0, 3)};
	const capture_value nan_[] = {NUM(NAN), STR(0, 3)};

	(void)state;
	assert_int_equal(window_init(&w, &ref, POLICY_TASK_BINARY, 0.5, 0, 0, &err), 0);
	assert_int_equal(window_check_record(&w, record(&b, 1, 2, ok, "red"), &err), CAPTURE_OK);
	assert_int_equal(window_check_record(&w, record(&b, 1, 1, short_, ""), &err),
			 CAPTURE_REJECT_FEATURE_COUNT);
	assert_non_null(strstr(err.msg, "1 features, the reference has 2"));
	assert_int_equal(window_check_record(&w, record(&b, 1, 2, text, "red abc"), &err),
			 CAPTURE_REJECT_BAD_VALUE);
	assert_non_null(strstr(err.msg, "text 'abc' in a numeric column"));
	assert_int_equal(window_check_record(&w, record(&b, 1, 2, nan_, "red"), &err),
			 CAPTURE_REJECT_BAD_VALUE);
	window_free(&w);
}

static void test_add_counts_missing_and_categories(void **state)
{
	window w;
	rec_builder b;
	kpg_err err;
	/* two instances: (7, red) and (missing, green: unseen) */
	const capture_value two[] = {NUM(7), STR(0, 3), MISSING, STR(4, 5)};
	const capture_value num_cat[] = {NUM(1), NUM(2)}; /* category given as a number */

	(void)state;
	assert_int_equal(window_init(&w, &ref, POLICY_TASK_BINARY, 0.5, 0, 0, &err), 0);
	assert_int_equal(window_add_record(&w, record(&b, 2, 2, two, "red green"), 1000, &err), 0);
	assert_int_equal(w.n_records, 2);
	assert_int_equal(w.cols[0].n, 1);
	assert_int_equal(w.cols[0].missing, 1);
	assert_true(w.cols[1].counts[reference_category_code(&ref.features[1], "red", 3)] == 1);
	assert_true(w.cols[1].counts[ref.features[1].n_categories] == 1); /* unseen */
	assert_int_equal(window_add_record(&w, record(&b, 1, 2, num_cat, ""), 500, &err), 0);
	assert_true(w.cols[1].counts[ref.features[1].n_categories] == 2); /* "2" unseen */
	assert_true(w.start_ms == 500 && w.end_ms == 1000);
	window_reset(&w);
	assert_int_equal(w.n_records, 0);
	assert_int_equal(w.cols[0].n, 0);
	assert_true(w.cols[0].cap > 0); /* buffers kept */
	window_free(&w);
}

/* The drift defaults of a policy file, from the key table. */
static void default_drift(policy *p)
{
	double v = 0;

	memset(p, 0, sizeof(*p));
	policy_key_default("drift.psi_bins", &v);
	p->psi_bins = (unsigned)v;
	policy_key_default("drift.psi_threshold", &p->psi_threshold);
	policy_key_default("drift.ks_p_value", &p->ks_p_value);
	policy_key_default("drift.ks_min_statistic", &p->ks_min_statistic);
	policy_key_default("drift.max_noise_alarm", &p->max_noise_alarm);
	policy_key_default("drift.min_values_per_bin", &v);
	p->min_values_per_bin = (unsigned)v;
	policy_drift_defaults(p);
}

static void test_evaluate_same_distribution_does_not_drift(void **state)
{
	window w;
	rec_builder b;
	kpg_err err;
	policy_feature_eval fe[2];
	policy_window_eval ev = {.features = fe};
	drift_plan plans[2];
	policy p;

	(void)state;
	default_drift(&p);
	plans[0] = p.drift_numeric;
	plans[1] = p.drift_categorical;
	policy_drift_inputs(&p, &ev);
	ev.plans = plans;
	assert_int_equal(window_init(&w, &ref, POLICY_TASK_BINARY, 0.5, 0, 0, &err), 0);
	for (int i = 0; i < 200; i++) {
		const capture_value v[] = {NUM(i % 10), STR(0, i % 2 ? 3 : 4)};

		window_add_record(&w, record(&b, 1, 2, v, i % 2 ? "red" : "blue"), i, &err);
	}
	assert_int_equal(evaluate_window(&ref, &w, &ev, &err), 0);
	assert_int_equal(ev.n_records, 200);
	assert_true(fe[0].has_ks && fe[0].ks_statistic == 0 && fe[0].ks_p_value == 1);
	assert_true(fabs(fe[0].psi) < 1e-12);
	assert_int_equal(fe[0].n_results, 2);
	assert_int_equal(fe[0].results[0].kind, DRIFT_PSI);
	assert_int_equal(fe[0].results[1].kind, DRIFT_KS);
	assert_false(fe[1].has_ks);
	assert_true(fabs(fe[1].psi) < 1e-12);
	assert_int_equal(fe[1].n_results, 1);
	assert_int_equal(fe[1].unseen, 0);
	window_free(&w);
}

/* New categories are counted and named; a window too small for its bins
 * reports PSI without judging it. */
static void test_evaluate_unseen_and_small_windows(void **state)
{
	window w;
	rec_builder b;
	kpg_err err;
	policy_feature_eval fe[2];
	policy_window_eval ev = {.features = fe};
	drift_plan plans[2];
	policy p;

	(void)state;
	default_drift(&p);
	plans[0] = p.drift_numeric;
	plans[1] = p.drift_categorical;
	policy_drift_inputs(&p, &ev);
	ev.plans = plans;
	assert_int_equal(window_init(&w, &ref, POLICY_TASK_BINARY, 0.5, 0, 0, &err), 0);
	for (int i = 0; i < 12; i++) {
		const char *c = i < 5 ? "green" : i < 7 ? "pink"
							: "red";
		const capture_value v[] = {NUM(i % 10), STR(0, strlen(c))};

		window_add_record(&w, record(&b, 1, 2, v, c), i, &err);
	}
	assert_int_equal(w.cols[1].unseen.n, 2);
	assert_string_equal(w.cols[1].unseen.names[0], "green");
	assert_true(w.cols[1].unseen.counts[0] == 5);
	assert_int_equal(evaluate_window(&ref, &w, &ev, &err), 0);
	assert_int_equal(fe[1].unseen, 7);
	/* 12 values for 2 categories + unseen: fewer than 10 per bin */
	assert_int_equal(fe[1].results[0].skip, DRIFT_SKIP_FEW_VALUES);
	assert_true(fe[1].results[0].value > 0.2); /* reported all the same */
	/* the next window forgets the names */
	window_reset(&w);
	assert_int_equal(w.cols[1].unseen.n, 0);
	window_free(&w);
}

/* Past max_exact a numeric column moves into a KLL sketch: memory stays
 * bounded, the count, the quality tallies and the event span stay exact,
 * the statistics carry the sketch's error and stay within it of the exact
 * ones, and the same values give the same sketch (replays agree). */
static void fill_sketched(window *w, int from, int to)
{
	rec_builder b;
	kpg_err err;

	for (int i = from; i < to; i++) {
		/* a shifted, skewed mix with negatives and fractions */
		double x = (double)((i * 7919) % 1000) / 100.0 - 2.0 + (i % 3 == 0 ? 0.5 : 0);
		const capture_value v[] = {NUM(x), STR(0, 3)};

		assert_int_equal(window_add_record(w, record(&b, 1, 2, v, "red"), i, &err), 0);
	}
}

static void test_past_max_exact_keeps_a_sketch(void **state)
{
	window w, again;
	kpg_err err;
	policy_feature_eval fe[2], fx;
	policy_window_eval ev = {.features = fe};
	drift_plan plans[2];
	window_sample s, t;
	double *exact = malloc(50000 * sizeof(double));
	uint64_t integers, negatives, want_int = 0, want_neg = 0;
	policy p;

	(void)state;
	assert_non_null(exact);
	assert_int_equal(window_init(&w, &ref, POLICY_TASK_BINARY, 0.5, 1000, 100, &err), 0);
	fill_sketched(&w, 0, 1000);
	assert_null(w.cols[0].sketch); /* exact up to max_exact */
	assert_int_equal(w.cols[0].n, 1000);
	fill_sketched(&w, 1000, 50000);
	assert_non_null(w.cols[0].sketch);
	assert_int_equal(w.cols[0].n, 0);
	assert_true(w.cols[0].cap <= 1000); /* the exact buffer never grew past it */
	assert_int_equal(window_column_count(&w.cols[0]), 50000);
	assert_true(kll_retained(w.cols[0].sketch) < 3 * 100 + 8 * 16);
	assert_int_equal(w.n_records, 50000);
	assert_true(w.start_ms == 0 && w.end_ms == 49999);
	for (int i = 0; i < 50000; i++) {
		exact[i] = (double)((i * 7919) % 1000) / 100.0 - 2.0 + (i % 3 == 0 ? 0.5 : 0);
		want_int += exact[i] == floor(exact[i]);
		want_neg += exact[i] < 0;
	}
	window_column_tallies(&w.cols[0], &integers, &negatives);
	assert_int_equal(integers, want_int);
	assert_int_equal(negatives, want_neg);

	/* the same values, the same sketch */
	assert_int_equal(window_init(&again, &ref, POLICY_TASK_BINARY, 0.5, 1000, 100, &err), 0);
	fill_sketched(&again, 0, 50000);
	assert_int_equal(window_column_sample(&w.cols[0], &s, &err), 0);
	assert_int_equal(window_column_sample(&again.cols[0], &t, &err), 0);
	assert_int_equal(s.len, t.len);
	assert_memory_equal(s.values, t.values, s.len * sizeof(double));
	assert_memory_equal(s.weights, t.weights, s.len * sizeof(double));
	assert_true(s.total == 50000);
	assert_true(s.error == kll_rank_error(100));
	window_sample_free(&t);
	window_sample_free(&s);
	window_free(&again);

	/* KS and Wasserstein against the exact values: within the error */
	default_drift(&p);
	p.drift_numeric.n_checks = 0;
	plans[0] = p.drift_numeric;
	plans[0].checks[plans[0].n_checks++] = (drift_check){.kind = DRIFT_KS, .threshold = 0.01, .min_effect = 0.1};
	plans[0].checks[plans[0].n_checks++] = (drift_check){.kind = DRIFT_WASSERSTEIN, .threshold = 0.1};
	plans[0].checks[plans[0].n_checks++] = (drift_check){.kind = DRIFT_PSI, .threshold = 0.2};
	plans[1] = p.drift_categorical;
	policy_drift_inputs(&p, &ev);
	ev.plans = plans;
	assert_int_equal(evaluate_window(&ref, &w, &ev, &err), 0);
	assert_true(fe[0].sketched);
	assert_true(fe[0].sketch_error == kll_rank_error(100));
	assert_int_equal(fe[0].n, 50000);
	assert_int_equal(evaluate_numeric(&ref.features[0], exact, 50000, &ev, &plans[0], &fx, &err), 0);
	assert_false(fx.sketched);
	for (size_t i = 0; i < 3; i++) {
		const drift_result *a = &fe[0].results[i], *e = &fx.results[i];

		assert_int_equal(a->kind, e->kind);
		assert_true(a->error > 0);
		assert_true(e->error == 0);
		if (a->kind != DRIFT_PSI) /* PSI's error bounds bin shares */
			assert_true(fabs(a->value - e->value) <= a->error);
	}
	/* the window moved well away from the reference: KS is sure of it */
	assert_true(fe[0].results[0].value - fe[0].results[0].error > 0.1);
	assert_false(fe[0].results[0].approximate);
	/* a reset frees the sketch; the next window starts exact */
	window_reset(&w);
	assert_null(w.cols[0].sketch);
	assert_int_equal(window_column_count(&w.cols[0]), 0);
	window_free(&w);
	free(exact);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checks_and_reasons),
		cmocka_unit_test(test_add_counts_missing_and_categories),
		cmocka_unit_test(test_past_max_exact_keeps_a_sketch),
		cmocka_unit_test(test_evaluate_same_distribution_does_not_drift),
		cmocka_unit_test(test_evaluate_unseen_and_small_windows),
	};
	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, setup, teardown);
}
