/* s3_xml.h - the few elements kpigate reads from S3's XML answers:
 * ListObjectsV2's ListBucketResult (Contents: Key, ETag, Size,
 * LastModified; IsTruncated, NextContinuationToken) and an Error's Code
 * and Message.
 *
 * Not a general XML parser, and no libxml2: S3 writes these elements
 * without attributes and never nests one of them in itself, so each is
 * found by its exact tags, and its text is unescaped (the five named
 * entities and numeric character references; CDATA is refused). The
 * answer is untrusted input: every length is checked, a malformed
 * document is KPG_EPARSE with what was wrong, never a crash
 * (tests/fuzz/fuzz_s3_xml.c). */
#ifndef S3_XML_H
#define S3_XML_H

#include <stddef.h>
#include <stdint.h>

#include "kpg_error.h"

/* An object as listed. Strings owned by the page. */
typedef struct s3_object {
	char *key;
	char *etag;     /* with its quotes, as S3 sends it */
	int64_t size;   /* bytes; -1 when not given */
	char *modified; /* LastModified, ISO 8601; "" when not given */
} s3_object;

typedef struct s3_list_page {
	s3_object *objects; /* owned, in the answer's (key) order */
	size_t n;
	int truncated;    /* IsTruncated was true */
	char *next_token; /* owned NextContinuationToken, NULL when none */
} s3_list_page;

/* Parses one ListObjectsV2 answer of len bytes into *page (zeroed
 * first; free it with s3_list_page_free, also after a failure). At most
 * S3_XML_MAX_OBJECTS objects, keys of at most 1024 bytes (S3's limit).
 * KPG_EPARSE for a document that is not a ListBucketResult or a malformed
 * element, KPG_ENOMEM. */
#define S3_XML_MAX_OBJECTS 10000
int s3_xml_list_parse(const char *xml, size_t len, s3_list_page *page,
		      kpg_err *err);
void s3_list_page_free(s3_list_page *page);

/* An S3 <Error>'s Code and Message, unescaped and cut to fit, printable
 * ASCII only; 0 when the answer is an Error with a Code, else
 * KPG_ENOTFOUND (code and msg then ""). */
int s3_xml_error(const char *xml, size_t len, char *code, size_t code_cap,
		 char *msg, size_t msg_cap);

#endif
