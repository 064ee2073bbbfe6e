/* test_adapters_capture.c - capture_decode on real SageMaker samples, on
 * every input/output shape, every reject reason and the bad-input corpus
 * (tests/data/bad_capture.jsonl + .expected). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "capture.h"
#include "file_source.h"
#include "kpg_time.h"

#define SM_DIR KPG_SHARED_DIR "/data/sagemaker"

/* ---- helpers ---- */

static capture_decoder *new_dec(const capture_options *opt)
{
	capture_decoder *d = NULL;
	kpg_err err;
	assert_int_equal(capture_decoder_new(&d, opt, &err), 0);
	assert_non_null(d);
	return d;
}

static int decode(capture_decoder *d, const char *line, capture_record *rec,
		  capture_reject *why)
{
	kpg_err err;
	int rc = capture_decode(d, line, strlen(line), rec, why, &err);
	if (rc == 0)
		assert_int_equal(*why, CAPTURE_OK);
	else
		assert_true(err.msg[0] != '\0');
	return rc;
}

static size_t n_feat(const capture_record *r, size_t i)
{
	return r->instance_off[i + 1] - r->instance_off[i];
}

static const capture_value *val(const capture_record *r, size_t i, size_t j)
{
	return &r->values[r->instance_off[i] + j];
}

/* JSON-escapes s into out (appending). */
static void esc(char *out, size_t cap, const char *s)
{
	size_t n = strlen(out);
	for (; *s; s++) {
		const char *rep = NULL;
		char one[2] = {*s, 0};
		if (*s == '"')
			rep = "\\\"";
		else if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (*s == '\r')
			rep = "\\r";
		else
			rep = one;
		size_t k = strlen(rep);
		assert_true(n + k < cap);
		memcpy(out + n, rep, k + 1);
		n += k;
	}
}

/* Builds a capture line; out_ct NULL = no endpointOutput; a NULL in_ct
 * leaves observedContentType out. */
static char *cap_line(const char *in_ct, const char *in_enc,
		      const char *in_data, const char *out_ct,
		      const char *out_enc, const char *out_data)
{
	static char buf[1 << 16];
	buf[0] = 0;
	strcat(buf, "{\"captureData\":{\"endpointInput\":{");
	if (in_ct) {
		strcat(buf, "\"observedContentType\":\"");
		strcat(buf, in_ct);
		strcat(buf, "\",");
	}
	strcat(buf, "\"mode\":\"INPUT\",\"data\":\"");
	esc(buf, sizeof(buf), in_data);
	strcat(buf, "\",\"encoding\":\"");
	strcat(buf, in_enc);
	strcat(buf, "\"}");
	if (out_ct) {
		strcat(buf, ",\"endpointOutput\":{\"observedContentType\":\"");
		strcat(buf, out_ct);
		strcat(buf, "\",\"mode\":\"OUTPUT\",\"data\":\"");
		esc(buf, sizeof(buf), out_data);
		strcat(buf, "\",\"encoding\":\"");
		strcat(buf, out_enc);
		strcat(buf, "\"}");
	}
	strcat(buf, "},\"eventMetadata\":{\"eventId\":\"ev-1\",\"inferenceId\":"
		    "\"inf-1\",\"inferenceTime\":\"2022-04-18T00:21:48Z\"},"
		    "\"eventVersion\":\"0\"}");
	return buf;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	char *b;
	if (!fp)
		return NULL;
	assert_int_equal(fstat(fileno(fp), &st), 0);
	b = malloc((size_t)st.st_size + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)st.st_size, fp), (size_t)st.st_size);
	b[st.st_size] = 0;
	fclose(fp);
	*len = (size_t)st.st_size;
	return b;
}

