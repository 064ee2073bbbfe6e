/* test_adapters_file_source.c - partition times, folder expansion order
 * (capture files only, the rest counted by reason), and the capped line
 * reader, plain and gzip (corrupt, truncated, not gzip). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "file_source.h"
#include "kpg_time.h"

static int64_t hour_ms(int y, unsigned m, unsigned d, unsigned h)
{
	return kpg_time_days_from_civil(y, m, d) * 86400000LL + h * 3600000LL;
}

static void test_partition_time(void **state)
{
	int64_t ms = 0;
	(void)state;

	assert_int_equal(file_partition_time("s3/ep/AllTraffic/2022/04/18/00/"
					     "21-48-903-x.jsonl",
					     &ms),
			 0);
	assert_true(ms == hour_ms(2022, 4, 18, 0));
	assert_int_equal(file_partition_time("2024/02/29/23/f.jsonl", &ms), 0);
	assert_true(ms == hour_ms(2024, 2, 29, 23));
	/* the last run wins */
	assert_int_equal(file_partition_time("/data/2020/01/01/01/ep/2021/12/31/05/"
					     "f.jsonl",
					     &ms),
			 0);
	assert_true(ms == hour_ms(2021, 12, 31, 5));
	/* not a partition: bad month, bad day, bad hour, hour as file name,
	 * wrong widths */
	assert_int_equal(file_partition_time("2022/13/01/00/f", &ms), KPG_ENOTFOUND);
	assert_int_equal(file_partition_time("2023/02/29/00/f", &ms), KPG_ENOTFOUND);
	assert_int_equal(file_partition_time("2022/01/01/24/f", &ms), KPG_ENOTFOUND);
	assert_int_equal(file_partition_time("2022/01/01/05", &ms), KPG_ENOTFOUND);
	assert_int_equal(file_partition_time("2022/1/01/05/f", &ms), KPG_ENOTFOUND);
	assert_int_equal(file_partition_time("x2022/01/01/05/f", &ms),
			 KPG_ENOTFOUND);
}

static char tmpdir[256];

