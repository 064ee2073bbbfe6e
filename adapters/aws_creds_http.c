/* aws_creds_http.c - the credential fetchers that call out with libcurl:
 * STS AssumeRoleWithWebIdentity (HTTPS, verified), the container endpoint
 * and IMDSv2 (plain HTTP on link-local or loopback addresses). One easy
 * handle per call: credentials are fetched once an hour or so.
 *
 * Secrets pass through request bodies, headers and answers here; each
 * such buffer is ours and is wiped before it is freed, and no message
 * echoes a body, a header or a URL's path (see aws_creds_internal.h). */
#include "aws_creds_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define IMDS_CONNECT_MS 1000
#define IMDS_TOKEN_TTL "21600"

typedef struct http_resp {
	char *buf; /* AWS_CREDS_TOKEN_MAX + 1 bytes, wiped before free */
	size_t len;
	int toobig;
	long status;
} http_resp;

static size_t on_body(char *data, size_t size, size_t n, void *opaque)
{
	http_resp *r = opaque;
	size_t len = size * n;

	if (len > AWS_CREDS_TOKEN_MAX - r->len) {
		r->toobig = 1;
		return 0; /* ends the transfer with CURLE_WRITE_ERROR */
	}
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	r->buf[r->len] = '\0';
	return len;
}

static void resp_free(http_resp *r)
{
	aws_creds_free_secret(r->buf, r->buf ? AWS_CREDS_TOKEN_MAX + 1 : 0);
	r->buf = NULL;
	r->len = 0;
}

/* Wipes every header line (they may hold a token) and frees the list. */
static void headers_free(struct curl_slist *h)
{
	for (struct curl_slist *q = h; q != NULL; q = q->next)
		explicit_bzero(q->data, strlen(q->data));
	curl_slist_free_all(h);
}

/* "scheme://host[:port]" of url into buf: the part of a URL a message may
 * show (paths can be capabilities, as ECS' relative URI is). */
static const char *url_origin(const char *url, char *buf, size_t cap)
{
	const char *s = strstr(url, "://");
	size_t n;

	s = s ? s + 3 : url;
	n = strcspn(s, "/?#");
	snprintf(buf, cap, "%.*s%.*s", (int)(s - url), url, (int)n, s);
	return buf;
}

/* One HTTP exchange. method "GET", "PUT" or "POST" (post/postlen the
 * body). Returns 0 when an answer came (r->status set), else KPG_EIO with
 * curl's reason; KPG_ETOOBIG for an answer over the cap. */
static int http_do(const char *what, const char *method, const char *url,
		   struct curl_slist *hdrs, const char *post, size_t postlen,
		   const char *ca_bundle, int timeout_ms, int connect_ms,
		   http_resp *r, kpg_err *err)
{
	char ebuf[CURL_ERROR_SIZE], origin[256];
	CURL *c = NULL;
	CURLcode cc;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->buf = malloc(AWS_CREDS_TOKEN_MAX + 1);
	c = curl_easy_init();
	if (r->buf == NULL || c == NULL) {
		kpg_err_set(err, "%s: out of memory", what);
		rc = KPG_ENOMEM;
		goto out;
	}
	r->buf[0] = '\0';
	ebuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*"); /* metadata never via proxy */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_bundle != NULL && *ca_bundle != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_bundle);
	if (hdrs != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)postlen);
	} else if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		if (r->toobig) {
			kpg_err_set(err, "%s at %s: answer larger than %d bytes",
				    what, url_origin(url, origin, sizeof(origin)),
				    AWS_CREDS_TOKEN_MAX);
			rc = KPG_ETOOBIG;
		} else {
			kpg_err_set(err, "%s at %s: %s (curl error %d)", what,
				    url_origin(url, origin, sizeof(origin)),
				    ebuf[0] ? ebuf : curl_easy_strerror(cc),
				    (int)cc);
			rc = KPG_EIO;
		}
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
out:
	if (c != NULL)
		curl_easy_cleanup(c);
	if (rc != 0)
		resp_free(r);
	return rc;
}

/* Drops trailing blanks and newlines of a token read from a file. */
static size_t rtrim(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' ||
			   s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len;
}

/* Does s hold the n bytes at needle? */
static int contains(const char *s, const char *needle, size_t n)
{
	for (size_t len = strlen(s); n > 0 && len >= n; s++, len--)
		if (memcmp(s, needle, n) == 0)
			return 1;
	return 0;
}

/* The Code and Message of an STS XML error, for the message; the message
 * is left out when it quotes the token. */
