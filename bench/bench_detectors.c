/* bench_detectors - the time of one call of each kpigate detector, on data
 * it also writes out so that bench/detectors_vs_scipy.sh can time the
 * equivalent scipy/numpy call on the very same arrays in the same run.
 *
 * usage: bench_detectors DIR [-n REF] [-m CUR] [-k CATS] [-c COUNT]
 * Writes to DIR (raw float64): ref (REF normal values, default 100,000,
 * sorted), cur (CUR values shifted by 0.05, default 10,000, sorted), refw
 * (weights for ref), cref/ccur (CATS category counts, default 50, each row
 * COUNT draws, default 1,000,000), pv (1,000 p-values). Prints one line
 * per detector: "c NAME SECONDS_PER_CALL", the best of 3 rounds of at
 * least 0.2 s each. The reference-side work kpigate does once per
 * reference (psi_ref_build) is outside the timed call, as in the pipeline;
 * the current window arrives sorted (the window sorts it once for all
 * detectors: "sort_cur" times that). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "chi2.h"
#include "correction.h"
#include "divergence.h"
#include "ks.h"
#include "psi.h"
#include "psi_evidently.h"
#include "sort.h"
#include "wasserstein.h"

typedef struct bench_data {
	double *ref, *refw, *cur, *cref, *ccur, *pv, *adj, *scratch;
	size_t n, m, k, np;
	psi_ref pref;
	double sink; /* keeps results alive */
} bench_data;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int write_f64(const char *dir, const char *name, const double *x,
		     size_t n)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return -1;
	}
	ok = fwrite(x, sizeof(double), n, f) == n;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

typedef int (*bench_fn)(bench_data *d);

static int b_psi(bench_data *d)
{
	return psi_numeric(&d->pref, d->cur, d->m, &d->sink, NULL);
}

/* what the pipeline calls: the window's sample is sorted */
static int b_psi_sorted(bench_data *d)
{
	return psi_numeric_sorted(&d->pref, d->cur, d->m, &d->sink, NULL);
}

static int b_ks(bench_data *d)
{
	ks_result r;
	int rc = ks_2samp_sorted(d->ref, d->n, d->cur, d->m, &r, NULL);

	d->sink += r.p_value;
	return rc;
}

static int b_chi2(bench_data *d)
{
	chi2_result r;
	int rc = chi2_homogeneity(d->cref, d->ccur, d->k, &r, NULL);

	d->sink += r.p_value;
	return rc;
}

static int b_js(bench_data *d)
{
	return divergence_js(d->cref, d->ccur, d->k, 2.0, &d->sink, NULL);
}

static int b_hellinger(bench_data *d)
{
	return divergence_hellinger(d->cref, d->ccur, d->k, &d->sink, NULL);
}

static int b_wass(bench_data *d)
{
	wasserstein_result r;
	int rc = wasserstein_sorted(d->ref, NULL, d->n, d->cur, NULL, d->m, &r,
				    NULL);

	d->sink += r.normalised;
	return rc;
}

static int b_wass_w(bench_data *d)
{
	wasserstein_result r;
	int rc = wasserstein_sorted(d->ref, d->refw, d->n, d->cur, NULL, d->m,
				    &r, NULL);

	d->sink += r.normalised;
	return rc;
}

static int b_psi_ev(bench_data *d)
{
	return psi_evidently_numeric(d->ref, NULL, d->n, d->cur, d->m,
				     PSI_EVIDENTLY_STURGES, &d->sink, NULL);
}

static int b_psi_ev_counts(bench_data *d)
{
	return psi_evidently_counts(d->cref, d->ccur, d->k, &d->sink, NULL);
}

static int b_bh(bench_data *d)
{
	return correction_adjust(CORRECTION_BENJAMINI_HOCHBERG, d->pv, d->np,
				 d->adj, NULL);
}

static int b_sort(bench_data *d)
{
	memcpy(d->scratch, d->cur, sizeof(double) * d->m);
	/* the window's values arrive in any order: reverse them */
	for (size_t i = 0; i < d->m / 2; i++) {
		double t = d->scratch[i];

		d->scratch[i] = d->scratch[d->m - 1 - i];
		d->scratch[d->m - 1 - i] = t;
	}
	sort_doubles(d->scratch, d->m);
	return 0;
}

