/* test_detectors_scipy.c - KS and PSI against scipy/numpy themselves.
 *
 * Samples are drawn here with GSL generators, written as raw float64 files
 * to a temporary folder, and tests/lib/scipy_ref.py (run with Debian's
 * /usr/bin/python3) prints scipy.stats.ks_2samp, scipy.stats.kstwo.sf and a
 * numpy PSI for each case. Targets: KS statistic within 1e-12 absolute,
 * p-values within 1e-8 relative (or both below 1e-300), PSI within 1e-12
 * relative. Exits 77 (skip) without /usr/bin/python3 or scipy. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "ks.h"
#include "psi.h"

#define PYTHON "/usr/bin/python3"
#define SCRIPT KPG_TEST_DATA_DIR "/../lib/scipy_ref.py"
#define MAX_CASES 64
#define MAX_PAIRS 1024

enum dist { D_NORMAL,
	    D_POISSON,
	    D_INT,
	    D_UNIFORM };

typedef struct sample_spec {
	enum dist dist;
	size_t n;
	double p1, p2; /* normal: mean, sd; poisson: mu; int: sd; uniform: lo, hi */
} sample_spec;

typedef struct ks_case {
	const char *name;
	sample_spec sa, sb;
	int same; /* b is a copy of a */
	double *a, *b;
	double ref_stat, ref_p;
	int ref_warn;
	double ref_asymp_stat, ref_asymp_p; /* method='asymp' */
} ks_case;

typedef struct psi_case {
	const char *name;
	sample_spec sr, sc;
	unsigned bins;
	int same;
	double *r, *c;
	double ref_psi;
} psi_case;

