/* policy_reload.h - the policies the daemon has accepted, and hot reload.
 *
 * The daemon keeps the ACCEPTED policy set in memory: per file its path,
 * its exact bytes and their SHA-256. Every pipeline is built from these
 * bytes (policy_set_instantiate), never from the file on disk, so a
 * pipeline created after a rejected edit (a partition assigned later)
 * still runs what was accepted.
 *
 * A reload (policy_reload_scan) lists policy_dir again and re-validates
 * every file whose bytes differ from the accepted ones:
 *  - valid, same model: accepted, audited policy_loaded (reason "reload");
 *  - invalid: every error printed as FILE:LINE:COLUMN: message, audited
 *    policy_rejected with all of them, and the accepted policy keeps
 *    running (its SHA-256 is in the record's "kept");
 *  - a new file, a removed file or a changed "model": rejected the same
 *    way — hot reload changes the policies of running models; adding or
 *    removing a model needs a restart.
 * The same rejected bytes are printed at every scan but audited once.
 * Applying accepted changes to pipelines: pipeline_reload.h. */
#ifndef POLICY_RELOAD_H
#define POLICY_RELOAD_H

#include <stddef.h>
#include <stdio.h>

#include "audit.h"
#include "kpg_error.h"
#include "policy.h"

#define POLICY_RELOAD_FILE_MAX (1024 * 1024) /* as policy_load's cap */

typedef struct policy_set_entry {
	char *path;  /* owned: policy_dir/name.json */
	char *model; /* owned: the policy's model name */
	char *bytes; /* owned: the accepted text, NUL-terminated */
	size_t len;
	char sha256[65]; /* hex of the accepted bytes */
} policy_set_entry;

/* A file whose current bytes were rejected and audited, so the same bytes
 * are not audited again. sha256 "" = the file is gone. */
typedef struct policy_set_rejected {
	char *path; /* owned */
	char sha256[65];
} policy_set_rejected;

typedef struct policy_set {
	policy_set_entry *items;
	size_t n; /* owned, sorted by path */
	policy_set_rejected *rejected;
	size_t n_rejected; /* owned */
} policy_set;

typedef struct policy_reload_result {
	size_t *changed;
	size_t n_changed;  /* owned: indexes into the set
			      whose bytes were replaced */
	size_t n_rejected; /* files rejected by this scan */
	size_t n_unchanged;
} policy_reload_result;

/* Start-up: reads and validates files[0..n) (borrowed), each policy's
 * reference included, and keeps their bytes. Every problem of every file
 * is printed to report (NULL = not printed). Two files naming one model
 * are an error. Entries keep the order of files (pipeline_init's model
 * order). Returns 0 with *s filled (caller frees with policy_set_free),
 * KPG_EINVAL when any file is invalid or unreadable (s left empty),
 * KPG_ETOOBIG past POLICY_DIR_MAX_FILES, KPG_ENOMEM. */
int policy_set_load(policy_set *s, char *const *files, size_t n,
		    FILE *report, kpg_err *err);
void policy_set_free(policy_set *s);

/* Fresh policy objects from the accepted bytes, out[0..s->n) in set order
 * (each freed by the caller, or handed to pipeline_init). On failure none
 * are left in out. */
int policy_set_instantiate(const policy_set *s, policy **out, kpg_err *err);

/* The same for entry i only. */
int policy_set_instantiate_one(const policy_set *s, size_t i, policy **out,
			       kpg_err *err);

/* Index of model's entry, or -1. */
int policy_set_find_model(const policy_set *s, const char *model);

/* Re-reads policy_dir as above. audit and report may be NULL. res is
 * filled (caller frees with policy_reload_result_free). Rejections are
 * results, not errors: returns 0 unless the folder cannot be listed
 * (KPG_EIO, nothing changed), the audit log cannot be written (the change
 * that was being recorded is not applied), or memory runs out. Even then
 * res lists the changes accepted (and audited) before the failure: apply
 * them. policy_rejected "reason": "invalid" (errors in the file),
 * "restart_needed" (new file, removed file, changed model), "unreadable". */
int policy_reload_scan(policy_set *s, const char *policy_dir,
		       audit_log *audit, FILE *report,
		       policy_reload_result *res, kpg_err *err);
void policy_reload_result_free(policy_reload_result *res);

#endif
