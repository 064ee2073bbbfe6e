/* s3_cursor.c - the processed-objects set of the S3 source (s3_cursor.h).
 * A linear set: it holds the objects of the look-back window only (a few
 * hundred for hourly SageMaker files), and is checked once per listed
 * object per poll. */
#include "s3_cursor.h"

#include <stdlib.h>
#include <string.h>

#define S3_CURSOR_MAGIC_V1 0x53334331u /* "S3C1": no LastModified */
#define S3_CURSOR_MAGIC 0x53334332u    /* "S3C2" */

void s3_cursor_init(s3_cursor *c)
{
	memset(c, 0, sizeof(*c));
	c->high_water_ms = INT64_MIN;
	c->listed_ms = INT64_MIN;
}

static void s3_cursor_clear(s3_cursor *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->items[i].path);
		free(c->items[i].etag);
	}
	c->n = 0;
	c->high_water_ms = INT64_MIN;
	c->listed_ms = INT64_MIN;
}

void s3_cursor_free(s3_cursor *c)
{
	s3_cursor_clear(c);
	free(c->items);
	s3_cursor_init(c);
}

int64_t s3_cursor_start_ms(const s3_cursor *c, int64_t lookback_ms)
{
	if (c->high_water_ms == INT64_MIN)
		return INT64_MIN;
	return c->high_water_ms - lookback_ms;
}

s3_cursor_state s3_cursor_check(const s3_cursor *c, const char *path,
				const char *etag, int64_t hour_ms,
				int64_t modified_ms, int64_t lookback_ms)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->items[i].path, path) == 0)
			return strcmp(c->items[i].etag, etag) == 0 ? S3_CURSOR_SEEN
								   : S3_CURSOR_CHANGED;
	if (hour_ms < s3_cursor_start_ms(c, lookback_ms))
		/* written after every listing its hour was in */
		return modified_ms != INT64_MIN && modified_ms > c->listed_ms
			       ? S3_CURSOR_LATE
			       : S3_CURSOR_TOO_OLD;
	return S3_CURSOR_NEW;
}

int s3_cursor_note(s3_cursor *c, const char *path, const char *etag,
		   int64_t hour_ms, int64_t modified_ms, kpg_err *err)
{
	s3_cursor_entry e = {NULL, NULL, hour_ms, modified_ms};

	if (strlen(path) > S3_CURSOR_MAX_PATH || strlen(etag) > S3_CURSOR_MAX_ETAG) {
		kpg_err_set(err, "S3 cursor: path or ETag too long: %.200s", path);
		return KPG_ETOOBIG;
	}
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->items[i].path, path) == 0) {
			char *etag_copy = strdup(etag);

			if (etag_copy == NULL)
				goto nomem;
			free(c->items[i].etag);
			c->items[i].etag = etag_copy; /* a changed ETag, noted */
			/* kept until listed_ms covers the new version too */
			if (modified_ms > c->items[i].modified_ms)
				c->items[i].modified_ms = modified_ms;
			return 0;
		}
	if (c->n >= S3_CURSOR_MAX_ENTRIES) {
		kpg_err_set(err, "S3 cursor: more than %d objects within the look-back",
			    S3_CURSOR_MAX_ENTRIES);
		return KPG_ETOOBIG;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		s3_cursor_entry *ni = realloc(c->items, cap * sizeof(*ni));

		if (ni == NULL)
			goto nomem;
		c->items = ni;
		c->cap = cap;
	}
	e.path = strdup(path);
	e.etag = strdup(etag);
	if (e.path == NULL || e.etag == NULL)
		goto nomem;
	c->items[c->n++] = e; /* now owned by c */
	if (hour_ms > c->high_water_ms)
		c->high_water_ms = hour_ms;
	return 0;
nomem:
	free(e.path);
	free(e.etag);
	kpg_err_set(err, "out of memory for the S3 cursor");
	return KPG_ENOMEM;
}

size_t s3_cursor_prune(s3_cursor *c, int64_t lookback_ms)
{
	int64_t start = s3_cursor_start_ms(c, lookback_ms);
	size_t kept = 0, dropped;

	for (size_t i = 0; i < c->n; i++) {
		/* kept while a late object's listing is not yet covered by
		 * listed_ms, so it reads as seen, not as late again */
		if (c->items[i].hour_ms < start && c->items[i].modified_ms <= c->listed_ms) {
			free(c->items[i].path);
			free(c->items[i].etag);
			continue;
		}
		c->items[kept++] = c->items[i];
	}
	dropped = c->n - kept;
	c->n = kept;
	return dropped;
}

void s3_cursor_listed(s3_cursor *c, int64_t listed_ms)
{
	if (listed_ms > c->listed_ms)
		c->listed_ms = listed_ms;
}

