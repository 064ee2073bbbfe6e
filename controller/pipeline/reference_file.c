/* reference_file.c - a compiled reference: writer, reader and the options
 * check (reference_file.h; docs/reference-file.md for the layout).
 *
 * The reader checks, in this order, and stops at the first failure: the
 * magic and version, the file size the header promises, the section
 * directory's shape, the seal (SHA-256 of header and directory), then each
 * section's SHA-256 before a byte of it is decoded; and while decoding,
 * every count against its limit and against the bytes its section has
 * left, and every value against what reference_load itself would produce
 * (sorted values ascending and finite, PSI edges strictly ascending,
 * categories distinct, the payload naming each feature once and in
 * order). Like controller/daemon/state.c, the decoder remembers its first
 * error and later reads return zeros, so a damaged file is one message
 * and never half a reference. */
#include "reference_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpg_file.h"
#include "psi.h"

#define RF_HEADER_LEN 32
#define RF_DIR_ENTRY_LEN 56
#define RF_SEAL_LEN 32
#define RF_NO_STRING 0xFFFFFFFFu

enum { RF_OPTIONS = 1,
       RF_SCHEMA = 2,
       RF_FEATURE = 3 };

static int host_le(void)
{
	const uint16_t one = 1;

	return *(const unsigned char *)&one == 1;
}

