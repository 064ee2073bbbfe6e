/* cmd_audit.c - "kpigate audit verify FILE [--expect-head HASH]" and
 * "kpigate audit summary FILE [--json]". docs/audit.md */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_summary.h"
#include "commands.h"

static const char usage_audit[] =
	"usage: kpigate audit verify FILE [--expect-head HASH]\n"
	"       kpigate audit summary FILE [--json]\n"
	"\n"
	"Check or summarise a kpigate audit log (JSON Lines, SHA-256 chained).\n"
	"Run 'kpigate audit verify --help' or 'kpigate audit summary --help'.\n";

static const char usage_verify[] =
	"usage: kpigate audit verify FILE [--expect-head HASH]\n"
	"\n"
	"Checks every record of the audit log: canonical form, seq, prev_hash\n"
	"and hash. Prints 'FILE: intact, N records, head HASH' (exit 0) or\n"
	"'FILE:LINE: reason' for the first bad line (exit 1).\n"
	"\n"
	"  --expect-head HASH  a head hash recorded earlier (e.g. from 'audit\n"
	"                      summary'); the log must still contain that record,\n"
	"                      which detects a truncated tail. Records appended\n"
	"                      after it are allowed.\n"
	"\n"
	"Exit codes: 0 intact, 1 broken or truncated, 2 usage error or unreadable.\n";

static const char usage_summary[] =
	"usage: kpigate audit summary FILE [--json]\n"
	"\n"
	"Per model: windows evaluated, drift alarms, retrain/hold decisions by the\n"
	"reason code that decided them (old logs without codes: by the reason's\n"
	"text, marked so), actions (failed and expired ones too), executions,\n"
	"energy spent and avoided (spent: retrains whose execution started, at the\n"
	"estimate, replaced by the measured run where an execution was followed\n"
	"to its end; retrains decided but not started are shown apart with their\n"
	"estimate); chain status and head hash. Only the verified prefix of a\n"
	"broken log is counted.\n"
	"\n"
	"  --json  print the summary as JSON instead of a table\n"
	"\n"
	"Exit codes: 0 intact, 1 chain broken (summary of the intact part still\n"
	"printed), 2 usage error or unreadable.\n";

static int is_hash(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

struct find_head {
	const char *want;
	uint64_t found_seq; /* 0 when not (yet) found */
};

static int find_head_cb(const json_t *rec, void *ctx, kpg_err *err)
{
	struct find_head *fh = ctx;

	(void)err;
	if (fh->found_seq == 0 &&
	    strcmp(json_string_value(json_object_get(rec, "hash")), fh->want) == 0)
		fh->found_seq = (uint64_t)json_integer_value(json_object_get(rec, "seq"));
	return 0;
}

static int audit_verify_cmd(int argc, char **argv)
{
	struct find_head fh = {NULL, 0};
	const char *file = NULL;
	audit_verify_result res;
	kpg_err err = {{0}};
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_verify, stdout);
			return KPG_EXIT_OK;
		} else if (strcmp(argv[i], "--expect-head") == 0 && i + 1 < argc) {
			fh.want = argv[++i];
			if (!is_hash(fh.want)) {
				fprintf(stderr,
					"kpigate audit verify: --expect-head needs 64 lowercase hex digits\n");
				return KPG_EXIT_USAGE;
			}
		} else if (argv[i][0] == '-' || file != NULL) {
			fputs(usage_verify, stderr);
			return KPG_EXIT_USAGE;
		} else {
			file = argv[i];
		}
	}
	if (file == NULL) {
		fputs(usage_verify, stderr);
		return KPG_EXIT_USAGE;
	}
	rc = audit_walk_file(file, &res, fh.want ? find_head_cb : NULL, &fh, &err);
	if (rc == KPG_EINTEGRITY) {
		printf("%s:%llu: %s\n", file, (unsigned long long)res.bad_line,
		       res.reason);
		return KPG_EXIT_FINDINGS;
	}
	if (rc) {
		fprintf(stderr, "kpigate audit verify: %s\n", err.msg);
		return KPG_EXIT_USAGE;
	}
	if (fh.want != NULL && fh.found_seq == 0 &&
	    !(res.records == 0 && strcmp(fh.want, res.head_hash) == 0)) {
		printf("%s: expected head %s is not in the log: records were removed from its end or it was rewritten (now %llu records, head %s)\n",
		       file, fh.want, (unsigned long long)res.records,
		       res.head_hash);
		return KPG_EXIT_FINDINGS;
	}
	printf("%s: intact, %llu records, head %s", file,
	       (unsigned long long)res.records, res.head_hash);
	if (fh.want != NULL && fh.found_seq != 0 && fh.found_seq != res.records)
		printf(" (expected head is record %llu; %llu appended since)",
		       (unsigned long long)fh.found_seq,
		       (unsigned long long)(res.records - fh.found_seq));
	putchar('\n');
	return KPG_EXIT_OK;
}

