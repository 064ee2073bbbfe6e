/* mm_statistics.c - a Model Monitor statistics.json into mm_statistics
 * (format and limits in mm_statistics.h). A bad file never half-fills the
 * struct: on any error it is freed and left empty. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpg_file.h"
#include "mm_json.h"
#include "mm_statistics.h"

static const char *const type_names[] = {"Integral", "Fractional", "String",
					 "Unknown"};

int mm_type_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, type_names[i]) == 0)
			return i;
	return -1;
}

const char *mm_type_name(mm_type t)
{
	return (unsigned)t < 4 ? type_names[t] : "?";
}

/* inferred_type as an mm_type, into *out. */
static int read_type(mm_ctx *c, json_t *f, const char *fp, mm_type *out)
{
	char *s = NULL, path[MM_PATH_MAX];
	int t;

	if (mm_get_string(c, f, fp, "inferred_type", MM_REQUIRED, 64, &s) < 0)
		return -1;
	t = mm_type_parse(s);
	free(s);
	if (t < 0) {
		mm_join(path, sizeof(path), fp, "inferred_type");
		return mm_fail(c, path, "must be \"Integral\", \"Fractional\", \"String\" or \"Unknown\", got \"%.40s\"",
			       json_string_value(json_object_get(f, "inferred_type")));
	}
	*out = (mm_type)t;
	return 1;
}

static int read_common(mm_ctx *c, json_t *st, const char *sp,
		       mm_feature_stats *f)
{
	char cp[MM_PATH_MAX];
	json_t *common;

	if (mm_get_object(c, st, sp, "common", MM_REQUIRED, &common) < 0)
		return -1;
	mm_join(cp, sizeof(cp), sp, "common");
	if (mm_get_count(c, common, cp, "num_present", MM_REQUIRED,
			 &f->num_present) < 0 ||
	    mm_get_count(c, common, cp, "num_missing", MM_REQUIRED,
			 &f->num_missing) < 0)
		return -1;
	return 1;
}

static int read_kll_buckets(mm_ctx *c, json_t *kll, const char *kp,
			    mm_numeric_stats *ns)
{
	char bp[MM_PATH_MAX], ep[MM_PATH_MAX];
	json_t *arr, *b;
	size_t i;

	if (mm_get_array(c, kll, kp, "buckets", MM_REQUIRED, MM_MAX_KLL_BUCKETS,
			 &arr) < 0)
		return -1;
	mm_join(bp, sizeof(bp), kp, "buckets");
	ns->buckets = calloc(json_array_size(arr) + 1, sizeof(*ns->buckets));
	if (ns->buckets == NULL)
		goto nomem;
	json_array_foreach(arr, i, b) {
		mm_kll_bucket *k = &ns->buckets[i];
		uint64_t cnt;

		mm_index(ep, sizeof(ep), bp, i);
		if (!json_is_object(b))
			return mm_fail(c, ep, "must be an object, got %s",
				       json_is_array(b) ? "an array" : "a scalar");
		if (mm_get_number(c, b, ep, "lower_bound", MM_REQUIRED, -HUGE_VAL,
				  HUGE_VAL, &k->lower) < 0 ||
		    mm_get_number(c, b, ep, "upper_bound", MM_REQUIRED, k->lower,
				  HUGE_VAL, &k->upper) < 0 ||
		    mm_get_count(c, b, ep, "count", MM_REQUIRED, &cnt) < 0)
			return -1;
		k->count = (double)cnt;
		ns->n_buckets++;
	}
	return 1;
nomem:
	c->rc = KPG_ENOMEM;
	kpg_err_set(c->err, "%s: out of memory", c->what);
	return -1;
}