static void mkdirs(const char *rel)
{
	char p[512], *s;
	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	for (s = p + strlen(tmpdir) + 1; *s; s++) {
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
}

static void put(const char *rel, const char *content)
{
	char p[512];
	FILE *fp;
	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	fp = fopen(p, "wb");
	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

static const char *rel(const file_list *fl, size_t i)
{
	return fl->paths[i] + strlen(tmpdir) + 1;
}

static void test_expand_order(void **state)
{
	file_list fl;
	kpg_err err;
	char link[512], target[512], single[512], explicit_json[512], fifo[512],
		missing[512];
	size_t firsts = 0;
	(void)state;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kpg_fs_XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	mkdirs("ep/v/2022/04/18/01");
	mkdirs("ep/v/2022/04/18/00");
	mkdirs("ep/v/2022/04/17/23");
	mkdirs("ep/v/2021/12/31/23/deeper");
	mkdirs("other");
	put("ep/v/2022/04/18/01/a.jsonl", "{}\n");
	put("ep/v/2022/04/18/00/z.jsonl", "{}\n");
	put("ep/v/2022/04/18/00/e.jsonl.gz", "{}\n");
	put("ep/v/2022/04/18/00/b.jsonl.out", "{}\n"); /* other_name */
	put("ep/v/2022/04/17/23/c.jsonl", "{}\n");
	put("ep/v/2021/12/31/23/deeper/d.json", "{}\n"); /* json */
	put("ep/v/2022/04/18/00/notes.txt", "x\n");      /* other_name */
	put("other/top.jsonl", "{}\n");
	/* a symlinked folder is not followed (it would list files twice),
	 * nor is a fifo read: both counted */
	snprintf(target, sizeof(target), "%s/ep", tmpdir);
	snprintf(link, sizeof(link), "%s/other/loop", tmpdir);
	assert_int_equal(symlink(target, link), 0);
	snprintf(fifo, sizeof(fifo), "%s/other/pipe.jsonl", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);

	const char *paths[] = {tmpdir, single, explicit_json};
	/* the same file named again explicitly is listed once; a file named
	 * explicitly is read whatever its name */
	snprintf(single, sizeof(single), "%s/ep/v/2022/04/17/23/c.jsonl", tmpdir);
	snprintf(explicit_json, sizeof(explicit_json),
		 "%s/ep/v/2021/12/31/23/deeper/d.json", tmpdir);
	assert_int_equal(file_list_expand(paths, 3, &fl, &err), 0);
	assert_int_equal(fl.n, 6);
	assert_string_equal(rel(&fl, 0), "other/top.jsonl");
	assert_true(fl.partition_ms[0] == INT64_MIN);
	assert_null(fl.tags[0]); /* a local file has no version tag */
	assert_string_equal(rel(&fl, 1), "ep/v/2021/12/31/23/deeper/d.json");
	assert_true(fl.partition_ms[1] == hour_ms(2021, 12, 31, 23));
	assert_string_equal(rel(&fl, 2), "ep/v/2022/04/17/23/c.jsonl");
	assert_string_equal(rel(&fl, 3), "ep/v/2022/04/18/00/e.jsonl.gz");
	assert_string_equal(rel(&fl, 4), "ep/v/2022/04/18/00/z.jsonl");
	assert_string_equal(rel(&fl, 5), "ep/v/2022/04/18/01/a.jsonl");
	/* skipped in the walk, by reason */
	assert_int_equal(fl.skipped[FILE_SKIP_JSON], 1);
	assert_int_equal(fl.skipped[FILE_SKIP_NAME], 2);
	assert_int_equal(fl.skipped[FILE_SKIP_NOT_REGULAR], 2);
	assert_int_equal(fl.n_skipped, 5);
	for (size_t i = 0; i < FILE_SKIP_KEPT; i++)
		if (fl.skipped_first[i] != NULL) {
			firsts++;
			assert_true(strstr(fl.skipped_first[i], "d.json") ||
				    strstr(fl.skipped_first[i], "b.jsonl.out") ||
				    strstr(fl.skipped_first[i], "notes.txt") ||
				    strstr(fl.skipped_first[i], "other/loop") ||
				    strstr(fl.skipped_first[i], "pipe.jsonl"));
		}
	assert_int_equal(firsts, 5);
	assert_string_equal(file_skip_reason_name(FILE_SKIP_JSON), "json");
	assert_string_equal(file_skip_reason_name(FILE_SKIP_NAME), "other_name");
	assert_string_equal(file_skip_reason_name(FILE_SKIP_NOT_REGULAR),
			    "not_regular_file");
	file_list_free(&fl);
	unlink(fifo);

	snprintf(missing, sizeof(missing), "%s/nope", tmpdir);
	paths[1] = missing;
	assert_int_equal(file_list_expand(paths, 2, &fl, &err), KPG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "nope"));
	assert_int_equal(fl.n, 0);
	file_list_free(&fl);

	unlink(link);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const char *const *parts, size_t n)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	for (size_t i = 0; i < n; i++)
		fputs(parts[i], fp);
	fclose(fp);
}