/* Decodes every line of a shared sample; skips when absent. */
typedef void (*rec_check)(const capture_record *r, size_t idx);
static size_t decode_file(const char *path, rec_check check)
{
	line_reader lr;
	kpg_err err;
	const char *line;
	size_t len, n = 0;
	int rc;
	capture_decoder *d;
	struct stat st;

	if (stat(path, &st) != 0)
		skip();
	d = new_dec(NULL);
	assert_int_equal(line_reader_open(&lr, path, 0, &err), 0);
	while ((rc = line_reader_next(&lr, &line, &len, &err)) == LINE_OK) {
		capture_record r;
		capture_reject why;
		rc = capture_decode(d, line, len, &r, &why, &err);
		if (rc)
			fail_msg("%s:%llu: %s (%s)", path,
				 (unsigned long long)lr.line_no, err.msg,
				 capture_reject_name(why));
		if (check)
			check(&r, n);
		n++;
	}
	assert_int_equal(rc, LINE_EOF);
	line_reader_close(&lr);
	capture_decoder_free(d);
	return n;
}

static int64_t iso(const char *s)
{
	int64_t ms;
	assert_int_equal(kpg_time_parse_iso8601(s, strlen(s), &ms), 0);
	return ms;
}

/* ---- real samples ---- */

static void check_churn(const capture_record *r, size_t i)
{
	static const double first[] = {132, 130, 85};
	static const double pred[] = {0.036397725343704224, 0.3791300654411316,
				      0.017852725461125374};
	static const char *const ids[] = {
		"f04a8538-696c-4648-8064-8b680b2e3318",
		"4f301857-49c9-44d1-b275-ba0ab7767033",
		"9827355a-ac22-40f4-9748-539e03db6c2a"};
	assert_true(i < 3);
	assert_int_equal(r->n_instances, 1);
	assert_int_equal(n_feat(r, 0), 69);
	assert_int_equal(val(r, 0, 0)->kind, CAPTURE_VALUE_NUMBER);
	assert_true(val(r, 0, 0)->num == first[i]);
	assert_int_equal(r->n_predictions, 1);
	assert_true(r->predictions[0] == pred[i]);
	assert_int_equal(r->event_id_len, strlen(ids[i]));
	assert_memory_equal(r->event_id, ids[i], r->event_id_len);
	assert_int_equal(r->inference_id_len, 0);
	assert_true(r->has_inference_time);
	if (i == 0) {
		assert_true(r->inference_time_ms == iso("2022-04-18T00:21:48Z"));
		assert_true(val(r, 0, 2)->num == 182.9);
		assert_true(val(r, 0, 68)->num == 1.0);
		assert_true(val(r, 0, 67)->num == 0.0);
	}
}

static void test_sample_csv_churn(void **state)
{
	(void)state;
	assert_int_equal(decode_file(SM_DIR "/capture_csv_xgb_churn.jsonl",
				     check_churn),
			 3);
}

static void check_json_adult(const capture_record *r, size_t i)
{
	assert_int_equal(r->n_instances, i + 1);
	assert_int_equal(r->n_predictions, i + 1);
	for (size_t k = 0; k < r->n_instances; k++)
		assert_int_equal(n_feat(r, k), 14);
	assert_true(val(r, 0, 2)->num == 133937);
	assert_true(r->predictions[0] == 0.9899773597717285);
	if (i == 1) {
		assert_true(val(r, 1, 0)->num == 43);
		assert_true(val(r, 1, 2)->num == 72338);
		assert_true(val(r, 1, 13)->num == 37);
		assert_true(r->predictions[1] == 0.5041388273239136);
	}
	assert_true(r->inference_time_ms == iso("2024-01-19T19:27:57Z"));
}

static void test_sample_json_adult(void **state)
{
	(void)state;
	assert_int_equal(decode_file(SM_DIR "/capture_json_clarify_adult.jsonl",
				     check_json_adult),
			 2);
}

static void check_jsonl_adult(const capture_record *r, size_t i)
{
	assert_int_equal(r->n_instances, i + 1);
	assert_int_equal(r->n_predictions, i + 1);
	assert_int_equal(n_feat(r, 0), 14);
	assert_true(r->predictions[0] == 0.989977359771728);
	if (i == 1) {
		assert_int_equal(n_feat(r, 1), 14);
		assert_true(val(r, 1, 6)->num == 12);
		assert_true(r->predictions[1] == 0.504138827323913);
	}
}