static int read_sketch(mm_ctx *c, json_t *kll, const char *kp,
		       mm_numeric_stats *ns)
{
	char sp[MM_PATH_MAX], pp[MM_PATH_MAX], dp[MM_PATH_MAX], lp[MM_PATH_MAX];
	char ip[MM_PATH_MAX];
	json_t *sk, *par, *data, *lv, *it;
	size_t h, i, total = 0;

	if (mm_get_object(c, kll, kp, "sketch", MM_REQUIRED, &sk) < 0)
		return -1;
	mm_join(sp, sizeof(sp), kp, "sketch");
	if (mm_get_object(c, sk, sp, "parameters", MM_REQUIRED, &par) < 0)
		return -1;
	mm_join(pp, sizeof(pp), sp, "parameters");
	if (mm_get_number(c, par, pp, "c", MM_REQUIRED, 0, 1, &ns->sketch_c) < 0 ||
	    mm_get_number(c, par, pp, "k", MM_REQUIRED, 1, 1e9, &ns->sketch_k) < 0)
		return -1;
	if (ns->sketch_c <= 0) {
		mm_join(ip, sizeof(ip), pp, "c");
		return mm_fail(c, ip, "must be more than 0");
	}
	if (mm_get_array(c, sk, sp, "data", MM_REQUIRED, MM_MAX_LEVELS, &data) < 0)
		return -1;
	mm_join(dp, sizeof(dp), sp, "data");
	ns->levels = calloc(json_array_size(data) + 1, sizeof(*ns->levels));
	ns->level_len = calloc(json_array_size(data) + 1, sizeof(*ns->level_len));
	if (ns->levels == NULL || ns->level_len == NULL)
		goto nomem;
	json_array_foreach(data, h, lv) {
		mm_index(lp, sizeof(lp), dp, h);
		if (!json_is_array(lv))
			return mm_fail(c, lp, "must be an array (a level of the sketch), got %s",
				       json_is_object(lv) ? "an object" : "a scalar");
		total += json_array_size(lv);
		if (total > MM_MAX_SKETCH_ITEMS) {
			c->rc = KPG_ETOOBIG;
			return mm_fail(c, lp, "brings the sketch to more than %d items",
				       MM_MAX_SKETCH_ITEMS);
		}
		ns->levels[h] = malloc((json_array_size(lv) + 1) * sizeof(double));
		if (ns->levels[h] == NULL)
			goto nomem;
		ns->n_levels = h + 1;
		json_array_foreach(lv, i, it) {
			if (!json_is_number(it) || !isfinite(json_number_value(it))) {
				mm_index(ip, sizeof(ip), lp, i);
				return mm_fail(c, ip, "must be a finite number, got %s",
					       json_is_number(it)   ? "a non-finite one"
					       : json_is_string(it) ? "a string"
								    : "another kind of value");
			}
			ns->levels[h][i] = json_number_value(it);
		}
		ns->level_len[h] = json_array_size(lv);
	}
	ns->has_sketch = 1;
	return 1;
nomem:
	c->rc = KPG_ENOMEM;
	kpg_err_set(c->err, "%s: out of memory", c->what);
	return -1;
}

static int read_numeric(mm_ctx *c, json_t *f, const char *fp,
			mm_feature_stats *fs)
{
	char sp[MM_PATH_MAX], dp[MM_PATH_MAX], kp[MM_PATH_MAX];
	mm_numeric_stats *ns = &fs->num;
	json_t *st, *dist, *kll;
	int need;

	ns->mean = ns->sum = ns->std_dev = ns->min = ns->max = NAN;
	if (mm_get_object(c, f, fp, "numerical_statistics", MM_REQUIRED, &st) < 0)
		return -1;
	mm_join(sp, sizeof(sp), fp, "numerical_statistics");
	if (read_common(c, st, sp, fs) < 0)
		return -1;
	need = fs->num_present > 0 ? MM_REQUIRED : MM_OPTIONAL;
	if (mm_get_number(c, st, sp, "mean", need, -HUGE_VAL, HUGE_VAL, &ns->mean) < 0 ||
	    mm_get_number(c, st, sp, "sum", need, -HUGE_VAL, HUGE_VAL, &ns->sum) < 0 ||
	    mm_get_number(c, st, sp, "std_dev", need, 0, HUGE_VAL, &ns->std_dev) < 0 ||
	    mm_get_number(c, st, sp, "min", need, -HUGE_VAL, HUGE_VAL, &ns->min) < 0 ||
	    mm_get_number(c, st, sp, "max", need, -HUGE_VAL, HUGE_VAL, &ns->max) < 0)
		return -1;
	if (ns->min > ns->max) {
		mm_join(kp, sizeof(kp), sp, "max");
		return mm_fail(c, kp, "is %g, below min %g", ns->max, ns->min);
	}
	if (mm_get_object(c, st, sp, "distribution", need, &dist) <= 0)
		return c->rc ? -1 : 1;
	mm_join(dp, sizeof(dp), sp, "distribution");
	if (mm_get_object(c, dist, dp, "kll", need, &kll) <= 0)
		return c->rc ? -1 : 1;
	mm_join(kp, sizeof(kp), dp, "kll");
	if (read_kll_buckets(c, kll, kp, ns) < 0 || read_sketch(c, kll, kp, ns) < 0)
		return -1;
	return 1;
}

