/* aws_creds.c - which credential source is configured, and the cache
 * that keeps its credentials fresh (see aws_creds.h). The sources
 * themselves are in aws_creds_files.c (shared files) and aws_creds_http.c
 * (STS, container, IMDS). */
#include "aws_creds.h"
#include "aws_creds_internal.h"
#include "aws_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kpg_log.h"
#include "kpg_time.h"

#define ECS_HOST "http://169.254.170.2"
#define IMDS_DEFAULT "http://169.254.169.254"
#define TIMEOUT_DEFAULT_MS 5000

typedef enum src_kind {
	SRC_ENV,
	SRC_PROFILE,
	SRC_WEB_IDENTITY,
	SRC_CONTAINER,
	SRC_IMDS
} src_kind;

static const char *const src_names[] = {"environment", "profile",
					"web_identity", "container", "imds"};

struct aws_creds_provider {
	src_kind kind;
	int timeout_ms;
	char *ca_bundle; /* owned; NULL = the system's */
	/* profile */
	char *cred_path, *config_path, *profile;
	/* web identity */
	char *token_file, *role_arn, *session_name, *sts_endpoint;
	/* container */
	char *container_url, *auth_token_file;
	int auth_env; /* AWS_CONTAINER_AUTHORIZATION_TOKEN set */
	/* imds */
	char *imds_endpoint;
	/* the cache */
	aws_creds cur;
	int have; /* cur holds usable credentials */
	int curl_inited;
};

/* Non-empty value of an environment variable, or NULL. */
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* strdup that reports ENOMEM; NULL in, NULL out. */
static int dup_opt(char **dst, const char *s, kpg_err *err)
{
	*dst = NULL;
	if (s == NULL)
		return 0;
	*dst = strdup(s);
	if (*dst == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	return 0;
}

/* A file path from variable var, else $HOME/rel; "~/" expanded. NULL in
 * *out when there is none (no HOME). */
static int file_path(const char *var, const char *rel, char **out,
		     kpg_err *err)
{
	const char *v = env(var), *home = env("HOME");
	char buf[4096];
	int n;

	*out = NULL;
	if (v != NULL && strncmp(v, "~/", 2) != 0)
		return dup_opt(out, v, err);
	if (home == NULL)
		return 0;
	if (v != NULL)
		n = snprintf(buf, sizeof(buf), "%s/%s", home, v + 2);
	else
		n = snprintf(buf, sizeof(buf), "%s/%s", home, rel);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		kpg_err_set(err, "%s: path too long", var);
		return KPG_ETOOBIG;
	}
	return dup_opt(out, buf, err);
}

static int is_true(const char *v)
{
	return v != NULL && strcasecmp(v, "true") == 0;
}

