#include "reference.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv_reader.h"
#include "evaluate.h"
#include "kpg_suggest.h"
#include "policy.h"
#include "reference_file.h"
#include "reference_mm.h"
#include "sort.h"

/* Column-wise staging while the CSV is read. */
typedef struct ref_column {
	int keep;    /* 1 for feature columns */
	int ignored; /* declared "ignore": in the payload, not a feature */
	int feature; /* index into features when kept */
	double *nums;
	size_t n, cap;
	char **texts;
	size_t n_texts, cap_texts; /* every non-missing cell, for categoricals */
	int all_numeric;
	int declared_numeric; /* texts are not kept for these */
	size_t missing;
} ref_column;

void reference_options_from_policy(const policy *p, reference_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->label_column = p->label_column;
	opt->exclude = p->exclude_columns;
	opt->n_exclude = p->n_exclude;
	opt->declared = p->features;
	opt->n_declared = p->n_features;
	opt->psi_bins = p->psi_bins;
	opt->payload = p->payload_columns;
	opt->n_payload = p->n_payload_columns;
	opt->policy = p;
}

static int col_push_num(ref_column *c, double v)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 1024;
		double *nv = realloc(c->nums, ncap * sizeof(*nv));

		if (nv == NULL)
			return KPG_ENOMEM;
		c->nums = nv;
		c->cap = ncap;
	}
	c->nums[c->n++] = v;
	return 0;
}

static int col_push_text(ref_column *c, const char *s)
{
	if (c->n_texts == c->cap_texts) {
		size_t ncap = c->cap_texts ? c->cap_texts * 2 : 1024;
		char **nt = realloc(c->texts, ncap * sizeof(*nt));

		if (nt == NULL)
			return KPG_ENOMEM;
		c->texts = nt;
		c->cap_texts = ncap;
	}
	c->texts[c->n_texts] = strdup(s);
	if (c->texts[c->n_texts] == NULL)
		return KPG_ENOMEM;
	c->n_texts++;
	return 0;
}

static void col_free(ref_column *c)
{
	free(c->nums);
	for (size_t i = 0; i < c->n_texts; i++)
		free(c->texts[i]);
	free(c->texts);
}

static const policy_feature *find_declared(const reference_options *opt,
					   const char *name)
{
	for (size_t i = 0; i < opt->n_declared; i++)
		if (strcmp(opt->declared[i].name, name) == 0)
			return &opt->declared[i];
	return NULL;
}

/* Trims blanks around a cell for category names. */
static void trim_span(const char *s, const char **b, size_t *len)
{
	size_t n = strlen(s);

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*b = s;
	*len = n;
}

static int build_categorical(reference_feature *f, ref_column *c, kpg_err *err)
{
	int rc = kpg_strmap_init(&f->categories, 64);
	size_t cap = 0;

	if (rc)
		goto nomem;
	for (size_t i = 0; i < c->n_texts; i++) {
		const char *b;
		size_t len;
		uint32_t code;

		trim_span(c->texts[i], &b, &len);
		if (!kpg_strmap_get(&f->categories, b, len, &code)) {
			if (f->n_categories >= REFERENCE_MAX_CATEGORIES) {
				kpg_err_set(err, "feature '%s' has more than %d categories: declare it numeric or exclude it",
					    f->name, REFERENCE_MAX_CATEGORIES);
				return KPG_EINVAL;
			}
			if (f->n_categories == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				char **nn = realloc(f->category_names, ncap * sizeof(*nn));
				double *nc;

				if (nn == NULL)
					goto nomem;
				f->category_names = nn;
				nc = realloc(f->category_counts, (ncap + 1) * sizeof(*nc));
				if (nc == NULL)
					goto nomem;
				f->category_counts = nc;
				cap = ncap;
			}
			code = (uint32_t)f->n_categories;
			f->category_names[code] = strndup(b, len);
			if (f->category_names[code] == NULL)
				goto nomem;
			f->category_counts[code] = 0;
			f->n_categories++;
			rc = kpg_strmap_put(&f->categories, b, len, code);
			if (rc)
				goto nomem;
		}
		f->category_counts[code] += 1;
	}
	if (f->category_counts == NULL) {
		f->category_counts = malloc(sizeof(double));
		if (f->category_counts == NULL)
			goto nomem;
	}
	f->category_counts[f->n_categories] = 0; /* unseen */
	f->n = c->n_texts;
	f->weight_total = (double)c->n_texts;
	return 0;
nomem:
	kpg_err_set(err, "out of memory building categories of '%s'", f->name);
	return KPG_ENOMEM;
}

