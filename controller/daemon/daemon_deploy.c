/* daemon_deploy.c - reads the deployments file as it grows (see
 * daemon_deploy.h). */
#include "daemon_deploy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpg_file.h"
#include "kpg_log.h"

static int add(daemon_deploys *dd, const char *model, int64_t at,
	       const char *ref_path)
{
	char *ref = NULL;

	if (dd->n == dd->cap) {
		size_t cap = dd->cap ? 2 * dd->cap : 16;
		daemon_deploy *ni = realloc(dd->items, cap * sizeof(*ni));

		if (ni == NULL)
			return KPG_ENOMEM;
		dd->items = ni;
		dd->cap = cap;
	}
	if (ref_path != NULL && (ref = strdup(ref_path)) == NULL)
		return KPG_ENOMEM;
	snprintf(dd->items[dd->n].model, sizeof(dd->items[dd->n].model), "%s", model);
	dd->items[dd->n].reference = ref;
	dd->items[dd->n++].at_ms = at;
	return 0;
}

int daemon_deploys_poll(daemon_deploys *dd)
{
	FILE *f;
	char line[8192], model[PIPELINE_DEPLOY_MODEL_MAX];
	char ref[PIPELINE_DEPLOY_PATH_MAX], full[PIPELINE_DEPLOY_PATH_MAX];
	char *dir;
	int added = 0;

	if (dd->path == NULL || (f = fopen(dd->path, "r")) == NULL)
		return 0; /* not configured, or not written yet */
	if (fseeko(f, dd->offset, SEEK_SET) != 0 || (dir = kpg_dir_of(dd->path)) == NULL) {
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);
		kpg_err err;
		int64_t at;

		if (len == 0 || line[len - 1] != '\n')
			break; /* being written: read it whole next time */
		dd->offset += (off_t)len;
		dd->line_no++;
		if (strspn(line, " \t\r\n") == len)
			continue;
		if (pipeline_parse_deployment(line, model, sizeof(model), &at, ref,
					      sizeof(ref), &err) != 0 ||
		    (ref[0] && pipeline_resolve_path(dir, ref, full, sizeof(full)) != 0)) {
			dd->rejected++;
			log_errorx("%s:%u: not a deployment, skipped: %s", dd->path, dd->line_no,
				   err.msg);
			continue;
		}
		if (add(dd, model, at, ref[0] ? full : NULL) != 0) {
			fclose(f);
			free(dir);
			return KPG_ENOMEM;
		}
		added++;
	}
	fclose(f);
	free(dir);
	return added;
}

int daemon_deploys_feed(const daemon_deploys *dd, size_t from, pipeline *pl)
{
	for (size_t i = from; i < dd->n; i++) {
		kpg_err err;
		int rc = pipeline_add_deployment(pl, dd->items[i].model, dd->items[i].at_ms,
						 dd->items[i].reference, &err);

		/* KPG_ENOTFOUND: a model this daemon does not run (warned
		 * about once, when the line was read) */
		if (rc == KPG_ENOMEM)
			return rc;
	}
	return 0;
}

void daemon_deploys_free(daemon_deploys *dd)
{
	for (size_t i = 0; i < dd->n; i++)
		free(dd->items[i].reference);
	free(dd->items);
	memset(dd, 0, sizeof(*dd));
}
