/* aws_creds.h - the container's AWS credentials, found the way the AWS
 * SDKs find them, and kept fresh:
 *
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 *      (+ AWS_SESSION_TOKEN)
 *   2. shared files: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
 *      AWS_CONFIG_FILE (~/.aws/config), profile AWS_PROFILE (default
 *      "default"): aws_access_key_id, aws_secret_access_key,
 *      aws_session_token
 *   3. web identity (EKS IRSA): AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
 *      (+ AWS_ROLE_SESSION_NAME) -> STS AssumeRoleWithWebIdentity; the
 *      token file is read again at every refresh
 *   4. container (ECS, EKS Pod Identity): AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 *      (http://169.254.170.2 + it) or AWS_CONTAINER_CREDENTIALS_FULL_URI,
 *      with AWS_CONTAINER_AUTHORIZATION_TOKEN or
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE as the Authorization header
 *   5. EC2 instance metadata, IMDSv2 only (token PUT, then the role's
 *      credentials); AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the
 *      address, AWS_EC2_METADATA_DISABLED=true skips it
 *
 * The first source that is configured is used (as the SDKs do: a
 * configured source that fails is an error, not a fall-through), and is
 * kept: credentials that expire are fetched again from it 5 minutes before
 * they do. Secrets never appear in messages or logs. */
#ifndef AWS_CREDS_H
#define AWS_CREDS_H

#include <stdint.h>

#include "kpg_error.h"

typedef struct aws_creds {
	char access_key_id[129];
	char secret_access_key[129];
	char session_token[4097]; /* "" = none */
	int64_t expires_ms;       /* wall clock; 0 = does not expire */
	const char *source;       /* static: "environment", "profile",
				     "web_identity", "container", "imds" */
} aws_creds;

typedef struct aws_creds_options {
	const char *region;    /* for STS' regional endpoint; NULL =
				  AWS_REGION / AWS_DEFAULT_REGION /
				  us-east-1 */
	const char *ca_bundle; /* for HTTPS (STS): NULL = AWS_CA_BUNDLE
				  or the system's */
	int timeout_ms;        /* per HTTP call; 0 = 5000 */
} aws_creds_options;

typedef struct aws_creds_provider aws_creds_provider;

/* Finds which source is configured (reads no secret yet, calls nothing).
 * KPG_ENOTFOUND when none is (message lists what was looked for). Caller
 * frees with aws_creds_provider_free. opt may be NULL; its strings are
 * copied. */
int aws_creds_provider_new(aws_creds_provider **out,
			   const aws_creds_options *opt, kpg_err *err);
void aws_creds_provider_free(aws_creds_provider *p);

/* The source's name ("environment", ..., see aws_creds.source). */
const char *aws_creds_provider_source(const aws_creds_provider *p);

/* Current credentials into *out (a copy: wipe it with aws_creds_wipe when
 * done). Fetches them on first use and again when within 5 minutes of
 * expiry (or expired). KPG_EIO when the source cannot give any (message
 * without secrets); previously fetched credentials that have not expired
 * yet are returned instead of failing. Not thread-safe: one provider per
 * thread, or a lock around it. */
int aws_creds_get(aws_creds_provider *p, aws_creds *out, kpg_err *err);

/* Forces the next aws_creds_get to fetch again (e.g. after the service
 * answered ExpiredTokenException). */
void aws_creds_invalidate(aws_creds_provider *p);

/* Zeroes the secrets in c (explicit_bzero). */
void aws_creds_wipe(aws_creds *c);

/* Turns core dumps off for this process (RLIMIT_CORE 0): a process that
 * holds AWS secrets, in its environment or in memory, must not write
 * them to a core file. Called by every command that may sign a request. */
int aws_creds_no_core_dumps(void);

#endif