/* 1 when the environment has keys; KPG_EINVAL when only half of them. */
static int env_configured(kpg_err *err)
{
	const char *id = env("AWS_ACCESS_KEY_ID");
	const char *sk = env("AWS_SECRET_ACCESS_KEY");

	if (id == NULL && sk == NULL)
		return 0;
	if (id == NULL || sk == NULL) {
		kpg_err_set(err, "%s is set but %s is not",
			    id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			    id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return KPG_EINVAL;
	}
	return 1;
}

/* 1 when the profile has keys, 0 when not (or no such profile and
 * AWS_PROFILE was not set), <0 on error. Reads the files, keeps no
 * secret. */
static int profile_configured(aws_creds_provider *p, int explicit_profile,
			      kpg_err *err)
{
	aws_creds c;
	int found = 0, rc;

	memset(&c, 0, sizeof(c));
	rc = aws_creds_profile_load(p->cred_path, p->config_path, p->profile,
				    &found, &c, err);
	if (rc == 0 && explicit_profile && !found) {
		kpg_err_set(err, "AWS_PROFILE \"%s\" is not a profile in %s or %s",
			    p->profile, p->cred_path ? p->cred_path : "(no HOME)",
			    p->config_path ? p->config_path : "(no HOME)");
		rc = KPG_ENOTFOUND;
	}
	if (rc == 0)
		rc = c.access_key_id[0] != '\0';
	aws_creds_wipe(&c);
	return rc;
}

static int setup_web_identity(aws_creds_provider *p, const aws_creds_options *opt,
			      kpg_err *err)
{
	const char *region = opt && opt->region ? opt->region : NULL;
	const char *name = env("AWS_ROLE_SESSION_NAME");
	char buf[1024];
	int rc;

	rc = dup_opt(&p->token_file, env("AWS_WEB_IDENTITY_TOKEN_FILE"), err);
	if (rc == 0)
		rc = dup_opt(&p->role_arn, env("AWS_ROLE_ARN"), err);
	if (rc != 0)
		return rc;
	if (name == NULL) {
		snprintf(buf, sizeof(buf), "kpigate-%ld", (long)getpid());
		name = buf;
	}
	rc = dup_opt(&p->session_name, name, err);
	if (rc != 0)
		return rc;
	region = aws_region_resolve(region, NULL);
	rc = aws_endpoint_resolve("STS", NULL, "sts",
				  region ? region : "us-east-1", buf,
				  sizeof(buf), err);
	if (rc != 0)
		return rc;
	return dup_opt(&p->sts_endpoint, buf, err);
}

static int setup_container(aws_creds_provider *p, kpg_err *err)
{
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	char buf[4096];
	int rc;

	if (rel != NULL) {
		if (snprintf(buf, sizeof(buf), "%s%s%s", ECS_HOST,
			     rel[0] == '/' ? "" : "/", rel) >= (int)sizeof(buf)) {
			kpg_err_set(err, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI "
					 "is too long");
			return KPG_ETOOBIG;
		}
		rc = dup_opt(&p->container_url, buf, err);
	} else {
		if (!aws_creds_container_host_ok(full)) {
			kpg_err_set(err, "AWS_CONTAINER_CREDENTIALS_FULL_URI must "
					 "be https, or http to a loopback address or "
					 "169.254.170.2 / 169.254.170.23 / "
					 "[fd00:ec2::23]");
			return KPG_EINVAL;
		}
		rc = dup_opt(&p->container_url, full, err);
	}
	if (rc == 0)
		rc = dup_opt(&p->auth_token_file,
			     env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), err);
	p->auth_env = env("AWS_CONTAINER_AUTHORIZATION_TOKEN") != NULL;
	return rc;
}

static int setup_imds(aws_creds_provider *p, kpg_err *err)
{
	const char *e = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	size_t n;
	int rc = dup_opt(&p->imds_endpoint, e ? e : IMDS_DEFAULT, err);

	if (rc != 0)
		return rc;
	n = strlen(p->imds_endpoint);
	while (n > 0 && p->imds_endpoint[n - 1] == '/')
		p->imds_endpoint[--n] = '\0';
	if (strncasecmp(p->imds_endpoint, "http://", 7) != 0 &&
	    strncasecmp(p->imds_endpoint, "https://", 8) != 0) {
		kpg_err_set(err, "AWS_EC2_METADATA_SERVICE_ENDPOINT must be an "
				 "http:// or https:// URL");
		return KPG_EINVAL;
	}
	return 0;
}

