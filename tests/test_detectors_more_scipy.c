/* test_detectors_more_scipy.c - chi-square, Jensen-Shannon, Hellinger,
 * Wasserstein, Evidently-mode PSI and the multiple-testing corrections
 * against scipy/numpy themselves.
 *
 * Data are drawn here with GSL generators (multinomial category counts,
 * normal, Poisson, uniform, weights), written as raw float64 files to a
 * temporary folder, and tests/lib/scipy_ref_more.py (Debian's
 * /usr/bin/python3) prints, per case, scipy.stats.chi2_contingency and
 * contingency.association, scipy.spatial.distance.jensenshannon (base 2
 * and e), scipy.stats.wasserstein_distance, numpy.std, and numpy versions
 * of Hellinger, Evidently's PSI and Bonferroni / Benjamini-Hochberg.
 * Every value must agree within 1e-9 relative (p-values: or both below
 * 1e-300; values that are 0 in exact arithmetic: within 1e-15). Exits 77
 * (skip) only without /usr/bin/python3 or scipy. */
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

#include "chi2.h"
#include "correction.h"
#include "divergence.h"
#include "psi.h"
#include "psi_evidently.h"
#include "wasserstein.h"

#define PYTHON "/usr/bin/python3"
#define SCRIPT KPG_TEST_DATA_DIR "/../lib/scipy_ref_more.py"
#define MAX_CASES 128
#define REL_TOL 1e-9

enum kind { K_CHI2,
	    K_DIST,
	    K_WASS,
	    K_PSIE,
	    K_JSPSI,
	    K_CORR };

static const char *const kind_names[] = {"chi2", "dist", "wass", "psie",
					 "jspsi", "corr"};

/* One line of the manifest and of the script's answer. a/b are the two
 * samples or count rows, aw/bw optional weights (for psie, aw holds integer
 * multiplicities), want[] what scipy/numpy printed. */
typedef struct mcase {
	enum kind kind;
	char name[64];
	double *a, *b, *aw, *bw;
	size_t na, nb;
	unsigned bins;
	double *want;
	size_t nwant;
} mcase;

static mcase cases[MAX_CASES];
static size_t n_cases;
static char tmpdir[256];
static gsl_rng *rng;

static double worst[6]; /* largest relative error seen, per kind */

