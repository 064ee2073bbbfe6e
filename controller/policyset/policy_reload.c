#include "policy_reload.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "policy_dir.h"
#include "events.h"
#include "json_locate.h"
#include "kpg_file.h"
#include "pipeline_labels.h"
#include "pipeline.h"
#include "policy_refcheck.h"
#include "policy_report.h"
#include "reference.h"

#define REASON_INVALID "invalid"
#define REASON_RESTART "restart_needed"
#define REASON_UNREADABLE "unreadable"

static void sha256_hex(const char *bytes, size_t len, char out[65])
{
	unsigned char md[32];

	if (EVP_Digest(bytes, len, md, NULL, EVP_sha256(), NULL) != 1) {
		out[0] = '\0'; /* never equal to an accepted hash */
		return;
	}
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Adds a diagnostic at the position of a JSON path in text (line and
 * column 0 when it cannot be found). */
static int diag_at_path(policy_diags *d, const char *text, size_t len,
			const char *jpath, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int diag_at_path(policy_diags *d, const char *text, size_t len,
			const char *jpath, const char *fmt, ...)
{
	json_locate *loc = NULL;
	kpg_err lerr;
	int line = 0, column = 0, rc;
	va_list ap;

	if (text != NULL && jpath != NULL &&
	    json_locate_build(text, len, &loc, &lerr) == 0)
		json_locate_nearest(loc, jpath, 0, &line, &column);
	json_locate_free(loc);
	va_start(ap, fmt);
	rc = kpg_diags_vadd(d, line, column, "", fmt, ap);
	va_end(ap);
	return rc;
}

/* Validates a policy text completely, its reference included. Returns 0
 * with *out (and, when ref_summary is not NULL, the reference's
 * events_reference summary), KPG_EINVAL with diags (and err's summary),
 * KPG_ENOMEM. */
static int validate(const char *path, const char *text, size_t len,
		    policy **out, json_t **ref_summary, policy_diags *d,
		    kpg_err *err)
{
	char key[REFERENCE_ERR_KEY_LEN];
	reference_options ro;
	reference ref;
	policy *p = NULL;
	kpg_err sub = {""};
	int rc;

	*out = NULL;
	if (ref_summary != NULL)
		*ref_summary = NULL;
	rc = policy_load_buffer(path, text, len, &p, d, err);
	if (rc)
		return rc;
	/* every column the policy names, at its key, as `run --check` says */
	rc = policy_refcheck_columns(p, text, len, d, &sub);
	if (rc) {
		kpg_err_set(err, "%s: %s", path, sub.msg);
		policy_free(p);
		return rc;
	}
	reference_options_from_policy(p, &ro);
	ro.err_key = key; /* the error at its key when it has one */
	rc = reference_load(p->reference_path, &ro, &ref, &sub);
	if (rc == KPG_ENOMEM) {
		kpg_err_set(err, "%s: out of memory", path);
		policy_free(p);
		return rc;
	}
	if (rc) {
		if (diag_at_path(d, text, len, key[0] ? key : "reference.path",
				 "reference: %s", sub.msg) != 0)
			rc = KPG_ENOMEM;
		else
			rc = KPG_EINVAL;
		kpg_err_set(err, "%s: 1 error", path);
		policy_free(p);
		return rc;
	}
	rc = pipeline_labels_check(p, &ref, &sub);
	if (rc) {
		reference_free(&ref);
		policy_free(p);
		if (rc == KPG_ENOMEM) {
			kpg_err_set(err, "%s: out of memory", path);
			return rc;
		}
		rc = diag_at_path(d, text, len,
				  "reference.label_column", "reference: %s", sub.msg) != 0
			     ? KPG_ENOMEM
			     : KPG_EINVAL;
		kpg_err_set(err, "%s: 1 error", path);
		return rc;
	}
	if (ref_summary != NULL && (*ref_summary = events_reference(&ref)) == NULL) {
		reference_free(&ref);
		policy_free(p);
		kpg_err_set(err, "%s: out of memory", path);
		return KPG_ENOMEM;
	}
	reference_free(&ref);
	*out = p;
	return 0;
}

/* Reads a policy file under the cap. A file over it becomes a diagnostic
 * (KPG_EINVAL), as policy_load reports it. */
static int read_policy(const char *path, char **text, size_t *len,
		       policy_diags *d, kpg_err *err)
{
	int rc = kpg_read_file(path, POLICY_RELOAD_FILE_MAX, "policy file", text,
			       len, err);

	if (rc != KPG_ETOOBIG)
		return rc;
	if (diag_at_path(d, NULL, 0, NULL, "%s", err->msg) != 0)
		return KPG_ENOMEM;
	kpg_err_set(err, "%s: 1 error", path);
	return KPG_EINVAL;
}

/* ---- the accepted set ----------------------------------------------- */

static void entry_free(policy_set_entry *e)
{
	free(e->path);
	free(e->model);
	free(e->bytes);
	memset(e, 0, sizeof(*e));
}

static void rejected_free(policy_set_rejected *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].path);
	free(r);
}

