/* capture_reject.c - stable names of capture reject reasons. These strings
 * appear in summaries and audit records: never rename one. */
#include "capture.h"

static const char *const reject_names[CAPTURE_REJECT__COUNT] = {
	[CAPTURE_OK] = "ok",
	[CAPTURE_REJECT_TOO_BIG] = "too_big",
	[CAPTURE_REJECT_BAD_JSON] = "bad_json",
	[CAPTURE_REJECT_MISSING_FIELD] = "missing_field",
	[CAPTURE_REJECT_BAD_ENCODING] = "bad_encoding",
	[CAPTURE_REJECT_BAD_PAYLOAD] = "bad_payload",
	[CAPTURE_REJECT_BAD_TIME] = "bad_time",
	[CAPTURE_REJECT_OUTPUT_MISMATCH] = "output_mismatch",
	[CAPTURE_REJECT_FEATURE_COUNT] = "feature_count",
	[CAPTURE_REJECT_BAD_VALUE] = "bad_value",
	[CAPTURE_REJECT_NO_POLICY] = "no_policy",
	[CAPTURE_REJECT_LATE_RECORD] = "late_record",
	[CAPTURE_REJECT_DUPLICATE_ID] = "duplicate_id",
	[CAPTURE_REJECT_BAD_FILE] = "bad_file",
};

const char *capture_reject_name(capture_reject r)
{
	if ((unsigned)r >= CAPTURE_REJECT__COUNT)
		return "unknown";
	return reject_names[r];
}
