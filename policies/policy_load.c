/* policy_load.c - reads one policy file, validates every key, and builds a
 * struct policy: the table pass (policy_keys.c through kpg_jsonv) checks
 * and stores every key and applies the defaults, the lists follow
 * (policy_lists.c), then the rules across keys. Every problem is reported
 * (not just the first), each at the line:column of the offending key or
 * value. */
#include "policy.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_names.h"
#include "kpg_file.h"
#include "kpg_jsonv.h"
#include "kpg_time.h"
#include "policy_keys.h"
#include "policy_drift.h"
#include "policy_lists.h"
#include "policy_webhook.h"

#define POLICY_FILE_MAX (1024 * 1024) /* a policy is a page, not a dataset */

/* The string at path when it is well formed for its row, else NULL. */
static const char *string_at(const kpg_jsonv *v, json_t *root,
			     const char *path)
{
	const kpg_jsonv_key *k = kpg_jsonv_key_find(v->keys, v->n_keys, path);
	json_t *x = kpg_jsonv_get(root, path);

	return x != NULL && kpg_jsonv_string_ok(k, x) ? json_string_value(x)
						      : NULL;
}

/* 1 when the string at path is one of its row's choices, 0 when it is
 * another well-formed string, -1 when absent or malformed. */
static int choice_at(const kpg_jsonv *v, json_t *root, const char *path)
{
	const kpg_jsonv_key *k = kpg_jsonv_key_find(v->keys, v->n_keys, path);
	const char *s = string_at(v, root, path);

	if (s == NULL)
		return -1;
	return kpg_jsonv_choice(k->choices, s) >= 0;
}

/* 1 when the file's number at path is the value stored: the file set the
 * key and it was valid (a rejected value leaves the default in place). */
static int int_set(json_t *root, const char *path, unsigned long long stored)
{
	json_t *x = kpg_jsonv_get(root, path);

	return x != NULL && json_is_number(x) &&
	       (unsigned long long)json_number_value(x) == stored;
}

static void check_guard(kpg_jsonv *v, json_t *root, const policy *p,
			const char *path, uint64_t value)
{
	if (p->window_records && value > p->window_records &&
	    int_set(root, path, value))
		kpg_jsonv_error(v, path, 0, "%s %llu is larger than window.records %llu: no window would ever qualify",
				path, (unsigned long long)value,
				(unsigned long long)p->window_records);
}

/* Rules across keys, after the table pass and the lists. */
static void check_rules(kpg_jsonv *v, json_t *root, policy *p, int task_bad)
{
	json_t *window = json_object_get(root, "window");
	int have_type = choice_at(v, root, "action.type") == 1;
	char arn_region[64] = "";
	const char *why;

	if (!task_bad && p->task != POLICY_TASK_BINARY &&
	    kpg_jsonv_get(root, "prediction.threshold") != NULL)
		kpg_jsonv_error(v, "prediction.threshold", 1,
				"prediction.threshold applies only to binary_classification; this policy's task is %s",
				policy_task_name(p->task));
	if (json_is_object(window) && json_object_get(window, "records") == NULL &&
	    json_object_get(window, "span_seconds") == NULL)
		kpg_jsonv_error(v, "window", 0,
				"window needs \"records\", \"span_seconds\" or both");
	if (p->window_origin != NULL && p->window_span_ms == 0)
		kpg_jsonv_error(v, "window.origin", 1,
				"window.origin applies only with window.span_seconds");
	if (p->window_origin == NULL ||
	    kpg_time_parse_iso8601(p->window_origin, strlen(p->window_origin),
				   &p->window_origin_ms) != 0)
		/* ISO weeks start on Monday; other spans at UTC midnight */
		p->window_origin_ms = p->window_span_ms > 0 &&
						      p->window_span_ms % POLICY_WEEK_MS == 0
					      ? POLICY_MONDAY_MS
					      : 0;
	if (kpg_jsonv_get(root, "baseline.settle_seconds") == NULL)
		p->baseline_settle_ms = -1; /* energy.expected_hours */
	check_guard(v, root, p, "guards.min_records", p->min_records);
	check_guard(v, root, p, "guards.min_labelled", p->min_labelled);
	if (have_type && p->action == POLICY_ACTION_SAGEMAKER_PIPELINE &&
	    string_at(v, root, "action.pipeline_name") == NULL)
		kpg_jsonv_error(v, "action", 0,
				"action.type sagemaker_pipeline needs \"pipeline_name\"");
	if (have_type && p->action == POLICY_ACTION_STEP_FUNCTIONS &&
	    string_at(v, root, "action.state_machine_arn") == NULL)
		kpg_jsonv_error(v, "action", 0,
				"action.type step_functions needs \"state_machine_arn\"");
	if (p->state_machine_arn != NULL && p->action_region != NULL &&
	    aws_names_check_sfn_arn(p->state_machine_arn, arn_region,
				    sizeof(arn_region), &why) == 0 &&
	    strcmp(arn_region, p->action_region) != 0)
		kpg_jsonv_error(v, "action.region", 0,
				"action.region is %s but the state machine is in %s",
				p->action_region, arn_region);
}

