#include "action.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action_webhook.h"
#include "kpg_time.h"

void action_token(const char *idempotency_key, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_Digest(idempotency_key, strlen(idempotency_key), md, &len,
		   EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* Appends s to a growing buffer; on failure frees it and returns NULL. */
static char *sb_add(char *buf, size_t *len, size_t *cap, const char *s,
		    size_t n)
{
	if (buf == NULL)
		return NULL;
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *nb = realloc(buf, ncap);

		if (nb == NULL) {
			free(buf);
			return NULL;
		}
		buf = nb;
		*cap = ncap;
	}
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
	return buf;
}

static char *placeholder_value(const char *name, size_t n, const policy *p,
			       const policy_window_eval *ev,
			       const policy_decision *d)
{
	char *out = malloc(64), tmp[160];
	size_t len = 0, cap = 64;

	if (out == NULL)
		return NULL;
	out[0] = '\0';
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(name, lit, n) == 0)
	if (IS("model")) {
		out = sb_add(out, &len, &cap, p->model, strlen(p->model));
	} else if (IS("idempotency_key")) {
		out = sb_add(out, &len, &cap, d->idempotency_key,
			     strlen(d->idempotency_key));
	} else if (IS("window")) {
		char a[40], b[40];

		kpg_time_format_iso8601(ev->start_ms, a, sizeof(a));
		kpg_time_format_iso8601(ev->end_ms, b, sizeof(b));
		snprintf(tmp, sizeof(tmp), "%s/%s", a, b);
		out = sb_add(out, &len, &cap, tmp, strlen(tmp));
	} else if (IS("drifted_features")) {
		for (size_t i = 0; i < ev->n_features && out; i++) {
			if (!ev->features[i].drifted)
				continue;
			if (len > 0)
				out = sb_add(out, &len, &cap, ",", 1);
			out = sb_add(out, &len, &cap, ev->features[i].name,
				     strlen(ev->features[i].name));
		}
	} else if (IS("kpis")) {
		for (size_t i = 0; i < p->n_kpis && out; i++) {
			const char *cls = p->kpis[i].class_name;
			const policy_kpi_value *v = cls != NULL ? &ev->class_kpis[i]
								: &ev->kpis[p->kpis[i].metric];

			if (!v->valid)
				continue;
			/* a class's recall: recall[b]=0.5500 */
			snprintf(tmp, sizeof(tmp), "%s%s%s%.*s%s=%.4f", len ? "," : "",
				 kpi_metric_name(p->kpis[i].metric), cls ? "[" : "",
				 cls ? 63 : 0, cls ? cls : "", cls ? "]" : "", v->value);
			out = sb_add(out, &len, &cap, tmp, strlen(tmp));
		}
	} else {
		/* unknown placeholders are rejected by the policy loader; keep
		 * the text as written if one slips through */
		out = sb_add(out, &len, &cap, name - 1, n + 2);
	}
#undef IS
	return out;
}

