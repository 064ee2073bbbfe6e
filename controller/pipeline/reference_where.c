/* reference_where.c - a reference error at its policy key (reference_where.h). */
#include "reference_where.h"

#include <stdlib.h>

#include "json_locate.h"
#include "kpg_file.h"

#define REFERENCE_WHERE_FILE_MAX (1024 * 1024) /* as policy_load's cap */

void reference_error_at(kpg_err *err, const char *policy_path,
			const char *key, const char *msg)
{
	json_locate *loc = NULL;
	char *text = NULL;
	size_t len = 0;
	int line = 0, column = 0;
	kpg_err sub;

	if (key != NULL && key[0] != '\0' &&
	    kpg_read_file(policy_path, REFERENCE_WHERE_FILE_MAX, "policy file",
			  &text, &len, &sub) == 0 &&
	    json_locate_build(text, len, &loc, &sub) == 0)
		json_locate_nearest(loc, key, 0, &line, &column);
	json_locate_free(loc);
	free(text);
	if (line > 0)
		kpg_err_set(err, "%s:%d:%d: reference: %s", policy_path, line,
			    column, msg);
	else
		kpg_err_set(err, "%s: reference: %s", policy_path, msg);
}
