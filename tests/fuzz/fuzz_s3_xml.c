/* fuzz_s3_xml.c - libFuzzer target for S3's XML answers (s3_xml.c):
 * ListObjectsV2 pages and Error documents. The first byte picks the
 * parser; any bytes must give a page whose every object has a non-empty
 * key within S3's limit and whose strings are NUL-terminated, or a clean
 * error. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	s3_list_page page;
	kpg_err err = {""};
	char code[64], msg[128];

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (s3_xml_error((const char *)data + 1, size - 1, code, sizeof(code), msg,
				 sizeof(msg)) == 0 &&
		    (!code[0] || strlen(code) >= sizeof(code) || strlen(msg) >= sizeof(msg)))
			abort();
		return 0;
	}
	if (s3_xml_list_parse((const char *)data + 1, size - 1, &page, &err) == 0) {
		if (page.n > S3_XML_MAX_OBJECTS || (page.truncated && !page.next_token))
			abort();
		for (size_t i = 0; i < page.n; i++)
			if (!page.objects[i].key[0] || strlen(page.objects[i].key) > 1024 ||
			    !page.objects[i].etag || !page.objects[i].modified)
				abort();
	} else if (!err.msg[0]) {
		abort(); /* every failure says why */
	}
	s3_list_page_free(&page);
	return 0;
}
