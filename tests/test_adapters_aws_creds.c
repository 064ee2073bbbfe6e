/* test_adapters_aws_creds.c - the credential chain without a network:
 * source selection from the environment, the shared files (profiles,
 * precedence, malformed files), the "nothing configured" message, the
 * parsers of the STS / container answers and the expiry arithmetic.
 * The HTTP sources are tested against the emulator in
 * test_adapters_aws_creds_net.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "aws_env_fixture.h"
#include "aws_creds.h"
#include "aws_creds_internal.h"

static char tmpdir[256];


/* Every test starts from an environment with no AWS variable and a HOME
 * without ~/.aws. */
static int clean_env(void **state)
{
	char home[300];

	(void)state;
	aws_env_clear();
	snprintf(home, sizeof(home), "%s/home", tmpdir);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void path_in(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", tmpdir, name);
}

/* Asserts that msg names none of the secrets (NULL-terminated list). */
static void assert_no_secret(const char *msg, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, msg);
	while ((s = va_arg(ap, const char *)) != NULL) {
		if (strstr(msg, s) != NULL)
			fail_msg("message \"%s\" holds a secret", msg);
	}
	va_end(ap);
}

static void test_env_with_and_without_token(void **state)
{
	aws_creds_provider *p = NULL;
	aws_creds c;
	kpg_err err = {""};

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret/env+1", 1);
	/* the environment wins over a profile that also has keys */
	{
		char cred[300];

		path_in(cred, sizeof(cred), "env_creds");
		write_file(cred, "[default]\naws_access_key_id=AKIDFILE\n"
				 "aws_secret_access_key=sfile\n");
		setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	}
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_string_equal(aws_creds_provider_source(p), "environment");
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDENV");
	assert_string_equal(c.secret_access_key, "secret/env+1");
	assert_string_equal(c.session_token, "");
	assert_true(c.expires_ms == 0);
	assert_string_equal(c.source, "environment");
	aws_creds_wipe(&c);
	assert_string_equal(c.secret_access_key, "");
	assert_null(c.source);
	aws_creds_provider_free(p);

	setenv("AWS_SESSION_TOKEN", "tok-env-123", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_string_equal(c.session_token, "tok-env-123");
	aws_creds_wipe(&c);
	aws_creds_provider_free(p);

	/* half a pair is a configuration error, not a fall-through */
	unsetenv("AWS_SECRET_ACCESS_KEY");
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), KPG_EINVAL);
	assert_null(p);
	assert_non_null(strstr(err.msg, "AWS_SECRET_ACCESS_KEY"));
	assert_no_secret(err.msg, "tok-env-123", NULL);
}

static const char cred_text[] =
	"# the credentials file\r\n"
	"[default]\r\n"
	"aws_access_key_id = AKIDDEFAULT\r\n"
	"aws_secret_access_key = sdefault\r\n"
	"\r\n"
	"; the dev profile\r\n"
	"[ dev ]   # trailing comment\r\n"
	"\tAWS_ACCESS_KEY_ID=AKIDDEVCRED\r\n"
	"aws_secret_access_key   =   s/dev+cred==   \r\n"
	"aws_session_token = tokdevcred\r\n"
	"region = eu-west-1\r\n"
	"[other]\n"
	"aws_access_key_id = AKIDOTHER\n"
	"aws_secret_access_key = sother\n";

static const char config_text[] =
	"[default]\n"
	"region = us-east-1\n"
	"[profile dev]\n"
	"aws_access_key_id = AKIDDEVCONFIG\n"
	"aws_secret_access_key = sdevconfig\n"
	"[profile cfgonly]\n"
	"s3 =\n"
	"    max_concurrent_requests = 20\n"
	"    aws_access_key_id = NESTEDNOTAKEY\n"
	"aws_access_key_id = AKIDCFGONLY\n"
	"aws_secret_access_key = scfgonly\n"
	"aws_session_token = tokcfgonly\n"
	"[cfgplain]\n"
	"aws_access_key_id = AKIDPLAIN\n"
	"aws_secret_access_key = splain\n"
	"[profile regiononly]\n"
	"region = eu-west-1\n";

