/* s3_xml.c - ListBucketResult and Error elements of S3's XML answers
 * (see s3_xml.h). */
#define _GNU_SOURCE /* memmem */
#include "s3_xml.h"
#include "kpg_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S3_XML_MAX_KEY 1024
#define S3_XML_MAX_TEXT 4096 /* any other element's text */

/* The text between <name> and </name>, searched in [*pos, end): 0 and the
 * raw text; *pos moves past the closing tag. KPG_ENOTFOUND when there is
 * no <name>; KPG_EPARSE when it is not closed. */
static int element(const char **pos, const char *end, const char *name,
		   const char **text, size_t *len)
{
	char open[48], close[48];
	const char *o, *c;
	size_t on, cn;

	on = (size_t)snprintf(open, sizeof(open), "<%s>", name);
	cn = (size_t)snprintf(close, sizeof(close), "</%s>", name);
	o = memmem(*pos, (size_t)(end - *pos), open, on);
	if (!o)
		return KPG_ENOTFOUND;
	o += on;
	c = memmem(o, (size_t)(end - o), close, cn);
	if (!c)
		return KPG_EPARSE;
	*text = o;
	*len = (size_t)(c - o);
	*pos = c + cn;
	return 0;
}

/* One character reference "#NN;" or "#xNN;" (after '&') as UTF-8 into
 * out (room for 4); its length, or 0 when malformed. */
static size_t char_ref(const char *s, size_t n, char *out, size_t *used)
{
	unsigned long cp = 0;
	size_t i = 1, digits = 0;
	int hex = n > 1 && (s[1] == 'x' || s[1] == 'X');

	if (n < 3 || s[0] != '#')
		return 0;
	if (hex)
		i = 2;
	for (; i < n && s[i] != ';'; i++, digits++) {
		char ch = s[i];
		int d = ch >= '0' && ch <= '9'          ? ch - '0'
			: hex && ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			: hex && ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
							: -1;

		if (d < 0 || digits > 8)
			return 0;
		cp = cp * (hex ? 16 : 10) + (unsigned long)d;
	}
	if (i >= n || digits == 0 || cp == 0 || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	*used = i + 1;
	return kpg_utf8_encode(cp, out);
}

/* The unescaped text into a new string (caller frees), at most cap bytes
 * of output. KPG_EPARSE (err says what) or KPG_ENOMEM. */
static int unescape(const char *s, size_t n, size_t cap, const char *what,
		    char **out, kpg_err *err)
{
	static const struct {
		const char *name;
		char ch;
	} named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
	char *d;
	size_t i = 0, k = 0;

	*out = NULL;
	if (n > cap * 6 + 16) { /* cannot unescape into cap bytes */
		kpg_err_set(err, "s3 answer: %s longer than %zu bytes", what, cap);
		return KPG_EPARSE;
	}
	d = malloc(n + 1);
	if (!d) {
		kpg_err_set(err, "s3 answer: out of memory");
		return KPG_ENOMEM;
	}
	while (i < n) {
		size_t used = 0, w = 0, j;

		if (s[i] == '<') {
			kpg_err_set(err, "s3 answer: markup inside %s", what);
			goto bad;
		}
		if (s[i] != '&') {
			d[k++] = s[i++];
			goto check;
		}
		for (j = 0; j < sizeof(named) / sizeof(named[0]); j++) {
			size_t l = strlen(named[j].name);

			if (n - i - 1 >= l && memcmp(s + i + 1, named[j].name, l) == 0) {
				d[k++] = named[j].ch;
				i += 1 + l;
				break;
			}
		}
		if (j < sizeof(named) / sizeof(named[0]))
			goto check;
		w = char_ref(s + i + 1, n - i - 1, d + k, &used);
		/* a reference is never shorter than what it writes */
		if (w == 0) {
			kpg_err_set(err, "s3 answer: bad entity in %s", what);
			goto bad;
		}
		k += w;
		i += 1 + used;
check:
		if (k > cap) {
			kpg_err_set(err, "s3 answer: %s longer than %zu bytes", what, cap);
			goto bad;
		}
	}
	d[k] = '\0';
	if (strlen(d) != k) {
		kpg_err_set(err, "s3 answer: NUL character in %s", what);
		goto bad;
	}
	*out = d;
	return 0;
bad:
	free(d);
	return KPG_EPARSE;
}

/* A required element of one <Contents>, unescaped. */
static int text_of(const char *start, const char *end, const char *name,
		   size_t cap, int required, char **out, kpg_err *err)
{
	const char *pos = start, *t;
	size_t n;
	int rc = element(&pos, end, name, &t, &n);

	*out = NULL;
	if (rc == KPG_ENOTFOUND && !required) {
		*out = calloc(1, 1);
		if (!*out) {
			kpg_err_set(err, "s3 answer: out of memory");
			return KPG_ENOMEM;
		}
		return 0;
	}
	if (rc) {
		kpg_err_set(err, "s3 answer: an object %s <%s>",
			    rc == KPG_ENOTFOUND ? "without" : "with an unclosed", name);
		return KPG_EPARSE;
	}
	return unescape(t, n, cap, name, out, err);
}

static int parse_size(const char *start, const char *end, int64_t *size,
		      kpg_err *err)
{
	const char *pos = start, *t;
	size_t n;
	int64_t v = 0;
	int rc = element(&pos, end, "Size", &t, &n);

	*size = -1;
	if (rc == KPG_ENOTFOUND)
		return 0;
	if (rc || n == 0 || n > 18) {
		kpg_err_set(err, "s3 answer: bad <Size>");
		return KPG_EPARSE;
	}
	for (size_t i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9') {
			kpg_err_set(err, "s3 answer: <Size> is not a number");
			return KPG_EPARSE;
		}
		v = v * 10 + (t[i] - '0');
	}
	*size = v;
	return 0;
}

