/* keys_cmd.h - "kpigate policy keys" and "kpigate config keys": a file
 * format's key table (kpg_jsonv.h) as JSON or as the Markdown table of
 * its docs page. */
#ifndef KEYS_CMD_H
#define KEYS_CMD_H

#include <stddef.h>

#include "kpg_jsonv.h"

/* argv[0] is "keys"; options --json, --markdown (the default), --help.
 * env_prefix: the variables that set scalar keys, or NULL. usage is
 * printed for --help and usage errors. Returns the exit code. */
int keys_cmd(int argc, char **argv, const char *cmd, const char *usage,
	     const kpg_jsonv_key *keys, size_t n, const char *env_prefix);

#endif
