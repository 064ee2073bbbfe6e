/* keys_cmd.c - prints a key table (keys_cmd.h). */
#include "keys_cmd.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

int keys_cmd(int argc, char **argv, const char *cmd, const char *usage,
	     const kpg_jsonv_key *keys, size_t n, const char *env_prefix)
{
	int json = 0, markdown = 0;
	json_t *doc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return KPG_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--markdown") == 0) {
			markdown = 1;
		} else {
			fprintf(stderr, "kpigate %s keys: unknown argument '%s'\n\n",
				cmd, argv[i]);
			fputs(usage, stderr);
			return KPG_EXIT_USAGE;
		}
	}
	if (json && markdown) {
		fprintf(stderr, "kpigate %s keys: give --json or --markdown, not both\n\n",
			cmd);
		fputs(usage, stderr);
		return KPG_EXIT_USAGE;
	}
	if (!json) {
		kpg_jsonv_doc_markdown(stdout, keys, n, env_prefix);
		return KPG_EXIT_OK;
	}
	doc = kpg_jsonv_doc_json(keys, n, env_prefix);
	if (doc == NULL || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
		json_decref(doc);
		fprintf(stderr, "kpigate %s keys: out of memory\n", cmd);
		return KPG_EXIT_TROUBLE;
	}
	putchar('\n');
	json_decref(doc);
	return KPG_EXIT_OK;
}