static void use_files(void)
{
	char cred[300], conf[300];

	path_in(cred, sizeof(cred), "credentials");
	path_in(conf, sizeof(conf), "config");
	write_file(cred, cred_text);
	write_file(conf, config_text);
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static void get_profile(const char *profile, const char *akid,
			const char *secret, const char *token)
{
	aws_creds_provider *p = NULL;
	aws_creds c;
	kpg_err err = {""};

	if (profile)
		setenv("AWS_PROFILE", profile, 1);
	else
		unsetenv("AWS_PROFILE");
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_string_equal(aws_creds_provider_source(p), "profile");
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_string_equal(c.access_key_id, akid);
	assert_string_equal(c.secret_access_key, secret);
	assert_string_equal(c.session_token, token);
	assert_true(c.expires_ms == 0);
	assert_string_equal(c.source, "profile");
	aws_creds_wipe(&c);
	aws_creds_provider_free(p);
}

static void test_profiles_and_precedence(void **state)
{
	(void)state;
	use_files();
	get_profile(NULL, "AKIDDEFAULT", "sdefault", "");
	/* in both files: the credentials file wins, whole (no mixing) */
	get_profile("dev", "AKIDDEVCRED", "s/dev+cred==", "tokdevcred");
	/* config only, as [profile NAME]; an indented line under "s3 =" is
	 * part of that value, not a key */
	get_profile("cfgonly", "AKIDCFGONLY", "scfgonly", "tokcfgonly");
	get_profile("other", "AKIDOTHER", "sother", "");
}

static void test_profile_home_default(void **state)
{
	char dir[400], path[450];
	aws_creds_provider *p = NULL;
	aws_creds c;
	kpg_err err = {""};

	(void)state;
	snprintf(dir, sizeof(dir), "%s/.aws", getenv("HOME"));
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/credentials", dir);
	write_file(path, "[default]\naws_access_key_id=AKIDHOME\n"
			 "aws_secret_access_key=shome\n");
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_string_equal(aws_creds_provider_source(p), "profile");
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDHOME");
	aws_creds_wipe(&c);
	aws_creds_provider_free(p);
	/* "~/" in the variable is HOME too */
	write_file(path, "[default]\naws_access_key_id=AKIDTILDE\n"
			 "aws_secret_access_key=stilde\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDTILDE");
	aws_creds_wipe(&c);
	aws_creds_provider_free(p);
	unlink(path);
	rmdir(dir);
}

static void test_profile_missing_and_without_keys(void **state)
{
	aws_creds_provider *p = NULL;
	kpg_err err = {""};

	(void)state;
	use_files();
	/* an explicit profile that is in neither file */
	setenv("AWS_PROFILE", "nosuch", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), KPG_ENOTFOUND);
	assert_null(p);
	assert_non_null(strstr(err.msg, "\"nosuch\""));
	assert_non_null(strstr(err.msg, "credentials"));
	/* [NAME] in the config file is not a profile (only [profile NAME]) */
	setenv("AWS_PROFILE", "cfgplain", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), KPG_ENOTFOUND);
	/* a profile without keys falls through to the next source */
	setenv("AWS_PROFILE", "regiononly", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), KPG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "no AWS credentials configured"));
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
	       "http://127.0.0.1:9/creds", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_string_equal(aws_creds_provider_source(p), "container");
	aws_creds_provider_free(p);
	/* no AWS_PROFILE and no [default] anywhere: not an error */
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	{
		char cred[300];

		path_in(cred, sizeof(cred), "cred_nodefault");
		write_file(cred, "[x]\naws_access_key_id=A\naws_secret_access_key=B\n");
		setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
		setenv("AWS_CONFIG_FILE", "/nonexistent/kpigate/config", 1);
	}
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), KPG_ENOTFOUND);
}

static void expect_malformed(const char *text, int want_rc, const char *want)
{
	char cred[300];
	aws_creds_provider *p = NULL;
	kpg_err err = {""};

	path_in(cred, sizeof(cred), "malformed");
	write_file(cred, text);
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), want_rc);
	assert_null(p);
	if (strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	assert_no_secret(err.msg, "SECRETVALUE", NULL);
}