static int read_string(mm_ctx *c, json_t *f, const char *fp,
		       mm_feature_stats *fs)
{
	char sp[MM_PATH_MAX], dp[MM_PATH_MAX], cp[MM_PATH_MAX], bp[MM_PATH_MAX];
	char ep[MM_PATH_MAX];
	mm_string_stats *ss = &fs->str;
	json_t *st, *dist, *cat, *arr, *b;
	size_t i;
	int need;

	ss->distinct_count = NAN;
	if (mm_get_object(c, f, fp, "string_statistics", MM_REQUIRED, &st) < 0)
		return -1;
	mm_join(sp, sizeof(sp), fp, "string_statistics");
	if (read_common(c, st, sp, fs) < 0)
		return -1;
	need = fs->num_present > 0 ? MM_REQUIRED : MM_OPTIONAL;
	if (mm_get_number(c, st, sp, "distinct_count", need, 0, HUGE_VAL,
			  &ss->distinct_count) < 0)
		return -1;
	if (mm_get_object(c, st, sp, "distribution", need, &dist) <= 0)
		return c->rc ? -1 : 1;
	mm_join(dp, sizeof(dp), sp, "distribution");
	if (mm_get_object(c, dist, dp, "categorical", need, &cat) <= 0)
		return c->rc ? -1 : 1;
	mm_join(cp, sizeof(cp), dp, "categorical");
	if (mm_get_array(c, cat, cp, "buckets", MM_REQUIRED, MM_MAX_CATEGORIES,
			 &arr) < 0)
		return -1;
	mm_join(bp, sizeof(bp), cp, "buckets");
	ss->buckets = calloc(json_array_size(arr) + 1, sizeof(*ss->buckets));
	if (ss->buckets == NULL) {
		c->rc = KPG_ENOMEM;
		kpg_err_set(c->err, "%s: out of memory", c->what);
		return -1;
	}
	json_array_foreach(arr, i, b) {
		mm_cat_bucket *k = &ss->buckets[i];
		uint64_t cnt;

		mm_index(ep, sizeof(ep), bp, i);
		if (!json_is_object(b))
			return mm_fail(c, ep, "must be an object, got %s",
				       json_is_array(b) ? "an array" : "a scalar");
		if (mm_get_string(c, b, ep, "value", MM_REQUIRED, MM_MAX_VALUE,
				  &k->value) < 0)
			return -1;
		ss->n_buckets++;
		if (mm_get_count(c, b, ep, "count", MM_REQUIRED, &cnt) < 0)
			return -1;
		k->count = (double)cnt;
		for (size_t j = 0; j < i; j++)
			if (strcmp(ss->buckets[j].value, k->value) == 0)
				return mm_fail(c, ep, "repeats the value \"%.100s\" of buckets[%zu]",
					       k->value, j);
	}
	return 1;
}