void policy_set_free(policy_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		entry_free(&s->items[i]);
	free(s->items);
	rejected_free(s->rejected, s->n_rejected);
	memset(s, 0, sizeof(*s));
}

int policy_set_find_model(const policy_set *s, const char *model)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->items[i].model, model) == 0)
			return (int)i;
	return -1;
}

static int find_path(const policy_set *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->items[i].path, path) == 0)
			return (int)i;
	return -1;
}

int policy_set_load(policy_set *s, char *const *files, size_t n,
		    FILE *report, kpg_err *err)
{
	size_t bad = 0;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (n > POLICY_DIR_MAX_FILES) {
		kpg_err_set(err, "more than %d policy files", POLICY_DIR_MAX_FILES);
		return KPG_ETOOBIG;
	}
	s->items = calloc(n ? n : 1, sizeof(*s->items));
	if (s->items == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		policy_diags d = {0};
		kpg_err sub = {""};
		char *text = NULL;
		size_t len = 0;
		policy *p = NULL;
		int frc = read_policy(files[i], &text, &len, &d, &sub);

		if (frc == 0)
			frc = validate(files[i], text, len, &p, NULL, &d, &sub);
		if (frc == 0) {
			int other = policy_set_find_model(s, p->model);

			if (other >= 0) {
				frc = diag_at_path(&d, text, len, "model",
						   "model \"%s\" is also the model of %s; one policy file per model",
						   p->model, s->items[other].path)
					      ? KPG_ENOMEM
					      : KPG_EINVAL;
				kpg_err_set(&sub, "%s: 1 error", files[i]);
			}
		}
		if (frc == 0) {
			policy_set_entry *e = &s->items[s->n];

			e->path = strdup(files[i]);
			e->model = strdup(p->model);
			if (e->path == NULL || e->model == NULL) {
				entry_free(e);
				frc = KPG_ENOMEM;
			} else {
				e->bytes = text; /* now the entry's */
				text = NULL;
				e->len = len;
				sha256_hex(e->bytes, e->len, e->sha256);
				s->n++;
			}
		} else if (frc != KPG_ENOMEM) {
			bad++;
			if (report != NULL)
				policy_report_diags(report, files[i], &d, &sub);
		}
		policy_free(p);
		free(text);
		policy_diags_free(&d);
		if (frc == KPG_ENOMEM) {
			kpg_err_set(err, "%s: out of memory", files[i]);
			rc = KPG_ENOMEM;
			goto out;
		}
	}
	if (bad > 0) {
		kpg_err_set(err, "%zu of %zu policy file%s invalid", bad, n,
			    n == 1 ? " is" : "s are");
		rc = KPG_EINVAL;
	}
out:
	if (rc)
		policy_set_free(s);
	return rc;
}

int policy_set_instantiate_one(const policy_set *s, size_t i, policy **out,
			       kpg_err *err)
{
	policy_diags d = {0};
	int rc;

	*out = NULL;
	if (i >= s->n) {
		kpg_err_set(err, "no policy %zu in the set", i);
		return KPG_EINVAL;
	}
	/* the bytes were valid when accepted; only memory can fail here */
	rc = policy_load_buffer(s->items[i].path, s->items[i].bytes,
				s->items[i].len, out, &d, err);
	policy_diags_free(&d);
	return rc;
}

int policy_set_instantiate(const policy_set *s, policy **out, kpg_err *err)
{
	for (size_t i = 0; i < s->n; i++) {
		int rc = policy_set_instantiate_one(s, i, &out[i], err);

		if (rc) {
			for (size_t j = 0; j < i; j++) {
				policy_free(out[j]);
				out[j] = NULL;
			}
			return rc;
		}
	}
	return 0;
}

