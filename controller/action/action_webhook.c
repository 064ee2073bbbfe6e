/* action_webhook.c - the webhook action's request, delivery round and
 * audit record (action_webhook.h). Placeholders are filled by action.c's
 * action_expand, string by string, so a value is always JSON-escaped by
 * jansson and never breaks the template's structure. */
#include "action_webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"

#define WEBHOOK_MAX_LINES POLICY_WEBHOOK_MAX_HEADERS

/* A copy of template x with every string's placeholders filled. */
static json_t *webhook_expand(const json_t *x, const policy *p,
			      const policy_window_eval *ev, const policy_decision *d)
{
	json_t *out = NULL, *y;
	const char *k;
	size_t i;

	if (json_is_string(x)) {
		char *s = action_expand(json_string_value(x), p, ev, d);

		out = s ? json_string(s) : NULL;
		free(s);
		return out;
	}
	if (json_is_object(x)) {
		out = json_object();
		json_object_foreach((json_t *)x, k, y)
			if (out == NULL ||
			    json_object_set_new(out, k, webhook_expand(y, p, ev, d)) != 0)
				goto fail;
		return out;
	}
	if (json_is_array(x)) {
		out = json_array();
		json_array_foreach(x, i, y)
			if (out == NULL || json_array_append_new(out, webhook_expand(y, p, ev, d)) != 0)
				goto fail;
		return out;
	}
	return json_deep_copy(x);
fail:
	json_decref(out);
	return NULL;
}

