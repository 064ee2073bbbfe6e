/* The S3 source's cursor (s3_cursor.h): which objects are new, the
 * look-back, pruning, a changed ETag, and its bytes in the checkpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_cursor.h"

#define H ((int64_t)3600 * 1000)
#define T0 ((int64_t)1767225600000) /* 2026-01-01T00:00Z */
#define LOOKBACK (2 * H)

static const char *p(int hour, int n)
{
	static char buf[8][128];
	static int slot;
	char *b = buf[slot++ % 8];

	snprintf(b, 128, "s3://b/capture/ep/AllTraffic/2026/01/01/%02d/f%d.jsonl", hour, n);
	return b;
}

static void note(s3_cursor *c, int hour, int n, const char *etag)
{
	kpg_err err = {""};

	assert_int_equal(s3_cursor_note(c, p(hour, n), etag, T0 + hour * H, &err), 0);
}

static void test_new_seen_changed(void **state)
{
	s3_cursor c;

	(void)state;
	s3_cursor_init(&c);
	/* nothing processed: every hour is new */
	assert_int_equal(s3_cursor_start_ms(&c, LOOKBACK), INT64_MIN);
	assert_int_equal(s3_cursor_check(&c, p(0, 1), "\"e1\"", T0, LOOKBACK), S3_CURSOR_NEW);
	note(&c, 0, 1, "\"e1\"");
	note(&c, 5, 1, "\"e2\"");
	assert_int_equal(c.high_water_ms, T0 + 5 * H);
	assert_int_equal(s3_cursor_check(&c, p(0, 1), "\"e1\"", T0, LOOKBACK), S3_CURSOR_SEEN);
	/* SageMaker never rewrites: another ETag is an error, not new */
	assert_int_equal(s3_cursor_check(&c, p(5, 1), "\"e3\"", T0 + 5 * H, LOOKBACK),
			 S3_CURSOR_CHANGED);
	/* noted with its new ETag, it is reported once */
	note(&c, 5, 1, "\"e3\"");
	assert_int_equal(c.n, 2);
	assert_int_equal(s3_cursor_check(&c, p(5, 1), "\"e3\"", T0 + 5 * H, LOOKBACK),
			 S3_CURSOR_SEEN);
	/* a late object of an earlier hour within the look-back is new */
	assert_int_equal(s3_cursor_check(&c, p(3, 9), "\"e9\"", T0 + 3 * H, LOOKBACK),
			 S3_CURSOR_NEW);
	/* before it: not read */
	assert_int_equal(s3_cursor_check(&c, p(2, 9), "\"e9\"", T0 + 2 * H, LOOKBACK),
			 S3_CURSOR_TOO_OLD);
	/* the high water never moves back */
	note(&c, 3, 9, "\"e9\"");
	assert_int_equal(c.high_water_ms, T0 + 5 * H);
	s3_cursor_free(&c);
}

static void test_prune_keeps_the_lookback(void **state)
{
	s3_cursor c;

	(void)state;
	s3_cursor_init(&c);
	for (int h = 0; h < 6; h++)
		for (int n = 0; n < 3; n++)
			note(&c, h, n, "\"x\"");
	/* hours 3, 4, 5 stay (start = 5 h - 2 h) */
	assert_int_equal(s3_cursor_prune(&c, LOOKBACK), 9);
	assert_int_equal(c.n, 9);
	for (size_t i = 0; i < c.n; i++)
		assert_true(c.items[i].hour_ms >= T0 + 3 * H);
	assert_int_equal(s3_cursor_check(&c, p(3, 0), "\"x\"", T0 + 3 * H, LOOKBACK),
			 S3_CURSOR_SEEN);
	assert_int_equal(s3_cursor_check(&c, p(1, 0), "\"x\"", T0 + 1 * H, LOOKBACK),
			 S3_CURSOR_TOO_OLD);
	assert_int_equal(s3_cursor_prune(&c, LOOKBACK), 0);
	/* look-back 0: only the high-water hour */
	assert_int_equal(s3_cursor_prune(&c, 0), 6);
	s3_cursor_free(&c);
}

static void test_bytes_round_trip(void **state)
{
	s3_cursor a, b;
	unsigned char *bytes = NULL;
	size_t len = 0;
	kpg_err err = {""};

	(void)state;
	s3_cursor_init(&a);
	s3_cursor_init(&b);
	note(&a, 1, 1, "\"e1\"");
	note(&a, 2, 2, "\"e2-3\"");
	assert_int_equal(s3_cursor_encode(&a, &bytes, &len, &err), 0);
	assert_int_equal(s3_cursor_decode(&b, bytes, len, &err), 0);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.high_water_ms, a.high_water_ms);
	assert_string_equal(b.items[1].path, a.items[1].path);
	assert_string_equal(b.items[1].etag, "\"e2-3\"");
	assert_int_equal(b.items[0].hour_ms, T0 + H);
	/* every truncation and a flipped magic are refused, b untouched */
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(s3_cursor_decode(&b, bytes, cut, &err), KPG_EINTEGRITY);
	bytes[0] ^= 1;
	assert_int_equal(s3_cursor_decode(&b, bytes, len, &err), KPG_EINTEGRITY);
	assert_int_equal(b.n, 2);
	free(bytes);
	/* the empty cursor */
	s3_cursor_free(&a);
	assert_int_equal(s3_cursor_encode(&a, &bytes, &len, &err), 0);
	assert_int_equal(s3_cursor_decode(&b, bytes, len, &err), 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.high_water_ms, INT64_MIN);
	free(bytes);
	s3_cursor_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_seen_changed),
		cmocka_unit_test(test_prune_keeps_the_lookback),
		cmocka_unit_test(test_bytes_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