static void test_malformed_files(void **state)
{
	char big[300];
	FILE *f;

	(void)state;
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	expect_malformed("aws_secret_access_key = SECRETVALUE\n[default]\n",
			 KPG_EPARSE, "malformed:1: key before the first");
	expect_malformed("[default]\naws_access_key_id = A\n"
			 "aws_secret_access_key SECRETVALUE\n",
			 KPG_EPARSE, "malformed:3: expected key = value");
	expect_malformed("# c\n[default\naws_access_key_id = A\n", KPG_EPARSE,
			 "malformed:2: section header without ']'");
	expect_malformed("[default] x\n", KPG_EPARSE, "malformed:1: text after");
	expect_malformed("[default]\n= SECRETVALUE\n", KPG_EPARSE,
			 "malformed:2: expected key = value");
	/* half a pair */
	expect_malformed("[default]\naws_secret_access_key = SECRETVALUE\n",
			 KPG_EINVAL, "aws_secret_access_key without "
				     "aws_access_key_id");
	/* a value longer than its field */
	{
		char text[400];

		snprintf(text, sizeof(text), "[default]\naws_access_key_id = %0200d\n"
					     "aws_secret_access_key = SECRETVALUE\n",
			 7);
		expect_malformed(text, KPG_ETOOBIG,
				 "malformed:2: aws_access_key_id is longer");
	}
	/* a file over the 1 MiB cap */
	path_in(big, sizeof(big), "big");
	f = fopen(big, "wb");
	assert_non_null(f);
	fputs("[default]\n", f);
	for (int i = 0; i < 70000; i++)
		fputs("# padding padding\n", f);
	fclose(f);
	setenv("AWS_SHARED_CREDENTIALS_FILE", big, 1);
	{
		aws_creds_provider *p = NULL;
		kpg_err err = {""};

		assert_int_equal(aws_creds_provider_new(&p, NULL, &err),
				 KPG_ETOOBIG);
		assert_non_null(strstr(err.msg, "larger than 1048576"));
	}
}

/* Static keys are read once and kept; aws_creds_invalidate reads the
 * files again, and a file broken since is then KPG_EIO with file:line. */
static void test_profile_reread(void **state)
{
	aws_creds_provider *p = NULL;
	aws_creds c;
	kpg_err err = {""};
	char cred[300];

	(void)state;
	path_in(cred, sizeof(cred), "reread");
	write_file(cred, "[default]\naws_access_key_id=AKIDONE\n"
			 "aws_secret_access_key=sone\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDONE");
	write_file(cred, "[default]\naws_access_key_id=AKIDTWO\n"
			 "aws_secret_access_key=stwo\n");
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDONE");
	aws_creds_invalidate(p);
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDTWO");
	assert_string_equal(c.secret_access_key, "stwo");
	write_file(cred, "[default]\naws_access_key_id=AKIDTHREE\n"
			 "aws_secret_access_key sthree\n");
	aws_creds_invalidate(p);
	assert_int_equal(aws_creds_get(p, &c, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "reread:3: expected key = value"));
	assert_no_secret(err.msg, "sthree", "stwo", NULL);
	assert_string_equal(c.access_key_id, "");
	aws_creds_provider_free(p);
}

