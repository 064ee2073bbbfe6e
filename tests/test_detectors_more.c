/* test_detectors_more.c - what needs no scipy in chi2, divergence,
 * wasserstein, correction, psi_evidently and psi_bin_counts: closed forms
 * (the 2 x 2 table, disjoint and identical histograms, a shift), invariances
 * (weights as multiplicities, scaled counts, symmetry), the edge cases the
 * headers promise (one kept category, zero std, n = 0) and every rejected
 * input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_errno.h>

#include "chi2.h"
#include "correction.h"
#include "divergence.h"
#include "psi.h"
#include "psi_evidently.h"
#include "wasserstein.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static void assert_close(double got, double want, double rel)
{
	if (!(fabs(got - want) <= rel * fabs(want)) && got != want)
		fail_msg("%.17g differs from %.17g by more than %g relative", got,
			 want, rel);
}

/* ---- chi-square ---- */

/* Textbook 2 x 2 forms: Yates' chi2 = N (|ad - bc| - N/2)^2 / (row and
 * column totals) when |ad - bc| > N/2; phi = (ad - bc) / sqrt(same); with
 * one degree of freedom p = erfc(sqrt(chi2 / 2)). */
static void test_chi2_2x2_closed_form(void **state)
{
	static const double tables[][4] = {{10, 20, 30, 40}, {120, 80, 95, 105}, {3, 17, 12, 9}, {1000, 1, 990, 15}};
	size_t t;

	(void)state;
	for (t = 0; t < N_ELEM(tables); t++) {
		double a = tables[t][0], b = tables[t][1], c = tables[t][2],
		       d = tables[t][3];
		double ref[2] = {a, b}, cur[2] = {c, d}, n = a + b + c + d;
		double den = (a + b) * (c + d) * (a + c) * (b + d);
		double x = fabs(a * d - b * c) - n / 2;
		chi2_result r;
		kpg_err err;

		assert_true(x > 0);
		assert_int_equal(chi2_homogeneity(ref, cur, 2, &r, &err), 0);
		assert_int_equal(r.dof, 1);
		assert_int_equal(r.yates, 1);
		assert_int_equal(r.kept, 2);
		assert_close(r.statistic, n * x * x / den, 1e-12);
		assert_close(r.cramers_v, fabs(a * d - b * c) / sqrt(den), 1e-12);
		assert_close(r.p_value, erfc(sqrt(r.statistic / 2)), 1e-10);
	}
}

/* Yates never moves a cell past its expectation: a table within 0.5 of
 * independence gives 0, p = 1; V still sees the uncorrected difference. */
static void test_chi2_yates_capped(void **state)
{
	double ref[] = {5, 5}, cur[] = {5, 6};
	chi2_result r;
	kpg_err err;

	(void)state;
	assert_int_equal(chi2_homogeneity(ref, cur, 2, &r, &err), 0);
	assert_true(r.yates);
	assert_true(r.statistic == 0.0);
	assert_true(r.p_value == 1.0);
	assert_true(r.cramers_v > 0.0);
}

static void test_chi2_drops_empty_categories(void **state)
{
	double ref[] = {0, 40, 0, 25, 35, 0}, cur[] = {0, 30, 0, 40, 10, 0};
	double ref3[] = {40, 25, 35}, cur3[] = {30, 40, 10};
	chi2_result r, r3;
	kpg_err err;

	(void)state;
	assert_int_equal(chi2_homogeneity(ref, cur, 6, &r, &err), 0);
	assert_int_equal(chi2_homogeneity(ref3, cur3, 3, &r3, &err), 0);
	assert_int_equal(r.kept, 3);
	assert_int_equal(r.dof, 2);
	assert_false(r.yates);
	assert_true(r.statistic == r3.statistic);
	assert_true(r.p_value == r3.p_value);
	assert_true(r.cramers_v == r3.cramers_v);
	/* p > 0 below the upper tail, both rows interchangeable */
	assert_int_equal(chi2_homogeneity(cur, ref, 6, &r3, &err), 0);
	assert_close(r3.statistic, r.statistic, 1e-14);
}