/* ---- reload ----------------------------------------------------------- */

typedef struct scan_ctx {
	policy_set *s;
	audit_log *audit;
	FILE *report;
	policy_reload_result *res;
	/* this scan's rejections; they become s->rejected when it ends */
	policy_set_rejected *rej;
	size_t n_rej, cap_rej;
} scan_ctx;

static int audited_before(const policy_set *s, const char *path,
			  const char *key)
{
	for (size_t i = 0; i < s->n_rejected; i++)
		if (strcmp(s->rejected[i].path, path) == 0 &&
		    strcmp(s->rejected[i].sha256, key) == 0)
			return 1;
	return 0;
}

/* Reports, audits (once per path and bytes) and remembers a rejection.
 * sha NULL: no bytes (gone or unreadable). kept: the entry still running,
 * NULL for a new file. */
static int reject(scan_ctx *c, const char *path, const char *sha,
		  const char *reason, const policy_set_entry *kept,
		  const policy_diags *d, const kpg_err *sub, kpg_err *err)
{
	const char *key = sha ? sha : "-";
	policy_set_rejected *r;
	int rc = 0;

	c->res->n_rejected++;
	if (c->report != NULL) {
		policy_report_diags(c->report, path, d, sub);
		if (kept != NULL)
			fprintf(c->report, "%s: rejected; model %s keeps running its accepted policy (sha256 %s)\n",
				path, kept->model, kept->sha256);
		else
			fprintf(c->report, "%s: rejected\n", path);
	}
	if (c->audit != NULL && !audited_before(c->s, path, key)) {
		json_t *data = events_policy_rejected(path, sha, reason, d, sub,
						      kept ? kept->sha256 : NULL);

		if (data == NULL) {
			kpg_err_set(err, "out of memory building policy_rejected");
			return KPG_ENOMEM;
		}
		rc = audit_append(c->audit, "policy_rejected",
				  kept ? kept->model : NULL, data, err);
		json_decref(data);
		if (rc)
			return rc;
	}
	if (c->n_rej == c->cap_rej) {
		kpg_err_set(err, "too many rejected policy files"); /* cannot happen: sized */
		return KPG_ETOOBIG;
	}
	r = &c->rej[c->n_rej];
	if ((r->path = strdup(path)) == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	snprintf(r->sha256, sizeof(r->sha256), "%s", key);
	c->n_rej++;
	return 0;
}

/* Audits policy_loaded for entry idx's new bytes (taken from *text on
 * success), then makes them the accepted ones. */
static int accept(scan_ctx *c, size_t idx, char **text, size_t len,
		  const char *sha, const policy *newpol, json_t *ref_summary,
		  kpg_err *err)
{
	policy_set_entry *e = &c->s->items[idx];
	policy *oldpol = NULL;
	json_t *data;
	int rc, keeps;

	rc = policy_set_instantiate_one(c->s, idx, &oldpol, err);
	if (rc)
		return rc;
	keeps = pipeline_policy_keeps_window(oldpol, newpol);
	policy_free(oldpol);
	if (c->audit != NULL) {
		data = events_policy_reloaded(newpol, e->sha256, keeps);
		if (data == NULL || json_object_set(data, "reference_summary",
						    ref_summary) != 0) {
			json_decref(data);
			kpg_err_set(err, "out of memory building policy_loaded");
			return KPG_ENOMEM;
		}
		rc = audit_append(c->audit, "policy_loaded", newpol->model, data, err);
		json_decref(data);
		if (rc)
			return rc;
	}
	free(e->bytes);
	e->bytes = *text;
	*text = NULL;
	e->len = len;
	snprintf(e->sha256, sizeof(e->sha256), "%s", sha);
	c->res->changed[c->res->n_changed++] = idx;
	return 0;
}

/* One listed file: unchanged, accepted or rejected. */
static int scan_file(scan_ctx *c, const char *path, unsigned char *seen,
		     kpg_err *err)
{
	policy_diags d = {0};
	kpg_err sub = {""};
	char *text = NULL, sha[65];
	size_t len = 0;
	policy *p = NULL;
	json_t *ref_summary = NULL;
	int idx = find_path(c->s, path), rc;
	policy_set_entry *e = idx >= 0 ? &c->s->items[idx] : NULL;

	if (e != NULL)
		seen[idx] = 1;
	rc = read_policy(path, &text, &len, &d, &sub);
	if (rc == KPG_ENOMEM)
		goto nomem;
	if (rc) {
		rc = reject(c, path, NULL, rc == KPG_EINVAL ? REASON_INVALID : REASON_UNREADABLE,
			    e, &d, &sub, err);
		goto out;
	}
	sha256_hex(text, len, sha);
	if (e != NULL && strcmp(sha, e->sha256) == 0) {
		c->res->n_unchanged++;
		rc = 0;
		goto out;
	}
	rc = validate(path, text, len, &p, &ref_summary, &d, &sub);
	if (rc == KPG_ENOMEM)
		goto nomem;
	if (e == NULL) {
		if (diag_at_path(&d, text, len, p ? "model" : NULL,
				 "a new policy file: adding a model needs a restart; it is not loaded") != 0)
			goto nomem;
		if (rc == 0)
			kpg_err_set(&sub, "%s: 1 error", path);
		rc = reject(c, path, sha, REASON_RESTART, NULL, &d, &sub, err);
	} else if (rc) {
		rc = reject(c, path, sha, REASON_INVALID, e, &d, &sub, err);
	} else if (strcmp(p->model, e->model) != 0) {
		if (diag_at_path(&d, text, len, "model",
				 "model changed from \"%s\" to \"%s\": renaming, adding or removing a model needs a restart",
				 e->model, p->model) != 0)
			goto nomem;
		kpg_err_set(&sub, "%s: 1 error", path);
		rc = reject(c, path, sha, REASON_RESTART, e, &d, &sub, err);
	} else {
		rc = accept(c, (size_t)idx, &text, len, sha, p, ref_summary, err);
	}
out:
	json_decref(ref_summary);
	policy_free(p);
	free(text);
	policy_diags_free(&d);
	return rc;
nomem:
	kpg_err_set(err, "%s: out of memory", path);
	rc = KPG_ENOMEM;
	goto out;
}

/* An accepted file no longer in the folder. */
static int scan_removed(scan_ctx *c, size_t idx, kpg_err *err)
{
	const policy_set_entry *e = &c->s->items[idx];
	policy_diags d = {0};
	kpg_err sub = {""};
	int rc;

	if (diag_at_path(&d, NULL, 0, NULL,
			 "the file is gone: removing a model needs a restart") != 0) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	rc = reject(c, e->path, NULL, REASON_RESTART, e, &d, &sub, err);
	policy_diags_free(&d);
	return rc;
}

int policy_reload_scan(policy_set *s, const char *policy_dir,
		       audit_log *audit, FILE *report,
		       policy_reload_result *res, kpg_err *err)
{
	scan_ctx c;
	char **files = NULL;
	size_t n_files = 0;
	unsigned char *seen = NULL;
	kpg_err sub = {""};
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.audit = audit;
	c.report = report;
	c.res = res;
	rc = policy_dir_list(policy_dir, &files, &n_files, &sub);
	if (rc) {
		kpg_err_set(err, "policy_dir %s: %s", policy_dir, sub.msg);
		return rc;
	}
	c.cap_rej = n_files + s->n;
	res->changed = calloc(s->n ? s->n : 1, sizeof(*res->changed));
	seen = calloc(s->n ? s->n : 1, 1);
	c.rej = calloc(c.cap_rej ? c.cap_rej : 1, sizeof(*c.rej));
	if (res->changed == NULL || seen == NULL || c.rej == NULL) {
		kpg_err_set(err, "out of memory");
		rc = KPG_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_files; i++) {
		rc = scan_file(&c, files[i], seen, err);
		if (rc)
			goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (seen[i])
			continue;
		rc = scan_removed(&c, i, err);
		if (rc)
			goto out;
	}
	/* what is rejected now is what was audited; a file back to its
	 * accepted bytes (or gone for good) is forgotten */
	rejected_free(s->rejected, s->n_rejected);
	s->rejected = c.rej;
	s->n_rejected = c.n_rej;
	c.rej = NULL;
	c.n_rej = 0;
out:
	rejected_free(c.rej, c.n_rej);
	free(seen);
	policy_dir_files_free(files, n_files);
	return rc;
}

void policy_reload_result_free(policy_reload_result *res)
{
	free(res->changed);
	memset(res, 0, sizeof(*res));
}
