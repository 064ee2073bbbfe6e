/* quality.c - the data-quality constraints of a model and the checks of a
 * closed window (quality.h). The rules, and how they map to Model
 * Monitor's, are in docs/policies.md, "Data-quality checks". */
#include "quality.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ks_weighted.h"
#include "mm_constraints.h"
#include "sort.h"

static const char *const check_names[QUALITY__COUNT] = {
	[QUALITY_DATA_TYPE] = "data_type_check",
	[QUALITY_NON_NEGATIVE] = "non_negative_check",
	[QUALITY_COMPLETENESS] = "completeness_check",
	[QUALITY_MISSING_COLUMN] = "missing_column_check",
	[QUALITY_EXTRA_COLUMN] = "extra_column_check",
	[QUALITY_CATEGORICAL_VALUES] = "categorical_values_check",
	[QUALITY_BASELINE_DRIFT] = "baseline_drift_check",
};

const char *quality_check_name(quality_check_kind k)
{
	return (unsigned)k < QUALITY__COUNT ? check_names[k] : "unknown";
}

const char *quality_check_mm_type(quality_check_kind k)
{
	/* Model Monitor's schema has six types; is_non_negative is a
	 * constraint on the feature's numbers, reported with its type */
	if (k == QUALITY_NON_NEGATIVE)
		return check_names[QUALITY_DATA_TYPE];
	return quality_check_name(k);
}

/* ---- constraints -------------------------------------------------- */

void quality_constraints_init(quality_constraints *qc)
{
	memset(qc, 0, sizeof(*qc));
	qc->datatype_check_threshold = QUALITY_DEFAULT_DATATYPE_THRESHOLD;
	qc->domain_content_threshold = QUALITY_DEFAULT_DOMAIN_THRESHOLD;
	qc->comparison_threshold = QUALITY_DEFAULT_COMPARISON_THRESHOLD;
}

static void feature_free(quality_feature *f)
{
	free(f->name);
	for (size_t i = 0; i < f->n_domain; i++)
		free(f->domain[i]);
	free(f->domain);
	free(f->in_domain);
	memset(f, 0, sizeof(*f));
}

void quality_constraints_free(quality_constraints *qc)
{
	for (size_t i = 0; i < qc->n_features; i++)
		feature_free(&qc->features[i]);
	free(qc->features);
	qc->features = NULL;
	qc->n_features = 0;
}

void quality_constraints_thresholds(quality_constraints *qc, double datatype,
				    double domain, double comparison)
{
	qc->datatype_check_threshold = datatype;
	qc->domain_content_threshold = domain;
	qc->comparison_threshold = comparison;
}

static int is_integer(double v)
{
	return v == floor(v);
}

static int feature_from_reference(const reference *ref,
				  const reference_feature *rf,
				  quality_feature *qf)
{
	qf->datatype_check_threshold = NAN;
	qf->domain_content_threshold = NAN;
	qf->comparison_threshold = NAN;
	qf->ref_index = -1;
	qf->completeness = NAN;
	qf->name = strdup(rf->name);
	if (qf->name == NULL)
		return KPG_ENOMEM;
	if (ref->n_rows > 0 && rf->missing <= ref->n_rows)
		qf->completeness = (double)(ref->n_rows - rf->missing) /
				   (double)ref->n_rows;
	if (rf->type == POLICY_FEATURE_NUMERIC) {
		qf->type = QUALITY_TYPE_UNKNOWN;
		if (rf->n == 0)
			return 0;
		qf->type = QUALITY_TYPE_INTEGRAL;
		for (size_t i = 0; i < rf->n; i++)
			if (!is_integer(rf->sorted[i])) {
				qf->type = QUALITY_TYPE_FRACTIONAL;
				break;
			}
		qf->is_non_negative = rf->sorted[0] >= 0;
		return 0;
	}
	qf->type = QUALITY_TYPE_STRING;
	qf->has_domain = 1;
	if (rf->n_categories == 0)
		return 0;
	qf->domain = calloc(rf->n_categories, sizeof(*qf->domain));
	if (qf->domain == NULL)
		return KPG_ENOMEM;
	for (size_t k = 0; k < rf->n_categories; k++) {
		qf->domain[k] = strdup(rf->category_names[k]);
		if (qf->domain[k] == NULL)
			return KPG_ENOMEM;
		qf->n_domain = k + 1;
	}
	return 0;
}