static int parse_object(const char *start, const char *end, s3_object *o,
			kpg_err *err)
{
	int rc;

	memset(o, 0, sizeof(*o));
	if ((rc = text_of(start, end, "Key", S3_XML_MAX_KEY, 1, &o->key, err)) ||
	    (rc = text_of(start, end, "ETag", S3_XML_MAX_TEXT, 0, &o->etag, err)) ||
	    (rc = text_of(start, end, "LastModified", S3_XML_MAX_TEXT, 0, &o->modified, err)) ||
	    (rc = parse_size(start, end, &o->size, err)))
		return rc;
	if (!o->key[0]) {
		kpg_err_set(err, "s3 answer: an object with an empty <Key>");
		return KPG_EPARSE;
	}
	return 0;
}

int s3_xml_list_parse(const char *xml, size_t len, s3_list_page *page,
		      kpg_err *err)
{
	const char *pos, *end, *t;
	size_t n, cap = 0;
	int rc;

	memset(page, 0, sizeof(*page));
	if (!xml) {
		kpg_err_set(err, "s3 answer: empty");
		return KPG_EPARSE;
	}
	pos = xml;
	end = xml + len;
	/* the root element, maybe with an xmlns attribute */
	t = memmem(xml, len, "<ListBucketResult", 17);
	if (!t || t + 17 >= end || (t[17] != '>' && t[17] != ' ')) {
		kpg_err_set(err, "s3 answer: not a ListBucketResult");
		return KPG_EPARSE;
	}
	pos = t + 17;
	if (!memmem(pos, (size_t)(end - pos), "</ListBucketResult>", 19)) {
		kpg_err_set(err, "s3 answer: ListBucketResult not closed");
		return KPG_EPARSE;
	}
	for (;;) {
		const char *p = pos;
		s3_object *nv;

		rc = element(&p, end, "Contents", &t, &n);
		if (rc == KPG_ENOTFOUND)
			break;
		if (rc) {
			kpg_err_set(err, "s3 answer: <Contents> not closed");
			return rc;
		}
		if (page->n >= S3_XML_MAX_OBJECTS) {
			kpg_err_set(err, "s3 answer: more than %d objects in one page",
				    S3_XML_MAX_OBJECTS);
			return KPG_EPARSE;
		}
		if (page->n == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(page->objects, cap * sizeof(*nv));
			if (!nv) {
				kpg_err_set(err, "s3 answer: out of memory");
				return KPG_ENOMEM;
			}
			page->objects = nv;
		}
		/* counted before parsing: a half-filled object is freed too */
		rc = parse_object(t, t + n, &page->objects[page->n++], err);
		if (rc)
			return rc;
		pos = p;
	}
	pos = xml;
	rc = element(&pos, end, "IsTruncated", &t, &n);
	if (rc == KPG_EPARSE) {
		kpg_err_set(err, "s3 answer: <IsTruncated> not closed");
		return rc;
	}
	page->truncated = rc == 0 && n == 4 && memcmp(t, "true", 4) == 0;
	pos = xml;
	rc = element(&pos, end, "NextContinuationToken", &t, &n);
	if (rc == 0)
		rc = unescape(t, n, S3_XML_MAX_TEXT, "NextContinuationToken",
			      &page->next_token, err);
	else if (rc == KPG_ENOTFOUND)
		rc = 0;
	else
		kpg_err_set(err, "s3 answer: <NextContinuationToken> not closed");
	if (rc)
		return rc;
	if (page->truncated && (!page->next_token || !page->next_token[0])) {
		kpg_err_set(err, "s3 answer: truncated without a NextContinuationToken");
		return KPG_EPARSE;
	}
	return 0;
}

void s3_list_page_free(s3_list_page *page)
{
	if (!page)
		return;
	for (size_t i = 0; i < page->n; i++) {
		free(page->objects[i].key);
		free(page->objects[i].etag);
		free(page->objects[i].modified);
	}
	free(page->objects);
	free(page->next_token);
	memset(page, 0, sizeof(*page));
}

/* Printable ASCII of the element's unescaped text, cut to cap. */
static int copy_text(const char *xml, size_t len, const char *name,
		     char *dst, size_t cap)
{
	const char *pos = xml, *t;
	size_t n, k = 0;
	char *u = NULL;

	dst[0] = '\0';
	if (element(&pos, xml + len, name, &t, &n) != 0)
		return KPG_ENOTFOUND;
	if (unescape(t, n, S3_XML_MAX_TEXT, name, &u, NULL) != 0)
		return KPG_ENOTFOUND;
	for (size_t i = 0; u[i] && k + 1 < cap; i++)
		dst[k++] = (u[i] >= 0x20 && u[i] < 0x7f) ? u[i] : '?';
	dst[k] = '\0';
	free(u);
	return 0;
}

int s3_xml_error(const char *xml, size_t len, char *code, size_t code_cap,
		 char *msg, size_t msg_cap)
{
	code[0] = '\0';
	msg[0] = '\0';
	if (!xml || !memmem(xml, len, "<Error>", 7) ||
	    copy_text(xml, len, "Code", code, code_cap) != 0 || !code[0]) {
		code[0] = '\0';
		return KPG_ENOTFOUND;
	}
	copy_text(xml, len, "Message", msg, msg_cap);
	return 0;
}