static void test_sample_jsonlines_adult(void **state)
{
	(void)state;
	assert_int_equal(
		decode_file(SM_DIR "/capture_jsonlines_clarify_adult.jsonl",
			    check_jsonl_adult),
		2);
}

static void check_sdk(const capture_record *r, size_t i)
{
	/* inferenceTime is the SDK's "{%s}" placeholder: decoded, no time */
	assert_false(r->has_inference_time);
	assert_int_equal(r->n_instances, 1);
	assert_int_equal(n_feat(r, 0), 7);
	assert_int_equal(r->n_predictions, 1);
	if (i == 0) {
		assert_true(val(r, 0, 0)->num == 9 && val(r, 0, 6)->num == 0);
		assert_true(r->predictions[0] == 0.302709460258);
		assert_memory_equal(r->event_id,
				    "74b0dd56-e7c8-368e-94b1-14a138a96000", 36);
	}
}

static void test_sample_sdk(void **state)
{
	(void)state;
	/* 44 records; the last has no trailing newline */
	assert_int_equal(decode_file(SM_DIR "/sdk_test_capture.jsonl", check_sdk),
			 44);
}

static void test_sample_merged_record(void **state)
{
	size_t len = 0;
	char *text = slurp(SM_DIR "/merged_capture_groundtruth_record.json", &len);
	capture_decoder *d;
	capture_record r;
	capture_reject why;
	kpg_err err;

	(void)state;
	if (!text)
		skip();
	d = new_dec(NULL);
	/* pretty-printed over many lines: one record all the same */
	assert_int_equal(capture_decode(d, text, len, &r, &why, &err), 0);
	assert_int_equal(r.n_instances, 334);
	assert_int_equal(r.n_predictions, 334);
	for (size_t i = 0; i < r.n_instances; i++)
		assert_int_equal(n_feat(&r, i), 14);
	assert_true(val(&r, 0, 2)->num == 133937);
	assert_true(r.predictions[0] == 0.9899773597717285);
	assert_true(r.predictions[1] == 0.5041388273239136);
	assert_int_equal(r.inference_id_len, 1);
	assert_int_equal(r.inference_id[0], '7');
	assert_true(r.inference_time_ms == iso("2024-01-19T20:06:08Z"));
	assert_memory_equal(r.event_id, "eed5a268-2703-4392-901f-70ffab9a7fd3", 36);
	assert_int_equal(capture_parse_only(d, text, len), 0);
	capture_decoder_free(d);
	free(text);
}

/* ---- shapes ---- */

