/* test_adapters_s3_xml.c - S3's XML answers (s3_xml.c): a ListObjectsV2
 * page with escaped keys and quoted ETags, the last page, malformed
 * documents refused with a reason, Error Code and Message; and s3:// URLs
 * split into bucket and prefix (s3_client.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "s3_client.h"
#include "s3_xml.h"

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf = malloc(1 << 16);

	snprintf(path, sizeof(path), "%s/s3/%s", KPG_TEST_DATA_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void test_list_page(void **state)
{
	s3_list_page page;
	kpg_err err = {""};
	size_t len;
	char *xml = slurp("list_page.xml", &len);
	(void)state;

	assert_int_equal(s3_xml_list_parse(xml, len, &page, &err), 0);
	assert_int_equal(page.n, 2);
	assert_string_equal(page.objects[0].key,
			    "dc/capture/ep/AllTraffic/2026/01/05/00/a&b.jsonl");
	assert_string_equal(page.objects[0].etag, "\"9b2cf535f27731c974343645a3985328\"");
	assert_true(page.objects[0].size == 1234);
	assert_string_equal(page.objects[0].modified, "2026-01-05T00:13:37.000Z");
	/* numeric references become UTF-8 */
	assert_string_equal(page.objects[1].key,
			    "dc/capture/ep/AllTraffic/2026/01/05/01/\xc3\xa9t\xc3\xa9.jsonl.gz");
	assert_string_equal(page.objects[1].etag, "\"d41d8cd98f00b204e9800998ecf8427e-2\"");
	assert_true(page.objects[1].size == 0);
	assert_true(page.truncated);
	assert_string_equal(page.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	s3_list_page_free(&page);
	free(xml);

	xml = slurp("list_last.xml", &len);
	assert_int_equal(s3_xml_list_parse(xml, len, &page, &err), 0);
	assert_int_equal(page.n, 0);
	assert_false(page.truncated);
	assert_null(page.next_token);
	s3_list_page_free(&page);
	free(xml);
}

#define LBR "<ListBucketResult xmlns=\"x\">"

static void test_list_bad(void **state)
{
	static const struct {
		const char *xml, *why;
	} bad[] = {
		{"<Error><Code>AccessDenied</Code></Error>", "not a ListBucketResult"},
		{LBR "<Contents><Key>a</Key>", "not closed"},
		{LBR "<Contents><Key>a</Contents></ListBucketResult>", "unclosed <Key>"},
		{LBR "<Contents><ETag>x</ETag></Contents></ListBucketResult>", "without <Key>"},
		{LBR "<Contents><Key></Key></Contents></ListBucketResult>", "empty <Key>"},
		{LBR "<Contents><Key>a&bogus;</Key></Contents></ListBucketResult>", "bad entity"},
		{LBR "<Contents><Key>a&#0;</Key></Contents></ListBucketResult>", "bad entity"},
		{LBR "<Contents><Key>a&#xD800;</Key></Contents></ListBucketResult>", "bad entity"},
		{LBR "<Contents><Key><![CDATA[a]]></Key></Contents></ListBucketResult>", "markup"},
		{LBR "<Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>", "not a number"},
		{LBR "<IsTruncated>true</IsTruncated></ListBucketResult>", "without a NextContinuationToken"},
	};
	s3_list_page page;
	kpg_err err;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(s3_xml_list_parse(bad[i].xml, strlen(bad[i].xml), &page, &err),
				 KPG_EPARSE);
		if (!strstr(err.msg, bad[i].why))
			fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, bad[i].why);
		s3_list_page_free(&page);
	}
	/* a key over S3's 1024 bytes */
	{
		char *xml = malloc(3000);
		int n = snprintf(xml, 3000, LBR "<Contents><Key>");

		assert_non_null(xml);
		memset(xml + n, 'k', 1025);
		snprintf(xml + n + 1025, 3000 - (size_t)n - 1025,
			 "</Key></Contents></ListBucketResult>");
		assert_int_equal(s3_xml_list_parse(xml, strlen(xml), &page, &err), KPG_EPARSE);
		assert_non_null(strstr(err.msg, "longer than 1024"));
		s3_list_page_free(&page);
		free(xml);
	}
	assert_int_equal(s3_xml_list_parse(NULL, 0, &page, &err), KPG_EPARSE);
}

static void test_error(void **state)
{
	char code[32], msg[64];
	size_t len;
	char *xml = slurp("error.xml", &len);
	(void)state;

	assert_int_equal(s3_xml_error(xml, len, code, sizeof(code), msg, sizeof(msg)), 0);
	assert_string_equal(code, "SignatureDoesNotMatch");
	/* unescaped, cut to fit */
	assert_int_equal(strlen(msg), sizeof(msg) - 1);
	assert_memory_equal(msg, "The request signature we calculated", 35);
	free(xml);
	assert_int_equal(s3_xml_error("{\"__type\": \"x\"}", 15, code, sizeof(code), msg,
				      sizeof(msg)),
			 KPG_ENOTFOUND);
	assert_string_equal(code, "");
	assert_int_equal(s3_xml_error("<Error><Code>\x01"
				      "Bad</Code></Error>",
				      32, code,
				      sizeof(code), msg, sizeof(msg)),
			 0);
	assert_string_equal(code, "?Bad"); /* printable only: it goes into logs */
}

static void test_url_split(void **state)
{
	char bucket[64], prefix[1100];
	kpg_err err = {""};
	(void)state;

	assert_int_equal(s3_url_split("s3://sm-bucket/dc/capture/", bucket, sizeof(bucket),
				      prefix, sizeof(prefix), &err),
			 1);
	assert_string_equal(bucket, "sm-bucket");
	assert_string_equal(prefix, "dc/capture/");
	assert_int_equal(s3_url_split("s3://my.bucket", bucket, sizeof(bucket), prefix,
				      sizeof(prefix), &err),
			 1);
	assert_string_equal(bucket, "my.bucket");
	assert_string_equal(prefix, "");
	assert_int_equal(s3_url_split("/data/capture", bucket, sizeof(bucket), prefix,
				      sizeof(prefix), &err),
			 0);
	assert_int_equal(s3_url_split("s3:///key", bucket, sizeof(bucket), prefix,
				      sizeof(prefix), &err),
			 KPG_EINVAL);
	assert_int_equal(s3_url_split("s3://Bad_Bucket!/k", bucket, sizeof(bucket), prefix,
				      sizeof(prefix), &err),
			 KPG_EINVAL);
	assert_non_null(strstr(err.msg, "is not a bucket name"));
	assert_int_equal(s3_url_split("s3://ab/k", bucket, sizeof(bucket), prefix,
				      sizeof(prefix), &err),
			 KPG_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_page),
		cmocka_unit_test(test_list_bad),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_url_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