static ks_case ks_cases[] = {
	{"normal 500 vs 500", {D_NORMAL, 500, 0, 1}, {D_NORMAL, 500, 0, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"normal 500 vs shifted 500", {D_NORMAL, 500, 0, 1}, {D_NORMAL, 500, 0.25, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"normal 800 vs shifted 600", {D_NORMAL, 800, 0, 1}, {D_NORMAL, 600, 0.2, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"normal 1000 vs scaled 1200", {D_NORMAL, 1000, 0, 1}, {D_NORMAL, 1200, 0, 1.3}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"poisson ties 2000 vs 1500", {D_POISSON, 2000, 4, 0}, {D_POISSON, 1500, 4.3, 0}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"integer ties 300 vs 300", {D_INT, 300, 2, 0}, {D_INT, 300, 2, 0}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"37 vs 5000", {D_NORMAL, 37, 0, 1}, {D_NORMAL, 5000, 0.3, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"5000 vs 37 (swapped)", {D_NORMAL, 5000, 0.3, 1}, {D_NORMAL, 37, 0, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"10000 vs 10000 exact", {D_NORMAL, 10000, 0, 1}, {D_NORMAL, 10000, 0.02, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"10000 vs 7000 exact", {D_NORMAL, 10000, 0, 1}, {D_NORMAL, 7000, 0.05, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"12000 vs 9000 same", {D_NORMAL, 12000, 0, 1}, {D_NORMAL, 9000, 0, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"12000 vs 9000 shift 0.06", {D_NORMAL, 12000, 0, 1}, {D_NORMAL, 9000, 0.06, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"12000 vs 9000 shift 0.3", {D_NORMAL, 12000, 0, 1}, {D_NORMAL, 9000, 0.3, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"200000 vs 150000 same", {D_NORMAL, 200000, 0, 1}, {D_NORMAL, 150000, 0, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"200000 vs 150000 shift 0.01", {D_NORMAL, 200000, 0, 1}, {D_NORMAL, 150000, 0.01, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"20000 vs 50", {D_NORMAL, 20000, 0, 1}, {D_NORMAL, 50, 0.3, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"20000 vs 130 same", {D_NORMAL, 20000, 0, 1}, {D_NORMAL, 130, 0, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"10001 vs 120 shift", {D_NORMAL, 10001, 0, 1}, {D_NORMAL, 120, 0.5, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"15000 vs 3", {D_NORMAL, 15000, 0, 1}, {D_NORMAL, 3, 0, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"11000 vs 1", {D_NORMAL, 11000, 0, 1}, {D_NORMAL, 1, 0, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"integer ties 15000 vs 12000", {D_INT, 15000, 3, 0}, {D_INT, 12000, 3.1, 0}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"identical 400", {D_NORMAL, 400, 0, 1}, {D_NORMAL, 400, 0, 1}, 1, NULL, NULL, 0, 0, 0, 0, 0},
	{"disjoint 30 vs 40", {D_UNIFORM, 30, 0, 1}, {D_UNIFORM, 40, 2, 3}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"1 vs 7", {D_NORMAL, 1, 0, 1}, {D_NORMAL, 7, 0, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
	{"1 vs 1", {D_NORMAL, 1, 0, 1}, {D_NORMAL, 1, 0, 1}, 0, NULL, NULL, 0, 0, 0, 0, 0},
};

static psi_case psi_cases[] = {
	{"normal vs shifted, 10 bins", {D_NORMAL, 5000, 0, 1}, {D_NORMAL, 3000, 0.3, 1}, 10, 0, NULL, NULL, 0},
	{"normal vs normal, 10 bins", {D_NORMAL, 5000, 0, 1}, {D_NORMAL, 3000, 0, 1}, 10, 0, NULL, NULL, 0},
	{"poisson ties, 10 bins", {D_POISSON, 4000, 4, 0}, {D_POISSON, 2500, 5, 0}, 10, 0, NULL, NULL, 0},
	{"poisson ties, 20 bins", {D_POISSON, 4000, 2, 0}, {D_POISSON, 2500, 2.2, 0}, 20, 0, NULL, NULL, 0},
	{"current = reference", {D_NORMAL, 2000, 0, 1}, {D_NORMAL, 2000, 0, 1}, 10, 1, NULL, NULL, 0},
	{"reference of 1 value", {D_NORMAL, 1, 0, 1}, {D_NORMAL, 500, 0, 1}, 10, 0, NULL, NULL, 0},
	{"reference of 3 values, 4 bins", {D_NORMAL, 3, 0, 1}, {D_NORMAL, 100, 0, 1}, 4, 0, NULL, NULL, 0},
	{"1000 bins", {D_NORMAL, 50000, 0, 1}, {D_NORMAL, 40000, 0.1, 1.2}, 1000, 0, NULL, NULL, 0},
	{"2 bins", {D_NORMAL, 999, 0, 1}, {D_NORMAL, 77, 1, 1}, 2, 0, NULL, NULL, 0},
	{"uniform vs narrow, 7 bins", {D_UNIFORM, 1001, 0, 1}, {D_UNIFORM, 300, 0.4, 0.6}, 7, 0, NULL, NULL, 0},
};

#define N_KS (sizeof(ks_cases) / sizeof(ks_cases[0]))
#define N_PSI (sizeof(psi_cases) / sizeof(psi_cases[0]))

static double kstwo_pairs[2 * MAX_PAIRS];
static double kstwo_ref[MAX_PAIRS];
static size_t n_pairs;
static char tmpdir[256];

static double *draw(gsl_rng *rng, const sample_spec *s)
{
	double *x = malloc(sizeof(double) * s->n);
	size_t i;

	if (!x)
		return NULL;
	for (i = 0; i < s->n; i++) {
		switch (s->dist) {
		case D_NORMAL:
			x[i] = s->p1 + gsl_ran_gaussian(rng, s->p2);
			break;
		case D_POISSON:
			x[i] = (double)gsl_ran_poisson(rng, s->p1);
			break;
		case D_INT:
			x[i] = floor(gsl_ran_gaussian(rng, s->p1));
			break;
		case D_UNIFORM:
			x[i] = gsl_ran_flat(rng, s->p1, s->p2);
			break;
		}
	}
	gsl_sort(x, 1, s->n);
	return x;
}

static int write_f64(const char *name, const double *x, size_t n,
		     char *path, size_t pathlen)
{
	FILE *f;
	int ok;

	snprintf(path, pathlen, "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(x, sizeof(double), n, f) == n;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static void build_kstwo_grid(void)
{
	static const double ns[] = {1, 2, 3, 4, 5, 7, 10, 20, 50, 100, 139,
				    140, 141, 200, 500, 1000, 5000, 20000,
				    85714, 100000, 100001, 300000, 2000000};
	static const double zs[] = {0.05, 0.2, 0.4, 0.6, 0.8, 0.87, 1.0, 1.2,
				    1.5, 2.0, 3.0, 5.0, 10.0, 14.0};
	static const double ks[] = {0.4, 0.5, 0.7, 1.0, 1.5};
	size_t i, j;

	n_pairs = 0;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		double n = ns[i], ds[32];
		size_t nd = 0;

		for (j = 0; j < sizeof(ks) / sizeof(ks[0]); j++)
			ds[nd++] = ks[j] / n;
		for (j = 0; j < sizeof(zs) / sizeof(zs[0]); j++)
			ds[nd++] = zs[j] / sqrt(n);
		ds[nd++] = 0.5;
		ds[nd++] = 0.6;
		ds[nd++] = 1 - 1.5 / n;
		ds[nd++] = 1 - 0.5 / n;
		ds[nd++] = 1.0;
		for (j = 0; j < nd && n_pairs < MAX_PAIRS; j++) {
			if (!(ds[j] > 0 && ds[j] <= 1.0))
				continue;
			kstwo_pairs[2 * n_pairs] = ds[j];
			kstwo_pairs[2 * n_pairs + 1] = n;
			n_pairs++;
		}
	}
}

/* Generates every case, runs scipy_ref.py once, parses its answers.
 * Returns 0, 77 to skip, or 1 on a harness failure. */
static int prepare(void)
{
	char path[512], pa[512], pb[512], *line = NULL, cmd[1200];
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	FILE *man = NULL, *p = NULL;
	size_t i, cap = 0, kk = 0, pk = 0;
	int rc = 1, st, got_kstwo = 0;

	if (!rng)
		return 1;
	gsl_rng_set(rng, 20240611);
	snprintf(tmpdir, sizeof(tmpdir), "%s/kpg_scipy_XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/manifest", tmpdir);
	man = fopen(path, "w");
	if (!man)
		goto out;

	for (i = 0; i < N_KS; i++) {
		ks_case *c = &ks_cases[i];
		char na[32], nb[32];

		c->a = draw(rng, &c->sa);
		if (c->same) {
			c->b = malloc(sizeof(double) * c->sa.n);
			if (c->b)
				memcpy(c->b, c->a, sizeof(double) * c->sa.n);
			c->sb.n = c->sa.n;
		} else {
			c->b = draw(rng, &c->sb);
		}
		if (!c->a || !c->b)
			goto out;
		snprintf(na, sizeof(na), "ks%zu_a", i);
		snprintf(nb, sizeof(nb), "ks%zu_b", i);
		if (write_f64(na, c->a, c->sa.n, pa, sizeof(pa)) ||
		    write_f64(nb, c->b, c->sb.n, pb, sizeof(pb)))
			goto out;
		fprintf(man, "ks %s %s\n", pa, pb);
	}
	build_kstwo_grid();
	if (write_f64("kstwo", kstwo_pairs, 2 * n_pairs, pa, sizeof(pa)))
		goto out;
	fprintf(man, "kstwo %s\n", pa);
	for (i = 0; i < N_PSI; i++) {
		psi_case *c = &psi_cases[i];
		char na[32], nb[32];

		c->r = draw(rng, &c->sr);
		if (c->same) {
			c->c = malloc(sizeof(double) * c->sr.n);
			if (c->c)
				memcpy(c->c, c->r, sizeof(double) * c->sr.n);
			c->sc.n = c->sr.n;
		} else {
			c->c = draw(rng, &c->sc);
		}
		if (!c->r || !c->c)
			goto out;
		snprintf(na, sizeof(na), "psi%zu_r", i);
		snprintf(nb, sizeof(nb), "psi%zu_c", i);
		if (write_f64(na, c->r, c->sr.n, pa, sizeof(pa)) ||
		    write_f64(nb, c->c, c->sc.n, pb, sizeof(pb)))
			goto out;
		fprintf(man, "psi %s %s %u\n", pa, pb, c->bins);
	}
	if (fclose(man) != 0) {
		man = NULL;
		goto out;
	}
	man = NULL;

	snprintf(cmd, sizeof(cmd), "%s %s %s", PYTHON, SCRIPT, path);
	p = popen(cmd, "r");
	if (!p)
		goto out;
	while (getline(&line, &cap, p) > 0) {
		char *s = line, *end;

		if (strncmp(s, "ks ", 3) == 0 && kk < N_KS) {
			ks_case *c = &ks_cases[kk++];

			c->ref_stat = strtod(s + 3, &end);
			c->ref_p = strtod(end, &end);
			c->ref_warn = (int)strtol(end, &end, 10);
			c->ref_asymp_stat = strtod(end, &end);
			c->ref_asymp_p = strtod(end, &end);
		} else if (strncmp(s, "kstwo ", 6) == 0) {
			s += 6;
			for (i = 0; i < n_pairs; i++) {
				kstwo_ref[i] = strtod(s, &end);
				if (end == s)
					break;
				s = end;
			}
			got_kstwo = i == n_pairs;
		} else if (strncmp(s, "psi ", 4) == 0 && pk < N_PSI) {
			psi_cases[pk++].ref_psi = strtod(s + 4, NULL);
		}
	}
	st = pclose(p);
	p = NULL;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		fprintf(stderr, "scipy not importable by %s: skipping\n", PYTHON);
		rc = 77;
		goto out;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || kk != N_KS ||
	    pk != N_PSI || !got_kstwo) {
		fprintf(stderr, "scipy_ref.py failed (status %d, %zu ks, %zu psi)\n",
			st, kk, pk);
		goto out;
	}
	rc = 0;
out:
	if (man)
		fclose(man);
	if (p)
		pclose(p);
	free(line);
	gsl_rng_free(rng);
	return rc;
}

static void cleanup_tmp(void)
{
	char path[512];
	size_t i;

	if (!tmpdir[0])
		return;
	for (i = 0; i < N_KS; i++) {
		snprintf(path, sizeof(path), "%s/ks%zu_a", tmpdir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/ks%zu_b", tmpdir, i);
		unlink(path);
	}
	for (i = 0; i < N_PSI; i++) {
		snprintf(path, sizeof(path), "%s/psi%zu_r", tmpdir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/psi%zu_c", tmpdir, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/kstwo", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/manifest", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

static double worst_rel; /* largest relative p-value error seen */

static int p_close(double got, double want)
{
	if (isnan(got) || isnan(want))
		return isnan(got) && isnan(want);
	if (fabs(got) < 1e-300 && fabs(want) < 1e-300)
		return 1;
	if (want != 0 && fabs(got - want) / fabs(want) > worst_rel)
		worst_rel = fabs(got - want) / fabs(want);
	return fabs(got - want) <= 1e-8 * fabs(want);
}

static void test_ks_2samp_matches_scipy(void **state)
{
	size_t i, bad = 0, exact = 0;

	(void)state;
	for (i = 0; i < N_KS; i++) {
		ks_case *c = &ks_cases[i];
		ks_result r;
		kpg_err err;
		int rc = ks_2samp_sorted(c->a, c->sa.n, c->b, c->sb.n, &r, &err);

		assert_int_equal(rc, 0);
		exact += (size_t)r.exact;
		assert_int_equal(r.exact, (c->sa.n > c->sb.n ? c->sa.n : c->sb.n) <= KS_MAX_EXACT_N);
		if (fabs(r.statistic - c->ref_stat) > 1e-12 ||
		    !p_close(r.p_value, c->ref_p) || r.fallback != c->ref_warn) {
			print_message("MISMATCH %s: D %.17g vs %.17g, p %.17g vs "
				      "%.17g, fallback %d vs %d\n",
				      c->name,
				      r.statistic, c->ref_stat, r.p_value,
				      c->ref_p, r.fallback, c->ref_warn);
			bad++;
		} else {
			print_message("ok %-30s D=%.6g p=%.6g (%s)\n", c->name,
				      r.statistic, r.p_value,
				      r.exact ? "exact" : "asymptotic");
		}
	}
	print_message("worst relative p-value error %.3g\n", worst_rel);
	assert_true(exact > 0 && exact < N_KS);
	assert_int_equal(bad, 0);
}

/* drift.ks_method "asymp": scipy's ks_2samp(a, b, method='asymp') */
static void test_ks_asymp_matches_scipy(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < N_KS; i++) {
		ks_case *c = &ks_cases[i];
		ks_result r;
		kpg_err err;
		int rc = ks_2samp_sorted_method(c->a, c->sa.n, c->b, c->sb.n,
						KS_METHOD_ASYMP, &r, &err);

		assert_int_equal(rc, 0);
		assert_int_equal(r.exact, 0);
		if (fabs(r.statistic - c->ref_asymp_stat) > 1e-12 ||
		    !p_close(r.p_value, c->ref_asymp_p)) {
			print_message("MISMATCH %s (asymp): D %.17g vs %.17g, p %.17g vs %.17g\n",
				      c->name, r.statistic, c->ref_asymp_stat,
				      r.p_value, c->ref_asymp_p);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_kstwo_sf_matches_scipy(void **state)
{
	size_t i, bad = 0;

	(void)state;
	worst_rel = 0;
	assert_true(n_pairs > 300);
	for (i = 0; i < n_pairs; i++) {
		double d = kstwo_pairs[2 * i], n = kstwo_pairs[2 * i + 1];
		double got = ks_kstwo_sf(d, n);

		if (!p_close(got, kstwo_ref[i])) {
			print_message("MISMATCH kstwo.sf(%.17g, %.0f): %.17g vs "
				      "%.17g (n*d^2 = %g)\n",
				      d, n, got,
				      kstwo_ref[i], n * d * d);
			bad++;
		}
	}
	print_message("kstwo.sf: %zu of %zu points agree, worst relative "
		      "error %.3g\n",
		      n_pairs - bad, n_pairs, worst_rel);
	assert_int_equal(bad, 0);
}

static void test_psi_matches_numpy(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < N_PSI; i++) {
		psi_case *c = &psi_cases[i];
		psi_ref ref;
		kpg_err err;
		double v = NAN;

		assert_int_equal(psi_ref_build(&ref, c->r, c->sr.n, c->bins,
					       &err),
				 0);
		assert_int_equal(psi_numeric(&ref, c->c, c->sc.n, &v, &err), 0);
		psi_ref_free(&ref);
		if (!(fabs(v - c->ref_psi) <= 1e-12 * fabs(c->ref_psi)) &&
		    !(v == 0 && c->ref_psi == 0)) {
			print_message("MISMATCH psi %s: %.17g vs %.17g\n",
				      c->name, v, c->ref_psi);
			bad++;
		} else {
			print_message("ok psi %-30s %.6g\n", c->name, v);
		}
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ks_asymp_matches_scipy),
		cmocka_unit_test(test_ks_2samp_matches_scipy),
		cmocka_unit_test(test_kstwo_sf_matches_scipy),
		cmocka_unit_test(test_psi_matches_numpy),
	};
	size_t i;
	int rc;

	gsl_set_error_handler_off();
	if (access(PYTHON, X_OK) != 0) {
		fprintf(stderr, "%s not found: skipping\n", PYTHON);
		return 77;
	}
	rc = prepare();
	if (rc == 0)
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	cleanup_tmp();
	for (i = 0; i < N_KS; i++) {
		free(ks_cases[i].a);
		free(ks_cases[i].b);
	}
	for (i = 0; i < N_PSI; i++) {
		free(psi_cases[i].r);
		free(psi_cases[i].c);
	}
	return rc;
}
