#include "policy_report.h"

#include <jansson.h>
#include <string.h>

void policy_report_diags(FILE *out, const char *path, const policy_diags *d,
			 const kpg_err *err)
{
	kpg_diags_print(out, path, d, err);
}

static int audit_rejected(audit_log *audit, const char *path,
			  const policy_diags *d, const kpg_err *err)
{
	json_t *errors = json_array(), *data;
	kpg_err aerr;
	int rc;

	for (size_t i = 0; i < d->n && errors; i++)
		json_array_append_new(errors, json_pack("{s:i, s:i, s:s}", "line",
							d->items[i].line, "column", d->items[i].column, "message",
							d->items[i].message));
	if (d->n == 0 && errors)
		json_array_append_new(errors, json_pack("{s:i, s:i, s:s}", "line", 0,
							"column", 0, "message", err->msg));
	data = json_pack("{s:s, s:o}", "file", path, "errors", errors);
	rc = data ? audit_append(audit, "policy_rejected", NULL, data, &aerr) : -1;
	json_decref(data);
	return rc;
}

int policy_report_load_all(const char *const *paths, size_t n, policy **out,
			   audit_log *audit, FILE *diag_out)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		policy_diags d = {0};
		kpg_err err = {""};

		out[i] = NULL;
		if (policy_load(paths[i], &out[i], &d, &err) != 0) {
			policy_report_diags(diag_out, paths[i], &d, &err);
			if (audit != NULL && audit_rejected(audit, paths[i], &d, &err) != 0)
				fprintf(diag_out, "%s: could not record policy_rejected in the audit log\n",
					paths[i]);
			failed = 1;
		}
		policy_diags_free(&d);
	}
	if (failed)
		for (size_t i = 0; i < n; i++) {
			policy_free(out[i]);
			out[i] = NULL;
		}
	return failed ? -1 : 0;
}
