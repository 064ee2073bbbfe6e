/* capture.h - decode SageMaker data-capture JSON Lines records.
 *
 * The hot path: one small C++ file (capture_decode.cpp, simdjson +
 * fast_float) behind this C header. A decoder owns reusable, capped buffers;
 * after warm-up decoding a record allocates nothing.
 *
 * A capture line looks like
 *   {"captureData":{"endpointInput":{"observedContentType":"text/csv",
 *     "mode":"INPUT","data":"1,2,3","encoding":"CSV"},
 *    "endpointOutput":{...,"data":"0.93","encoding":"CSV"}},
 *    "eventMetadata":{"eventId":"...","inferenceId":"...",
 *     "inferenceTime":"2022-04-18T00:21:48Z"},"eventVersion":"0"}
 * with keys in any order. Encodings: CSV, JSON, BASE64 (the decoded bytes
 * are then read per observedContentType, text/csv when absent). Input
 * payloads: text/csv (one instance per non-blank line), application/json
 * ({"instances":[{"features":[..]}|[..]|scalar, ..]}, a bare array of
 * arrays, a bare array of scalars = one instance, or {"features":[..]}),
 * application/jsonlines or application/x-jsonlines (each line read as an
 * application/json document). Output payloads: text/csv (first cell of
 * each line), application/json ({"predictions":[{FIELD:v}|v,..]} / [v,..] /
 * {FIELD:v} / v), application/jsonlines (one of those per line), where
 * FIELD is the configured score field (default "score"), with
 * "predicted_label" used when FIELD is absent; with output_details, a text
 * prediction and a probability array (a CSV row of several cells, a JSON
 * array, or FIELD holding one) are kept too. An inferenceTime string
 * that is not ISO 8601 (the SDK's "{%s}" placeholder) decodes with
 * has_inference_time = 0. docs/capture-format.md has every rule. */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why a line was rejected; counted per reason by callers. */
typedef enum capture_reject {
	CAPTURE_OK = 0,
	CAPTURE_REJECT_TOO_BIG,         /* line, instances, values or predictions
					   over their cap (also out of memory) */
	CAPTURE_REJECT_BAD_JSON,        /* the line is not valid JSON, or not an object */
	CAPTURE_REJECT_MISSING_FIELD,   /* captureData / endpointInput / data / eventId ...
					   absent or of the wrong type */
	CAPTURE_REJECT_BAD_ENCODING,    /* unknown encoding, or bad base64 */
	CAPTURE_REJECT_BAD_PAYLOAD,     /* payload does not parse for its content type,
					   unsupported content type, no instance */
	CAPTURE_REJECT_BAD_TIME,        /* inferenceTime not a time, or too far from
					   where the record arrived (its S3 hour
					   folder, its Kafka timestamp) */
	CAPTURE_REJECT_OUTPUT_MISMATCH, /* number of predictions != number of instances */
	/* the following are decided by the pipeline, which knows the schema */
	CAPTURE_REJECT_FEATURE_COUNT, /* instance has the wrong number of features */
	CAPTURE_REJECT_BAD_VALUE,     /* text in a numeric column, NaN or Inf */
	CAPTURE_REJECT_NO_POLICY,     /* no policy matches the record's endpoint */
	CAPTURE_REJECT_LATE_RECORD,   /* its time window was already closed */
	CAPTURE_REJECT_DUPLICATE_ID,  /* an id still in the join horizon: a
					 redelivered record or label */
	CAPTURE_REJECT_BAD_FILE,      /* the rest of a file cannot be read: a
					 corrupt or truncated gzip stream */
	CAPTURE_REJECT__COUNT
} capture_reject;

/* Stable snake_case name of a reason ("bad_json"), for summaries and audit. */
const char *capture_reject_name(capture_reject r);

typedef enum capture_value_kind {
	CAPTURE_VALUE_NUMBER = 0, /* parsed by fast_float (may be NaN/Inf: the
				     pipeline rejects those for numeric columns) */
	CAPTURE_VALUE_STRING,     /* text that is not a number */
	CAPTURE_VALUE_MISSING     /* empty CSV cell or JSON null */
} capture_value_kind;