static void test_chi2_one_category(void **state)
{
	double ref[] = {0, 17, 0}, cur[] = {0, 4, 0};
	chi2_result r;
	kpg_err err;

	(void)state;
	assert_int_equal(chi2_homogeneity(ref, cur, 3, &r, &err), 0);
	assert_int_equal(r.kept, 1);
	assert_int_equal(r.dof, 0);
	assert_false(r.yates);
	assert_true(r.statistic == 0.0 && r.p_value == 1.0 && r.cramers_v == 0.0);
	/* k == 1 is the same case */
	assert_int_equal(chi2_homogeneity(ref + 1, cur + 1, 1, &r, &err), 0);
	assert_int_equal(r.dof, 0);
}

static void test_chi2_disjoint_and_far_tail(void **state)
{
	double ref[] = {1e6, 1e6, 0, 0}, cur[] = {0, 0, 1e6, 1e6};
	chi2_result r;
	kpg_err err;

	(void)state;
	assert_int_equal(chi2_homogeneity(ref, cur, 4, &r, &err), 0);
	assert_close(r.statistic, 4e6, 1e-12); /* N * (rows - 1) */
	assert_true(r.p_value == 0.0);         /* underflow is 0, not an error */
	assert_close(r.cramers_v, 1.0, 1e-12);
}

static void test_chi2_rejects(void **state)
{
	double ok[] = {1, 2}, neg[] = {1, -1}, nan_[] = {1, NAN},
	       inf_[] = {1, INFINITY}, zero[] = {0, 0};
	chi2_result r;
	kpg_err err;

	(void)state;
	assert_int_equal(chi2_homogeneity(NULL, ok, 2, &r, &err), KPG_EINVAL);
	assert_int_equal(chi2_homogeneity(ok, ok, 0, &r, &err), KPG_EINVAL);
	assert_int_equal(chi2_homogeneity(ok, ok, 2, NULL, &err), KPG_EINVAL);
	assert_int_equal(chi2_homogeneity(ok, neg, 2, &r, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "negative"));
	assert_int_equal(chi2_homogeneity(nan_, ok, 2, &r, &err), KPG_EINVAL);
	assert_int_equal(chi2_homogeneity(ok, inf_, 2, &r, &err), KPG_EINVAL);
	assert_int_equal(chi2_homogeneity(zero, ok, 2, &r, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "reference"));
	assert_int_equal(chi2_homogeneity(ok, zero, 2, &r, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "current"));
}

/* ---- Jensen-Shannon, Hellinger ---- */

static void test_divergence_closed_forms(void **state)
{
	double p[] = {3, 1, 0, 0}, q[] = {0, 0, 5, 5}, p10[] = {30, 10, 0, 0};
	double v, w;
	kpg_err err;

	(void)state;
	/* disjoint: JS = 1 in base 2, sqrt(ln 2) in base e; Hellinger 1 */
	assert_int_equal(divergence_js(p, q, 4, 2.0, &v, &err), 0);
	assert_close(v, 1.0, 1e-15);
	assert_int_equal(divergence_js(p, q, 4, M_E, &v, &err), 0);
	assert_close(v, sqrt(log(2.0)), 1e-15);
	assert_int_equal(divergence_hellinger(p, q, 4, &v, &err), 0);
	assert_close(v, 1.0, 1e-15);
	/* identical up to scale: 0 */
	assert_int_equal(divergence_js(p, p10, 4, 2.0, &v, &err), 0);
	assert_true(v == 0.0);
	assert_int_equal(divergence_hellinger(p, p10, 4, &v, &err), 0);
	assert_true(v == 0.0);
	/* two bins by hand: p = (1, 0), q = (1/2, 1/2): m = (3/4, 1/4),
	 * KL(p||m) = ln(4/3), KL(q||m) = (1/2) ln(2/3) + (1/2) ln 2 */
	{
		double a[] = {1, 0}, b[] = {1, 1};
		double js = (log(4.0 / 3) + 0.5 * log(2.0 / 3) + 0.5 * log(2.0)) /
			    log(2.0);

		assert_int_equal(divergence_js(a, b, 2, 2.0, &v, &err), 0);
		assert_close(v, sqrt(js / 2), 1e-14);
		assert_int_equal(divergence_js(b, a, 2, 2.0, &w, &err), 0);
		assert_close(w, v, 1e-15); /* symmetric */
		assert_int_equal(divergence_hellinger(a, b, 2, &v, &err), 0);
		assert_close(v, sqrt(pow(1 - sqrt(0.5), 2) + 0.5) / sqrt(2.0), 1e-14);
	}
}

