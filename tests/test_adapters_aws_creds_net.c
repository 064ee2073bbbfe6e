/* test_adapters_aws_creds_net.c - the HTTP credential sources against the
 * local AWS emulator (tests/support/aws_mock.py, loopback only): web
 * identity through STS (plain and TLS, token file read again at each
 * refresh), container credentials with a token and a token file, IMDSv2,
 * refresh of credentials near expiry (counted in /_mock/log), failing
 * sources, and no secret in any error message. Skips (77) when
 * /usr/bin/python3 with botocore or the emulator is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "aws_env_fixture.h"
#include "aws_creds.h"
#include "kpg_time.h"

#define MOCK KPG_TEST_DATA_DIR "/../support/aws_mock.py"
#define ROLE_ARN "arn:aws:iam::123456789012:role/kpigate-test"
#define CONTAINER_AUTH "Bearer ctok-5f3a9c1e77"

typedef struct mock {
	pid_t pid;
	char url[256];
	char ca[512];
} mock;

static char tmpdir[256];
static mock plain;

/* Every error message seen, and every secret handed out or configured:
 * the last test checks that no message holds any secret. */
static char *msgs[64];
static int nmsgs;
static char *secrets[256];
static int nsecrets;

static void keep_msg(const char *m)
{
	if (nmsgs < 64)
		msgs[nmsgs++] = strdup(m);
}

static void keep_secret(const char *s)
{
	if (*s != '\0' && nsecrets < 256)
		secrets[nsecrets++] = strdup(s);
}

static void keep_creds(const aws_creds *c)
{
	keep_secret(c->secret_access_key);
	keep_secret(c->session_token);
}


