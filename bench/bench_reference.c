/* bench_reference - loading a compiled reference vs parsing its CSV.
 *
 * usage: bench_reference [-n ROWS] [-f FEATURES] [-m MAX_VALUES] [-k RUNS]
 *                        [-d DIR [-r [-c]]]
 *   -r: reuse DIR/ref.csv; -c: and DIR/ref.kpgref, time only its loads
 * Writes a CSV of ROWS rows of FEATURES numeric columns and a 0/1 label
 * (default 1,000,000 x 20; normal values printed with %.17g so each
 * parses to one double), then times, page cache warm:
 *   csv:      reference_load of the CSV (parse, sort, PSI bins)
 *   write:    reference_file_write of that reference (--max-values
 *             MAX_VALUES summaries first when a feature has more)
 *   compiled: reference_load of the compiled file (its magic dispatches
 *             to reference_file_read: the file mapped, SHA-256 of every
 *             section, checks, copies into the reference's arrays), and
 *             alternately read() into a buffer + reference_file_parse
 * each RUNS times (default 3, compiled 3x RUNS), and prints the fastest
 * and median of each, the file sizes, the speed-up and the peak RSS. Not a
 * test: timings never gate ctest (docs/performance.md). */
#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "csv_columns.h"
#include "reference.h"
#include "reference_file.h"
#include "reference_summary.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int write_csv(const char *path, long rows, int nf)
{
	FILE *f = fopen(path, "w");
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	if (f == NULL || r == NULL) {
		perror(path);
		return -1;
	}
	for (int j = 0; j < nf; j++)
		fprintf(f, "f%d,", j);
	fprintf(f, "label\n");
	for (long i = 0; i < rows; i++) {
		for (int j = 0; j < nf; j++)
			fprintf(f, "%.17g,", gsl_ran_gaussian(r, 1.0 + j) + j);
		fprintf(f, "%d\n", (int)(gsl_rng_uniform(r) < 0.3));
	}
	gsl_rng_free(r);
	return fclose(f) == 0 ? 0 : -1;
}

/* The file read into a buffer, then parsed: reference_load without its
 * mapping. */