int quality_constraints_from_reference(const reference *ref,
				       quality_constraints *out, kpg_err *err)
{
	int rc;

	quality_constraints_init(out);
	out->features = calloc(ref->n_features ? ref->n_features : 1,
			       sizeof(*out->features));
	if (out->features == NULL)
		goto nomem;
	for (size_t i = 0; i < ref->n_features; i++) {
		out->n_features = i + 1;
		if (feature_from_reference(ref, &ref->features[i],
					   &out->features[i]) != 0)
			goto nomem;
	}
	rc = quality_constraints_bind(out, ref, err);
	if (rc)
		quality_constraints_free(out);
	return rc;
nomem:
	quality_constraints_free(out);
	kpg_err_set(err, "out of memory deriving the data-quality constraints");
	return KPG_ENOMEM;
}

int quality_constraints_bind(quality_constraints *qc, const reference *ref,
			     kpg_err *err)
{
	for (size_t i = 0; i < qc->n_features; i++) {
		quality_feature *qf = &qc->features[i];
		const reference_feature *rf;

		free(qf->in_domain);
		qf->in_domain = NULL;
		qf->ref_index = -1;
		for (size_t j = 0; j < ref->n_features; j++)
			if (strcmp(ref->features[j].name, qf->name) == 0) {
				qf->ref_index = (int)j;
				break;
			}
		if (qf->ref_index < 0)
			continue;
		rf = &ref->features[qf->ref_index];
		if (rf->type != POLICY_FEATURE_CATEGORICAL)
			continue;
		qf->in_domain = calloc(rf->n_categories + 1, 1);
		if (qf->in_domain == NULL) {
			kpg_err_set(err, "out of memory binding the data-quality constraints");
			return KPG_ENOMEM;
		}
		for (size_t k = 0; k < qf->n_domain; k++) {
			uint32_t code = reference_category_code(rf, qf->domain[k],
								strlen(qf->domain[k]));

			if (code < rf->n_categories)
				qf->in_domain[code] = 1;
		}
	}
	return 0;
}

static quality_type type_of_mm(mm_type t)
{
	switch (t) {
	case MM_TYPE_INTEGRAL: return QUALITY_TYPE_INTEGRAL;
	case MM_TYPE_FRACTIONAL: return QUALITY_TYPE_FRACTIONAL;
	case MM_TYPE_STRING: return QUALITY_TYPE_STRING;
	default: return QUALITY_TYPE_UNKNOWN;
	}
}

/* A threshold of a monitoring_config (NAN when the file has none). */
static void take(double *dst, double v)
{
	if (!isnan(v))
		*dst = v;
}

/* One constraints.json feature as a quality_feature (fills *qf; 0 or
 * KPG_ENOMEM). */
static int feature_from_mm(const mm_feature_constraints *mf, quality_feature *qf)
{
	memset(qf, 0, sizeof(*qf));
	qf->ref_index = -1;
	qf->datatype_check_threshold = qf->domain_content_threshold =
		qf->comparison_threshold = NAN;
	qf->name = strdup(mf->name);
	if (qf->name == NULL)
		return KPG_ENOMEM;
	qf->type = type_of_mm(mf->type);
	qf->completeness = mf->completeness; /* NAN: not checked */
	qf->is_non_negative = mf->is_non_negative == 1;
	if (mf->has_domains) {
		qf->has_domain = 1;
		qf->domain = calloc(mf->n_domains + 1, sizeof(*qf->domain));
		if (qf->domain == NULL)
			return KPG_ENOMEM;
		for (size_t i = 0; i < mf->n_domains; i++) {
			qf->domain[i] = strdup(mf->domains[i]);
			if (qf->domain[i] == NULL)
				return KPG_ENOMEM;
			qf->n_domain = i + 1;
		}
	}
	if (mf->has_overrides) {
		take(&qf->datatype_check_threshold, mf->overrides.datatype_check_threshold);
		take(&qf->domain_content_threshold, mf->overrides.domain_content_threshold);
		take(&qf->comparison_threshold, mf->overrides.comparison_threshold);
	}
	return 0;
}

