/* test_audit_chain.c - the audit log: append, reopen and resume; verify
 * catches every flipped byte, deleted, inserted, swapped and duplicated
 * lines and a torn tail; audit_open repairs only a torn tail; failed
 * writes (/dev/full, a file size limit) leave the chain where it was;
 * the summary counts what the pipeline wrote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "audit_summary.h"

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kpg-audit-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	return 0;
}

static int teardown(void **state)
{
	char p[160];

	(void)state;
	unlink(path);
	snprintf(p, sizeof(p), "%s/copy.jsonl", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

/* Whole file into a malloc'd buffer (NUL-terminated); *len its size. */
static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void spit(const char *p, const char *buf, size_t len)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Splits buf into at most 16 lines (newline kept); returns the count. */
static size_t lines_of(char *buf, size_t len, char **line, size_t *llen)
{
	size_t n = 0, start = 0;

	for (size_t i = 0; i < len && n < 16; i++) {
		if (buf[i] == '\n') {
			line[n] = buf + start;
			llen[n++] = i + 1 - start;
			start = i + 1;
		}
	}
	return n;
}

/* A small log of `n` records with varied content. */
static void write_log(const char *p, int n)
{
	audit_log *log;
	kpg_err err = {{0}};

	assert_int_equal(audit_open(p, &log, &err), 0);
	for (int i = 0; i < n; i++) {
		json_t *data = json_pack("{s:i, s:f, s:s, s:[b,n]}", "i", i,
					 "psi", 0.1 * (i + 1), "note",
					 "caf\xc3\xa9 / \"q\"", "flags", i % 2);

		assert_int_equal(audit_append(log, i % 2 ? "decision" : "window_evaluated",
					      i == 1 ? NULL : "churn", data, &err),
				 0);
		json_decref(data);
	}
	audit_close(log);
}

/* Independent hash: SHA-256 of json_dumps(record minus hash). */
static void expect_hash(const char *line, size_t len, const char *prev)
{
	json_error_t jerr;
	json_t *rec = json_loadb(line, len - 1, 0, &jerr);
	unsigned char md[32];
	unsigned int mdlen = 0;
	char hex[65], h[65], *text;

	assert_non_null(rec);
	assert_non_null(json_string_value(json_object_get(rec, "hash")));
	snprintf(h, sizeof(h), "%s", json_string_value(json_object_get(rec, "hash")));
	assert_string_equal(json_string_value(json_object_get(rec, "prev_hash")),
			    prev);
	json_object_del(rec, "hash");
	text = json_dumps(rec, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII |
				       JSON_REAL_PRECISION(17));
	assert_non_null(text);
	assert_int_equal(EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(),
				    NULL),
			 1);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(hex, h);
	free(text);
	json_decref(rec);
}