static void sts_error(const http_resp *r, const char *token, size_t tlen,
		      const char *origin, kpg_err *err)
{
	char code[128] = "", msg[256] = "";
	const char *s, *e, *end = r->buf + r->len;

	s = strstr(r->buf, "<Code>");
	e = s ? strstr(s, "</Code>") : NULL;
	if (s && e && e - s - 6 < (ptrdiff_t)sizeof(code))
		snprintf(code, sizeof(code), "%.*s", (int)(e - s - 6), s + 6);
	s = strstr(r->buf, "<Message>");
	e = s ? strstr(s, "</Message>") : NULL;
	if (s && e && e <= end) {
		snprintf(msg, sizeof(msg), "%.*s", (int)(e - s - 9), s + 9);
		if (contains(msg, token, tlen < 8 ? tlen : 8))
			snprintf(msg, sizeof(msg), "(message withheld: it quotes "
						   "the token)");
	}
	for (char *q = code; *q; q++)
		if ((unsigned char)*q < 0x20)
			*q = ' ';
	for (char *q = msg; *q; q++)
		if ((unsigned char)*q < 0x20)
			*q = ' ';
	kpg_err_set(err, "web identity: STS at %s answered HTTP %ld%s%s%s%s",
		    origin, r->status, code[0] ? " " : "", code,
		    msg[0] ? ": " : "", msg);
}

/* "k=" percent-encoded(v) appended to body (cap bytes, '&' between
 * pairs); -1 when it does not fit. Written here rather than with
 * curl_easy_escape so the token is copied into no buffer we cannot wipe. */
static int form_add(char *body, size_t cap, size_t *len, const char *k,
		    const char *v, size_t vlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = *len, klen = strlen(k);

	if (n + 1 + klen + 1 >= cap)
		return -1;
	if (n > 0)
		body[n++] = '&';
	memcpy(body + n, k, klen);
	n += klen;
	body[n++] = '=';
	for (size_t i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)v[i];

		if (n + 3 >= cap)
			return -1;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			body[n++] = (char)c;
		} else {
			body[n++] = '%';
			body[n++] = hex[c >> 4];
			body[n++] = hex[c & 15];
		}
	}
	body[n] = '\0';
	*len = n;
	return 0;
}

int aws_creds_fetch_sts(const aws_creds_sts_req *rq, aws_creds *out,
			kpg_err *err)
{
	char *token = NULL, *body = NULL, origin[256], url[1100];
	size_t tlen = 0, blen = 0, bcap = 3 * AWS_CREDS_TOKEN_MAX + 4096;
	struct curl_slist *h = NULL;
	http_resp r = {0};
	kpg_err e2;
	int rc;

	aws_creds_wipe(out);
	url_origin(rq->endpoint, origin, sizeof(origin));
	rc = aws_creds_read_secret_file(rq->token_file, AWS_CREDS_TOKEN_MAX,
					&token, &tlen, &e2);
	if (rc != 0) {
		kpg_err_set(err, "web identity: token file (AWS_WEB_IDENTITY_"
				 "TOKEN_FILE) %s",
			    e2.msg);
		rc = rc == KPG_ENOTFOUND ? KPG_EIO : rc;
		goto out;
	}
	tlen = rtrim(token, tlen);
	if (tlen == 0) {
		kpg_err_set(err, "web identity: token file %s is empty",
			    rq->token_file);
		rc = KPG_EIO;
		goto out;
	}
	body = malloc(bcap);
	if (body == NULL) {
		kpg_err_set(err, "web identity: out of memory");
		rc = KPG_ENOMEM;
		goto out;
	}
	body[0] = '\0';
	if (form_add(body, bcap, &blen, "Action",
		     "AssumeRoleWithWebIdentity", 25) ||
	    form_add(body, bcap, &blen, "Version", "2011-06-15", 10) ||
	    form_add(body, bcap, &blen, "RoleArn", rq->role_arn,
		     strlen(rq->role_arn)) ||
	    form_add(body, bcap, &blen, "RoleSessionName",
		     rq->session_name, strlen(rq->session_name)) ||
	    form_add(body, bcap, &blen, "WebIdentityToken", token, tlen)) {
		kpg_err_set(err, "web identity: the STS request is too long");
		rc = KPG_ETOOBIG;
		goto out;
	}
	if ((size_t)snprintf(url, sizeof(url), "%s/", rq->endpoint) >=
	    sizeof(url)) {
		kpg_err_set(err, "web identity: STS endpoint is too long");
		rc = KPG_ETOOBIG;
		goto out;
	}
	h = curl_slist_append(NULL, "Content-Type: application/x-www-form-"
				    "urlencoded; charset=utf-8");
	if (h == NULL) {
		kpg_err_set(err, "web identity: out of memory");
		rc = KPG_ENOMEM;
		goto out;
	}
	rc = http_do("web identity: STS", "POST", url, h, body, blen,
		     rq->ca_bundle, rq->timeout_ms, rq->timeout_ms, &r, err);
	if (rc != 0)
		goto out;
	if (r.status != 200) {
		sts_error(&r, token, tlen, origin, err);
		rc = KPG_EIO;
		goto out;
	}
	rc = aws_creds_parse_sts_xml(r.buf, r.len, out, &e2);
	if (rc != 0) {
		kpg_err_set(err, "web identity: STS at %s: %s", origin, e2.msg);
		goto out;
	}
	out->source = "web_identity";
out:
	headers_free(h);
	resp_free(&r);
	aws_creds_free_secret(body, body ? bcap : 0);
	aws_creds_free_secret(token, token ? AWS_CREDS_TOKEN_MAX + 2 : 0);
	return rc;
}