static mcase *add_case(enum kind kind, const char *name)
{
	mcase *c;

	if (n_cases == MAX_CASES)
		return NULL;
	c = &cases[n_cases++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

static double *dup_array(const double *x, size_t n)
{
	double *y = malloc(sizeof(double) * (n ? n : 1));

	if (y && n)
		memcpy(y, x, sizeof(double) * n);
	return y;
}

/* ---- generators ---- */

/* k counts of a multinomial with N draws over probabilities prob[] */
static double *multinomial(size_t k, unsigned N, const double *prob)
{
	unsigned *cnt = calloc(k, sizeof(unsigned));
	double *x = malloc(sizeof(double) * k);
	size_t i;

	if (!cnt || !x) {
		free(cnt);
		free(x);
		return NULL;
	}
	gsl_ran_multinomial(rng, k, N, prob, cnt);
	for (i = 0; i < k; i++)
		x[i] = (double)cnt[i];
	free(cnt);
	return x;
}

/* geometric-looking probabilities r^i, entries listed in `zero` set to 0 */
static void probs(double *p, size_t k, double r, const int *zero, size_t nz)
{
	size_t i;

	for (i = 0; i < k; i++)
		p[i] = pow(r, (double)i);
	for (i = 0; i < nz; i++)
		p[zero[i]] = 0.0;
}

enum dist { D_NORMAL,
	    D_POISSON,
	    D_UNIFORM,
	    D_UNIFINT,
	    D_CONST };

static double *draw(enum dist d, size_t n, double p1, double p2)
{
	double *x = malloc(sizeof(double) * n);
	size_t i;

	if (!x)
		return NULL;
	for (i = 0; i < n; i++) {
		switch (d) {
		case D_NORMAL: x[i] = p1 + gsl_ran_gaussian(rng, p2); break;
		case D_POISSON: x[i] = (double)gsl_ran_poisson(rng, p1); break;
		case D_UNIFORM: x[i] = gsl_ran_flat(rng, p1, p2); break;
		case D_UNIFINT: x[i] = floor(gsl_ran_flat(rng, p1, p2)); break;
		case D_CONST: x[i] = p1; break;
		}
	}
	gsl_sort(x, 1, n);
	return x;
}

/* weights uniform on [0, hi), a share `zero` of them exactly 0 */
static double *weights(size_t n, double hi, double zero)
{
	double *w = malloc(sizeof(double) * n);
	size_t i;

	if (!w)
		return NULL;
	for (i = 0; i < n; i++)
		w[i] = gsl_rng_uniform(rng) < zero ? 0.0 : gsl_ran_flat(rng, 0, hi);
	return w;
}

/* integer multiplicities 0..3 */
static double *reps(size_t n)
{
	double *w = malloc(sizeof(double) * n);
	size_t i;

	if (!w)
		return NULL;
	for (i = 0; i < n; i++)
		w[i] = (double)gsl_rng_uniform_int(rng, 4);
	return w;
}

/* ---- case lists ---- */

/* A pair of count rows is checked as chi2 and as dist (JS, Hellinger,
 * Evidently PSI over the categories). */
static int add_counts(const char *name, double *r, double *c, size_t k)
{
	mcase *x = add_case(K_CHI2, name), *y = add_case(K_DIST, name);

	if (!x || !y || !r || !c)
		return -1;
	x->a = r;
	x->b = c;
	x->na = x->nb = k;
	y->a = dup_array(r, k);
	y->b = dup_array(c, k);
	y->na = y->nb = k;
	return y->a && y->b ? 0 : -1;
}

static int add_mult(const char *name, size_t k, unsigned nr, double rr,
		    unsigned nc, double rc, const int *zr, size_t nzr,
		    const int *zc, size_t nzc)
{
	double pr[512], pc[512];

	if (k > 512)
		return -1;
	probs(pr, k, rr, zr, nzr);
	probs(pc, k, rc, zc, nzc);
	return add_counts(name, multinomial(k, nr, pr), multinomial(k, nc, pc),
			  k);
}

static int build_count_cases(void)
{
	static const int z_cur[] = {8, 9, 10, 11};
	static const int z_both[] = {3, 7};
	static const int z_cur2[] = {3, 7, 10};
	static const int keep2[] = {0, 2, 3, 5}; /* zeroed: 1 and 4 kept */
	static const int keep1[] = {0, 1, 3};
	static const int half1[] = {3, 4, 5};
	static const int half2[] = {0, 1, 2};
	static const double tiny_r[] = {5, 5}, tiny_c[] = {5, 6};
	static const double prop_r[] = {10, 20}, prop_c[] = {20, 40};
	static const double far_r[] = {10000, 10000}, far_c[] = {12000, 8000};
	double r[20], c[20];
	size_t i;
	int rc = 0;

	rc |= add_mult("10 cats same probs 5000 vs 3000", 10, 5000, 0.85, 3000, 0.85, NULL, 0, NULL, 0);
	rc |= add_mult("10 cats shifted 5000 vs 3000", 10, 5000, 0.85, 3000, 0.8, NULL, 0, NULL, 0);
	rc |= add_mult("50 cats x 1M same probs", 50, 1000000, 0.95, 1000000, 0.95, NULL, 0, NULL, 0);
	rc |= add_mult("50 cats x 1M slight shift", 50, 1000000, 0.95, 1000000, 0.949, NULL, 0, NULL, 0);
	rc |= add_mult("2 cats 30 vs 20 (Yates)", 2, 30, 0.7, 20, 1.0, NULL, 0, NULL, 0);
	rc |= add_mult("2 cats 1M vs 800k (Yates)", 2, 1000000, 0.9, 800000, 0.905, NULL, 0, NULL, 0);
	rc |= add_mult("zeros in the current row", 12, 4000, 0.8, 2500, 0.8, NULL, 0, z_cur, 4);
	rc |= add_mult("zeros in both rows", 12, 4000, 0.8, 2500, 0.8, z_both, 2, z_cur2, 3);
	rc |= add_mult("both-zero leave 2 cats (Yates)", 6, 300, 0.9, 200, 0.8, keep2, 4, keep2, 4);
	rc |= add_mult("both-zero leave 1 cat (dof 0)", 4, 300, 0.9, 200, 0.8, keep1, 3, keep1, 3);
	rc |= add_mult("500 cats sparse 2000 vs 1500", 500, 2000, 0.995, 1500, 0.994, NULL, 0, NULL, 0);
	rc |= add_mult("disjoint supports 100k", 6, 100000, 0.9, 100000, 0.9, half1, 3, half2, 3);
	rc |= add_mult("one dominant category", 20, 50000, 0.3, 40000, 0.31, NULL, 0, NULL, 0);
	rc |= add_counts("2x2 |O-E| < 0.5 (Yates min)", dup_array(tiny_r, 2), dup_array(tiny_c, 2), 2);
	rc |= add_counts("2x2 rows proportional", dup_array(prop_r, 2), dup_array(prop_c, 2), 2);
	rc |= add_counts("2x2 p ~ 1e-89", dup_array(far_r, 2), dup_array(far_c, 2), 2);
	for (i = 0; i < 8; i++) { /* sketch counts: not integers */
		r[i] = 0.37 * (double)(100 + 13 * i) + gsl_rng_uniform(rng);
		c[i] = 0.91 * (double)(90 + 17 * i) + gsl_rng_uniform(rng);
	}
	rc |= add_counts("non-integer counts", dup_array(r, 8), dup_array(c, 8), 8);
	return rc;
}

static int add_wass(const char *name, double *u, size_t n, double *v,
		    size_t m, double *uw, double *vw)
{
	mcase *x = add_case(K_WASS, name);

	if (!x || !u || !v)
		return -1;
	x->a = u;
	x->na = n;
	x->b = v;
	x->nb = m;
	x->aw = uw;
	x->bw = vw;
	return 0;
}

static int build_wass_cases(void)
{
	double *s;
	int rc = 0;

	rc |= add_wass("normal 100000 vs 10000 shift 0.1", draw(D_NORMAL, 100000, 0, 1), 100000, draw(D_NORMAL, 10000, 0.1, 1), 10000, NULL, NULL);
	rc |= add_wass("normal 500 vs scaled 700", draw(D_NORMAL, 500, 0, 1), 500, draw(D_NORMAL, 700, 0, 1.5), 700, NULL, NULL);
	rc |= add_wass("1 vs 1", draw(D_NORMAL, 1, 0, 1), 1, draw(D_NORMAL, 1, 0, 1), 1, NULL, NULL);
	rc |= add_wass("poisson ties 2000 vs 1500", draw(D_POISSON, 2000, 3, 0), 2000, draw(D_POISSON, 1500, 3.4, 0), 1500, NULL, NULL);
	rc |= add_wass("reference weights 1000 vs 800", draw(D_NORMAL, 1000, 0, 1), 1000, draw(D_NORMAL, 800, 0.2, 1), 800, weights(1000, 2, 0), NULL);
	rc |= add_wass("both weighted, 20% zero weights", draw(D_POISSON, 300, 5, 0), 300, draw(D_POISSON, 200, 5, 0), 200, weights(300, 3, 0.2), weights(200, 1, 0.2));
	rc |= add_wass("constant reference (std 0)", draw(D_CONST, 100, 2.5, 0), 100, draw(D_NORMAL, 50, 2.5, 1), 50, NULL, NULL);
	s = draw(D_NORMAL, 400, 0, 1);
	rc |= add_wass("identical 400", s, 400, dup_array(s, 400), 400, NULL, NULL);
	rc |= add_wass("disjoint uniform", draw(D_UNIFORM, 300, 0, 1), 300, draw(D_UNIFORM, 200, 5, 6), 200, NULL, NULL);
	rc |= add_wass("offset 1e6, sd 1", draw(D_NORMAL, 5000, 1e6, 1), 5000, draw(D_NORMAL, 4000, 1e6 + 0.05, 1), 4000, NULL, NULL);
	return rc;
}

static int add_psie(const char *name, double *u, size_t n, double *v,
		    size_t m, unsigned bins, double *rp)
{
	mcase *x = add_case(K_PSIE, name);

	if (!x || !u || !v)
		return -1;
	x->a = u;
	x->na = n;
	x->b = v;
	x->nb = m;
	x->bins = bins;
	x->aw = rp;
	return 0;
}

static int build_psie_cases(void)
{
	double *s;
	int rc = 0;

	rc |= add_psie("normal shift 0.2, Sturges", draw(D_NORMAL, 5000, 0, 1), 5000, draw(D_NORMAL, 3000, 0.2, 1), 3000, 0, NULL);
	rc |= add_psie("normal same, Sturges", draw(D_NORMAL, 5000, 0, 1), 5000, draw(D_NORMAL, 3000, 0, 1), 3000, 0, NULL);
	rc |= add_psie("n + m = 1024, Sturges", draw(D_NORMAL, 600, 0, 1), 600, draw(D_NORMAL, 424, 0.1, 1), 424, 0, NULL);
	rc |= add_psie("n + m = 2048, Sturges", draw(D_NORMAL, 1500, 0, 1), 1500, draw(D_NORMAL, 548, 0.1, 1), 548, 0, NULL);
	rc |= add_psie("poisson(3): <= 20 values, categorical", draw(D_POISSON, 2000, 3, 0), 2000, draw(D_POISSON, 1500, 3.6, 0), 1500, 0, NULL);
	rc |= add_psie("poisson(30): ties on edges", draw(D_POISSON, 3000, 30, 0), 3000, draw(D_POISSON, 2000, 31, 0), 2000, 0, NULL);
	rc |= add_psie("30 bins (n_bins honoured)", draw(D_NORMAL, 4000, 0, 1), 4000, draw(D_NORMAL, 2500, 0.1, 1.1), 2500, 30, NULL);
	rc |= add_psie("1 bin", draw(D_NORMAL, 400, 0, 1), 400, draw(D_NORMAL, 300, 0.1, 1.1), 300, 1, NULL);
	rc |= add_psie("2 bins", draw(D_NORMAL, 400, 0, 1), 400, draw(D_NORMAL, 300, 0.5, 1.1), 300, 2, NULL);
	rc |= add_psie("1000 bins", draw(D_NORMAL, 20000, 0, 1), 20000, draw(D_NORMAL, 15000, 0.1, 1), 15000, 1000, NULL);
	/* numpy's Sturges count is ceil(ptp / (ptp / (log2(N) + 1))), which
	 * for N = 1024 is 12 rather than 11 for about 2% of spans: redraw the
	 * current sample until the span is one of those */
	{
		double *u = draw(D_NORMAL, 600, 0, 1), *v = NULL, ptp = 0;
		int tries;

		for (tries = 0; tries < 5000 && u; tries++) {
			free(v);
			v = draw(D_NORMAL, 424, 0.1, 1);
			if (!v)
				break;
			ptp = fmax(u[599], v[423]) - fmin(u[0], v[0]);
			if (ceil(ptp / (ptp / (log2(1024.0) + 1.0))) == 12.0)
				break;
		}
		if (!(ceil(ptp / (ptp / 11.0)) == 12.0))
			rc = -1;
		rc |= add_psie("n + m = 1024, 12 Sturges bins by rounding", u, 600, v, 424, 0, NULL);
	}
	/* integers 0..36, 12 bins of width 3: many values on edges (Sturges
	 * gives 12 bins for n + m = 1500) */
	rc |= add_psie("integers on edges, Sturges", draw(D_UNIFINT, 1000, 0, 37), 1000, draw(D_UNIFINT, 500, 0, 37), 500, 0, NULL);
	rc |= add_psie("integers on edges, 12 bins", draw(D_UNIFINT, 1000, 0, 37), 1000, draw(D_UNIFINT, 500, 2, 37), 500, 12, NULL);
	/* Evidently's switch: 20 distinct reference values are categories,
	 * 21 are numbers */
	rc |= add_psie("exactly 20 distinct values", draw(D_UNIFINT, 2000, 0, 20), 2000, draw(D_UNIFINT, 900, 0, 22), 900, 0, NULL);
	rc |= add_psie("exactly 21 distinct values", draw(D_UNIFINT, 2000, 0, 21), 2000, draw(D_UNIFINT, 900, 0, 22), 900, 0, NULL);
	s = draw(D_UNIFORM, 25, 0, 1); /* 25 distinct reference values */
	rc |= add_psie("25 distinct values vs 10", s, 25, draw(D_UNIFORM, 10, 0, 1), 10, 0, NULL);
	rc |= add_psie("weights 0..3 (numpy.repeat)", draw(D_NORMAL, 800, 0, 1), 800, draw(D_NORMAL, 500, 0.3, 1), 500, 0, reps(800));
	rc |= add_psie("weights 0..3, categorical", draw(D_POISSON, 800, 2, 0), 800, draw(D_POISSON, 500, 2.5, 0), 500, 0, reps(800));
	rc |= add_psie("current outside the reference", draw(D_UNIFORM, 1000, 0, 1), 1000, draw(D_UNIFORM, 700, 3, 4), 700, 0, NULL);
	rc |= add_psie("50000 vs 3000: fill min / 1e6", draw(D_NORMAL, 50000, 0, 1), 50000, draw(D_NORMAL, 3000, 0.5, 1), 3000, 0, NULL);
	return rc;
}

static int add_jspsi(const char *name, double *u, size_t n, double *v,
		     size_t m, unsigned bins)
{
	mcase *x = add_case(K_JSPSI, name);

	if (!x || !u || !v)
		return -1;
	x->a = u;
	x->na = n;
	x->b = v;
	x->nb = m;
	x->bins = bins;
	return 0;
}

static int build_jspsi_cases(void)
{
	double *s;
	int rc = 0;

	rc |= add_jspsi("normal shift 0.3, 10 bins", draw(D_NORMAL, 5000, 0, 1), 5000, draw(D_NORMAL, 3000, 0.3, 1), 3000, 10);
	rc |= add_jspsi("poisson ties, 10 bins", draw(D_POISSON, 4000, 4, 0), 4000, draw(D_POISSON, 2500, 5, 0), 2500, 10);
	rc |= add_jspsi("1000 bins", draw(D_NORMAL, 50000, 0, 1), 50000, draw(D_NORMAL, 40000, 0.1, 1.2), 40000, 1000);
	s = draw(D_NORMAL, 2000, 0, 1);
	rc |= add_jspsi("current = reference", s, 2000, dup_array(s, 2000), 2000, 10);
	return rc;
}

static int add_corr(const char *name, double *p, size_t n)
{
	mcase *x = add_case(K_CORR, name);

	if (!x || !p)
		return -1;
	x->a = p;
	x->na = n;
	return 0;
}

/* Benjamini & Hochberg (1995), section 4.2: the 15 p-values of the
 * myocardial-infarction trial. */
static const double bh1995[15] = {0.0001, 0.0004, 0.0019, 0.0095, 0.0201,
				  0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
				  0.4262, 0.5719, 0.6528, 0.7590, 1.0000};

static int build_corr_cases(void)
{
	static const double edge[] = {0, 0, 1, 1, 0.5, 0.02, 0.02};
	static const double one[] = {0.03};
	double *u = malloc(sizeof(double) * 1000), *mix = malloc(sizeof(double) * 200);
	size_t i;
	int rc = 0;

	if (!u || !mix) {
		free(u);
		free(mix);
		return -1;
	}
	for (i = 0; i < 1000; i++)
		u[i] = gsl_rng_uniform(rng);
	for (i = 0; i < 200; i++) {
		if (i < 30)
			mix[i] = 1e-6 * gsl_rng_uniform(rng);
		else if (i < 60)
			mix[i] = mix[i - 30]; /* ties */
		else
			mix[i] = gsl_rng_uniform(rng);
	}
	rc |= add_corr("Benjamini-Hochberg 1995", dup_array(bh1995, 15), 15);
	rc |= add_corr("1000 uniform", u, 1000);
	rc |= add_corr("200 with 30 tiny, tied", mix, 200);
	rc |= add_corr("0, 1 and ties", dup_array(edge, 7), 7);
	rc |= add_corr("one p-value", dup_array(one, 1), 1);
	return rc;
}

/* ---- the run ---- */

static int write_f64(const char *name, const double *x, size_t n,
		     char *path, size_t pathlen)
{
	FILE *f;
	int ok;

	if (!x) {
		snprintf(path, pathlen, "-");
		return 0;
	}
	snprintf(path, pathlen, "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(x, sizeof(double), n, f) == n;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static size_t n_want(const mcase *c)
{
	switch (c->kind) {
	case K_CHI2: return 4;
	case K_DIST: return 4;
	case K_WASS: return 2;
	case K_PSIE: return 1;
	case K_JSPSI: return 2;
	case K_CORR: return 2 * c->na;
	}
	return 0;
}

static int write_manifest(const char *path)
{
	FILE *man = fopen(path, "w");
	size_t i;

	if (!man)
		return -1;
	for (i = 0; i < n_cases; i++) {
		mcase *c = &cases[i];
		char pa[512], pb[512], pw[512], pv[512], nm[32];

		snprintf(nm, sizeof(nm), "c%zu_a", i);
		if (write_f64(nm, c->a, c->na, pa, sizeof(pa)))
			goto fail;
		snprintf(nm, sizeof(nm), "c%zu_b", i);
		if (write_f64(nm, c->b, c->nb, pb, sizeof(pb)))
			goto fail;
		snprintf(nm, sizeof(nm), "c%zu_aw", i);
		if (write_f64(nm, c->aw, c->na, pw, sizeof(pw)))
			goto fail;
		snprintf(nm, sizeof(nm), "c%zu_bw", i);
		if (write_f64(nm, c->bw, c->nb, pv, sizeof(pv)))
			goto fail;
		switch (c->kind) {
		case K_CHI2:
		case K_DIST:
			fprintf(man, "%s %s %s\n", kind_names[c->kind], pa, pb);
			break;
		case K_WASS: fprintf(man, "wass %s %s %s %s\n", pa, pb, pw, pv); break;
		case K_PSIE: fprintf(man, "psie %s %s %u %s\n", pa, pb, c->bins, pw); break;
		case K_JSPSI: fprintf(man, "jspsi %s %s %u\n", pa, pb, c->bins); break;
		case K_CORR: fprintf(man, "corr %s\n", pa); break;
		}
	}
	return fclose(man) == 0 ? 0 : -1;
fail:
	fclose(man);
	return -1;
}

/* Generates every case, runs scipy_ref_more.py once, parses its answers.
 * Returns 0, 77 to skip, or 1 on a harness failure. */
static int prepare(void)
{
	char path[512], cmd[1200], *line = NULL;
	size_t cap = 0, got = 0, i;
	FILE *p = NULL;
	int rc = 1, st;

	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng)
		return 1;
	gsl_rng_set(rng, 20261207);
	snprintf(tmpdir, sizeof(tmpdir), "%s/kpg_scipy_more_XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		tmpdir[0] = '\0';
		return 1;
	}
	if (build_count_cases() || build_wass_cases() || build_psie_cases() ||
	    build_jspsi_cases() || build_corr_cases()) {
		fprintf(stderr, "case generation failed\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/manifest", tmpdir);
	if (write_manifest(path)) {
		fprintf(stderr, "cannot write the manifest in %s\n", tmpdir);
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "%s %s %s", PYTHON, SCRIPT, path);
	p = popen(cmd, "r");
	if (!p)
		return 1;
	while (getline(&line, &cap, p) > 0 && got < n_cases) {
		mcase *c = &cases[got];
		size_t kl = strlen(kind_names[c->kind]);
		char *s = line + kl, *end;

		if (strncmp(line, kind_names[c->kind], kl) != 0 || *s != ' ') {
			fprintf(stderr, "case %zu (%s): unexpected answer %.60s\n",
				got, c->name, line);
			goto out;
		}
		c->nwant = n_want(c);
		c->want = malloc(sizeof(double) * c->nwant);
		if (!c->want)
			goto out;
		for (i = 0; i < c->nwant; i++) {
			c->want[i] = strtod(s, &end);
			if (end == s) {
				fprintf(stderr, "case %s: %zu of %zu numbers\n",
					c->name, i, c->nwant);
				goto out;
			}
			s = end;
		}
		got++;
	}
	st = pclose(p);
	p = NULL;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		fprintf(stderr, "scipy not importable by %s: skipping\n", PYTHON);
		rc = 77;
		goto out;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || got != n_cases) {
		fprintf(stderr, "scipy_ref_more.py failed (status %d, %zu of %zu "
				"answers)\n",
			st, got, n_cases);
		goto out;
	}
	rc = 0;
out:
	if (p)
		pclose(p);
	free(line);
	return rc;
}

static void cleanup(void)
{
	static const char *const suffix[] = {"a", "b", "aw", "bw"};
	char path[512];
	size_t i, j;

	if (tmpdir[0]) {
		for (i = 0; i < n_cases; i++) {
			for (j = 0; j < 4; j++) {
				snprintf(path, sizeof(path), "%s/c%zu_%s", tmpdir, i,
					 suffix[j]);
				unlink(path);
			}
		}
		snprintf(path, sizeof(path), "%s/manifest", tmpdir);
		unlink(path);
		rmdir(tmpdir);
	}
	for (i = 0; i < n_cases; i++) {
		free(cases[i].a);
		free(cases[i].b);
		free(cases[i].aw);
		free(cases[i].bw);
		free(cases[i].want);
	}
	gsl_rng_free(rng);
}

/* got within REL_TOL of want (relative), or both within abs_floor of each
 * other (values that are 0 in exact arithmetic, underflowed p-values). */
static int agree(enum kind k, double got, double want, double abs_floor)
{
	double d;

	if (isnan(got) || isnan(want))
		return 0;
	if (isinf(got) || isinf(want))
		return got == want;
	d = fabs(got - want);
	if (want != 0 && d / fabs(want) > worst[k] && d > abs_floor)
		worst[k] = d / fabs(want);
	return d <= REL_TOL * fabs(want) || d <= abs_floor;
}

static void report(enum kind k, size_t bad)
{
	print_message("%s: worst relative error %.3g, %zu mismatches\n",
		      kind_names[k], worst[k], bad);
}

static void test_chi2_matches_scipy(void **state)
{
	size_t i, bad = 0, yates = 0, n = 0;

	(void)state;
	for (i = 0; i < n_cases; i++) {
		mcase *c = &cases[i];
		chi2_result r;
		kpg_err err;

		if (c->kind != K_CHI2)
			continue;
		n++;
		assert_int_equal(chi2_homogeneity(c->a, c->b, c->na, &r, &err), 0);
		yates += (size_t)r.yates;
		if (!agree(K_CHI2, r.statistic, c->want[0], 1e-15) ||
		    !agree(K_CHI2, r.p_value, c->want[1], 1e-300) ||
		    (double)r.dof != c->want[2] ||
		    !agree(K_CHI2, r.cramers_v, c->want[3], 1e-15) ||
		    r.yates != (r.dof == 1)) {
			print_message("MISMATCH chi2 %s: stat %.17g vs %.17g, p %.17g "
				      "vs %.17g, dof %u vs %g, V %.17g vs %.17g\n",
				      c->name, r.statistic, c->want[0], r.p_value,
				      c->want[1], r.dof, c->want[2], r.cramers_v,
				      c->want[3]);
			bad++;
		} else {
			print_message("ok chi2 %-34s stat=%.6g p=%.6g dof=%u V=%.4g%s\n",
				      c->name, r.statistic, r.p_value, r.dof,
				      r.cramers_v, r.yates ? " (Yates)" : "");
		}
	}
	report(K_CHI2, bad);
	assert_true(n >= 15 && yates >= 4);
	assert_int_equal(bad, 0);
}

static void test_js_hellinger_psie_counts_match(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < n_cases; i++) {
		mcase *c = &cases[i];
		double js2, jse, hell, psie;
		kpg_err err;

		if (c->kind != K_DIST)
			continue;
		assert_int_equal(divergence_js(c->a, c->b, c->na, DIVERGENCE_JS_BASE, &js2, &err), 0);
		assert_int_equal(divergence_js(c->a, c->b, c->na, M_E, &jse, &err), 0);
		assert_int_equal(divergence_hellinger(c->a, c->b, c->na, &hell, &err), 0);
		assert_int_equal(psi_evidently_counts(c->a, c->b, c->na, &psie, &err), 0);
		if (!agree(K_DIST, js2, c->want[0], 1e-15) ||
		    !agree(K_DIST, jse, c->want[1], 1e-15) ||
		    !agree(K_DIST, hell, c->want[2], 1e-15) ||
		    !agree(K_DIST, psie, c->want[3], 1e-15)) {
			print_message("MISMATCH dist %s: js2 %.17g vs %.17g, jse %.17g "
				      "vs %.17g, hellinger %.17g vs %.17g, psi %.17g "
				      "vs %.17g\n",
				      c->name, js2, c->want[0], jse, c->want[1],
				      hell, c->want[2], psie, c->want[3]);
			bad++;
		} else {
			print_message("ok dist %-34s js2=%.6g hell=%.6g psi_ev=%.6g\n",
				      c->name, js2, hell, psie);
		}
	}
	report(K_DIST, bad);
	assert_int_equal(bad, 0);
}

static void test_wasserstein_matches_scipy(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < n_cases; i++) {
		mcase *c = &cases[i];
		wasserstein_result r;
		kpg_err err;

		if (c->kind != K_WASS)
			continue;
		assert_int_equal(wasserstein_sorted(c->a, c->aw, c->na, c->b, c->bw,
						    c->nb, &r, &err),
				 0);
		/* numpy's std of a constant can be 1e-17 where ours is 0 */
		if (!agree(K_WASS, r.distance, c->want[0], 1e-15) ||
		    !agree(K_WASS, r.ref_std, c->want[1], 1e-15) ||
		    (r.ref_std > 0 && r.normalised != r.distance / r.ref_std)) {
			print_message("MISMATCH wasserstein %s: %.17g vs %.17g, std "
				      "%.17g vs %.17g\n",
				      c->name, r.distance, c->want[0], r.ref_std,
				      c->want[1]);
			bad++;
		} else {
			print_message("ok wasserstein %-34s d=%.6g std=%.6g norm=%.6g\n",
				      c->name, r.distance, r.ref_std, r.normalised);
		}
	}
	report(K_WASS, bad);
	assert_int_equal(bad, 0);
}

static void test_psi_evidently_numeric_matches(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < n_cases; i++) {
		mcase *c = &cases[i];
		double v = NAN;
		kpg_err err;

		if (c->kind != K_PSIE)
			continue;
		assert_int_equal(psi_evidently_numeric(c->a, c->aw, c->na, c->b,
						       c->nb, c->bins, &v, &err),
				 0);
		if (!agree(K_PSIE, v, c->want[0], 1e-15)) {
			print_message("MISMATCH psi_evidently %s: %.17g vs %.17g\n",
				      c->name, v, c->want[0]);
			bad++;
		} else {
			print_message("ok psi_evidently %-34s %.6g\n", c->name, v);
		}
	}
	report(K_PSIE, bad);
	assert_int_equal(bad, 0);
}

