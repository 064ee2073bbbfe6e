#include "reference.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv_reader.h"
#include "policy.h"
#include "sort.h"

/* Column-wise staging while the CSV is read. */
typedef struct ref_column {
	int keep;    /* 0 for label / excluded columns */
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

int reference_load(const char *path, const reference_options *opt,
		   reference *out, kpg_err *err)
{
	csv_reader cr;
	ref_column *cols = NULL;
	size_t n_cols = 0, n_feat = 0;
	int rc, label_found = opt->label_column == NULL;
	unsigned bins = opt->psi_bins ? opt->psi_bins : PSI_DEFAULT_BINS;

	memset(out, 0, sizeof(*out));
	out->label_index = -1;
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
	for (size_t i = 0; i < n_cols; i++) {
		const char *name = cr.fields[i];
		int keep = 1;

		if (opt->label_column && strcmp(name, opt->label_column) == 0) {
			keep = 0;
			label_found = 1;
			out->label_index = (int)i;
		}
		for (size_t j = 0; j < opt->n_exclude; j++)
			if (strcmp(name, opt->exclude[j]) == 0)
				keep = 0;
		cols[i].keep = keep;
		cols[i].all_numeric = 1;
		if (!keep)
			continue;
		for (size_t j = 0; j < n_feat; j++)
			if (strcmp(out->features[j].name, name) == 0) {
				kpg_err_set(err, "%s: column '%s' appears twice in the header",
					    path, name);
				rc = KPG_EPARSE;
				goto fail;
			}
		cols[i].feature = (int)n_feat;
		out->features[n_feat].name = strdup(name);
		if (out->features[n_feat].name == NULL) {
			rc = KPG_ENOMEM;
			goto fail;
		}
		out->n_features = ++n_feat;
		{
			const policy_feature *d = find_declared(opt, name);

			cols[i].declared_numeric = d != NULL && d->type == POLICY_FEATURE_NUMERIC;
		}
	}
	if (!label_found) {
		kpg_err_set(err, "%s: label column '%s' is not in the header", path,
			    opt->label_column);
		rc = KPG_EINVAL;
		goto fail;
	}
	for (size_t j = 0; j < opt->n_declared; j++) {
		int found = 0;

		for (size_t i = 0; i < n_feat; i++)
			found |= strcmp(out->features[i].name, opt->declared[j].name) == 0;
		if (!found) {
			kpg_err_set(err, "%s: declared feature '%s' is not a column of the reference",
				    path, opt->declared[j].name);
			rc = KPG_EINVAL;
			goto fail;
		}
	}
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
	free(ref->path);
	memset(ref, 0, sizeof(*ref));
	ref->label_index = -1;
}
