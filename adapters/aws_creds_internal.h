/* aws_creds_internal.h - the pieces of the credential chain shared by
 * aws_creds.c (source selection, cache), aws_creds_files.c (shared files,
 * secret files) and aws_creds_http.c (STS, container, IMDS), exposed to
 * tests/test_adapters_aws_creds*.c too; not part of the adapter's API.
 *
 * Every buffer that held a secret is wiped (explicit_bzero) before it is
 * freed; no message names a secret or echoes the text it came from. */
#ifndef AWS_CREDS_INTERNAL_H
#define AWS_CREDS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "aws_creds.h"
#include "kpg_error.h"

#define AWS_CREDS_FILE_MAX (1024 * 1024) /* shared credentials/config */
#define AWS_CREDS_TOKEN_MAX (64 * 1024)  /* token files, HTTP answers */
#define AWS_CREDS_REFRESH_MS (5 * 60 * 1000)

/* Reads a small file that may hold secrets into *out (NUL-terminated,
 * *outlen bytes; caller wipes and frees with aws_creds_free_secret) with
 * one allocation, so no stale copy is left behind by realloc. Returns 0,
 * KPG_ENOTFOUND (no such file), KPG_EIO, KPG_ETOOBIG (more than max) or
 * KPG_ENOMEM; err names the path, never the content. */
int aws_creds_read_secret_file(const char *path, size_t max, char **out,
			       size_t *outlen, kpg_err *err);

/* explicit_bzero(s, len) then free(s); NULL is fine. */
void aws_creds_free_secret(char *s, size_t len);

/* Copies s (len bytes) into dst (cap bytes) unless it does not fit or
 * holds a control character: KPG_ETOOBIG / KPG_EPARSE. what names the
 * field in err. */
int aws_creds_copy_field(char *dst, size_t cap, const char *s, size_t len,
			 const char *what, kpg_err *err);

/* Looks for profile in the text of one shared file (len bytes, path for
 * messages). is_config: sections are [default] and [profile NAME] (the
 * config file); otherwise [NAME] (the credentials file). On 0, *found is 1
 * when the profile's section is there, and the keys it has
 * (aws_access_key_id, aws_secret_access_key, aws_session_token; names are
 * case-insensitive) are in out; other keys and indented continuation lines
 * are ignored. KPG_EPARSE ("path:line: ...") for a malformed file,
 * KPG_ETOOBIG for a value longer than its field. */
int aws_creds_ini_find(const char *text, size_t len, const char *path,
		       int is_config, const char *profile, int *found,
		       aws_creds *out, kpg_err *err);

/* The profile from both files (either path may be NULL or missing):
 * the credentials file's keys when its profile has aws_access_key_id,
 * else the config file's. *found = the section is in either file. On 0,
 * out->access_key_id is "" when neither has keys. KPG_EINVAL when a
 * profile has one of the two keys without the other. */
int aws_creds_profile_load(const char *cred_path, const char *config_path,
			   const char *profile, int *found, aws_creds *out,
			   kpg_err *err);

/* STS AssumeRoleWithWebIdentity's XML answer (len bytes) into out: the
 * AccessKeyId, SecretAccessKey, SessionToken and Expiration elements
 * inside Credentials. KPG_EPARSE / KPG_ETOOBIG, err without the values. */
int aws_creds_parse_sts_xml(const char *xml, size_t len, aws_creds *out,
			    kpg_err *err);

/* The JSON of the container endpoint or IMDS (AccessKeyId,
 * SecretAccessKey, Token, Expiration; Code must be "Success" when
 * present) into out. */
int aws_creds_parse_json(const char *json, size_t len, aws_creds *out,
			 kpg_err *err);

/* The HTTP fetchers (aws_creds_http.c). timeout_ms per call. */
typedef struct aws_creds_sts_req {
	const char *endpoint; /* "https://sts.REGION.amazonaws.com" */
	const char *role_arn;
	const char *session_name;
	const char *token_file; /* read at each call */
	const char *ca_bundle;  /* NULL = the system's */
	int timeout_ms;
} aws_creds_sts_req;

int aws_creds_fetch_sts(const aws_creds_sts_req *rq, aws_creds *out,
			kpg_err *err);

/* url: the full URL; the Authorization header comes from token_file
 * (read now) when set, else from the AWS_CONTAINER_AUTHORIZATION_TOKEN
 * environment variable when use_env_token. ca_bundle verifies an https
 * URL (NULL = the system's). */
int aws_creds_fetch_container(const char *url, const char *token_file,
			      int use_env_token, const char *ca_bundle,
			      int timeout_ms, aws_creds *out, kpg_err *err);

/* IMDSv2 at endpoint ("http://169.254.169.254"): token PUT, role name,
 * role credentials; 1 s connect timeout. */
int aws_creds_fetch_imds(const char *endpoint, int timeout_ms, aws_creds *out,
			 kpg_err *err);

/* 1 when the http:// URL may receive a container authorization token:
 * loopback, 169.254.170.2, 169.254.170.23 or fd00:ec2::23, as the SDKs
 * allow; https:// URLs always may. */
int aws_creds_container_host_ok(const char *url);

/* 1 when credentials expiring at expires_ms (0 = never) must be fetched
 * again at now_ms: within AWS_CREDS_REFRESH_MS of expiry, or past it. */
int aws_creds_needs_refresh(int64_t expires_ms, int64_t now_ms);

#endif
