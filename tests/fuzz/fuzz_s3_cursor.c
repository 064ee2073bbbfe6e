/* fuzz_s3_cursor.c - libFuzzer target for the S3 cursor's bytes in a
 * checkpoint (s3_cursor_decode, both versions). Any bytes give a clean
 * KPG_EINTEGRITY (or KPG_ENOMEM), or a cursor within its caps that
 * encodes and decodes back to itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3_cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	s3_cursor c, back;
	unsigned char *bytes = NULL;
	size_t len = 0;
	kpg_err err = {""};
	int rc;

	s3_cursor_init(&c);
	s3_cursor_init(&back);
	rc = s3_cursor_decode(&c, data, size, 12345, &err);
	if (rc != 0) {
		if ((rc != KPG_EINTEGRITY && rc != KPG_ENOMEM && rc != KPG_ETOOBIG) ||
		    !err.msg[0] || c.n != 0)
			abort(); /* refused with a reason, c untouched */
		return 0;
	}
	if (c.n > S3_CURSOR_MAX_ENTRIES)
		abort();
	for (size_t i = 0; i < c.n; i++)
		if (strlen(c.items[i].path) > S3_CURSOR_MAX_PATH ||
		    strlen(c.items[i].etag) > S3_CURSOR_MAX_ETAG ||
		    c.items[i].hour_ms > c.high_water_ms)
			abort();
	if (s3_cursor_encode(&c, &bytes, &len, &err) != 0 ||
	    s3_cursor_decode(&back, bytes, len, 0, &err) != 0 || back.n != c.n ||
	    back.high_water_ms != c.high_water_ms || back.listed_ms != c.listed_ms)
		abort();
	for (size_t i = 0; i < c.n; i++)
		if (strcmp(back.items[i].path, c.items[i].path) != 0 ||
		    strcmp(back.items[i].etag, c.items[i].etag) != 0 ||
		    back.items[i].modified_ms != c.items[i].modified_ms)
			abort();
	free(bytes);
	s3_cursor_free(&back);
	s3_cursor_free(&c);
	return 0;
}
