/* outbox.h - retraining triggers that must reach AWS, kept on disk until
 * they have: one JSON file per trigger, named by its token, in one folder
 * (STATE_DIR/outbox/ for the daemon, shared by every replica).
 *
 * A trigger is written (temp file, fsync, rename, fsync of the folder)
 * before its decision is audited, so a crash can never leave a decided
 * retrain that nobody will deliver; delivering it twice is harmless
 * because the token is the AWS idempotency token. Whoever works on a
 * trigger holds an exclusive flock on its file, so two replicas never
 * deliver or follow the same one at once, and a replica that dies lets
 * go of it. */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <jansson.h>

#include "kpg_error.h"

#define OUTBOX_MAX_ENTRY (1024 * 1024)

typedef struct outbox outbox;

/* Opens (creating it if needed) the folder. Caller frees with outbox_close. */
int outbox_open(const char *dir, outbox **out, kpg_err *err);
void outbox_close(outbox *ob);
const char *outbox_dir(const outbox *ob);

/* Writes entry as TOKEN.json atomically and durably, replacing an older
 * version. token: 1..128 of [A-Za-z0-9_-]. */
int outbox_put(outbox *ob, const char *token, const json_t *entry, kpg_err *err);

/* Removes TOKEN.json (durably); a missing file is not an error. */
int outbox_remove(outbox *ob, const char *token, kpg_err *err);

/* The tokens of every entry now in the folder, sorted (oldest first is
 * not guaranteed: entries carry their own times). *tokens is a json
 * array of strings (caller decrefs). */
int outbox_list(outbox *ob, json_t **tokens, kpg_err *err);

/* Takes TOKEN.json for work: KPG_EBUSY when another process holds it,
 * KPG_ENOTFOUND when it is gone; else 0 with *entry (caller decrefs) and
 * *lock_fd (pass to outbox_release). */
int outbox_claim(outbox *ob, const char *token, json_t **entry, int *lock_fd,
		 kpg_err *err);
void outbox_release(int lock_fd);

#endif