static void test_divergence_rejects(void **state)
{
	double ok[] = {1, 2}, neg[] = {1, -1}, nan_[] = {NAN, 1}, zero[] = {0, 0},
	       inf_[] = {INFINITY, 1};
	static const double bad_base[] = {1.0, 0.5, 0.0, -2.0, NAN, INFINITY};
	double v;
	size_t i;
	kpg_err err;

	(void)state;
	for (i = 0; i < N_ELEM(bad_base); i++) {
		assert_int_equal(divergence_js(ok, ok, 2, bad_base[i], &v, &err),
				 KPG_EINVAL);
		assert_non_null(strstr(err.msg, "base"));
	}
	assert_int_equal(divergence_js(ok, neg, 2, 2.0, &v, &err), KPG_EINVAL);
	assert_int_equal(divergence_js(nan_, ok, 2, 2.0, &v, &err), KPG_EINVAL);
	assert_int_equal(divergence_js(zero, ok, 2, 2.0, &v, &err), KPG_EINVAL);
	assert_int_equal(divergence_hellinger(ok, inf_, 2, &v, &err), KPG_EINVAL);
	assert_int_equal(divergence_hellinger(ok, zero, 2, &v, &err), KPG_EINVAL);
	assert_int_equal(divergence_hellinger(ok, ok, 0, &v, &err), KPG_EINVAL);
	assert_int_equal(divergence_hellinger(NULL, ok, 2, &v, &err), KPG_EINVAL);
	assert_int_equal(divergence_js(ok, ok, 2, 2.0, NULL, &err), KPG_EINVAL);
}

/* ---- Wasserstein ---- */

static void test_wasserstein_shift_and_single(void **state)
{
	double u[] = {-1.5, 0, 0, 2, 7.25}, v[5];
	double a[] = {3}, b[] = {-4.5};
	wasserstein_result r;
	size_t i;
	kpg_err err;

	(void)state;
	for (i = 0; i < 5; i++)
		v[i] = u[i] + 0.75;
	assert_int_equal(wasserstein_sorted(u, NULL, 5, v, NULL, 5, &r, &err), 0);
	assert_close(r.distance, 0.75, 1e-14);
	assert_int_equal(wasserstein_sorted(a, NULL, 1, b, NULL, 1, &r, &err), 0);
	assert_close(r.distance, 7.5, 1e-15);
	assert_true(r.ref_std == 0.0);
	assert_true(isinf(r.normalised));
}

/* integer weights are multiplicities: same as the repeated sample */
static void test_wasserstein_weights_are_multiplicities(void **state)
{
	double u[] = {0.5, 1, 2, 4, 4.5}, uw[] = {2, 0, 3, 1, 1};
	double ur[] = {0.5, 0.5, 2, 2, 2, 4, 4.5};
	double v[] = {1, 3, 5}, vw[] = {1, 4, 1}, vr[] = {1, 3, 3, 3, 3, 5};
	wasserstein_result a, b;
	kpg_err err;

	(void)state;
	assert_int_equal(wasserstein_sorted(u, uw, 5, v, vw, 3, &a, &err), 0);
	assert_int_equal(wasserstein_sorted(ur, NULL, 7, vr, NULL, 6, &b, &err), 0);
	assert_close(a.distance, b.distance, 1e-14);
	assert_close(a.ref_std, b.ref_std, 1e-14);
	assert_close(a.normalised, b.normalised, 1e-14);
}

