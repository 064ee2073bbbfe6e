/* groundtruth.c - decode one ground-truth JSON line (see groundtruth.h and
 * docs/capture-format.md). jansson is fine here: there is one label per
 * record and labels are far fewer than captures. */
#include "groundtruth.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_b64.h"

#define GT_DEFAULT_MAX_LINE ((size_t)1 << 20)

/* Sets the reason and message; returns the matching negative code. */
__attribute__((format(printf, 4, 5))) static int
gt_reject(capture_reject *reason, kpg_err *err, capture_reject r,
	  const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(err->msg)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	*reason = r;
	kpg_err_set(err, "%s", msg);
	return r == CAPTURE_REJECT_TOO_BIG ? KPG_ETOOBIG : KPG_EPARSE;
}

static int eq_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a, y = *b;
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return *a == *b;
}

/* Copies at most dstlen - 1 bytes, cutting before a partial UTF-8
 * sequence, and NUL-terminates. */
static void copy_text(char *dst, size_t dstlen, const char *s, size_t n)
{
	if (n >= dstlen) {
		n = dstlen - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void set_label_text(gt_record *rec, const char *s, size_t n)
{
	copy_text(rec->label_text, sizeof(rec->label_text), s, n);
	if (!capture_parse_number(s, n, &rec->label))
		rec->label = NAN;
}

/* First cell of the first non-blank CSV row, trimmed and unquoted. */
static int label_from_csv(const char *s, size_t n, gt_record *rec,
			  capture_reject *reason, kpg_err *err)
{
	size_t i = 0, st, e;
	char cell[sizeof(rec->label_text) * 4];
	size_t w = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
			 s[i] == '\n'))
		i++;
	if (i == n)
		return gt_reject(reason, err, CAPTURE_REJECT_BAD_PAYLOAD,
				 "groundTruthData.data is empty");
	if (s[i] == '"') {
		/* quoted cell: "" is a quote; keep what fits, scan to the end */
		for (i++;; i++) {
			if (i == n)
				return gt_reject(reason, err,
						 CAPTURE_REJECT_BAD_PAYLOAD,
						 "groundTruthData.data: "
						 "unterminated quote");
			if (s[i] == '"') {
				if (i + 1 < n && s[i + 1] == '"')
					i++;
				else
					break;
			}
			if (w < sizeof(cell))
				cell[w++] = s[i];
		}
		set_label_text(rec, cell, w);
	} else {
		st = i;
		while (i < n && s[i] != ',' && s[i] != '\n')
			i++;
		e = i;
		while (e > st && (s[e - 1] == ' ' || s[e - 1] == '\t' ||
				  s[e - 1] == '\r'))
			e--;
		if (e == st)
			return gt_reject(reason, err,
					 CAPTURE_REJECT_BAD_PAYLOAD,
					 "groundTruthData.data: empty label");
		set_label_text(rec, s + st, e - st);
	}
	if (rec->label_text[0] == '\0')
		return gt_reject(reason, err, CAPTURE_REJECT_BAD_PAYLOAD,
				 "groundTruthData.data: empty label");
	return 0;
}

/* A label value: number, bool or string; objects carry it in "label" or
 * "groundTruth"; a one-element array or "instances" list holds one. */