/* Starts the emulator with args (NULL-terminated); 0 or -1. */
static int mock_start(mock *m, const char *const *args)
{
	const char *argv[16];
	int fds[2], n = 0;
	char line[1024];
	size_t len = 0;

	memset(m, 0, sizeof(*m));
	argv[n++] = "/usr/bin/python3";
	argv[n++] = MOCK;
	while (*args != NULL && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe(fds) != 0)
		return -1;
	m->pid = fork();
	if (m->pid < 0)
		return -1;
	if (m->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	/* one line, "url=URL[ ca=PATH]", within 30 s */
	while (len < sizeof(line) - 1) {
		struct pollfd pf = {.fd = fds[0], .events = POLLIN};
		ssize_t got;

		if (poll(&pf, 1, 30000) <= 0)
			break;
		got = read(fds[0], line + len, 1);
		if (got <= 0 || line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	close(fds[0]);
	if (sscanf(line, "url=%255s ca=%511s", m->url, m->ca) < 1 ||
	    strncmp(m->url, "http", 4) != 0) {
		fprintf(stderr, "aws_mock did not start: \"%s\"\n", line);
		kill(m->pid, SIGTERM);
		waitpid(m->pid, NULL, 0);
		m->pid = 0;
		return -1;
	}
	return 0;
}

static void mock_stop(mock *m)
{
	if (m->pid > 0) {
		kill(m->pid, SIGTERM);
		waitpid(m->pid, NULL, 0);
		m->pid = 0;
	}
}

static size_t collect(char *d, size_t s, size_t n, void *opaque)
{
	char **buf = opaque;
	size_t old = *buf ? strlen(*buf) : 0, len = s * n;
	char *nb = realloc(*buf, old + len + 1);

	if (nb == NULL)
		return 0;
	memcpy(nb + old, d, len);
	nb[old + len] = '\0';
	*buf = nb;
	return len;
}

/* A control call to the emulator; returns the answer's JSON (caller
 * decrefs) or NULL. body NULL = GET. */
static json_t *ctl(const mock *m, const char *path, const char *body)
{
	char url[512], *out = NULL;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	json_t *j = NULL;
	long status = 0;

	assert_non_null(c);
	snprintf(url, sizeof(url), "%s%s", m->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (m->ca[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, m->ca);
	if (body != NULL) {
		h = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200 && out != NULL)
			j = json_loads(out, 0, NULL);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(out);
	if (j == NULL)
		fail_msg("control call %s failed (HTTP %ld)", path, status);
	return j;
}

static void ctl_post(const mock *m, const char *path, const char *body)
{
	json_decref(ctl(m, path, body));
}

/* Entries of /_mock/log of this kind (caller decrefs the array). */
static json_t *log_of(const mock *m, const char *kind)
{
	json_t *all = ctl(m, "/_mock/log", NULL), *out = json_array(), *e;
	size_t i;

	json_array_foreach(all, i, e) {
		const char *k = json_string_value(json_object_get(e, "kind"));

		if (k != NULL && strcmp(k, kind) == 0)
			json_array_append(out, e);
	}
	json_decref(all);
	return out;
}

static size_t log_count(const mock *m, const char *kind)
{
	json_t *a = log_of(m, kind);
	size_t n = json_array_size(a);

	json_decref(a);
	return n;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int clean_env(void **state)
{
	char home[300];

	(void)state;
	aws_env_clear();
	snprintf(home, sizeof(home), "%s/home", tmpdir);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	ctl_post(&plain, "/_mock/reset", "{}");
	ctl_post(&plain, "/_mock/config", "{\"credential_seconds\": 3600}");
	return 0;
}

static void assert_fresh(const aws_creds *c, const char *source,
			 int64_t lifetime_ms)
{
	int64_t now = kpg_time_now_ms();

	assert_string_equal(c->source, source);
	assert_true(strlen(c->access_key_id) > 0);
	assert_true(strlen(c->secret_access_key) > 0);
	assert_true(strlen(c->session_token) > 0);
	/* the mock's Expiration has whole seconds */
	assert_true(c->expires_ms > now + lifetime_ms - 15000);
	assert_true(c->expires_ms < now + lifetime_ms + 15000);
	keep_creds(c);
}

static void set_web_identity(const char *tokfile, const char *endpoint)
{
	setenv("AWS_ROLE_ARN", ROLE_ARN, 1);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokfile, 1);
	setenv("AWS_ENDPOINT_URL_STS", endpoint, 1);
}

static void test_web_identity_refresh(void **state)
{
	aws_creds_provider *p = NULL;
	aws_creds c;
	kpg_err err = {""};
	char tok[300], akid[129], want[64];
	json_t *log, *e;

	(void)state;
	snprintf(tok, sizeof(tok), "%s/wi_token", tmpdir);
	write_file(tok, "eyJhbGciOiJSUzI1NiJ9.tokA-7c1d.sigA\n");
	keep_secret("eyJhbGciOiJSUzI1NiJ9.tokA-7c1d.sigA");
	ctl_post(&plain, "/_mock/config", "{\"web_identity_token\": "
					  "\"eyJhbGciOiJSUzI1NiJ9.tokA-7c1d.sigA\"}");
	set_web_identity(tok, plain.url);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_string_equal(aws_creds_provider_source(p), "web_identity");
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_fresh(&c, "web_identity", 3600000);
	snprintf(akid, sizeof(akid), "%s", c.access_key_id);
	aws_creds_wipe(&c);
	/* an hour's credentials are kept: no second STS call */
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_string_equal(c.access_key_id, akid);
	aws_creds_wipe(&c);
	log = log_of(&plain, "sts");
	assert_int_equal(json_array_size(log), 1);
	e = json_object_get(json_array_get(log, 0), "body");
	assert_string_equal(json_string_value(json_object_get(e, "Action")),
			    "AssumeRoleWithWebIdentity");
	assert_string_equal(json_string_value(json_object_get(e, "RoleArn")),
			    ROLE_ARN);
	snprintf(want, sizeof(want), "kpigate-%ld", (long)getpid());
	assert_string_equal(
		json_string_value(json_object_get(e, "RoleSessionName")), want);
	json_decref(log);

	/* the token rotates (file and identity provider) and credentials
	 * live 240 s, inside the 5 minute window: every get refreshes, each
	 * with the file read again */
	write_file(tok, "eyJhbGciOiJSUzI1NiJ9.tokB-90ab.sigB");
	keep_secret("eyJhbGciOiJSUzI1NiJ9.tokB-90ab.sigB");
	ctl_post(&plain, "/_mock/config", "{\"credential_seconds\": 240, "
					  "\"web_identity_token\": \"eyJhbGciOiJSUzI1NiJ9.tokB-90ab.sigB\"}");
	aws_creds_invalidate(p);
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_fresh(&c, "web_identity", 240000);
	assert_string_not_equal(c.access_key_id, akid);
	snprintf(akid, sizeof(akid), "%s", c.access_key_id);
	aws_creds_wipe(&c);
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_string_not_equal(c.access_key_id, akid);
	snprintf(akid, sizeof(akid), "%s", c.access_key_id);
	keep_creds(&c);
	aws_creds_wipe(&c);
	assert_int_equal(log_count(&plain, "sts"), 3);

	/* the identity provider moves on but the file does not: the refresh
	 * fails, and the current credentials (not expired) are kept */
	ctl_post(&plain, "/_mock/config",
		 "{\"web_identity_token\": \"eyJhbGciOiJSUzI1NiJ9.tokC.sigC\"}");
	keep_secret("eyJhbGciOiJSUzI1NiJ9.tokC.sigC");
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_string_equal(c.access_key_id, akid);
	aws_creds_wipe(&c);
	log = log_of(&plain, "sts");
	assert_int_equal(json_array_size(log), 4);
	e = json_array_get(log, 3);
	assert_int_equal(json_integer_value(json_object_get(e, "status")), 400);
	assert_string_equal(json_string_value(json_object_get(e, "error_type")),
			    "InvalidIdentityToken");
	json_decref(log);
	/* once they are invalidated, the failure is reported */
	aws_creds_invalidate(p);
	assert_int_equal(aws_creds_get(p, &c, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "InvalidIdentityToken"));
	keep_msg(err.msg);
	aws_creds_provider_free(p);
}

static void test_web_identity_wrong_token(void **state)
{
	aws_creds_provider *p = NULL;
	aws_creds c;
	kpg_err err = {""};
	char tok[300];

	(void)state;
	snprintf(tok, sizeof(tok), "%s/wi_wrong", tmpdir);
	write_file(tok, "eyJhbGciOiJSUzI1NiJ9.wrong-e41f.sig\n");
	keep_secret("eyJhbGciOiJSUzI1NiJ9.wrong-e41f.sig");
	ctl_post(&plain, "/_mock/config",
		 "{\"web_identity_token\": \"eyJhbGciOiJSUzI1NiJ9.right.sig\"}");
	set_web_identity(tok, plain.url);
	setenv("AWS_ROLE_SESSION_NAME", "kpigate-test-session", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_int_equal(aws_creds_get(p, &c, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "HTTP 400"));
	assert_non_null(strstr(err.msg, "InvalidIdentityToken"));
	assert_null(strstr(err.msg, "wrong-e41f"));
	assert_string_equal(c.access_key_id, "");
	assert_string_equal(c.secret_access_key, "");
	keep_msg(err.msg);
	/* the session name from the environment was sent */
	{
		json_t *log = log_of(&plain, "sts"), *b;

		b = json_object_get(json_array_get(log, 0), "body");
		assert_string_equal(json_string_value(json_object_get(
					    b, "RoleSessionName")),
				    "kpigate-test-session");
		json_decref(log);
	}
	aws_creds_provider_free(p);
	/* a closed port: a transport error, also without the token */
	set_web_identity(tok, "http://127.0.0.1:1");
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_int_equal(aws_creds_get(p, &c, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "curl error"));
	keep_msg(err.msg);
	aws_creds_provider_free(p);
}

static void test_web_identity_tls(void **state)
{
	const char *args[] = {"--tls", NULL, "--web-identity-token",
			      "eyJhbGciOiJSUzI1NiJ9.tls-3b.sig", NULL};
	aws_creds_options opt = {0};
	aws_creds_provider *p = NULL;
	aws_creds c;
	kpg_err err = {""};
	char tok[300], dir[300];
	mock tls;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tls", tmpdir);
	args[1] = dir;
	if (mock_start(&tls, args) != 0)
		fail_msg("the TLS emulator did not start");
	assert_true(strncmp(tls.url, "https://", 8) == 0);
	snprintf(tok, sizeof(tok), "%s/wi_tls", tmpdir);
	write_file(tok, "eyJhbGciOiJSUzI1NiJ9.tls-3b.sig");
	keep_secret("eyJhbGciOiJSUzI1NiJ9.tls-3b.sig");
	set_web_identity(tok, tls.url);
	/* the CA from the option */
	opt.ca_bundle = tls.ca;
	assert_int_equal(aws_creds_provider_new(&p, &opt, &err), 0);
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_fresh(&c, "web_identity", 3600000);
	aws_creds_wipe(&c);
	aws_creds_provider_free(p);
	/* from AWS_CA_BUNDLE */
	setenv("AWS_CA_BUNDLE", tls.ca, 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	keep_creds(&c);
	aws_creds_wipe(&c);
	aws_creds_provider_free(p);
	/* without it the self-signed certificate is refused */
	unsetenv("AWS_CA_BUNDLE");
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_int_equal(aws_creds_get(p, &c, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "curl error 60"));
	keep_msg(err.msg);
	aws_creds_provider_free(p);
	mock_stop(&tls);
}

static void test_container(void **state)
{
	aws_creds_provider *p = NULL;
	aws_creds c;
	kpg_err err = {""};
	char url[400], tok[300];
	json_t *log;

	(void)state;
	keep_secret(CONTAINER_AUTH);
	snprintf(url, sizeof(url), "%s/ecs/v2/credentials/4f1d", plain.url);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	/* the token from the environment */
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_AUTH, 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_string_equal(aws_creds_provider_source(p), "container");
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_fresh(&c, "container", 3600000);
	aws_creds_wipe(&c);
	aws_creds_provider_free(p);
	log = log_of(&plain, "ecs");
	assert_int_equal(json_array_size(log), 1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(log, 0), "status")),
			 200);
	json_decref(log);

	/* the token file wins over the variable, and is read at each fetch */
	snprintf(tok, sizeof(tok), "%s/ecs_token", tmpdir);
	write_file(tok, CONTAINER_AUTH "\n");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tok, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer wrong-env-77aa", 1);
	keep_secret("Bearer wrong-env-77aa");
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_fresh(&c, "container", 3600000);
	aws_creds_wipe(&c);
	write_file(tok, "Bearer wrong-file-4d2c\n");
	keep_secret("Bearer wrong-file-4d2c");
	aws_creds_invalidate(p);
	assert_int_equal(aws_creds_get(p, &c, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "HTTP 401"));
	assert_null(strstr(err.msg, "wrong-file-4d2c"));
	assert_null(strstr(err.msg, "ctok-5f3a9c1e77"));
	assert_null(strstr(err.msg, "/v2/credentials/4f1d"));
	keep_msg(err.msg);
	write_file(tok, CONTAINER_AUTH);
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	keep_creds(&c);
	aws_creds_wipe(&c);
	aws_creds_provider_free(p);
	assert_int_equal(log_count(&plain, "ecs"), 4);

	/* no token at all */
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_int_equal(aws_creds_get(p, &c, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "HTTP 401"));
	keep_msg(err.msg);
	aws_creds_provider_free(p);
	/* a token file that is gone */
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/tok", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_int_equal(aws_creds_get(p, &c, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent/tok"));
	keep_msg(err.msg);
	aws_creds_provider_free(p);
}

static void test_imds(void **state)
{
	aws_creds_provider *p = NULL;
	aws_creds c;
	kpg_err err = {""};
	char ep[300];
	json_t *log;
	int64_t t0;

	(void)state;
	unsetenv("AWS_EC2_METADATA_DISABLED");
	snprintf(ep, sizeof(ep), "%s/", plain.url);
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", ep, 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_string_equal(aws_creds_provider_source(p), "imds");
	assert_int_equal(aws_creds_get(p, &c, &err), 0);
	assert_fresh(&c, "imds", 3600000);
	aws_creds_wipe(&c);
	aws_creds_provider_free(p);
	/* token PUT, role name, the role's credentials: all accepted */
	log = log_of(&plain, "imds");
	assert_int_equal(json_array_size(log), 3);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(log, 0), "target")),
			    "/latest/api/token");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(log, 2), "target")),
			    "/latest/meta-data/iam/security-credentials/"
			    "kpigate-role");
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(json_integer_value(json_object_get(
					 json_array_get(log, i), "status")),
				 200);
	json_decref(log);

	/* a refused token is an error (there is no IMDSv1 fallback) */
	ctl_post(&plain, "/_mock/fail", "{\"match\": \"imds\", \"responses\": "
					"[{\"status\": 403, \"message\": \"no\"}]}");
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	assert_int_equal(aws_creds_get(p, &c, &err), KPG_EIO);
	assert_non_null(strstr(err.msg, "HTTP 403"));
	assert_non_null(strstr(err.msg, "last resort"));
	keep_msg(err.msg);
	aws_creds_provider_free(p);
	assert_int_equal(log_count(&plain, "imds"), 4);

	/* nothing listening: fails fast */
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1);
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	t0 = kpg_time_now_ms();
	assert_int_equal(aws_creds_get(p, &c, &err), KPG_EIO);
	assert_true(kpg_time_now_ms() - t0 < 3000);
	assert_non_null(strstr(err.msg, "127.0.0.1:1"));
	keep_msg(err.msg);
	aws_creds_provider_free(p);
}

