/* cmd_policy.c - "kpigate policy check FILE...": validates policy files
 * like `ntpd -n`, printing every error as FILE:LINE:COLUMN: message;
 * "kpigate policy keys": the table of every policy key. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "keys_cmd.h"
#include "policy.h"
#include "policy_keys.h"
#include "policy_report.h"

static const char usage[] =
	"usage: kpigate policy check FILE...\n"
	"       kpigate policy keys [--json | --markdown]\n"
	"\n"
	"check validates retraining policy files (JSON, one model per file).\n"
	"Every error is printed to stderr as FILE:LINE:COLUMN: message;\n"
	"each valid file is printed to stdout as FILE: OK.\n"
	"\n"
	"keys prints every policy key with its type, default, range and\n"
	"meaning: as JSON (--json), or as the Markdown table of\n"
	"docs/policies.md (--markdown, the default).\n"
	"\n"
	"options:\n"
	"  -h, --help  print this help\n"
	"\n"
	"Exit codes: 0 every file valid, 1 a file has errors or cannot be\n"
	"read, 2 usage error.\n";

/* 0 valid, 1 invalid or unreadable. */
static int check_one(const char *path)
{
	policy_diags diags = {0};
	policy *p = NULL;
	kpg_err err;
	int rc;

	kpg_err_clear(&err);
	rc = policy_load(path, &p, &diags, &err);
	if (rc == 0) {
		printf("%s: OK\n", path);
		policy_free(p);
		return 0;
	}
	policy_report_diags(stderr, path, &diags, &err);
	policy_diags_free(&diags);
	return 1;
}

int cmd_policy(int argc, char **argv)
{
	int bad = 0, files = 0, opts_end = argc;

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
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "kpigate policy check: unknown option '%s'\n\n",
				argv[i]);
			fputs(usage, stderr);
			return KPG_EXIT_USAGE;
		}
	}
	for (int i = 2; i < argc; i++) {
		if (i == opts_end)
			continue;
		files++;
		bad += check_one(argv[i]);
	}
	if (files == 0) {
		fputs("kpigate policy check: no files given\n\n", stderr);
		fputs(usage, stderr);
		return KPG_EXIT_USAGE;
	}
	if (bad > 0) {
		fprintf(stderr, "%d of %d policy file%s invalid\n", bad, files,
			files == 1 ? "" : "s");
		return KPG_EXIT_FINDINGS;
	}
	return KPG_EXIT_OK;
}