static void test_csv_cells(void **state)
{
	capture_decoder *d = new_dec(NULL);
	capture_record r;
	capture_reject why;
	(void)state;

	/* quoted cells with "" escapes and commas, trimmed blanks, empty
	 * cells, CRLF rows, blank rows skipped, "+1" and "nan" numbers */
	assert_int_equal(decode(d, cap_line("Text/CSV; charset=utf-8", "CSV", " 1.5 , \"a,\"\"b\"\" c\" ,, +2e3\r\n"
									      "\n  \n"
									      "\"7\",nan,x1,\"\"\r\n",
					    "text/csv", "CSV", "0.25,9\n0.75"),
				&r, &why),
			 0);
	assert_int_equal(r.n_instances, 2);
	assert_int_equal(n_feat(&r, 0), 4);
	assert_int_equal(n_feat(&r, 1), 4);
	assert_true(val(&r, 0, 0)->kind == CAPTURE_VALUE_NUMBER &&
		    val(&r, 0, 0)->num == 1.5);
	assert_int_equal(val(&r, 0, 1)->kind, CAPTURE_VALUE_STRING);
	assert_int_equal(val(&r, 0, 1)->str_len, strlen("a,\"b\" c"));
	assert_memory_equal(r.text + val(&r, 0, 1)->str_off, "a,\"b\" c", 7);
	assert_int_equal(val(&r, 0, 2)->kind, CAPTURE_VALUE_MISSING);
	assert_true(val(&r, 0, 3)->num == 2000);
	assert_true(val(&r, 1, 0)->kind == CAPTURE_VALUE_NUMBER &&
		    val(&r, 1, 0)->num == 7);
	assert_true(val(&r, 1, 1)->kind == CAPTURE_VALUE_NUMBER &&
		    isnan(val(&r, 1, 1)->num));
	assert_int_equal(val(&r, 1, 2)->kind, CAPTURE_VALUE_STRING);
	assert_memory_equal(r.text + val(&r, 1, 2)->str_off, "x1", 2);
	assert_int_equal(val(&r, 1, 3)->kind, CAPTURE_VALUE_MISSING);
	assert_int_equal(r.n_predictions, 2);
	assert_true(r.predictions[0] == 0.25 && r.predictions[1] == 0.75);
	assert_int_equal(r.inference_id_len, 5);

	/* no observedContentType: text/csv; no endpointOutput: 0 predictions */
	assert_int_equal(decode(d, cap_line(NULL, "CSV", "3,4", NULL, NULL, NULL),
				&r, &why),
			 0);
	assert_int_equal(r.n_instances, 1);
	assert_int_equal(r.n_predictions, 0);
	assert_true(val(&r, 0, 1)->num == 4);
	/* a non-numeric CSV score is NaN, not a reject */
	assert_int_equal(decode(d, cap_line("text/csv", "CSV", "3,4", "text/csv", "CSV", "yes"),
				&r, &why),
			 0);
	assert_true(isnan(r.predictions[0]));
	capture_decoder_free(d);
}

static void test_json_shapes(void **state)
{
	capture_decoder *d = new_dec(NULL);
	capture_record r;
	capture_reject why;
	(void)state;

	/* bare array of arrays, bare [v,..] output */
	assert_int_equal(decode(d,
				cap_line("application/json", "JSON", "[[1,2,3],[4,5,6]]",
					 "application/json", "JSON", "[0.1, 0.9]"),
				&r, &why),
			 0);
	assert_int_equal(r.n_instances, 2);
	assert_true(val(&r, 1, 2)->num == 6);
	assert_true(r.predictions[1] == 0.9);

	/* bare array of scalars = one instance; typed values */
	assert_int_equal(decode(d, cap_line("application/json", "JSON", "[1, \"2.5\", \"red\", null, true, "
									"false]",
					    "application/json", "JSON", "{\"score\": 0.4}"),
				&r, &why),
			 0);
	assert_int_equal(r.n_instances, 1);
	assert_int_equal(n_feat(&r, 0), 6);
	assert_true(val(&r, 0, 1)->kind == CAPTURE_VALUE_NUMBER &&
		    val(&r, 0, 1)->num == 2.5);
	assert_int_equal(val(&r, 0, 2)->kind, CAPTURE_VALUE_STRING);
	assert_memory_equal(r.text + val(&r, 0, 2)->str_off, "red", 3);
	assert_int_equal(val(&r, 0, 2)->str_len, 3);
	assert_int_equal(val(&r, 0, 3)->kind, CAPTURE_VALUE_MISSING);
	assert_true(val(&r, 0, 4)->num == 1 && val(&r, 0, 5)->num == 0);
	assert_true(r.predictions[0] == 0.4);

	/* {"features":[..]} and a bare-number output */
	assert_int_equal(decode(d,
				cap_line("application/json", "JSON", "{\"features\":[\"a\\\"b\",2]}",
					 "application/json", "JSON", "0.7"),
				&r, &why),
			 0);
	assert_int_equal(r.n_instances, 1);
	assert_memory_equal(r.text + val(&r, 0, 0)->str_off, "a\"b", 3);
	assert_true(r.predictions[0] == 0.7);

	/* instances as mixed arrays and objects; predicted_label fallback */
	assert_int_equal(decode(d, cap_line("application/json", "JSON", "{\"instances\":[[1,2],{\"features\""
									":[3,4]}]}",
					    "application/json", "JSON", "{\"predictions\":[{\"predicted_label"
									"\":1},0.5]}"),
				&r, &why),
			 0);
	assert_int_equal(r.n_instances, 2);
	assert_true(val(&r, 1, 1)->num == 4);
	assert_true(r.predictions[0] == 1 && r.predictions[1] == 0.5);

	/* jsonlines of arrays, jsonlines output with blank lines */
	assert_int_equal(decode(d,
				cap_line("application/x-jsonlines", "JSON", "[1,2]\n\n[3,4]\n",
					 "application/jsonlines", "JSON",
					 "{\"score\":0.1}\n \n{\"score\":0.2}"),
				&r, &why),
			 0);
	assert_int_equal(r.n_instances, 2);
	assert_true(r.predictions[1] == 0.2);
	capture_decoder_free(d);
}

