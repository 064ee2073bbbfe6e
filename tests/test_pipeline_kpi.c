/* KPIs: confusion-matrix metrics, AUC with ties against a brute-force
 * pairwise count, regression errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_rng.h>
#include <math.h>

#include "kpi.h"

#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

/* P(score_pos > score_neg) + 0.5 P(equal), over all pairs. */
static double auc_brute(const kpi_pair *p, size_t n)
{
	double num = 0, pairs = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (p[i].label >= 0.5 && p[j].label < 0.5) {
				pairs++;
				num += p[i].score > p[j].score ? 1 : p[i].score == p[j].score ? 0.5
											      : 0;
			}
	return num / pairs;
}

static void test_auc_matches_pairwise_with_ties(void **state)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	kpi_pair p[600], q[600];

	(void)state;
	for (int rep = 0; rep < 20; rep++) {
		size_t n = 50 + gsl_rng_uniform_int(r, 550);

		for (size_t i = 0; i < n; i++) {
			p[i].label = gsl_rng_uniform(r) < 0.3;
			/* coarse scores: many ties */
			p[i].score = floor((gsl_rng_uniform(r) + 0.3 * p[i].label) * 10) / 10;
			q[i] = p[i];
		}
		assert_near(kpi_auc(p, n), auc_brute(q, n), 1e-12);
	}
	gsl_rng_free(r);
}

static void test_binary_metrics(void **state)
{
	kpi_acc k;
	policy_kpi_value v[KPI__COUNT];
	/* tp: (0.9,1) (0.6,1); fn: (0.2,1); fp: (0.7,0); tn: (0.1,0) (0.3,0) */
	const double s[] = {0.9, 0.6, 0.2, 0.7, 0.1, 0.3};
	const double l[] = {1, 1, 1, 0, 0, 0};

	(void)state;
	assert_int_equal(kpi_init(&k, POLICY_TASK_BINARY, 0.5, 0, NULL), 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(kpi_add(&k, s[i], l[i]), 0);
	kpi_compute(&k, v);
	assert_true(v[KPI_ACCURACY].valid);
	assert_near(v[KPI_ACCURACY].value, 4.0 / 6, 1e-15);
	assert_near(v[KPI_PRECISION].value, 2.0 / 3, 1e-15);
	assert_near(v[KPI_RECALL].value, 2.0 / 3, 1e-15);
	assert_near(v[KPI_F1].value, 2.0 / 3, 1e-15);
	/* positives 0.9 0.6 0.2 vs negatives 0.7 0.1 0.3: 3 + 2 + 1 of 9 pairs */
	assert_near(v[KPI_AUC].value, 6.0 / 9, 1e-15);
	assert_int_equal(v[KPI_AUC].n, 6);
	assert_false(v[KPI_RMSE].valid);
	kpi_reset(&k);
	kpi_add(&k, 0.9, 1);
	kpi_compute(&k, v);
	assert_false(v[KPI_AUC].valid); /* one class only */
	assert_true(v[KPI_ACCURACY].valid);
	kpi_free(&k);
}

static void test_regression_metrics(void **state)
{
	kpi_acc k;
	policy_kpi_value v[KPI__COUNT];

	(void)state;
	assert_int_equal(kpi_init(&k, POLICY_TASK_REGRESSION, 0, 0, NULL), 0);
	kpi_add(&k, 3, 1); /* err 2 */
	kpi_add(&k, 1, 1); /* err 0 */
	kpi_add(&k, 0, 4); /* err -4 */
	kpi_compute(&k, v);
	assert_near(v[KPI_RMSE].value, sqrt(20.0 / 3), 1e-12);
	assert_near(v[KPI_MAE].value, 2.0, 1e-12);
	assert_int_equal(v[KPI_MAE].n, 3);
	assert_false(v[KPI_AUC].valid);
	kpi_free(&k);
}

static void test_pair_cap_keeps_counts_exact(void **state)
{
	kpi_acc k;
	policy_kpi_value v[KPI__COUNT];

	(void)state;
	assert_int_equal(kpi_init(&k, POLICY_TASK_BINARY, 0.5, 2000, NULL), 0);
	for (int i = 0; i < 10000; i++)
		kpi_add(&k, (i % 10) / 10.0, i % 2);
	kpi_compute(&k, v);
	assert_int_equal(k.n_pairs, 2000);
	assert_int_equal(v[KPI_ACCURACY].n, 10000);
	assert_true(v[KPI_AUC].valid);
	kpi_free(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auc_matches_pairwise_with_ties),
		cmocka_unit_test(test_binary_metrics),
		cmocka_unit_test(test_regression_metrics),
		cmocka_unit_test(test_pair_cap_keeps_counts_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