static int label_from_json(json_t *v, gt_record *rec, capture_reject *reason,
			   kpg_err *err, int depth)
{
	char buf[64];
	json_t *f;

	if (depth > 4)
		return gt_reject(reason, err, CAPTURE_REJECT_BAD_PAYLOAD,
				 "groundTruthData.data: label nested too "
				 "deeply");
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		copy_text(rec->label_text, sizeof(rec->label_text), buf,
			  strlen(buf));
		rec->label = (double)json_integer_value(v);
		return 0;
	case JSON_REAL:
		rec->label = json_real_value(v);
		/* the shortest text that reads back as the same double */
		snprintf(buf, sizeof(buf), "%.15g", rec->label);
		if (strtod(buf, NULL) != rec->label)
			snprintf(buf, sizeof(buf), "%.17g", rec->label);
		copy_text(rec->label_text, sizeof(rec->label_text), buf,
			  strlen(buf));
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		rec->label = json_is_true(v) ? 1.0 : 0.0;
		strcpy(rec->label_text, json_is_true(v) ? "true" : "false");
		return 0;
	case JSON_STRING:
		if (json_string_length(v) == 0)
			return gt_reject(reason, err,
					 CAPTURE_REJECT_BAD_PAYLOAD,
					 "groundTruthData.data: empty label");
		set_label_text(rec, json_string_value(v),
			       json_string_length(v));
		return 0;
	case JSON_ARRAY:
		if (json_array_size(v) != 1)
			return gt_reject(reason, err,
					 CAPTURE_REJECT_BAD_PAYLOAD,
					 "groundTruthData.data holds %zu labels; "
					 "kpigate joins one label per record",
					 json_array_size(v));
		return label_from_json(json_array_get(v, 0), rec, reason, err,
				       depth + 1);
	case JSON_OBJECT:
		if ((f = json_object_get(v, "label")) ||
		    (f = json_object_get(v, "groundTruth")))
			return label_from_json(f, rec, reason, err, depth + 1);
		if ((f = json_object_get(v, "instances")) && json_is_array(f))
			return label_from_json(f, rec, reason, err, depth + 1);
		return gt_reject(reason, err, CAPTURE_REJECT_BAD_PAYLOAD,
				 "groundTruthData.data: object has no \"label\" "
				 "or \"groundTruth\" field");
	default:
		return gt_reject(reason, err, CAPTURE_REJECT_BAD_PAYLOAD,
				 "groundTruthData.data: label is null");
	}
}

static int label_from_json_text(const char *s, size_t n, gt_record *rec,
				capture_reject *reason, kpg_err *err)
{
	json_error_t jerr;
	json_t *v = json_loadb(s, n, JSON_DECODE_ANY, &jerr);
	int rc;

	if (!v)
		return gt_reject(reason, err, CAPTURE_REJECT_BAD_PAYLOAD,
				 "groundTruthData.data is not valid JSON: %s",
				 jerr.text);
	rc = label_from_json(v, rec, reason, err, 0);
	json_decref(v);
	return rc;
}