static void test_append_reopen_resume(void **state)
{
	audit_verify_result res;
	audit_log *log;
	kpg_err err = {{0}};
	char *buf, *line[16] = {0}, head[65];
	size_t len, llen[16] = {0}, n;

	(void)state;
	write_log(path, 3);
	assert_int_equal(audit_verify_file(path, &res, &err), 0);
	assert_int_equal(res.records, 3);
	assert_int_equal(res.bad_line, 0);
	buf = slurp(path, &len);
	n = lines_of(buf, len, line, llen);
	assert_int_equal(n, 3);
	assert_memory_equal(line[0], "{\"data\":{", 9);
	assert_non_null(strstr(line[0], "\"seq\":1,"));
	assert_non_null(strstr(line[1], "\"model\":null"));
	assert_non_null(strstr(line[0], "caf\\u00E9 / \\\"q\\\""));
	expect_hash(line[0], llen[0], ZEROS);
	for (size_t i = 1; i < n; i++) {
		char prev[65];

		memcpy(prev, strstr(line[i - 1], "\"hash\":\"") + 8, 64);
		prev[64] = '\0';
		expect_hash(line[i], llen[i], prev);
	}
	memcpy(head, strstr(line[2], "\"hash\":\"") + 8, 64);
	head[64] = '\0';
	assert_string_equal(res.head_hash, head);
	free(buf);

	assert_int_equal(audit_open(path, &log, &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(audit_last_seq(log), 3);
	assert_string_equal(audit_last_hash(log), head);
	assert_int_equal(audit_append(log, "run_summary", NULL, NULL, &err), 0);
	assert_int_equal(audit_last_seq(log), 4);
	audit_close(log);
	assert_int_equal(audit_verify_file(path, &res, &err), 0);
	assert_int_equal(res.records, 4);
	buf = slurp(path, &len);
	n = lines_of(buf, len, line, llen);
	expect_hash(line[3], llen[3], head);
	assert_non_null(strstr(line[3], "\"data\":{}"));
	free(buf);
}

static void test_empty_log(void **state)
{
	audit_verify_result res;
	audit_log *log;
	kpg_err err = {{0}};

	(void)state;
	assert_int_equal(audit_open(path, &log, &err), 0);
	assert_int_equal(audit_last_seq(log), 0);
	assert_string_equal(audit_last_hash(log), ZEROS);
	audit_close(log);
	assert_int_equal(audit_verify_file(path, &res, &err), 0);
	assert_int_equal(res.records, 0);
	assert_string_equal(res.head_hash, ZEROS);
}

/* Every byte, several bit flips each: each copy must fail on the line
 * holding that byte. */
static void test_every_flipped_byte(void **state)
{
	static const unsigned char masks[] = {0x01, 0x02, 0x04, 0x20, 0x40, 0x80};
	char copy[160], *buf;
	size_t len, checked = 0;
	kpg_err err = {{0}};

	(void)state;
	snprintf(copy, sizeof(copy), "%s/copy.jsonl", dir);
	write_log(path, 4);
	buf = slurp(path, &len);
	for (size_t i = 0; i < len; i++) {
		uint64_t line_no = 1;

		for (size_t k = 0; k < i; k++)
			line_no += buf[k] == '\n';
		for (size_t m = 0; m < sizeof(masks); m++) {
			audit_verify_result res;
			int rc;

			buf[i] ^= (char)masks[m];
			spit(copy, buf, len);
			buf[i] ^= (char)masks[m];
			rc = audit_verify_file(copy, &res, &err);
			if (rc != KPG_EINTEGRITY || res.bad_line != line_no)
				fail_msg("flip 0x%02x at byte %zu (line %llu) gave rc %d, bad line %llu: %s",
					 masks[m], i, (unsigned long long)line_no, rc,
					 (unsigned long long)res.bad_line, res.reason);
			assert_true(res.reason[0] != '\0');
			checked++;
		}
	}
	assert_int_equal(checked, len * sizeof(masks));
	free(buf);
}

/* Rebuilds the file from the lines in `order` (indexes, -1 ends). */
static void rebuild(const char *p, char **line, size_t *llen, const int *order)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	for (; *order >= 0; order++)
		assert_int_equal(fwrite(line[*order], 1, llen[*order], f),
				 llen[*order]);
	assert_int_equal(fclose(f), 0);
}

static void expect_bad(const char *p, uint64_t line_no, const char *why)
{
	audit_verify_result res;
	kpg_err err = {{0}};

	assert_int_equal(audit_verify_file(p, &res, &err), KPG_EINTEGRITY);
	if (res.bad_line != line_no || strstr(res.reason, why) == NULL)
		fail_msg("expected line %llu (%s), got line %llu: %s",
			 (unsigned long long)line_no, why,
			 (unsigned long long)res.bad_line, res.reason);
	assert_int_equal(res.records, line_no - 1);
	/* The message names file and line, like a compiler. */
	assert_non_null(strstr(err.msg, p));
}

static void test_line_edits(void **state)
{
	static const int deleted[] = {0, 2, 3, -1};
	static const int swapped[] = {0, 2, 1, 3, -1};
	static const int duplicated[] = {0, 1, 1, 2, 3, -1};
	static const int first_gone[] = {1, 2, 3, -1};
	static const int inserted[] = {0, 1, 4, 2, 3, -1};
	char copy[160], other[160], *buf, *obuf, *line[16], *oline[16];
	size_t len, olen, llen[16], ollen[16];

	(void)state;
	snprintf(copy, sizeof(copy), "%s/copy.jsonl", dir);
	snprintf(other, sizeof(other), "%s/other.jsonl", dir);
	write_log(path, 4);
	buf = slurp(path, &len);
	assert_int_equal(lines_of(buf, len, line, llen), 4);

	rebuild(copy, line, llen, deleted);
	expect_bad(copy, 2, "seq is 3, expected 2");
	rebuild(copy, line, llen, swapped);
	expect_bad(copy, 2, "seq is 3, expected 2");
	rebuild(copy, line, llen, duplicated);
	expect_bad(copy, 3, "seq is 2, expected 3");
	rebuild(copy, line, llen, first_gone);
	expect_bad(copy, 1, "seq is 2, expected 1");

	/* A well-formed record from another log, renumbered and rehashed so
	 * that only its link to the chain is wrong. */
	{
		json_error_t jerr;
		json_t *rec;
		char hash[65], *text;

		write_log(other, 3);
		obuf = slurp(other, &olen);
		assert_int_equal(lines_of(obuf, olen, oline, ollen), 3);
		rec = json_loadb(oline[2], ollen[2] - 1, 0, &jerr);
		assert_non_null(rec);
		json_object_set_new(rec, "seq", json_integer(3));
		assert_int_equal(audit_hash_record(rec, hash), 0);
		json_object_set_new(rec, "hash", json_string(hash));
		text = audit_canonical(rec);
		line[4] = malloc(strlen(text) + 2);
		sprintf(line[4], "%s\n", text);
		llen[4] = strlen(line[4]);
		rebuild(copy, line, llen, inserted);
		expect_bad(copy, 3, "prev_hash does not match");
		free(line[4]);
		free(text);
		json_decref(rec);
		free(obuf);
		unlink(other);
	}

	/* Content changed and rehashed by hand: the next link breaks. */
	{
		json_error_t jerr;
		json_t *rec = json_loadb(line[1], llen[1] - 1, 0, &jerr);
		char hash[65], *text;
		const int forged[] = {0, 4, 2, 3, -1};

		assert_non_null(rec);
		json_object_set_new(rec, "event", json_string("forged"));
		assert_int_equal(audit_hash_record(rec, hash), 0);
		json_object_set_new(rec, "hash", json_string(hash));
		text = audit_canonical(rec);
		line[4] = malloc(strlen(text) + 2);
		sprintf(line[4], "%s\n", text);
		llen[4] = strlen(line[4]);
		rebuild(copy, line, llen, forged);
		expect_bad(copy, 3, "prev_hash does not match");
		free(line[4]);
		free(text);
		json_decref(rec);
	}

	/* Same record, not in canonical form (a space added). */
	{
		char *spaced = malloc(llen[0] + 2);
		const int order[] = {4, 1, 2, 3, -1};

		memcpy(spaced, line[0], 1);
		spaced[1] = ' ';
		memcpy(spaced + 2, line[0] + 1, llen[0] - 1);
		line[4] = spaced;
		llen[4] = llen[0] + 1;
		rebuild(copy, line, llen, order);
		expect_bad(copy, 1, "not the canonical serialisation");
		free(spaced);
	}
	unlink(copy);
	free(buf);
}

static void test_torn_tail_repaired(void **state)
{
	audit_verify_result res;
	audit_log *log;
	kpg_err err = {{0}};
	char *buf, *line[16], head2[65];
	size_t len, llen[16];

	(void)state;
	write_log(path, 3);
	assert_int_equal(audit_verify_file(path, &res, &err), 0);
	buf = slurp(path, &len);
	assert_int_equal(lines_of(buf, len, line, llen), 3);
	memcpy(head2, strstr(line[1], "\"hash\":\"") + 8, 64);
	head2[64] = '\0';

	/* Half of the last line: an append cut short by a crash. */
	spit(path, buf, len - llen[2] / 2);
	assert_int_equal(audit_verify_file(path, &res, &err), KPG_EINTEGRITY);
	assert_int_equal(res.bad_line, 3);
	assert_int_equal(res.torn_tail, 1);
	assert_int_equal(res.records, 2);
	assert_int_equal(res.intact_bytes, len - llen[2]);

	assert_int_equal(audit_open(path, &log, &err), 0);
	assert_non_null(strstr(err.msg, "warning"));
	assert_non_null(strstr(err.msg, "incomplete last line"));
	assert_int_equal(audit_last_seq(log), 2);
	assert_string_equal(audit_last_hash(log), head2);
	assert_int_equal(audit_append(log, "decision", "churn", NULL, &err), 0);
	audit_close(log);
	assert_int_equal(audit_verify_file(path, &res, &err), 0);
	assert_int_equal(res.records, 3);

	/* Only the newline missing: still an unacknowledged append. */
	spit(path, buf, len - 1);
	assert_int_equal(audit_verify_file(path, &res, &err), KPG_EINTEGRITY);
	assert_int_equal(res.torn_tail, 1);
	assert_int_equal(audit_open(path, &log, &err), 0);
	assert_int_equal(audit_last_seq(log), 2);
	audit_close(log);
	free(buf);
}

static void test_broken_log_refused(void **state)
{
	audit_log *log = NULL;
	kpg_err err = {{0}};
	char *buf, *line[16];
	size_t len, llen[16];

	(void)state;
	write_log(path, 3);
	buf = slurp(path, &len);
	assert_int_equal(lines_of(buf, len, line, llen), 3);
	line[1][20] ^= 1; /* inside line 2 */
	spit(path, buf, len);
	assert_int_equal(audit_open(path, &log, &err), KPG_EINTEGRITY);
	assert_null(log);
	assert_non_null(strstr(err.msg, ":2: "));
	assert_non_null(strstr(err.msg, "refusing"));
	/* The broken file is left exactly as it was. */
	free(buf);
	buf = slurp(path, &len);
	assert_int_equal(len, llen[0] + llen[1] + llen[2]);
	free(buf);
}

/* Tail truncation leaves an intact chain: only a head hash kept elsewhere
 * reveals it (audit verify --expect-head). */
static void test_tail_truncation_changes_head(void **state)
{
	audit_verify_result res;
	kpg_err err = {{0}};
	char *buf, *line[16], head[65];
	size_t len, llen[16];

	(void)state;
	write_log(path, 4);
	assert_int_equal(audit_verify_file(path, &res, &err), 0);
	memcpy(head, res.head_hash, sizeof(head));
	buf = slurp(path, &len);
	assert_int_equal(lines_of(buf, len, line, llen), 4);
	spit(path, buf, len - llen[3]);
	assert_int_equal(audit_verify_file(path, &res, &err), 0);
	assert_int_equal(res.records, 3);
	assert_string_not_equal(res.head_hash, head);
	free(buf);
}

static void test_dev_full_does_not_advance(void **state)
{
	audit_log *log;
	kpg_err err = {{0}};
	json_t *data = json_pack("{s:s}", "k", "v");

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	assert_int_equal(audit_open("/dev/full", &log, &err), 0);
	assert_int_equal(audit_append(log, "decision", "m", data, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, strerror(ENOSPC)));
	assert_int_equal(audit_last_seq(log), 0);
	assert_string_equal(audit_last_hash(log), ZEROS);
	assert_int_equal(audit_append(log, "decision", "m", data, &err), KPG_EIO);
	assert_int_equal(audit_last_seq(log), 0);
	audit_close(log);
	json_decref(data);
}

/* A file size limit makes write() stop part-way: the partial line must be
 * truncated away, and a retry must continue the chain. */
static void test_partial_write_rolled_back(void **state)
{
	audit_verify_result res;
	struct rlimit old, lim;
	audit_log *log;
	kpg_err err = {{0}};
	json_t *data = json_pack("{s:s}", "payload",
				 "a fairly long string so the line is long");
	struct stat st;
	void (*old_handler)(int);
	char head[65];
	int rc;

	(void)state;
	write_log(path, 2);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(audit_open(path, &log, &err), 0);
	memcpy(head, audit_last_hash(log), sizeof(head));

	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 40;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = audit_append(log, "decision", "churn", data, &err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);

	assert_int_equal(rc, KPG_EIO);
	assert_int_equal(audit_last_seq(log), 2);
	assert_string_equal(audit_last_hash(log), head);
	assert_int_equal(audit_verify_file(path, &res, &err), 0);
	assert_int_equal(res.records, 2);
	assert_int_equal(res.intact_bytes, (uint64_t)st.st_size);

	assert_int_equal(audit_append(log, "decision", "churn", data, &err), 0);
	assert_int_equal(audit_last_seq(log), 3);
	audit_close(log);
	assert_int_equal(audit_verify_file(path, &res, &err), 0);
	assert_int_equal(res.records, 3);
	json_decref(data);
}

static void test_bad_appends_do_not_advance(void **state)
{
	audit_log *log, *second = NULL;
	kpg_err err = {{0}};
	json_t *arr = json_array(), *big;
	char *huge;

	(void)state;
	assert_int_equal(audit_open(path, &log, &err), 0);
	assert_int_equal(audit_append(log, "decision", "m", arr, &err), KPG_EINVAL);
	assert_int_equal(audit_append(log, "", "m", NULL, &err), KPG_EINVAL);
	assert_int_equal(audit_append(log, "ev", "bad\xff", NULL, &err),
			 KPG_EINVAL);
	huge = malloc(AUDIT_LINE_MAX + 1);
	memset(huge, 'x', AUDIT_LINE_MAX);
	huge[AUDIT_LINE_MAX] = '\0';
	big = json_pack("{s:s}", "blob", huge);
	assert_int_equal(audit_append(log, "decision", "m", big, &err), KPG_ETOOBIG);
	assert_int_equal(audit_last_seq(log), 0);
	/* A second writer would fork the chain. */
	assert_int_equal(audit_open(path, &second, &err), KPG_EIO);
	assert_null(second);
	assert_non_null(strstr(err.msg, "in use"));
	assert_int_equal(audit_append(log, "decision", "m", NULL, &err), 0);
	assert_int_equal(audit_last_seq(log), 1);
	audit_close(log);
	json_decref(big);
	json_decref(arr);
	free(huge);
}

static void test_reason_kind(void **state)
{
	char k[64];

	(void)state;
	audit_reason_kind("cooldown: last retrain 3.5 h ago", k, sizeof(k));
	assert_string_equal(k, "cooldown");
	audit_reason_kind("auc 0.91 >= floor 0.80", k, sizeof(k));
	assert_string_equal(k, "auc >= floor");
	audit_reason_kind("kpi not breached", k, sizeof(k));
	assert_string_equal(k, "kpi not breached");
	audit_reason_kind("42", k, sizeof(k));
	assert_string_equal(k, "(unspecified)");
	audit_reason_kind("psi -0.5 (3 features)", k, sizeof(k));
	assert_string_equal(k, "psi ( features");
	audit_reason_kind("a very long reason indeed", k, 7);
	assert_string_equal(k, "a very");
}

static void append_json(audit_log *log, const char *event, const char *model,
			const char *json)
{
	json_error_t jerr;
	json_t *data = json_loads(json, 0, &jerr);
	kpg_err err = {{0}};

	if (data == NULL)
		fail_msg("bad test JSON: %s", jerr.text);
	assert_int_equal(audit_append(log, event, model, data, &err), 0);
	json_decref(data);
}

static double num(json_t *root, const char *p1, const char *p2,
		  const char *p3, const char *p4)
{
	json_t *v = json_object_get(root, p1);

	if (p2)
		v = json_object_get(v, p2);
	if (p3)
		v = json_object_get(v, p3);
	if (p4)
		v = json_object_get(v, p4);
	if (!json_is_number(v))
		fail_msg("%s.%s.%s.%s missing", p1, p2 ? p2 : "", p3 ? p3 : "",
			 p4 ? p4 : "");
	return json_number_value(v);
}

static void test_summary(void **state)
{
	audit_log *log;
	kpg_err err = {{0}};
	json_t *sum;
	char head[65];

	(void)state;
	assert_int_equal(audit_open(path, &log, &err), 0);
	append_json(log, "policy_loaded", NULL, "{\"file\":\"p.json\",\"sha256\":\"x\"}");
	append_json(log, "window_evaluated", "churn",
		    "{\"window\":1,\"dataset_drift\":true,\"drifted_features\":[\"age\",\"plan\"]}");
	append_json(log, "decision", "churn",
		    "{\"window\":1,\"decision\":\"hold\",\"reasons\":[\"auc 0.91 >= floor 0.80: KPI holds\"],"
		    "\"naive_would_retrain\":true,\"energy\":{\"effect\":\"avoided\",\"kwh\":0.4736,\"kg_co2e\":0.15722496}}");
	append_json(log, "window_evaluated", "churn",
		    "{\"window\":2,\"dataset_drift\":true,\"drifted_features\":[\"age\"]}");
	append_json(log, "decision", "churn",
		    "{\"window\":2,\"decision\":\"retrain\",\"reasons\":[\"auc 0.70 < floor 0.80\"],"
		    "\"idempotency_key\":\"k\",\"naive_would_retrain\":true,"
		    "\"energy\":{\"effect\":\"spent\",\"kwh\":0.5,\"kg_co2e\":0.2}}");
	append_json(log, "action_result", "churn",
		    "{\"idempotency_key\":\"k\",\"action\":\"dry_run\",\"status\":\"dry_run\",\"request\":{}}");
	append_json(log, "window_evaluated", "bikes", "{\"window\":1,\"dataset_drift\":false,\"drifted_features\":[]}");
	append_json(log, "decision", "bikes",
		    "{\"window\":1,\"decision\":\"hold\",\"reasons\":[\"auc 0.95 >= floor 0.80\",\"no drift\"],"
		    "\"naive_would_retrain\":false,\"energy\":{\"effect\":\"none\",\"kwh\":0,\"kg_co2e\":0}}");
	append_json(log, "run_summary", NULL, "{\"records\":100,\"windows\":3,\"decisions\":3}");
	memcpy(head, audit_last_hash(log), sizeof(head));
	audit_close(log);

	assert_int_equal(audit_summary_file(path, &sum, &err), 0);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(sum, "chain"), "status")),
			    "intact");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(sum, "chain"), "head_hash")),
			    head);
	assert_true(num(sum, "chain", "records", NULL, NULL) == 9);
	assert_true(num(sum, "models", "churn", "windows_evaluated", NULL) == 2);
	assert_true(num(sum, "models", "churn", "drift_alarms", NULL) == 2);
	assert_true(num(sum, "models", "churn", "drifted_features", "age") == 2);
	assert_true(num(sum, "models", "churn", "decisions", "hold") == 1);
	assert_true(num(sum, "models", "churn", "decisions", "retrain") == 1);
	/* records without reason codes: grouped by their text, apart */
	assert_true(num(sum, "models", "churn", "hold_reasons_by_text", "auc >= floor") == 1);
	assert_true(num(sum, "models", "churn", "actions", "dry_run") == 1);
	{
		json_t *e = json_object_get(json_object_get(json_object_get(sum, "models"),
							    "churn"),
					    "energy");

		assert_true(fabs(num(e, "avoided", "kwh", NULL, NULL) - 0.4736) < 1e-12);
		assert_true(fabs(num(e, "avoided", "kg_co2e", NULL, NULL) - 0.15722496) <
			    1e-12);
		assert_true(num(e, "avoided", "runs", NULL, NULL) == 1);
		/* a dry run starts nothing: its estimate is not spent */
		assert_true(num(e, "spent", "kwh", NULL, NULL) == 0);
		assert_true(num(e, "spent", "runs", NULL, NULL) == 0);
		assert_true(fabs(num(e, "not_started", "kwh", NULL, NULL) - 0.5) < 1e-12);
		assert_true(fabs(num(e, "not_started", "kg_co2e", NULL, NULL) - 0.2) < 1e-12);
		assert_true(num(e, "not_started", "by_status", "dry_run", NULL) == 1);
	}
	assert_true(num(sum, "models", "bikes", "drift_alarms", NULL) == 0);
	/* grouped by the decisive (last) reason; the evidence before it is not counted */
	assert_true(num(sum, "models", "bikes", "hold_reasons_by_text", "no drift") == 1);
	assert_null(json_object_get(json_object_get(json_object_get(json_object_get(sum, "models"),
								    "bikes"),
						    "hold_reasons_by_text"),
				    "auc >= floor"));
	assert_true(num(sum, "totals", "windows_evaluated", NULL, NULL) == 3);
	assert_true(num(sum, "totals", "decisions", "hold", NULL) == 2);
	assert_true(num(sum, "totals", "naive_would_retrain", NULL, NULL) == 2);
	assert_true(num(sum, "totals", "events", "policy_loaded", NULL) == 1);
	assert_true(num(sum, "totals", "runs", NULL, NULL) == 1);
	assert_true(num(sum, "totals", "records", NULL, NULL) == 9);
	json_decref(sum);

	/* A broken chain: only the intact prefix is counted. */
	{
		size_t len;
		char *buf = slurp(path, &len), *p = strstr(buf, "\"window\":2");

		assert_non_null(p);
		p[10] = '7';
		spit(path, buf, len);
		free(buf);
	}
	assert_int_equal(audit_summary_file(path, &sum, &err), 0);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(sum, "chain"), "status")),
			    "broken");
	assert_true(num(sum, "chain", "bad_line", NULL, NULL) == 4);
	assert_true(num(sum, "models", "churn", "windows_evaluated", NULL) == 1);
	json_decref(sum);
}

