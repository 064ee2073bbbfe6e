/* audit_summary.h - what an audit log says, per model: windows evaluated,
 * drift alarms, decisions by decisive reason, actions, energy spent and
 * avoided. Reads only the verified prefix of the chain. docs/audit.md */
#ifndef AUDIT_SUMMARY_H
#define AUDIT_SUMMARY_H

#include <jansson.h>

#include "kpg_error.h"

/* Builds the summary of path into *out (caller decrefs):
 *   {"file":…, "chain":{"status":"intact"|"broken","records":N,
 *    "head_hash":…,"bad_line":N,"reason":…}, "models":{name:{…}},
 *    "totals":{…}}
 * Records after the first bad line are not counted. A broken chain is not
 * an error here (chain.status says so); returns KPG_EIO / KPG_ENOMEM when
 * the file cannot be read. */
int audit_summary_file(const char *path, json_t **out, kpg_err *err);

/* The reason "kind" used to group the decisions of records written before
 * reason codes (audit_reasons.c): the text before the first ':' with
 * numbers removed and spaces collapsed, at most outlen-1 bytes
 * ("(unspecified)" when nothing is left). */
void audit_reason_kind(const char *reason, char *out, size_t outlen);

#endif