static int build_numeric(reference_feature *f, ref_column *c, unsigned bins,
			 kpg_err *err)
{
	int rc;

	if (c->n == 0) {
		kpg_err_set(err, "numeric feature '%s' has no values in the reference",
			    f->name);
		return KPG_EINVAL;
	}
	f->sorted = c->nums; /* ownership moves to the feature */
	f->n = c->n;
	f->weights = NULL; /* the exact sample: every value weighs 1 */
	f->weight_total = (double)c->n;
	f->rank_error = 0;
	c->nums = NULL;
	c->n = c->cap = 0;
	sort_doubles(f->sorted, f->n);
	rc = psi_ref_build(&f->psi, f->sorted, f->n, bins, err);
	return rc;
}

static int ref_read_rows(csv_reader *cr, ref_column *cols, size_t n_cols,
			 reference *out, kpg_err *err)
{
	int rc;

	while ((rc = csv_next(cr, err)) == 0) {
		if (cr->n_fields != n_cols) {
			kpg_err_set(err, "%s:%llu: %zu fields, the header has %zu",
				    out->path, (unsigned long long)cr->line_no,
				    cr->n_fields, n_cols);
			return KPG_EPARSE;
		}
		for (size_t i = 0; i < n_cols; i++) {
			ref_column *c = &cols[i];
			const char *cell = cr->fields[i];
			double v;

			if ((int)i == out->label_index)
				reference_labels_add(&out->labels, cell);
			if (!c->keep)
				continue;
			if (csv_is_missing(cell)) {
				c->missing++;
				continue;
			}
			if (csv_parse_number(cell, &v) == 0 && isfinite(v)) {
				rc = col_push_num(c, v);
			} else {
				c->all_numeric = 0;
				rc = 0;
			}
			if (rc == 0 && !c->declared_numeric)
				rc = col_push_text(c, cell);
			if (rc) {
				kpg_err_set(err, "out of memory reading %s", out->path);
				return rc;
			}
		}
		out->n_rows++;
	}
	return rc < 0 ? rc : 0;
}

static int is_ignored(const reference_options *opt, const char *name)
{
	const policy_feature *d = find_declared(opt, name);

	return d != NULL && d->type == POLICY_FEATURE_IGNORE;
}

static void set_err_key(const reference_options *opt, const char *fmt,
			const char *arg) __attribute__((format(printf, 2, 0)));

static void set_err_key(const reference_options *opt, const char *fmt,
			const char *arg)
{
	if (opt->err_key != NULL)
		snprintf(opt->err_key, REFERENCE_ERR_KEY_LEN, fmt, arg);
}

/* Appends a payload column: feature index or REFERENCE_IGNORED. */
static int payload_push(reference *out, const char *name, int feature)
{
	char *dup = strdup(name);

	if (dup == NULL)
		return KPG_ENOMEM;
	out->payload_names[out->n_payload] = dup;
	out->payload_feature[out->n_payload++] = feature;
	out->n_ignored += feature == REFERENCE_IGNORED;
	return 0;
}

static int is_label_or_excluded(const reference_options *opt, const char *name)
{
	if (opt->label_column != NULL && strcmp(opt->label_column, name) == 0)
		return 1;
	for (size_t j = 0; j < opt->n_exclude; j++)
		if (strcmp(opt->exclude[j], name) == 0)
			return 1;
	return 0;
}

/* The CSV column named name that is a feature (keep), or -1. */
static int kept_column(const csv_reader *cr, const ref_column *cols,
		       const char *name)
{
	for (size_t i = 0; i < cr->n_fields; i++)
		if (cols[i].keep && strcmp(cr->fields[i], name) == 0)
			return (int)i;
	return -1;
}

/* The payload in payload.columns' order: each a feature column or
 * ignored, every feature column listed. Sets payload[k] = CSV column or
 * -1 for ignored. */