/* Decisions are counted by the code of their decisive reason, with the
 * first text seen as the example; records without codes (older logs) are
 * counted by text, apart; the groups exist in every block. */
static void test_summary_reason_codes(void **state)
{
	audit_log *log;
	kpg_err err = {{0}};
	json_t *sum, *m, *t;

	(void)state;
	assert_int_equal(audit_open(path, &log, &err), 0);
	append_json(log, "decision", "churn",
		    "{\"window\":0,\"decision\":\"hold\","
		    "\"reasons\":[\"no drift\",\"window has 80 records, fewer than min_records 100\",\"auc 0.841 >= 0.7 (n=80)\"],"
		    "\"reason_codes\":[\"no_drift\",\"min_records\",\"kpi_ok\"],"
		    "\"decisive_reason\":{\"code\":\"min_records\",\"text\":\"window has 80 records, fewer than min_records 100\"}}");
	append_json(log, "decision", "churn",
		    "{\"window\":1,\"decision\":\"hold\","
		    "\"reasons\":[\"no drift\",\"window has 12 records, fewer than min_records 100\",\"auc 0.9 >= 0.7 (n=12)\"],"
		    "\"reason_codes\":[\"no_drift\",\"min_records\",\"kpi_ok\"],"
		    "\"decisive_reason\":{\"code\":\"min_records\",\"text\":\"window has 12 records, fewer than min_records 100\"}}");
	append_json(log, "decision", "churn",
		    "{\"window\":2,\"decision\":\"retrain\","
		    "\"reasons\":[\"drift\",\"auc 0.6 < 0.7 (n=500)\",\"retrain: KPI breach in 1 consecutive window (1 required)\"],"
		    "\"reason_codes\":[\"dataset_drift\",\"kpi_breach\",\"retrain\"],"
		    "\"decisive_reason\":{\"code\":\"kpi_breach\",\"text\":\"auc 0.6 < 0.7 (n=500)\"}}");
	/* the engine gave no decisive reason */
	append_json(log, "decision", "churn",
		    "{\"window\":3,\"decision\":\"hold\",\"reasons\":[],\"reason_codes\":[],"
		    "\"decisive_reason\":null}");
	/* an older record, without codes */
	append_json(log, "decision", "churn",
		    "{\"window\":4,\"decision\":\"hold\","
		    "\"reasons\":[\"auc 0.91 >= 0.80 (n=500)\",\"cooldown: last retrain at 2026-01-01\"]}");
	append_json(log, "window_evaluated", "bikes", "{\"window\":0,\"dataset_drift\":false}");
	audit_close(log);

	assert_int_equal(audit_summary_file(path, &sum, &err), 0);
	m = json_object_get(json_object_get(sum, "models"), "churn");
	assert_true(num(m, "hold_reasons", "min_records", NULL, NULL) == 2);
	assert_true(num(m, "hold_reasons", "(none)", NULL, NULL) == 1);
	assert_int_equal(json_object_size(json_object_get(m, "hold_reasons")), 2);
	assert_true(num(m, "retrain_reasons", "kpi_breach", NULL, NULL) == 1);
	assert_int_equal(json_object_size(json_object_get(m, "retrain_reasons")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "reason_examples"),
							      "min_records")),
			    "window has 80 records, fewer than min_records 100");
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "reason_examples"),
							      "kpi_breach")),
			    "auc 0.6 < 0.7 (n=500)");
	assert_true(num(m, "hold_reasons_by_text", "cooldown", NULL, NULL) == 1);
	assert_int_equal(json_object_size(json_object_get(m, "hold_reasons_by_text")), 1);
	assert_int_equal(json_object_size(json_object_get(m, "retrain_reasons_by_text")), 0);
	t = json_object_get(sum, "totals");
	assert_true(num(t, "hold_reasons", "min_records", NULL, NULL) == 2);
	assert_true(num(t, "retrain_reasons", "kpi_breach", NULL, NULL) == 1);
	assert_true(num(t, "hold_reasons_by_text", "cooldown", NULL, NULL) == 1);
	/* a model without decisions has the same (empty) groups */
	m = json_object_get(json_object_get(sum, "models"), "bikes");
	assert_true(json_is_object(json_object_get(m, "hold_reasons")));
	assert_true(json_is_object(json_object_get(m, "retrain_reasons")));
	assert_true(json_is_object(json_object_get(m, "reason_examples")));
	assert_true(json_is_object(json_object_get(m, "hold_reasons_by_text")));
	assert_true(json_is_object(json_object_get(m, "retrain_reasons_by_text")));
	assert_int_equal(json_object_size(json_object_get(m, "hold_reasons")), 0);
	json_decref(sum);
}