static long long ival(const json_t *o, const char *k1, const char *k2)
{
	const json_t *v = json_object_get(o, k1);

	if (k2 != NULL)
		v = json_object_get(v, k2);
	return (long long)json_integer_value(v);
}

static double fval(const json_t *o, const char *k1, const char *k2)
{
	return json_number_value(json_object_get(json_object_get(
							 json_object_get(o, "energy"), k1),
						 k2));
}

static void print_row(const char *name, const json_t *b)
{
	printf("%-20.20s %7lld %6lld %7lld %5lld %10.4f %10.4f %10.4f %10.4f\n",
	       name, ival(b, "windows_evaluated", NULL),
	       ival(b, "drift_alarms", NULL), ival(b, "decisions", "retrain"),
	       ival(b, "decisions", "hold"), fval(b, "spent", "kwh"),
	       fval(b, "spent", "kg_co2e"), fval(b, "avoided", "kwh"),
	       fval(b, "avoided", "kg_co2e"));
}

/* Decisions by decisive reason: code, count and an example text; records
 * written before reason codes by the kind of their last reason, marked. */
static void print_reasons(const char *model, const json_t *b)
{
	static const char *const groups[][2] = {
		{"hold_reasons", "hold"},
		{"retrain_reasons", "retrain"},
		{"hold_reasons_by_text", "hold"},
		{"retrain_reasons_by_text", "retrain"},
	};
	const json_t *examples = json_object_get(b, "reason_examples"), *n;
	const char *key;
	size_t total = 0;

	for (size_t g = 0; g < 4; g++)
		total += json_object_size(json_object_get(b, groups[g][0]));
	if (total == 0)
		return;
	printf("\ndecisions by decisive reason, %s:\n", model);
	for (size_t g = 0; g < 4; g++)
		json_object_foreach(json_object_get(b, groups[g][0]), key, n) {
			const char *ex = json_string_value(json_object_get(examples, key));

			if (g < 2)
				printf("  %-7s %6lld  %-16s %s%s\n", groups[g][1],
				       (long long)json_integer_value(n), key,
				       ex ? "e.g. " : "", ex ? ex : "");
			else
				printf("  %-7s %6lld  (no reason code; by text) %s\n",
				       groups[g][1], (long long)json_integer_value(n), key);
		}
}

/* "k n, k n" of an object of counts */
static void print_counts(const json_t *counts)
{
	const char *k;
	json_t *v;
	int first = 1;

	json_object_foreach((json_t *)counts, k, v) {
		printf("%s%s %lld", first ? "" : ", ", k, (long long)json_integer_value(v));
		first = 0;
	}
}

/* Per model: action_result counts by status, and the retrains decided but
 * not started with their estimated energy (not counted as spent). */
static void print_actions(const json_t *sum)
{
	const json_t *models = json_object_get(sum, "models"), *b;
	const char *name;
	int header = 0;

	json_object_foreach((json_t *)models, name, b) {
		const json_t *ns = json_object_get(json_object_get(b, "energy"), "not_started");

		if (json_object_size(json_object_get(b, "actions")) == 0 &&
		    ival(ns, "runs", NULL) == 0)
			continue;
		if (!header++)
			printf("\nactions (action_result by status; attempt_failed counts attempts):\n");
		printf("  %-20.20s ", name);
		print_counts(json_object_get(b, "actions"));
		putchar('\n');
		if (ival(ns, "runs", NULL) > 0) {
			printf("  %-20s not started: %lld retrain(s), %.4f kWh, %.4f kg CO2e estimated, not spent (",
			       "", ival(ns, "runs", NULL),
			       json_number_value(json_object_get(ns, "kwh")),
			       json_number_value(json_object_get(ns, "kg_co2e")));
			print_counts(json_object_get(ns, "by_status"));
			printf(")\n");
		}
	}
}

