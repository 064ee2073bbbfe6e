/* audit_reasons.h - the summary's count of decisions by the reason that
 * decided them: by code (decision.decisive_reason, docs/policies.md), or,
 * for records written before reason codes, by the text of the last reason
 * (audit_reason_kind), kept apart and marked as such. docs/audit.md */
#ifndef AUDIT_REASONS_H
#define AUDIT_REASONS_H

#include <jansson.h>

/* Adds the empty groups to a summary block (a model's, or the totals):
 * "hold_reasons", "retrain_reasons" (code -> decisions), "reason_examples"
 * (code -> the first decisive text seen), "hold_reasons_by_text",
 * "retrain_reasons_by_text" (kind -> decisions, old records only). Keeps
 * what is there already. 0, or -1 when out of memory. */
int audit_reasons_init(json_t *block);

/* Counts the decision record data (borrowed) in block, under retrain or
 * hold. A record whose engine gave no decisive reason counts as "(none)".
 * 0, or -1 when out of memory. */
int audit_reasons_count(json_t *block, const json_t *data, int retrain);

#endif
