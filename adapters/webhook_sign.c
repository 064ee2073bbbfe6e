/* webhook_sign.c - the webhook's shared secret (from a file or the
 * environment) and its HMAC-SHA256 signature (OpenSSL's one-shot HMAC).
 * The secret lives in one heap buffer that is wiped before it is freed;
 * no message here ever quotes it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "webhook.h"

static int secret_from_file(const char *file, webhook_secret *out, kpg_err *err)
{
	FILE *f;
	unsigned char *buf;
	size_t n;
	int rc = 0;

	buf = malloc(WEBHOOK_SECRET_MAX + 1);
	if (!buf) {
		kpg_err_set(err, "webhook secret: out of memory");
		return KPG_ENOMEM;
	}
	f = fopen(file, "rb");
	if (!f) {
		kpg_err_set(err, "webhook secret_file %s: %s", file, strerror(errno));
		rc = KPG_EIO;
		goto fail;
	}
	n = fread(buf, 1, WEBHOOK_SECRET_MAX + 1, f);
	if (ferror(f)) {
		kpg_err_set(err, "webhook secret_file %s: read failed", file);
		rc = KPG_EIO;
		goto fail;
	}
	if (n > WEBHOOK_SECRET_MAX) {
		kpg_err_set(err, "webhook secret_file %s: longer than %d bytes",
			    file, WEBHOOK_SECRET_MAX);
		rc = KPG_ETOOBIG;
		goto fail;
	}
	/* one trailing newline (echo, editors) is not part of the secret */
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n == 0) {
		kpg_err_set(err, "webhook secret_file %s: empty", file);
		rc = KPG_EINVAL;
		goto fail;
	}
	out->key = buf;
	out->len = n;
	buf = NULL; /* now owned by out */
fail:
	if (f)
		fclose(f);
	if (buf) {
		explicit_bzero(buf, WEBHOOK_SECRET_MAX + 1);
		free(buf);
	}
	return rc;
}

static int secret_from_env(const char *env, webhook_secret *out, kpg_err *err)
{
	const char *v = getenv(env);
	size_t n;

	if (!v || !*v) {
		kpg_err_set(err, "webhook secret_env %s: not set or empty", env);
		return KPG_EINVAL;
	}
	n = strlen(v);
	if (n > WEBHOOK_SECRET_MAX) {
		kpg_err_set(err, "webhook secret_env %s: longer than %d bytes", env,
			    WEBHOOK_SECRET_MAX);
		return KPG_ETOOBIG;
	}
	out->key = malloc(n);
	if (!out->key) {
		kpg_err_set(err, "webhook secret: out of memory");
		return KPG_ENOMEM;
	}
	memcpy(out->key, v, n);
	out->len = n;
	return 0;
}

int webhook_secret_load(const char *file, const char *env, webhook_secret *out,
			kpg_err *err)
{
	if (!out) {
		kpg_err_set(err, "webhook secret: no output");
		return KPG_EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if ((file && env) || (!file && !env)) {
		kpg_err_set(err, "webhook secret: give exactly one of secret_file "
				 "and secret_env");
		return KPG_EINVAL;
	}
	return file ? secret_from_file(file, out, err) : secret_from_env(env, out, err);
}

void webhook_secret_free(webhook_secret *s)
{
	if (!s)
		return;
	if (s->key) {
		explicit_bzero(s->key, s->len);
		free(s->key);
	}
	s->key = NULL;
	s->len = 0;
}

int webhook_hmac_sha256(const unsigned char *key, size_t keylen, const void *data,
			size_t len, unsigned char out[32])
{
	unsigned int outlen = 0;

	if (keylen > (size_t)INT32_MAX)
		return KPG_EINVAL;
	if (!HMAC(EVP_sha256(), key, (int)keylen, data ? data : (const void *)"", len,
		  out, &outlen) ||
	    outlen != 32)
		return KPG_EINVAL;
	return 0;
}

int webhook_signature(const webhook_secret *secret, const void *body, size_t len,
		      char sig[WEBHOOK_SIG_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[32];
	int rc;

	if (!secret || !secret->key || !secret->len)
		return KPG_EINVAL;
	rc = webhook_hmac_sha256(secret->key, secret->len, body, len, mac);
	if (rc)
		return rc;
	memcpy(sig, "sha256=", 7);
	for (size_t i = 0; i < 32; i++) {
		sig[7 + 2 * i] = hex[mac[i] >> 4];
		sig[7 + 2 * i + 1] = hex[mac[i] & 15];
	}
	sig[7 + 64] = '\0';
	explicit_bzero(mac, sizeof(mac));
	return 0;
}