static void test_line_reader(void **state)
{
	char path[] = "/tmp/kpg_lr_XXXXXX";
	int fd = mkstemp(path);
	line_reader lr;
	kpg_err err;
	const char *line;
	size_t len;
	(void)state;

	assert_true(fd >= 0);
	close(fd);
	const char *parts[] = {
		"first\r\n",        /* 1: CRLF */
		"\n",               /* 2: blank */
		" \t \r\n",         /* 3: blank */
		"0123456789\n",     /* 4: exactly the cap */
		"0123456789A\n",    /* 5: one over */
		"0123456789\r\n",   /* 6: the cap plus a dropped CR */
		"0123456789AB\r\n", /* 7: over */
		"last",             /* 8: no newline */
	};
	write_file(path, parts, sizeof(parts) / sizeof(parts[0]));
	assert_int_equal(line_reader_open(&lr, path, 10, &err), 0);

	assert_int_equal(line_reader_next(&lr, &line, &len, &err), LINE_OK);
	assert_int_equal(len, 5);
	assert_string_equal(line, "first");
	assert_int_equal(lr.line_no, 1);
	assert_int_equal(line_reader_next(&lr, &line, &len, &err), LINE_OK);
	assert_int_equal(lr.line_no, 4);
	assert_int_equal(len, 10);
	assert_true(lr.cap >= len + 1 + 64);
	assert_int_equal(line_reader_next(&lr, &line, &len, &err), LINE_TOO_BIG);
	assert_int_equal(lr.line_no, 5);
	assert_int_equal(line_reader_next(&lr, &line, &len, &err), LINE_OK);
	assert_int_equal(lr.line_no, 6);
	assert_string_equal(line, "0123456789");
	assert_int_equal(line_reader_next(&lr, &line, &len, &err), LINE_TOO_BIG);
	assert_int_equal(lr.line_no, 7);
	assert_int_equal(line_reader_next(&lr, &line, &len, &err), LINE_OK);
	assert_string_equal(line, "last");
	assert_int_equal(lr.line_no, 8);
	assert_int_equal(line_reader_next(&lr, &line, &len, &err), LINE_EOF);
	assert_int_equal(line_reader_next(&lr, &line, &len, &err), LINE_EOF);
	line_reader_close(&lr);
	unlink(path);
}

/* Lines longer than the read chunk: a 3 MB line over a 1 MiB cap is
 * skipped without growing the buffer past the cap; a 900 kB line fits. */
static void test_line_reader_long(void **state)
{
	char path[] = "/tmp/kpg_lr_XXXXXX";
	int fd = mkstemp(path);
	size_t huge = 3u << 20, fits = 900000;
	char *big = malloc(huge + 1);
	line_reader lr;
	kpg_err err;
	const char *line;
	size_t len;
	(void)state;

	assert_true(fd >= 0 && big);
	close(fd);
	memset(big, 'x', huge);
	big[huge] = 0;
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs("a\n", fp);
	fwrite(big, 1, huge, fp);
	fputs("\n", fp);
	fwrite(big, 1, fits, fp);
	fputs("\nb\n", fp);
	fclose(fp);

	assert_int_equal(line_reader_open(&lr, path, 1 << 20, &err), 0);
	assert_int_equal(line_reader_next(&lr, &line, &len, &err), LINE_OK);
	assert_string_equal(line, "a");
	assert_int_equal(line_reader_next(&lr, &line, &len, &err), LINE_TOO_BIG);
	assert_int_equal(lr.line_no, 2);
	assert_true(lr.cap <= (1u << 20) + 2 + 64);
	assert_int_equal(line_reader_next(&lr, &line, &len, &err), LINE_OK);
	assert_int_equal(len, fits);
	assert_int_equal(line[fits - 1], 'x');
	assert_int_equal(line[fits], '\0');
	assert_true(lr.cap <= (1u << 20) + 2 + 64);
	assert_int_equal(line_reader_next(&lr, &line, &len, &err), LINE_OK);
	assert_string_equal(line, "b");
	assert_int_equal(lr.line_no, 4);
	assert_int_equal(line_reader_next(&lr, &line, &len, &err), LINE_EOF);
	line_reader_close(&lr);
	unlink(path);
	free(big);

	assert_int_equal(line_reader_open(&lr, "/nonexistent/x.jsonl", 0, &err),
			 KPG_ENOTFOUND);
	line_reader_close(&lr);
	assert_int_equal(line_reader_open(&lr, path, (size_t)1 << 31, &err),
			 KPG_EINVAL);
	line_reader_close(&lr);
}

/* Writes text gzip-compressed to path. */
static void write_gz(const char *path, const char *text, size_t len)
{
	gzFile gz = gzopen(path, "wb");

	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, text, (unsigned)len), (int)len);
	assert_int_equal(gzclose(gz), Z_OK);
}

static size_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (size_t)st.st_size;
}

/* Reads every line of path: the count of LINE_OK and LINE_TOO_BIG, and
 * the final code (LINE_EOF or an error). */