static void test_wasserstein_zero_std(void **state)
{
	double c[] = {2, 2, 2}, c2[] = {2, 2}, v[] = {1, 3}, w[] = {0, 1, 0};
	double u[] = {1, 2, 9};
	wasserstein_result r;
	kpg_err err;

	(void)state;
	assert_int_equal(wasserstein_sorted(c, NULL, 3, c2, NULL, 2, &r, &err), 0);
	assert_true(r.distance == 0.0 && r.ref_std == 0.0 && r.normalised == 0.0);
	assert_int_equal(wasserstein_sorted(c, NULL, 3, v, NULL, 2, &r, &err), 0);
	assert_close(r.distance, 1.0, 1e-15);
	assert_true(r.ref_std == 0.0 && isinf(r.normalised) && r.normalised > 0);
	/* only the value of positive weight counts: a constant reference */
	assert_int_equal(wasserstein_sorted(u, w, 3, c2, NULL, 2, &r, &err), 0);
	assert_true(r.ref_std == 0.0 && r.distance == 0.0 && r.normalised == 0.0);
}

static void test_wasserstein_rejects(void **state)
{
	double ok[] = {1, 2}, uns[] = {2, 1}, nan_[] = {1, NAN},
	       inf_[] = {1, INFINITY}, wneg[] = {1, -1}, wzero[] = {0, 0},
	       wnan[] = {NAN, 1};
	wasserstein_result r;
	kpg_err err;

	(void)state;
	assert_int_equal(wasserstein_sorted(ok, NULL, 0, ok, NULL, 2, &r, &err), KPG_EINVAL);
	assert_int_equal(wasserstein_sorted(ok, NULL, 2, NULL, NULL, 2, &r, &err), KPG_EINVAL);
	assert_int_equal(wasserstein_sorted(uns, NULL, 2, ok, NULL, 2, &r, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "sorted"));
	assert_int_equal(wasserstein_sorted(ok, NULL, 2, nan_, NULL, 2, &r, &err), KPG_EINVAL);
	assert_int_equal(wasserstein_sorted(inf_, NULL, 2, ok, NULL, 2, &r, &err), KPG_EINVAL);
	assert_int_equal(wasserstein_sorted(ok, wneg, 2, ok, NULL, 2, &r, &err), KPG_EINVAL);
	assert_int_equal(wasserstein_sorted(ok, NULL, 2, ok, wzero, 2, &r, &err), KPG_EINVAL);
	assert_int_equal(wasserstein_sorted(ok, wnan, 2, ok, NULL, 2, &r, &err), KPG_EINVAL);
	assert_int_equal(wasserstein_sorted(ok, NULL, 2, ok, NULL, 2, NULL, &err), KPG_EINVAL);
}

/* ---- corrections ---- */

/* Benjamini & Hochberg (1995), section 4.2: at q = 0.05 the step-up
 * procedure rejects the four smallest of these 15 p-values; Bonferroni
 * (0.05 / 15) the three smallest. */
static void test_correction_bh1995(void **state)
{
	double p[] = {0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298,
		      0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590,
		      1.0000};
	double bh[15], bo[15];
	size_t i, nbh = 0, nbo = 0, nstep = 0;
	kpg_err err;

	(void)state;
	assert_int_equal(correction_adjust(CORRECTION_BENJAMINI_HOCHBERG, p, 15, bh, &err), 0);
	assert_int_equal(correction_adjust(CORRECTION_BONFERRONI, p, 15, bo, &err), 0);
	for (i = 0; i < 15; i++) {
		nbh += bh[i] < 0.05;
		nbo += bo[i] < 0.05;
		if (p[i] <= (double)(i + 1) * 0.05 / 15) /* p is sorted */
			nstep = i + 1;
		assert_true(bh[i] >= p[i] && bh[i] <= bo[i]);
		if (i > 0)
			assert_true(bh[i] >= bh[i - 1]);
	}
	assert_int_equal(nstep, 4);
	assert_int_equal(nbh, 4);
	assert_int_equal(nbo, 3);
}