static int payload_declared(const csv_reader *cr, const reference_options *opt,
			    const ref_column *cols, int *payload,
			    const char **names, kpg_err *err)
{
	size_t n_names = 0;

	for (size_t i = 0; i < cr->n_fields; i++)
		if (cols[i].keep)
			names[n_names++] = cr->fields[i];
	for (size_t k = 0; k < opt->n_payload; k++) {
		const char *name = opt->payload[k], *hint;
		char key[48];

		for (size_t j = 0; j < k; j++)
			if (strcmp(opt->payload[j], name) == 0) {
				snprintf(key, sizeof(key), "payload.columns[%zu]", k);
				set_err_key(opt, "%s", key);
				kpg_err_set(err, "%s: \"%s\" is listed twice", key,
					    name);
				return KPG_EINVAL;
			}
		if (is_ignored(opt, name)) {
			payload[k] = -1;
			continue;
		}
		payload[k] = kept_column(cr, cols, name);
		if (payload[k] >= 0)
			continue;
		snprintf(key, sizeof(key), "payload.columns[%zu]", k);
		set_err_key(opt, "%s", key);
		if (is_label_or_excluded(opt, name)) {
			kpg_err_set(err, "%s: \"%s\" is the label or an excluded column, which the payload does not carry",
				    key, name);
			return KPG_EINVAL;
		}
		hint = kpg_suggest(name, names, n_names);
		kpg_err_set(err, "%s: \"%s\" is not a feature column of the reference and not declared \"ignore\" in features%s%s%s",
			    key, name, hint ? " (did you mean \"" : "",
			    hint ? hint : "", hint ? "\"?)" : "");
		return KPG_EINVAL;
	}
	/* every feature column listed: the payload's names as candidates */
	for (size_t i = 0; i < cr->n_fields; i++) {
		const char *hint;
		int listed = 0;

		if (!cols[i].keep)
			continue;
		for (size_t k = 0; k < opt->n_payload && !listed; k++)
			listed = payload[k] == (int)i;
		if (listed)
			continue;
		hint = kpg_suggest(cr->fields[i], (const char *const *)opt->payload,
				   opt->n_payload);
		set_err_key(opt, "%s", "payload.columns");
		kpg_err_set(err, "payload.columns does not list \"%s\", a feature of the reference; list every payload column, or exclude it with reference.exclude_columns when the payload does not carry it%s%s%s",
			    cr->fields[i], hint ? " (did you mean \"" : "",
			    hint ? hint : "", hint ? "\"?)" : "");
		return KPG_EINVAL;
	}
	return 0;
}

/* Without payload.columns: the CSV's order, label and excluded columns
 * left out, ignored ones in their place. An ignored feature that is not
 * a CSV column cannot be placed. */
static int payload_from_csv(const csv_reader *cr, const reference_options *opt,
			    const ref_column *cols, int *payload, size_t *n,
			    kpg_err *err)
{
	*n = 0;
	for (size_t i = 0; i < cr->n_fields; i++)
		if (cols[i].keep || cols[i].ignored)
			payload[(*n)++] = cols[i].keep ? (int)i : -(int)i - 2;
	for (size_t j = 0; j < opt->n_declared; j++) {
		const char *name = opt->declared[j].name, *hint;
		int found = 0;

		if (opt->declared[j].type != POLICY_FEATURE_IGNORE)
			continue;
		for (size_t i = 0; i < cr->n_fields && !found; i++)
			found = strcmp(cr->fields[i], name) == 0;
		if (found)
			continue;
		hint = kpg_suggest(name, (const char *const *)cr->fields, cr->n_fields);
		set_err_key(opt, "features.%s", name);
		kpg_err_set(err, "feature \"%s\" is \"ignore\" but not a column of the reference%s%s%s; to place a column the reference does not have, list every payload column in order in payload.columns",
			    name, hint ? " (did you mean \"" : "", hint ? hint : "",
			    hint ? "\"?)" : "");
		return KPG_EINVAL;
	}
	return 0;
}

/* From the header: which CSV columns are features (cols[].keep), the
 * features in payload order (names, cols[].feature) and the payload map. */