static int read_all(const char *path, size_t cap, size_t *ok, size_t *big,
		    kpg_err *err)
{
	line_reader lr;
	const char *line;
	size_t len;
	int rc;

	*ok = *big = 0;
	assert_int_equal(line_reader_open(&lr, path, cap, err), 0);
	while ((rc = line_reader_next(&lr, &line, &len, err)) == LINE_OK ||
	       rc == LINE_TOO_BIG) {
		if (rc == LINE_OK) {
			assert_true(len > 0 && line[len] == '\0');
			++*ok;
		} else {
			++*big;
		}
	}
	line_reader_close(&lr);
	return rc;
}

/* gzip: the same lines as the plain text, the same cap; a corrupt or
 * truncated stream is KPG_EINTEGRITY naming the file after the lines it
 * could read; a *.gz that is not gzip is KPG_EINTEGRITY; gzip is known by
 * its magic whatever the name. */
static void test_line_reader_gzip(void **state)
{
	char dir[] = "/tmp/kpg_gz_XXXXXX", path[512], plain[512], cmd[600];
	size_t n_lines = 20000, ok, big, size;
	char *text = malloc(n_lines * 64 + 64), *p = text, *bytes;
	kpg_err err;
	FILE *fp;
	(void)state;

	assert_non_null(text);
	assert_non_null(mkdtemp(dir));
	/* ~1 MB of distinct lines (many read chunks), one over a 100-byte cap */
	for (size_t i = 0; i < n_lines; i++)
		p += sprintf(p, "{\"i\": %zu, \"v\": \"%040zu\"}\n", i, i * 7919);
	p += sprintf(p, "%0120d\nlast", 0);
	snprintf(path, sizeof(path), "%s/a.jsonl.gz", dir);
	write_gz(path, text, (size_t)(p - text));
	snprintf(plain, sizeof(plain), "%s/a.jsonl", dir);
	fp = fopen(plain, "wb");
	assert_non_null(fp);
	fwrite(text, 1, (size_t)(p - text), fp);
	fclose(fp);
	assert_int_equal(read_all(plain, 100, &ok, &big, &err), LINE_EOF);
	assert_int_equal(ok, n_lines + 1);
	assert_int_equal(big, 1);
	assert_int_equal(read_all(path, 100, &ok, &big, &err), LINE_EOF);
	assert_int_equal(ok, n_lines + 1);
	assert_int_equal(big, 1);
	assert_true(file_size(path) < (size_t)(p - text) / 2); /* compressed */

	/* gzip found by its magic under another name */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/renamed.txt'", path, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/renamed.txt", dir);
	assert_int_equal(read_all(cmd, 100, &ok, &big, &err), LINE_EOF);
	assert_int_equal(ok, n_lines + 1);

	/* truncated: the lines before the cut, then KPG_EINTEGRITY */
	size = file_size(path);
	assert_int_equal(truncate(path, (off_t)(size / 2)), 0);
	assert_int_equal(read_all(path, 100, &ok, &big, &err), KPG_EINTEGRITY);
	assert_true(ok > 0 && ok < n_lines);
	assert_non_null(strstr(err.msg, "a.jsonl.gz"));
	assert_non_null(strstr(err.msg, "truncated"));

	/* corrupt: bytes flipped in the deflate data */
	write_gz(path, text, (size_t)(p - text));
	size = file_size(path);
	bytes = malloc(size);
	assert_non_null(bytes);
	fp = fopen(path, "rb");
	assert_int_equal(fread(bytes, 1, size, fp), size);
	fclose(fp);
	for (size_t i = size / 2; i < size / 2 + 64; i++)
		bytes[i] = (char)(bytes[i] ^ 0x5a);
	fp = fopen(path, "wb");
	fwrite(bytes, 1, size, fp);
	fclose(fp);
	free(bytes);
	assert_int_equal(read_all(path, 100, &ok, &big, &err), KPG_EINTEGRITY);
	assert_true(ok < n_lines + 1);
	assert_non_null(strstr(err.msg, "corrupt gzip stream after line"));

	/* named *.gz, not gzip; and an empty one */
	fp = fopen(path, "wb");
	fputs("{\"plain\": 1}\n", fp);
	fclose(fp);
	assert_int_equal(read_all(path, 100, &ok, &big, &err), KPG_EINTEGRITY);
	assert_int_equal(ok, 0);
	assert_non_null(strstr(err.msg, "not a gzip stream"));
	fp = fopen(path, "wb");
	fclose(fp);
	assert_int_equal(read_all(path, 100, &ok, &big, &err), KPG_EINTEGRITY);

	free(text);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A fake remote lister: objects as an S3 listing would give them. */
static int fake_remote(void *opaque, const char *url, file_list_sink *sink,
		       kpg_err *err)
{
	int *calls = opaque;
	int rc;

	++*calls;
	if (strcmp(url, "s3://b/missing") == 0) {
		kpg_err_set(err, "%s: nothing there", url);
		return KPG_ENOTFOUND;
	}
	if ((rc = file_list_sink_add(sink, "s3://b/ep/v/2022/04/18/01/x.jsonl", "\"e1\"", 1767225600000, 0, err)) ||
	    (rc = file_list_sink_add(sink, "s3://b/ep/v/2022/04/18/00/y.jsonl.gz", "\"e2\"", INT64_MIN, 0, err)) ||
	    (rc = file_list_sink_add(sink, "s3://b/ep/v/2022/04/18/00/README.json", "\"e3\"", INT64_MIN, 0, err)) ||
	    (rc = file_list_sink_add(sink, "s3://b/ep/notes.txt", "\"e4\"", INT64_MIN, 1, err)))
		return rc;
	return 0;
}

static void test_expand_remote(void **state)
{
	file_list fl;
	kpg_err err = {""};
	int calls = 0;
	const char *paths[] = {"s3://b/ep", "s3://b/ep"};
	const char *missing[] = {"s3://b/missing"};
	(void)state;

	/* the same objects listed twice are listed once, sorted with the
	 * local rules, with their tags; skipped names counted */
	assert_int_equal(file_list_expand_remote(paths, 2, "s3://", fake_remote, &calls, &fl, &err),
			 0);
	assert_int_equal(calls, 2);
	assert_int_equal(fl.n, 3);
	assert_string_equal(fl.paths[0], "s3://b/ep/notes.txt"); /* named: taken */
	assert_string_equal(fl.tags[0], "\"e4\"");
	assert_true(fl.partition_ms[0] == INT64_MIN);
	assert_string_equal(fl.paths[1], "s3://b/ep/v/2022/04/18/00/y.jsonl.gz");
	assert_string_equal(fl.tags[1], "\"e2\"");
	assert_true(fl.partition_ms[1] == hour_ms(2022, 4, 18, 0));
	assert_string_equal(fl.paths[2], "s3://b/ep/v/2022/04/18/01/x.jsonl");
	assert_string_equal(fl.tags[2], "\"e1\"");
	/* each object keeps its own LastModified through the sort */
	assert_true(fl.modified_ms[2] == 1767225600000);
	assert_true(fl.modified_ms[0] == INT64_MIN && fl.modified_ms[1] == INT64_MIN);
	assert_int_equal(fl.skipped[FILE_SKIP_JSON], 2);
	assert_int_equal(fl.n_skipped, 2);
	assert_string_equal(fl.skipped_first[0], "s3://b/ep/v/2022/04/18/00/README.json");
	file_list_free(&fl);

	/* a lister's error is the expansion's, and nothing leaks */
	assert_int_equal(file_list_expand_remote(missing, 1, "s3://", fake_remote, &calls, &fl, &err),
			 KPG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "nothing there"));
	assert_int_equal(fl.n, 0);
	file_list_free(&fl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partition_time),
		cmocka_unit_test(test_expand_order),
		cmocka_unit_test(test_expand_remote),
		cmocka_unit_test(test_line_reader),
		cmocka_unit_test(test_line_reader_long),
		cmocka_unit_test(test_line_reader_gzip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
