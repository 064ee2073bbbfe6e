/* policy_refcheck.c - a policy's reference before anything runs on it
 * (policy_refcheck.h). */
#include "policy_refcheck.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "csv_columns.h"
#include "json_locate.h"
#include "kpg_file.h"
#include "kpg_suggest.h"
#include "policy_reload.h"
#include "reference.h"

typedef struct refcheck {
	policy_diags *d;
	json_locate *loc; /* NULL: no positions */
	const csv_header *h;
	const char *ref_path;
	int failed; /* KPG_ENOMEM once a diagnostic could not be added */
} refcheck;

/* A diagnostic at the JSON path jpath of the policy (its key when
 * want_key, else its value). */
static void add(refcheck *rc, const char *jpath, int want_key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void add(refcheck *rc, const char *jpath, int want_key,
		const char *fmt, ...)
{
	int line = 0, column = 0;
	va_list ap;

	if (rc->loc != NULL)
		json_locate_nearest(rc->loc, jpath, want_key, &line, &column);
	va_start(ap, fmt);
	if (kpg_diags_vadd(rc->d, line, column, "", fmt, ap) != 0)
		rc->failed = KPG_ENOMEM;
	va_end(ap);
}

/* "reference: WHAT 'name' is not a column of PATH[; did you mean 'x'?]"
 * at jpath, when name is not in the header. Returns 1 when missing. */
static int need_column(refcheck *rc, const char *name, const char *what,
		       const char *jpath, int want_key)
{
	const char *near;

	if (csv_header_find(rc->h, name) >= 0)
		return 0;
	near = kpg_suggest(name, (const char *const *)rc->h->names, rc->h->n);
	if (near != NULL)
		add(rc, jpath, want_key,
		    "reference: %s '%s' is not a column of %s; did you mean '%s'?",
		    what, name, rc->ref_path, near);
	else
		add(rc, jpath, want_key, "reference: %s '%s' is not a column of %s",
		    what, name, rc->ref_path);
	return 1;
}

/* reference_load's error, at the key it names (key, from
 * reference_options.err_key), else at the declared feature it names if
 * any, else at reference.path. */
static void load_error(refcheck *rc, const policy *p, const char *key,
		       const char *msg)
{
	char jpath[JSON_LOCATE_PATH_MAX], quoted[512];

	if (key[0] != '\0') {
		add(rc, key, strncmp(key, "features.", 9) == 0, "reference: %s", msg);
		return;
	}
	for (size_t i = 0; i < p->n_features; i++) {
		snprintf(quoted, sizeof(quoted), "'%s'", p->features[i].name);
		if (strstr(msg, quoted) != NULL) {
			snprintf(jpath, sizeof(jpath), "features.%s", p->features[i].name);
			add(rc, jpath, 1, "reference: %s", msg);
			return;
		}
	}
	add(rc, "reference.path", 0, "reference: %s", msg);
}

/* Both checks; load 0: the header only. */
static int refcheck_run(const policy *p, const char *text, size_t len,
			int load, policy_diags *d, kpg_err *err)
{
	refcheck rc = {.d = d, .ref_path = p->reference_path};
	csv_header h = {0};
	char key[REFERENCE_ERR_KEY_LEN] = "";
	reference_options ro;
	reference ref;
	kpg_err sub = {""};
	size_t before = d->n;
	int missing = 0, r;

	if (text != NULL && json_locate_build(text, len, &rc.loc, &sub) != 0)
		rc.loc = NULL; /* the policy parsed, so this is memory: no positions */
	r = csv_header_read(p->reference_path, &h, &sub);
	if (r == KPG_ENOMEM)
		goto nomem;
	if (r != 0) {
		add(&rc, "reference.path", 0, "reference: %s", sub.msg);
		goto done;
	}
	rc.h = &h;
	for (size_t i = 0; i < p->n_features; i++) {
		char jpath[JSON_LOCATE_PATH_MAX];

		/* ignored: reference_load says where it must be (an ignored
		 * column payload.columns places need not be in the CSV) */
		if (p->features[i].type == POLICY_FEATURE_IGNORE)
			continue;
		snprintf(jpath, sizeof(jpath), "features.%s", p->features[i].name);
		missing += need_column(&rc, p->features[i].name, "declared feature",
				       jpath, 1);
	}
	if (p->label_column != NULL)
		missing += need_column(&rc, p->label_column, "label column",
				       "reference.label_column", 0);
	for (size_t i = 0; i < p->n_exclude; i++) {
		char jpath[64];

		snprintf(jpath, sizeof(jpath), "reference.exclude_columns[%zu]", i);
		missing += need_column(&rc, p->exclude_columns[i], "excluded column",
				       jpath, 0);
	}
	if (missing > 0 || !load)
		goto done;
	/* the columns are there: load it as the pipeline will */
	reference_options_from_policy(p, &ro);
	ro.err_key = key;
	r = reference_load(p->reference_path, &ro, &ref, &sub);
	if (r == KPG_ENOMEM)
		goto nomem;
	if (r == 0)
		reference_free(&ref);
	else
		load_error(&rc, p, key, sub.msg);
done:
	csv_header_free(&h);
	json_locate_free(rc.loc);
	if (rc.failed)
		goto nomem_freed;
	if (d->n > before) {
		kpg_err_set(err, "%zu reference error%s", d->n - before,
			    d->n - before == 1 ? "" : "s");
		return KPG_EINVAL;
	}
	return 0;
nomem:
	csv_header_free(&h);
	json_locate_free(rc.loc);
nomem_freed:
	kpg_err_set(err, "out of memory checking the reference %s",
		    p->reference_path);
	return KPG_ENOMEM;
}

int policy_refcheck(const policy *p, const char *text, size_t len,
		    policy_diags *d, kpg_err *err)
{
	return refcheck_run(p, text, len, 1, d, err);
}

int policy_refcheck_columns(const policy *p, const char *text, size_t len,
			    policy_diags *d, kpg_err *err)
{
	return refcheck_run(p, text, len, 0, d, err);
}

int policy_refcheck_report(const char *path, const policy *p, FILE *out)
{
	policy_diags d = {0};
	kpg_err err = {""}, rerr = {""};
	char *text = NULL;
	size_t len = 0;
	int rc;

	/* positions only: a file that changed or vanished since it was loaded
	 * still gets its reference checked */
	if (kpg_read_file(path, POLICY_RELOAD_FILE_MAX, "policy file", &text,
			  &len, &rerr) != 0)
		text = NULL;
	rc = policy_refcheck(p, text, len, &d, &err);
	free(text);
	if (rc == 0) {
		policy_diags_free(&d);
		return 0;
	}
	if (rc == KPG_ENOMEM) {
		fprintf(out, "%s: %s\n", path, err.msg);
		policy_diags_free(&d);
		return -1;
	}
	kpg_err_set(&err, "%s: %zu reference error%s", path, d.n, d.n == 1 ? "" : "s");
	kpg_diags_print(out, path, &d, &err);
	policy_diags_free(&d);
	return 1;
}