/* A placeholder name is one or more of [A-Za-z0-9_]. */
static int placeholder_name(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

char *action_expand(const char *tmpl, const policy *p,
		    const policy_window_eval *ev, const policy_decision *d)
{
	size_t len = 0, cap = strlen(tmpl) + 1;
	char *out = malloc(cap);
	const char *s = tmpl;

	if (out == NULL)
		return NULL;
	out[0] = '\0';
	while (*s && out) {
		const char *open = strchr(s, '{'), *close;
		char *val;

		if (open == NULL || (close = strchr(open, '}')) == NULL) {
			out = sb_add(out, &len, &cap, s, strlen(s));
			break;
		}
		out = sb_add(out, &len, &cap, s, (size_t)(open - s));
		if (!placeholder_name(open + 1, (size_t)(close - open - 1))) {
			/* not a {name}: keep the brace as written, e.g. JSON text */
			out = sb_add(out, &len, &cap, "{", 1);
			s = open + 1;
			continue;
		}
		val = placeholder_value(open + 1, (size_t)(close - open - 1), p, ev, d);
		if (val == NULL) {
			free(out);
			return NULL;
		}
		out = sb_add(out, &len, &cap, val, strlen(val));
		free(val);
		s = close + 1;
	}
	return out;
}

static char *describe(const policy_decision *d)
{
	size_t len = 0, cap = 256;
	char *out = malloc(cap);

	if (out == NULL)
		return NULL;
	out[0] = '\0';
	out = sb_add(out, &len, &cap, "kpigate retrain: ", 17);
	for (size_t i = 0; i < d->n_reasons && out; i++) {
		if (i)
			out = sb_add(out, &len, &cap, "; ", 2);
		out = sb_add(out, &len, &cap, d->reasons[i], strlen(d->reasons[i]));
	}
	if (out && len > 3072) /* PipelineExecutionDescription's maximum */
		out[3072] = '\0';
	return out;
}

/* Step Functions execution names: 1..80 of [A-Za-z0-9_-]. */
static void sfn_name(const policy *p, const char *token, char out[81])
{
	size_t n = 0;

	for (const char *s = p->model; *s && n < 40; s++)
		out[n++] = ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')
				   ? *s
				   : '-';
	snprintf(out + n, 81 - n, "-%.32s", token);
}

/* SageMaker PipelineExecutionDisplayName: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}
 * (no '_', starts and ends with a letter or digit). */
static void sm_display_name(const policy *p, const char *token, char out[81])
{
	size_t n = 0;

	for (const char *s = p->model; *s && n < 40; s++) {
		int alnum = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			    (*s >= '0' && *s <= '9');

		if (n == 0 && !alnum)
			continue; /* it must start with a letter or digit */
		out[n++] = alnum ? *s : '-';
	}
	snprintf(out + n, 81 - n, "%s%.32s", n ? "-" : "", token);
}

int action_build_request(const policy *p, const policy_window_eval *ev,
			 const policy_decision *d, json_t **out, kpg_err *err)
{
	json_t *req = NULL, *body = NULL, *params = NULL, *input = NULL;
	char token[65], name[81], *desc = NULL, *input_text = NULL;
	int rc = KPG_ENOMEM;

	action_token(d->idempotency_key, token);
	req = json_object();
	body = json_object();
	if (req == NULL || body == NULL)
		goto fail;
	json_object_set_new(req, "action", json_string(policy_action_name(p->action)));
	if (p->action == POLICY_ACTION_WEBHOOK) {
		rc = action_webhook_build(p, ev, d, req, err);
		if (rc)
			goto out;
		*out = req;
		req = NULL;
		goto out;
	} else if (p->action == POLICY_ACTION_STEP_FUNCTIONS) {
		input = json_pack("{s:s, s:s, s:s, s:[]}", "model", p->model,
				  "idempotency_key", d->idempotency_key,
				  "decision", "retrain", "reasons");
		if (input == NULL)
			goto fail;
		for (size_t i = 0; i < d->n_reasons; i++)
			json_array_append_new(json_object_get(input, "reasons"),
					      json_string(d->reasons[i]));
		for (size_t i = 0; i < p->n_params; i++) {
			char *v = action_expand(p->params[i].value, p, ev, d);

			if (v == NULL)
				goto fail;
			json_object_set_new(input, p->params[i].name, json_string(v));
			free(v);
		}
		input_text = json_dumps(input, JSON_COMPACT | JSON_SORT_KEYS);
		if (input_text == NULL)
			goto fail;
		sfn_name(p, token, name);
		json_object_set_new(req, "target", json_string("AWSStepFunctions.StartExecution"));
		json_object_set_new(body, "stateMachineArn",
				    json_string(p->state_machine_arn ? p->state_machine_arn : ""));
		json_object_set_new(body, "name", json_string(name));
		json_object_set_new(body, "input", json_string(input_text));
	} else {
		params = json_array();
		desc = describe(d);
		if (params == NULL || desc == NULL)
			goto fail;
		for (size_t i = 0; i < p->n_params; i++) {
			char *v = action_expand(p->params[i].value, p, ev, d);

			if (v == NULL)
				goto fail;
			json_array_append_new(params, json_pack("{s:s, s:s}", "Name",
								p->params[i].name,
								"Value", v));
			free(v);
		}
		sm_display_name(p, token, name);
		json_object_set_new(req, "target",
				    json_string("SageMaker.StartPipelineExecution"));
		json_object_set_new(body, "PipelineName",
				    json_string(p->pipeline_name ? p->pipeline_name : ""));
		json_object_set_new(body, "PipelineExecutionDisplayName", json_string(name));
		json_object_set_new(body, "PipelineExecutionDescription", json_string(desc));
		json_object_set_new(body, "PipelineParameters", params);
		params = NULL;
		json_object_set_new(body, "ClientRequestToken", json_string(token));
	}
	json_object_set_new(req, "body", body);
	body = NULL;
	*out = req;
	req = NULL;
	rc = 0;
fail:
	if (rc)
		kpg_err_set(err, "out of memory building the action request");
out:
	json_decref(req);
	json_decref(body);
	json_decref(params);
	json_decref(input);
	free(desc);
	free(input_text);
	return rc;
}