static void test_refresh_near_expiry(void **state)
{
	aws_creds_provider *p = NULL;
	aws_creds c;
	kpg_err err = {""};
	char url[400], prev[129] = "";

	(void)state;
	snprintf(url, sizeof(url), "%s/ecs/credentials", plain.url);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_AUTH, 1);
	/* 240 s < 5 min: every get fetches */
	ctl_post(&plain, "/_mock/config", "{\"credential_seconds\": 240}");
	assert_int_equal(aws_creds_provider_new(&p, NULL, &err), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(aws_creds_get(p, &c, &err), 0);
		assert_fresh(&c, "container", 240000);
		assert_string_not_equal(c.access_key_id, prev);
		snprintf(prev, sizeof(prev), "%s", c.access_key_id);
		aws_creds_wipe(&c);
	}
	assert_int_equal(log_count(&plain, "ecs"), 3);
	/* 400 s > 5 min: one fetch, then the cache */
	ctl_post(&plain, "/_mock/config", "{\"credential_seconds\": 400}");
	aws_creds_invalidate(p);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(aws_creds_get(p, &c, &err), 0);
		assert_fresh(&c, "container", 400000);
		aws_creds_wipe(&c);
	}
	assert_int_equal(log_count(&plain, "ecs"), 4);
	aws_creds_provider_free(p);
}