/* best of 3 rounds, each at least 0.2 s: seconds per call */
static int time_one(const char *name, bench_fn fn, bench_data *d)
{
	double best = 1e300;
	int round;

	for (round = 0; round < 3; round++) {
		long calls = 0, batch = 1;
		double t0 = now_s(), t;

		for (;;) {
			long i;

			for (i = 0; i < batch; i++) {
				if (fn(d) != 0) {
					fprintf(stderr, "bench_detectors: %s failed\n",
						name);
					return -1;
				}
			}
			calls += batch;
			t = now_s() - t0;
			if (t >= 0.2)
				break;
			batch *= 2;
		}
		if (t / (double)calls < best)
			best = t / (double)calls;
	}
	printf("c %s %.6e\n", name, best);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		bench_fn fn;
	} benches[] = {
		{"psi", b_psi},
		{"psi_sorted", b_psi_sorted},
		{"ks", b_ks},
		{"wasserstein", b_wass},
		{"wasserstein_weighted", b_wass_w},
		{"psi_evidently", b_psi_ev},
		{"chi2", b_chi2},
		{"js", b_js},
		{"hellinger", b_hellinger},
		{"psi_evidently_counts", b_psi_ev_counts},
		{"bh_1000", b_bh},
		{"sort_cur", b_sort},
	};
	bench_data d;
	const char *dir;
	unsigned count = 1000000;
	gsl_rng *rng;
	double *pr = NULL, *pc = NULL;
	unsigned *cnt = NULL;
	size_t i;
	kpg_err err;
	int opt, rc = 1;

	memset(&d, 0, sizeof(d));
	d.n = 100000;
	d.m = 10000;
	d.k = 50;
	d.np = 1000;
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: bench_detectors DIR [-n REF] [-m CUR] "
				"[-k CATS] [-c COUNT]\n");
		return 2;
	}
	dir = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "n:m:k:c:")) != -1) {
		switch (opt) {
		case 'n': d.n = strtoul(optarg, NULL, 10); break;
		case 'm': d.m = strtoul(optarg, NULL, 10); break;
		case 'k': d.k = strtoul(optarg, NULL, 10); break;
		case 'c': count = (unsigned)strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (d.n < 2 || d.m < 2 || d.k < 2 || count < 1) {
		fprintf(stderr, "bench_detectors: sizes must be >= 2\n");
		return 2;
	}
	gsl_set_error_handler_off();
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng)
		return 1;
	gsl_rng_set(rng, 20261207);
	d.ref = malloc(sizeof(double) * d.n);
	d.refw = malloc(sizeof(double) * d.n);
	d.cur = malloc(sizeof(double) * d.m);
	d.scratch = malloc(sizeof(double) * d.m);
	d.cref = malloc(sizeof(double) * d.k);
	d.ccur = malloc(sizeof(double) * d.k);
	d.pv = malloc(sizeof(double) * d.np);
	d.adj = malloc(sizeof(double) * d.np);
	pr = malloc(sizeof(double) * d.k);
	pc = malloc(sizeof(double) * d.k);
	cnt = malloc(sizeof(unsigned) * d.k);
	if (!d.ref || !d.refw || !d.cur || !d.scratch || !d.cref || !d.ccur ||
	    !d.pv || !d.adj || !pr || !pc || !cnt) {
		fprintf(stderr, "bench_detectors: out of memory\n");
		goto done;
	}
	for (i = 0; i < d.n; i++) {
		d.ref[i] = gsl_ran_gaussian(rng, 1.0);
		d.refw[i] = gsl_ran_flat(rng, 0.5, 1.5);
	}
	for (i = 0; i < d.m; i++)
		d.cur[i] = 0.05 + gsl_ran_gaussian(rng, 1.0);
	gsl_sort(d.ref, 1, d.n);
	gsl_sort(d.cur, 1, d.m);
	for (i = 0; i < d.k; i++) {
		pr[i] = 1.0 + (double)(i % 7);
		pc[i] = pr[i] * (i == 3 ? 1.01 : 1.0);
	}
	gsl_ran_multinomial(rng, d.k, count, pr, cnt);
	for (i = 0; i < d.k; i++)
		d.cref[i] = cnt[i];
	gsl_ran_multinomial(rng, d.k, count, pc, cnt);
	for (i = 0; i < d.k; i++)
		d.ccur[i] = cnt[i];
	for (i = 0; i < d.np; i++)
		d.pv[i] = gsl_rng_uniform(rng) * (i < 50 ? 1e-4 : 1.0);
	if (write_f64(dir, "ref", d.ref, d.n) || write_f64(dir, "refw", d.refw, d.n) ||
	    write_f64(dir, "cur", d.cur, d.m) || write_f64(dir, "cref", d.cref, d.k) ||
	    write_f64(dir, "ccur", d.ccur, d.k) || write_f64(dir, "pv", d.pv, d.np))
		goto done;
	if (psi_ref_build(&d.pref, d.ref, d.n, PSI_DEFAULT_BINS, &err) != 0) {
		fprintf(stderr, "bench_detectors: %s\n", err.msg);
		goto done;
	}
	printf("sizes n=%zu m=%zu k=%zu count=%u p=%zu\n", d.n, d.m, d.k, count,
	       d.np);
	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		if (time_one(benches[i].name, benches[i].fn, &d) != 0)
			goto done;
	rc = 0;
done:
	psi_ref_free(&d.pref);
	free(d.ref);
	free(d.refw);
	free(d.cur);
	free(d.scratch);
	free(d.cref);
	free(d.ccur);
	free(d.pv);
	free(d.adj);
	free(pr);
	free(pc);
	free(cnt);
	gsl_rng_free(rng);
	return rc;
}
