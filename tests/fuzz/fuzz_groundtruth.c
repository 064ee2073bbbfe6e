/* fuzz_groundtruth.c - libFuzzer target for gt_decode: any bytes must give
 * 0 with NUL-terminated fields, or a clean reject. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "groundtruth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gt_record rec;
	capture_reject why;
	kpg_err err;
	int rc = gt_decode((const char *)data, size, 0, &rec, &why, &err);

	if (rc == 0) {
		if (why != CAPTURE_OK || !rec.event_id[0] ||
		    strlen(rec.event_id) >= sizeof(rec.event_id) ||
		    strlen(rec.inference_id) >= sizeof(rec.inference_id) ||
		    strlen(rec.label_text) >= sizeof(rec.label_text))
			abort();
	} else if (why == CAPTURE_OK) {
		abort();
	}
	(void)gt_decode((const char *)data, size, 64, &rec, &why, &err);
	return 0;
}
