/* bench_replay - replay throughput against a simdjson parse-only baseline
 * over the same capture file, in the same run, plus peak RSS.
 *
 * usage: bench_replay [-n N] [-f F] [-w W] [-R ROWS] [-x X] [-k K] [-d DIR [-r]] [-G]
 *        (-r: reuse DIR's files; -x, -k: window.max_exact_values and
 *        window.sketch_k, default the policy's; -G: write the files and
 *        the policy, time nothing: bench/replay_vs_peers.sh)
 * Generates N capture records of F numeric CSV features (default 1,000,000
 * and 20), a ROWS-row reference (default 10,000) and a count-window
 * policy, then times:
 *   parse-only: line_reader + capture_parse_only (simdjson, no extraction)
 *   replay:     line_reader + pipeline_capture_line (decode, window, KS/PSI
 *               on every closed window, policy, decisions)
 * and prints records/s for both and their ratio (target >= 0.40). */
#include <errno.h>
#include <ftw.h>
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

#include "file_source.h"
#include "pipeline.h"
#include "policy_report.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int write_inputs(const char *dir, long n, int nf, long ref_rows)
{
	char path[4096];
	FILE *f;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	snprintf(path, sizeof(path), "%s/train.csv", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	for (int j = 0; j < nf; j++)
		fprintf(f, "%sx%d", j ? "," : "", j);
	fputc('\n', f);
	for (long i = 0; i < ref_rows; i++) {
		for (int j = 0; j < nf; j++)
			fprintf(f, "%s%.6g", j ? "," : "", gsl_ran_gaussian(r, 1.0) + j);
		fputc('\n', f);
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/capture.jsonl", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	for (long i = 0; i < n; i++) {
		long s = i / 10; /* ten records a second from 2026-01-01 */
		fputs("{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"text/csv\","
		      "\"mode\":\"INPUT\",\"data\":\"",
		      f);
		for (int j = 0; j < nf; j++)
			fprintf(f, "%s%.6g", j ? "," : "", gsl_ran_gaussian(r, 1.0) + j + (i > n / 2) * 0.3);
		fprintf(f, "\",\"encoding\":\"CSV\"},\"endpointOutput\":{\"observedContentType\":"
			   "\"text/csv; charset=utf-8\",\"mode\":\"OUTPUT\",\"data\":\"%.6f\","
			   "\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":"
			   "\"%08lx-6f1c-4a7e-9d21-%012lx\",\"inferenceTime\":"
			   "\"2026-01-%02ldT%02ld:%02ld:%02ldZ\"},\"eventVersion\":\"0\"}\n",
			gsl_rng_uniform(r), (unsigned long)i, (unsigned long)i * 7919,
			1 + s / 86400 % 28, s / 3600 % 24, s / 60 % 60, s % 60);
	}
	gsl_rng_free(r);
	return fclose(f);
}

static long parse_only(const char *path, capture_decoder *dec, long *bad)
{
	line_reader lr;
	const char *line;
	size_t len;
	long n = 0;
	kpg_err err;
	int rc;

	if (line_reader_open(&lr, path, 1 << 20, &err))
		return -1;
	while ((rc = line_reader_next(&lr, &line, &len, &err)) == LINE_OK) {
		n++;
		*bad += capture_parse_only(dec, line, len) != 0;
	}
	line_reader_close(&lr);
	return n;
}

/* decode-only: capture_decode with no window, statistics or policy. */
static long decode_only(const char *path, capture_decoder *dec, long *bad)
{
	line_reader lr;
	const char *line;
	size_t len;
	long n = 0;
	kpg_err err;
	capture_record rec;
	capture_reject reason;

	if (line_reader_open(&lr, path, 1 << 20, &err))
		return -1;
	while (line_reader_next(&lr, &line, &len, &err) == LINE_OK) {
		n++;
		*bad += capture_decode(dec, line, len, &rec, &reason, &err) != 0;
	}
	line_reader_close(&lr);
	return n;
}

/* The policy of this run: written every time, so -w, -x and -k apply to
 * reused records too. max_exact / sketch_k 0: the policy's defaults. */
static int write_policy(const char *dir, long window_records, long max_exact,
			long sketch_k)
{
	char path[4096], extra[128] = "";
	FILE *f;

	if (max_exact > 0)
		snprintf(extra, sizeof(extra), ", \"max_exact_values\": %ld", max_exact);
	if (sketch_k > 0)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 ", \"sketch_k\": %ld", sketch_k);
	snprintf(path, sizeof(path), "%s/policy.json", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "{\"model\": \"bench\", \"reference\": {\"path\": \"train.csv\"},\n"
		   " \"window\": {\"records\": %ld%s},\n"
		   " \"kpis\": [{\"metric\": \"auc\", \"min\": 0.7}],\n"
		   " \"action\": {\"type\": \"dry_run\"},\n"
		   " \"energy\": {\"instance_type\": \"ml.m5.xlarge\", \"instance_count\": 1,"
		   " \"expected_hours\": 1, \"region\": \"us-east-1\"}}\n",
		window_records, extra);
	return fclose(f) == 0 ? 0 : -1;
}

