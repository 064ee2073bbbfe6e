/* The S3 source's cursor (s3_cursor.h): which objects are new, the
 * look-back, objects written after their hour left it (late: read once),
 * pruning, a changed ETag, and its bytes in the checkpoint (both
 * versions). */
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

/* SageMaker writes an hour's objects during it and a few minutes after */
static int64_t written(int hour)
{
	return T0 + hour * H + H + 5 * 60 * 1000;
}

static void note_at(s3_cursor *c, int hour, int n, const char *etag, int64_t modified)
{
	kpg_err err = {""};

	assert_int_equal(s3_cursor_note(c, p(hour, n), etag, T0 + hour * H, modified, &err), 0);
}

static void note(s3_cursor *c, int hour, int n, const char *etag)
{
	note_at(c, hour, n, etag, written(hour));
}

static void test_new_seen_changed(void **state)
{
	s3_cursor c;

	(void)state;
	s3_cursor_init(&c);
	/* nothing processed: every hour is new */
	assert_int_equal(s3_cursor_start_ms(&c, LOOKBACK), INT64_MIN);
	assert_int_equal(s3_cursor_check(&c, p(0, 1), "\"e1\"", T0, written(0), LOOKBACK),
			 S3_CURSOR_NEW);
	note(&c, 0, 1, "\"e1\"");
	note(&c, 5, 1, "\"e2\"");
	assert_int_equal(c.high_water_ms, T0 + 5 * H);
	assert_int_equal(s3_cursor_check(&c, p(0, 1), "\"e1\"", T0, written(0), LOOKBACK),
			 S3_CURSOR_SEEN);
	/* SageMaker never rewrites: another ETag is an error, not new */
	assert_int_equal(s3_cursor_check(&c, p(5, 1), "\"e3\"", T0 + 5 * H, written(7), LOOKBACK),
			 S3_CURSOR_CHANGED);
	/* noted with its new ETag, it is reported once */
	note_at(&c, 5, 1, "\"e3\"", written(7));
	assert_int_equal(c.n, 2);
	assert_int_equal(s3_cursor_check(&c, p(5, 1), "\"e3\"", T0 + 5 * H, written(7), LOOKBACK),
			 S3_CURSOR_SEEN);
	/* and kept until a listing covers its new version */
	assert_true(c.items[1].modified_ms == written(7));
	/* a late object of an earlier hour within the look-back is new */
	assert_int_equal(s3_cursor_check(&c, p(3, 9), "\"e9\"", T0 + 3 * H, written(5), LOOKBACK),
			 S3_CURSOR_NEW);
	/* before it, with no LastModified (or no poll completed and none
	 * given): taken as processed and pruned */
	assert_int_equal(s3_cursor_check(&c, p(2, 9), "\"e9\"", T0 + 2 * H, INT64_MIN, LOOKBACK),
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
	/* no poll completed: nothing is known to be covered, nothing goes */
	assert_int_equal(s3_cursor_prune(&c, LOOKBACK), 0);
	s3_cursor_listed(&c, written(5));
	/* hours 3, 4, 5 stay (start = 5 h - 2 h) */
	assert_int_equal(s3_cursor_prune(&c, LOOKBACK), 9);
	assert_int_equal(c.n, 9);
	for (size_t i = 0; i < c.n; i++)
		assert_true(c.items[i].hour_ms >= T0 + 3 * H);
	assert_int_equal(s3_cursor_check(&c, p(3, 0), "\"x\"", T0 + 3 * H, written(3), LOOKBACK),
			 S3_CURSOR_SEEN);
	assert_int_equal(s3_cursor_check(&c, p(1, 0), "\"x\"", T0 + 1 * H, written(1), LOOKBACK),
			 S3_CURSOR_TOO_OLD);
	assert_int_equal(s3_cursor_prune(&c, LOOKBACK), 0);
	/* look-back 0: only the high-water hour */
	assert_int_equal(s3_cursor_prune(&c, 0), 6);
	s3_cursor_free(&c);
}

/* An object written into hour 1 after the poll that listed hour 5 (its
 * hour long out of the look-back) is late: read once, seen until a
 * listing covers it, then pruned and never late again. */
static void test_late_object_read_once(void **state)
{
	s3_cursor c;
	int64_t late = written(5) + 20 * 60 * 1000;

	(void)state;
	s3_cursor_init(&c);
	for (int h = 0; h < 6; h++)
		note(&c, h, 0, "\"x\"");
	s3_cursor_listed(&c, written(5));
	assert_int_equal(s3_cursor_prune(&c, LOOKBACK), 3);
	/* processed, pruned: modified before the listing */
	assert_int_equal(s3_cursor_check(&c, p(1, 0), "\"x\"", T0 + H, written(1), LOOKBACK),
			 S3_CURSOR_TOO_OLD);
	/* new, written after every listing hour 1 was in */
	assert_int_equal(s3_cursor_check(&c, p(1, 7), "\"l\"", T0 + H, late, LOOKBACK),
			 S3_CURSOR_LATE);
	note_at(&c, 1, 7, "\"l\"", late);
	assert_int_equal(c.high_water_ms, T0 + 5 * H); /* unmoved */
	/* a checkpoint before the next complete poll keeps it: seen */
	assert_int_equal(s3_cursor_prune(&c, LOOKBACK), 0);
	assert_int_equal(s3_cursor_check(&c, p(1, 7), "\"l\"", T0 + H, late, LOOKBACK),
			 S3_CURSOR_SEEN);
	/* a listing after it covers it: pruned, then too old, not late */
	s3_cursor_listed(&c, late + 60 * 1000);
	assert_int_equal(s3_cursor_prune(&c, LOOKBACK), 1);
	assert_int_equal(s3_cursor_check(&c, p(1, 7), "\"l\"", T0 + H, late, LOOKBACK),
			 S3_CURSOR_TOO_OLD);
	/* the listing time never moves back (a clock stepped back) */
	s3_cursor_listed(&c, T0);
	assert_true(c.listed_ms == late + 60 * 1000);
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
	note_at(&a, 2, 2, "\"e2-3\"", INT64_MIN);
	s3_cursor_listed(&a, written(2));
	assert_int_equal(s3_cursor_encode(&a, &bytes, &len, &err), 0);
	assert_int_equal(s3_cursor_decode(&b, bytes, len, 0, &err), 0);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.high_water_ms, a.high_water_ms);
	assert_true(b.listed_ms == written(2));
	assert_true(b.items[0].modified_ms == written(1));
	assert_true(b.items[1].modified_ms == INT64_MIN);
	assert_string_equal(b.items[1].path, a.items[1].path);
	assert_string_equal(b.items[1].etag, "\"e2-3\"");
	assert_int_equal(b.items[0].hour_ms, T0 + H);
	/* every truncation and a flipped magic are refused, b untouched */
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(s3_cursor_decode(&b, bytes, cut, 0, &err), KPG_EINTEGRITY);
	bytes[0] ^= 1;
	assert_int_equal(s3_cursor_decode(&b, bytes, len, 0, &err), KPG_EINTEGRITY);
	assert_int_equal(b.n, 2);
	free(bytes);
	/* the empty cursor */
	s3_cursor_free(&a);
	assert_int_equal(s3_cursor_encode(&a, &bytes, &len, &err), 0);
	assert_int_equal(s3_cursor_decode(&b, bytes, len, 0, &err), 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.high_water_ms, INT64_MIN);
	assert_int_equal(b.listed_ms, INT64_MIN);
	free(bytes);
	s3_cursor_free(&b);
}

