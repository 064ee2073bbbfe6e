/* policy_report.h - loads every policy a command was given, printing each
 * problem as FILE:LINE:COLUMN: message and, when an audit log is open,
 * recording policy_rejected with all its errors. Nothing runs unless every
 * policy is valid. */
#ifndef POLICY_REPORT_H
#define POLICY_REPORT_H

#include <stdio.h>

#include "audit.h"
#include "policy.h"

/* Prints one file's diagnostics to out. */
void policy_report_diags(FILE *out, const char *path, const policy_diags *d,
			 const kpg_err *err);

/* Loads paths[0..n) into out[0..n) (caller frees each with policy_free).
 * Returns 0 when all loaded, else -1 after reporting every error of every
 * file; out[] entries of failed files are NULL. */
int policy_report_load_all(const char *const *paths, size_t n, policy **out,
			   audit_log *audit, FILE *diag_out);

#endif