int aws_creds_provider_new(aws_creds_provider **out,
			   const aws_creds_options *opt, kpg_err *err)
{
	aws_creds_provider *p;
	const char *prof = env("AWS_PROFILE");
	int rc;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		kpg_err_set(err, "libcurl could not be initialised");
		rc = KPG_EIO;
		goto fail;
	}
	p->curl_inited = 1;
	p->timeout_ms = opt && opt->timeout_ms > 0 ? opt->timeout_ms
						   : TIMEOUT_DEFAULT_MS;
	rc = dup_opt(&p->ca_bundle, opt && opt->ca_bundle ? opt->ca_bundle : env("AWS_CA_BUNDLE"),
		     err);
	if (rc == 0)
		rc = dup_opt(&p->profile, prof ? prof : "default", err);
	if (rc == 0)
		rc = file_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials",
			       &p->cred_path, err);
	if (rc == 0)
		rc = file_path("AWS_CONFIG_FILE", ".aws/config", &p->config_path,
			       err);
	if (rc != 0)
		goto fail;

	/* 1. environment */
	rc = env_configured(err);
	if (rc < 0)
		goto fail;
	if (rc == 1) {
		p->kind = SRC_ENV;
		goto done;
	}
	/* 2. shared files */
	rc = profile_configured(p, prof != NULL, err);
	if (rc < 0)
		goto fail;
	if (rc == 1) {
		p->kind = SRC_PROFILE;
		goto done;
	}
	/* 3. web identity */
	if (env("AWS_WEB_IDENTITY_TOKEN_FILE") || env("AWS_ROLE_ARN")) {
		if (!env("AWS_WEB_IDENTITY_TOKEN_FILE") || !env("AWS_ROLE_ARN")) {
			kpg_err_set(err, "%s is set but %s is not (web identity "
					 "needs both)",
				    env("AWS_ROLE_ARN") ? "AWS_ROLE_ARN"
							: "AWS_WEB_IDENTITY_TOKEN_FILE",
				    env("AWS_ROLE_ARN") ? "AWS_WEB_IDENTITY_TOKEN_FILE"
							: "AWS_ROLE_ARN");
			rc = KPG_EINVAL;
			goto fail;
		}
		p->kind = SRC_WEB_IDENTITY;
		rc = setup_web_identity(p, opt, err);
		if (rc != 0)
			goto fail;
		goto done;
	}
	/* 4. container */
	if (env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
	    env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
		p->kind = SRC_CONTAINER;
		rc = setup_container(p, err);
		if (rc != 0)
			goto fail;
		goto done;
	}
	/* 5. instance metadata, the fallback unless disabled */
	if (!is_true(env("AWS_EC2_METADATA_DISABLED"))) {
		p->kind = SRC_IMDS;
		rc = setup_imds(p, err);
		if (rc != 0)
			goto fail;
		goto done;
	}
	kpg_err_set(err, "no AWS credentials configured: looked for "
			 "AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, profile \"%s\" "
			 "with keys in %s or %s, AWS_WEB_IDENTITY_TOKEN_FILE + "
			 "AWS_ROLE_ARN, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or "
			 "_FULL_URI; EC2 instance metadata is off "
			 "(AWS_EC2_METADATA_DISABLED=true)",
		    p->profile, p->cred_path ? p->cred_path : "~/.aws/credentials",
		    p->config_path ? p->config_path : "~/.aws/config");
	rc = KPG_ENOTFOUND;
	goto fail;
done:
	*out = p;
	return 0;
fail:
	aws_creds_provider_free(p);
	return rc;
}

void aws_creds_provider_free(aws_creds_provider *p)
{
	if (p == NULL)
		return;
	aws_creds_wipe(&p->cur);
	free(p->ca_bundle);
	free(p->cred_path);
	free(p->config_path);
	free(p->profile);
	free(p->token_file);
	free(p->role_arn);
	free(p->session_name);
	free(p->sts_endpoint);
	free(p->container_url);
	free(p->auth_token_file);
	free(p->imds_endpoint);
	if (p->curl_inited)
		curl_global_cleanup();
	free(p);
}

const char *aws_creds_provider_source(const aws_creds_provider *p)
{
	return src_names[p->kind];
}

int aws_creds_needs_refresh(int64_t expires_ms, int64_t now_ms)
{
	return expires_ms != 0 && now_ms >= expires_ms - AWS_CREDS_REFRESH_MS;
}

static int fetch_env(aws_creds *c, kpg_err *err)
{
	const char *id = env("AWS_ACCESS_KEY_ID");
	const char *sk = env("AWS_SECRET_ACCESS_KEY");
	const char *tok = env("AWS_SESSION_TOKEN");
	int rc;

	if (id == NULL || sk == NULL) {
		kpg_err_set(err, "environment: AWS_ACCESS_KEY_ID and "
				 "AWS_SECRET_ACCESS_KEY are no longer both set");
		return KPG_EIO;
	}
	rc = aws_creds_copy_field(c->access_key_id, sizeof(c->access_key_id),
				  id, strlen(id), "AWS_ACCESS_KEY_ID", err);
	if (rc == 0)
		rc = aws_creds_copy_field(c->secret_access_key,
					  sizeof(c->secret_access_key), sk,
					  strlen(sk), "AWS_SECRET_ACCESS_KEY", err);
	if (rc == 0 && tok != NULL)
		rc = aws_creds_copy_field(c->session_token,
					  sizeof(c->session_token), tok,
					  strlen(tok), "AWS_SESSION_TOKEN", err);
	c->expires_ms = 0;
	return rc;
}