static void test_correction_order_alias_and_names(void **state)
{
	double p[] = {0.04, 0.01, 0.03, 0.01, 0.5}, q[5], r[5];
	kpg_err err;
	size_t i;

	(void)state;
	assert_int_equal(correction_adjust(CORRECTION_BENJAMINI_HOCHBERG, p, 5, q, &err), 0);
	/* sorted: .01 .01 .03 .04 .5 -> 5p/i: .05 .025 .05 .05 .5, running
	 * minimum from the top: .025 .025 .05 .05 .5 */
	assert_close(q[1], 0.025, 1e-15);
	assert_close(q[3], 0.025, 1e-15);
	assert_close(q[2], 0.05, 1e-15);
	assert_close(q[0], 0.05, 1e-15);
	assert_close(q[4], 0.5, 1e-15);
	memcpy(r, p, sizeof(p));
	assert_int_equal(correction_adjust(CORRECTION_BENJAMINI_HOCHBERG, r, 5, r, &err), 0);
	for (i = 0; i < 5; i++)
		assert_true(r[i] == q[i]);
	memcpy(r, p, sizeof(p));
	assert_int_equal(correction_adjust(CORRECTION_BONFERRONI, r, 5, r, &err), 0);
	assert_close(r[0], 0.2, 1e-15);
	assert_true(r[4] == 1.0);
	assert_int_equal(correction_adjust(CORRECTION_NONE, p, 5, q, &err), 0);
	assert_memory_equal(p, q, sizeof(p));
	assert_string_equal(correction_method_names[CORRECTION_NONE], "none");
	assert_string_equal(correction_method_names[CORRECTION_BONFERRONI], "bonferroni");
	assert_string_equal(correction_method_names[CORRECTION_BENJAMINI_HOCHBERG],
			    "benjamini_hochberg");
	assert_null(correction_method_names[CORRECTION_BENJAMINI_HOCHBERG + 1]);
}

static void test_correction_rejects(void **state)
{
	static const double bad[] = {-0.1, 1.1, NAN, INFINITY, -0.0 - 1e-300};
	double p[3] = {0.2, 0.3, 0.4}, adj[3] = {7, 7, 7};
	size_t i;
	kpg_err err;

	(void)state;
	/* n = 0: nothing to do, NULL arrays allowed */
	assert_int_equal(correction_adjust(CORRECTION_BENJAMINI_HOCHBERG, NULL, 0, NULL, &err), 0);
	assert_int_equal(correction_adjust(CORRECTION_BONFERRONI, NULL, 3, adj, &err), KPG_EINVAL);
	assert_int_equal(correction_adjust((correction_method)7, p, 3, adj, &err), KPG_EINVAL);
	for (i = 0; i < N_ELEM(bad); i++) {
		p[1] = bad[i];
		assert_int_equal(correction_adjust(CORRECTION_BENJAMINI_HOCHBERG, p, 3, adj, &err),
				 KPG_EINVAL);
		assert_non_null(strstr(err.msg, "p-value 1"));
		assert_true(adj[0] == 7 && adj[1] == 7 && adj[2] == 7); /* untouched */
	}
}

/* ---- Evidently PSI ---- */