static int ref_schema(const csv_reader *cr, const reference_options *opt,
		      ref_column *cols, reference *out, kpg_err *err)
{
	size_t n_cols = cr->n_fields, n_pay;
	size_t cap = (opt->n_payload > n_cols ? opt->n_payload : n_cols) + 1;
	int label_found = opt->label_column == NULL, rc;
	int *payload = malloc(cap * sizeof(*payload));
	const char **names = malloc(cap * sizeof(*names));

	out->payload_feature = calloc(cap, sizeof(*out->payload_feature));
	out->payload_names = calloc(cap, sizeof(*out->payload_names));
	if (payload == NULL || names == NULL || out->payload_feature == NULL ||
	    out->payload_names == NULL)
		goto nomem;
	for (size_t i = 0; i < n_cols; i++) {
		const char *name = cr->fields[i];
		int keep = 1;

		if (opt->label_column && strcmp(name, opt->label_column) == 0) {
			keep = 0;
			label_found = 1;
			out->label_index = (int)i;
		}
		for (size_t j = 0; j < opt->n_exclude; j++)
			if (strcmp(name, opt->exclude[j]) == 0)
				keep = 0;
		if (keep && is_ignored(opt, name)) {
			keep = 0;
			cols[i].ignored = 1;
		}
		cols[i].keep = keep;
		cols[i].all_numeric = 1;
		for (size_t j = 0; j < i && (keep || cols[i].ignored); j++)
			if ((cols[j].keep || cols[j].ignored) &&
			    strcmp(cr->fields[j], name) == 0) {
				kpg_err_set(err, "%s: column '%s' appears twice in the header",
					    out->path, name);
				rc = KPG_EPARSE;
				goto done;
			}
		if (keep) {
			const policy_feature *d = find_declared(opt, name);

			cols[i].declared_numeric = d != NULL && d->type == POLICY_FEATURE_NUMERIC;
		}
	}
	if (!label_found) {
		kpg_err_set(err, "%s: label column '%s' is not in the header",
			    out->path, opt->label_column);
		set_err_key(opt, "%s", "reference.label_column");
		rc = KPG_EINVAL;
		goto done;
	}
	if (opt->n_payload > 0) {
		n_pay = opt->n_payload;
		rc = payload_declared(cr, opt, cols, payload, names, err);
	} else {
		rc = payload_from_csv(cr, opt, cols, payload, &n_pay, err);
	}
	if (rc)
		goto done;
	/* features in payload order */
	for (size_t k = 0; k < n_pay; k++) {
		int i = payload[k];
		const char *name = i >= 0    ? cr->fields[i]
				   : i == -1 ? opt->payload[k]
					     : cr->fields[-i - 2];
		reference_feature *f;

		if (i < 0) {
			if (payload_push(out, name, REFERENCE_IGNORED))
				goto nomem;
			continue;
		}
		cols[i].feature = (int)out->n_features;
		f = &out->features[out->n_features];
		f->name = strdup(name);
		if (f->name == NULL)
			goto nomem;
		out->n_features++;
		if (payload_push(out, name, cols[i].feature))
			goto nomem;
	}
	for (size_t j = 0; j < opt->n_declared; j++) {
		const char *hint;
		int found = opt->declared[j].type == POLICY_FEATURE_IGNORE;

		for (size_t i = 0; i < out->n_features && !found; i++)
			found = strcmp(out->features[i].name, opt->declared[j].name) == 0;
		if (found)
			continue;
		for (size_t i = 0; i < out->n_features; i++)
			names[i] = out->features[i].name;
		hint = kpg_suggest(opt->declared[j].name, names, out->n_features);
		set_err_key(opt, "features.%s", opt->declared[j].name);
		kpg_err_set(err, "%s: declared feature '%s' is not a column of the reference%s%s%s",
			    out->path, opt->declared[j].name,
			    hint ? " (did you mean \"" : "", hint ? hint : "",
			    hint ? "\"?)" : "");
		rc = KPG_EINVAL;
		goto done;
	}
	rc = 0;
	goto done;
nomem:
	kpg_err_set(err, "out of memory");
	rc = KPG_ENOMEM;
done:
	free(payload);
	free(names);
	return rc;
}

