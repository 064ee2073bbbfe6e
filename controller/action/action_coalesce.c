/* action_coalesce.c - one record per run of identical failures (see
 * action_coalesce.h). */
#include "action_coalesce.h"

#include <string.h>

#include "events.h"
#include "kpg_error.h"

#define RUN_KEY "failing"

/* The members that make two failures the same failure. */
static const char *const same_keys[] = {"status", "error_type", "http_status",
					"error_message"};

static int same_failure(const json_t *run, const json_t *fail)
{
	const json_t *rec = json_object_get(run, "record");

	for (size_t i = 0; i < sizeof(same_keys) / sizeof(same_keys[0]); i++) {
		const json_t *a = json_object_get(rec, same_keys[i]);
		const json_t *b = json_object_get(fail, same_keys[i]);

		if ((a == NULL) != (b == NULL) || (a != NULL && !json_equal(a, b)))
			return 0;
	}
	return 1;
}

/* A run of fail with no attempt counted yet, open since now_ms. */
static int open_run(json_t *e, const json_t *fail, int64_t now_ms)
{
	json_t *rec = json_deep_copy(fail), *run;

	if (rec == NULL)
		return KPG_ENOMEM;
	json_object_del(rec, "attempt"); /* the run says which ones */
	run = json_pack("{s:o, s:i, s:I}", "record", rec, "count", 0, "since_ms",
			(json_int_t)now_ms);
	if (run == NULL || json_object_set_new(e, RUN_KEY, run) != 0)
		return KPG_ENOMEM;
	return 0;
}

json_t *action_coalesce_take(json_t *e)
{
	json_t *run = json_object_get(e, RUN_KEY), *o = NULL;

	if (!json_is_object(run))
		return NULL;
	if (json_integer_value(json_object_get(run, "count")) > 0)
		o = json_deep_copy(json_object_get(run, "record"));
	if (o != NULL &&
	    (json_object_set(o, "count", json_object_get(run, "count")) ||
	     json_object_set(o, "first_attempt", json_object_get(run, "first_attempt")) ||
	     json_object_set(o, "last_attempt", json_object_get(run, "last_attempt")) ||
	     json_object_set(o, "attempt", json_object_get(run, "last_attempt")) ||
	     json_object_set_new(o, "first_time",
				 events_time(json_integer_value(json_object_get(run, "first_ms")))) ||
	     json_object_set_new(o, "last_time",
				 events_time(json_integer_value(json_object_get(run, "last_ms")))))) {
		json_decref(o);
		o = NULL;
	}
	/* the run is closed even when its record could not be built: a
	 * count that cannot be written must not grow forever */
	json_object_del(e, RUN_KEY);
	return o;
}

int action_coalesce_add(json_t *e, const json_t *fail, int64_t attempt,
			int64_t now_ms, int64_t interval_ms, json_t **flush,
			int *opened)
{
	json_t *run = json_object_get(e, RUN_KEY);
	json_int_t n;

	*flush = NULL;
	*opened = 0;
	if (interval_ms <= 0)
		interval_ms = ACTION_COALESCE_DEFAULT_MS;
	if (json_is_object(run) && !same_failure(run, fail)) {
		*flush = action_coalesce_take(e);
		run = NULL;
	}
	if (!json_is_object(run)) {
		if (open_run(e, fail, now_ms) != 0)
			return KPG_ENOMEM;
		run = json_object_get(e, RUN_KEY);
		*opened = 1;
	}
	n = json_integer_value(json_object_get(run, "count")) + 1;
	if ((n == 1 && (json_object_set_new(run, "first_attempt", json_integer((json_int_t)attempt)) ||
			json_object_set_new(run, "first_ms", json_integer((json_int_t)now_ms)))) ||
	    json_object_set_new(run, "count", json_integer(n)) ||
	    json_object_set_new(run, "last_attempt", json_integer((json_int_t)attempt)) ||
	    json_object_set_new(run, "last_ms", json_integer((json_int_t)now_ms)))
		return KPG_ENOMEM;
	if (*flush == NULL &&
	    now_ms - json_integer_value(json_object_get(run, "since_ms")) >= interval_ms) {
		/* written out; the same failure goes on in a fresh run, and
		 * its next attempt is no news */
		*flush = action_coalesce_take(e);
		if (open_run(e, fail, now_ms) != 0)
			return KPG_ENOMEM;
	}
	return 0;
}
