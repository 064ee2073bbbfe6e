/* reference_mm.c - a Model Monitor statistics.json as the reference
 * (reference_mm.h): the schema and payload order as reference.c builds
 * them for a CSV, numeric features as flattened KLL sketches, categorical
 * ones from the category buckets. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kll.h"
#include "kpg_file.h"
#include "kpg_suggest.h"
#include "mm_statistics.h"
#include "psi_weighted.h"
#include "reference_mm.h"

/* 1 when the file's first byte that is not a blank is '{': a CSV is
 * told apart without reading it all. */
static int starts_with_brace(const char *path)
{
	FILE *fp = fopen(path, "rb");
	int ch;

	if (fp == NULL)
		return 0;
	do
		ch = fgetc(fp);
	while (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n');
	fclose(fp);
	return ch == '{';
}

int reference_is_mm_statistics(const char *path)
{
	char *text = NULL;
	size_t len = 0, i;
	json_t *root, *feats, *f;
	int objects = 1, with_stats = 0;

	if (!starts_with_brace(path) ||
	    kpg_read_file(path, MM_FILE_MAX, "statistics file", &text, &len,
			  NULL) != 0)
		return 0;
	root = json_loadb(text, len, 0, NULL);
	free(text);
	feats = json_is_object(root) ? json_object_get(root, "features") : NULL;
	if (!json_is_array(feats) || json_array_size(feats) == 0) {
		json_decref(root);
		return 0;
	}
	json_array_foreach(feats, i, f) {
		if (!json_is_object(f))
			objects = 0;
		else if (json_object_get(f, "numerical_statistics") != NULL ||
			 json_object_get(f, "string_statistics") != NULL)
			with_stats = 1;
	}
	json_decref(root);
	return objects && with_stats;
}

int reference_load_mm_constraints(const char *path, mm_constraints *out,
				  kpg_err *err)
{
	return mm_constraints_load(path, out, err);
}

static const policy_feature *find_declared(const reference_options *opt,
					   const char *name)
{
	for (size_t i = 0; i < opt->n_declared; i++)
		if (strcmp(opt->declared[i].name, name) == 0)
			return &opt->declared[i];
	return NULL;
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

static void set_key(const reference_options *opt, const char *prefix,
		    const char *name)
{
	if (opt->err_key != NULL)
		snprintf(opt->err_key, REFERENCE_ERR_KEY_LEN, "%s%s", prefix,
			 name ? name : "");
}

/* The statistics feature a payload name is, among the kept ones; -1. */
static int kept_index(const mm_statistics *st, const int *keep,
		      const char *name)
{
	for (size_t i = 0; i < st->n_features; i++)
		if (keep[i] && strcmp(st->features[i].name, name) == 0)
			return (int)i;
	return -1;
}

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

/* order[k]: statistics index of payload column k, or -1 for ignored
 * (name in names[k]). */
static int mm_schema(const mm_statistics *st, const reference_options *opt,
		     const char *path, int *keep, int *order,
		     const char **names, size_t *n_pay, kpg_err *err)
{
	const char **cand = malloc((st->n_features + 1) * sizeof(*cand));
	size_t nc = 0;
	int rc = KPG_EINVAL;

	if (cand == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	for (size_t i = 0; i < st->n_features; i++) {
		const char *name = st->features[i].name;
		const policy_feature *d = find_declared(opt, name);

		keep[i] = !is_label_or_excluded(opt, name) &&
			  !(d != NULL && d->type == POLICY_FEATURE_IGNORE);
		cand[nc++] = name;
	}
	for (size_t j = 0; j < opt->n_declared; j++) {
		const char *name = opt->declared[j].name, *hint;
		int found = 0;

		for (size_t i = 0; i < st->n_features && !found; i++)
			found = strcmp(st->features[i].name, name) == 0 &&
				(keep[i] || opt->declared[j].type == POLICY_FEATURE_IGNORE);
		if (found || (opt->declared[j].type == POLICY_FEATURE_IGNORE &&
			      opt->n_payload > 0))
			continue;
		hint = kpg_suggest(name, cand, nc);
		set_key(opt, "features.", name);
		kpg_err_set(err, "%s: declared feature '%s' is not a feature of the statistics.json%s%s%s%s",
			    path, name, hint ? " (did you mean \"" : "",
			    hint ? hint : "", hint ? "\"?)" : "",
			    opt->declared[j].type == POLICY_FEATURE_IGNORE
				    ? "; to place a column the reference does not have, list every payload column in order in payload.columns"
				    : "");
		goto done;
	}
	*n_pay = 0;
	if (opt->n_payload == 0) {
		for (size_t i = 0; i < st->n_features; i++) {
			const policy_feature *d = find_declared(opt, st->features[i].name);

			if (keep[i] || (d != NULL && d->type == POLICY_FEATURE_IGNORE &&
					!is_label_or_excluded(opt, st->features[i].name))) {
				names[*n_pay] = st->features[i].name;
				order[(*n_pay)++] = keep[i] ? (int)i : -1;
			}
		}
		rc = 0;
		goto done;
	}
	for (size_t k = 0; k < opt->n_payload; k++) {
		const char *name = opt->payload[k], *hint;
		const policy_feature *d = find_declared(opt, name);
		char key[48];

		snprintf(key, sizeof(key), "payload.columns[%zu]", k);
		for (size_t j = 0; j < k; j++)
			if (strcmp(opt->payload[j], name) == 0) {
				set_key(opt, key, NULL);
				kpg_err_set(err, "%s: \"%s\" is listed twice", key, name);
				goto done;
			}
		names[k] = name;
		if (d != NULL && d->type == POLICY_FEATURE_IGNORE) {
			order[k] = -1;
			continue;
		}
		order[k] = kept_index(st, keep, name);
		if (order[k] >= 0)
			continue;
		set_key(opt, key, NULL);
		if (is_label_or_excluded(opt, name)) {
			kpg_err_set(err, "%s: \"%s\" is the label or an excluded column, which the payload does not carry",
				    key, name);
			goto done;
		}
		hint = kpg_suggest(name, cand, nc);
		kpg_err_set(err, "%s: \"%s\" is not a feature of the statistics.json and not declared \"ignore\" in features%s%s%s",
			    key, name, hint ? " (did you mean \"" : "",
			    hint ? hint : "", hint ? "\"?)" : "");
		goto done;
	}
	*n_pay = opt->n_payload;
	for (size_t i = 0; i < st->n_features; i++) {
		int listed = 0;

		for (size_t k = 0; k < *n_pay && !listed; k++)
			listed = order[k] == (int)i;
		if (!keep[i] || listed)
			continue;
		set_key(opt, "payload.columns", NULL);
		kpg_err_set(err, "payload.columns does not list \"%s\", a feature of the reference; list every payload column, or exclude it with reference.exclude_columns when the payload does not carry it",
			    st->features[i].name);
		goto done;
	}
	rc = 0;
done:
	free(cand);
	return rc;
}

static int build_numeric(reference_feature *f, const mm_feature_stats *fs,
			 unsigned bins, kpg_err *err)
{
	const mm_numeric_stats *ns = &fs->num;
	kll_view v;
	int rc, compacted = 0;

	if (fs->num_present == 0 || !ns->has_sketch) {
		kpg_err_set(err, "numeric feature '%s' has no values in the reference (num_present %llu%s)",
			    f->name, (unsigned long long)fs->num_present,
			    ns->has_sketch ? "" : ", no KLL sketch");
		return KPG_EINVAL;
	}
	rc = kll_from_levels((const double *const *)ns->levels, ns->level_len,
			     ns->n_levels, &v, err);
	if (rc) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
		kpg_err_set(err, "feature '%s': numerical_statistics.distribution.kll.sketch: %s",
			    f->name, msg);
		return rc;
	}
	for (size_t h = 1; h < ns->n_levels; h++)
		compacted |= ns->level_len[h] > 0;
	f->sorted = v.values; /* ownership moves to the feature */
	f->weights = v.weights;
	f->n = v.n;
	/* num_present wins over the weights' sum: it is the count */
	f->weight_total = (double)fs->num_present;
	f->rank_error = compacted ? kll_rank_error(ns->sketch_k) : 0.0;
	return psi_ref_build_weighted(&f->psi, f->sorted, f->weights, f->n, bins,
				      err);
}

static int build_categorical(reference_feature *f, const mm_feature_stats *fs,
			     kpg_err *err)
{
	const mm_string_stats *ss = &fs->str;
	size_t nb = ss->n_buckets;

	if (kpg_strmap_init(&f->categories, nb + 16))
		goto nomem;
	f->category_names = calloc(nb + 1, sizeof(*f->category_names));
	f->category_counts = calloc(nb + 1, sizeof(*f->category_counts));
	if (f->category_names == NULL || f->category_counts == NULL)
		goto nomem;
	for (size_t i = 0; i < nb; i++) {
		const char *b = ss->buckets[i].value;
		size_t len = strlen(b);
		uint32_t code;

		while (len > 0 && (*b == ' ' || *b == '\t'))
			b++, len--;
		while (len > 0 && (b[len - 1] == ' ' || b[len - 1] == '\t'))
			len--;
		if (!kpg_strmap_get(&f->categories, b, len, &code)) {
			code = (uint32_t)f->n_categories;
			f->category_names[code] = strndup(b, len);
			if (f->category_names[code] == NULL)
				goto nomem;
			f->n_categories++;
			if (kpg_strmap_put(&f->categories, b, len, code))
				goto nomem;
		}
		f->category_counts[code] += ss->buckets[i].count;
	}
	f->category_counts[f->n_categories] = 0; /* unseen */
	f->n = (size_t)fs->num_present;
	f->weight_total = (double)fs->num_present; /* as a CSV's categorical */
	return 0;
nomem:
	kpg_err_set(err, "out of memory building categories of '%s'", f->name);
	return KPG_ENOMEM;
}

static int build_feature(reference_feature *f, const mm_feature_stats *fs,
			 const reference_options *opt, const char *path,
			 unsigned bins, kpg_err *err)
{
	const policy_feature *d = find_declared(opt, f->name);

	f->missing = (size_t)fs->num_missing;
	if (d != NULL && d->type != POLICY_FEATURE_INFER) {
		f->type = d->type;
	} else if (fs->has_numeric || fs->has_string) {
		f->type = fs->has_numeric ? POLICY_FEATURE_NUMERIC
					  : POLICY_FEATURE_CATEGORICAL;
		f->inferred = 1;
	} else {
		set_key(opt, "features.", f->name);
		kpg_err_set(err, "%s: feature '%s' is inferred_type \"Unknown\" with no statistics: exclude it (reference.exclude_columns) or declare it \"ignore\"",
			    path, f->name);
		return KPG_EINVAL;
	}
	if (f->type == POLICY_FEATURE_NUMERIC && !fs->has_numeric) {
		set_key(opt, "features.", f->name);
		kpg_err_set(err, "%s: feature '%s' is declared numeric but the statistics.json has string statistics for it",
			    path, f->name);
		return KPG_EINVAL;
	}
	if (f->type == POLICY_FEATURE_CATEGORICAL && !fs->has_string) {
		set_key(opt, "features.", f->name);
		kpg_err_set(err, "%s: feature '%s' is declared categorical but the statistics.json has only a numeric sketch for it, from which its categories cannot be recovered: declare it numeric, or use a CSV reference",
			    path, f->name);
		return KPG_EINVAL;
	}
	return f->type == POLICY_FEATURE_NUMERIC ? build_numeric(f, fs, bins, err)
						 : build_categorical(f, fs, err);
}

static void sha256_hex(const char *text, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return;
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int reference_load_mm_statistics(const char *path, const reference_options *opt,
				 reference *out, kpg_err *err)
{
	unsigned bins = opt->psi_bins ? opt->psi_bins : PSI_DEFAULT_BINS;
	mm_statistics st;
	char *text = NULL;
	size_t len = 0, n_pay = 0, cap;
	int *keep = NULL, *order = NULL, rc;
	const char **names = NULL;
	kpg_err ferr;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	out->label_index = -1;
	if (opt->err_key != NULL)
		opt->err_key[0] = '\0';
	out->path = strdup(path);
	if (out->path == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	out->source = REFERENCE_SOURCE_MM_STATISTICS;
	rc = kpg_read_file(path, MM_FILE_MAX, "statistics file", &text, &len,
			   &ferr);
	if (rc) {
		kpg_err_set(err, "%s: %s", path, ferr.msg);
		goto fail;
	}
	sha256_hex(text, len, out->source_sha256);
	if (out->source_sha256[0] == '\0') {
		kpg_err_set(err, "%s: SHA-256 failed", path);
		rc = KPG_EIO;
		goto fail;
	}
	rc = mm_statistics_parse(text, len, path, &st, err);
	if (rc)
		goto fail;
	cap = (opt->n_payload > st.n_features ? opt->n_payload : st.n_features) + 1;
	keep = calloc(st.n_features + 1, sizeof(*keep));
	order = calloc(cap, sizeof(*order));
	names = calloc(cap, sizeof(*names));
	out->payload_feature = calloc(cap, sizeof(*out->payload_feature));
	out->payload_names = calloc(cap, sizeof(*out->payload_names));
	out->features = calloc(cap, sizeof(*out->features));
	if (!keep || !order || !names || !out->payload_feature ||
	    !out->payload_names || !out->features) {
		kpg_err_set(err, "out of memory");
		rc = KPG_ENOMEM;
		goto fail;
	}
	rc = mm_schema(&st, opt, path, keep, order, names, &n_pay, err);
	if (rc)
		goto fail;
	out->n_rows = st.item_count;
	for (size_t k = 0; k < n_pay; k++) {
		reference_feature *f;

		if (order[k] < 0) {
			if (payload_push(out, names[k], REFERENCE_IGNORED))
				goto nomem;
			continue;
		}
		f = &out->features[out->n_features];
		f->name = strdup(names[k]);
		if (f->name == NULL)
			goto nomem;
		out->n_features++;
		if (payload_push(out, names[k], (int)out->n_features - 1))
			goto nomem;
		rc = build_feature(f, &st.features[order[k]], opt, path, bins, err);
		if (rc)
			goto fail;
	}
	if (out->n_features == 0) {
		kpg_err_set(err, "%s: no feature columns", path);
		rc = KPG_EINVAL;
		goto fail;
	}
	rc = 0;
	goto done;
nomem:
	kpg_err_set(err, "out of memory");
	rc = KPG_ENOMEM;
fail:
	reference_free(out);
done:
	mm_statistics_free(&st);
	free(text);
	free(keep);
	free(order);
	free(names);
	return rc;
}
