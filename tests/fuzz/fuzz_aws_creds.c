/* fuzz_aws_creds.c - libFuzzer target for the credential parsers: the
 * shared credentials/config INI files, STS's XML answer and the
 * container/IMDS JSON. The first byte picks the parser; any bytes must
 * give 0 with NUL-terminated fields that fit, or a clean error. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws_creds.h"
#include "aws_creds_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const aws_creds *c)
{
	if (strnlen(c->access_key_id, sizeof(c->access_key_id)) >= sizeof(c->access_key_id) ||
	    strnlen(c->secret_access_key, sizeof(c->secret_access_key)) >=
		    sizeof(c->secret_access_key) ||
	    strnlen(c->session_token, sizeof(c->session_token)) >= sizeof(c->session_token))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text;
	aws_creds c;
	kpg_err err = {""};
	int found = 0, rc;

	if (size < 1)
		return 0;
	text = (const char *)data + 1;
	size--;
	memset(&c, 0, sizeof(c));
	switch (data[0] % 4) {
	case 0:
	case 1:
		rc = aws_creds_ini_find(text, size, "fuzz", data[0] % 4, "default", &found,
					&c, &err);
		break;
	case 2:
		rc = aws_creds_parse_sts_xml(text, size, &c, &err);
		break;
	default:
		rc = aws_creds_parse_json(text, size, &c, &err);
		break;
	}
	if (rc == 0)
		check(&c);
	if (strnlen(err.msg, sizeof(err.msg)) >= sizeof(err.msg))
		abort();
	aws_creds_wipe(&c);
	return 0;
}
