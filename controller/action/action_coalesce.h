/* action_coalesce.h - repeated identical failures of one trigger audited
 * as one record with a count, so that an outage, missing credentials or a
 * throttling storm cannot flood the audit log.
 *
 * A run is a sequence of consecutive failed attempts of one trigger with
 * the same status, error_type, http_status and error_message. The open run
 * lives in the trigger's outbox entry (member "failing"), so it survives
 * restarts with the entry. It is closed, and handed back as the
 * action_result to audit, when:
 *   - an attempt fails differently (the new failure opens the next run),
 *   - the run has been open interval_ms (at most one record per trigger
 *     per interval while the same failure goes on),
 *   - the trigger ends (started, failed, expired), or a call succeeds, or
 *     the runner stops (action_coalesce_take).
 * The closed record is the failure's fields plus count, first_attempt,
 * last_attempt (and attempt = last_attempt, as one attempt's record has),
 * first_time and last_time (ISO 8601 UTC). No I/O here. */
#ifndef ACTION_COALESCE_H
#define ACTION_COALESCE_H

#include <jansson.h>
#include <stdint.h>

/* What 0 means for interval_ms: five minutes. */
#define ACTION_COALESCE_DEFAULT_MS (5 * 60 * 1000)

/* Adds one failed attempt to the open run of entry e. fail: the attempt's
 * record (status, error_type, ...; borrowed, not changed). attempt: its
 * number over the trigger's life; now_ms: wall clock. *flush gets the
 * record of a run closed by this call (new reference: the caller audits
 * and decrefs it), else NULL. *opened is 1 when this attempt opened a new
 * run (a failure not seen just before: worth a log line). Returns 0, or
 * KPG_ENOMEM (the attempt is then not counted). */
int action_coalesce_add(json_t *e, const json_t *fail, int64_t attempt,
			int64_t now_ms, int64_t interval_ms, json_t **flush,
			int *opened);

/* Closes the open run of e: its record (new reference), or NULL when
 * none is open. */
json_t *action_coalesce_take(json_t *e);

#endif
