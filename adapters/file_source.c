/* file_source.c - expand user paths into an ordered file list, and read
 * JSON Lines from a file with a capped, reused line buffer (see
 * file_source.h). */
#include "file_source.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "kpg_time.h"

#define FS_MAX_DEPTH 64
#define FS_MAX_FILES 1000000
#define FS_PATH_MAX 4096
#define LR_CHUNK (64 * 1024)
#define LR_PAD 64 /* simdjson padding past the line */
#define LR_DEFAULT_MAX ((size_t)1 << 20)
#define LR_LIMIT_MAX ((size_t)1 << 30)

struct fs_entry {
	char *path;
	char *tag; /* owned, NULL for a local file */
	int64_t ms;
	int64_t modified_ms; /* a remote object's; INT64_MIN otherwise */
};

struct fs_vec {
	struct fs_entry *v;
	size_t n, cap;
	size_t skipped[FILE_SKIP__COUNT], n_skipped;
	char *skipped_first[FILE_SKIP_KEPT]; /* owned until handed to the list */
};

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static unsigned num2(const char *s)
{
	return (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
}

static unsigned days_in_month(unsigned y, unsigned m)
{
	static const unsigned d[12] = {31, 28, 31, 30, 31, 30,
				       31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : d[m - 1];
}

int file_partition_time(const char *path, int64_t *ms)
{
	/* segment starts and lengths of a sliding window of 4 directories */
	const char *seg[4];
	size_t len[4];
	size_t nseg = 0;
	int found = 0;
	int64_t best = 0;
	const char *s = path;

	for (;;) {
		const char *slash = strchr(s, '/');
		if (!slash)
			break; /* the last segment is the file name */
		if (nseg == 4) {
			memmove(seg, seg + 1, 3 * sizeof(seg[0]));
			memmove(len, len + 1, 3 * sizeof(len[0]));
			nseg = 3;
		}
		seg[nseg] = s;
		len[nseg] = (size_t)(slash - s);
		nseg++;
		if (nseg == 4 && len[0] == 4 && len[1] == 2 && len[2] == 2 &&
		    len[3] == 2 && all_digits(seg[0], 4) &&
		    all_digits(seg[1], 2) && all_digits(seg[2], 2) &&
		    all_digits(seg[3], 2)) {
			unsigned y = (unsigned)(seg[0][0] - '0') * 1000 +
				     num2(seg[0] + 1) * 10 +
				     (unsigned)(seg[0][3] - '0');
			unsigned m = num2(seg[1]), d = num2(seg[2]);
			unsigned h = num2(seg[3]);
			if (m >= 1 && m <= 12 && d >= 1 &&
			    d <= days_in_month(y, m) && h <= 23) {
				best = kpg_time_days_from_civil(y, m, d) *
					       86400000LL +
				       (int64_t)h * 3600000LL;
				found = 1;
			}
		}
		s = slash + 1;
	}
	if (!found)
		return KPG_ENOTFOUND;
	*ms = best;
	return 0;
}

static int ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

/* A capture file by its name: *.jsonl or *.jsonl.gz, else why not. */
static int wanted_name(const char *name, file_skip_reason *why)
{
	if (ends_with(name, ".jsonl") || ends_with(name, ".jsonl.gz"))
		return 1;
	*why = ends_with(name, ".json") ? FILE_SKIP_JSON : FILE_SKIP_NAME;
	return 0;
}

const char *file_skip_reason_name(file_skip_reason r)
{
	switch (r) {
	case FILE_SKIP_JSON: return "json";
	case FILE_SKIP_NAME: return "other_name";
	case FILE_SKIP_NOT_REGULAR: return "not_regular_file";
	default: return "unknown";
	}
}

static int vec_push(struct fs_vec *fv, const char *path, kpg_err *err)
{
	char *copy;

	if (fv->n >= FS_MAX_FILES) {
		kpg_err_set(err, "more than %d input files", FS_MAX_FILES);
		return KPG_ETOOBIG;
	}
	if (fv->n == fv->cap) {
		size_t nc = fv->cap ? fv->cap * 2 : 64;
		struct fs_entry *v = realloc(fv->v, nc * sizeof(*v));
		if (!v)
			goto nomem;
		fv->v = v;
		fv->cap = nc;
	}
	copy = strdup(path);
	if (!copy)
		goto nomem;
	fv->v[fv->n].path = copy;
	fv->v[fv->n].tag = NULL;
	fv->v[fv->n].modified_ms = INT64_MIN;
	if (file_partition_time(path, &fv->v[fv->n].ms))
		fv->v[fv->n].ms = INT64_MIN;
	fv->n++;
	return 0;
nomem:
	kpg_err_set(err, "out of memory listing input files");
	return KPG_ENOMEM;
}

static int vec_skip(struct fs_vec *fv, const char *path, file_skip_reason why,
		    kpg_err *err)
{
	if (fv->n_skipped < FILE_SKIP_KEPT &&
	    (fv->skipped_first[fv->n_skipped] = strdup(path)) == NULL) {
		kpg_err_set(err, "out of memory listing input files");
		return KPG_ENOMEM;
	}
	fv->skipped[why]++;
	fv->n_skipped++;
	return 0;
}

static int walk(struct fs_vec *fv, const char *dir, int depth, kpg_err *err)
{
	DIR *dp;
	struct dirent *de;
	char child[FS_PATH_MAX];
	size_t dlen = strlen(dir);
	int rc = 0;

	if (depth > FS_MAX_DEPTH) {
		kpg_err_set(err, "%s: folders nested deeper than %d levels",
			    dir, FS_MAX_DEPTH);
		return KPG_ETOOBIG;
	}
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	dp = opendir(dir);
	if (!dp) {
		kpg_err_set(err, "%s: cannot open folder: %s", dir,
			    strerror(errno));
		return KPG_EIO;
	}
	for (;;) {
		struct stat st;
		file_skip_reason why = FILE_SKIP_NAME;

		errno = 0;
		de = readdir(dp);
		if (!de) {
			if (errno) {
				kpg_err_set(err, "%s: cannot read folder: %s",
					    dir, strerror(errno));
				rc = KPG_EIO;
			}
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%.*s/%s", (int)dlen,
				     dir, de->d_name) >= sizeof(child)) {
			kpg_err_set(err, "%s/%s: path too long", dir,
				    de->d_name);
			rc = KPG_ETOOBIG;
			break;
		}
		if (lstat(child, &st)) {
			kpg_err_set(err, "%s: %s", child, strerror(errno));
			rc = KPG_EIO;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = walk(fv, child, depth + 1, err);
			if (rc)
				break;
			continue;
		}
		/* a symlink counts when it points at a regular file */
		if ((S_ISLNK(st.st_mode) && stat(child, &st)) || !S_ISREG(st.st_mode))
			rc = vec_skip(fv, child, FILE_SKIP_NOT_REGULAR, err);
		else if (wanted_name(de->d_name, &why))
			rc = vec_push(fv, child, err);
		else
			rc = vec_skip(fv, child, why, err);
		if (rc)
			break;
	}
	closedir(dp);
	return rc;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct fs_entry *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms < y->ms ? -1 : 1;
	return strcmp(x->path, y->path);
}

int file_list_sink_add(file_list_sink *fv, const char *path, const char *tag,
		       int64_t modified_ms, int named, kpg_err *err)
{
	const char *base = strrchr(path, '/');
	file_skip_reason why = FILE_SKIP_NAME;
	int rc;

	if (!named && !wanted_name(base ? base + 1 : path, &why))
		return vec_skip(fv, path, why, err);
	rc = vec_push(fv, path, err);
	if (rc == 0)
		fv->v[fv->n - 1].modified_ms = modified_ms;
	if (rc == 0 && tag && !(fv->v[fv->n - 1].tag = strdup(tag))) {
		kpg_err_set(err, "out of memory listing input files");
		return KPG_ENOMEM;
	}
	return rc;
}

int file_list_expand(const char *const *paths, size_t n_paths, file_list *out,
		     kpg_err *err)
{
	return file_list_expand_remote(paths, n_paths, NULL, NULL, NULL, out, err);
}

int file_list_expand_remote(const char *const *paths, size_t n_paths,
			    const char *scheme, file_list_remote_fn remote,
			    void *opaque, file_list *out, kpg_err *err)
{
	struct fs_vec fv = {0};
	size_t i, k;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n_paths; i++) {
		struct stat st;

		if (remote && scheme && strncmp(paths[i], scheme, strlen(scheme)) == 0) {
			rc = remote(opaque, paths[i], &fv, err);
			if (rc)
				goto fail;
			continue;
		}
		if (stat(paths[i], &st)) {
			kpg_err_set(err, "%s: %s", paths[i], strerror(errno));
			rc = errno == ENOENT ? KPG_ENOTFOUND : KPG_EIO;
			goto fail;
		}
		if (S_ISDIR(st.st_mode))
			rc = walk(&fv, paths[i], 0, err);
		else
			rc = vec_push(&fv, paths[i], err);
		if (rc)
			goto fail;
	}
	if (fv.n)
		qsort(fv.v, fv.n, sizeof(fv.v[0]), entry_cmp);

	out->paths = calloc(fv.n ? fv.n : 1, sizeof(*out->paths));
	out->partition_ms = calloc(fv.n ? fv.n : 1, sizeof(*out->partition_ms));
	out->tags = calloc(fv.n ? fv.n : 1, sizeof(*out->tags));
	out->modified_ms = calloc(fv.n ? fv.n : 1, sizeof(*out->modified_ms));
	if (!out->paths || !out->partition_ms || !out->tags || !out->modified_ms) {
		kpg_err_set(err, "out of memory listing input files");
		rc = KPG_ENOMEM;
		goto fail;
	}
	for (i = 0, k = 0; i < fv.n; i++) {
		if (k && !strcmp(out->paths[k - 1], fv.v[i].path)) {
			free(fv.v[i].path);
			free(fv.v[i].tag);
			continue;
		}
		out->paths[k] = fv.v[i].path;
		out->tags[k] = fv.v[i].tag;
		out->partition_ms[k] = fv.v[i].ms;
		out->modified_ms[k] = fv.v[i].modified_ms;
		k++;
	}
	out->n = k;
	memcpy(out->skipped, fv.skipped, sizeof(out->skipped));
	out->n_skipped = fv.n_skipped;
	memcpy(out->skipped_first, fv.skipped_first, sizeof(out->skipped_first));
	free(fv.v);
	return 0;
fail:
	for (i = 0; i < fv.n; i++) {
		free(fv.v[i].path);
		free(fv.v[i].tag);
	}
	for (i = 0; i < FILE_SKIP_KEPT; i++)
		free(fv.skipped_first[i]);
	free(fv.v);
	free(out->paths);
	free(out->partition_ms);
	free(out->tags);
	memset(out, 0, sizeof(*out));
	return rc;
}