static void print_table(const json_t *sum)
{
	const json_t *chain = json_object_get(sum, "chain");
	const json_t *models = json_object_get(sum, "models");
	const json_t *b;
	const char *name;

	if (strcmp(json_string_value(json_object_get(chain, "status")), "intact") == 0)
		printf("%s: chain intact, %lld records, head %s\n",
		       json_string_value(json_object_get(sum, "file")),
		       ival(chain, "records", NULL),
		       json_string_value(json_object_get(chain, "head_hash")));
	else
		printf("%s: chain BROKEN at line %lld: %s\n"
		       "  (summary of the %lld intact records before it; head %s)\n",
		       json_string_value(json_object_get(sum, "file")),
		       ival(chain, "bad_line", NULL),
		       json_string_value(json_object_get(chain, "reason")),
		       ival(chain, "records", NULL),
		       json_string_value(json_object_get(chain, "head_hash")));
	printf("\n%-20s %7s %6s %7s %5s %10s %10s %10s %10s\n", "model", "windows",
	       "drift", "retrain", "hold", "spent kWh", "spent kg", "avoid kWh",
	       "avoid kg");
	json_object_foreach((json_t *)models, name, b)
		print_row(name, b);
	print_row("(total)", json_object_get(sum, "totals"));
	printf("energy: kWh and kg CO2e; spent = retrains whose execution started; avoided = holds where a retrain-on-every-drift-alarm controller would have retrained\n");
	print_actions(sum);

	json_object_foreach((json_t *)models, name, b)
		print_reasons(name, b);
	b = json_object_get(json_object_get(sum, "totals"), "first_time");
	if (json_is_string(b))
		printf("\nfrom %s to %s\n", json_string_value(b),
		       json_string_value(json_object_get(
			       json_object_get(sum, "totals"), "last_time")));
}

static int audit_summary_cmd(int argc, char **argv)
{
	const char *file = NULL;
	kpg_err err = {{0}};
	json_t *sum = NULL;
	int as_json = 0, intact;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_summary, stdout);
			return KPG_EXIT_OK;
		} else if (strcmp(argv[i], "--json") == 0) {
			as_json = 1;
		} else if (argv[i][0] == '-' || file != NULL) {
			fputs(usage_summary, stderr);
			return KPG_EXIT_USAGE;
		} else {
			file = argv[i];
		}
	}
	if (file == NULL) {
		fputs(usage_summary, stderr);
		return KPG_EXIT_USAGE;
	}
	if (audit_summary_file(file, &sum, &err) != 0) {
		fprintf(stderr, "kpigate audit summary: %s\n", err.msg);
		return KPG_EXIT_USAGE;
	}
	intact = strcmp(json_string_value(json_object_get(
				json_object_get(sum, "chain"), "status")),
			"intact") == 0;
	if (as_json) {
		char *text = json_dumps(sum, JSON_INDENT(2) | JSON_SORT_KEYS |
						     JSON_REAL_PRECISION(10));

		if (text != NULL)
			puts(text);
		free(text);
	} else {
		print_table(sum);
	}
	json_decref(sum);
	return intact ? KPG_EXIT_OK : KPG_EXIT_FINDINGS;
}

int cmd_audit(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_audit, stderr);
		return KPG_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_audit, stdout);
		return KPG_EXIT_OK;
	}
	if (strcmp(argv[1], "verify") == 0)
		return audit_verify_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "summary") == 0)
		return audit_summary_cmd(argc - 1, argv + 1);
	fprintf(stderr, "kpigate audit: unknown subcommand '%s'\n\n%s", argv[1],
		usage_audit);
	return KPG_EXIT_USAGE;
}