static int fetch(aws_creds_provider *p, aws_creds *c, kpg_err *err)
{
	aws_creds_sts_req rq;
	int found = 0, rc;

	switch (p->kind) {
	case SRC_ENV:
		return fetch_env(c, err);
	case SRC_PROFILE:
		rc = aws_creds_profile_load(p->cred_path, p->config_path,
					    p->profile, &found, c, err);
		if (rc == 0 && c->access_key_id[0] == '\0') {
			kpg_err_set(err, "profile \"%s\" no longer has keys in "
					 "%s or %s",
				    p->profile,
				    p->cred_path ? p->cred_path : "-",
				    p->config_path ? p->config_path : "-");
			rc = KPG_EIO;
		}
		return rc;
	case SRC_WEB_IDENTITY:
		memset(&rq, 0, sizeof(rq));
		rq.endpoint = p->sts_endpoint;
		rq.role_arn = p->role_arn;
		rq.session_name = p->session_name;
		rq.token_file = p->token_file;
		rq.ca_bundle = p->ca_bundle;
		rq.timeout_ms = p->timeout_ms;
		return aws_creds_fetch_sts(&rq, c, err);
	case SRC_CONTAINER:
		return aws_creds_fetch_container(p->container_url,
						 p->auth_token_file, p->auth_env,
						 p->ca_bundle, p->timeout_ms, c, err);
	case SRC_IMDS:
		rc = aws_creds_fetch_imds(p->imds_endpoint, p->timeout_ms, c, err);
		if (rc != 0 && strlen(err->msg) < sizeof(err->msg) - 100) {
			kpg_err fb = *err;

			kpg_err_set(err, "%s (EC2 instance metadata is the last "
					 "resort: no other AWS credential source is "
					 "configured)",
				    fb.msg);
		}
		return rc;
	}
	kpg_err_set(err, "unknown credential source");
	return KPG_EINVAL;
}

int aws_creds_get(aws_creds_provider *p, aws_creds *out, kpg_err *err)
{
	int64_t now = kpg_time_now_ms();
	aws_creds fresh;
	kpg_err e2;
	int rc;

	if (p->have && !aws_creds_needs_refresh(p->cur.expires_ms, now))
		goto copy;
	memset(&fresh, 0, sizeof(fresh));
	kpg_err_clear(&e2);
	rc = fetch(p, &fresh, &e2);
	if (rc != 0) {
		aws_creds_wipe(&fresh);
		if (rc != KPG_ENOMEM)
			rc = KPG_EIO; /* the header's one code for "none to give" */
		if (p->have && (p->cur.expires_ms == 0 || now < p->cur.expires_ms)) {
			log_warnx("aws credentials: refresh from %s failed, the "
				  "current ones are used until they expire: %s",
				  src_names[p->kind], e2.msg);
			goto copy;
		}
		kpg_err_set(err, "%s", e2.msg);
		aws_creds_wipe(out);
		return rc;
	}
	aws_creds_wipe(&p->cur);
	p->cur = fresh;
	p->cur.source = src_names[p->kind];
	p->have = 1;
	aws_creds_wipe(&fresh);
copy:
	*out = p->cur;
	return 0;
}

void aws_creds_invalidate(aws_creds_provider *p)
{
	if (p == NULL)
		return;
	aws_creds_wipe(&p->cur);
	p->have = 0;
}

void aws_creds_wipe(aws_creds *c)
{
	if (c == NULL)
		return;
	explicit_bzero(c->access_key_id, sizeof(c->access_key_id));
	explicit_bzero(c->secret_access_key, sizeof(c->secret_access_key));
	explicit_bzero(c->session_token, sizeof(c->session_token));
	c->expires_ms = 0;
	c->source = NULL;
}

int aws_creds_no_core_dumps(void)
{
	struct rlimit rl = {0, 0};

	return setrlimit(RLIMIT_CORE, &rl) == 0 ? 0 : KPG_EIO;
}