int quality_constraints_apply_file(quality_constraints *qc, const char *path,
				   const reference *ref, kpg_err *err)
{
	mm_constraints mc;
	quality_feature *feats;
	size_t n = 0;
	int rc = mm_constraints_load(path, &mc, err);

	if (rc)
		return rc;
	feats = calloc(mc.n_features + 1, sizeof(*feats));
	if (feats == NULL)
		goto nomem;
	for (; n < mc.n_features; n++)
		if (feature_from_mm(&mc.features[n], &feats[n]) != 0) {
			n++; /* its parts are freed with the rest */
			goto nomem;
		}
	if (mc.has_monitoring_config) {
		take(&qc->datatype_check_threshold, mc.config.datatype_check_threshold);
		take(&qc->domain_content_threshold, mc.config.domain_content_threshold);
		take(&qc->comparison_threshold, mc.config.comparison_threshold);
	}
	mm_constraints_free(&mc);
	/* the file's features replace the derived ones (quality_constraints_free
	 * frees the features only, the thresholds stay) */
	quality_constraints_free(qc);
	qc->features = feats;
	qc->n_features = n;
	qc->from_file = 1;
	return quality_constraints_bind(qc, ref, err);
nomem:
	mm_constraints_free(&mc);
	if (feats != NULL) {
		quality_constraints tmp = {.features = feats, .n_features = n};

		quality_constraints_free(&tmp);
	}
	kpg_err_set(err, "%s: out of memory reading the constraints", path);
	return KPG_ENOMEM;
}

/* ---- the checks --------------------------------------------------- */

static int add_check(quality_result *r, quality_check_kind kind,
		     const char *feature, double value, double threshold,
		     int passed)
{
	quality_check *c;

	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 16;
		quality_check *nc = realloc(r->checks, ncap * sizeof(*nc));

		if (nc == NULL)
			return KPG_ENOMEM;
		r->checks = nc;
		r->cap = ncap;
	}
	c = &r->checks[r->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->feature = feature;
	c->value = value;
	c->threshold = threshold;
	c->passed = passed;
	r->n_violations += !passed;
	return 0;
}

/* A share that must reach its threshold. */
static int add_share(quality_result *r, quality_check_kind kind,
		     const char *feature, double share, double threshold)
{
	return add_check(r, kind, feature, share, threshold, share >= threshold);
}

static double pick(double own, double global)
{
	return isnan(own) ? global : own;
}

int quality_ks_distance(const double *ref_sorted, const double *ref_w,
			size_t n, const double *cur, const double *cur_w,
			size_t m, double *d, kpg_err *err)
{
	*d = 0;
	if (n == 0 || m == 0)
		return 0;
	/* the distance alone: its p-value would cost more than the walk */
	return ks_weighted_distance(ref_sorted, ref_w, n, cur, cur_w, m, d, err);
}

static int check_numeric(const quality_constraints *qc,
			 const quality_feature *qf, const reference_feature *rf,
			 window_column *c, quality_result *r, kpg_err *err)
{
	uint64_t n = window_column_count(c), integers, negatives;
	uint64_t total = n + c->bad_type;
	int rc = 0;

	window_column_tallies(c, &integers, &negatives);
	if (total > 0 && (qf->type == QUALITY_TYPE_INTEGRAL ||
			  qf->type == QUALITY_TYPE_FRACTIONAL)) {
		/* an integer is a fractional value too; text and non-finite
		 * values (rejected records) match neither */
		uint64_t match = qf->type == QUALITY_TYPE_INTEGRAL ? integers : n;

		rc = add_share(r, QUALITY_DATA_TYPE, qf->name,
			       (double)match / (double)total,
			       pick(qf->datatype_check_threshold,
				    qc->datatype_check_threshold));
	}
	if (rc == 0 && qf->is_non_negative && n > 0)
		rc = add_share(r, QUALITY_NON_NEGATIVE, qf->name,
			       (double)(n - negatives) / (double)n, 1.0);
	if (rc == 0 && !isnan(qf->completeness) && total + c->missing > 0)
		rc = add_share(r, QUALITY_COMPLETENESS, qf->name,
			       (double)total / (double)(total + c->missing),
			       qf->completeness);
	if (rc == 0 && n > 0 && rf->n > 0) {
		double thr = pick(qf->comparison_threshold, qc->comparison_threshold);
		window_sample cur;
		double d;

		/* a sketched window: the distance errs by its rank error */
		rc = window_column_sample(c, &cur, err);
		if (rc == 0 && cur.col != NULL && rf->weights == NULL)
			/* exact against exact: the drift KS's own D, if
			 * evaluation computed it against this reference */
			d = window_column_ks(cur.col, rf->sorted, rf->n);
		else if (rc == 0)
			rc = quality_ks_distance(rf->sorted, rf->weights, rf->n,
						 cur.values, cur.weights, cur.len,
						 &d, err);
		window_sample_free(&cur);
		if (rc == 0)
			rc = add_check(r, QUALITY_BASELINE_DRIFT, qf->name, d, thr,
				       !(d > thr));
	}
	return rc;
}