static void test_js_over_psi_bins_matches(void **state)
{
	size_t i, j, bad = 0;

	(void)state;
	for (i = 0; i < n_cases; i++) {
		mcase *c = &cases[i];
		psi_ref ref;
		double *rc, *cc, js, hell;
		kpg_err err;

		if (c->kind != K_JSPSI)
			continue;
		assert_int_equal(psi_ref_build(&ref, c->a, c->na, c->bins, &err), 0);
		rc = malloc(sizeof(double) * ref.n_bins);
		cc = malloc(sizeof(double) * ref.n_bins);
		assert_non_null(rc);
		assert_non_null(cc);
		assert_int_equal(psi_bin_counts(&ref, c->b, c->nb, cc, &err), 0);
		for (j = 0; j < ref.n_bins; j++)
			rc[j] = ref.ref_prop[j] * (double)c->na;
		assert_int_equal(divergence_js(rc, cc, ref.n_bins, 2.0, &js, &err), 0);
		assert_int_equal(divergence_hellinger(rc, cc, ref.n_bins, &hell, &err), 0);
		if (!agree(K_JSPSI, js, c->want[0], 1e-15) ||
		    !agree(K_JSPSI, hell, c->want[1], 1e-15)) {
			print_message("MISMATCH js over psi bins %s: %.17g vs %.17g, "
				      "hellinger %.17g vs %.17g\n",
				      c->name, js, c->want[0], hell, c->want[1]);
			bad++;
		} else {
			print_message("ok psi bins %-34s js2=%.6g hell=%.6g\n", c->name,
				      js, hell);
		}
		free(rc);
		free(cc);
		psi_ref_free(&ref);
	}
	report(K_JSPSI, bad);
	assert_int_equal(bad, 0);
}

