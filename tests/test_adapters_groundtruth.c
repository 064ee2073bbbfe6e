/* test_adapters_groundtruth.c - gt_decode on the SDK's real actuals file
 * and on every label form and reject reason. */
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

#include "file_source.h"
#include "groundtruth.h"

#define SM_DIR KPG_SHARED_DIR "/data/sagemaker"

static int gt(const char *data, const char *enc, gt_record *rec,
	      capture_reject *why)
{
	char line[4096];
	kpg_err err;
	int rc;

	snprintf(line, sizeof(line),
		 "{\"groundTruthData\":{\"data\":\"%s\",\"encoding\":\"%s\"},"
		 "\"eventMetadata\":{\"eventId\":\"ev-9\",\"inferenceId\":\"i-3\"},"
		 "\"eventVersion\":\"0\"}",
		 data, enc);
	rc = gt_decode(line, strlen(line), 0, rec, why, &err);
	if (rc == 0) {
		assert_int_equal(*why, CAPTURE_OK);
		assert_string_equal(rec->event_id, "ev-9");
		assert_string_equal(rec->inference_id, "i-3");
	} else {
		assert_true(err.msg[0] != '\0');
	}
	return rc;
}

static void test_sdk_actuals(void **state)
{
	const char *path = SM_DIR "/sdk_test_groundtruth_actuals.jsonl";
	line_reader lr;
	kpg_err err;
	const char *line;
	size_t len, n = 0, ones = 0;
	struct stat st;
	int rc;
	(void)state;

	if (stat(path, &st) != 0)
		skip();
	assert_int_equal(line_reader_open(&lr, path, 0, &err), 0);
	while ((rc = line_reader_next(&lr, &line, &len, &err)) == LINE_OK) {
		gt_record r;
		capture_reject why;
		if (gt_decode(line, len, 0, &r, &why, &err))
			fail_msg("line %llu: %s", (unsigned long long)lr.line_no,
				 err.msg);
		assert_true(r.label == 0 || r.label == 1);
		assert_string_equal(r.label_text, r.label == 1 ? "1" : "0");
		assert_string_equal(r.inference_id, "");
		if (n == 0)
			assert_string_equal(r.event_id,
					    "74b0dd56-e7c8-368e-94b1-14a138a96000");
		ones += r.label == 1;
		n++;
	}
	assert_int_equal(rc, LINE_EOF);
	/* 44 records (the last without a newline): 34 ones, 10 zeros */
	assert_int_equal(n, 44);
	assert_int_equal(ones, 34);
	line_reader_close(&lr);
}

static void test_label_forms(void **state)
{
	gt_record r;
	capture_reject why;
	(void)state;

	assert_int_equal(gt(" 1 ,0.3", "CSV", &r, &why), 0);
	assert_true(r.label == 1);
	assert_string_equal(r.label_text, "1");
	assert_int_equal(gt("\\\"cat, big\\\",1", "CSV", &r, &why), 0);
	assert_true(isnan(r.label));
	assert_string_equal(r.label_text, "cat, big");
	assert_int_equal(gt("\\n2.5e1\\n", "CSV", &r, &why), 0);
	assert_true(r.label == 25);
	assert_int_equal(gt("0.1", "JSON", &r, &why), 0);
	assert_true(r.label == 0.1);
	assert_string_equal(r.label_text, "0.1");
	assert_int_equal(gt("true", "JSON", &r, &why), 0);
	assert_true(r.label == 1);
	assert_string_equal(r.label_text, "true");
	assert_int_equal(gt("\\\"7\\\"", "JSON", &r, &why), 0);
	assert_true(r.label == 7);
	assert_int_equal(gt("{\\\"label\\\": 3}", "JSON", &r, &why), 0);
	assert_true(r.label == 3);
	assert_string_equal(r.label_text, "3");
	assert_int_equal(gt("{\\\"groundTruth\\\": \\\"dog\\\"}", "json", &r, &why),
			 0);
	assert_string_equal(r.label_text, "dog");
	assert_int_equal(gt("{\\\"instances\\\": [{\\\"label\\\": 0}]}", "JSON",
			    &r, &why),
			 0);
	assert_true(r.label == 0);
	assert_int_equal(gt("[1]", "JSON", &r, &why), 0);
	assert_true(r.label == 1);

	/* BASE64 of CSV "1" and of JSON {"label":0} */
	assert_int_equal(gt("MQ==", "BASE64", &r, &why), 0);
	assert_true(r.label == 1);
	assert_int_equal(gt("eyJsYWJlbCI6MH0=", "BASE64", &r, &why), 0);
	assert_true(r.label == 0);

	/* a long label is cut to fit, never mid UTF-8 sequence */
	char data[200] = "";
	for (int i = 0; i < 40; i++)
		strcat(data, "\xc3\xa9"); /* é, 2 bytes each */
	assert_int_equal(gt(data, "CSV", &r, &why), 0);
	assert_int_equal(strlen(r.label_text), 62);
	assert_true(isnan(r.label));
}