static void test_no_source(void **state)
{
	aws_creds_provider *p = NULL;
	kpg_err err = {""};

	(void)state;
	setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), KPG_ENOTFOUND);
	assert_null(p);
	assert_non_null(strstr(err.msg, "no AWS credentials configured"));
	assert_non_null(strstr(err.msg, "AWS_ACCESS_KEY_ID"));
	assert_non_null(strstr(err.msg, "profile \"default\""));
	assert_non_null(strstr(err.msg, "/home/.aws/credentials"));
	assert_non_null(strstr(err.msg, "AWS_WEB_IDENTITY_TOKEN_FILE"));
	assert_non_null(strstr(err.msg, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
	assert_non_null(strstr(err.msg, "AWS_EC2_METADATA_DISABLED"));
	/* with IMDS allowed it is the fallback: chosen without any call */
	unsetenv("AWS_EC2_METADATA_DISABLED");
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_string_equal(aws_creds_provider_source(p), "imds");
	aws_creds_provider_free(p);
}

static void test_source_selection(void **state)
{
	aws_creds_provider *p = NULL;
	kpg_err err = {""};
	char tok[300];

	(void)state;
	path_in(tok, sizeof(tok), "wi_token");
	write_file(tok, "header.payload.sig\n");
	/* half of web identity is an error */
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "AWS_WEB_IDENTITY_TOKEN_FILE"));
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
	/* web identity comes before the container */
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_string_equal(aws_creds_provider_source(p), "web_identity");
	aws_creds_provider_free(p);
	unsetenv("AWS_ROLE_ARN");
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_string_equal(aws_creds_provider_source(p), "container");
	aws_creds_provider_free(p);
	/* a FULL_URI over plain http to a foreign host would leak the token */
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/c", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), KPG_EINVAL);
	assert_non_null(strstr(err.msg, "FULL_URI"));
	assert_true(aws_creds_container_host_ok("http://127.0.0.1:8080/x"));
	assert_true(aws_creds_container_host_ok("http://localhost/x"));
	assert_true(aws_creds_container_host_ok("http://169.254.170.2/v2/c"));
	assert_true(aws_creds_container_host_ok("http://169.254.170.23/v1/c"));
	assert_true(aws_creds_container_host_ok("http://[fd00:ec2::23]/v1/c"));
	assert_true(aws_creds_container_host_ok("http://[::1]:80/"));
	assert_true(aws_creds_container_host_ok("https://example.com/c"));
	assert_false(aws_creds_container_host_ok("http://127.0.0.1.evil.com/"));
	assert_false(aws_creds_container_host_ok("http://169.254.170.20/"));
	assert_false(aws_creds_container_host_ok("ftp://127.0.0.1/"));
}

/* Reference: timegm of the broken-down time, in ms. */
static int64_t ref_ms(int y, int mo, int d, int h, int mi, int s, int ms)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static const char sts_ok[] =
	"<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/"
	"doc/2011-06-15/\">\n <AssumeRoleWithWebIdentityResult>\n"
	"  <AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn>"
	"</AssumedRoleUser>\n"
	"  <Credentials>\n"
	"   <SessionToken>FwoGZX&amp;IvYXdz+/=</SessionToken>\n"
	"   <SecretAccessKey>wJalrXUt/K7MDENG+bPx</SecretAccessKey>\n"
	"   <Expiration>%s</Expiration>\n"
	"   <AccessKeyId>ASIAEXAMPLE</AccessKeyId>\n"
	"  </Credentials>\n </AssumeRoleWithWebIdentityResult>\n"
	"</AssumeRoleWithWebIdentityResponse>\n";

static void test_sts_xml(void **state)
{
	char xml[2048], *big;
	aws_creds c;
	kpg_err err = {""};
	size_t n;

	(void)state;
	snprintf(xml, sizeof(xml), sts_ok, "2026-12-01T21:00:00Z");
	assert_int_equal(aws_creds_parse_sts_xml(xml, strlen(xml), &c, &err), 0);
	assert_string_equal(c.access_key_id, "ASIAEXAMPLE");
	assert_string_equal(c.secret_access_key, "wJalrXUt/K7MDENG+bPx");
	assert_string_equal(c.session_token, "FwoGZX&IvYXdz+/=");
	assert_true(c.expires_ms == ref_ms(2026, 12, 1, 21, 0, 0, 0));
	snprintf(xml, sizeof(xml), sts_ok, "2026-12-01T21:00:00.250Z");
	assert_int_equal(aws_creds_parse_sts_xml(xml, strlen(xml), &c, &err), 0);
	assert_true(c.expires_ms == ref_ms(2026, 12, 1, 21, 0, 0, 250));
	snprintf(xml, sizeof(xml), sts_ok, "2024-02-29T23:59:59.123456Z");
	assert_int_equal(aws_creds_parse_sts_xml(xml, strlen(xml), &c, &err), 0);
	assert_true(c.expires_ms == ref_ms(2024, 2, 29, 23, 59, 59, 123));
	/* a bad time, and no secret in the message */
	snprintf(xml, sizeof(xml), sts_ok, "tomorrow");
	assert_int_equal(aws_creds_parse_sts_xml(xml, strlen(xml), &c, &err),
			 KPG_EPARSE);
	assert_non_null(strstr(err.msg, "Expiration"));
	assert_string_equal(c.secret_access_key, "");
	assert_no_secret(err.msg, "wJalrXUt", "FwoGZX", NULL);
	/* truncated answer: the closing tag of Credentials is missing */
	snprintf(xml, sizeof(xml), sts_ok, "2026-12-01T21:00:00Z");
	n = (size_t)(strstr(xml, "</Credentials>") - xml);
	assert_int_equal(aws_creds_parse_sts_xml(xml, n, &c, &err), KPG_EPARSE);
	/* the AccessKeyId outside Credentials does not count */
	{
		const char *x = "<R><AccessKeyId>A</AccessKeyId><Credentials>"
				"<SecretAccessKey>S</SecretAccessKey>"
				"<SessionToken>T</SessionToken><Expiration>"
				"2026-12-01T21:00:00Z</Expiration></Credentials></R>";

		assert_int_equal(aws_creds_parse_sts_xml(x, strlen(x), &c, &err),
				 KPG_EPARSE);
		assert_non_null(strstr(err.msg, "AccessKeyId"));
	}
	/* an unknown entity and markup inside a value */
	{
		const char *x = "<Credentials><AccessKeyId>A&bogus;</AccessKeyId>"
				"</Credentials>";

		assert_int_equal(aws_creds_parse_sts_xml(x, strlen(x), &c, &err),
				 KPG_EPARSE);
	}
	/* a session token over 4096 characters */
	big = malloc(8000);
	assert_non_null(big);
	n = (size_t)sprintf(big, "<Credentials><AccessKeyId>A</AccessKeyId>"
				 "<SecretAccessKey>S</SecretAccessKey><SessionToken>");
	memset(big + n, 'T', 5000);
	n += 5000;
	n += (size_t)sprintf(big + n, "</SessionToken><Expiration>2026-12-01T21:"
				      "00:00Z</Expiration></Credentials>");
	assert_int_equal(aws_creds_parse_sts_xml(big, n, &c, &err), KPG_ETOOBIG);
	assert_non_null(strstr(err.msg, "SessionToken is longer than 4096"));
	assert_string_equal(c.session_token, "");
	free(big);
}