/* A version 1 cursor (checkpoints written before LastModified was kept):
 * its objects were all listed before it is read, so listed_ms is the
 * time it is read and none of them can come back as late. */
static void test_version_1_cursor(void **state)
{
	/* "S3C1", high water, 1 entry: path, ETag, hour (little-endian) */
	const char *path = "s3://b/k/2026/01/01/03/f.jsonl";
	unsigned char v1[128], *q = v1;
	uint64_t hw = (uint64_t)(T0 + 3 * H);
	size_t plen = strlen(path);
	int64_t read_at = written(9);
	kpg_err err = {""};
	s3_cursor c;

	(void)state;
	memcpy(q, "1C3S", 4); /* 0x53334331 little-endian */
	q += 4;
	for (int i = 0; i < 8; i++)
		*q++ = (unsigned char)(hw >> (8 * i));
	*q++ = 1, *q++ = 0, *q++ = 0, *q++ = 0;
	*q++ = (unsigned char)plen, *q++ = 0, *q++ = 0, *q++ = 0;
	memcpy(q, path, plen);
	q += plen;
	*q++ = 3, *q++ = 0, *q++ = 0, *q++ = 0;
	memcpy(q, "\"e\"", 3);
	q += 3;
	for (int i = 0; i < 8; i++)
		*q++ = (unsigned char)(hw >> (8 * i));
	s3_cursor_init(&c);
	assert_int_equal(s3_cursor_decode(&c, v1, (size_t)(q - v1), read_at, &err), 0);
	assert_int_equal(c.n, 1);
	assert_true(c.high_water_ms == T0 + 3 * H);
	assert_true(c.listed_ms == read_at);
	assert_true(c.items[0].modified_ms == INT64_MIN);
	assert_string_equal(c.items[0].path, path);
	/* an object of an old hour written before the upgrade: too old */
	assert_int_equal(s3_cursor_check(&c, p(0, 0), "\"x\"", T0, written(0), LOOKBACK),
			 S3_CURSOR_TOO_OLD);
	/* one cut short is refused */
	assert_int_equal(s3_cursor_decode(&c, v1, (size_t)(q - v1) - 1, read_at, &err),
			 KPG_EINTEGRITY);
	s3_cursor_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_seen_changed),
		cmocka_unit_test(test_prune_keeps_the_lookback),
		cmocka_unit_test(test_late_object_read_once),
		cmocka_unit_test(test_bytes_round_trip),
		cmocka_unit_test(test_version_1_cursor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
