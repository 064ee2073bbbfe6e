/* cmd_example.c - `kpigate example DIR [--seed N] [--records N] [--force]`:
 * writes the bundled example world (example_gen.c) into DIR. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "example_gen.h"

static const char example_usage[] =
	"usage: kpigate example DIR [--seed N] [--records N] [--force]\n"
	"\n"
	"Writes a simulated churn model's six weeks of SageMaker data capture,\n"
	"delayed ground truth, its training set and a retraining policy into\n"
	"DIR (created if missing), ready for `kpigate replay`.\n"
	"\n"
	"  --seed N     random seed, 1..4294967295 (default 42); the same seed\n"
	"               and record count write byte-identical files\n"
	"  --records N  capture records, 1000..5000000 (default 50000)\n"
	"  --force      write into a non-empty DIR, first removing the files an\n"
	"               earlier run wrote there\n"
	"\n"
	"Exit codes: 0 written; 2 trouble: a usage error or an I/O error (this\n"
	"command has no findings, so it never exits 1).\n";

/* Parses a whole decimal number in [lo, hi]; 0 or -1 with a message. */
static int example_number(const char *opt, const char *s,
			  unsigned long long lo, unsigned long long hi,
			  unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s == NULL || *s < '0' || *s > '9') {
		fprintf(stderr, "kpigate example: %s needs a number, got '%s'\n",
			opt, s ? s : "");
		return -1;
	}
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		fprintf(stderr, "kpigate example: %s: '%s' is not a whole "
				"number\n",
			opt, s);
		return -1;
	}
	if (errno == ERANGE || v < lo || v > hi) {
		fprintf(stderr, "kpigate example: %s must be in %llu..%llu, "
				"not %s\n",
			opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* 1 when dir exists and holds anything, 0 when empty or missing, -1 when
 * it cannot be read (message printed). */
static int example_dir_nonempty(const char *dir)
{
	struct stat sb;
	struct dirent *de;
	DIR *d;
	int found = 0;

	if (stat(dir, &sb) != 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "kpigate example: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "kpigate example: %s: not a folder\n", dir);
		return -1;
	}
	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "kpigate example: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while (!found && (de = readdir(d)) != NULL)
		found = strcmp(de->d_name, ".") != 0 &&
			strcmp(de->d_name, "..") != 0;
	closedir(d);
	return found;
}

static void example_print(const char *dir, unsigned long seed,
			  unsigned long long records, const example_stats *st)
{
	static const char *const days[] = {"1-14", "15-32", "33-42"};
	uint64_t labels = 0;

	for (int p = 0; p < EXAMPLE__PHASES; p++)
		labels += st->phase[p].labelled;
	printf("kpigate example: wrote %s (seed %lu, %llu records)\n", dir,
	       seed, records);
	printf("  train.csv      %llu rows\n",
	       (unsigned long long)st->train_rows);
	printf("  policy.json    the retraining policy\n");
	printf("  README.txt     what the files are, how to replay them\n");
	printf("  capture/       %llu hourly files\n",
	       (unsigned long long)st->capture_files);
	printf("  ground_truth/  %llu labels in %llu files\n",
	       (unsigned long long)labels,
	       (unsigned long long)st->ground_truth_files);
	printf("\n  %-16s %-6s %9s %9s %6s %7s %9s\n", "phase", "days",
	       "records", "labelled", "churn", "base64", "malformed");
	for (int p = 0; p < EXAMPLE__PHASES; p++) {
		const example_phase_stats *ps = &st->phase[p];

		printf("  %-16s %-6s %9llu %9llu %5.1f%% %7llu %9llu\n",
		       example_phase_name((enum example_phase)p), days[p],
		       (unsigned long long)ps->records,
		       (unsigned long long)ps->labelled,
		       ps->labelled ? 100.0 * (double)ps->positives /
					      (double)ps->labelled
				    : 0.0,
		       (unsigned long long)ps->base64,
		       (unsigned long long)ps->malformed);
	}
}

int cmd_example(int argc, char **argv)
{
	unsigned long long seed = EXAMPLE_DEFAULT_SEED;
	unsigned long long records = EXAMPLE_DEFAULT_RECORDS;
	const char *dir = NULL;
	int force = 0, nonempty, rc;
	example_stats st;
	kpg_err err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(example_usage, stdout);
			return KPG_EXIT_OK;
		} else if (strcmp(a, "--force") == 0) {
			force = 1;
		} else if (strcmp(a, "--seed") == 0 ||
			   strcmp(a, "--records") == 0) {
			const int is_seed = a[2] == 's';

			if (i + 1 >= argc) {
				fprintf(stderr, "kpigate example: %s needs a "
						"value\n%s",
					a, example_usage);
				return KPG_EXIT_USAGE;
			}
			if (example_number(a, argv[++i],
					   is_seed ? 1 : EXAMPLE_MIN_RECORDS,
					   is_seed ? 4294967295ULL : EXAMPLE_MAX_RECORDS,
					   is_seed ? &seed : &records))
				return KPG_EXIT_USAGE;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "kpigate example: unknown option '%s'\n%s",
				a, example_usage);
			return KPG_EXIT_USAGE;
		} else if (dir == NULL) {
			dir = a;
		} else {
			fprintf(stderr, "kpigate example: one DIR only, got '%s' "
					"and '%s'\n",
				dir, a);
			return KPG_EXIT_USAGE;
		}
	}
	if (dir == NULL) {
		fprintf(stderr, "kpigate example: no DIR given\n%s",
			example_usage);
		return KPG_EXIT_USAGE;
	}

	nonempty = example_dir_nonempty(dir);
	if (nonempty < 0)
		return KPG_EXIT_TROUBLE;
	if (nonempty && !force) {
		fprintf(stderr, "kpigate example: %s is not empty; use --force to "
				"write into it anyway\n",
			dir);
		return KPG_EXIT_USAGE;
	}
	if (nonempty && example_remove_previous(dir, &err) != 0) {
		fprintf(stderr, "kpigate example: %s\n", err.msg);
		return KPG_EXIT_TROUBLE;
	}
	rc = example_generate(dir, (unsigned long)seed, records, &st, &err);
	if (rc != 0) {
		fprintf(stderr, "kpigate example: %s\n", err.msg);
		return KPG_EXIT_TROUBLE;
	}
	example_print(dir, (unsigned long)seed, records, &st);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "kpigate example: cannot write to stdout: %s\n",
			strerror(errno));
		return KPG_EXIT_TROUBLE;
	}
	return KPG_EXIT_OK;
}