static int host_is(const char *h, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(h, want, n) == 0;
}

int aws_creds_container_host_ok(const char *url)
{
	const char *h, *e;
	size_t n;

	if (strncasecmp(url, "https://", 8) == 0)
		return 1;
	if (strncasecmp(url, "http://", 7) != 0)
		return 0;
	h = url + 7;
	if (*h == '[') {
		e = strchr(h, ']');
		if (e == NULL)
			return 0;
		h++;
		n = (size_t)(e - h);
		return host_is(h, n, "::1") || host_is(h, n, "fd00:ec2::23");
	}
	n = strcspn(h, ":/?#");
	if (host_is(h, n, "localhost") || host_is(h, n, "169.254.170.2") ||
	    host_is(h, n, "169.254.170.23"))
		return 1;
	/* 127.0.0.0/8 written as a dotted quad */
	if (n >= 9 && strncmp(h, "127.", 4) == 0 &&
	    strspn(h, "0123456789.") == n)
		return 1;
	return 0;
}

/* The Authorization header line ("Authorization: TOKEN") for the
 * container endpoint into *line (caller wipes/frees); NULL when none. */
static int container_auth(const char *token_file, int use_env_token,
			  char **line, size_t *linecap, kpg_err *err)
{
	char *tok = NULL;
	const char *t = NULL;
	size_t tlen = 0;
	int rc = 0;
	kpg_err e2;

	*line = NULL;
	*linecap = 0;
	if (token_file != NULL) {
		rc = aws_creds_read_secret_file(token_file, AWS_CREDS_TOKEN_MAX,
						&tok, &tlen, &e2);
		if (rc != 0) {
			kpg_err_set(err, "container: authorization token file "
					 "(AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) %s",
				    e2.msg);
			return rc == KPG_ENOTFOUND ? KPG_EIO : rc;
		}
		t = tok;
		tlen = rtrim(tok, tlen);
	} else if (use_env_token) {
		t = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
		tlen = t ? strlen(t) : 0;
	}
	if (t == NULL || tlen == 0)
		goto out;
	for (size_t i = 0; i < tlen; i++) {
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f) {
			kpg_err_set(err, "container: the authorization token "
					 "holds a control character");
			rc = KPG_EINVAL;
			goto out;
		}
	}
	*linecap = tlen + sizeof("Authorization: ");
	*line = malloc(*linecap);
	if (*line == NULL) {
		kpg_err_set(err, "container: out of memory");
		rc = KPG_ENOMEM;
		goto out;
	}
	memcpy(*line, "Authorization: ", 15);
	memcpy(*line + 15, t, tlen);
	(*line)[15 + tlen] = '\0';
out:
	aws_creds_free_secret(tok, tok ? AWS_CREDS_TOKEN_MAX + 2 : 0);
	return rc;
}

int aws_creds_fetch_container(const char *url, const char *token_file,
			      int use_env_token, const char *ca_bundle,
			      int timeout_ms, aws_creds *out, kpg_err *err)
{
	struct curl_slist *h = NULL, *nh;
	char *line = NULL, origin[256];
	size_t linecap = 0;
	http_resp r = {0};
	kpg_err e2;
	int rc;

	aws_creds_wipe(out);
	url_origin(url, origin, sizeof(origin));
	rc = container_auth(token_file, use_env_token, &line, &linecap, err);
	if (rc != 0)
		goto out;
	if (line != NULL) {
		nh = curl_slist_append(h, line);
		if (nh == NULL) {
			kpg_err_set(err, "container: out of memory");
			rc = KPG_ENOMEM;
			goto out;
		}
		h = nh;
	}
	rc = http_do("container credentials", "GET", url, h, NULL, 0, ca_bundle,
		     timeout_ms, timeout_ms, &r, err);
	if (rc != 0)
		goto out;
	if (r.status != 200) {
		kpg_err_set(err, "container credentials at %s answered HTTP %ld%s",
			    origin, r.status,
			    r.status == 401 || r.status == 403
				    ? " (is the authorization token right?)"
				    : "");
		rc = KPG_EIO;
		goto out;
	}
	rc = aws_creds_parse_json(r.buf, r.len, out, &e2);
	if (rc != 0) {
		kpg_err_set(err, "container credentials at %s: %s", origin,
			    e2.msg);
		goto out;
	}
	out->source = "container";
out:
	headers_free(h);
	aws_creds_free_secret(line, linecap);
	resp_free(&r);
	return rc;
}

