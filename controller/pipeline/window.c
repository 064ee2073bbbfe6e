#include "window.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "ks_walk.h"
#include "sort.h"

/* the sketches' seeds: this plus the feature's index */
#define WINDOW_SKETCH_SEED 0x6b70676174650000ULL

int window_init(window *w, const reference *ref, policy_task task,
		double threshold, size_t max_exact, unsigned sketch_k,
		kpg_err *err)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->ref = ref;
	w->max_exact = max_exact ? max_exact : POLICY_DEFAULT_MAX_EXACT_VALUES;
	w->sketch_k = sketch_k ? sketch_k : POLICY_DEFAULT_SKETCH_K;
	w->cols = calloc(ref->n_features, sizeof(*w->cols));
	w->short_by_len = calloc(ref->n_payload + 1, sizeof(*w->short_by_len));
	if (w->cols == NULL || w->short_by_len == NULL)
		goto nomem;
	for (size_t i = 0; i < ref->n_features; i++) {
		const reference_feature *f = &ref->features[i];

		if (f->type == POLICY_FEATURE_CATEGORICAL) {
			w->cols[i].counts = calloc(f->n_categories + 1, sizeof(double));
			if (w->cols[i].counts == NULL)
				goto nomem;
		}
	}
	rc = kpi_init(&w->kpi, task, threshold, 0, err);
	if (rc) {
		window_free(w);
		return rc;
	}
	return 0;
nomem:
	window_free(w);
	kpg_err_set(err, "out of memory for a window");
	return KPG_ENOMEM;
}

static void column_drop_sketch(window_column *c)
{
	if (c->sketch != NULL) {
		kll_free(c->sketch);
		free(c->sketch);
		c->sketch = NULL;
	}
	c->integers = c->negatives = 0;
}

void window_free(window *w)
{
	if (w->cols != NULL && w->ref != NULL)
		for (size_t i = 0; i < w->ref->n_features; i++) {
			column_drop_sketch(&w->cols[i]);
			free(w->cols[i].values);
			free(w->cols[i].counts);
			unseen_free(&w->cols[i].unseen);
		}
	free(w->cols);
	w->cols = NULL;
	free(w->short_by_len);
	w->short_by_len = NULL;
	kpi_free(&w->kpi);
}

void window_reset(window *w)
{
	for (size_t i = 0; i < w->ref->n_features; i++) {
		window_column *c = &w->cols[i];

		c->n = 0;
		c->ks_ref = NULL;
		column_drop_sketch(c);
		c->missing = 0;
		c->bad_type = 0;
		if (c->counts != NULL)
			memset(c->counts, 0,
			       (w->ref->features[i].n_categories + 1) * sizeof(double));
		unseen_reset(&c->unseen);
	}
	w->n_records = 0;
	w->has_time = 0;
	w->start_ms = w->end_ms = 0;
	w->predictions = w->labelled = 0;
	w->rejected_instances = w->long_instances = 0;
	w->widest = 0;
	if (w->short_by_len != NULL)
		memset(w->short_by_len, 0,
		       (w->ref->n_payload + 1) * sizeof(*w->short_by_len));
	kpi_reset(&w->kpi);
}

capture_reject window_check_record(const window *w, const capture_record *rec,
				   kpg_err *err)
{
	const reference *ref = w->ref;

	for (size_t i = 0; i < rec->n_instances; i++) {
		size_t n = rec->instance_off[i + 1] - rec->instance_off[i];
		const capture_value *v = rec->values + rec->instance_off[i];

		if (n != ref->n_payload) {
			if (ref->n_ignored > 0)
				kpg_err_set(err, "instance %zu has %zu values, the payload has %zu columns (%zu features, %zu ignored)",
					    i + 1, n, ref->n_payload, ref->n_features,
					    ref->n_ignored);
			else
				kpg_err_set(err, "instance %zu has %zu features, the reference has %zu",
					    i + 1, n, ref->n_features);
			return CAPTURE_REJECT_FEATURE_COUNT;
		}
		/* ignored columns: any value, none of it measured */
		for (size_t j = 0; j < n; j++) {
			int f = ref->payload_feature[j];

			if (f < 0 || ref->features[f].type != POLICY_FEATURE_NUMERIC)
				continue;
			if (v[j].kind == CAPTURE_VALUE_STRING) {
				kpg_err_set(err, "instance %zu column %zu (%s): text '%.*s' in a numeric column",
					    i + 1, j + 1, ref->features[f].name,
					    (int)(v[j].str_len > 40 ? 40 : v[j].str_len),
					    rec->text + v[j].str_off);
				return CAPTURE_REJECT_BAD_VALUE;
			}
			if (v[j].kind == CAPTURE_VALUE_NUMBER && !isfinite(v[j].num)) {
				kpg_err_set(err, "instance %zu column %zu (%s): non-finite value",
					    i + 1, j + 1, ref->features[f].name);
				return CAPTURE_REJECT_BAD_VALUE;
			}
		}
	}
	return CAPTURE_OK;
}