static void test_score_field_option(void **state)
{
	capture_options opt = {.score_field = "probability"};
	capture_decoder *d = new_dec(&opt);
	capture_record r;
	capture_reject why;
	const char *line = cap_line("application/json", "JSON", "[[1],[2]]",
				    "application/json", "JSON",
				    "{\"predictions\":[{\"score\":9,\"probability"
				    "\":0.3},{\"probability\":0.6}]}");
	(void)state;
	assert_int_equal(decode(d, line, &r, &why), 0);
	assert_true(r.predictions[0] == 0.3 && r.predictions[1] == 0.6);
	capture_decoder_free(d);

	/* with the default field the second object has neither field */
	d = new_dec(NULL);
	assert_int_not_equal(decode(d, line, &r, &why), 0);
	assert_int_equal(why, CAPTURE_REJECT_BAD_PAYLOAD);
	capture_decoder_free(d);

	capture_options bad = {.score_field = ""};
	kpg_err err;
	assert_int_equal(capture_decoder_new(&d, &bad, &err), KPG_EINVAL);
	assert_null(d);
}

/* Independent encoder (RFC 4648 alphabet) to feed the decoder. */
static void b64(const char *in, char *out)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;
	const unsigned char *s = (const unsigned char *)in;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = 0;
}

static void test_base64(void **state)
{
	capture_decoder *d = new_dec(NULL);
	capture_record r;
	capture_reject why;
	char in[256], out[64];
	(void)state;

	/* the RFC 4648 vectors agree with our test encoder */
	b64("foob", out);
	assert_string_equal(out, "Zm9vYg==");
	b64("fooba", out);
	assert_string_equal(out, "Zm9vYmE=");

	/* payload lengths 0..2 mod 3 all round-trip */
	const char *payloads[] = {"1,2,3", "10,20,30", "1.5,-2,\"x\""};
	for (size_t i = 0; i < 3; i++) {
		b64(payloads[i], in);
		b64("0.5", out);
		assert_int_equal(decode(d, cap_line("text/csv", "BASE64", in, "text/csv", "base64", out),
					&r, &why),
				 0);
		assert_int_equal(n_feat(&r, 0), 3);
		assert_true(r.predictions[0] == 0.5);
	}
	assert_true(val(&r, 0, 0)->num == 1.5 && val(&r, 0, 1)->num == -2);
	assert_memory_equal(r.text + val(&r, 0, 2)->str_off, "x", 1);

	b64("{\"instances\":[[1,2]]}", in);
	assert_int_equal(decode(d, cap_line("application/json", "BASE64", in, NULL, NULL, NULL),
				&r, &why),
			 0);
	assert_int_equal(n_feat(&r, 0), 2);

	/* strict: bad character, whitespace, bad length, misplaced padding,
	 * non-zero trailing bits */
	const char *bad[] = {"MSwy*w==", "MSwy Mw==", "MSwyMw=", "MS==MSwy",
			     "MSwyMx==", "MQ=a"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(decode(d, cap_line("text/csv", "BASE64", bad[i], NULL, NULL, NULL),
					    &r, &why),
				     0);
		assert_int_equal(why, CAPTURE_REJECT_BAD_ENCODING);
	}
	capture_decoder_free(d);
}

