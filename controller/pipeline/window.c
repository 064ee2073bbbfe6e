#include "window.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_DEFAULT_MAX_VALUES 10000000

int window_init(window *w, const reference *ref, policy_task task,
		double threshold, size_t max_values, kpg_err *err)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->ref = ref;
	w->max_values = max_values ? max_values : WINDOW_DEFAULT_MAX_VALUES;
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

void window_free(window *w)
{
	if (w->cols != NULL && w->ref != NULL)
		for (size_t i = 0; i < w->ref->n_features; i++) {
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

static int column_push(window_column *c, size_t max, double v)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 4096;
		double *nv;

		if (c->cap >= max)
			return KPG_ETOOBIG;
		if (ncap > max)
			ncap = max;
		nv = realloc(c->values, ncap * sizeof(*nv));
		if (nv == NULL)
			return KPG_ENOMEM;
		c->values = nv;
		c->cap = ncap;
	}
	c->values[c->n++] = v;
	return 0;
}

int window_has_room(const window *w, size_t n)
{
	for (size_t j = 0; j < w->ref->n_features; j++)
		if (w->ref->features[j].type == POLICY_FEATURE_NUMERIC &&
		    w->cols[j].n + n > w->max_values)
			return 0;
	return 1;
}

int window_add_record(window *w, const capture_record *rec, int64_t t_ms)
{
	const reference *ref = w->ref;

	/* all-or-nothing: refuse the record when a numeric column is full */
	if (!window_has_room(w, rec->n_instances))
		return KPG_ETOOBIG;
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
				int rc = column_push(c, w->max_values, v[j].num);

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