void file_list_free(file_list *fl)
{
	if (!fl)
		return;
	for (size_t i = 0; i < fl->n; i++) {
		free(fl->paths[i]);
		if (fl->tags)
			free(fl->tags[i]);
	}
	free(fl->paths);
	free(fl->tags);
	free(fl->partition_ms);
	free(fl->modified_ms);
	for (size_t i = 0; i < FILE_SKIP_KEPT; i++)
		free(fl->skipped_first[i]);
	memset(fl, 0, sizeof(*fl));
}

/* Switches to zlib when the file starts with gzip's magic bytes or is
 * named *.gz; a *.gz that is not gzip is reported by the first read. */
static int lr_open_gzip(line_reader *lr, const char *path, kpg_err *err)
{
	unsigned char magic[2];
	size_t got = fread(magic, 1, 2, lr->fp);
	int is_gz = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	gzFile gz;

	if (!is_gz && !ends_with(path, ".gz")) {
		rewind(lr->fp);
		return 0;
	}
	gz = gzopen(path, "rb");
	if (gz == NULL) {
		kpg_err_set(err, "%s: cannot open for gzip reading: %s", path,
			    errno ? strerror(errno) : "out of memory");
		return errno == ENOENT ? KPG_ENOTFOUND : KPG_EIO;
	}
	gzbuffer(gz, LR_CHUNK);
	fclose(lr->fp);
	lr->fp = NULL;
	lr->gz = gz;
	lr->gz_not_gzip = !is_gz || gzdirect(gz);
	return 0;
}

