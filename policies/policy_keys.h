/* policy_keys.h - every key of a policy file, one row each: type, range,
 * default, documentation and where policy_load stores it (kpg_jsonv.h).
 * The one place a policy key, its default or its range is written;
 * docs/policies.md and policy.schema.json are checked against it
 * (tests/check_keys_docs.py). */
#ifndef POLICY_KEYS_H
#define POLICY_KEYS_H

#include <stddef.h>

#include "kpg_jsonv.h"

/* The table (static storage) and its row count. */
const kpg_jsonv_key *policy_keys(size_t *n);

/* The default of the number or integer key at path ("drift.psi_threshold").
 * Returns 0 with *out, or KPG_ENOTFOUND when the row has none. */
int policy_key_default(const char *path, double *out);

#endif
