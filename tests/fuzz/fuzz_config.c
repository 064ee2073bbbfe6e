/* libFuzzer target: the daemon's configuration file. Any bytes must give
 * either a configuration or diagnostics with positions inside the text,
 * never a crash or a leak. The KPIGATE_* environment is cleared first, so
 * only the file decides; paths resolve under a folder that does not exist,
 * so nothing on the machine is listed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

extern char **environ;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void clear_kpigate_env(void)
{
	for (char **e = environ; e && *e;) {
		const char *eq = strchr(*e, '=');
		char name[256];

		if (eq && strncmp(*e, "KPIGATE_", 8) == 0 &&
		    (size_t)(eq - *e) < sizeof(name)) {
			memcpy(name, *e, (size_t)(eq - *e));
			name[eq - *e] = '\0';
			unsetenv(name);
			e = environ; /* unsetenv moved the entries */
			continue;
		}
		e++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int cleared;
	config_diags diags = {0};
	config *cfg = NULL;
	kpg_err err;
	int lines = 1;

	if (!cleared) {
		clear_kpigate_env();
		cleared = 1;
	}
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (config_load_buffer("/nonexistent-kpigate-fuzz/kpigate.json",
			       (const char *)data, size, &cfg, &diags,
			       &err) == 0) {
		if (cfg == NULL || diags.n != 0)
			abort();
		config_free(cfg);
	} else {
		if (cfg != NULL)
			abort();
		for (size_t i = 0; i < diags.n; i++)
			if (diags.items[i].line < 0 ||
			    diags.items[i].line > lines + 1)
				abort();
	}
	config_diags_free(&diags);
	return 0;
}