/* Fills lr->chunk from the gzip stream: 0 with *got (0 at the end), or
 * KPG_EINTEGRITY / KPG_EIO with the file and the last whole line named. */
static int lr_read_gzip(line_reader *lr, size_t *got, kpg_err *err)
{
	int n, errnum = Z_OK;
	const char *msg;

	*got = 0;
	if (lr->gz_not_gzip) {
		kpg_err_set(err, "%s: not a gzip stream", lr->path);
		return KPG_EINTEGRITY;
	}
	n = gzread((gzFile)lr->gz, lr->chunk, LR_CHUNK);
	msg = gzerror((gzFile)lr->gz, &errnum);
	if (n < 0 || (n == 0 && errnum != Z_OK && errnum != Z_STREAM_END)) {
		if (errnum == Z_ERRNO) {
			kpg_err_set(err, "%s: read error after line %llu: %s", lr->path,
				    (unsigned long long)lr->line_no, strerror(errno));
			return KPG_EIO;
		}
		/* zlib's message starts with the path it was opened with */
		if (strncmp(msg, lr->path, strlen(lr->path)) == 0 &&
		    strncmp(msg + strlen(lr->path), ": ", 2) == 0)
			msg += strlen(lr->path) + 2;
		kpg_err_set(err, "%s: corrupt gzip stream after line %llu: %s",
			    lr->path, (unsigned long long)lr->line_no,
			    errnum == Z_BUF_ERROR ? "truncated" : msg);
		return KPG_EINTEGRITY;
	}
	*got = (size_t)n;
	return 0;
}