/* The body when the policy gives none. */
static json_t *webhook_default_body(const policy_decision *d)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "model", "{model}",
			      "idempotency_key", "{idempotency_key}", "decision", "retrain",
			      "window", "{window}", "reasons");

	for (size_t i = 0; o != NULL && i < d->n_reasons; i++)
		if (json_array_append_new(json_object_get(o, "reasons"),
					  json_string(d->reasons[i])) != 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* One header of the request: {"name", "value"} with placeholders filled,
 * or the secret's reference {"name", "secret_file" | "secret_env"}. */
static json_t *webhook_header(const char *name, const json_t *v, const policy *p,
			      const policy_window_eval *ev, const policy_decision *d)
{
	json_t *h = json_is_object(v) ? json_deep_copy(v) : json_object();

	if (h == NULL || json_object_set_new(h, "name", json_string(name)) != 0 ||
	    (json_is_string(v) && json_object_set_new(h, "value", webhook_expand(v, p, ev, d)) != 0)) {
		json_decref(h);
		return NULL;
	}
	return h;
}

/* The request's headers, in the policy's order. NULL: out of memory. */
static json_t *webhook_headers(const json_t *hs, const policy *p,
			       const policy_window_eval *ev, const policy_decision *d)
{
	json_t *out = json_array(), *v;
	const char *name;

	json_object_foreach((json_t *)hs, name, v)
		if (out == NULL || json_array_append_new(out, webhook_header(name, v, p, ev, d)) != 0) {
			json_decref(out);
			return NULL;
		}
	return out;
}

int action_webhook_build(const policy *p, const policy_window_eval *ev,
			 const policy_decision *d, json_t *req, kpg_err *err)
{
	const json_t *w = p->webhook, *tmpl = json_object_get(w, "body");
	const char *url = json_string_value(json_object_get(w, "url"));
	const char *method = json_string_value(json_object_get(w, "method"));
	json_t *body = NULL, *sent = NULL, *dflt = NULL, *sig = NULL;
	char host[300], target[320], *text = NULL;
	int rc;

	rc = webhook_url_host(url, host, sizeof(host), err);
	if (rc)
		return rc;
	rc = KPG_ENOMEM;
	if (tmpl == NULL)
		tmpl = dflt = webhook_default_body(d);
	sent = tmpl ? webhook_expand(tmpl, p, ev, d) : NULL;
	text = sent ? json_dumps(sent, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	body = json_pack("{s:s, s:s, s:s}", "url", url, "method", method, "body",
			 text ? text : "");
	if (text == NULL || body == NULL)
		goto fail;
	if (json_object_set_new(body, "headers",
				webhook_headers(json_object_get(w, "headers"), p, ev, d)) != 0)
		goto fail;
	if (json_object_get(w, "secret_file") != NULL)
		sig = json_pack("{s:O}", "secret_file", json_object_get(w, "secret_file"));
	else if (json_object_get(w, "secret_env") != NULL)
		sig = json_pack("{s:O}", "secret_env", json_object_get(w, "secret_env"));
	if (sig != NULL && json_object_set(body, "signature", sig) != 0)
		goto fail;
	if (json_object_get(w, "already_started_status") != NULL &&
	    json_object_set(body, "already_started_status",
			    json_object_get(w, "already_started_status")) != 0)
		goto fail;
	snprintf(target, sizeof(target), "%s %s", method, host);
	if (json_object_set_new(req, "target", json_string(target)) != 0 ||
	    json_object_set(req, "body", body) != 0)
		goto fail;
	rc = 0;
fail:
	if (rc)
		kpg_err_set(err, "out of memory building the webhook request");
	json_decref(body);
	json_decref(sent);
	json_decref(dflt);
	json_decref(sig);
	free(text);
	return rc;
}

int action_webhook_redact(json_t *req)
{
	json_t *body = json_object_get(req, "body");
	const char *url = json_string_value(json_object_get(body, "url"));
	const char *rest, *at, *slash;
	char *out;
	size_t n, len;
	int rc;

	if (url == NULL || (rest = strstr(url, "://")) == NULL)
		return 0;
	rest += 3;
	slash = rest + strcspn(rest, "/?#");
	at = memchr(rest, '@', (size_t)(slash - rest));
	len = strlen(url) + 1;
	out = malloc(len);
	if (out == NULL)
		return KPG_ENOMEM;
	n = (size_t)(rest - url);
	memcpy(out, url, n); /* scheme:// */
	if (at != NULL)
		rest = at + 1; /* no user:password */
	memcpy(out + n, rest, strcspn(rest, "?#"));
	out[n + strcspn(rest, "?#")] = '\0';
	rc = json_object_set_new(body, "url", json_string(out));
	free(out);
	return rc ? KPG_ENOMEM : 0;
}

/* The "Name: value" lines of wb's headers, secrets read now: lines[]
 * malloc'd and NULL-ended, also after an error (the caller wipes and
 * frees them: they may hold a secret). */
static int webhook_lines(const json_t *wb, char *lines[WEBHOOK_MAX_LINES + 1],
			 kpg_err *err)
{
	const json_t *hs = json_object_get(wb, "headers"), *h;
	size_t i, n = 0;

	json_array_foreach(hs, i, h) {
		const char *name = json_string_value(json_object_get(h, "name"));
		const char *value = json_string_value(json_object_get(h, "value"));
		webhook_secret s = {NULL, 0};
		size_t vlen, len;
		int rc;

		if (n >= WEBHOOK_MAX_LINES || name == NULL) {
			kpg_err_set(err, "the webhook request's headers are malformed");
			return KPG_EINVAL;
		}
		if (value == NULL) {
			rc = webhook_secret_load(
				json_string_value(json_object_get(h, "secret_file")),
				json_string_value(json_object_get(h, "secret_env")), &s, err);
			if (rc)
				return rc;
		}
		vlen = value ? strlen(value) : s.len;
		len = strlen(name) + 2 + vlen + 1;
		lines[n] = malloc(len);
		if (lines[n] == NULL) {
			webhook_secret_free(&s);
			kpg_err_set(err, "out of memory");
			return KPG_ENOMEM;
		}
		snprintf(lines[n], len, "%s: ", name);
		memcpy(lines[n] + strlen(name) + 2, value ? (const void *)value : s.key, vlen);
		lines[n][len - 1] = '\0';
		lines[++n] = NULL;
		webhook_secret_free(&s);
	}
	return 0;
}

int action_webhook_send(const json_t *wb, const char *key, const char *ca_bundle,
			int timeout_ms, const webhook_retry_policy *pol,
			webhook_result *res, kpg_err *err)
{
	const json_t *sig = json_object_get(wb, "signature");
	char *lines[WEBHOOK_MAX_LINES + 1] = {NULL};
	webhook_secret secret = {NULL, 0};
	webhook_request rq;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = webhook_lines(wb, lines, err);
	if (rc)
		goto done;
	if (sig != NULL) {
		rc = webhook_secret_load(json_string_value(json_object_get(sig, "secret_file")),
					 json_string_value(json_object_get(sig, "secret_env")),
					 &secret, err);
		if (rc)
			goto done;
	}
	memset(&rq, 0, sizeof(rq));
	rq.url = json_string_value(json_object_get(wb, "url"));
	rq.method = json_string_value(json_object_get(wb, "method"));
	rq.headers = (const char *const *)lines;
	rq.body = json_string_value(json_object_get(wb, "body"));
	rq.body_len = rq.body ? strlen(rq.body) : 0;
	rq.secret = sig != NULL ? &secret : NULL;
	rq.idempotency_key = key;
	rq.event = "retrain";
	rq.ca_bundle = ca_bundle;
	rq.timeout_ms = timeout_ms;
	rc = webhook_send(&rq, pol, res, err);
done:
	for (size_t i = 0; i < WEBHOOK_MAX_LINES && lines[i] != NULL; i++) {
		explicit_bzero(lines[i], strlen(lines[i])); /* may hold a secret */
		free(lines[i]);
	}
	webhook_secret_free(&secret);
	return rc;
}

json_t *action_webhook_result_json(const char *status, const json_t *wb,
				   const webhook_result *res)
{
	const json_t *h;
	json_t *o, *names;
	char host[300];
	kpg_err err = {""};
	size_t i;

	o = json_pack("{s:s, s:s}", "status", status, "method",
		      json_string_value(json_object_get(wb, "method"))
			      ? json_string_value(json_object_get(wb, "method"))
			      : "POST");
	names = json_array();
	if (o == NULL || names == NULL)
		goto fail;
	if (webhook_url_host(json_string_value(json_object_get(wb, "url")), host,
			     sizeof(host), &err) == 0)
		json_object_set_new(o, "host", json_string(host));
	json_array_foreach(json_object_get(wb, "headers"), i, h)
		json_array_append(names, json_object_get(h, "name"));
	json_object_set_new(o, "headers", names); /* the names only */
	names = NULL;
	if (res == NULL)
		return o;
	json_object_set_new(o, "http_status", json_integer(res->http_status));
	if (res->error[0]) {
		json_object_set_new(o, "error_type",
				    json_string(res->http_status ? "HttpError" : "TransportError"));
		json_object_set_new(o, "error_message", json_string(res->error));
	}
	if (res->answer_len > 0) {
		size_t skip = strspn(res->answer, " \t\r\n"), n = res->answer_len - skip;
		json_t *ex;

		if (skip < res->answer_len &&
		    (res->answer[skip] == '{' || res->answer[skip] == '[')) {
			/* a cut in a UTF-8 sequence: jansson refuses it, no excerpt */
			ex = json_stringn(res->answer + skip,
					  n < ACTION_WEBHOOK_EXCERPT ? n : ACTION_WEBHOOK_EXCERPT);
			if (ex != NULL)
				json_object_set_new(o, "answer_excerpt", ex);
			if (ex != NULL && (n > ACTION_WEBHOOK_EXCERPT || res->answer_truncated))
				json_object_set_new(o, "answer_truncated", json_true());
		}
	}
	return o;
fail:
	json_decref(o);
	json_decref(names);
	return NULL;
}
