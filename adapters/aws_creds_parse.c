/* aws_creds_parse.c - the answers of STS (XML) and of the container and
 * instance metadata endpoints (JSON) into an aws_creds (see
 * aws_creds_internal.h). Neither echoes the text it parses in a message:
 * that text holds secrets. */
#include "aws_creds_internal.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kpg_time.h"

/* First occurrence of needle (nlen bytes) in [s, e), or NULL. */
static const char *find(const char *s, const char *e, const char *needle,
			size_t nlen)
{
	if (nlen == 0 || e - s < (ptrdiff_t)nlen)
		return NULL;
	for (const char *q = s; q + nlen <= e; q++) {
		q = memchr(q, needle[0], (size_t)(e - q - (ptrdiff_t)nlen + 1));
		if (q == NULL)
			return NULL;
		if (memcmp(q, needle, nlen) == 0)
			return q;
	}
	return NULL;
}

/* The text of <name>...</name> inside [s, e): *vs, *ve; 0 or -1. Only the
 * plain form without attributes, as STS writes it. */
static int xml_element(const char *s, const char *e, const char *name,
		       const char **vs, const char **ve)
{
	char open[64], close[64];
	const char *o, *c;
	int n1, n2;

	n1 = snprintf(open, sizeof(open), "<%s>", name);
	n2 = snprintf(close, sizeof(close), "</%s>", name);
	if (n1 <= 0 || n2 <= 0 || (size_t)n2 >= sizeof(close))
		return -1;
	o = find(s, e, open, (size_t)n1);
	if (o == NULL)
		return -1;
	o += n1;
	c = find(o, e, close, (size_t)n2);
	if (c == NULL)
		return -1;
	*vs = o;
	*ve = c;
	return 0;
}

/* Copies the XML text [s, e) into dst decoding the five predefined
 * entities; trims blanks and newlines around it. */
static int xml_copy(char *dst, size_t cap, const char *s, const char *e,
		    const char *what, kpg_err *err)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	size_t n = 0;

	while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		e--;
	while (s < e) {
		char c = *s++;

		if (c == '&') {
			size_t i, k = sizeof(ents) / sizeof(ents[0]);

			for (i = 0; i < k; i++) {
				size_t l = strlen(ents[i].ent) - 1;

				if ((size_t)(e - s) >= l &&
				    memcmp(s, ents[i].ent + 1, l) == 0) {
					c = ents[i].c;
					s += l;
					break;
				}
			}
			if (i == k) {
				kpg_err_set(err, "%s holds an unknown XML entity",
					    what);
				goto fail;
			}
		} else if (c == '<') {
			kpg_err_set(err, "%s holds markup", what);
			goto fail;
		}
		if ((unsigned char)c < 0x20 || c == 0x7f) {
			kpg_err_set(err, "%s holds a control character", what);
			goto fail;
		}
		if (n + 1 >= cap) {
			kpg_err_set(err, "%s is longer than %zu characters", what,
				    cap - 1);
			explicit_bzero(dst, cap);
			return KPG_ETOOBIG;
		}
		dst[n++] = c;
	}
	dst[n] = '\0';
	return 0;
fail:
	explicit_bzero(dst, cap);
	return KPG_EPARSE;
}

/* The element name inside [cs, ce) into dst, decoded: KPG_EPARSE when it
 * is missing, else xml_copy's result. */
static int xml_field(const char *cs, const char *ce, const char *name, char *dst,
		     size_t cap, kpg_err *err)
{
	const char *vs, *ve;

	if (xml_element(cs, ce, name, &vs, &ve) != 0) {
		kpg_err_set(err, "STS answer has no %s", name);
		return KPG_EPARSE;
	}
	return xml_copy(dst, cap, vs, ve, name, err);
}

