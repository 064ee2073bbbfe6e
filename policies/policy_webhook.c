/* policy_webhook.c - action.type "webhook": its keys across each other,
 * its headers (plain, or a secret read at send time) and its body
 * template, and the validated copy the action room builds requests from
 * (controller/action/action_webhook.c). */
#include "policy_webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy_lists.h"

const char *const policy_webhook_methods[] = {"POST", "PUT", "PATCH", NULL};

/* The webhook keys of "action" (type and the AWS keys are not). */
static const char *const webhook_keys[] = {"url", "method", "headers",
					   "body", "secret_file", "secret_env",
					   "already_started_status", NULL};

/* Headers kpigate sets itself. */
static const char *const reserved_headers[] = {"Content-Type", "Content-Length",
					       "Host", "Expect", NULL};

/* An HTTP token (RFC 9110 5.6.2), at most 128 bytes. */
static int webhook_is_token(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s) != NULL))
			return 0;
	return 1;
}

/* A {"secret_file": ...} or {"secret_env": ...} header value. */
static void webhook_secret_value(kpg_jsonv *v, json_t *val, const char *path)
{
	const char *k;
	json_t *x;
	char row[64], at_path[320];
	kpg_jsonv_at at = {at_path, NULL};

	if (json_object_size(val) != 1) {
		kpg_jsonv_error(v, path, 0, "%s must be a string or one of {\"secret_file\": FILE} and {\"secret_env\": VAR}",
				path);
		return;
	}
	json_object_foreach(val, k, x) {
		if (strcmp(k, "secret_file") != 0 && strcmp(k, "secret_env") != 0) {
			kpg_jsonv_error(v, path, 1, "%s: unknown key \"%s\"; a header's secret is {\"secret_file\": FILE} or {\"secret_env\": VAR}",
					path, k);
			continue;
		}
		snprintf(row, sizeof(row), "action.headers.NAME.%s", k);
		snprintf(at_path, sizeof(at_path), "%.256s.%.32s", path, k);
		(void)kpg_jsonv_value(v, policy_lists_row(v, row), &at, x);
	}
}

static void webhook_headers(kpg_jsonv *v, json_t *hs)
{
	const kpg_jsonv_key *row = policy_lists_row(v, "action.headers.NAME");
	const char *name;
	json_t *val;
	char path[256];
	kpg_jsonv_at at = {path, NULL};

	if (kpg_jsonv_entries(v, policy_lists_row(v, "action.headers"), hs,
			      "an object of header name: value") < 0)
		return;
	json_object_foreach(hs, name, val) {
		snprintf(path, sizeof(path), "action.headers.%.200s", name);
		if (!webhook_is_token(name)) {
			kpg_jsonv_error(v, path, 1, "header name \"%.200s\" is not an HTTP token (letters, digits and !#$%%&'*+-.^_`|~, at most 128)",
					name);
			continue;
		}
		if (strncasecmp(name, "X-Kpigate-", 10) == 0)
			kpg_jsonv_error(v, path, 1, "header %s is kpigate's own (signature, idempotency key, event)",
					name);
		for (const char *const *r = reserved_headers; *r; r++)
			if (strcasecmp(name, *r) == 0)
				kpg_jsonv_error(v, path, 1, "header %s is set by kpigate", name);
		if (json_is_object(val)) {
			webhook_secret_value(v, val, path);
			continue;
		}
		if (kpg_jsonv_value(v, row, &at, val) != 1)
			continue;
		if (strpbrk(json_string_value(val), "\r\n") != NULL) {
			kpg_jsonv_error(v, path, 0, "%s has a line break", path);
			continue;
		}
		policy_lists_placeholders(v, path, json_string_value(val));
	}
}

/* Every string of the body template, at any depth: known placeholders. */
static void webhook_body_strings(kpg_jsonv *v, json_t *x, const char *path, int depth)
{
	char sub[256];
	const char *k;
	json_t *y;
	size_t i;

	if (depth > 16) {
		kpg_jsonv_error(v, path, 0, "%s is nested deeper than 16 levels", path);
		return;
	}
	if (json_is_string(x)) {
		policy_lists_placeholders(v, path, json_string_value(x));
	} else if (json_is_object(x)) {
		json_object_foreach(x, k, y) {
			snprintf(sub, sizeof(sub), "%s.%.128s", path, k);
			webhook_body_strings(v, y, sub, depth + 1);
		}
	} else if (json_is_array(x)) {
		json_array_foreach(x, i, y) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			webhook_body_strings(v, y, sub, depth + 1);
		}
	}
}

/* The copy for p->webhook: method filled in, secret files absolute. */
static json_t *webhook_copy(kpg_jsonv *v, json_t *action)
{
	json_t *w = json_object(), *h;
	const char *name;

	if (w == NULL)
		return NULL;
	for (const char *const *k = webhook_keys; *k; k++)
		if (json_object_get(action, *k) != NULL &&
		    json_object_set_new(w, *k, json_deep_copy(json_object_get(action, *k))) != 0)
			goto fail;
	if (json_object_get(w, "method") == NULL &&
	    json_object_set_new(w, "method", json_string(policy_webhook_methods[0])) != 0)
		goto fail;
	if (policy_lists_resolve_secret(v, w) != 0)
		goto fail;
	json_object_foreach(json_object_get(w, "headers"), name, h)
		if (json_is_object(h) && policy_lists_resolve_secret(v, h) != 0)
			goto fail;
	return w;
fail:
	json_decref(w);
	return NULL;
}

void policy_load_webhook(kpg_jsonv *v, json_t *root, policy *p)
{
	json_t *action = json_object_get(root, "action"), *x;
	const char *type = json_string_value(json_object_get(action, "type"));
	size_t errors = v->n_errors;

	if (!json_is_object(action) || type == NULL)
		return;
	if (strcmp(type, "webhook") != 0) {
		for (const char *const *k = webhook_keys; *k; k++)
			if (json_object_get(action, *k) != NULL) {
				char path[64];

				snprintf(path, sizeof(path), "action.%s", *k);
				kpg_jsonv_error(v, path, 1, "action.%s applies to action.type webhook; this action is %s",
						*k, type);
			}
		return;
	}
	if (json_object_get(action, "url") == NULL)
		kpg_jsonv_error(v, "action", 0, "action.type webhook needs \"url\"");
	if (json_object_get(action, "secret_file") != NULL &&
	    json_object_get(action, "secret_env") != NULL)
		kpg_jsonv_error(v, "action.secret_env", 1,
				"action: give at most one of \"secret_file\" and \"secret_env\" (the signing secret)");
	if (p->n_params > 0)
		kpg_jsonv_error(v, "action.parameters", 1,
				"action.parameters applies to AWS actions; a webhook's values go in action.body");
	if ((x = json_object_get(action, "headers")) != NULL)
		webhook_headers(v, x);
	if ((x = json_object_get(action, "body")) != NULL &&
	    kpg_jsonv_entries(v, policy_lists_row(v, "action.body"), x,
			      "a JSON object (the body template)") >= 0)
		webhook_body_strings(v, x, "action.body", 0);
	if (v->n_errors != errors)
		return; /* the policy is refused: nothing to keep */
	json_decref(p->webhook);
	p->webhook = webhook_copy(v, action);
	if (p->webhook == NULL)
		v->nomem = 1;
}