/* ---- bytes: u32 magic, i64 high water, i64 listed, u32 n, then per
 * entry u32 len + path, u32 len + etag, i64 hour, i64 modified;
 * little-endian. "S3C1" had neither listed nor modified. ------------ */

static void put_u32(unsigned char **p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		*(*p)++ = (unsigned char)(v >> (8 * i));
}

static void put_i64(unsigned char **p, int64_t v)
{
	uint64_t u = (uint64_t)v;

	for (int i = 0; i < 8; i++)
		*(*p)++ = (unsigned char)(u >> (8 * i));
}

static void put_str(unsigned char **p, const char *s)
{
	size_t len = strlen(s);

	put_u32(p, (uint32_t)len);
	memcpy(*p, s, len);
	*p += len;
}

int s3_cursor_encode(const s3_cursor *c, unsigned char **out, size_t *len,
		     kpg_err *err)
{
	size_t size = 24;
	unsigned char *b, *p;

	for (size_t i = 0; i < c->n; i++)
		size += 24 + strlen(c->items[i].path) + strlen(c->items[i].etag);
	b = malloc(size);
	if (b == NULL) {
		kpg_err_set(err, "out of memory encoding the S3 cursor");
		return KPG_ENOMEM;
	}
	p = b;
	put_u32(&p, S3_CURSOR_MAGIC);
	put_i64(&p, c->high_water_ms);
	put_i64(&p, c->listed_ms);
	put_u32(&p, (uint32_t)c->n);
	for (size_t i = 0; i < c->n; i++) {
		put_str(&p, c->items[i].path);
		put_str(&p, c->items[i].etag);
		put_i64(&p, c->items[i].hour_ms);
		put_i64(&p, c->items[i].modified_ms);
	}
	*out = b; /* caller frees */
	*len = size;
	return 0;
}

typedef struct s3_cursor_rd {
	const unsigned char *p;
	size_t left;
	int bad;
} s3_cursor_rd;

static uint64_t get_le(s3_cursor_rd *r, int n)
{
	uint64_t v = 0;

	if (r->bad || r->left < (size_t)n) {
		r->bad = 1;
		return 0;
	}
	for (int i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	r->left -= (size_t)n;
	return v;
}

/* A copy of the next string (at most max bytes, no NUL inside), or NULL. */
static char *get_str(s3_cursor_rd *r, size_t max)
{
	size_t len = (size_t)get_le(r, 4);
	char *s;

	if (r->bad || len > max || len > r->left || memchr(r->p, '\0', len)) {
		r->bad = 1;
		return NULL;
	}
	s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, r->p, len);
	s[len] = '\0';
	r->p += len;
	r->left -= len;
	return s;
}

int s3_cursor_decode(s3_cursor *c, const unsigned char *b, size_t len,
		     int64_t v1_listed_ms, kpg_err *err)
{
	s3_cursor_rd r = {b, len, 0};
	s3_cursor tmp;
	uint64_t n, magic;
	int rc = 0, v1;

	s3_cursor_init(&tmp);
	magic = get_le(&r, 4);
	v1 = magic == S3_CURSOR_MAGIC_V1;
	if (!v1 && magic != S3_CURSOR_MAGIC)
		r.bad = 1;
	tmp.high_water_ms = (int64_t)get_le(&r, 8);
	/* a version 1 cursor's objects were all listed before it was read */
	tmp.listed_ms = v1 ? v1_listed_ms : (int64_t)get_le(&r, 8);
	n = get_le(&r, 4);
	if (n > S3_CURSOR_MAX_ENTRIES || n > r.left / (v1 ? 16 : 24))
		r.bad = 1;
	for (uint64_t i = 0; !r.bad && i < n; i++) {
		char *path = get_str(&r, S3_CURSOR_MAX_PATH);
		char *etag = get_str(&r, S3_CURSOR_MAX_ETAG);
		int64_t hour = (int64_t)get_le(&r, 8);
		int64_t modified = v1 ? INT64_MIN : (int64_t)get_le(&r, 8);

		if (!r.bad && (path == NULL || etag == NULL))
			rc = KPG_ENOMEM;
		else if (!r.bad)
			rc = s3_cursor_note(&tmp, path, etag, hour, modified, err);
		free(path);
		free(etag);
		if (rc)
			goto fail;
	}
	if (r.bad || r.left != 0) {
		kpg_err_set(err, "the checkpoint's S3 cursor is corrupt");
		rc = KPG_EINTEGRITY;
		goto fail;
	}
	s3_cursor_free(c);
	*c = tmp; /* now owned by c */
	return 0;
fail:
	if (rc == KPG_ENOMEM)
		kpg_err_set(err, "out of memory decoding the S3 cursor");
	s3_cursor_free(&tmp);
	return rc;
}
