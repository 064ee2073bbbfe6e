/* groundtruth.h - decode SageMaker Model Monitor ground-truth JSON Lines:
 *   {"groundTruthData":{"data":"1","encoding":"CSV"},
 *    "eventMetadata":{"eventId":"..."[,"inferenceId":"..."]},"eventVersion":"0"}
 * encoding CSV (first value), JSON (a number, or an object with a "label"
 * field, or the configured field) or BASE64 of either. Uses jansson:
 * labels are far fewer than captures. */
#ifndef GROUNDTRUTH_H
#define GROUNDTRUTH_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "kpg_error.h"

typedef struct gt_record {
	char event_id[256];
	char inference_id[256]; /* "" when absent */
	double label;           /* numeric label (class 0/1 or a regression target) */
	char label_text[64];    /* the label as text, for categorical labels */
} gt_record;

/* Decodes one line into *rec. On failure returns a negative code and sets
 * *reason (same reasons as captures) and err. max_line_bytes 0 = 1 MiB. */
int gt_decode(const char *line, size_t len, size_t max_line_bytes,
	      gt_record *rec, capture_reject *reason, kpg_err *err);

#endif