/* action_finished: the measured run replaces its decision's estimate; a
 * run decided in another log is counted here, measured. */
static void test_summary_measured_energy(void **state)
{
	audit_log *log;
	kpg_err err = {{0}};
	json_t *sum, *e;

	(void)state;
	assert_int_equal(audit_open(path, &log, &err), 0);
	append_json(log, "decision", "churn",
		    "{\"window\":2,\"decision\":\"retrain\",\"idempotency_key\":\"churn:2:0\","
		    "\"reasons\":[\"auc 0.70 < floor 0.80\"],\"naive_would_retrain\":true,"
		    "\"energy\":{\"effect\":\"spent\",\"kwh\":0.5,\"kg_co2e\":0.2}}");
	append_json(log, "action_finished", "churn",
		    "{\"idempotency_key\":\"churn:2:0\",\"status\":\"Succeeded\","
		    "\"energy\":{\"kwh\":0.3,\"kg_co2e\":0.125},"
		    "\"estimate\":{\"kwh\":0.5,\"kg_co2e\":0.2}}");
	append_json(log, "action_finished", "churn",
		    "{\"idempotency_key\":\"churn:9:0\",\"status\":\"Failed\","
		    "\"energy\":{\"kwh\":0.25,\"kg_co2e\":0.0625},"
		    "\"estimate\":{\"kwh\":0.5,\"kg_co2e\":0.2}}");
	audit_close(log);
	assert_int_equal(audit_summary_file(path, &sum, &err), 0);
	e = json_object_get(json_object_get(sum, "totals"), "energy");
	assert_true(fabs(num(e, "spent", "kwh", NULL, NULL) - 0.55) < 1e-12);
	assert_true(fabs(num(e, "spent", "kg_co2e", NULL, NULL) - 0.1875) < 1e-12);
	assert_true(num(e, "spent", "runs", NULL, NULL) == 2);
	assert_true(num(e, "spent", "measured_runs", NULL, NULL) == 2);
	assert_true(num(sum, "totals", "executions", "Succeeded", NULL) == 1);
	assert_true(num(sum, "totals", "executions", "Failed", NULL) == 1);
	assert_null(json_object_get(sum, "_spent_keys"));
	json_decref(sum);
}

