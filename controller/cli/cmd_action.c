/* cmd_action.c - `kpigate action test --policy FILE [--config FILE]`:
 * prints the exact request a retrain decision of this policy would send
 * (target, region, endpoint, signing name, body), and resolves the
 * credentials that would sign it for real, through the same chain as the
 * action runner (action_aws_creds): which source gave them, or why none
 * did (exit 2). Sends no action, prints no secret. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "action.h"
#include "action_aws.h"
#include "action_webhook.h"
#include "aws_creds.h"
#include "commands.h"
#include "config.h"
#include "kpg_time.h"
#include "policy.h"
#include "policy_report.h"
#include "webhook.h"

static const char action_usage[] =
	"usage: kpigate action test --policy FILE [--config FILE]\n"
	"\n"
	"Prints, as JSON, the request a retrain decision of the policy would send:\n"
	"the API (X-Amz-Target), region, endpoint, signing name, content type and\n"
	"body, with placeholders filled from an example decision. Then it gets the\n"
	"AWS credentials that would sign it, for real, through the AWS SDK chain\n"
	"the daemon uses (environment, profile, web_identity, container, imds;\n"
	"STS, container and instance metadata are called), and prints the source\n"
	"that gave them. The action itself is not sent and no secret is printed.\n"
	"--config reads the daemon configuration's aws section (region, endpoints,\n"
	"CA bundle).\n"
	"A webhook policy prints its method, URL, headers (a secret header as its\n"
	"file or variable, never its value) and the body, and reads every secret it\n"
	"names (the signing secret and secret headers) to check that it can be had.\n"
	"\n"
	"Exit: 0 printed, credentials found (or a dry run, which needs none);\n"
	"1 the policy or configuration is invalid, or no region; 2 no AWS\n"
	"credentials (the message names the chain tried), a webhook secret that\n"
	"cannot be read, or a usage error.\n";

/* A decision to retrain, as the pipeline would make it for the last day. */
static void example_decision(const policy *p, policy_window_eval *ev,
			     policy_decision *d)
{
	int64_t now = kpg_time_now_ms();

	memset(ev, 0, sizeof(*ev));
	memset(d, 0, sizeof(*d));
	ev->window_index = 0;
	ev->start_ms = now - 86400000;
	ev->end_ms = now;
	d->retrain = 1;
	d->kpi_breached = 1;
	snprintf(d->reasons[0], sizeof(d->reasons[0]),
		 "example decision from kpigate action test");
	d->n_reasons = 1;
	snprintf(d->idempotency_key, sizeof(d->idempotency_key), "%s:0:%lld",
		 p->model, (long long)ev->start_ms);
}

/* Gets the credentials for real (the runner's resolver) and records in
 * out which source gave them and until when; never a secret. Returns the
 * resolver's code (err says why). */
static int resolve_creds(aws_creds_provider **cp, const action_aws_options *ao,
			 json_t *out, kpg_err *err)
{
	aws_creds c;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = action_aws_creds(cp, ao, &c, err);
	if (rc == 0) {
		char when[40];

		json_object_set_new(out, "credential_source", json_string(c.source));
		if (c.expires_ms > 0) {
			kpg_time_format_iso8601(c.expires_ms, when, sizeof(when));
			json_object_set_new(out, "credentials_expire", json_string(when));
		} else {
			json_object_set_new(out, "credentials_expire", json_null());
		}
	} else {
		json_object_set_new(out, "credential_source", json_null());
		json_object_set_new(out, "credential_error", json_string(err->msg));
	}
	aws_creds_wipe(&c);
	return rc;
}

/* Reads each secret a webhook request names (and wipes it at once):
 * 0, or the first failure with err saying which, never a value. */
static int webhook_secrets_readable(const json_t *wb, kpg_err *err)
{
	const json_t *sig = json_object_get(wb, "signature"), *h;
	webhook_secret s = {NULL, 0};
	size_t i;
	int rc = 0;

	if (sig != NULL)
		rc = webhook_secret_load(json_string_value(json_object_get(sig, "secret_file")),
					 json_string_value(json_object_get(sig, "secret_env")), &s,
					 err);
	webhook_secret_free(&s);
	json_array_foreach(json_object_get(wb, "headers"), i, h) {
		if (rc != 0 || json_object_get(h, "value") != NULL)
			continue;
		rc = webhook_secret_load(json_string_value(json_object_get(h, "secret_file")),
					 json_string_value(json_object_get(h, "secret_env")), &s,
					 err);
		webhook_secret_free(&s);
	}
	return rc;
}