int aws_creds_parse_sts_xml(const char *xml, size_t len, aws_creds *out,
			    kpg_err *err)
{
	const char *cs, *ce;
	char exp[64];
	int rc;

	aws_creds_wipe(out);
	if (xml_element(xml, xml + len, "Credentials", &cs, &ce) != 0) {
		kpg_err_set(err, "STS answer has no Credentials element");
		return KPG_EPARSE;
	}
	rc = xml_field(cs, ce, "AccessKeyId", out->access_key_id,
		       sizeof(out->access_key_id), err);
	if (rc == 0)
		rc = xml_field(cs, ce, "SecretAccessKey", out->secret_access_key,
			       sizeof(out->secret_access_key), err);
	if (rc == 0)
		rc = xml_field(cs, ce, "SessionToken", out->session_token,
			       sizeof(out->session_token), err);
	if (rc == 0)
		rc = xml_field(cs, ce, "Expiration", exp, sizeof(exp), err);
	if (rc == 0 && kpg_time_parse_iso8601(exp, strlen(exp),
					      &out->expires_ms) != 0) {
		kpg_err_set(err, "STS answer's Expiration \"%s\" is not an ISO "
				 "8601 time",
			    exp);
		rc = KPG_EPARSE;
	}
	if (rc == 0 && (out->access_key_id[0] == '\0' ||
			out->secret_access_key[0] == '\0')) {
		kpg_err_set(err, "STS answer has an empty key");
		rc = KPG_EPARSE;
	}
	if (rc != 0)
		aws_creds_wipe(out);
	return rc;
}

/* Wipes a JSON string's bytes in jansson's own buffer before the value is
 * freed (json_decref does not). */
static void json_wipe_string(json_t *v)
{
	if (json_is_string(v))
		explicit_bzero((char *)json_string_value(v), json_string_length(v));
}

static int json_field(json_t *root, const char *name, char *dst, size_t cap,
		      int required, kpg_err *err)
{
	json_t *v = json_object_get(root, name);

	if (v == NULL && !required) {
		dst[0] = '\0';
		return 0;
	}
	if (!json_is_string(v)) {
		kpg_err_set(err, "credentials answer has no %s string", name);
		return KPG_EPARSE;
	}
	return aws_creds_copy_field(dst, cap, json_string_value(v),
				    json_string_length(v), name, err);
}

int aws_creds_parse_json(const char *json, size_t len, aws_creds *out,
			 kpg_err *err)
{
	json_error_t jerr;
	json_t *root, *code;
	char exp[64];
	int rc;

	aws_creds_wipe(out);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* jerr.text may quote the input: only its position is used */
		kpg_err_set(err, "credentials answer is not JSON (line %d, "
				 "column %d)",
			    jerr.line, jerr.column);
		rc = KPG_EPARSE;
		goto out;
	}
	if (!json_is_object(root)) {
		kpg_err_set(err, "credentials answer is not a JSON object");
		rc = KPG_EPARSE;
		goto out;
	}
	code = json_object_get(root, "Code");
	if (code != NULL && (!json_is_string(code) ||
			     strcmp(json_string_value(code), "Success") != 0)) {
		kpg_err_set(err, "credentials answer has Code \"%.64s\", not "
				 "\"Success\"",
			    json_is_string(code) ? json_string_value(code) : "?");
		rc = KPG_EIO;
		goto out;
	}
	rc = json_field(root, "AccessKeyId", out->access_key_id,
			sizeof(out->access_key_id), 1, err);
	if (rc == 0)
		rc = json_field(root, "SecretAccessKey", out->secret_access_key,
				sizeof(out->secret_access_key), 1, err);
	if (rc == 0)
		rc = json_field(root, "Token", out->session_token,
				sizeof(out->session_token), 0, err);
	if (rc == 0)
		rc = json_field(root, "Expiration", exp, sizeof(exp), 1, err);
	if (rc == 0 &&
	    kpg_time_parse_iso8601(exp, strlen(exp), &out->expires_ms) != 0) {
		kpg_err_set(err, "credentials answer's Expiration \"%s\" is not "
				 "an ISO 8601 time",
			    exp);
		rc = KPG_EPARSE;
	}
	if (rc == 0 && (out->access_key_id[0] == '\0' ||
			out->secret_access_key[0] == '\0')) {
		kpg_err_set(err, "credentials answer has an empty key");
		rc = KPG_EPARSE;
	}
out:
	if (root != NULL) {
		json_wipe_string(json_object_get(root, "SecretAccessKey"));
		json_wipe_string(json_object_get(root, "Token"));
		json_decref(root);
	}
	if (rc != 0)
		aws_creds_wipe(out);
	return rc;
}
