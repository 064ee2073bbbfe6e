/* policy_refcheck.h - a valid policy's reference, checked before anything
 * runs on it (`policy check`, `run --check`): the file opens, every column
 * the policy names is in its header (declared features, the label column,
 * excluded columns), and it loads the way the pipeline loads it
 * (reference_load: types, rows). Each problem is a diagnostic at the
 * policy key that names it, FILE:LINE:COLUMN, with the nearest column
 * when a name looks like a typo. */
#ifndef POLICY_REFCHECK_H
#define POLICY_REFCHECK_H

#include <stddef.h>
#include <stdio.h>

#include "kpg_error.h"
#include "policy.h"

/* Checks p's reference; text (len bytes, borrowed for the call, may be
 * NULL) is the policy's JSON, for positions. Returns 0 when the reference
 * is usable, KPG_EINVAL with every problem added to d (err: "N reference
 * errors"), KPG_ENOMEM. */
int policy_refcheck(const policy *p, const char *text, size_t len,
		    policy_diags *d, kpg_err *err);

/* The first half of policy_refcheck, for callers that load the reference
 * themselves (the daemon's start and reload): the file opens and every
 * column the policy names is in its header; its rows are not read. */
int policy_refcheck_columns(const policy *p, const char *text, size_t len,
			    policy_diags *d, kpg_err *err);

/* The same for the policy loaded from path (read again for positions),
 * printing each problem to out as policy check prints policy errors.
 * Returns 0 usable, 1 problems printed, -1 out of memory (printed). */
int policy_refcheck_report(const char *path, const policy *p, FILE *out);

#endif