/* Copies a string member into dst; 0, or a reject code. */
static int get_id(json_t *em, const char *key, int required, char *dst,
		  size_t dstlen, capture_reject *reason, kpg_err *err)
{
	json_t *v = json_object_get(em, key);

	dst[0] = '\0';
	if (!v || json_is_null(v)) {
		if (required)
			return gt_reject(reason, err,
					 CAPTURE_REJECT_MISSING_FIELD,
					 "eventMetadata.%s is missing", key);
		return 0;
	}
	if (!json_is_string(v) || (required && json_string_length(v) == 0))
		return gt_reject(reason, err, CAPTURE_REJECT_MISSING_FIELD,
				 "eventMetadata.%s is empty or not a string",
				 key);
	if (json_string_length(v) >= dstlen ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return gt_reject(reason, err, CAPTURE_REJECT_TOO_BIG,
				 "eventMetadata.%s is longer than %zu bytes or "
				 "holds a NUL",
				 key, dstlen - 1);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

int gt_decode(const char *line, size_t len, size_t max_line_bytes,
	      gt_record *rec, capture_reject *reason, kpg_err *err)
{
	json_error_t jerr;
	json_t *root = NULL, *em, *gtd, *data, *enc;
	unsigned char *dec = NULL;
	const char *payload, *senc;
	size_t plen;
	int rc = 0;

	memset(rec, 0, sizeof(*rec));
	rec->label = NAN;
	*reason = CAPTURE_OK;
	if (!max_line_bytes)
		max_line_bytes = GT_DEFAULT_MAX_LINE;
	if (len > max_line_bytes) {
		rc = gt_reject(reason, err, CAPTURE_REJECT_TOO_BIG,
			       "line of %zu bytes is over the %zu-byte cap",
			       len, max_line_bytes);
		goto out;
	}
	root = json_loadb(line, len, 0, &jerr);
	if (!root) {
		rc = gt_reject(reason, err, CAPTURE_REJECT_BAD_JSON,
			       "line is not valid JSON: %s", jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		rc = gt_reject(reason, err, CAPTURE_REJECT_BAD_JSON,
			       "line is not a JSON object");
		goto out;
	}
	em = json_object_get(root, "eventMetadata");
	if (!json_is_object(em)) {
		rc = gt_reject(reason, err, CAPTURE_REJECT_MISSING_FIELD,
			       "eventMetadata is missing or not an object");
		goto out;
	}
	if ((rc = get_id(em, "eventId", 1, rec->event_id,
			 sizeof(rec->event_id), reason, err)) ||
	    (rc = get_id(em, "inferenceId", 0, rec->inference_id,
			 sizeof(rec->inference_id), reason, err)))
		goto out;

	gtd = json_object_get(root, "groundTruthData");
	if (!json_is_object(gtd)) {
		rc = gt_reject(reason, err, CAPTURE_REJECT_MISSING_FIELD,
			       "groundTruthData is missing or not an object");
		goto out;
	}
	data = json_object_get(gtd, "data");
	enc = json_object_get(gtd, "encoding");
	if (!data || !enc) {
		rc = gt_reject(reason, err, CAPTURE_REJECT_MISSING_FIELD,
			       "groundTruthData.%s is missing",
			       data ? "encoding" : "data");
		goto out;
	}
	if (!json_is_string(data)) {
		rc = gt_reject(reason, err, CAPTURE_REJECT_BAD_PAYLOAD,
			       "groundTruthData.data is not a string");
		goto out;
	}
	if (!json_is_string(enc)) {
		rc = gt_reject(reason, err, CAPTURE_REJECT_BAD_ENCODING,
			       "groundTruthData.encoding is not a string");
		goto out;
	}
	payload = json_string_value(data);
	plen = json_string_length(data);
	senc = json_string_value(enc);

	if (eq_nocase(senc, "CSV")) {
		rc = label_from_csv(payload, plen, rec, reason, err);
	} else if (eq_nocase(senc, "JSON")) {
		rc = label_from_json_text(payload, plen, rec, reason, err);
	} else if (eq_nocase(senc, "BASE64")) {
		size_t n = 0, i = 0;

		dec = malloc(capture_b64_decoded_max(plen));
		if (!dec) {
			kpg_err_set(err, "out of memory decoding base64");
			*reason = CAPTURE_REJECT_TOO_BIG;
			rc = KPG_ENOMEM;
			goto out;
		}
		if (capture_b64_decode(payload, plen, dec, &n)) {
			rc = gt_reject(reason, err, CAPTURE_REJECT_BAD_ENCODING,
				       "groundTruthData.data is not valid "
				       "base64");
			goto out;
		}
		/* base64 of a JSON object or array, else of CSV text */
		while (i < n && (dec[i] == ' ' || dec[i] == '\t' ||
				 dec[i] == '\r' || dec[i] == '\n'))
			i++;
		if (i < n && (dec[i] == '{' || dec[i] == '['))
			rc = label_from_json_text((const char *)dec, n, rec,
						  reason, err);
		else
			rc = label_from_csv((const char *)dec, n, rec, reason,
					    err);
	} else {
		rc = gt_reject(reason, err, CAPTURE_REJECT_BAD_ENCODING,
			       "groundTruthData.encoding \"%.32s\" is not CSV, "
			       "JSON or BASE64",
			       senc);
	}
out:
	if (rc == 0)
		kpg_err_clear(err);
	free(dec);
	json_decref(root);
	return rc;
}