static int load_csv(const char *path, const reference_options *opt,
		    reference *out, kpg_err *err)
{
	csv_reader cr;
	ref_column *cols = NULL;
	size_t n_cols = 0, n_feat = 0;
	int rc;
	unsigned bins = opt->psi_bins ? opt->psi_bins : PSI_DEFAULT_BINS;

	memset(out, 0, sizeof(*out));
	out->label_index = -1;
	if (opt->err_key != NULL)
		opt->err_key[0] = '\0';
	out->path = strdup(path);
	if (out->path == NULL)
		return KPG_ENOMEM;
	rc = csv_open(&cr, path, 0, err);
	if (rc)
		goto fail_noclose;
	rc = csv_next(&cr, err);
	if (rc != 0) {
		if (rc == 1) {
			kpg_err_set(err, "%s: empty file, expected a header row", path);
			rc = KPG_EPARSE;
		}
		goto fail;
	}
	n_cols = cr.n_fields;
	cols = calloc(n_cols, sizeof(*cols));
	out->features = calloc(n_cols, sizeof(*out->features));
	if (cols == NULL || out->features == NULL) {
		rc = KPG_ENOMEM;
		kpg_err_set(err, "out of memory");
		goto fail;
	}
	rc = ref_schema(&cr, opt, cols, out, err);
	if (rc)
		goto fail;
	n_feat = out->n_features;
	if (n_feat == 0) {
		kpg_err_set(err, "%s: no feature columns", path);
		rc = KPG_EINVAL;
		goto fail;
	}
	rc = ref_read_rows(&cr, cols, n_cols, out, err);
	if (rc)
		goto fail;
	if (out->n_rows == 0) {
		kpg_err_set(err, "%s: no data rows after the header", path);
		rc = KPG_EINVAL;
		goto fail;
	}
	for (size_t i = 0; i < n_cols; i++) {
		ref_column *c = &cols[i];
		reference_feature *f;
		const policy_feature *decl;

		if (!c->keep)
			continue;
		f = &out->features[c->feature];
		f->missing = c->missing;
		decl = find_declared(opt, f->name);
		if (decl != NULL && decl->type != POLICY_FEATURE_INFER) {
			f->type = decl->type;
		} else {
			f->type = c->all_numeric && c->n > 0 ? POLICY_FEATURE_NUMERIC
							     : POLICY_FEATURE_CATEGORICAL;
			f->inferred = 1;
		}
		if (f->type == POLICY_FEATURE_NUMERIC && !c->all_numeric) {
			kpg_err_set(err, "%s: feature '%s' is declared numeric but has text values",
				    path, f->name);
			rc = KPG_EINVAL;
			goto fail;
		}
		rc = f->type == POLICY_FEATURE_NUMERIC
			     ? build_numeric(f, c, bins, err)
			     : build_categorical(f, c, err);
		if (rc)
			goto fail;
	}
	rc = 0;
	goto done;
fail:
	csv_close(&cr);
fail_noclose:
	reference_free(out);
	if (cols != NULL)
		for (size_t i = 0; i < n_cols; i++)
			col_free(&cols[i]);
	free(cols);
	return rc;
done:
	csv_close(&cr);
	for (size_t i = 0; i < n_cols; i++)
		col_free(&cols[i]);
	free(cols);
	return rc;
}

int reference_load(const char *path, const reference_options *opt,
		   reference *out, kpg_err *err)
{
	int rc;

	/* a compiled reference (`kpigate baseline build`), a Model Monitor
	 * statistics.json, else a CSV */
	if (reference_file_is_compiled(path))
		rc = reference_file_read(path, opt, out, err);
	else if (reference_is_mm_statistics(path))
		rc = reference_load_mm_statistics(path, opt, out, err);
	else
		rc = load_csv(path, opt, out, err);
	/* the policy's drift.features against the features it now knows */
	if (rc == 0 && opt->policy != NULL) {
		rc = evaluate_plans(opt->policy, out, NULL, opt->err_key, err);
		if (rc != 0)
			reference_free(out);
	}
	return rc;
}

uint32_t reference_category_code(const reference_feature *f, const char *text,
				 size_t len)
{
	uint32_t code;

	while (len > 0 && (*text == ' ' || *text == '\t'))
		text++, len--;
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (kpg_strmap_get(&f->categories, text, len, &code))
		return code;
	return (uint32_t)f->n_categories;
}

void reference_free(reference *ref)
{
	if (ref->features != NULL) {
		for (size_t i = 0; i < ref->n_features; i++) {
			reference_feature *f = &ref->features[i];

			free(f->name);
			free(f->sorted);
			free(f->weights);
			psi_ref_free(&f->psi);
			if (f->categories.slots != NULL)
				kpg_strmap_free(&f->categories);
			for (size_t j = 0; j < f->n_categories; j++)
				free(f->category_names[j]);
			free(f->category_names);
			free(f->category_counts);
		}
	}
	free(ref->features);
	for (size_t i = 0; i < ref->n_payload && ref->payload_names; i++)
		free(ref->payload_names[i]);
	free(ref->payload_names);
	free(ref->payload_feature);
	free(ref->path);
	memset(ref, 0, sizeof(*ref));
	ref->label_index = -1;
}
