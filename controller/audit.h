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
 * with KPG_EINTEGRITY. Caller closes. */
int audit_open(const char *path, audit_log **out, kpg_err *err);

/* Appends one record; `data` is borrowed (not stolen); model may be NULL.
 * Returns only after the record is written and fsync'd. */
int audit_append(audit_log *log, const char *event, const char *model,
		 json_t *data, kpg_err *err);

uint64_t audit_last_seq(const audit_log *log);
const char *audit_last_hash(const audit_log *log); /* borrowed */
void audit_close(audit_log *log);

typedef struct audit_verify_result {
	uint64_t records;          /* records checked and intact */
	uint64_t bad_line;         /* 1-based first bad line, 0 when intact */
	char reason[256];          /* why that line is bad */
	char head_hash[65];        /* hash of the last intact record */
} audit_verify_result;

/* Verifies the chain: every line must be the exact canonical serialisation
 * of its record, seq must count up from 1, prev_hash must be the previous
 * hash, and hash must match. Returns 0 when intact, KPG_EINTEGRITY when a
 * bad line is found (res->bad_line and res->reason), KPG_EIO on read error. */
int audit_verify_file(const char *path, audit_verify_result *res, kpg_err *err);

/* Serialises record (without or with "hash") the canonical way. Caller
 * frees the returned string with free(). */
char *audit_canonical(const json_t *record);

#endif