static void load_root(kpg_jsonv *v, json_t *root, policy *p)
{
	/* an unknown task: KPIs are not checked against it */
	int task_bad = choice_at(v, root, "prediction.task") == 0;

	kpg_jsonv_walk(v, root);
	policy_load_labels(v, root, p, task_bad);
	policy_load_lists(v, root, p, task_bad);
	policy_load_drift(v, root, p);
	check_rules(v, root, p, task_bad);
	policy_load_notify(v, root, p);
	policy_load_webhook(v, root, p);
}

/* ---- file --------------------------------------------------------- */


int policy_load(const char *path, policy **out, policy_diags *diags,
		kpg_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = kpg_read_file(path, POLICY_FILE_MAX, "policy file", &text, &len, err);
	if (rc == KPG_ETOOBIG)
		return kpg_jsonv_file_error(diags, path, err);
	if (rc)
		return rc;
	rc = policy_load_buffer(path, text, len, out, diags, err);
	free(text);
	return rc;
}

int policy_load_buffer(const char *path, const char *text, size_t len,
		       policy **out, policy_diags *diags, kpg_err *err)
{
	char *dir = NULL;
	json_t *root = NULL;
	json_locate *loc = NULL;
	policy *p = NULL;
	kpg_jsonv v;
	size_t n;
	const kpg_jsonv_key *keys = policy_keys(&n);
	int rc = 0;

	*out = NULL;
	kpg_jsonv_init(&v, keys, n, "the policy", diags);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		goto nomem;
	v.base = p;
	if (kpg_jsonv_defaults(&v) != 0 ||
	    (p->source_path = strdup(path)) == NULL ||
	    (dir = kpg_dir_of(path)) == NULL)
		goto nomem;
	v.dir = dir;
	if (EVP_Digest(text, len, p->sha256, NULL, EVP_sha256(), NULL) != 1) {
		kpg_err_set(err, "%s: SHA-256 failed", path);
		rc = KPG_EIO;
		goto done;
	}
	rc = kpg_jsonv_parse(&v, text, len, &root, &loc, err);
	if (rc == KPG_ENOMEM)
		goto nomem;
	if (rc)
		goto finish;
	if (!json_is_object(root))
		kpg_jsonv_error(&v, "", 0, "a policy file is one JSON object, got %s",
				kpg_jsonv_kind(root));
	else
		load_root(&v, root, p);
	if (v.nomem)
		goto nomem;
finish:
	rc = kpg_jsonv_finish(&v, path, err);
	if (rc == 0) {
		*out = p;
		p = NULL;
	}
done:
	policy_free(p);
	json_locate_free(loc);
	json_decref(root);
	free(dir);
	return rc;
nomem:
	kpg_err_set(err, "%s: out of memory", path);
	rc = KPG_ENOMEM;
	goto done;
}

void policy_free(policy *p)
{
	if (p == NULL)
		return;
	free(p->source_path);
	free(p->model);
	free(p->endpoint);
	free(p->reference_path);
	free(p->label_column);
	for (size_t i = 0; i < p->n_exclude; i++)
		free(p->exclude_columns[i]);
	free(p->exclude_columns);
	for (size_t i = 0; i < p->n_features; i++)
		free(p->features[i].name);
	free(p->features);
	for (size_t i = 0; i < p->n_payload_columns; i++)
		free(p->payload_columns[i]);
	free(p->payload_columns);
	free(p->score_field);
	free(p->positive_label);
	free(p->negative_label);
	for (size_t i = 0; i < p->n_classes; i++)
		free(p->classes[i]);
	free(p->classes);
	for (size_t i = 0; i < POLICY_MAX_KPIS; i++) /* a refused KPI may hold one */
		free(p->kpis[i].class_name);
	policy_drift_free(p);
	free(p->window_origin);
	free(p->pipeline_name);
	free(p->state_machine_arn);
	free(p->action_region);
	json_decref(p->notify);
	json_decref(p->webhook);
	free(p->quality.constraints_path);
	free(p->quality.violations_dir);
	for (size_t i = 0; i < p->n_params; i++) {
		free(p->params[i].name);
		free(p->params[i].value);
	}
	free(p);
}

void policy_diags_free(policy_diags *d)
{
	if (d != NULL)
		kpg_diags_free(d);
}