static void test_times(void **state)
{
	capture_decoder *d = new_dec(NULL);
	capture_record r;
	capture_reject why;
	(void)state;
	const char *unparsable =
		"{\"captureData\":{\"endpointInput\":{\"data\":\"1\",\"encoding\":"
		"\"CSV\"}},\"eventMetadata\":{\"eventId\":\"e\",\"inferenceTime\":"
		"\"yesterday\"}}";
	const char *number =
		"{\"captureData\":{\"endpointInput\":{\"data\":\"1\",\"encoding\":"
		"\"CSV\"}},\"eventMetadata\":{\"eventId\":\"e\",\"inferenceTime\":"
		"1650241308}}";
	const char *offset =
		"{\"eventMetadata\":{\"inferenceTime\":\"2022-04-18T02:21:48.5+02:00\","
		"\"eventId\":\"e\"},\"captureData\":{\"endpointInput\":{\"data\":"
		"\"1\",\"encoding\":\"CSV\"}}}";

	assert_int_equal(decode(d, unparsable, &r, &why), 0);
	assert_false(r.has_inference_time);
	assert_int_not_equal(decode(d, number, &r, &why), 0);
	assert_int_equal(why, CAPTURE_REJECT_BAD_TIME);
	assert_int_equal(decode(d, offset, &r, &why), 0);
	assert_true(r.has_inference_time);
	assert_true(r.inference_time_ms == iso("2022-04-18T00:21:48Z") + 500);
	capture_decoder_free(d);
}

static void test_caps(void **state)
{
	capture_options opt = {.max_line_bytes = 600, .max_instances = 3, .max_values = 8};
	capture_decoder *d = new_dec(&opt);
	capture_record r;
	capture_reject why;
	char big[700];
	kpg_err err;
	(void)state;

	assert_int_equal(decode(d, cap_line("text/csv", "CSV", "1\n2\n3", NULL, NULL, NULL),
				&r, &why),
			 0);
	assert_int_equal(r.n_instances, 3);
	assert_int_equal(decode(d, cap_line("text/csv", "CSV", "1\n2\n3\n4", NULL, NULL, NULL),
				&r, &why),
			 KPG_ETOOBIG);
	assert_int_equal(why, CAPTURE_REJECT_TOO_BIG);
	assert_int_equal(decode(d, cap_line("text/csv", "CSV", "1,2,3,4,5,6,7,8", NULL, NULL, NULL),
				&r, &why),
			 0);
	assert_int_equal(decode(d, cap_line("text/csv", "CSV", "1,2,3,4,5,6,7,8,9", NULL, NULL, NULL),
				&r, &why),
			 KPG_ETOOBIG);
	assert_int_equal(why, CAPTURE_REJECT_TOO_BIG);
	/* more predictions than max_instances */
	assert_int_equal(decode(d, cap_line("text/csv", "CSV", "1", "text/csv", "CSV", "1\n2\n3\n4"),
				&r, &why),
			 KPG_ETOOBIG);
	/* the line cap, checked before parsing (so not bad_json) */
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	assert_int_equal(capture_decode(d, big, sizeof(big), &r, &why, &err),
			 KPG_ETOOBIG);
	assert_int_equal(why, CAPTURE_REJECT_TOO_BIG);
	assert_int_equal(capture_parse_only(d, big, sizeof(big)), KPG_ETOOBIG);
	capture_decoder_free(d);
}

