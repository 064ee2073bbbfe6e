/* replay_inputs.h - what `kpigate replay` did not read, said out loud:
 * files of the input folders that are not capture files (skipped and
 * counted by reason, file_source.h), and endpoint folders
 * (ENDPOINT/VARIANT/yyyy/mm/dd/hh/) whose name matches no policy's
 * endpoint or model. Both go to stderr as warnings and into the summary
 * (--json: "skipped_files", "unmatched_endpoints"). */
#ifndef REPLAY_INPUTS_H
#define REPLAY_INPUTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "file_source.h"
#include "pipeline.h"

/* {"skipped_files": {"total", "by_reason": {REASON: n}, "first": [path]},
 *  "unmatched_endpoints": [{"endpoint", "files"}]} over the capture and
 * ground-truth lists (gts may be NULL). New reference, NULL when out of
 * memory. */
json_t *replay_inputs_json(const file_list *caps, const file_list *gts,
			   const pipeline *pl);

/* One warning line per problem in inputs (replay_inputs_json's), prefixed
 * "kpigate replay: warning: "; nothing when there is none. */
void replay_inputs_warn(FILE *out, const json_t *inputs);

/* The same, as lines of the readable summary. */
void replay_inputs_print(FILE *out, const json_t *inputs);

#endif
