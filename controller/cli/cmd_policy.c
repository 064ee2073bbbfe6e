/* cmd_policy.c - "kpigate policy check FILE...": validates policy files
 * like `ntpd -n`, printing every error as FILE:LINE:COLUMN: message;
 * "kpigate policy keys": the table of every policy key. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "keys_cmd.h"
#include "policy.h"
#include "policy_keys.h"
#include "policy_refcheck.h"
#include "policy_report.h"

static const char usage[] =
	"usage: kpigate policy check [--no-reference] FILE...\n"
	"       kpigate policy keys [--json | --markdown]\n"
	"\n"
	"check validates retraining policy files (JSON, one model per file)\n"
	"and opens each policy's reference as the pipeline will: the file must\n"
	"load, and the declared features, the label column and the excluded\n"
	"columns must be columns of it. Every error is printed to stderr as\n"
	"FILE:LINE:COLUMN: message (with the nearest column name for a likely\n"
	"typo); each valid file is printed to stdout as FILE: OK.\n"
	"\n"
	"keys prints every policy key with its type, default, range and\n"
	"meaning: as JSON (--json), or as the Markdown table of\n"
	"docs/policies.md (--markdown, the default).\n"
	"\n"
	"options:\n"
	"  --no-reference  check the policy files only, not their references\n"
	"  -h, --help      print this help\n"
	"\n"
	"Exit codes (check): 0 every file valid; 1 findings: a policy or its\n"
	"reference has errors; 2 trouble: a usage error or a policy file that\n"
	"cannot be read. keys: 0 printed; 2 a usage error, or the table could\n"
	"not be written.\n";

/* KPG_EXIT_OK valid, KPG_EXIT_FINDINGS invalid (its policy or its
 * reference), KPG_EXIT_TROUBLE unreadable. */
static int check_one(const char *path, int with_reference)
{
	policy_diags diags = {0};
	policy *p = NULL;
	kpg_err err;
	int rc;

	kpg_err_clear(&err);
	rc = policy_load(path, &p, &diags, &err);
	if (rc == 0) {
		rc = with_reference ? policy_refcheck_report(path, p, stderr) : 0;
		if (rc == 0)
			printf("%s: OK\n", path);
		policy_free(p);
		return rc == 0 ? KPG_EXIT_OK : rc > 0 ? KPG_EXIT_FINDINGS
						      : KPG_EXIT_TROUBLE;
	}
	policy_report_diags(stderr, path, &diags, &err);
	/* no positioned error: the file could not be read at all */
	rc = diags.n == 0 ? KPG_EXIT_TROUBLE : KPG_EXIT_FINDINGS;
	policy_diags_free(&diags);
	return rc;
}

int cmd_policy(int argc, char **argv)
{
	int bad = 0, unreadable = 0, files = 0, opts_end = argc, with_reference = 1;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return KPG_EXIT_OK;
	}
	if (argc >= 2 && strcmp(argv[1], "keys") == 0) {
		size_t n;
		const kpg_jsonv_key *keys = policy_keys(&n);

		return keys_cmd(argc - 1, argv + 1, "policy", usage, keys, n, NULL);
	}
	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		if (argc >= 2)
			fprintf(stderr, "kpigate policy: unknown subcommand '%s'\n\n",
				argv[1]);
		fputs(usage, stderr);
		return KPG_EXIT_USAGE;
	}
	/* options first (all of them, so a bad one loads nothing) */
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			opts_end = i;
			break;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return KPG_EXIT_OK;
		}
		if (strcmp(argv[i], "--no-reference") == 0) {
			with_reference = 0;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "kpigate policy check: unknown option '%s'\n\n",
				argv[i]);
			fputs(usage, stderr);
			return KPG_EXIT_USAGE;
		}
	}
	for (int i = 2; i < argc; i++) {
		int rc;

		if (i == opts_end ||
		    (i < opts_end && strcmp(argv[i], "--no-reference") == 0))
			continue;
		files++;
		rc = check_one(argv[i], with_reference);
		bad += rc != KPG_EXIT_OK;
		unreadable += rc == KPG_EXIT_TROUBLE;
	}
	if (files == 0) {
		fputs("kpigate policy check: no files given\n\n", stderr);
		fputs(usage, stderr);
		return KPG_EXIT_USAGE;
	}
	if (bad > 0) {
		fprintf(stderr, "%d of %d policy file%s invalid%s\n", bad, files,
			files == 1 ? "" : "s", unreadable ? " or unreadable" : "");
		return unreadable ? KPG_EXIT_TROUBLE : KPG_EXIT_FINDINGS;
	}
	return KPG_EXIT_OK;
}