typedef struct capture_value {
	double num;       /* valid when kind == NUMBER, else NaN */
	uint32_t str_off; /* text of the cell in capture_record.text: set for
			     STRING values and for every CSV cell (quotes
			     removed); str_len 0 for JSON numbers, bools, null */
	uint32_t str_len;
	uint8_t kind; /* capture_value_kind */
} capture_value;

/* One decoded line. Every pointer is owned by the decoder and borrowed
 * until the next capture_decode() or capture_decoder_free() on it. */
/* What the model returned for one instance beyond its score, kept when
 * capture_options.output_details is set (labels and class probabilities):
 * text_len > 0 when the prediction (or its "predicted_label" / score
 * field) is text that is not a number, such as "UP"; n_probs > 0 when it
 * is an array of numbers (JSON) or a CSV line of more than one cell (a
 * multi:softprob row), read with the number rule (NaN for other cells). */
typedef struct capture_output {
	uint32_t text_off, text_len; /* into capture_record.output_text */
	uint32_t probs_off, n_probs; /* into capture_record.probs */
} capture_output;

typedef struct capture_record {
	const char *event_id;
	size_t event_id_len;
	const char *inference_id;
	size_t inference_id_len; /* len 0 when absent */
	int64_t inference_time_ms;
	int has_inference_time;
	size_t n_instances;
	const size_t *instance_off;  /* n_instances + 1 offsets into values */
	const capture_value *values; /* instance i: values[instance_off[i] .. instance_off[i+1]) */
	const double *predictions;   /* n_predictions scores (NaN when not numeric;
					true/false are 1/0) */
	size_t n_predictions;        /* 0 when there is no endpointOutput */
	const char *text;            /* backing text for string cells */
	/* with capture_options.output_details, else NULL: */
	const capture_output *outputs; /* n_predictions entries */
	const double *probs;
	const char *output_text;
} capture_record;

typedef struct capture_options {
	size_t max_line_bytes;   /* default 1 MiB (0 = default), at most 1 GiB */
	size_t max_instances;    /* default 10000 per line (also caps predictions) */
	size_t max_values;       /* default 1,000,000 cells per line */
	const char *score_field; /* JSON output field, default "score", 1-127 bytes */
	int output_details;      /* 1: also keep text predictions and probability
				    arrays (capture_output) */
} capture_options;

typedef struct capture_decoder capture_decoder;

/* opt may be NULL for defaults; score_field is copied. Caller frees. */
int capture_decoder_new(capture_decoder **out, const capture_options *opt,
			kpg_err *err);
void capture_decoder_free(capture_decoder *dec);

/* Decodes one line (no trailing newline needed; need not be NUL-terminated;
 * line is copied, so it may be freed right after). Returns 0 and fills
 * *rec, or a negative code (KPG_ETOOBIG for too_big, KPG_ENOMEM, else
 * KPG_EPARSE) with *reason and err set and *rec zeroed. */
int capture_decode(capture_decoder *dec, const char *line, size_t len,
		   capture_record *rec, capture_reject *reason, kpg_err *err);

/* The number rule shared by every kpigate decoder: the whole of s[0..n)
 * must be a number for fast_float (decimal or exponent form, "nan", "inf",
 * "infinity", any case), optionally after one leading '+'. No whitespace,
 * no hex. Returns 1 and *out, or 0. */
int capture_parse_number(const char *s, size_t n, double *out);

/* Plain simdjson parse of the line without extracting anything: the
 * parse-only baseline for bench/. Returns 0 when the line is valid JSON,
 * KPG_EPARSE, KPG_ETOOBIG (over max_line_bytes) or KPG_ENOMEM. It reuses
 * the decoder's buffers: the last decoded record is invalid afterwards. */
int capture_parse_only(capture_decoder *dec, const char *line, size_t len);

#ifdef __cplusplus
}
#endif

#endif