int line_reader_open(line_reader *lr, const char *path, size_t max_line,
		     kpg_err *err)
{
	int rc;

	memset(lr, 0, sizeof(*lr));
	if (!max_line)
		max_line = LR_DEFAULT_MAX;
	if (max_line > LR_LIMIT_MAX) {
		kpg_err_set(err, "line cap %zu is over the %zu limit", max_line,
			    LR_LIMIT_MAX);
		return KPG_EINVAL;
	}
	lr->max_line = max_line;
	lr->cap = (max_line + 1 < 4096 ? max_line + 1 : 4096) + LR_PAD + 1;
	lr->buf = malloc(lr->cap);
	lr->chunk = malloc(LR_CHUNK);
	if (!lr->buf || !lr->chunk) {
		kpg_err_set(err, "out of memory opening %s", path);
		rc = KPG_ENOMEM;
		goto fail;
	}
	lr->path = path;
	lr->fp = fopen(path, "rb");
	if (!lr->fp) {
		kpg_err_set(err, "%s: %s", path, strerror(errno));
		rc = errno == ENOENT ? KPG_ENOTFOUND : KPG_EIO;
		goto fail;
	}
	if ((rc = lr_open_gzip(lr, path, err)) != 0)
		goto fail;
	return 0;
fail:
	line_reader_close(lr); /* frees what was allocated, zeroes *lr */
	return rc;
}

