/* events_quality.c - the data-quality checks of a window as JSON: the
 * "quality" block of window_evaluated (docs/audit.md) and the body of
 * Model Monitor's constraint_violations.json (quality_file.c). */
#include "events_quality.h"

#include <math.h>

/* A share or distance as a JSON number (NaN cannot be one: null). */
static json_t *number(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *events_quality(const quality_result *r, const quality_constraints *qc)
{
	json_t *o = json_object(), *v = json_array();
	char name[32], desc[160];

	if (o == NULL || v == NULL)
		goto fail;
	for (size_t i = 0; i < r->n; i++) {
		const quality_check *c = &r->checks[i];
		json_t *e;

		if (c->passed)
			continue;
		quality_description(c, desc, sizeof(desc));
		e = json_pack("{s:s, s:s, s:o, s:o, s:s}", "feature",
			      quality_check_feature(c, name, sizeof(name)), "check",
			      quality_check_name(c->kind), "value", number(c->value),
			      "threshold", number(c->threshold), "description", desc);
		if (e == NULL || json_array_append_new(v, e) != 0)
			goto fail;
	}
	if (json_object_set_new(o, "checks", json_integer((json_int_t)r->n)) != 0 ||
	    json_object_set_new(o, "constraints",
				json_string(qc->from_file ? "file" : "reference")) != 0 ||
	    json_object_set_new(o, "violations", v) != 0) {
		v = NULL;
		goto fail;
	}
	return o;
fail:
	json_decref(v);
	json_decref(o);
	return NULL;
}

json_t *events_quality_violations(const quality_result *r)
{
	json_t *v = json_array();
	char name[32], desc[160];

	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < r->n; i++) {
		const quality_check *c = &r->checks[i];
		json_t *e;

		if (c->passed)
			continue;
		quality_description(c, desc, sizeof(desc));
		e = json_pack("{s:s, s:s, s:s}", "feature_name",
			      quality_check_feature(c, name, sizeof(name)),
			      "constraint_check_type", quality_check_mm_type(c->kind),
			      "description", desc);
		if (e == NULL || json_array_append_new(v, e) != 0) {
			json_decref(v);
			return NULL;
		}
	}
	return json_pack("{s:o}", "violations", v);
}