void window_count_rejected(window *w, const capture_record *rec,
			   capture_reject reason)
{
	const reference *ref = w->ref;

	if (reason != CAPTURE_REJECT_FEATURE_COUNT &&
	    reason != CAPTURE_REJECT_BAD_VALUE)
		return;
	w->rejected_instances += rec->n_instances;
	for (size_t i = 0; i < rec->n_instances; i++) {
		size_t n = rec->instance_off[i + 1] - rec->instance_off[i];
		const capture_value *v = rec->values + rec->instance_off[i];

		if (n < ref->n_payload) {
			w->short_by_len[n]++;
			continue;
		}
		if (n > ref->n_payload) {
			w->long_instances++;
			if (n > w->widest)
				w->widest = n;
			continue;
		}
		for (size_t j = 0; j < n; j++) {
			int f = ref->payload_feature[j];

			if (f < 0 || ref->features[f].type != POLICY_FEATURE_NUMERIC)
				continue;
			if (v[j].kind == CAPTURE_VALUE_STRING ||
			    (v[j].kind == CAPTURE_VALUE_NUMBER && !isfinite(v[j].num)))
				w->cols[f].bad_type++;
		}
	}
}

/* Text of a cell for a categorical column; numbers without source text are
 * printed the shortest way that round-trips ("2", "0.5"). */
static void window_category(const reference_feature *f, window_column *c,
			    const capture_record *rec, const capture_value *v)
{
	char buf[32];
	const char *text = buf;
	size_t len;
	uint32_t code;

	if (v->str_len > 0 || v->kind == CAPTURE_VALUE_STRING) {
		text = rec->text + v->str_off;
		len = v->str_len;
	} else {
		len = (size_t)snprintf(buf, sizeof(buf), "%.15g", v->num);
	}
	code = reference_category_code(f, text, len);
	c->counts[code] += 1;
	/* a name the tally cannot keep is still counted (in its `other`) */
	if (code == f->n_categories)
		(void)unseen_add(&c->unseen, text, len);
}

static int is_integer(double v)
{
	return v == floor(v);
}

static int sketch_add(window_column *c, double v, kpg_err *err)
{
	int rc = kll_update(c->sketch, v, err);

	c->integers += rc == 0 && is_integer(v);
	c->negatives += rc == 0 && v < 0;
	return rc;
}

/* Column c (feature f) past max_exact: its values into a new sketch. */
static int column_to_sketch(const window *w, size_t f, window_column *c,
			    kpg_err *err)
{
	int rc;

	c->sketch = malloc(sizeof(*c->sketch));
	if (c->sketch == NULL) {
		kpg_err_set(err, "out of memory for the sketch of '%s'",
			    w->ref->features[f].name);
		return KPG_ENOMEM;
	}
	rc = kll_init(c->sketch, w->sketch_k, WINDOW_SKETCH_SEED + f, err);
	if (rc) {
		free(c->sketch);
		c->sketch = NULL;
		return rc;
	}
	c->integers = c->negatives = 0;
	for (size_t i = 0; i < c->n && rc == 0; i++)
		rc = sketch_add(c, c->values[i], err);
	c->n = 0; /* the buffer stays for the next window */
	return rc;
}

