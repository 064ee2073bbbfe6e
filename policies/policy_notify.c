/* policy_notify.c - a notify list (docs/notifications.md), in a policy or
 * the daemon's configuration: the rules across a target's keys, and the
 * copy the action room reads. The table pass has already checked the
 * list's own row. */
#include "policy_notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_names.h"
#include "policy.h"
#include "policy_lists.h"

const char *const policy_notify_types[] = {"webhook", "sns", NULL};
const char *const policy_notify_event_names[] = {"drift_alert", "retrain_decided",
						 "action_failed", "execution_finished", NULL};
const char *const policy_notify_formats[] = {"json", "slack", NULL};

int policy_notify_check_topic_arn(kpg_jsonv *v, const kpg_jsonv_key *k,
				  const kpg_jsonv_at *at, json_t *value)
{
	const char *why = NULL;

	(void)k;
	if (aws_names_check_sns_arn(json_string_value(value), NULL, 0, &why) == 0)
		return 0;
	kpg_jsonv_report(v, at, 0, "%s is not an SNS topic ARN: %s", at->path, why);
	return -1;
}

int policy_notify_check_url(kpg_jsonv *v, const kpg_jsonv_key *k,
			    const kpg_jsonv_at *at, json_t *value)
{
	const char *s = json_string_value(value);

	(void)k;
	if ((strncmp(s, "https://", 8) == 0 && s[8]) || (strncmp(s, "http://", 7) == 0 && s[7]))
		return 0;
	kpg_jsonv_report(v, at, 0, "%s must start with http:// or https://", at->path);
	return -1;
}

/* One key of a target against its row; 1 valid, 0 absent, -1 reported. */
static int notify_key(kpg_jsonv *v, json_t *t, size_t i, const char *key, int required)
{
	char row[64], path[96];
	json_t *x = json_object_get(t, key);
	kpg_jsonv_at at = {path, NULL};

	snprintf(path, sizeof(path), "notify[%zu].%s", i, key);
	if (x == NULL) {
		if (!required)
			return 0;
		kpg_jsonv_error(v, path, 0, "missing required key \"%s\" in notify[%zu]", key, i);
		return -1;
	}
	snprintf(row, sizeof(row), "notify[].%s", key);
	return kpg_jsonv_value(v, policy_lists_row(v, row), &at, x) == 1 ? 1 : -1;
}

static void notify_events(kpg_jsonv *v, json_t *events, size_t i)
{
	char path[96];
	kpg_jsonv_at at = {path, NULL};
	const kpg_jsonv_key *row = policy_lists_row(v, "notify[].events[]");
	long n = kpg_jsonv_entries(v, policy_lists_row(v, "notify[].events"), events,
				   "an array of event names");

	if (n < 0)
		return;
	if (n == 0) {
		snprintf(path, sizeof(path), "notify[%zu].events", i);
		kpg_jsonv_error(v, path, 0, "%s names no event", path);
		return;
	}
	for (size_t a = 0; a < json_array_size(events); a++) {
		json_t *e = json_array_get(events, a);

		snprintf(path, sizeof(path), "notify[%zu].events[%zu]", i, a);
		if (kpg_jsonv_value(v, row, &at, e) != 1)
			continue;
		for (size_t b = 0; b < a; b++)
			if (json_equal(json_array_get(events, b), e)) {
				kpg_jsonv_error(v, path, 0, "notify[%zu].events names \"%s\" twice",
						i, json_string_value(e));
				break;
			}
	}
}

static void notify_target_check(kpg_jsonv *v, json_t *t, size_t i)
{
	char path[64];
	int file, env;

	snprintf(path, sizeof(path), "notify[%zu]", i);
	if (!json_is_object(t)) {
		kpg_jsonv_error(v, path, 0, "%s must be an object like {\"type\": \"webhook\", \"url\": ..., \"secret_file\": ..., \"events\": [...]}, got %s",
				path, kpg_jsonv_kind(t));
		return;
	}
	kpg_jsonv_unknown_keys(v, t, "notify[]", path);
	if (notify_key(v, t, i, "type", 1) == 1 &&
	    strcmp(json_string_value(json_object_get(t, "type")), "sns") == 0) {
		notify_key(v, t, i, "topic_arn", 1);
		notify_key(v, t, i, "format", 0);
		for (const char *const *w = (const char *const[]){"url", "secret_file", "secret_env", NULL};
		     *w; w++)
			if (json_object_get(t, *w) != NULL)
				kpg_jsonv_error(v, path, 0,
						"%s: \"%s\" applies to webhooks; an sns target is signed with AWS credentials",
						path, *w);
		if (json_object_get(t, "events") == NULL)
			notify_key(v, t, i, "events", 1);
		else
			notify_events(v, json_object_get(t, "events"), i);
		return;
	}
	if (json_object_get(t, "topic_arn") != NULL)
		kpg_jsonv_error(v, path, 0, "%s: \"topic_arn\" applies to sns targets", path);
	notify_key(v, t, i, "url", 1);
	notify_key(v, t, i, "format", 0);
	file = notify_key(v, t, i, "secret_file", 0);
	env = notify_key(v, t, i, "secret_env", 0);
	if (json_object_get(t, "events") == NULL)
		notify_key(v, t, i, "events", 1);
	else
		notify_events(v, json_object_get(t, "events"), i);
	if (file >= 0 && env >= 0 && file + env != 1)
		kpg_jsonv_error(v, path, 0,
				"%s: a webhook needs exactly one of \"secret_file\" and \"secret_env\" (its body is signed)",
				path);
}

void policy_load_notify(kpg_jsonv *v, json_t *root, policy *p)
{
	policy_notify_load(v, root, &p->notify);
}

void policy_notify_load(kpg_jsonv *v, json_t *root, json_t **out)
{
	json_t *list = json_object_get(root, "notify"), *copy, *t;
	size_t i;
	size_t errors = v->n_errors;

	if (list == NULL || json_is_null(list))
		return;
	if (kpg_jsonv_entries(v, policy_lists_row(v, "notify"), list,
			      "an array of notification targets") < 0)
		return;
	json_array_foreach(list, i, t)
		notify_target_check(v, t, i);
	if (v->n_errors != errors)
		return; /* the policy is refused: nothing to keep */
	copy = json_deep_copy(list);
	if (copy == NULL) {
		v->nomem = 1;
		return;
	}
	json_array_foreach(copy, i, t)
		if (policy_lists_resolve_secret(v, t) != 0) {
			json_decref(copy);
			v->nomem = 1;
			return;
		}
	json_decref(*out);
	*out = copy; /* now the caller's */
}