static void test_rejects(void **state)
{
	gt_record r;
	capture_reject why;
	kpg_err err;
	char big[300], line[512];
	(void)state;

	assert_int_equal(gt("", "CSV", &r, &why), KPG_EPARSE);
	assert_int_equal(why, CAPTURE_REJECT_BAD_PAYLOAD);
	assert_int_equal(gt("\\\"open", "CSV", &r, &why), KPG_EPARSE);
	assert_int_equal(why, CAPTURE_REJECT_BAD_PAYLOAD);
	assert_int_equal(gt("{", "JSON", &r, &why), KPG_EPARSE);
	assert_int_equal(why, CAPTURE_REJECT_BAD_PAYLOAD);
	assert_int_equal(gt("{\\\"y\\\":1}", "JSON", &r, &why), KPG_EPARSE);
	assert_int_equal(why, CAPTURE_REJECT_BAD_PAYLOAD);
	assert_int_equal(gt("null", "JSON", &r, &why), KPG_EPARSE);
	assert_int_equal(why, CAPTURE_REJECT_BAD_PAYLOAD);
	assert_int_equal(gt("[0,1]", "JSON", &r, &why), KPG_EPARSE);
	assert_int_equal(why, CAPTURE_REJECT_BAD_PAYLOAD);
	assert_int_equal(gt("MQ=", "BASE64", &r, &why), KPG_EPARSE);
	assert_int_equal(why, CAPTURE_REJECT_BAD_ENCODING);
	assert_int_equal(gt("1", "XML", &r, &why), KPG_EPARSE);
	assert_int_equal(why, CAPTURE_REJECT_BAD_ENCODING);

	static const struct {
		const char *line;
		capture_reject why;
	} cases[] = {
		{"{\"groundTruthData\":", CAPTURE_REJECT_BAD_JSON},
		{"[1]", CAPTURE_REJECT_BAD_JSON},
		{"{\"groundTruthData\":{\"data\":\"1\",\"encoding\":\"CSV\"}}",
		 CAPTURE_REJECT_MISSING_FIELD},
		{"{\"groundTruthData\":{\"data\":\"1\",\"encoding\":\"CSV\"},"
		 "\"eventMetadata\":{\"eventId\":\"\"}}",
		 CAPTURE_REJECT_MISSING_FIELD},
		{"{\"eventMetadata\":{\"eventId\":\"e\"}}",
		 CAPTURE_REJECT_MISSING_FIELD},
		{"{\"groundTruthData\":{\"data\":\"1\"},"
		 "\"eventMetadata\":{\"eventId\":\"e\"}}",
		 CAPTURE_REJECT_MISSING_FIELD},
		{"{\"groundTruthData\":{\"data\":1,\"encoding\":\"CSV\"},"
		 "\"eventMetadata\":{\"eventId\":\"e\"}}",
		 CAPTURE_REJECT_BAD_PAYLOAD},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = gt_decode(cases[i].line, strlen(cases[i].line), 0, &r,
				   &why, &err);
		assert_int_equal(rc, KPG_EPARSE);
		if (why != cases[i].why)
			fail_msg("case %zu: %s, want %s", i,
				 capture_reject_name(why),
				 capture_reject_name(cases[i].why));
	}

	/* an eventId that does not fit gt_record */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	snprintf(line, sizeof(line),
		 "{\"groundTruthData\":{\"data\":\"1\",\"encoding\":\"CSV\"},"
		 "\"eventMetadata\":{\"eventId\":\"%s\"}}",
		 big);
	assert_int_equal(gt_decode(line, strlen(line), 0, &r, &why, &err),
			 KPG_ETOOBIG);
	assert_int_equal(why, CAPTURE_REJECT_TOO_BIG);
	/* the line cap */
	assert_int_equal(gt_decode(line, strlen(line), 100, &r, &why, &err),
			 KPG_ETOOBIG);
	assert_int_equal(why, CAPTURE_REJECT_TOO_BIG);
}

/* The merge job's record carries 334 labels in one line: refused. */
static void test_merged_record(void **state)
{
	FILE *fp = fopen(SM_DIR "/merged_capture_groundtruth_record.json", "rb");
	char *buf;
	size_t n;
	gt_record r;
	capture_reject why;
	kpg_err err;
	(void)state;

	if (!fp)
		skip();
	buf = malloc(1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, 1 << 20, fp);
	fclose(fp);
	assert_int_equal(gt_decode(buf, n, 0, &r, &why, &err), KPG_EPARSE);
	assert_int_equal(why, CAPTURE_REJECT_BAD_PAYLOAD);
	assert_non_null(strstr(err.msg, "334 labels"));
	assert_string_equal(r.event_id, "eed5a268-2703-4392-901f-70ffab9a7fd3");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sdk_actuals),
		cmocka_unit_test(test_label_forms),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_merged_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
