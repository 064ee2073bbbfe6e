/* cmd_config.c - "kpigate config keys": the table of every key of the
 * daemon's configuration file, with its environment variable. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config_keys.h"
#include "keys_cmd.h"

static const char usage[] =
	"usage: kpigate config keys [--json | --markdown]\n"
	"\n"
	"Prints every key of the daemon's configuration file (kpigate run\n"
	"--config FILE) with its type, default, range, environment variable\n"
	"and meaning: as JSON (--json), or as the Markdown table of\n"
	"docs/configuration.md (--markdown, the default).\n"
	"To check a configuration file: kpigate run --check --config FILE.\n"
	"\n"
	"options:\n"
	"  -h, --help  print this help\n"
	"\n"
	"Exit codes: 0 printed; 2 trouble: a usage error, or the table could\n"
	"not be written.\n";

int cmd_config(int argc, char **argv)
{
	size_t n;
	const kpg_jsonv_key *keys = config_keys(&n);

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return KPG_EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "keys") != 0) {
		if (argc >= 2)
			fprintf(stderr, "kpigate config: unknown subcommand '%s'\n\n",
				argv[1]);
		fputs(usage, stderr);
		return KPG_EXIT_USAGE;
	}
	return keys_cmd(argc - 1, argv + 1, "config", usage, keys, n,
			CONFIG_ENV_PREFIX);
}