static void le_put(unsigned char *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t le_get(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t f64_bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static double bits_f64(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

static void hex_of(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < 2 * n; i++) {
		int c = s[i], v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return s[2 * n] == '\0' ? 0 : -1;
}

static unsigned effective_bins(const reference_options *opt)
{
	return opt != NULL && opt->psi_bins ? opt->psi_bins : PSI_DEFAULT_BINS;
}

/* ---- writer ------------------------------------------------------- */

typedef struct rf_w {
	int fd;
	EVP_MD_CTX *md; /* the open section's digest, NULL between sections */
	unsigned char buf[1 << 16];
	size_t len;
	uint64_t off; /* bytes put so far, buffered ones included */
	int err_no;   /* first write error, 0 while fine */
	int nomem;
} rf_w;

typedef struct rf_dirent {
	uint32_t kind, index;
	uint64_t offset, length;
	unsigned char sha[32];
} rf_dirent;

static void w_flush(rf_w *w)
{
	size_t off = 0;

	while (w->err_no == 0 && off < w->len) {
		ssize_t k = write(w->fd, w->buf + off, w->len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			w->err_no = k < 0 ? errno : EIO;
		else
			off += (size_t)k;
	}
	w->len = 0;
}

static void w_bytes(rf_w *w, const void *p, size_t n)
{
	const unsigned char *s = p;

	if (w->md != NULL && n > 0 && EVP_DigestUpdate(w->md, p, n) != 1)
		w->nomem = 1;
	w->off += n;
	while (n > 0) {
		size_t k = sizeof(w->buf) - w->len;

		if (k > n)
			k = n;
		memcpy(w->buf + w->len, s, k);
		w->len += k;
		s += k;
		n -= k;
		if (w->len == sizeof(w->buf))
			w_flush(w);
	}
}

static void w_num(rf_w *w, uint64_t v, size_t n)
{
	unsigned char b[8];

	le_put(b, v, n);
	w_bytes(w, b, n);
}

static void w_f64(rf_w *w, double d) { w_num(w, f64_bits(d), 8); }

static void w_f64s(rf_w *w, const double *v, size_t n)
{
	if (host_le()) {
		w_bytes(w, v, n * sizeof(*v));
		return;
	}
	for (size_t i = 0; i < n; i++)
		w_f64(w, v[i]);
}

static void w_str(rf_w *w, const char *s)
{
	size_t n;

	if (s == NULL) {
		w_num(w, RF_NO_STRING, 4);
		return;
	}
	n = strlen(s);
	w_num(w, n, 4);
	w_bytes(w, s, n);
}

static void w_section_begin(rf_w *w, rf_dirent *d, uint32_t kind,
			    uint32_t index)
{
	d->kind = kind;
	d->index = index;
	d->offset = w->off;
	w->md = EVP_MD_CTX_new();
	if (w->md == NULL || EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1)
		w->nomem = 1;
}

static void w_section_end(rf_w *w, rf_dirent *d)
{
	d->length = w->off - d->offset;
	if (w->md != NULL && EVP_DigestFinal_ex(w->md, d->sha, NULL) != 1)
		w->nomem = 1;
	EVP_MD_CTX_free(w->md);
	w->md = NULL;
}

static void w_options(rf_w *w, const reference_options *opt,
		      const csv_header *columns, uint64_t max_values)
{
	w_num(w, max_values, 8);
	w_num(w, effective_bins(opt), 4);
	w_str(w, opt->label_column);
	w_num(w, opt->n_exclude, 4);
	for (size_t i = 0; i < opt->n_exclude; i++)
		w_str(w, opt->exclude[i]);
	w_num(w, opt->n_declared, 4);
	for (size_t i = 0; i < opt->n_declared; i++) {
		w_str(w, opt->declared[i].name);
		w_num(w, (uint64_t)opt->declared[i].type, 1);
	}
	w_num(w, opt->n_payload, 4);
	for (size_t i = 0; i < opt->n_payload; i++)
		w_str(w, opt->payload[i]);
	w_num(w, columns->n, 4);
	for (size_t i = 0; i < columns->n; i++)
		w_str(w, columns->names[i]);
}

static void w_schema(rf_w *w, const reference *ref)
{
	unsigned char sha[32];
	int has = ref->source_sha256[0] != '\0' &&
		  unhex(ref->source_sha256, sha, sizeof(sha)) == 0;
	const reference_labels *l = &ref->labels;

	w_num(w, (uint64_t)ref->source, 1);
	w_num(w, (uint64_t)has, 1);
	if (has)
		w_bytes(w, sha, sizeof(sha));
	w_num(w, ref->n_rows, 8);
	w_num(w, (uint64_t)(int64_t)ref->label_index, 4);
	w_num(w, l->n, 4);
	w_num(w, (uint64_t)(l->more != 0), 1);
	w_num(w, l->cells, 8);
	w_num(w, l->missing, 8);
	w_num(w, l->numbers, 8);
	w_num(w, l->booleans, 8);
	for (size_t i = 0; i < l->n; i++) {
		w_str(w, l->texts[i]);
		w_num(w, l->counts[i], 8);
	}
	w_num(w, ref->n_features, 4);
	w_num(w, ref->n_payload, 4);
	for (size_t i = 0; i < ref->n_payload; i++) {
		w_str(w, ref->payload_names[i]);
		w_num(w, (uint64_t)(int64_t)ref->payload_feature[i], 4);
	}
}

static void w_feature(rf_w *w, const reference_feature *f)
{
	w_str(w, f->name);
	w_num(w, (uint64_t)f->type, 1);
	w_num(w, (uint64_t)(f->inferred != 0), 1);
	w_num(w, f->missing, 8);
	w_num(w, f->n, 8);
	if (f->type == POLICY_FEATURE_NUMERIC) {
		w_num(w, (uint64_t)(f->weights != NULL), 1);
		w_f64(w, f->weight_total);
		w_f64(w, f->rank_error);
		w_f64s(w, f->sorted, f->n);
		if (f->weights != NULL)
			w_f64s(w, f->weights, f->n);
		w_num(w, f->psi.n_bins, 4);
		w_f64s(w, f->psi.edges, f->psi.n_bins ? f->psi.n_bins - 1 : 0);
		w_f64s(w, f->psi.ref_prop, f->psi.n_bins);
		return;
	}
	w_num(w, f->n_categories, 4);
	for (size_t j = 0; j < f->n_categories; j++)
		w_str(w, f->category_names[j]);
	w_f64s(w, f->category_counts, f->n_categories + 1);
}

/* What the writer refuses: what the reader would refuse. */
static int check_writable(const reference *ref, const reference_options *opt,
			  const csv_header *columns, kpg_err *err)
{
	if (ref->n_features == 0 || ref->n_features > REFERENCE_FILE_MAX_FEATURES) {
		kpg_err_set(err, "%zu features: a compiled reference holds 1 to %d",
			    ref->n_features, REFERENCE_FILE_MAX_FEATURES);
		return KPG_EINVAL;
	}
	if (ref->n_payload > REFERENCE_FILE_MAX_COLUMNS ||
	    columns->n > REFERENCE_FILE_MAX_COLUMNS ||
	    opt->n_exclude > REFERENCE_FILE_MAX_COLUMNS ||
	    opt->n_declared > REFERENCE_FILE_MAX_COLUMNS ||
	    opt->n_payload > REFERENCE_FILE_MAX_COLUMNS) {
		kpg_err_set(err, "more than %d columns", REFERENCE_FILE_MAX_COLUMNS);
		return KPG_EINVAL;
	}
	for (size_t i = 0; i < ref->n_features; i++) {
		const reference_feature *f = &ref->features[i];

		if (strlen(f->name) > REFERENCE_FILE_MAX_STRING) {
			kpg_err_set(err, "a feature name is longer than %d bytes",
				    REFERENCE_FILE_MAX_STRING);
			return KPG_EINVAL;
		}
		if ((uint64_t)f->n > REFERENCE_FILE_MAX_VALUES) {
			kpg_err_set(err, "feature '%s' has %zu values, more than a compiled reference stores (%llu): build it with --max-values",
				    f->name, f->n,
				    (unsigned long long)REFERENCE_FILE_MAX_VALUES);
			return KPG_EINVAL;
		}
		for (size_t j = 0; j < f->n_categories; j++)
			if (strlen(f->category_names[j]) > REFERENCE_FILE_MAX_STRING) {
				kpg_err_set(err, "feature '%s' has a category longer than %d bytes",
					    f->name, REFERENCE_FILE_MAX_STRING);
				return KPG_EINVAL;
			}
	}
	return 0;
}

int reference_file_write(const char *path, const reference *ref,
			 const reference_options *opt, const csv_header *columns,
			 uint64_t max_values, kpg_err *err)
{
	size_t n_sec = 2 + ref->n_features, plen = strlen(path) + 16;
	size_t dir_len = n_sec * RF_DIR_ENTRY_LEN;
	unsigned char *head = NULL, seal[32];
	rf_dirent *dir = NULL;
	char *tmp = NULL, *folder = NULL;
	rf_w *w = NULL;
	int rc;

	rc = check_writable(ref, opt, columns, err);
	if (rc)
		return rc;
	tmp = malloc(plen);
	w = calloc(1, sizeof(*w));
	dir = calloc(n_sec, sizeof(*dir));
	head = calloc(1, RF_HEADER_LEN + dir_len);
	if (tmp == NULL || w == NULL || dir == NULL || head == NULL) {
		free(tmp);
		tmp = NULL;
		goto nomem;
	}
	snprintf(tmp, plen, "%s.tmp-XXXXXX", path);
	w->fd = mkstemp(tmp);
	if (w->fd < 0) {
		kpg_err_set(err, "cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		tmp = NULL;
		rc = KPG_EIO;
		goto out;
	}
	(void)fchmod(w->fd, 0644);
	/* header and directory are written last, over these zeros */
	w_bytes(w, head, RF_HEADER_LEN + dir_len);
	w_section_begin(w, &dir[0], RF_OPTIONS, 0);
	w_options(w, opt, columns, max_values);
	w_section_end(w, &dir[0]);
	w_section_begin(w, &dir[1], RF_SCHEMA, 0);
	w_schema(w, ref);
	w_section_end(w, &dir[1]);
	for (size_t i = 0; i < ref->n_features; i++) {
		w_section_begin(w, &dir[2 + i], RF_FEATURE, (uint32_t)i);
		w_feature(w, &ref->features[i]);
		w_section_end(w, &dir[2 + i]);
	}
	w_flush(w);
	if (w->nomem)
		goto nomem;
	memcpy(head, REFERENCE_FILE_MAGIC, REFERENCE_FILE_MAGIC_LEN);
	le_put(head + 8, REFERENCE_FILE_VERSION, 4);
	le_put(head + 12, n_sec, 4);
	le_put(head + 16, w->off + RF_SEAL_LEN, 8);
	for (size_t s = 0; s < n_sec; s++) {
		unsigned char *e = head + RF_HEADER_LEN + s * RF_DIR_ENTRY_LEN;

		le_put(e, dir[s].kind, 4);
		le_put(e + 4, dir[s].index, 4);
		le_put(e + 8, dir[s].offset, 8);
		le_put(e + 16, dir[s].length, 8);
		memcpy(e + 24, dir[s].sha, 32);
	}
	if (EVP_Digest(head, RF_HEADER_LEN + dir_len, seal, NULL, EVP_sha256(),
		       NULL) != 1)
		goto nomem;
	w_bytes(w, seal, sizeof(seal));
	w_flush(w);
	if (w->err_no == 0 &&
	    pwrite(w->fd, head, RF_HEADER_LEN + dir_len, 0) != (ssize_t)(RF_HEADER_LEN + dir_len))
		w->err_no = errno ? errno : EIO;
	if (w->err_no == 0 && fsync(w->fd) != 0)
		w->err_no = errno;
	if (close(w->fd) != 0 && w->err_no == 0)
		w->err_no = errno;
	w->fd = -1;
	if (w->err_no == 0 && rename(tmp, path) != 0)
		w->err_no = errno;
	if (w->err_no) {
		kpg_err_set(err, "cannot write %s: %s", path, strerror(w->err_no));
		rc = KPG_EIO;
		goto out;
	}
	free(tmp);
	tmp = NULL;
	folder = kpg_dir_of(path);
	if (folder != NULL && kpg_fsync_dir(folder[0] ? folder : ".") != 0) {
		kpg_err_set(err, "cannot sync the folder of %s: %s", path,
			    strerror(errno));
		rc = KPG_EIO;
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	kpg_err_set(err, "out of memory writing %s", path);
	rc = KPG_ENOMEM;
out:
	if (w != NULL) {
		EVP_MD_CTX_free(w->md);
		if (w->fd >= 0 && tmp != NULL)
			close(w->fd);
	}
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(folder);
	free(w);
	free(dir);
	free(head);
	return rc;
}

/* ---- reader ------------------------------------------------------- */

/* One section being decoded. */
typedef struct rf_r {
	const unsigned char *p; /* the section's bytes */
	size_t len, pos;
	uint64_t base; /* its offset in the file */
	char what[40]; /* "options", "schema", "feature 3" */
	const char *path;
	int rc;
	kpg_err *err;
} rf_r;

static void r_fail(rf_r *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void r_fail(rf_r *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (r->rc)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->rc = KPG_EINTEGRITY;
	kpg_err_set(r->err, "%s: compiled reference is corrupt: section %s, byte %llu: %s",
		    r->path, r->what, (unsigned long long)(r->base + r->pos), msg);
}

static const unsigned char *r_take(rf_r *r, size_t n, const char *field)
{
	const unsigned char *p;

	if (r->rc == 0 && n > r->len - r->pos)
		r_fail(r, "%s: %zu bytes needed, %zu left in the section", field,
		       n, r->len - r->pos);
	if (r->rc)
		return NULL;
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

static uint64_t r_num(rf_r *r, size_t n, const char *field)
{
	const unsigned char *p = r_take(r, n, field);

	return p != NULL ? le_get(p, n) : 0;
}

static double r_f64(rf_r *r, const char *field)
{
	return bits_f64(r_num(r, 8, field));
}

/* A count in 0..max. */
static uint64_t r_count(rf_r *r, size_t width, uint64_t max, const char *field)
{
	uint64_t v = r_num(r, width, field);

	if (r->rc == 0 && v > max)
		r_fail(r, "%s: %llu, at most %llu", field, (unsigned long long)v,
		       (unsigned long long)max);
	return r->rc ? 0 : v;
}

/* n doubles into a new array (caller frees; NULL after an error). */
static double *r_f64s(rf_r *r, size_t n, const char *field)
{
	const unsigned char *p;
	double *v;

	if (r->rc == 0 && n > (r->len - r->pos) / 8)
		r_fail(r, "%s: %zu values, the section has room for %zu", field,
		       n, (r->len - r->pos) / 8);
	if (r->rc)
		return NULL;
	v = malloc(n ? n * sizeof(*v) : 1);
	if (v == NULL) {
		r->rc = KPG_ENOMEM;
		kpg_err_set(r->err, "out of memory reading %s", r->path);
		return NULL;
	}
	p = r_take(r, n * 8, field);
	if (host_le())
		memcpy(v, p, n * 8);
	else
		for (size_t i = 0; i < n; i++)
			v[i] = bits_f64(le_get(p + 8 * i, 8));
	return v;
}

/* A string: a new NUL-terminated copy (caller frees), NULL for "none"
 * when allowed; no NUL inside, at most REFERENCE_FILE_MAX_STRING bytes. */
static char *r_str(rf_r *r, int allow_none, const char *field)
{
	uint64_t n = r_num(r, 4, field);
	const unsigned char *p;
	char *s;

	if (r->rc)
		return NULL;
	if (n == RF_NO_STRING && allow_none)
		return NULL;
	if (n > REFERENCE_FILE_MAX_STRING) {
		r_fail(r, "%s: a string of %llu bytes, at most %d", field,
		       (unsigned long long)n, REFERENCE_FILE_MAX_STRING);
		return NULL;
	}
	p = r_take(r, (size_t)n, field);
	if (p == NULL)
		return NULL;
	if (memchr(p, '\0', (size_t)n) != NULL) {
		r_fail(r, "%s: a NUL byte inside a string", field);
		return NULL;
	}
	s = strndup((const char *)p, (size_t)n);
	if (s == NULL) {
		r->rc = KPG_ENOMEM;
		kpg_err_set(r->err, "out of memory reading %s", r->path);
	}
	return s;
}

static char **r_strs(rf_r *r, size_t *n, const char *field)
{
	char **v;

	*n = (size_t)r_count(r, 4, REFERENCE_FILE_MAX_COLUMNS, field);
	if (r->rc)
		return NULL;
	v = calloc(*n ? *n : 1, sizeof(*v));
	if (v == NULL) {
		r->rc = KPG_ENOMEM;
		kpg_err_set(r->err, "out of memory reading %s", r->path);
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < *n && r->rc == 0; i++)
		v[i] = r_str(r, 0, field);
	return v;
}

static void strs_free(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

void reference_file_info_free(reference_file_info *info)
{
	free(info->label_column);
	strs_free(info->exclude, info->n_exclude);
	for (size_t i = 0; info->declared != NULL && i < info->n_declared; i++)
		free(info->declared[i].name);
	free(info->declared);
	strs_free(info->payload, info->n_payload);
	strs_free(info->columns, info->n_columns);
	memset(info, 0, sizeof(*info));
}

static void r_options(rf_r *r, reference_file_info *info)
{
	uint64_t bins;

	info->max_values = r_num(r, 8, "max_values");
	bins = r_num(r, 4, "psi_bins");
	if (r->rc == 0 && (bins < 2 || bins > PSI_MAX_BINS))
		r_fail(r, "psi_bins: %llu, not in 2..%d", (unsigned long long)bins,
		       PSI_MAX_BINS);
	info->psi_bins = (unsigned)bins;
	info->label_column = r_str(r, 1, "label column");
	info->exclude = r_strs(r, &info->n_exclude, "excluded columns");
	info->n_declared = (size_t)r_count(r, 4, REFERENCE_FILE_MAX_COLUMNS,
					   "declared features");
	if (r->rc == 0) {
		info->declared = calloc(info->n_declared ? info->n_declared : 1,
					sizeof(*info->declared));
		if (info->declared == NULL) {
			info->n_declared = 0;
			r->rc = KPG_ENOMEM;
			kpg_err_set(r->err, "out of memory reading %s", r->path);
		}
	} else {
		info->n_declared = 0;
	}
	for (size_t i = 0; i < info->n_declared && r->rc == 0; i++) {
		info->declared[i].name = r_str(r, 0, "declared feature name");
		info->declared[i].type = (policy_feature_type)r_count(r, 1, POLICY_FEATURE_IGNORE,
								      "declared feature type");
	}
	info->payload = r_strs(r, &info->n_payload, "payload columns");
	info->columns = r_strs(r, &info->n_columns, "source columns");
}

static void r_schema(rf_r *r, reference *out, reference_file_info *info,
		     size_t *n_features)
{
	reference_labels *l = &out->labels;
	uint64_t has, n_pay;
	int64_t label_index;

	info->compiled_from = (reference_source)r_count(r, 1, REFERENCE_SOURCE_COMPILED,
							"source kind");
	has = r_count(r, 1, 1, "source hash flag");
	if (has) {
		const unsigned char *p = r_take(r, 32, "source hash");

		if (p != NULL)
			hex_of(p, 32, out->source_sha256);
	}
	out->n_rows = r_num(r, 8, "rows");
	label_index = (int32_t)(uint32_t)r_num(r, 4, "label column index");
	if (r->rc == 0 && (label_index < -1 ||
			   label_index >= (int64_t)info->n_columns))
		r_fail(r, "label column index %lld: the source has %zu columns",
		       (long long)label_index, info->n_columns);
	out->label_index = (int)label_index;
	l->n = (size_t)r_count(r, 4, REFERENCE_MAX_LABELS, "label texts");
	l->more = (int)r_count(r, 1, 1, "label texts cut");
	l->cells = r_num(r, 8, "label cells");
	l->missing = r_num(r, 8, "label missing cells");
	l->numbers = r_num(r, 8, "label numbers");
	l->booleans = r_num(r, 8, "label booleans");
	for (size_t i = 0; i < l->n && r->rc == 0; i++) {
		char *t = r_str(r, 0, "label text");

		if (t != NULL && strlen(t) >= LABEL_TEXT_MAX)
			r_fail(r, "label text of %zu bytes, at most %d", strlen(t),
			       LABEL_TEXT_MAX - 1);
		if (r->rc == 0)
			memcpy(l->texts[i], t, strlen(t) + 1);
		free(t);
		l->counts[i] = r_num(r, 8, "label count");
	}
	*n_features = (size_t)r_count(r, 4, REFERENCE_FILE_MAX_FEATURES, "features");
	if (r->rc == 0 && *n_features == 0)
		r_fail(r, "no features");
	n_pay = r_count(r, 4, REFERENCE_FILE_MAX_COLUMNS, "payload columns");
	if (r->rc)
		return;
	out->payload_names = calloc(n_pay ? n_pay : 1, sizeof(*out->payload_names));
	out->payload_feature = calloc(n_pay ? n_pay : 1, sizeof(*out->payload_feature));
	if (out->payload_names == NULL || out->payload_feature == NULL) {
		r->rc = KPG_ENOMEM;
		kpg_err_set(r->err, "out of memory reading %s", r->path);
		return;
	}
	for (size_t k = 0, next = 0; k < n_pay && r->rc == 0; k++) {
		int64_t feat;

		out->payload_names[k] = r_str(r, 0, "payload column name");
		out->n_payload = k + 1;
		feat = (int32_t)(uint32_t)r_num(r, 4, "payload column feature");
		if (r->rc)
			break;
		/* features are in payload order: the k-th feature column is
		 * feature next */
		if (feat == REFERENCE_IGNORED) {
			out->n_ignored++;
		} else if (feat != (int64_t)next) {
			r_fail(r, "payload column %zu names feature %lld, expected %zu",
			       k, (long long)feat, next);
		} else {
			next++;
		}
		out->payload_feature[k] = (int)feat;
	}
	if (r->rc == 0 && out->n_payload - out->n_ignored != *n_features)
		r_fail(r, "the payload places %zu features, the schema has %zu",
		       out->n_payload - out->n_ignored, *n_features);
}

static void r_numeric(rf_r *r, reference_feature *f)
{
	uint64_t has_w = r_count(r, 1, 1, "weights flag");
	uint64_t bins;

	f->weight_total = r_f64(r, "weight total");
	f->rank_error = r_f64(r, "rank error");
	if (r->rc == 0 && f->n == 0)
		r_fail(r, "a numeric feature without values");
	if (r->rc == 0 && !(f->rank_error >= 0 && f->rank_error <= 1))
		r_fail(r, "rank error %g, not in [0, 1]", f->rank_error);
	f->sorted = r_f64s(r, f->n, "sorted values");
	for (size_t i = 0; r->rc == 0 && i < f->n; i++)
		if (!isfinite(f->sorted[i]) || (i > 0 && f->sorted[i] < f->sorted[i - 1]))
			r_fail(r, "sorted value %zu is %s", i,
			       isfinite(f->sorted[i]) ? "below the one before" : "not finite");
	if (has_w) {
		double sum = 0;

		f->weights = r_f64s(r, f->n, "weights");
		for (size_t i = 0; r->rc == 0 && i < f->n; i++) {
			if (!(isfinite(f->weights[i]) && f->weights[i] > 0))
				r_fail(r, "weight %zu is %g, not a positive number", i,
				       f->weights[i]);
			sum += f->weights[i];
		}
		if (r->rc == 0 && !(fabs(sum - f->weight_total) <= 1e-9 * sum))
			r_fail(r, "the weights sum to %.17g, the total says %.17g", sum,
			       f->weight_total);
	} else if (r->rc == 0 && (f->weight_total != (double)f->n || f->rank_error != 0)) {
		r_fail(r, "an exact sample of %zu values with weight total %g and rank error %g",
		       f->n, f->weight_total, f->rank_error);
	}
	bins = r_count(r, 4, PSI_MAX_BINS, "PSI bins");
	if (r->rc == 0 && bins == 0)
		r_fail(r, "no PSI bins");
	f->psi.edges = r_f64s(r, bins ? bins - 1 : 0, "PSI edges");
	f->psi.ref_prop = r_f64s(r, bins, "PSI proportions");
	if (r->rc == 0)
		f->psi.n_bins = (size_t)bins;
	for (size_t i = 0; r->rc == 0 && i + 1 < bins; i++)
		if (!isfinite(f->psi.edges[i]) || (i > 0 && f->psi.edges[i] <= f->psi.edges[i - 1]))
			r_fail(r, "PSI edge %zu is not finite and above the one before", i);
	for (size_t i = 0; r->rc == 0 && i < bins; i++)
		if (!(f->psi.ref_prop[i] >= 0 && f->psi.ref_prop[i] <= 1))
			r_fail(r, "PSI proportion %zu is %g, not in [0, 1]", i,
			       f->psi.ref_prop[i]);
}

static void r_categorical(rf_r *r, reference_feature *f)
{
	size_t n = (size_t)r_count(r, 4, REFERENCE_MAX_CATEGORIES, "categories");
	double total = 0;

	if (r->rc)
		return;
	f->category_names = calloc(n ? n : 1, sizeof(*f->category_names));
	if (f->category_names == NULL || kpg_strmap_init(&f->categories, n ? n : 1) != 0) {
		r->rc = KPG_ENOMEM;
		kpg_err_set(r->err, "out of memory reading %s", r->path);
		return;
	}
	for (size_t j = 0; j < n && r->rc == 0; j++) {
		char *name = r_str(r, 0, "category name");
		uint32_t code;

		if (name == NULL)
			break;
		f->category_names[j] = name;
		f->n_categories = j + 1;
		if (kpg_strmap_get(&f->categories, name, strlen(name), &code)) {
			r_fail(r, "category \"%.40s\" is listed twice", name);
		} else if (kpg_strmap_put(&f->categories, name, strlen(name),
					  (uint32_t)j) != 0) {
			r->rc = KPG_ENOMEM;
			kpg_err_set(r->err, "out of memory reading %s", r->path);
		}
	}
	f->category_counts = r_f64s(r, n + 1, "category counts");
	for (size_t j = 0; r->rc == 0 && j <= n; j++) {
		double c = f->category_counts[j];

		if (!(c >= 0 && c == floor(c) && c <= 9007199254740992.0) || (j == n && c != 0))
			r_fail(r, "category count %zu is %g", j, c);
		total += c;
	}
	if (r->rc == 0 && total != (double)f->n)
		r_fail(r, "the category counts sum to %.17g, the feature has %zu values",
		       total, f->n);
}

static void r_feature(rf_r *r, reference *out, size_t i)
{
	reference_feature *f = &out->features[i];
	uint64_t type;

	f->name = r_str(r, 0, "feature name");
	type = r_num(r, 1, "feature type");
	if (r->rc == 0 && type != POLICY_FEATURE_NUMERIC &&
	    type != POLICY_FEATURE_CATEGORICAL)
		r_fail(r, "feature type %llu is neither numeric nor categorical",
		       (unsigned long long)type);
	f->type = (policy_feature_type)type;
	f->inferred = (int)r_count(r, 1, 1, "inferred flag");
	f->missing = (size_t)r_num(r, 8, "missing cells");
	f->n = (size_t)r_count(r, 8, REFERENCE_FILE_MAX_VALUES, "values");
	if (r->rc == 0 && out->payload_names != NULL) {
		/* the payload names this feature: the same name */
		for (size_t k = 0; k < out->n_payload; k++)
			if (out->payload_feature[k] == (int)i &&
			    strcmp(out->payload_names[k], f->name) != 0)
				r_fail(r, "feature \"%.40s\" is \"%.40s\" in the payload",
				       f->name, out->payload_names[k]);
	}
	if (r->rc)
		return;
	if (f->type == POLICY_FEATURE_NUMERIC) {
		r_numeric(r, f);
	} else {
		r_categorical(r, f);
		f->weight_total = (double)f->n; /* its values, as the CSV's */
	}
}

/* ---- the options check ---------------------------------------------- */

static int str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int in_list(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static const char *type_name(policy_feature_type t)
{
	switch (t) {
	case POLICY_FEATURE_NUMERIC: return "numeric";
	case POLICY_FEATURE_CATEGORICAL: return "categorical";
	case POLICY_FEATURE_IGNORE: return "ignore";
	default: return "infer";
	}
}

static const policy_feature *find_decl(const policy_feature *v, size_t n,
				       const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static void set_key(const reference_options *opt, const char *key,
		    const char *name)
{
	if (opt->err_key != NULL)
		snprintf(opt->err_key, REFERENCE_ERR_KEY_LEN, "%s%s", key,
			 name ? name : "");
}

#define RF_REBUILD "; rebuild it with `kpigate baseline build` and the policy's options"

/* The options that shaped the file against the ones asked for. */
static int check_options(const char *path, const reference_file_info *info,
			 const reference_options *opt, kpg_err *err)
{
	if (!str_eq(info->label_column, opt->label_column)) {
		set_key(opt, "reference.label_column", NULL);
		kpg_err_set(err, "%s: compiled with label column %s%s%s, the policy asks for %s%s%s" RF_REBUILD,
			    path, info->label_column ? "\"" : "",
			    info->label_column ? info->label_column : "none",
			    info->label_column ? "\"" : "",
			    opt->label_column ? "\"" : "",
			    opt->label_column ? opt->label_column : "none",
			    opt->label_column ? "\"" : "");
		return KPG_EINVAL;
	}
	for (size_t i = 0; i < opt->n_exclude; i++)
		if (!in_list(info->exclude, info->n_exclude, opt->exclude[i])) {
			set_key(opt, "reference.exclude_columns", NULL);
			kpg_err_set(err, "%s: excluded columns differ: \"%s\" is excluded by the policy, not by the compiled reference" RF_REBUILD,
				    path, opt->exclude[i]);
			return KPG_EINVAL;
		}
	for (size_t i = 0; i < info->n_exclude; i++)
		if (!in_list(opt->exclude, opt->n_exclude, info->exclude[i])) {
			set_key(opt, "reference.exclude_columns", NULL);
			kpg_err_set(err, "%s: excluded columns differ: \"%s\" is excluded by the compiled reference, not by the policy" RF_REBUILD,
				    path, info->exclude[i]);
			return KPG_EINVAL;
		}
	for (size_t i = 0; i < opt->n_declared; i++) {
		const policy_feature *d = &opt->declared[i];
		const policy_feature *c = find_decl(info->declared, info->n_declared, d->name);

		if (c == NULL || c->type != d->type) {
			set_key(opt, "features.", d->name);
			kpg_err_set(err, "%s: feature \"%s\" is declared %s by the policy, %s%s in the compiled reference" RF_REBUILD,
				    path, d->name, type_name(d->type),
				    c ? "" : "not declared", c ? type_name(c->type) : "");
			return KPG_EINVAL;
		}
	}
	for (size_t i = 0; i < info->n_declared; i++) {
		const policy_feature *c = &info->declared[i];

		if (find_decl(opt->declared, opt->n_declared, c->name) == NULL) {
			set_key(opt, "features", NULL);
			kpg_err_set(err, "%s: feature \"%s\" is declared %s in the compiled reference, not by the policy" RF_REBUILD,
				    path, c->name, type_name(c->type));
			return KPG_EINVAL;
		}
	}
	if (info->psi_bins != effective_bins(opt)) {
		set_key(opt, "drift.psi_bins", NULL);
		kpg_err_set(err, "%s: compiled with %u PSI bins, the policy asks for %u" RF_REBUILD,
			    path, info->psi_bins, effective_bins(opt));
		return KPG_EINVAL;
	}
	for (size_t i = 0; i < opt->n_payload || i < info->n_payload; i++) {
		const char *a = i < opt->n_payload ? opt->payload[i] : NULL;
		const char *b = i < info->n_payload ? info->payload[i] : NULL;

		if (str_eq(a, b))
			continue;
		set_key(opt, "payload.columns", NULL);
		kpg_err_set(err, "%s: payload columns differ at column %zu: the policy has %s%s%s, the compiled reference %s%s%s" RF_REBUILD,
			    path, i, a ? "\"" : "", a ? a : "none", a ? "\"" : "",
			    b ? "\"" : "", b ? b : "none", b ? "\"" : "");
		return KPG_EINVAL;
	}
	return 0;
}

/* ---- the file's frame: header, directory, seal ---------------------- */

typedef struct rf_frame {
	uint32_t version, n_sec;
	uint64_t file_size, dir_end;
	rf_dirent *dir; /* owned */
	unsigned char seal[32];
} rf_frame;

/* Checks the header and directory (head: the first dir_end bytes, or at
 * least RF_HEADER_LEN to learn dir_end: *need gets it and 1 is returned),
 * the seal, and each section's place. actual: the file's size. */
static int frame_check(const char *path, const unsigned char *head,
		       size_t head_len, uint64_t actual,
		       const unsigned char *seal, rf_frame *fr, size_t *need,
		       kpg_err *err)
{
	unsigned char sha[32];
	uint64_t at;

	memset(fr, 0, sizeof(*fr));
	if (actual < RF_HEADER_LEN + RF_SEAL_LEN || head_len < REFERENCE_FILE_MAGIC_LEN) {
		if (head_len >= REFERENCE_FILE_MAGIC_LEN &&
		    memcmp(head, REFERENCE_FILE_MAGIC, REFERENCE_FILE_MAGIC_LEN) == 0) {
			kpg_err_set(err, "%s: compiled reference is truncated: %llu bytes, less than its header and seal",
				    path, (unsigned long long)actual);
			return KPG_EINTEGRITY;
		}
		kpg_err_set(err, "%s: not a compiled reference (no KPGREF1 magic)", path);
		return KPG_EINVAL;
	}
	if (memcmp(head, REFERENCE_FILE_MAGIC, REFERENCE_FILE_MAGIC_LEN) != 0) {
		kpg_err_set(err, "%s: not a compiled reference (no KPGREF1 magic)", path);
		return KPG_EINVAL;
	}
	fr->version = (uint32_t)le_get(head + 8, 4);
	if (fr->version != REFERENCE_FILE_VERSION) {
		kpg_err_set(err, "%s: compiled reference version %u, this kpigate reads version %d: rebuild it with this kpigate's `baseline build`",
			    path, fr->version, REFERENCE_FILE_VERSION);
		return KPG_EINVAL;
	}
	fr->n_sec = (uint32_t)le_get(head + 12, 4);
	fr->file_size = le_get(head + 16, 8);
	if (fr->file_size > actual) {
		kpg_err_set(err, "%s: compiled reference is truncated: %llu bytes, the header says %llu",
			    path, (unsigned long long)actual,
			    (unsigned long long)fr->file_size);
		return KPG_EINTEGRITY;
	}
	if (fr->file_size < actual) {
		kpg_err_set(err, "%s: compiled reference is corrupt: %llu bytes, the header says %llu (bytes after the seal, or a damaged header at byte 16)",
			    path, (unsigned long long)actual,
			    (unsigned long long)fr->file_size);
		return KPG_EINTEGRITY;
	}
	if (le_get(head + 24, 8) != 0 || fr->n_sec < 3 ||
	    fr->n_sec > 2 + REFERENCE_FILE_MAX_FEATURES) {
		kpg_err_set(err, "%s: compiled reference is corrupt: header (bytes 0..31) holds %u sections%s",
			    path, fr->n_sec,
			    le_get(head + 24, 8) != 0 ? " and a reserved field that is not 0" : "");
		return KPG_EINTEGRITY;
	}
	fr->dir_end = RF_HEADER_LEN + (uint64_t)fr->n_sec * RF_DIR_ENTRY_LEN;
	if (fr->dir_end + RF_SEAL_LEN > actual) {
		kpg_err_set(err, "%s: compiled reference is corrupt: a directory of %u sections does not fit in %llu bytes",
			    path, fr->n_sec, (unsigned long long)actual);
		return KPG_EINTEGRITY;
	}
	if (head_len < fr->dir_end) {
		*need = (size_t)fr->dir_end;
		return 1;
	}
	if (EVP_Digest(head, (size_t)fr->dir_end, sha, NULL, EVP_sha256(), NULL) != 1) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	if (memcmp(sha, seal, 32) != 0) {
		kpg_err_set(err, "%s: compiled reference is corrupt: the header or section directory (bytes 0..%llu) was altered, or the seal at byte %llu: their SHA-256 does not match",
			    path, (unsigned long long)fr->dir_end - 1,
			    (unsigned long long)(actual - RF_SEAL_LEN));
		return KPG_EINTEGRITY;
	}
	memcpy(fr->seal, seal, 32);
	fr->dir = calloc(fr->n_sec, sizeof(*fr->dir));
	if (fr->dir == NULL) {
		kpg_err_set(err, "out of memory");
		return KPG_ENOMEM;
	}
	at = fr->dir_end;
	for (uint32_t s = 0; s < fr->n_sec; s++) {
		const unsigned char *e = head + RF_HEADER_LEN + (size_t)s * RF_DIR_ENTRY_LEN;
		rf_dirent *d = &fr->dir[s];
		uint32_t kind = s == 0 ? RF_OPTIONS : s == 1 ? RF_SCHEMA
							     : RF_FEATURE;

		d->kind = (uint32_t)le_get(e, 4);
		d->index = (uint32_t)le_get(e + 4, 4);
		d->offset = le_get(e + 8, 8);
		d->length = le_get(e + 16, 8);
		memcpy(d->sha, e + 24, 32);
		if (d->kind != kind || d->index != (s < 2 ? 0 : s - 2) ||
		    d->offset != at || d->length > actual - RF_SEAL_LEN - at) {
			kpg_err_set(err, "%s: compiled reference is corrupt: directory entry %u (byte %llu) does not describe the section that follows the one before",
				    path, s,
				    (unsigned long long)(RF_HEADER_LEN + (uint64_t)s * RF_DIR_ENTRY_LEN));
			free(fr->dir);
			fr->dir = NULL;
			return KPG_EINTEGRITY;
		}
		at += d->length;
	}
	if (at != actual - RF_SEAL_LEN) {
		kpg_err_set(err, "%s: compiled reference is corrupt: the sections end at byte %llu, the seal starts at %llu",
			    path, (unsigned long long)at,
			    (unsigned long long)(actual - RF_SEAL_LEN));
		free(fr->dir);
		fr->dir = NULL;
		return KPG_EINTEGRITY;
	}
	return 0;
}

/* Opens section s of the frame over its bytes p, its SHA-256 checked. */
static int section_open(rf_r *r, const rf_frame *fr, uint32_t s,
			const unsigned char *p, const char *path, kpg_err *err)
{
	unsigned char sha[32];
	const rf_dirent *d = &fr->dir[s];

	memset(r, 0, sizeof(*r));
	r->p = p;
	r->len = (size_t)d->length;
	r->base = d->offset;
	r->path = path;
	r->err = err;
	if (s == 0)
		snprintf(r->what, sizeof(r->what), "options");
	else if (s == 1)
		snprintf(r->what, sizeof(r->what), "schema");
	else
		snprintf(r->what, sizeof(r->what), "feature %u", s - 2);
	if (EVP_Digest(p, r->len, sha, NULL, EVP_sha256(), NULL) != 1) {
		kpg_err_set(err, "out of memory");
		return r->rc = KPG_ENOMEM;
	}
	if (memcmp(sha, d->sha, 32) != 0) {
		kpg_err_set(err, "%s: compiled reference is corrupt: section %s (bytes %llu..%llu) was altered: its SHA-256 does not match the directory's",
			    path, r->what, (unsigned long long)d->offset,
			    (unsigned long long)(d->offset + d->length - 1));
		return r->rc = KPG_EINTEGRITY;
	}
	return 0;
}

static int section_close(rf_r *r)
{
	if (r->rc == 0 && r->pos != r->len)
		r_fail(r, "%zu bytes left over at the end of the section",
		       r->len - r->pos);
	return r->rc;
}

int reference_file_parse(const void *buf, size_t len, const char *path,
			 const reference_options *opt, reference *out,
			 reference_file_info *info_out, kpg_err *err)
{
	const unsigned char *b = buf;
	reference_file_info info_local, *info = info_out ? info_out : &info_local;
	rf_frame fr;
	rf_r r;
	size_t need = 0, n_feat = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	out->label_index = -1;
	memset(info, 0, sizeof(*info));
	if (opt != NULL && opt->err_key != NULL)
		opt->err_key[0] = '\0';
	rc = frame_check(path, b, len, len, len >= RF_SEAL_LEN ? b + len - RF_SEAL_LEN : b,
			 &fr, &need, err);
	if (rc) /* 1 cannot happen: the whole file is at hand */
		return rc < 0 ? rc : KPG_EINTEGRITY;
	info->version = fr.version;
	info->file_size = fr.file_size;
	hex_of(fr.seal, 32, info->seal_sha256);
	out->path = strdup(path);
	if (out->path == NULL) {
		rc = KPG_ENOMEM;
		kpg_err_set(err, "out of memory");
		goto fail;
	}
	out->source = REFERENCE_SOURCE_COMPILED;
	if ((rc = section_open(&r, &fr, 0, b + fr.dir[0].offset, path, err)) != 0)
		goto fail;
	r_options(&r, info);
	if ((rc = section_close(&r)) != 0)
		goto fail;
	if (opt != NULL && (rc = check_options(path, info, opt, err)) != 0)
		goto fail;
	if ((rc = section_open(&r, &fr, 1, b + fr.dir[1].offset, path, err)) != 0)
		goto fail;
	r_schema(&r, out, info, &n_feat);
	if ((rc = section_close(&r)) != 0)
		goto fail;
	if (n_feat != fr.n_sec - 2) {
		kpg_err_set(err, "%s: compiled reference is corrupt: the schema has %zu features, the directory %u sections",
			    path, n_feat, fr.n_sec - 2);
		rc = KPG_EINTEGRITY;
		goto fail;
	}
	out->features = calloc(n_feat, sizeof(*out->features));
	if (out->features == NULL) {
		rc = KPG_ENOMEM;
		kpg_err_set(err, "out of memory");
		goto fail;
	}
	out->n_features = n_feat;
	for (size_t i = 0; i < n_feat; i++) {
		uint32_t s = (uint32_t)(2 + i);

		if ((rc = section_open(&r, &fr, s, b + fr.dir[s].offset, path, err)) != 0)
			goto fail;
		r_feature(&r, out, i);
		if ((rc = section_close(&r)) != 0)
			goto fail;
	}
	for (size_t i = 1; i < n_feat; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(out->features[i].name, out->features[j].name) == 0) {
				kpg_err_set(err, "%s: compiled reference is corrupt: feature \"%.40s\" is there twice",
					    path, out->features[i].name);
				rc = KPG_EINTEGRITY;
				goto fail;
			}
	free(fr.dir);
	if (info == &info_local)
		reference_file_info_free(info);
	return 0;
fail:
	free(fr.dir);
	reference_free(out);
	if (info == &info_local)
		reference_file_info_free(info);
	return rc;
}

/* ---- files -------------------------------------------------------- */

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t k = pread(fd, p, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static int open_sized(const char *path, uint64_t *size, kpg_err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		kpg_err_set(err, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		kpg_err_set(err, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

int reference_file_is_compiled(const char *path)
{
	char magic[REFERENCE_FILE_MAGIC_LEN];
	int fd = open(path, O_RDONLY | O_CLOEXEC), yes;

	if (fd < 0)
		return 0;
	yes = read_at(fd, magic, sizeof(magic), 0) == 0 &&
	      memcmp(magic, REFERENCE_FILE_MAGIC, sizeof(magic)) == 0;
	close(fd);
	return yes;
}

static int read_whole(const char *path, const reference_options *opt,
		      reference *out, reference_file_info *info, kpg_err *err)
{
	uint64_t size = 0;
	unsigned char *buf;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	out->label_index = -1;
	fd = open_sized(path, &size, err);
	if (fd < 0)
		return KPG_EIO;
	if (size > REFERENCE_FILE_MAX_BYTES || size > SIZE_MAX) {
		kpg_err_set(err, "%s: %llu bytes, more than a compiled reference may have (%llu)",
			    path, (unsigned long long)size,
			    (unsigned long long)REFERENCE_FILE_MAX_BYTES);
		close(fd);
		return KPG_ETOOBIG;
	}
	/* mapped, not copied: the sections are hashed and copied into the
	 * reference's arrays straight from the page cache. A compiled file
	 * is replaced by rename, never rewritten in place, so the mapping
	 * stays whole; a file too small to map is read. */
	if (size >= RF_HEADER_LEN + RF_SEAL_LEN) {
		buf = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
			   fd, 0);
		if (buf != MAP_FAILED) {
			close(fd);
			rc = reference_file_parse(buf, (size_t)size, path, opt, out,
						  info, err);
			munmap(buf, (size_t)size);
			return rc;
		}
	}
	buf = malloc(size ? (size_t)size : 1);
	if (buf == NULL) {
		kpg_err_set(err, "out of memory reading %s (%llu bytes)", path,
			    (unsigned long long)size);
		close(fd);
		return KPG_ENOMEM;
	}
	if (read_at(fd, buf, (size_t)size, 0) != 0) {
		kpg_err_set(err, "cannot read %s: %s", path, strerror(errno));
		free(buf);
		close(fd);
		return KPG_EIO;
	}
	close(fd);
	rc = reference_file_parse(buf, (size_t)size, path, opt, out, info, err);
	free(buf);
	return rc;
}

int reference_file_read(const char *path, const reference_options *opt,
			reference *out, kpg_err *err)
{
	return read_whole(path, opt, out, NULL, err);
}

int reference_file_inspect(const char *path, reference *out,
			   reference_file_info *info, kpg_err *err)
{
	memset(info, 0, sizeof(*info));
	return read_whole(path, NULL, out, info, err);
}

int reference_file_read_info(const char *path, reference_file_info *info,
			     kpg_err *err)
{
	unsigned char seal[RF_SEAL_LEN], *head = NULL, *sec = NULL;
	uint64_t size = 0;
	size_t need = RF_HEADER_LEN;
	rf_frame fr = {0};
	rf_r r;
	int fd, rc;

	memset(info, 0, sizeof(*info));
	fd = open_sized(path, &size, err);
	if (fd < 0)
		return KPG_EIO;
	for (;;) {
		unsigned char *nh = realloc(head, need);
		size_t got = size < need ? (size_t)size : need;

		if (nh == NULL)
			goto nomem;
		head = nh;
		if (read_at(fd, head, got, 0) != 0 ||
		    (size >= RF_SEAL_LEN && read_at(fd, seal, RF_SEAL_LEN, size - RF_SEAL_LEN) != 0))
			goto io;
		rc = frame_check(path, head, got, size, seal, &fr, &need, err);
		if (rc <= 0)
			break;
	}
	if (rc)
		goto out;
	info->version = fr.version;
	info->file_size = fr.file_size;
	hex_of(fr.seal, 32, info->seal_sha256);
	sec = malloc(fr.dir[0].length ? (size_t)fr.dir[0].length : 1);
	if (sec == NULL)
		goto nomem;
	if (read_at(fd, sec, (size_t)fr.dir[0].length, fr.dir[0].offset) != 0)
		goto io;
	rc = section_open(&r, &fr, 0, sec, path, err);
	if (rc == 0) {
		r_options(&r, info);
		rc = section_close(&r);
	}
	goto out;
io:
	kpg_err_set(err, "cannot read %s: %s", path, strerror(errno));
	rc = KPG_EIO;
	goto out;
nomem:
	kpg_err_set(err, "out of memory reading %s", path);
	rc = KPG_ENOMEM;
out:
	close(fd);
	free(head);
	free(sec);
	free(fr.dir);
	return rc;
}

int reference_file_sha256(const char *path, char hex[65], kpg_err *err)
{
	unsigned char buf[1 << 16], sha[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	unsigned int n = 0;

	hex[0] = '\0';
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		kpg_err_set(err, "out of memory");
		rc = KPG_ENOMEM;
		goto out;
	}
	if (fd < 0) {
		kpg_err_set(err, "cannot open %s: %s", path, strerror(errno));
		rc = KPG_EIO;
		goto out;
	}
	for (;;) {
		ssize_t k = read(fd, buf, sizeof(buf));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			kpg_err_set(err, "cannot read %s: %s", path, strerror(errno));
			rc = KPG_EIO;
			goto out;
		}
		if (k == 0)
			break;
		if (EVP_DigestUpdate(md, buf, (size_t)k) != 1) {
			rc = KPG_ENOMEM;
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(md, sha, &n) != 1 || n != 32) {
		rc = KPG_ENOMEM;
		goto out;
	}
	hex_of(sha, 32, hex);
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	return rc;
}
