/* aws_endpoint.c - where an AWS service is reached and in which region
 * (aws_endpoint_resolve, aws_region_resolve in aws_call.h), following the
 * SDKs' service-specific endpoint variables (AWS_ENDPOINT_URL_<SERVICE>,
 * AWS_ENDPOINT_URL). */
#include "aws_call.h"
#include "aws_call_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *nonempty_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* Region names and signing names are [a-z0-9-]: anything else cannot
 * make a host name or a SigV4 scope. */
int aws_call_valid_label(const char *s)
{
	if (!s || !*s || strlen(s) > 63)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-'))
			return 0;
	return 1;
}

int aws_endpoint_resolve(const char *env_name, const char *config_override,
			 const char *default_host, const char *region,
			 char *out, size_t cap, kpg_err *err)
{
	char var[96];
	const char *url = NULL;
	size_t n;
	int w;

	if (!out || cap == 0 || !default_host || !*default_host) {
		kpg_err_set(err, "aws endpoint: no output buffer or no default host");
		return KPG_EINVAL;
	}
	out[0] = '\0';
	if (env_name && *env_name) {
		w = snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_%s", env_name);
		if (w < 0 || (size_t)w >= sizeof(var)) {
			kpg_err_set(err, "aws endpoint: service name too long");
			return KPG_EINVAL;
		}
		url = nonempty_env(var);
	}
	if (!url && config_override && *config_override)
		url = config_override;
	if (!url)
		url = nonempty_env("AWS_ENDPOINT_URL");

	if (url) {
		n = strlen(url);
		while (n > 0 && url[n - 1] == '/')
			n--;
		if (strncmp(url, "https://", 8) != 0 &&
		    strncmp(url, "http://", 7) != 0) {
			kpg_err_set(err, "aws endpoint: %.*s is not an http(s) URL",
				    (int)(n > 200 ? 200 : n), url);
			return KPG_EINVAL;
		}
		if (n >= cap) {
			kpg_err_set(err, "aws endpoint: URL longer than %zu bytes",
				    cap - 1);
			return KPG_ETOOBIG;
		}
		memcpy(out, url, n);
		out[n] = '\0';
		return 0;
	}

	if (!aws_call_valid_label(region)) {
		kpg_err_set(err, "aws endpoint: no region for the default %s "
				 "endpoint (set AWS_REGION)",
			    default_host);
		return KPG_EINVAL;
	}
	/* China's partition has its own domain. */
	w = snprintf(out, cap, "https://%s.%s.amazonaws.com%s", default_host,
		     region, strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	if (w < 0 || (size_t)w >= cap) {
		out[0] = '\0';
		kpg_err_set(err, "aws endpoint: URL longer than %zu bytes", cap - 1);
		return KPG_ETOOBIG;
	}
	return 0;
}

const char *aws_region_resolve(const char *explicit_region,
			       const char *config_region)
{
	const char *r;

	if (explicit_region && *explicit_region)
		return explicit_region;
	if (config_region && *config_region)
		return config_region;
	if ((r = nonempty_env("AWS_REGION")))
		return r;
	return nonempty_env("AWS_DEFAULT_REGION");
}