static void test_container_json(void **state)
{
	const char *ok = "{\"AccessKeyId\":\"ASIAJSON\",\"SecretAccessKey\":"
			 "\"sjson/+\",\"Token\":\"tjson\",\"Expiration\":"
			 "\"2026-12-01T21:00:00Z\",\"RoleArn\":\"arn:x\"}";
	const char *imds = "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\","
			   "\"AccessKeyId\":\"ASIAIMDS\",\"SecretAccessKey\":"
			   "\"simds\",\"Token\":\"timds\",\"Expiration\":"
			   "\"2026-12-01T21:00:00.5Z\"}";
	const char *bad;
	aws_creds c;
	kpg_err err = {""};

	(void)state;
	assert_int_equal(aws_creds_parse_json(ok, strlen(ok), &c, &err), 0);
	assert_string_equal(c.access_key_id, "ASIAJSON");
	assert_string_equal(c.secret_access_key, "sjson/+");
	assert_string_equal(c.session_token, "tjson");
	assert_true(c.expires_ms == ref_ms(2026, 12, 1, 21, 0, 0, 0));
	assert_int_equal(aws_creds_parse_json(imds, strlen(imds), &c, &err), 0);
	assert_string_equal(c.access_key_id, "ASIAIMDS");
	assert_true(c.expires_ms == ref_ms(2026, 12, 1, 21, 0, 0, 500));

	bad = "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"AccessKeyId\":\"A\","
	      "\"SecretAccessKey\":\"sbadcode\",\"Expiration\":\"2026-12-01T21:"
	      "00:00Z\"}";
	assert_int_equal(aws_creds_parse_json(bad, strlen(bad), &c, &err),
			 KPG_EIO);
	assert_non_null(strstr(err.msg, "AssumeRoleUnauthorizedAccess"));
	assert_string_equal(c.access_key_id, "");
	/* not JSON: the message gives a position, never the text */
	bad = "{\"SecretAccessKey\": \"sleaky\" oops";
	assert_int_equal(aws_creds_parse_json(bad, strlen(bad), &c, &err),
			 KPG_EPARSE);
	assert_no_secret(err.msg, "sleaky", "oops", NULL);
	assert_non_null(strstr(err.msg, "column"));
	/* missing Expiration */
	bad = "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}";
	assert_int_equal(aws_creds_parse_json(bad, strlen(bad), &c, &err),
			 KPG_EPARSE);
	assert_non_null(strstr(err.msg, "Expiration"));
	/* a number where a string belongs */
	bad = "{\"AccessKeyId\":5,\"SecretAccessKey\":\"S\",\"Expiration\":"
	      "\"2026-12-01T21:00:00Z\"}";
	assert_int_equal(aws_creds_parse_json(bad, strlen(bad), &c, &err),
			 KPG_EPARSE);
	bad = "[1,2]";
	assert_int_equal(aws_creds_parse_json(bad, strlen(bad), &c, &err),
			 KPG_EPARSE);
}

