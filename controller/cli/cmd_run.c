/* cmd_run.c - `kpigate run --config FILE`: the daemon (Kafka or S3), and with
 * --check (like `ntpd -n`) a validation of its configuration and of every
 * policy in its policy_dir that prints "configuration OK" or every error
 * as FILE:LINE:COLUMN: message. Nothing here connects to Kafka. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "daemon.h"
#include "config.h"
#include "policy.h"
#include "policy_refcheck.h"
#include "policy_report.h"

static const char run_usage[] =
	"usage: kpigate run --config FILE [--check [--no-reference]]\n"
	"\n"
	"Runs kpigate as a daemon that reads captured inference records and\n"
	"ground-truth labels from Kafka, or polls them from S3 (source.type\n"
	"\"s3\", docs/s3.md). Keys, defaults, ranges and the\n"
	"KPIGATE_* environment variables that override them:\n"
	"docs/configuration.md.\n"
	"\n"
	"  -c, --config FILE  the configuration file (JSON)\n"
	"  -n, --check        validate the configuration and every policy in its\n"
	"                     policy_dir, each policy's reference included (as\n"
	"                     `policy check` does), print \"configuration OK\" or\n"
	"                     every error as FILE:LINE:COLUMN: message, and exit\n"
	"      --no-reference with --check: do not open the references\n"
	"  -h, --help         print this help\n"
	"\n"
	"SIGTERM or SIGINT: finish the batch, checkpoint, commit, leave the group.\n"
	"SIGHUP (or a change in policy_dir): reload the policies; an invalid one is\n"
	"rejected and audited, the running one stays. /healthz, /readyz and\n"
	"/metrics are served on http.listen. Operations: docs/operations.md.\n"
	"\n"
	"Exit codes: --check: 0 the configuration is OK; 1 findings: an invalid\n"
	"configuration, policy or reference; 2 trouble: a usage error or a\n"
	"configuration file that cannot be read. The daemon: 0 a clean shutdown;\n"
	"1 it refused to start (what --check reports, or its audit log or Kafka\n"
	"client could not be opened) or stopped on a fatal error (logged); 2 a\n"
	"usage error or a configuration file that cannot be read.\n";

typedef struct run_args {
	const char *config;
	int check, no_reference;
} run_args;

/* 0 parsed, -1 help printed, else an exit code. */
static int parse_args(int argc, char **argv, run_args *a)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'n'},
		{"no-reference", no_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:nh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': a->config = optarg; break;
		case 'n': a->check = 1; break;
		case 'R': a->no_reference = 1; break;
		case 'h': fputs(run_usage, stdout); return -1;
		case ':':
			fprintf(stderr, "kpigate run: %s needs a value\n\n%s",
				argv[optind - 1], run_usage);
			return KPG_EXIT_USAGE;
		default:
			fprintf(stderr, "kpigate run: unknown option '%s'\n\n%s",
				argv[optind - 1], run_usage);
			return KPG_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kpigate run: unexpected argument '%s'\n\n%s",
			argv[optind], run_usage);
		return KPG_EXIT_USAGE;
	}
	if (a->no_reference && !a->check) {
		fprintf(stderr, "kpigate run: --no-reference goes with --check\n\n%s",
			run_usage);
		return KPG_EXIT_USAGE;
	}
	if (a->config == NULL) {
		fprintf(stderr, "kpigate run: --config FILE is required\n\n%s",
			run_usage);
		return KPG_EXIT_USAGE;
	}
	return 0;
}

/* Two policies may not share a model (its state and idempotency keys)
 * nor a routing name (endpoint, else model). Returns the number of
 * clashes, each printed as FILE: message. */
static int check_clashes(policy *const *pols, size_t n, FILE *out)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		const char *ri = pols[i]->endpoint ? pols[i]->endpoint : pols[i]->model;

		for (size_t j = 0; j < i; j++) {
			const char *rj = pols[j]->endpoint ? pols[j]->endpoint : pols[j]->model;

			if (strcmp(pols[i]->model, pols[j]->model) == 0) {
				fprintf(out, "%s: model \"%s\" is also the model of %s\n",
					pols[i]->source_path, pols[i]->model,
					pols[j]->source_path);
				bad++;
			} else if (strcmp(ri, rj) == 0) {
				fprintf(out, "%s: records for endpoint \"%s\" would also match %s\n",
					pols[i]->source_path, ri, pols[j]->source_path);
				bad++;
			}
		}
	}
	return bad;
}

/* Validates everything `run` would start with: KPG_EXIT_OK,
 * KPG_EXIT_FINDINGS (errors printed), KPG_EXIT_TROUBLE (the configuration
 * cannot be read, out of memory). */
static int run_check(const char *path, int with_reference)
{
	config_diags diags = {0};
	config *cfg = NULL;
	policy **pols = NULL;
	kpg_err err;
	int rc = KPG_EXIT_FINDINGS;

	int bad_refs = 0;

	kpg_err_clear(&err);
	if (config_load(path, &cfg, &diags, &err) != 0) {
		config_report_diags(stderr, path, &diags, &err);
		if (diags.n == 0) /* not a positioned error: unreadable */
			rc = KPG_EXIT_TROUBLE;
		goto out;
	}
	pols = calloc(cfg->n_policy_files, sizeof(*pols));
	if (pols == NULL) {
		fprintf(stderr, "kpigate run: out of memory\n");
		rc = KPG_EXIT_TROUBLE;
		goto out;
	}
	if (policy_report_load_all((const char *const *)cfg->policy_files,
				   cfg->n_policy_files, pols, NULL, stderr) != 0)
		goto out;
	if (check_clashes(pols, cfg->n_policy_files, stderr) > 0)
		goto out;
	for (size_t i = 0; with_reference && i < cfg->n_policy_files; i++) {
		int r = policy_refcheck_report(cfg->policy_files[i], pols[i], stderr);

		if (r < 0) {
			rc = KPG_EXIT_TROUBLE;
			goto out;
		}
		bad_refs += r;
	}
	if (bad_refs > 0)
		goto out;
	printf("configuration OK\n");
	rc = KPG_EXIT_OK;
out:
	if (pols != NULL)
		for (size_t i = 0; i < cfg->n_policy_files; i++)
			policy_free(pols[i]);
	free(pols);
	config_free(cfg);
	config_diags_free(&diags);
	return rc;
}

/* Validates like --check (printing every error), then runs the daemon. */
static int run_daemon(const char *path)
{
	config_diags diags = {0};
	config *cfg = NULL;
	kpg_err err = {""};
	int rc;

	if (config_load(path, &cfg, &diags, &err) != 0) {
		config_report_diags(stderr, path, &diags, &err);
		/* as --check: unreadable is trouble, invalid a finding */
		rc = diags.n == 0 ? KPG_EXIT_TROUBLE : KPG_EXIT_FINDINGS;
		config_diags_free(&diags);
		return rc;
	}
	config_diags_free(&diags);
	rc = daemon_run(cfg);
	config_free(cfg);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	run_args a = {0};
	int rc = parse_args(argc, argv, &a);

	if (rc == -1)
		return KPG_EXIT_OK;
	if (rc != 0)
		return rc;
	if (a.check)
		return run_check(a.config, !a.no_reference);
	return run_daemon(a.config);
}
