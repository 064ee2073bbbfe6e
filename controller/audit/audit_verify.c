/* audit_verify.c - walks an audit log line by line and checks the chain:
 * each line the exact canonical form of its record, seq counting up from
 * 1, prev_hash the previous record's hash, hash the record's SHA-256. The
 * first bad line stops the walk. docs/audit.md */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpg_time.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define CHUNK 65536

/* Reads lines with pread from offset 0, so the caller's offset and
 * O_APPEND writes are not disturbed. */
struct reader {
	int fd;
	off_t off; /* file offset of buf[len] */
	char buf[CHUNK];
	size_t pos, len;
	char *line; /* current line, newline included when present */
	size_t line_len, line_cap;
};

static int fill(struct reader *r, kpg_err *err)
{
	ssize_t n;

	do
		n = pread(r->fd, r->buf, sizeof(r->buf), r->off);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		kpg_err_set(err, "audit log read failed: %s", strerror(errno));
		return KPG_EIO;
	}
	r->off += n;
	r->pos = 0;
	r->len = (size_t)n;
	return 0;
}

static int line_add(struct reader *r, const char *p, size_t n)
{
	if (r->line_len + n > AUDIT_LINE_MAX)
		return KPG_ETOOBIG;
	if (r->line_len + n > r->line_cap) {
		size_t cap = r->line_cap ? r->line_cap : 4096;
		char *grown;

		while (cap < r->line_len + n)
			cap *= 2;
		if (cap > AUDIT_LINE_MAX)
			cap = AUDIT_LINE_MAX;
		grown = realloc(r->line, cap);
		if (grown == NULL)
			return KPG_ENOMEM;
		r->line = grown;
		r->line_cap = cap;
	}
	memcpy(r->line + r->line_len, p, n);
	r->line_len += n;
	return 0;
}

/* Next line into r->line. Returns 1 at end of file, 0 with a line (ending
 * in '\n' unless it is a torn tail), or a negative code. */
static int next_line(struct reader *r, kpg_err *err)
{
	int rc;

	r->line_len = 0;
	for (;;) {
		char *nl;
		size_t n;

		if (r->pos == r->len) {
			rc = fill(r, err);
			if (rc)
				return rc;
			if (r->len == 0)
				return r->line_len ? 0 : 1;
		}
		nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		n = nl ? (size_t)(nl - (r->buf + r->pos)) + 1 : r->len - r->pos;
		rc = line_add(r, r->buf + r->pos, n);
		if (rc)
			return rc;
		r->pos += n;
		if (nl)
			return 0;
	}
}

static int is_hex64(const json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL || json_string_length(v) != 64)
		return 0;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static void why(char *reason, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void why(char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(((audit_verify_result *)0)->reason), fmt, ap);
	va_end(ap);
}

/* Checks the fields of one parsed record; fills reason when bad. */
static int check_fields(const json_t *rec, uint64_t seq, const char *prev,
			char *reason)
{
	static const char *const keys[] = {"data", "event", "hash", "model",
					   "prev_hash", "seq", "time"};
	const json_t *v;
	const char *key;
	int64_t ms;

	json_object_foreach((json_t *)rec, key, v) {
		size_t i;

		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			/* Quote the key only when it is short printable ASCII,
			 * so the reason stays valid UTF-8 for JSON output. */
			size_t klen = strlen(key), j;

			for (j = 0; j < klen && klen <= 64; j++)
				if (key[j] < 0x20 || key[j] > 0x7e || key[j] == '"')
					break;
			if (klen <= 64 && j == klen)
				why(reason, "unexpected key \"%s\"", key);
			else
				why(reason, "unexpected key");
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (json_object_get(rec, keys[i]) == NULL) {
			why(reason, "missing key \"%s\"", keys[i]);
			return -1;
		}
	}
	v = json_object_get(rec, "seq");
	if (!json_is_integer(v)) {
		why(reason, "seq is not an integer");
		return -1;
	}
	if (json_integer_value(v) != (json_int_t)seq) {
		why(reason,
		    "seq is %lld, expected %llu (a record was deleted, inserted, duplicated or reordered)",
		    (long long)json_integer_value(v), (unsigned long long)seq);
		return -1;
	}
	v = json_object_get(rec, "prev_hash");
	if (!is_hex64(v)) {
		why(reason, "prev_hash is not 64 lowercase hex digits");
		return -1;
	}
	if (strcmp(json_string_value(v), prev) != 0) {
		why(reason,
		    "prev_hash does not match the previous record's hash (a record was deleted, inserted or changed)");
		return -1;
	}
	if (!is_hex64(json_object_get(rec, "hash"))) {
		why(reason, "hash is not 64 lowercase hex digits");
		return -1;
	}
	v = json_object_get(rec, "time");
	if (!json_is_string(v) ||
	    kpg_time_parse_iso8601(json_string_value(v), json_string_length(v),
				   &ms) != 0) {
		why(reason, "time is not an ISO 8601 time");
		return -1;
	}
	v = json_object_get(rec, "event");
	if (!json_is_string(v) || json_string_length(v) == 0) {
		why(reason, "event is not a non-empty string");
		return -1;
	}
	v = json_object_get(rec, "model");
	if (!json_is_string(v) && !json_is_null(v)) {
		why(reason, "model is neither a string nor null");
		return -1;
	}
	if (!json_is_object(json_object_get(rec, "data"))) {
		why(reason, "data is not an object");
		return -1;
	}
	return 0;
}