static void test_long_line(void **state)
{
	/* a 5 MB record with 500,000 values under raised caps */
	capture_options opt = {.max_line_bytes = 8u << 20,
			       .max_values = 500000};
	capture_decoder *d = new_dec(&opt);
	size_t n = 500000, cap = n * 10 + 512, o = 0;
	char *line = malloc(cap);
	capture_record r;
	capture_reject why;
	kpg_err err;
	(void)state;

	assert_non_null(line);
	o += (size_t)sprintf(line, "{\"captureData\":{\"endpointInput\":{"
				   "\"data\":\"");
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(line + o, "%s%zu", i ? "," : "", i % 1000);
	o += (size_t)sprintf(line + o, "\",\"encoding\":\"CSV\"}},"
				       "\"eventMetadata\":{\"eventId\":\"x\"}}");
	assert_int_equal(capture_decode(d, line, o, &r, &why, &err), 0);
	assert_int_equal(n_feat(&r, 0), n);
	assert_true(val(&r, 0, n - 1)->num == (double)((n - 1) % 1000));
	capture_decoder_free(d);
	/* one value fewer allowed: too big */
	opt.max_values = n - 1;
	d = new_dec(&opt);
	assert_int_equal(capture_decode(d, line, o, &r, &why, &err), KPG_ETOOBIG);
	assert_int_equal(why, CAPTURE_REJECT_TOO_BIG);
	capture_decoder_free(d);
	free(line);
}

static void test_buffers_reused(void **state)
{
	capture_decoder *d = new_dec(NULL);
	capture_record r;
	capture_reject why;
	const char *line = cap_line("text/csv", "CSV", "1,2,3\n4,5,6", "text/csv",
				    "CSV", "0\n1");
	const capture_value *v;
	const double *p;
	(void)state;

	assert_int_equal(decode(d, line, &r, &why), 0);
	v = r.values;
	p = r.predictions;
	for (int i = 0; i < 100; i++) {
		assert_int_equal(decode(d, line, &r, &why), 0);
		assert_ptr_equal(r.values, v);
		assert_ptr_equal(r.predictions, p);
	}
	capture_decoder_free(d);
}

/* Every reason the decoder decides, from handwritten lines. */
static void test_each_reason(void **state)
{
	static const struct {
		const char *line;
		capture_reject why;
	} cases[] = {
		{"{\"captureData\":", CAPTURE_REJECT_BAD_JSON},
		{"[1,2]", CAPTURE_REJECT_BAD_JSON},
		{"{\"captureData\":{\"endpointInput\":{\"data\":\"1\","
		 "\"encoding\":\"CSV\"}}}",
		 CAPTURE_REJECT_MISSING_FIELD},
		{"{\"eventMetadata\":{\"eventId\":\"e\"}}",
		 CAPTURE_REJECT_MISSING_FIELD},
		{"{\"captureData\":{\"endpointInput\":{\"data\":\"1\"}},"
		 "\"eventMetadata\":{\"eventId\":\"e\"}}",
		 CAPTURE_REJECT_MISSING_FIELD},
		{"{\"captureData\":{\"endpointInput\":{\"data\":\"1\","
		 "\"encoding\":\"GZIP\"}},\"eventMetadata\":{\"eventId\":\"e\"}}",
		 CAPTURE_REJECT_BAD_ENCODING},
		{"{\"captureData\":{\"endpointInput\":{\"data\":\"1\","
		 "\"encoding\":\"CSV\",\"observedContentType\":\"image/png\"}},"
		 "\"eventMetadata\":{\"eventId\":\"e\"}}",
		 CAPTURE_REJECT_BAD_PAYLOAD},
		{"{\"captureData\":{\"endpointInput\":{\"data\":\"\","
		 "\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":\"e\"}}",
		 CAPTURE_REJECT_BAD_PAYLOAD},
		{"{\"captureData\":{\"endpointInput\":{\"data\":\"[[1,[2]]]\","
		 "\"encoding\":\"JSON\",\"observedContentType\":"
		 "\"application/json\"}},\"eventMetadata\":{\"eventId\":\"e\"}}",
		 CAPTURE_REJECT_BAD_PAYLOAD},
		{"{\"captureData\":{\"endpointInput\":{\"data\":\"1\","
		 "\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":\"e\","
		 "\"inferenceTime\":true}}",
		 CAPTURE_REJECT_BAD_TIME},
		{"{\"captureData\":{\"endpointInput\":{\"data\":\"1\\n2\","
		 "\"encoding\":\"CSV\"},\"endpointOutput\":{\"data\":\"0.5\","
		 "\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":\"e\"}}",
		 CAPTURE_REJECT_OUTPUT_MISMATCH},
	};
	capture_decoder *d = new_dec(NULL);
	capture_record r;
	capture_reject why;
	int seen[CAPTURE_REJECT__COUNT] = {0};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = decode(d, cases[i].line, &r, &why);
		if (why != cases[i].why)
			fail_msg("case %zu: got %s, want %s", i,
				 capture_reject_name(why),
				 capture_reject_name(cases[i].why));
		assert_int_equal(rc, KPG_EPARSE);
		seen[why] = 1;
		assert_int_equal(r.n_instances, 0);
	}
	for (int k = CAPTURE_REJECT_BAD_JSON; k <= CAPTURE_REJECT_OUTPUT_MISMATCH; k++)
		assert_true(seen[k]);
	assert_int_equal(capture_parse_only(d, "{\"a\":[1,2]}", 11), 0);
	assert_int_equal(capture_parse_only(d, "{\"a\":[1,2}", 10), KPG_EPARSE);
	capture_decoder_free(d);
}