static int in_domain_name(const quality_feature *qf, const char *name)
{
	for (size_t k = 0; k < qf->n_domain; k++)
		if (strcmp(qf->domain[k], name) == 0)
			return 1;
	return 0;
}

/* L-infinity distance of the category shares; each new name is its own
 * category (new names the tally could not keep: one more). */
static double categorical_distance(const reference_feature *rf,
				   const window_column *c, double n)
{
	double ref_total = 0, d = 0, tallied = 0;
	size_t k_n = rf->n_categories;

	for (size_t k = 0; k < k_n; k++)
		ref_total += rf->category_counts[k];
	for (size_t k = 0; k < k_n; k++) {
		double p = ref_total > 0 ? rf->category_counts[k] / ref_total : 0;

		d = fmax(d, fabs(p - c->counts[k] / n));
	}
	for (size_t k = 0; k < c->unseen.n; k++) {
		d = fmax(d, c->unseen.counts[k] / n);
		tallied += c->unseen.counts[k];
	}
	d = fmax(d, c->unseen.other / n);
	tallied += c->unseen.other;
	if (c->counts[k_n] > tallied)
		d = fmax(d, (c->counts[k_n] - tallied) / n);
	return d;
}

static int check_categorical(const quality_constraints *qc,
			     const quality_feature *qf,
			     const reference_feature *rf,
			     const window_column *c, quality_result *r)
{
	double n = 0, in = 0;
	int rc = 0;

	for (size_t k = 0; k <= rf->n_categories; k++)
		n += c->counts[k];
	if (!isnan(qf->completeness) && n + (double)c->missing > 0)
		rc = add_share(r, QUALITY_COMPLETENESS, qf->name,
			       n / (n + (double)c->missing), qf->completeness);
	if (rc == 0 && qf->has_domain && n > 0) {
		for (size_t k = 0; k < rf->n_categories; k++)
			if (qf->in_domain != NULL && qf->in_domain[k])
				in += c->counts[k];
		/* a domain from a constraints file may name categories the
		 * reference lacks: those are among the window's new names */
		for (size_t k = 0; k < c->unseen.n; k++)
			if (in_domain_name(qf, c->unseen.names[k]))
				in += c->unseen.counts[k];
		rc = add_share(r, QUALITY_CATEGORICAL_VALUES, qf->name, in / n,
			       pick(qf->domain_content_threshold,
				    qc->domain_content_threshold));
	}
	if (rc == 0 && n > 0 && rf->n_categories > 0) {
		double thr = pick(qf->comparison_threshold, qc->comparison_threshold);
		double d = categorical_distance(rf, c, n);

		rc = add_check(r, QUALITY_BASELINE_DRIFT, qf->name, d, thr,
			       !(d > thr));
	}
	return rc;
}

/* missing_column_check: one per payload column some instance lacked
 * (or one passed check, feature ""); extra_column_check: one, named
 * after the first extra column. */
static int check_columns(const window *w, quality_result *r)
{
	const reference *ref = w->ref;
	double total = (double)(w->n_records + w->rejected_instances);
	uint64_t lacking = 0;
	int rc = 0, any = 0;

	if (total <= 0)
		return 0;
	for (size_t j = 0; j < ref->n_payload && rc == 0; j++) {
		lacking += w->short_by_len[j]; /* k values lack columns k.. */
		if (lacking == 0)
			continue;
		any = 1;
		rc = add_share(r, QUALITY_MISSING_COLUMN, ref->payload_names[j],
			       1.0 - (double)lacking / total, 1.0);
	}
	if (rc == 0 && !any)
		rc = add_share(r, QUALITY_MISSING_COLUMN, "", 1.0, 1.0);
	if (rc)
		return rc;
	if (w->long_instances == 0)
		return add_share(r, QUALITY_EXTRA_COLUMN, "", 1.0, 1.0);
	rc = add_share(r, QUALITY_EXTRA_COLUMN, NULL,
		       1.0 - (double)w->long_instances / total, 1.0);
	if (rc == 0)
		r->checks[r->n - 1].column = ref->n_payload;
	return rc;
}