/* Checks one line (without its newline). On success *out is the record
 * (caller decrefs); otherwise reason says why, or a negative code is an
 * allocation failure. */
static int check_line(const char *line, size_t len, uint64_t seq,
		      const char *prev, json_t **out, char *reason)
{
	json_error_t jerr;
	json_t *rec;
	char hash[65], *canon = NULL;
	int rc = 1;

	*out = NULL;
	if (memchr(line, '\0', len) != NULL) {
		why(reason, "line contains a NUL byte");
		return 1;
	}
	rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (rec == NULL) {
		why(reason, "not valid JSON at column %d: %s", jerr.column,
		    jerr.text);
		return 1;
	}
	if (!json_is_object(rec)) {
		why(reason, "not a JSON object");
		goto out;
	}
	if (check_fields(rec, seq, prev, reason))
		goto out;
	if (audit_hash_record(rec, hash) != 0) {
		rc = KPG_ENOMEM;
		goto out;
	}
	if (strcmp(hash, json_string_value(json_object_get(rec, "hash"))) != 0) {
		why(reason,
		    "hash does not match the record's content (the record was changed)");
		goto out;
	}
	canon = audit_canonical(rec);
	if (canon == NULL) {
		rc = KPG_ENOMEM;
		goto out;
	}
	if (strlen(canon) != len || memcmp(canon, line, len) != 0) {
		why(reason,
		    "line is not the canonical serialisation of its record (bytes were changed)");
		goto out;
	}
	*out = rec;
	rec = NULL;
	rc = 0;
out:
	free(canon);
	json_decref(rec);
	return rc;
}

int audit_walk_fd(int fd, audit_verify_result *res, audit_record_fn fn,
		  void *ctx, kpg_err *err)
{
	struct reader *r;
	char prev[65];
	int rc;

	memset(res, 0, sizeof(*res));
	memcpy(res->head_hash, ZERO_HASH, sizeof(res->head_hash));
	memcpy(prev, ZERO_HASH, sizeof(prev));
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	r->fd = fd;
	for (uint64_t lineno = 1;; lineno++) {
		json_t *rec = NULL;

		rc = next_line(r, err);
		if (rc == 1) {
			rc = 0;
			break;
		}
		if (rc == KPG_ETOOBIG) {
			res->bad_line = lineno;
			why(res->reason, "line is longer than %u bytes",
			    AUDIT_LINE_MAX);
			rc = KPG_EINTEGRITY;
			break;
		}
		if (rc == KPG_ENOMEM)
			kpg_err_set(err, "out of memory reading the audit log");
		if (rc)
			break;
		if (r->line[r->line_len - 1] != '\n') {
			res->bad_line = lineno;
			res->torn_tail = 1;
			why(res->reason,
			    "incomplete last line (no newline): an append was interrupted");
			rc = KPG_EINTEGRITY;
			break;
		}
		rc = check_line(r->line, r->line_len - 1, res->records + 1, prev,
				&rec, res->reason);
		if (rc == 1) {
			res->bad_line = lineno;
			rc = KPG_EINTEGRITY;
			break;
		}
		if (rc) {
			kpg_err_set(err, "out of memory verifying the audit log");
			break;
		}
		if (fn != NULL)
			rc = fn(rec, ctx, err);
		memcpy(prev, json_string_value(json_object_get(rec, "hash")), 65);
		json_decref(rec);
		if (rc)
			break;
		res->records++;
		res->intact_bytes += r->line_len;
		memcpy(res->head_hash, prev, sizeof(res->head_hash));
	}
	if (rc == KPG_EINTEGRITY)
		kpg_err_set(err, "line %llu: %s", (unsigned long long)res->bad_line,
			    res->reason);
	free(r->line);
	free(r);
	return rc;
}

int audit_walk_file(const char *path, audit_verify_result *res,
		    audit_record_fn fn, void *ctx, kpg_err *err)
{
	int fd, rc;

	memset(res, 0, sizeof(*res));
	memcpy(res->head_hash, ZERO_HASH, sizeof(res->head_hash));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kpg_err_set(err, "%s: cannot open: %s", path, strerror(errno));
		return KPG_EIO;
	}
	rc = audit_walk_fd(fd, res, fn, ctx, err);
	if (rc == KPG_EINTEGRITY)
		kpg_err_set(err, "%s:%llu: %s", path,
			    (unsigned long long)res->bad_line, res->reason);
	close(fd);
	return rc;
}

int audit_verify_file(const char *path, audit_verify_result *res, kpg_err *err)
{
	return audit_walk_file(path, res, NULL, NULL, err);
}
