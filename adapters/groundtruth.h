/* groundtruth.h - decode SageMaker Model Monitor ground-truth JSON Lines:
 *   {"groundTruthData":{"data":"1","encoding":"CSV"},
 *    "eventMetadata":{"eventId":"..."[,"inferenceId":"..."]},"eventVersion":"0"}
 * encoding CSV (first cell of the first non-blank line), JSON (a number,
 * bool or string; an object with a "label" or "groundTruth" field; a
 * one-element array or "instances" list of those) or BASE64 of either
 * (read as JSON when the decoded text starts with '{' or '[', else CSV).
 * A record with several labels (the merge job's {"instances":[...]}) is
 * rejected as bad_payload: kpigate joins one label per eventId. Uses
 * jansson: labels are far fewer than captures. */
#ifndef GROUNDTRUTH_H
#define GROUNDTRUTH_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "kpg_error.h"

typedef struct gt_record {
	char event_id[256];     /* longer ids are rejected as too_big */
	char inference_id[256]; /* "" when absent */
	double label;           /* numeric label (class 0/1 or a regression target);
				   NaN when the label is text that is not a
				   number (capture_parse_number rules) */
	char label_text[64];    /* the label as text, for categorical labels; cut to
				   63 bytes at a UTF-8 boundary. JSON true/false
				   are "true"/"false" with label 1/0 */
} gt_record;

/* Decodes one line into *rec. On failure returns a negative code
 * (KPG_ETOOBIG, KPG_ENOMEM or KPG_EPARSE) and sets *reason (same reasons as
 * captures: too_big, bad_json, missing_field, bad_encoding, bad_payload)
 * and err; *rec then holds whatever was decoded before the failure.
 * max_line_bytes 0 = 1 MiB. */
int gt_decode(const char *line, size_t len, size_t max_line_bytes,
	      gt_record *rec, capture_reject *reason, kpg_err *err);

#endif
