/* test_action_notify_body.c - what a notification says (notify_body.h):
 * the JSON body of a decision event (every documented field, drifted
 * features from the window, a NaN share as null), the Slack line (one
 * line, capped at 2 KiB with "..." however many features drifted), the
 * body and line of an action event, and the bytes sent (compact, keys
 * sorted: what the signature covers). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "notify_body.h"

#define N_FEATURES 300

static policy pol;
static policy_window_eval ev;
static policy_feature_eval feats[N_FEATURES];
static char names[N_FEATURES][32];
static policy_decision d;
static json_t *decision;

static int setup(void **state)
{
	(void)state;
	pol.model = "churn-xgb";
	pol.endpoint = "churn-endpoint";
	for (size_t i = 0; i < N_FEATURES; i++) {
		snprintf(names[i], sizeof(names[i]), "feature_with_a_long_name_%03zu", i);
		feats[i].name = names[i];
		feats[i].drifted = i % 2 == 0;
	}
	ev.window_index = 14;
	ev.n_records = 1234;
	ev.features = feats;
	ev.n_features = 2;
	ev.dataset_drift = 1;
	ev.drifted_share = 0.5;
	snprintf(d.reasons[0], sizeof(d.reasons[0]), "dataset drift: 1 of 2 features");
	d.n_reasons = 1;
	d.decisive = 0;
	snprintf(d.idempotency_key, sizeof(d.idempotency_key), "churn-xgb:14:1768780913000");
	decision = json_pack("{s:s, s:s, s:[s], s:{s:{s:f, s:i}}}", "start",
			     "2026-01-19T00:00:07Z", "end", "2026-01-19T23:59:41Z", "reasons",
			     "dataset drift: 1 of 2 features", "kpis", "auc", "value", 0.81, "n",
			     506);
	return decision ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	json_decref(decision);
	return 0;
}

static void test_event_body(void **state)
{
	json_t *b = notify_body_event("drift_alert", &pol, &ev, &d, decision, "ab12");
	json_t *w;
	char *text;

	(void)state;
	assert_non_null(b);
	assert_string_equal(json_string_value(json_object_get(b, "event")), "drift_alert");
	assert_string_equal(json_string_value(json_object_get(b, "model")), "churn-xgb");
	assert_string_equal(json_string_value(json_object_get(b, "endpoint")), "churn-endpoint");
	assert_string_equal(json_string_value(json_object_get(b, "decision")), "hold");
	assert_string_equal(json_string_value(json_object_get(b, "idempotency_key")),
			    "churn-xgb:14:1768780913000");
	assert_string_equal(json_string_value(json_object_get(b, "audit_record_hash")), "ab12");
	assert_string_equal(json_string_value(json_object_get(b, "decisive_reason")),
			    "dataset drift: 1 of 2 features");
	w = json_object_get(b, "window");
	assert_int_equal(json_integer_value(json_object_get(w, "index")), 14);
	assert_int_equal(json_integer_value(json_object_get(w, "records")), 1234);
	assert_string_equal(json_string_value(json_object_get(w, "start")),
			    "2026-01-19T00:00:07Z");
	assert_int_equal(json_array_size(json_object_get(b, "drifted_features")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "drifted_features"),
							     0)),
			    "feature_with_a_long_name_000");
	assert_true(json_is_object(json_object_get(json_object_get(b, "kpis"), "auc")));
	assert_true(json_is_true(json_object_get(b, "dataset_drift")));
	/* the bytes sent: compact, sorted */
	text = notify_body_dump(b);
	assert_non_null(text);
	assert_non_null(strstr(text, "{\"audit_record_hash\":\"ab12\","));
	assert_null(strchr(text, '\n'));
	free(text);
	json_decref(b);
}

static void test_nan_share_is_null(void **state)
{
	json_t *b;

	(void)state;
	ev.drifted_share = NAN;
	b = notify_body_event("drift_alert", &pol, &ev, &d, decision, "");
	ev.drifted_share = 0.5;
	assert_non_null(b);
	assert_true(json_is_null(json_object_get(b, "drifted_share")));
	json_decref(b);
}

static void test_slack_line(void **state)
{
	json_t *b = notify_body_event("drift_alert", &pol, &ev, &d, decision, "h");
	json_t *s = notify_body_slack(b);
	const char *t;

	(void)state;
	assert_non_null(s);
	assert_int_equal(json_object_size(s), 1);
	t = json_string_value(json_object_get(s, "text"));
	assert_string_equal(t, "kpigate: drift alert for model churn-xgb, window 14 "
			       "(2026-01-19T00:00:07Z to 2026-01-19T23:59:41Z): drifted "
			       "feature_with_a_long_name_000; decision hold: dataset drift: 1 "
			       "of 2 features");
	json_decref(s);
	json_decref(b);

	/* 150 drifted features: one line, capped, ending in "..." */
	ev.n_features = N_FEATURES;
	b = notify_body_event("retrain_decided", &pol, &ev, &d, decision, "h");
	ev.n_features = 2;
	s = notify_body_slack(b);
	t = json_string_value(json_object_get(s, "text"));
	assert_true(strlen(t) < 2048);
	assert_null(strchr(t, '\n'));
	assert_non_null(strstr(t, "kpigate: retrain decided for model churn-xgb"));
	assert_non_null(strstr(t, "..."));
	json_decref(s);
	json_decref(b);
}

static void test_action_bodies(void **state)
{
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s}", "idempotency_key", "k1", "action",
				"sagemaker_pipeline", "status", "failed", "error_type",
				"ValidationException", "error_message", "no such pipeline");
	json_t *b = notify_body_action("action_failed", "m1", rec);
	json_t *s = notify_body_slack(b);

	(void)state;
	assert_non_null(b);
	assert_string_equal(json_string_value(json_object_get(b, "status")), "failed");
	assert_string_equal(json_string_value(json_object_get(b, "idempotency_key")), "k1");
	assert_true(json_equal(json_object_get(b, "record"), rec));
	assert_string_equal(json_string_value(json_object_get(s, "text")),
			    "kpigate: action failed for model m1 (k1): failed: "
			    "ValidationException no such pipeline");
	json_decref(s);
	json_decref(b);
	json_decref(rec);

	rec = json_pack("{s:s, s:s, s:{s:f}}", "idempotency_key", "k2", "status", "Succeeded",
			"energy", "kwh", 1.25);
	b = notify_body_action("execution_finished", "m1", rec);
	s = notify_body_slack(b);
	assert_string_equal(json_string_value(json_object_get(s, "text")),
			    "kpigate: execution finished for model m1 (k2): Succeeded, 1.25 kWh");
	json_decref(s);
	json_decref(b);
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_body),
		cmocka_unit_test(test_nan_share_is_null),
		cmocka_unit_test(test_slack_line),
		cmocka_unit_test(test_action_bodies),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