static void test_corrections_match_numpy(void **state)
{
	size_t i, j, bad = 0;

	(void)state;
	for (i = 0; i < n_cases; i++) {
		mcase *c = &cases[i];
		double *bo = malloc(sizeof(double) * c->na);
		double *bh = malloc(sizeof(double) * c->na);
		size_t before = bad;
		kpg_err err;

		if (c->kind != K_CORR) {
			free(bo);
			free(bh);
			continue;
		}
		assert_non_null(bo);
		assert_non_null(bh);
		assert_int_equal(correction_adjust(CORRECTION_BONFERRONI, c->a, c->na, bo, &err), 0);
		assert_int_equal(correction_adjust(CORRECTION_BENJAMINI_HOCHBERG, c->a, c->na, bh, &err), 0);
		for (j = 0; j < c->na; j++) {
			if (!agree(K_CORR, bo[j], c->want[j], 0) ||
			    !agree(K_CORR, bh[j], c->want[c->na + j], 0)) {
				print_message("MISMATCH %s [%zu] p=%.17g: bonferroni "
					      "%.17g vs %.17g, bh %.17g vs %.17g\n",
					      c->name, j, c->a[j], bo[j], c->want[j],
					      bh[j], c->want[c->na + j]);
				bad++;
			}
		}
		if (bad == before)
			print_message("ok correction %-34s (%zu p-values)\n", c->name,
				      c->na);
		free(bo);
		free(bh);
	}
	report(K_CORR, bad);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chi2_matches_scipy),
		cmocka_unit_test(test_js_hellinger_psie_counts_match),
		cmocka_unit_test(test_wasserstein_matches_scipy),
		cmocka_unit_test(test_psi_evidently_numeric_matches),
		cmocka_unit_test(test_js_over_psi_bins_matches),
		cmocka_unit_test(test_corrections_match_numpy),
	};
	int rc;

	gsl_set_error_handler_off();
	if (access(PYTHON, X_OK) != 0) {
		fprintf(stderr, "%s not found: skipping\n", PYTHON);
		return 77;
	}
	rc = prepare();
	if (rc == 0)
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	cleanup();
	return rc;
}
