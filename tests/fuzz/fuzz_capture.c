/* fuzz_capture.c - libFuzzer target for capture_decode and
 * capture_parse_only: any bytes must give 0 or a clean reject, and a
 * successful record must be self-consistent. Two decoders: defaults, and
 * small caps with a custom score field and output details (label texts,
 * probability arrays) so cap paths and those get exercised. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const capture_record *r)
{
	volatile double sink = 0;

	if (r->n_instances == 0 || r->instance_off[0] != 0)
		abort();
	for (size_t i = 0; i < r->n_instances; i++) {
		if (r->instance_off[i + 1] < r->instance_off[i])
			abort();
		for (size_t j = r->instance_off[i]; j < r->instance_off[i + 1];
		     j++) {
			const capture_value *v = &r->values[j];
			if (v->kind > CAPTURE_VALUE_MISSING)
				abort();
			if (v->kind == CAPTURE_VALUE_STRING && v->str_len)
				sink += (unsigned char)r->text[v->str_off +
							       v->str_len - 1];
			sink += v->num;
		}
	}
	if (r->n_predictions && r->n_predictions != r->n_instances)
		abort();
	for (size_t i = 0; i < r->n_predictions; i++) {
		sink += r->predictions[i];
		if (r->outputs == NULL)
			continue;
		/* every text byte and probability is readable (ASan checks) */
		for (uint32_t j = 0; j < r->outputs[i].text_len; j++)
			sink += (unsigned char)r->output_text[r->outputs[i].text_off + j];
		for (uint32_t j = 0; j < r->outputs[i].n_probs; j++)
			sink += r->probs[r->outputs[i].probs_off + j];
	}
	for (size_t i = 0; i < r->event_id_len; i++)
		sink += (unsigned char)r->event_id[i];
	for (size_t i = 0; i < r->inference_id_len; i++)
		sink += (unsigned char)r->inference_id[i];
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static capture_decoder *def, *small;
	capture_options opt = {
		.max_line_bytes = 4096,
		.max_instances = 8,
		.max_values = 64,
		.score_field = "probability",
		.output_details = 1,
	};
	capture_record rec;
	capture_reject why;
	kpg_err err;
	const char *line = (const char *)data;

	if (!def && (capture_decoder_new(&def, NULL, &err) ||
		     capture_decoder_new(&small, &opt, &err)))
		abort();
	if (capture_decode(def, line, size, &rec, &why, &err) == 0)
		check(&rec);
	else if (why == CAPTURE_OK || why >= CAPTURE_REJECT_FEATURE_COUNT)
		abort();
	if (capture_decode(small, line, size, &rec, &why, &err) == 0)
		check(&rec);
	(void)capture_parse_only(def, line, size);
	return 0;
}
