/* audit.h - the tamper-evident audit log.
 *
 * JSON Lines; each record is a JSON object with keys sorted, compact, ASCII:
 *   {"data":{...},"event":"decision","hash":"<64 hex>","model":"m",
 *    "prev_hash":"<64 hex>","seq":N,"time":"2026-12-01T12:00:00.000Z"}
 * hash = SHA-256 (hex) of the record's canonical form without "hash"
 * (same serialisation), which includes prev_hash; the first record's
 * prev_hash is 64 zeros. Every append is fsync'd before it returns, so an
 * action is never taken before its decision is durable. Format: docs/audit.md */
#ifndef AUDIT_H
#define AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "kpg_error.h"

typedef struct audit_log audit_log;

/* Opens (creating) path for appending; an existing log is verified and the
 * chain resumes after its last record. A broken existing log is refused
 * with KPG_EINTEGRITY. Caller closes.
 * Repair: when the only defect is a final line without its newline (a crash
 * mid-append; that record was never acknowledged), the line is truncated
 * away, 0 is returned and err->msg holds a warning; otherwise err->msg is
 * empty on success. The log is locked (flock) against a second writer. */
int audit_open(const char *path, audit_log **out, kpg_err *err);

/* Appends one record; `data` is borrowed (not stolen), must be an object
 * or NULL (written as {}); model may be NULL. Returns only after the record
 * is written and fsync'd. On any error the log's seq and hash do not move
 * and a partly written line is truncated away, so a retry chains on. */
int audit_append(audit_log *log, const char *event, const char *model,
		 json_t *data, kpg_err *err);

uint64_t audit_last_seq(const audit_log *log);
const char *audit_last_hash(const audit_log *log); /* borrowed */
void audit_close(audit_log *log);

typedef struct audit_verify_result {
	uint64_t records;   /* records checked and intact */
	uint64_t bad_line;  /* 1-based first bad line, 0 when intact */
	char reason[256];   /* why that line is bad */
	char head_hash[65]; /* hash of the last intact record (64
				    * zeros when there is none) */
	/* Added for audit_open's repair: bytes of the intact prefix, and 1
	 * when the only defect is a final line without its newline (a torn
	 * append), which audit_open truncates away. */
	uint64_t intact_bytes;
	int torn_tail;
} audit_verify_result;

/* Verifies the chain: every line must be the exact canonical serialisation
 * of its record, seq must count up from 1, prev_hash must be the previous
 * hash, and hash must match. Returns 0 when intact, KPG_EINTEGRITY when a
 * bad line is found (res->bad_line and res->reason), KPG_EIO on read error. */
int audit_verify_file(const char *path, audit_verify_result *res, kpg_err *err);

/* Longest line accepted (bytes, newline included); longer is an error. */
#define AUDIT_LINE_MAX (16u * 1024 * 1024)

/* Called for every intact record, in order; `record` is borrowed for the
 * call. A non-zero return stops the walk and is returned by it. */
typedef int (*audit_record_fn)(const json_t *record, void *ctx, kpg_err *err);

/* audit_verify_file on an open descriptor (read with pread from offset 0;
 * the offset is not moved), calling fn (may be NULL) on each intact
 * record before the first bad line. Same returns. */
int audit_walk_fd(int fd, audit_verify_result *res, audit_record_fn fn,
		  void *ctx, kpg_err *err);

/* Like audit_verify_file, with fn as in audit_walk_fd. */
int audit_walk_file(const char *path, audit_verify_result *res,
		    audit_record_fn fn, void *ctx, kpg_err *err);

/* SHA-256 (64 lowercase hex digits and a NUL into out) of the canonical
 * form of record without its "hash" key; record itself is not changed.
 * Returns 0, or KPG_ENOMEM / KPG_EINVAL. */
int audit_hash_record(const json_t *record, char out[65]);

/* Serialises record (without or with "hash") the canonical way. Caller
 * frees the returned string with free(). */
char *audit_canonical(const json_t *record);

#endif