static void test_expiry_arithmetic(void **state)
{
	int64_t exp = ref_ms(2026, 12, 1, 21, 0, 0, 0);
	int64_t five = 5 * 60 * 1000;

	(void)state;
	assert_false(aws_creds_needs_refresh(0, exp)); /* never expires */
	assert_false(aws_creds_needs_refresh(exp, exp - five - 1));
	assert_true(aws_creds_needs_refresh(exp, exp - five));
	assert_true(aws_creds_needs_refresh(exp, exp - 1));
	assert_true(aws_creds_needs_refresh(exp, exp + 3600000));
	/* 240 s credentials are inside the window as soon as they arrive */
	assert_true(aws_creds_needs_refresh(exp, exp - 240000));
	assert_false(aws_creds_needs_refresh(exp, exp - 3600000));
}

static void test_secret_file(void **state)
{
	char path[300], *buf = NULL, *big;
	size_t len = 0;
	kpg_err err = {""};

	(void)state;
	path_in(path, sizeof(path), "tok");
	write_file(path, "abc\n");
	assert_int_equal(aws_creds_read_secret_file(path, 16, &buf, &len, &err),
			 0);
	assert_int_equal(len, 4);
	assert_string_equal(buf, "abc\n");
	aws_creds_free_secret(buf, len);
	big = malloc(100);
	assert_non_null(big);
	memset(big, 'x', 99);
	big[99] = '\0';
	write_file(path, big);
	free(big);
	assert_int_equal(aws_creds_read_secret_file(path, 98, &buf, &len, &err),
			 KPG_ETOOBIG);
	assert_null(buf);
	assert_int_equal(aws_creds_read_secret_file(path, 99, &buf, &len, &err),
			 0);
	assert_int_equal(len, 99);
	aws_creds_free_secret(buf, len);
	assert_int_equal(aws_creds_read_secret_file("/nonexistent/x", 10, &buf,
						    &len, &err),
			 KPG_ENOTFOUND);
	assert_int_equal(aws_creds_read_secret_file(tmpdir, 10, &buf, &len, &err),
			 KPG_EIO);
}

/* A web identity token file that vanished: KPG_EIO before any call is
 * made, the message names the file, and the provider stays usable. */
static void test_web_identity_missing_token_file(void **state)
{
	aws_creds_provider *p = NULL;
	aws_creds c;
	kpg_err err = {""};
	char tok[300];

	(void)state;
	path_in(tok, sizeof(tok), "wi_gone");
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r", 1);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_int_equal(aws_creds_get(p, &c, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "wi_gone"));
	assert_non_null(strstr(err.msg, "AWS_WEB_IDENTITY_TOKEN_FILE"));
	assert_string_equal(c.access_key_id, "");
	aws_creds_provider_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_env_with_and_without_token, clean_env),
		cmocka_unit_test_setup(test_profiles_and_precedence, clean_env),
		cmocka_unit_test_setup(test_profile_home_default, clean_env),
		cmocka_unit_test_setup(test_profile_missing_and_without_keys,
				       clean_env),
		cmocka_unit_test_setup(test_malformed_files, clean_env),
		cmocka_unit_test_setup(test_profile_reread, clean_env),
		cmocka_unit_test_setup(test_no_source, clean_env),
		cmocka_unit_test_setup(test_source_selection, clean_env),
		cmocka_unit_test_setup(test_sts_xml, clean_env),
		cmocka_unit_test_setup(test_container_json, clean_env),
		cmocka_unit_test_setup(test_expiry_arithmetic, clean_env),
		cmocka_unit_test_setup(test_secret_file, clean_env),
		cmocka_unit_test_setup(test_web_identity_missing_token_file,
				       clean_env),
	};
	char cmd[300];
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kpg_aws_creds_XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}