static void test_no_secret_in_messages(void **state)
{
	(void)state;
	assert_true(nmsgs >= 8);
	assert_true(nsecrets >= 10);
	for (int i = 0; i < nmsgs; i++) {
		for (int k = 0; k < nsecrets; k++) {
			if (strstr(msgs[i], secrets[k]) != NULL)
				fail_msg("message \"%s\" holds a secret", msgs[i]);
		}
		/* not even a recognisable part of a token */
		assert_null(strstr(msgs[i], "eyJhbGci"));
		assert_null(strstr(msgs[i], "Bearer"));
	}
}

static int have_botocore(void)
{
	int st = system("/usr/bin/python3 -c 'import botocore' >/dev/null 2>&1");

	return st == 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_web_identity_refresh, clean_env),
		cmocka_unit_test_setup(test_web_identity_wrong_token, clean_env),
		cmocka_unit_test_setup(test_web_identity_tls, clean_env),
		cmocka_unit_test_setup(test_container, clean_env),
		cmocka_unit_test_setup(test_imds, clean_env),
		cmocka_unit_test_setup(test_refresh_near_expiry, clean_env),
		cmocka_unit_test(test_no_secret_in_messages),
	};
	const char *args[] = {"--container-auth", CONTAINER_AUTH, NULL};
	char cmd[300];
	int rc;

	if (access(MOCK, R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0 ||
	    !have_botocore()) {
		printf("skip: needs %s and /usr/bin/python3 with botocore\n", MOCK);
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kpg_aws_creds_net_XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	if (mock_start(&plain, args) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	mock_stop(&plain);
	for (int i = 0; i < nmsgs; i++)
		free(msgs[i]);
	for (int i = 0; i < nsecrets; i++)
		free(secrets[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0 && rc == 0)
		rc = 1;
	curl_global_cleanup();
	return rc;
}
