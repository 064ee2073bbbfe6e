/* reference_where.h - a reference error said at its place in the policy
 * file: reference_load names the policy key an error is about
 * (reference_options.err_key); this finds that key's line and column. */
#ifndef REFERENCE_WHERE_H
#define REFERENCE_WHERE_H

#include "kpg_error.h"

/* Sets err to "POLICY:LINE:COLUMN: reference: MSG" when key is not empty
 * and the policy file still reads and holds it (the nearest enclosing key
 * otherwise), else "POLICY: reference: MSG". msg may not be err->msg. */
void reference_error_at(kpg_err *err, const char *policy_path,
			const char *key, const char *msg);

#endif