static long replay(const char *dir, const char *path, kpg_err *err)
{
	char pol_path[4096];
	const char *paths[1] = {pol_path};
	policy *pols[1];
	pipeline pl;
	line_reader lr;
	const char *line;
	size_t len;
	long n = 0;
	int rc;

	snprintf(pol_path, sizeof(pol_path), "%s/policy.json", dir);
	if (policy_report_load_all(paths, 1, pols, NULL, stderr))
		return -1;
	if (pipeline_init(&pl, pols, 1, NULL, NULL, NULL, err))
		return -1;
	if (line_reader_open(&lr, path, 1 << 20, err)) {
		pipeline_free(&pl);
		return -1;
	}
	while ((rc = line_reader_next(&lr, &line, &len, err)) == LINE_OK) {
		n++;
		if (pipeline_capture_line(&pl, line, len, NULL, path, lr.line_no, err))
			break;
	}
	line_reader_close(&lr);
	pipeline_finish(&pl, err);
	if (pl.stats.capture_ok != (uint64_t)n)
		fprintf(stderr, "bench: only %llu of %ld records accepted\n",
			(unsigned long long)pl.stats.capture_ok, n);
	printf("replay:     %llu windows evaluated\n",
	       (unsigned long long)pl.models[0].windows);
	pipeline_free(&pl);
	return n;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes the bench's own temporary folder and everything in it. */
static void remove_tree(const char *dir)
{
	if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "bench_replay: could not remove %s: %s\n", dir,
			strerror(errno));
}

int main(int argc, char **argv)
{
	long n = 1000000, window_records = 100000, max_exact = 0, sketch_k = 0;
	long ref_rows = 10000;
	int nf = 20, c, reuse = 0, temp = 0, rc = 0, generate_only = 0;
	char dir[4096] = "", path[4200];
	capture_decoder *dec;
	struct rusage ru;
	kpg_err err;
	double t0, t_parse, t_decode, t_replay;
	long got, bad = 0;

	gsl_set_error_handler_off();
	while ((c = getopt(argc, argv, "n:f:w:R:x:k:d:rG")) != -1) {
		switch (c) {
		case 'n': n = atol(optarg); break;
		case 'f': nf = atoi(optarg); break;
		case 'w': window_records = atol(optarg); break;
		case 'R': ref_rows = atol(optarg); break;
		case 'G': generate_only = 1; break;
		case 'x': max_exact = atol(optarg); break;
		case 'k': sketch_k = atol(optarg); break;
		case 'd': snprintf(dir, sizeof(dir), "%s", optarg); break;
		case 'r': reuse = 1; break;
		default:
			fprintf(stderr, "usage: bench_replay [-n records] [-f features] [-w window] [-R reference_rows] [-x max_exact_values] [-k sketch_k] [-d dir [-r]] [-G]\n");
			return 2;
		}
	}
	if (n < 1000 || nf < 1 || nf > 500 || window_records < 100 || ref_rows < 100) {
		fprintf(stderr, "bench_replay: need -n >= 1000, 1 <= -f <= 500, -w >= 100, -R >= 100\n");
		return 2;
	}
	if (!dir[0] && generate_only) {
		fprintf(stderr, "bench_replay: -G needs -d DIR\n");
		return 2;
	}
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/kpigate-bench-XXXXXX");
		if (mkdtemp(dir) == NULL)
			return 1;
		temp = 1; /* removed at the end: it holds ~500 MB */
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "bench_replay: cannot create %s: %s\n", dir, strerror(errno));
		rc = 1;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/capture.jsonl", dir);
	if (reuse && access(path, R_OK) == 0) {
		printf("reusing the records in %s\n", dir);
	} else {
		printf("generating %ld records of %d numeric features, a %ld-row reference, in %s ...\n",
		       n, nf, ref_rows, dir);
		if (write_inputs(dir, n, nf, ref_rows)) {
			fprintf(stderr, "bench_replay: cannot write the inputs in %s\n", dir);
			rc = 1;
			goto out;
		}
	}
	if (write_policy(dir, window_records, max_exact, sketch_k)) {
		fprintf(stderr, "bench_replay: cannot write %s/policy.json\n", dir);
		rc = 1;
		goto out;
	}
	printf("window: %ld records, max_exact_values %ld, sketch_k %ld (0: default)\n",
	       window_records, max_exact, sketch_k);
	if (generate_only)
		goto out;
	if (capture_decoder_new(&dec, NULL, &err)) {
		rc = 1;
		goto out;
	}
	parse_only(path, dec, &bad); /* warm the page cache */
	t0 = now_s();
	got = parse_only(path, dec, &bad);
	t_parse = now_s() - t0;
	t0 = now_s();
	decode_only(path, dec, &bad);
	t_decode = now_s() - t0;
	capture_decoder_free(dec);
	t0 = now_s();
	if (replay(dir, path, &err) != got) {
		fprintf(stderr, "bench_replay: replay failed: %s\n", err.msg);
		rc = 1;
		goto out;
	}
	t_replay = now_s() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("parse-only: %ld records in %.3f s = %.0f records/s\n", got, t_parse,
	       (double)got / t_parse);
	printf("decode:     %ld records in %.3f s = %.0f records/s\n", got, t_decode,
	       (double)got / t_decode);
	printf("replay:     %ld records in %.3f s = %.0f records/s\n", got, t_replay,
	       (double)got / t_replay);
	printf("ratio decode / parse-only: %.2f (the ceiling for replay)\n", t_parse / t_decode);
	printf("ratio replay / parse-only: %.2f (target >= 0.40)\n", t_parse / t_replay);
	printf("peak RSS: %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
out:
	if (temp)
		remove_tree(dir);
	return rc;
}