/* Energy spent counts only executions that started: a retrain that
 * failed, expired or has no outcome yet keeps its estimate in
 * not_started, by status; coalesced failed attempts count their attempts. */
static void test_summary_not_started(void **state)
{
	audit_log *log;
	kpg_err err = {{0}};
	json_t *sum, *e;

	(void)state;
	assert_int_equal(audit_open(path, &log, &err), 0);
	for (int w = 1; w <= 4; w++) {
		char d[512];

		snprintf(d, sizeof(d),
			 "{\"window\":%d,\"decision\":\"retrain\",\"idempotency_key\":\"m:%d:0\","
			 "\"reasons\":[\"auc low\"],\"energy\":{\"effect\":\"spent\",\"kwh\":%d.0,\"kg_co2e\":0.5}}",
			 w, w, w);
		append_json(log, "decision", "m", d);
	}
	append_json(log, "action_result", "m",
		    "{\"idempotency_key\":\"m:1:0\",\"status\":\"attempt_failed\",\"count\":6,"
		    "\"error_type\":\"NoCredentialsError\"}");
	append_json(log, "action_result", "m",
		    "{\"idempotency_key\":\"m:1:0\",\"status\":\"expired\",\"attempts\":6}");
	append_json(log, "action_result", "m",
		    "{\"idempotency_key\":\"m:2:0\",\"status\":\"attempt_failed\",\"attempt\":1}");
	append_json(log, "action_result", "m",
		    "{\"idempotency_key\":\"m:2:0\",\"status\":\"started\"}");
	append_json(log, "action_result", "m",
		    "{\"idempotency_key\":\"m:3:0\",\"status\":\"failed\"}");
	/* m:4:0: no outcome in this log */
	audit_close(log);
	assert_int_equal(audit_summary_file(path, &sum, &err), 0);
	e = json_object_get(json_object_get(json_object_get(sum, "models"), "m"), "energy");
	assert_true(num(e, "spent", "runs", NULL, NULL) == 1);
	assert_true(fabs(num(e, "spent", "kwh", NULL, NULL) - 2.0) < 1e-12);
	assert_true(num(e, "not_started", "runs", NULL, NULL) == 3);
	assert_true(fabs(num(e, "not_started", "kwh", NULL, NULL) - 8.0) < 1e-12);
	assert_true(num(e, "not_started", "by_status", "expired", NULL) == 1);
	assert_true(num(e, "not_started", "by_status", "failed", NULL) == 1);
	assert_true(num(e, "not_started", "by_status", "pending", NULL) == 1);
	assert_true(num(sum, "models", "m", "actions", "attempt_failed") == 7);
	assert_true(num(sum, "models", "m", "actions", "expired") == 1);
	e = json_object_get(json_object_get(sum, "totals"), "energy");
	assert_true(fabs(num(e, "not_started", "kwh", NULL, NULL) - 8.0) < 1e-12);
	assert_true(fabs(num(e, "spent", "kwh", NULL, NULL) - 2.0) < 1e-12);
	json_decref(sum);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_reopen_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_not_started, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_flipped_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_edits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_repaired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_log_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_truncation_changes_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dev_full_does_not_advance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_write_rolled_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_appends_do_not_advance, setup, teardown),
		cmocka_unit_test(test_reason_kind),
		cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_reason_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_measured_energy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