int aws_creds_fetch_imds(const char *endpoint, int timeout_ms, aws_creds *out,
			 kpg_err *err)
{
	char url[1200], role[129], origin[256];
	char *tokline = NULL;
	size_t tokcap = 0, rlen;
	struct curl_slist *h = NULL;
	http_resp r = {0};
	kpg_err e2;
	int rc;

	aws_creds_wipe(out);
	url_origin(endpoint, origin, sizeof(origin));
	/* 1. session token */
	h = curl_slist_append(NULL, "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL);
	if (h == NULL) {
		kpg_err_set(err, "instance metadata: out of memory");
		rc = KPG_ENOMEM;
		goto out;
	}
	snprintf(url, sizeof(url), "%s/latest/api/token", endpoint);
	rc = http_do("instance metadata (IMDSv2)", "PUT", url, h, NULL, 0, NULL,
		     timeout_ms, IMDS_CONNECT_MS, &r, err);
	if (rc != 0)
		goto out;
	headers_free(h);
	h = NULL;
	rlen = rtrim(r.buf, r.len);
	if (r.status != 200 || rlen == 0 || rlen > 1024) {
		kpg_err_set(err, "instance metadata at %s: token request "
				 "answered HTTP %ld",
			    origin, r.status);
		rc = KPG_EIO;
		goto out;
	}
	tokcap = rlen + sizeof("X-aws-ec2-metadata-token: ");
	tokline = malloc(tokcap);
	if (tokline == NULL) {
		kpg_err_set(err, "instance metadata: out of memory");
		rc = KPG_ENOMEM;
		goto out;
	}
	snprintf(tokline, tokcap, "X-aws-ec2-metadata-token: %.*s", (int)rlen,
		 r.buf);
	resp_free(&r);
	if (strpbrk(tokline, "\r\n") != NULL) {
		kpg_err_set(err, "instance metadata at %s: bad token", origin);
		rc = KPG_EIO;
		goto out;
	}
	h = curl_slist_append(NULL, tokline);
	if (h == NULL) {
		kpg_err_set(err, "instance metadata: out of memory");
		rc = KPG_ENOMEM;
		goto out;
	}
	/* 2. the role attached to the instance */
	snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/",
		 endpoint);
	rc = http_do("instance metadata (IMDSv2)", "GET", url, h, NULL, 0, NULL,
		     timeout_ms, IMDS_CONNECT_MS, &r, err);
	if (rc != 0)
		goto out;
	rlen = strcspn(r.buf, "\r\n");
	if (r.status != 200 || rlen == 0 || rlen >= sizeof(role) ||
	    memchr(r.buf, '/', rlen) != NULL ||
	    aws_creds_copy_field(role, sizeof(role), r.buf, rlen, "role name",
				 &e2) != 0) {
		kpg_err_set(err, "instance metadata at %s: no IAM role (HTTP "
				 "%ld); is an instance profile attached?",
			    origin,
			    r.status);
		rc = KPG_EIO;
		goto out;
	}
	resp_free(&r);
	/* 3. its credentials */
	snprintf(url, sizeof(url),
		 "%s/latest/meta-data/iam/security-credentials/%s", endpoint,
		 role);
	rc = http_do("instance metadata (IMDSv2)", "GET", url, h, NULL, 0, NULL,
		     timeout_ms, IMDS_CONNECT_MS, &r, err);
	if (rc != 0)
		goto out;
	if (r.status != 200) {
		kpg_err_set(err, "instance metadata at %s: credentials of role "
				 "%s answered HTTP %ld",
			    origin, role, r.status);
		rc = KPG_EIO;
		goto out;
	}
	rc = aws_creds_parse_json(r.buf, r.len, out, &e2);
	if (rc != 0) {
		kpg_err_set(err, "instance metadata at %s: role %s: %s", origin,
			    role, e2.msg);
		goto out;
	}
	out->source = "imds";
out:
	headers_free(h);
	aws_creds_free_secret(tokline, tokcap);
	resp_free(&r);
	return rc;
}