static int read_parse(const char *path, const reference_options *ro,
		      reference *ref, kpg_err *err)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;
	int rc;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		kpg_err_set(err, "cannot read %s", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		kpg_err_set(err, "cannot read %s", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	rc = reference_file_parse(buf, (size_t)n, path, ro, ref, NULL, err);
	free(buf);
	return rc;
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int main(int argc, char **argv)
{
	long rows = 1000000, max_values = REFERENCE_FILE_DEFAULT_MAX_VALUES;
	int nf = 20, runs = 3, reuse = 0, only_compiled = 0, c;
	const char *dir = NULL;
	char tmpl[] = "/tmp/kpg-benchref-XXXXXX", csv[4096], out[4096];
	reference_options ro = {0};
	reference ref;
	csv_header h;
	kpg_err err = {""};
	double *t_csv, *t_cmp, *t_read, t_write = 0, t0;
	struct rusage ru;

	gsl_set_error_handler_off();
	while ((c = getopt(argc, argv, "n:f:m:k:d:rc")) != -1) {
		switch (c) {
		case 'n': rows = atol(optarg); break;
		case 'f': nf = atoi(optarg); break;
		case 'm': max_values = atol(optarg); break;
		case 'k': runs = atoi(optarg); break;
		case 'd': dir = optarg; break;
		case 'r': reuse = 1; break;
		case 'c': only_compiled = 1; break;
		default:
			fprintf(stderr, "usage: bench_reference [-n ROWS] [-f FEATURES] [-m MAX_VALUES] [-k RUNS] [-d DIR [-r [-c]]]\n");
			return 2;
		}
	}
	if (rows < 1 || nf < 1 || runs < 1 || max_values < 2) {
		fprintf(stderr, "bench_reference: bad arguments\n");
		return 2;
	}
	if (dir == NULL && (dir = mkdtemp(tmpl)) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(csv, sizeof(csv), "%s/ref.csv", dir);
	snprintf(out, sizeof(out), "%s/ref.kpgref", dir);
	if (!reuse) {
		printf("writing %ld rows x %d features to %s\n", rows, nf, csv);
		if (write_csv(csv, rows, nf) != 0)
			return 2;
	}
	t_csv = calloc((size_t)runs, sizeof(double));
	t_cmp = calloc((size_t)runs * 3, sizeof(double));
	t_read = calloc((size_t)runs * 3, sizeof(double));
	if (t_csv == NULL || t_cmp == NULL || t_read == NULL)
		return 2;
	ro.label_column = "label";
	if (only_compiled)
		goto compiled;
	for (int k = 0; k < runs; k++) {
		t0 = now_s();
		if (reference_load(csv, &ro, &ref, &err) != 0) {
			fprintf(stderr, "bench_reference: %s\n", err.msg);
			return 2;
		}
		t_csv[k] = now_s() - t0;
		if (k + 1 < runs)
			reference_free(&ref);
	}
	if (csv_header_read(csv, &h, &err) != 0 ||
	    reference_file_sha256(csv, ref.source_sha256, &err) != 0) {
		fprintf(stderr, "bench_reference: %s\n", err.msg);
		return 2;
	}
	t0 = now_s();
	for (size_t i = 0; i < ref.n_features; i++)
		if (reference_summarise(&ref.features[i], (size_t)max_values, &err) < 0) {
			fprintf(stderr, "bench_reference: %s\n", err.msg);
			return 2;
		}
	if (reference_file_write(out, &ref, &ro, &h, (uint64_t)max_values, &err) != 0) {
		fprintf(stderr, "bench_reference: %s\n", err.msg);
		return 2;
	}
	t_write = now_s() - t0;
	reference_free(&ref);
	csv_header_free(&h);
compiled:
	/* alternately: reference_load (the file mapped) and read() into a
	 * buffer + reference_file_parse, to see what the mapping saves */
	for (int k = 0; k < runs * 3; k++) {
		t0 = now_s();
		if (reference_load(out, &ro, &ref, &err) != 0) {
			fprintf(stderr, "bench_reference: %s\n", err.msg);
			return 2;
		}
		t_cmp[k] = now_s() - t0;
		reference_free(&ref);
		t0 = now_s();
		if (read_parse(out, &ro, &ref, &err) != 0) {
			fprintf(stderr, "bench_reference: %s\n", err.msg);
			return 2;
		}
		t_read[k] = now_s() - t0;
		reference_free(&ref);
	}
	getrusage(RUSAGE_SELF, &ru);
	{
		double csv_min, cmp_min, csv_med, cmp_med, rd_med;

		csv_med = median(t_csv, runs);
		csv_min = t_csv[0];
		cmp_med = median(t_cmp, runs * 3);
		cmp_min = t_cmp[0];
		printf("rows %ld, features %d, max_values %ld\n", rows, nf, max_values);
		if (!only_compiled)
			printf("csv       %lld bytes  reference_load  min %.1f ms  median %.1f ms  (%d runs)\n",
			       file_size(csv), csv_min * 1e3, csv_med * 1e3, runs);
		if (!only_compiled)
			printf("compile   %lld bytes  summarise+write %.1f ms\n", file_size(out),
			       t_write * 1e3);
		printf("compiled  reference_load  min %.1f ms  median %.1f ms  (%d runs)\n",
		       cmp_min * 1e3, cmp_med * 1e3, runs * 3);
		rd_med = median(t_read, runs * 3);
		printf("compiled  read()+parse    min %.1f ms  median %.1f ms  (%d runs)\n",
		       t_read[0] * 1e3, rd_med * 1e3, runs * 3);
		if (!only_compiled)
			printf("speed-up (median) %.1fx", csv_med / cmp_med);
		printf("   peak RSS %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
	}
	free(t_csv);
	free(t_cmp);
	free(t_read);
	return 0;
}