static void test_psi_evidently_counts_by_hand(void **state)
{
	double r[] = {50, 50}, c[] = {25, 75}, v;
	/* a row with a non-zero share <= 1e-4 fills its zeros with min / 1e6 */
	double r2[] = {1, 1, 1, 0}, c2[] = {99999, 0, 1, 0};
	double r3[] = {1, 1, 1}, c3[] = {99999, 0, 1};
	double want;
	kpg_err err;

	(void)state;
	assert_int_equal(psi_evidently_counts(r, c, 2, &v, &err), 0);
	assert_close(v, 0.25 * log(2.0) - 0.25 * log(0.5 / 0.75), 1e-15);
	want = (1.0 / 3 - 0.99999) * log((1.0 / 3) / 0.99999) +
	       (1.0 / 3 - 1e-11) * log((1.0 / 3) / 1e-11) +
	       (1.0 / 3 - 1e-5) * log((1.0 / 3) / 1e-5);
	assert_int_equal(psi_evidently_counts(r3, c3, 3, &v, &err), 0);
	assert_close(v, want, 1e-13);
	/* a category empty in both rows is outside the union: no effect */
	assert_int_equal(psi_evidently_counts(r2, c2, 4, &v, &err), 0);
	assert_close(v, want, 1e-13);
	/* shares above 1e-4: fill 1e-4 */
	{
		double a[] = {10, 0}, b[] = {5, 5};

		want = (1 - 0.5) * log(1 / 0.5) + (1e-4 - 0.5) * log(1e-4 / 0.5);
		assert_int_equal(psi_evidently_counts(a, b, 2, &v, &err), 0);
		assert_close(v, want, 1e-14);
	}
}

static void test_psi_evidently_numeric_properties(void **state)
{
	double u[40], v[30], w[40], ur[120], s;
	size_t i, j, k = 0;
	kpg_err err;

	(void)state;
	for (i = 0; i < 40; i++) {
		u[i] = 0.25 * (double)i; /* 40 distinct: numeric path */
		w[i] = (double)(i % 4);  /* multiplicities 0..3 */
		for (j = 0; j < (size_t)w[i]; j++)
			ur[k++] = u[i];
	}
	for (i = 0; i < 30; i++)
		v[i] = 0.3 * (double)i + 0.1;
	/* identical samples: 0 */
	assert_int_equal(psi_evidently_numeric(u, NULL, 40, u, 40, 0, &s, &err), 0);
	assert_true(s == 0.0);
	{
		double a, b;

		assert_int_equal(psi_evidently_numeric(u, w, 40, v, 30, 0, &a, &err), 0);
		assert_int_equal(psi_evidently_numeric(ur, NULL, k, v, 30, 0, &b, &err), 0);
		assert_close(a, b, 1e-14);
		assert_true(a > 0);
		assert_int_equal(psi_evidently_numeric(u, w, 40, v, 30, 7, &a, &err), 0);
		assert_int_equal(psi_evidently_numeric(ur, NULL, k, v, 30, 7, &b, &err), 0);
		assert_close(a, b, 1e-14);
	}
	/* one bin holds everything: 0 */
	assert_int_equal(psi_evidently_numeric(u, NULL, 40, v, 30, 1, &s, &err), 0);
	assert_true(s == 0.0);
}

static void test_psi_evidently_rejects(void **state)
{
	double ok[] = {1, 2, 3}, uns[] = {1, 3, 2}, nan_[] = {1, NAN, 3},
	       inf_[] = {1, 2, INFINITY}, wneg[] = {1, -1, 1}, wz[] = {0, 0, 0},
	       neg[] = {1, -2, 3}, zero[] = {0, 0, 0}, v;
	kpg_err err;

	(void)state;
	assert_int_equal(psi_evidently_numeric(ok, NULL, 0, ok, 3, 0, &v, &err), KPG_EINVAL);
	assert_int_equal(psi_evidently_numeric(ok, NULL, 3, ok, 0, 0, &v, &err), KPG_EINVAL);
	assert_int_equal(psi_evidently_numeric(uns, NULL, 3, ok, 3, 0, &v, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "sorted"));
	assert_int_equal(psi_evidently_numeric(ok, NULL, 3, nan_, 3, 0, &v, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "not finite"));
	assert_int_equal(psi_evidently_numeric(inf_, NULL, 3, ok, 3, 0, &v, &err), KPG_EINVAL);
	assert_int_equal(psi_evidently_numeric(ok, wneg, 3, ok, 3, 0, &v, &err), KPG_EINVAL);
	assert_int_equal(psi_evidently_numeric(ok, wz, 3, ok, 3, 0, &v, &err), KPG_EINVAL);
	assert_int_equal(psi_evidently_numeric(ok, NULL, 3, ok, 3, PSI_EVIDENTLY_MAX_BINS + 1, &v, &err),
			 KPG_EINVAL);
	assert_int_equal(psi_evidently_numeric(ok, NULL, 3, ok, 3, 0, NULL, &err), KPG_EINVAL);
	assert_int_equal(psi_evidently_counts(ok, neg, 3, &v, &err), KPG_EINVAL);
	assert_int_equal(psi_evidently_counts(nan_, ok, 3, &v, &err), KPG_EINVAL);
	assert_int_equal(psi_evidently_counts(ok, zero, 3, &v, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "current"));
	assert_int_equal(psi_evidently_counts(ok, ok, 0, &v, &err), KPG_EINVAL);
}

