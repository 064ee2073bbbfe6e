/* fuzz_line_reader.c - libFuzzer target for the capture file reader: any
 * bytes, as a plain file and as a *.jsonl.gz (gzip by magic or by name),
 * must give lines within the cap, NUL-terminated, and end in LINE_EOF or
 * a clean KPG_EINTEGRITY / KPG_EIO, never a crash or a line over the cap.
 * The first byte picks the name and the cap. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	size_t caps[4] = {1, 16, 200, 0}, cap;
	line_reader lr;
	const char *line;
	size_t len;
	kpg_err err;
	FILE *fp;
	int rc;

	if (size == 0)
		return 0;
	cap = caps[data[0] & 3];
	snprintf(path, sizeof(path), "/tmp/fuzz_lr_%d%s", (int)getpid(),
		 data[0] & 4 ? ".jsonl.gz" : ".jsonl");
	fp = fopen(path, "wb");
	if (fp == NULL)
		abort();
	if (fwrite(data + 1, 1, size - 1, fp) != size - 1)
		abort();
	fclose(fp);
	if (line_reader_open(&lr, path, cap, &err) != 0)
		abort();
	while ((rc = line_reader_next(&lr, &line, &len, &err)) == LINE_OK ||
	       rc == LINE_TOO_BIG) {
		if (rc == LINE_OK &&
		    (len == 0 || len > (cap ? cap : (size_t)1 << 20) || line[len] != '\0'))
			abort();
	}
	if (rc != LINE_EOF && rc != KPG_EINTEGRITY && rc != KPG_EIO)
		abort();
	if (rc != LINE_EOF && err.msg[0] == '\0')
		abort();
	line_reader_close(&lr);
	unlink(path);
	return 0;
}