static void test_reject_names(void **state)
{
	(void)state;
	for (int i = 0; i < CAPTURE_REJECT__COUNT; i++) {
		const char *n = capture_reject_name((capture_reject)i);
		assert_string_not_equal(n, "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, capture_reject_name((capture_reject)j));
	}
	assert_string_equal(capture_reject_name(CAPTURE_REJECT_BAD_JSON), "bad_json");
	assert_string_equal(capture_reject_name(CAPTURE_REJECT__COUNT), "unknown");
}

/* tests/data/bad_capture.jsonl: one case per line, reason names in
 * bad_capture.expected, decoded with small caps (line 2048 bytes, 8
 * instances, 64 values) so that too_big cases stay short. */
static void test_bad_corpus(void **state)
{
	capture_options opt = {.max_line_bytes = 2048, .max_instances = 8, .max_values = 64};
	capture_decoder *d = new_dec(&opt);
	FILE *exp = fopen(KPG_TEST_DATA_DIR "/bad_capture.expected", "r");
	line_reader lr;
	kpg_err err;
	const char *line;
	size_t len, n = 0;
	char want[64];
	int rc;
	(void)state;

	assert_non_null(exp);
	assert_int_equal(line_reader_open(&lr, KPG_TEST_DATA_DIR "/bad_capture.jsonl",
					  1 << 20, &err),
			 0);
	while ((rc = line_reader_next(&lr, &line, &len, &err)) == LINE_OK) {
		capture_record r;
		capture_reject why;
		assert_non_null(fgets(want, sizeof(want), exp));
		want[strcspn(want, "\n")] = 0;
		rc = capture_decode(d, line, len, &r, &why, &err);
		if (strcmp(capture_reject_name(why), want) != 0)
			fail_msg("bad_capture.jsonl:%llu: got %s (%s), want %s",
				 (unsigned long long)lr.line_no,
				 capture_reject_name(why), err.msg, want);
		assert_true(rc < 0);
		n++;
	}
	assert_int_equal(rc, LINE_EOF);
	assert_null(fgets(want, sizeof(want), exp)); /* same number of lines */
	assert_true(n >= 30);
	fclose(exp);
	line_reader_close(&lr);
	capture_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_csv_churn),
		cmocka_unit_test(test_sample_json_adult),
		cmocka_unit_test(test_sample_jsonlines_adult),
		cmocka_unit_test(test_sample_sdk),
		cmocka_unit_test(test_sample_merged_record),
		cmocka_unit_test(test_csv_cells),
		cmocka_unit_test(test_json_shapes),
		cmocka_unit_test(test_score_field_option),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_buffers_reused),
		cmocka_unit_test(test_each_reason),
		cmocka_unit_test(test_reject_names),
		cmocka_unit_test(test_bad_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