/* ---- psi_bin_counts ---- */

/* The counts follow psi_numeric's bins: PSI from them equals psi_numeric. */
static void test_psi_bin_counts_matches_psi_numeric(void **state)
{
	double ref[200], cur[150], cnt[10], rc[10], a, b, tot = 0;
	psi_ref pr;
	size_t i;
	kpg_err err;

	(void)state;
	for (i = 0; i < 200; i++)
		ref[i] = floor((double)i / 7); /* ties, values on edges */
	for (i = 0; i < 150; i++)
		cur[i] = (double)((i * 37) % 40) - 3.5;
	assert_int_equal(psi_ref_build(&pr, ref, 200, 10, &err), 0);
	assert_true(pr.n_bins <= 10);
	assert_int_equal(psi_bin_counts(&pr, cur, 150, cnt, &err), 0);
	for (i = 0; i < pr.n_bins; i++) {
		tot += cnt[i];
		rc[i] = pr.ref_prop[i] * 200;
		assert_true(cnt[i] == floor(cnt[i]));
	}
	assert_true(tot == 150);
	assert_int_equal(psi_numeric(&pr, cur, 150, &a, &err), 0);
	assert_int_equal(psi_from_counts(rc, cnt, pr.n_bins, &b, &err), 0);
	assert_close(b, a, 1e-12);
	cur[3] = NAN;
	assert_int_equal(psi_bin_counts(&pr, cur, 150, cnt, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "NaN"));
	assert_int_equal(psi_bin_counts(&pr, cur, 0, cnt, &err), KPG_EINVAL);
	assert_int_equal(psi_bin_counts(&pr, cur, 150, NULL, &err), KPG_EINVAL);
	psi_ref_free(&pr);
	assert_int_equal(psi_bin_counts(&pr, ref, 3, cnt, &err), KPG_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chi2_2x2_closed_form),
		cmocka_unit_test(test_chi2_yates_capped),
		cmocka_unit_test(test_chi2_drops_empty_categories),
		cmocka_unit_test(test_chi2_one_category),
		cmocka_unit_test(test_chi2_disjoint_and_far_tail),
		cmocka_unit_test(test_chi2_rejects),
		cmocka_unit_test(test_divergence_closed_forms),
		cmocka_unit_test(test_divergence_rejects),
		cmocka_unit_test(test_wasserstein_shift_and_single),
		cmocka_unit_test(test_wasserstein_weights_are_multiplicities),
		cmocka_unit_test(test_wasserstein_zero_std),
		cmocka_unit_test(test_wasserstein_rejects),
		cmocka_unit_test(test_correction_bh1995),
		cmocka_unit_test(test_correction_order_alias_and_names),
		cmocka_unit_test(test_correction_rejects),
		cmocka_unit_test(test_psi_evidently_counts_by_hand),
		cmocka_unit_test(test_psi_evidently_numeric_properties),
		cmocka_unit_test(test_psi_evidently_rejects),
		cmocka_unit_test(test_psi_bin_counts_matches_psi_numeric),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