static int action_test(const char *policy_path, const char *config_path)
{
	policy_diags diags = {0};
	config_diags cdiags = {0};
	policy *p = NULL;
	config *cfg = NULL;
	policy_window_eval ev;
	policy_decision d;
	action_aws_options ao;
	action_aws_route route;
	aws_creds_provider *cp = NULL;
	json_t *req = NULL, *out = NULL;
	kpg_err err = {""};
	int rc = KPG_EXIT_FINDINGS, creds_rc = 0;

	(void)aws_creds_no_core_dumps(); /* it reads the credential settings */
	if (policy_load(policy_path, &p, &diags, &err) != 0) {
		policy_report_diags(stderr, policy_path, &diags, &err);
		goto out;
	}
	if (config_path != NULL && config_load(config_path, &cfg, &cdiags, &err) != 0) {
		config_report_diags(stderr, config_path, &cdiags, &err);
		goto out;
	}
	example_decision(p, &ev, &d);
	if (action_build_request(p, &ev, &d, &req, &err) != 0) {
		fprintf(stderr, "kpigate action test: %s\n", err.msg);
		goto out;
	}
	out = json_pack("{s:O, s:s}", "action", json_object_get(req, "action"),
			"idempotency_key", d.idempotency_key);
	if (p->action == POLICY_ACTION_DRY_RUN) {
		json_object_set_new(out, "sends", json_string("nothing: a dry run only records the decision"));
		json_object_set(out, "would_record", json_object_get(req, "body"));
		goto print;
	}
	if (p->action == POLICY_ACTION_WEBHOOK) {
		json_object_set(out, "target", json_object_get(req, "target"));
		json_object_set(out, "request", json_object_get(req, "body"));
		creds_rc = webhook_secrets_readable(json_object_get(req, "body"), &err);
		if (action_webhook_redact(req) != 0) { /* printed: no query, no password */
			fprintf(stderr, "kpigate action test: out of memory\n");
			goto out;
		}
		json_object_set_new(out, "secrets_readable", json_boolean(creds_rc == 0));
		if (creds_rc != 0)
			json_object_set_new(out, "secret_error", json_string(err.msg));
		goto print;
	}
	memset(&ao, 0, sizeof(ao));
	if (cfg != NULL) {
		ao.region = cfg->aws_region;
		ao.sagemaker_endpoint = cfg->aws_sagemaker_endpoint;
		ao.sfn_endpoint = cfg->aws_sfn_endpoint;
		ao.ca_bundle = cfg->aws_ca_bundle;
	}
	if (action_aws_route_for(&ao, p->action, p->action_region, &route, &err) != 0) {
		fprintf(stderr, "kpigate action test: %s\n", err.msg);
		goto out;
	}
	json_object_set(out, "target", json_object_get(req, "target"));
	json_object_set_new(out, "region", json_string(route.region));
	json_object_set_new(out, "endpoint", json_string(route.endpoint));
	json_object_set_new(out, "signing_name", json_string(route.service));
	json_object_set_new(out, "content_type", json_string(route.content_type));
	json_object_set(out, "body", json_object_get(req, "body"));
	creds_rc = resolve_creds(&cp, &ao, out, &err);
print:
	json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	rc = KPG_EXIT_OK;
	if (creds_rc != 0 && p->action == POLICY_ACTION_WEBHOOK) {
		fprintf(stderr, "kpigate action test: a webhook secret cannot be read: %s\n", err.msg);
		rc = KPG_EXIT_USAGE;
	} else if (creds_rc != 0) {
		if (creds_rc == KPG_ENOTFOUND)
			fprintf(stderr, "kpigate action test: no AWS credentials: %s. The chain tried, in order: %s.\n",
				err.msg, ACTION_AWS_CREDS_CHAIN);
		else
			fprintf(stderr, "kpigate action test: no AWS credentials from the %s source: %s. "
					"The chain, in order: %s; the first source configured is used, and one that fails does not fall through to the next.\n",
				cp ? aws_creds_provider_source(cp) : "configured", err.msg,
				ACTION_AWS_CREDS_CHAIN);
		rc = KPG_EXIT_USAGE;
	}
out:
	aws_creds_provider_free(cp);
	json_decref(req);
	json_decref(out);
	policy_diags_free(&diags);
	config_diags_free(&cdiags);
	config_free(cfg);
	policy_free(p);
	return rc;
}

int cmd_action(int argc, char **argv)
{
	static const struct option opts[] = {
		{"policy", required_argument, NULL, 'p'},
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *pol = NULL, *cfg = NULL;
	int c;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(action_usage, stdout);
		return KPG_EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "test") != 0) {
		if (argc >= 2)
			fprintf(stderr, "kpigate action: unknown subcommand '%s'\n\n", argv[1]);
		fputs(action_usage, stderr);
		return KPG_EXIT_USAGE;
	}
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pol = optarg; break;
		case 'c': cfg = optarg; break;
		case 'h': fputs(action_usage, stdout); return KPG_EXIT_OK;
		default: fputs(action_usage, stderr); return KPG_EXIT_USAGE;
		}
	}
	if (pol == NULL || optind != argc - 1) {
		fputs(action_usage, stderr);
		return KPG_EXIT_USAGE;
	}
	return action_test(pol, cfg);
}
