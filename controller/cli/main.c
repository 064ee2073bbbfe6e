/* main.c - kpigate's entry point: dispatches to a subcommand. */
#include <curl/curl.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const char usage[] =
	"usage: kpigate COMMAND [ARGS]\n"
	"\n"
	"Retrain models only when their KPIs say so.\n"
	"\n"
	"commands:\n"
	"  replay   run the pipeline over capture and ground-truth files\n"
	"  compare  per-feature drift between two CSV files\n"
	"  policy   check policy files (policy check FILE...), list their keys\n"
	"  config   list the daemon configuration's keys (config keys)\n"
	"  audit    verify or summarise an audit log\n"
	"  action   show the exact AWS request a retrain would send (action test)\n"
	"  model    record that a new model serves (model deployed)\n"
	"  baseline compile a training CSV into a reference file (baseline build|show)\n"
	"  example  write the bundled example into a folder\n"
	"  run      the Kafka daemon (run --check --config FILE validates a configuration)\n"
	"\n"
	"Run 'kpigate COMMAND --help' for a command's options.\n"
	"Exit codes, every command: 0 it ran and found nothing; 1 findings (drift,\n"
	"a retrain decided, an invalid policy or configuration, a broken audit\n"
	"chain); 2 trouble (a usage error, unreadable input, nothing usable).\n"
	"Each command's --help says which of its outcomes is which.\n";

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} cmds[] = {
		{"replay", cmd_replay},
		{"compare", cmd_compare},
		{"policy", cmd_policy},
		{"audit", cmd_audit},
		{"example", cmd_example},
		{"run", cmd_run},
		{"action", cmd_action},
		{"config", cmd_config},
		{"model", cmd_model},
		{"baseline", cmd_baseline},
	};

	/* GSL's default handler aborts; every GSL call's code is checked. */
	gsl_set_error_handler_off();
	if (argc < 2) {
		fputs(usage, stderr);
		return KPG_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, stdout);
		return KPG_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("kpigate %s\n", KPIGATE_VERSION);
		return KPG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			int rc;

			/* once, before any thread: the action runner calls AWS
			 * from its own thread */
			if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
				fputs("kpigate: libcurl failed to initialise\n", stderr);
				return KPG_EXIT_TROUBLE;
			}
			rc = cmds[i].run(argc - 1, argv + 1);
			curl_global_cleanup();
			return rc;
		}
	fprintf(stderr, "kpigate: unknown command '%s'\n\n%s", argv[1], usage);
	return KPG_EXIT_USAGE;
}