static int column_push(const window *w, size_t f, window_column *c, double v,
		       kpg_err *err)
{
	if (c->sketch == NULL && c->n >= w->max_exact) {
		int rc = column_to_sketch(w, f, c, err);

		if (rc)
			return rc;
	}
	if (c->sketch != NULL)
		return sketch_add(c, v, err);
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 4096;
		double *nv;

		if (ncap > w->max_exact)
			ncap = w->max_exact;
		nv = realloc(c->values, ncap * sizeof(*nv));
		if (nv == NULL) {
			kpg_err_set(err, "out of memory for the values of '%s'",
				    w->ref->features[f].name);
			return KPG_ENOMEM;
		}
		c->values = nv;
		c->cap = ncap;
	}
	c->values[c->n++] = v;
	return 0;
}

int window_add_record(window *w, const capture_record *rec, int64_t t_ms,
		      kpg_err *err)
{
	const reference *ref = w->ref;

	for (size_t i = 0; i < rec->n_instances; i++) {
		const capture_value *v = rec->values + rec->instance_off[i];

		for (size_t j = 0; j < ref->n_payload; j++) {
			int f = ref->payload_feature[j];
			window_column *c;

			if (f < 0)
				continue; /* ignored */
			c = &w->cols[f];
			if (v[j].kind == CAPTURE_VALUE_MISSING) {
				c->missing++;
			} else if (ref->features[f].type == POLICY_FEATURE_NUMERIC) {
				int rc = column_push(w, (size_t)f, c, v[j].num,
						     err);

				if (rc)
					return rc;
			} else {
				window_category(&ref->features[f], c, rec, &v[j]);
			}
		}
	}
	if (!w->has_time) {
		w->start_ms = w->end_ms = t_ms;
		w->has_time = 1;
	}
	if (t_ms < w->start_ms)
		w->start_ms = t_ms;
	if (t_ms > w->end_ms)
		w->end_ms = t_ms;
	w->n_records += rec->n_instances;
	return 0;
}

static int sorted_ascending(const double *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (v[i] < v[i - 1])
			return 0;
	return 1;
}

int window_column_sample(window_column *c, window_sample *s, kpg_err *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	if (c->sketch == NULL) {
		/* evaluation and the quality checks both read it at a close:
		 * sorted once */
		if (!sorted_ascending(c->values, c->n))
			sort_doubles(c->values, c->n);
		s->values = c->values;
		s->len = c->n;
		s->total = (double)c->n;
		s->col = c;
		return 0;
	}
	if (kll_count(c->sketch) == 0)
		return 0;
	rc = kll_view_build(c->sketch, &s->view, err);
	if (rc)
		return rc;
	s->values = s->view.values;
	s->weights = s->view.weights;
	s->len = s->view.n;
	s->total = (double)kll_count(c->sketch);
	s->error = kll_sketch_rank_error(c->sketch);
	return 0;
}

double window_column_ks(window_column *c, const double *ref, size_t ref_n)
{
	if (c->ks_ref != ref || c->ks_ref_n != ref_n || c->ks_len != c->n) {
		c->ks_d = ks_walk_statistic(ref, ref_n, c->values, c->n);
		c->ks_ref = ref;
		c->ks_ref_n = ref_n;
		c->ks_len = c->n;
	}
	return c->ks_d;
}

void window_sample_free(window_sample *s)
{
	kll_view_free(&s->view);
	memset(s, 0, sizeof(*s));
}

int window_column_fit(window *w, size_t f, kpg_err *err)
{
	window_column *c = &w->cols[f];

	if (c->sketch != NULL || c->n <= w->max_exact)
		return 0;
	return column_to_sketch(w, f, c, err);
}

uint64_t window_column_count(const window_column *c)
{
	return c->sketch != NULL ? kll_count(c->sketch) : c->n;
}

void window_column_tallies(const window_column *c, uint64_t *integers,
			   uint64_t *negatives)
{
	*integers = c->integers;
	*negatives = c->negatives;
	if (c->sketch != NULL)
		return;
	*integers = *negatives = 0;
	for (size_t i = 0; i < c->n; i++) {
		*integers += is_integer(c->values[i]);
		*negatives += c->values[i] < 0;
	}
}