/* Room for n line bytes, the NUL and the padding. */
static int lr_grow(line_reader *lr, size_t n, kpg_err *err)
{
	size_t need = n + 1 + LR_PAD, nc;
	char *b;

	if (need <= lr->cap)
		return 0;
	nc = lr->cap * 2;
	if (nc < need)
		nc = need;
	if (nc > lr->max_line + 2 + LR_PAD)
		nc = lr->max_line + 2 + LR_PAD; /* max_line, a '\r', NUL */
	b = realloc(lr->buf, nc);
	if (!b) {
		kpg_err_set(err, "out of memory reading a line");
		return KPG_ENOMEM;
	}
	lr->buf = b;
	lr->cap = nc;
	return 0;
}

static int is_blank_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int line_reader_next(line_reader *lr, const char **line, size_t *len,
		     kpg_err *err)
{
	size_t n = 0;
	int too_big = 0, have = 0, rc;

	*line = NULL;
	*len = 0;
	for (;;) {
		const char *p, *nl;
		size_t seg;

		if (lr->chunk_pos == lr->chunk_len) {
			size_t got;

			if (lr->at_eof) {
				if (!have)
					return LINE_EOF;
				goto line_end;
			}
			if (lr->gz != NULL) {
				if ((rc = lr_read_gzip(lr, &got, err)) != 0)
					return rc;
			} else {
				got = fread(lr->chunk, 1, LR_CHUNK, lr->fp);
			}
			if (got == 0) {
				if (lr->fp != NULL && ferror(lr->fp)) {
					kpg_err_set(err, "read error after line "
							 "%llu",
						    (unsigned long long)lr->line_no);
					return KPG_EIO;
				}
				lr->at_eof = 1;
				continue;
			}
			lr->chunk_pos = 0;
			lr->chunk_len = got;
		}
		p = lr->chunk + lr->chunk_pos;
		nl = memchr(p, '\n', lr->chunk_len - lr->chunk_pos);
		seg = nl ? (size_t)(nl - p) : lr->chunk_len - lr->chunk_pos;
		have = 1;
		/* max_line + 1 leaves room for a '\r' dropped below */
		if (!too_big && n + seg > lr->max_line + 1)
			too_big = 1;
		if (!too_big) {
			if ((rc = lr_grow(lr, n + seg, err)))
				return rc;
			memcpy(lr->buf + n, p, seg);
			n += seg;
		}
		lr->chunk_pos += seg + (nl ? 1 : 0);
		if (!nl)
			continue;
line_end:
		lr->line_no++;
		if (!too_big && n && lr->buf[n - 1] == '\r')
			n--;
		if (too_big || n > lr->max_line)
			return LINE_TOO_BIG;
		if (is_blank_line(lr->buf, n)) {
			n = 0;
			have = 0;
			continue;
		}
		lr->buf[n] = '\0';
		*line = lr->buf;
		*len = n;
		return LINE_OK;
	}
}

void line_reader_close(line_reader *lr)
{
	if (!lr)
		return;
	if (lr->fp)
		fclose(lr->fp);
	if (lr->gz)
		gzclose((gzFile)lr->gz);
	free(lr->buf);
	free(lr->chunk);
	memset(lr, 0, sizeof(*lr));
}

void file_endpoint_of(const char *path, char *out, size_t n)
{
	const char *seg[64];
	size_t ns = 0;
	int64_t ms;

	out[0] = '\0';
	if (file_partition_time(path, &ms) != 0)
		return;
	seg[ns++] = path;
	for (const char *p = path; *p && ns < 64; p++)
		if (*p == '/' && p[1])
			seg[ns++] = p + 1;
	/* the partition is the last 5 segments (yyyy mm dd hh file) */
	if (ns >= 7) {
		const char *s = seg[ns - 7], *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);

		if (len >= n)
			len = n - 1;
		memcpy(out, s, len);
		out[len] = '\0';
	}
}