int quality_run(const quality_constraints *qc, window *w, quality_result *out,
		kpg_err *err)
{
	const reference *ref = w->ref;
	kpg_err sub = {0};
	int rc = 0;

	out->n = 0;
	out->n_violations = 0;
	for (size_t i = 0; i < qc->n_features && rc == 0; i++) {
		const quality_feature *qf = &qc->features[i];
		const reference_feature *rf;

		if (qf->ref_index < 0 || (size_t)qf->ref_index >= ref->n_features)
			continue;
		rf = &ref->features[qf->ref_index];
		if (rf->type == POLICY_FEATURE_NUMERIC)
			rc = check_numeric(qc, qf, rf, &w->cols[qf->ref_index], out,
					   &sub);
		else
			rc = check_categorical(qc, qf, rf, &w->cols[qf->ref_index],
					       out);
	}
	if (rc == 0)
		rc = check_columns(w, out);
	if (rc)
		kpg_err_set(err, "running the data-quality checks: %s",
			    sub.msg[0] ? sub.msg : "out of memory");
	return rc;
}

void quality_result_free(quality_result *r)
{
	free(r->checks);
	memset(r, 0, sizeof(*r));
}

const char *quality_check_feature(const quality_check *c, char *buf,
				  size_t len)
{
	if (c->feature != NULL)
		return c->feature;
	snprintf(buf, len, "_c%zu", c->column);
	return buf;
}

/* ---- Model Monitor's words ---------------------------------------- */

void quality_format_double(double v, char *buf, size_t len)
{
	char e[40], digits[24];
	int p, exp10, nd = 0;
	size_t o = 0;
	const char *s;

	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, "%sInfinity", v < 0 ? "-" : "");
		return;
	}
	if (v == 0) {
		snprintf(buf, len, "%s0.0", signbit(v) ? "-" : "");
		return;
	}
	/* the fewest significant digits that read back as v */
	for (p = 1; p <= 17; p++) {
		snprintf(e, sizeof(e), "%.*e", p - 1, v);
		if (strtod(e, NULL) == v)
			break;
	}
	s = e;
	if (*s == '-')
		s++;
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9')
			digits[nd++] = *s;
	digits[nd] = '\0';
	exp10 = atoi(s + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	if (len == 0)
		return;
#define PUT(ch) \
	do { \
		if (o + 1 < len) \
			buf[o++] = (ch); \
	} while (0)
	if (v < 0)
		PUT('-');
	if (exp10 >= -3 && exp10 < 7) {
		if (exp10 < 0) {
			PUT('0');
			PUT('.');
			for (int z = 0; z < -exp10 - 1; z++)
				PUT('0');
			for (int k = 0; k < nd; k++)
				PUT(digits[k]);
		} else {
			for (int k = 0; k <= exp10; k++)
				PUT(k < nd ? digits[k] : '0');
			PUT('.');
			if (nd > exp10 + 1)
				for (int k = exp10 + 1; k < nd; k++)
					PUT(digits[k]);
			else
				PUT('0');
		}
		buf[o] = '\0';
	} else {
		PUT(digits[0]);
		PUT('.');
		if (nd > 1)
			for (int k = 1; k < nd; k++)
				PUT(digits[k]);
		else
			PUT('0');
		buf[o] = '\0';
		snprintf(buf + o, len - o, "E%d", exp10);
	}
#undef PUT
}

void quality_description(const quality_check *c, char *buf, size_t len)
{
	char v[40];

	quality_format_double(c->value, v, sizeof(v));
	if (c->passed)
		snprintf(buf, len, "Value: %s meets the constraint requirement.", v);
	else
		snprintf(buf, len, "Value: %s does not meet the constraint requirement! ",
			 v);
}