static int read_feature(mm_ctx *c, json_t *f, size_t idx, mm_feature_stats *fs)
{
	const char *fp = c->fpath;
	int has_num, has_str;

	snprintf(c->fpath, sizeof(c->fpath), "features[%zu]", idx);
	c->feature = NULL;
	if (!json_is_object(f))
		return mm_fail(c, fp, "must be an object, got %s",
			       json_is_array(f) ? "an array" : "a scalar");
	if (mm_get_string(c, f, fp, "name", MM_REQUIRED, MM_MAX_NAME, &fs->name) < 0)
		return -1;
	c->feature = fs->name;
	if (read_type(c, f, fp, &fs->type) < 0)
		return -1;
	has_num = json_object_get(f, "numerical_statistics") != NULL;
	has_str = json_object_get(f, "string_statistics") != NULL;
	if (has_num && has_str)
		return mm_fail(c, fp, "has both numerical_statistics and string_statistics");
	if ((fs->type == MM_TYPE_INTEGRAL || fs->type == MM_TYPE_FRACTIONAL) &&
	    !has_num)
		has_num = 1; /* required: reported as missing below */
	if (fs->type == MM_TYPE_STRING && !has_str)
		has_str = 1;
	if (has_num && fs->type == MM_TYPE_STRING)
		return mm_fail(c, fp, "is inferred_type \"String\" but has numerical_statistics");
	if (has_str && fs->type != MM_TYPE_STRING && fs->type != MM_TYPE_UNKNOWN)
		return mm_fail(c, fp, "is inferred_type \"%s\" but has string_statistics",
			       mm_type_name(fs->type));
	fs->has_numeric = has_num;
	fs->has_string = has_str;
	if (has_num)
		return read_numeric(c, f, fp, fs);
	if (has_str)
		return read_string(c, f, fp, fs);
	return 1; /* Unknown without statistics */
}

static int read_root(mm_ctx *c, json_t *root, mm_statistics *out)
{
	json_t *ds, *arr, *f;
	size_t i;

	if (!json_is_object(root))
		return mm_fail(c, "", "must be a JSON object (a statistics.json), got %s",
			       json_is_array(root) ? "an array" : "a scalar");
	if (mm_get_number(c, root, "", "version", MM_REQUIRED, -HUGE_VAL, HUGE_VAL,
			  &out->version) < 0 ||
	    mm_get_object(c, root, "", "dataset", MM_REQUIRED, &ds) < 0 ||
	    mm_get_count(c, ds, "dataset", "item_count", MM_REQUIRED,
			 &out->item_count) < 0 ||
	    mm_get_array(c, root, "", "features", MM_REQUIRED, MM_MAX_FEATURES,
			 &arr) < 0)
		return -1;
	out->features = calloc(json_array_size(arr) + 1, sizeof(*out->features));
	if (out->features == NULL) {
		c->rc = KPG_ENOMEM;
		kpg_err_set(c->err, "%s: out of memory", c->what);
		return -1;
	}
	json_array_foreach(arr, i, f) {
		out->n_features = i + 1;
		if (read_feature(c, f, i, &out->features[i]) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(out->features[j].name, out->features[i].name) == 0)
				return mm_fail(c, c->fpath, "repeats the name of features[%zu]",
					       j);
	}
	c->feature = NULL;
	return 1;
}

int mm_statistics_parse(const char *text, size_t len, const char *what,
			mm_statistics *out, kpg_err *err)
{
	mm_ctx c;
	json_t *root;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.what = what;
	c.text = text;
	c.len = len;
	c.err = err;
	root = mm_json_parse(&c);
	if (root != NULL && read_root(&c, root, out) > 0) {
		json_decref(root);
		return KPG_OK;
	}
	json_decref(root);
	mm_statistics_free(out);
	return c.rc ? c.rc : KPG_EINVAL;
}

int mm_statistics_load(const char *path, mm_statistics *out, kpg_err *err)
{
	char *text = NULL;
	size_t len = 0;
	kpg_err ferr;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = kpg_read_file(path, MM_FILE_MAX, "statistics file", &text, &len,
			   &ferr);
	if (rc) {
		kpg_err_set(err, "%s: %s", path, ferr.msg);
		return rc;
	}
	rc = mm_statistics_parse(text, len, path, out, err);
	free(text);
	return rc;
}

const mm_feature_stats *mm_statistics_find(const mm_statistics *s,
					   const char *name)
{
	for (size_t i = 0; i < s->n_features; i++)
		if (strcmp(s->features[i].name, name) == 0)
			return &s->features[i];
	return NULL;
}

void mm_statistics_free(mm_statistics *s)
{
	for (size_t i = 0; i < s->n_features; i++) {
		mm_feature_stats *f = &s->features[i];

		free(f->name);
		free(f->num.buckets);
		for (size_t h = 0; h < f->num.n_levels; h++)
			free(f->num.levels[h]);
		free(f->num.levels);
		free(f->num.level_len);
		for (size_t j = 0; j < f->str.n_buckets; j++)
			free(f->str.buckets[j].value);
		free(f->str.buckets);
	}
	free(s->features);
	memset(s, 0, sizeof(*s));
}
