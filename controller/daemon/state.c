/* state.c - checkpoint.bin: a buffered little-endian writer that hashes as
 * it goes, an atomic replace (temp, fsync, rename, fsync folder), and a
 * bounded reader that checks the checksum before it applies anything.
 * Layout: docs/state.md. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpg_file.h"

#include "kpg_strmap.h"
#include "kpg_time.h"
#include "pipeline_deploy.h"
#include "pipeline_wait.h"

#define STATE_MAGIC "KPGSTATE"
#define STATE_END "STATEEND"
#define STATE_HEAD_BYTES 24       /* magic, version, flags, saved_at */
#define STATE_TAIL_BYTES (8 + 32) /* end marker, SHA-256 */
#define STATE_IO_BUF 65536
#define STATE_MAX_REJECT_KINDS 256
#define STATE_MAX_JOIN ((uint64_t)1 << 31)
#define STATE_MAX_NAME 4096
/* |event time| beyond any ISO 8601 year 0000-9999 (with offset): a
 * restored time past it is corrupt, and would overflow time arithmetic. */
#define STATE_TIME_LIMIT 300000000000000LL

/* ---- state_ctx ---------------------------------------------------- */

int state_ctx_init(state_ctx *c, const pipeline *pl, kpg_err *err)
{
	size_t n = pl->n_models ? pl->n_models : 1;

	memset(c, 0, sizeof(*c));
	c->keys = calloc(n, sizeof(*c->keys));
	c->status = calloc(n, sizeof(*c->status));
	if (c->keys == NULL || c->status == NULL) {
		state_ctx_free(c);
		kpg_err_set(err, "out of memory for checkpoint state");
		return KPG_ENOMEM;
	}
	c->n_models = pl->n_models;
	return 0;
}

/* The source's resume points: offsets and the cursor. */
static void offsets_clear(state_ctx *c)
{
	for (size_t i = 0; i < c->n_offsets; i++)
		free(c->offsets[i].topic);
	c->n_offsets = 0;
	free(c->cursor);
	c->cursor = NULL;
	c->cursor_len = 0;
}

int state_cursor_set(state_ctx *c, const void *bytes, size_t len)
{
	unsigned char *b = NULL;

	if (len > STATE_MAX_CURSOR)
		return KPG_ETOOBIG;
	if (len > 0) {
		b = malloc(len);
		if (b == NULL)
			return KPG_ENOMEM;
		memcpy(b, bytes, len);
	}
	free(c->cursor);
	c->cursor = b;
	c->cursor_len = len;
	return 0;
}

void state_ctx_free(state_ctx *c)
{
	offsets_clear(c);
	free(c->offsets);
	free(c->keys);
	free(c->status);
	memset(c, 0, sizeof(*c));
}

int state_offset_set(state_ctx *c, const char *topic, int32_t partition,
		     int64_t next_offset, kpg_err *err)
{
	size_t len = topic ? strlen(topic) : 0;
	state_offset *o;

	if (len == 0 || len > STATE_TOPIC_MAX || next_offset < 0) {
		kpg_err_set(err, "offset for topic '%.64s' partition %" PRId32 ": the topic must be 1-%d bytes and the offset not negative",
			    topic ? topic : "", partition, STATE_TOPIC_MAX);
		return KPG_EINVAL;
	}
	for (size_t i = 0; i < c->n_offsets; i++)
		if (c->offsets[i].partition == partition &&
		    strcmp(c->offsets[i].topic, topic) == 0) {
			c->offsets[i].next_offset = next_offset;
			return 0;
		}
	if (c->n_offsets >= STATE_MAX_OFFSETS) {
		kpg_err_set(err, "more than %d topic partitions to checkpoint",
			    STATE_MAX_OFFSETS);
		return KPG_ETOOBIG;
	}
	if (c->n_offsets == c->cap_offsets) {
		size_t ncap = c->cap_offsets ? c->cap_offsets * 2 : 16;
		state_offset *no = realloc(c->offsets, ncap * sizeof(*no));

		if (no == NULL)
			goto nomem;
		c->offsets = no;
		c->cap_offsets = ncap;
	}
	o = &c->offsets[c->n_offsets];
	o->topic = strdup(topic);
	if (o->topic == NULL)
		goto nomem;
	o->partition = partition;
	o->next_offset = next_offset;
	c->n_offsets++;
	return 0;
nomem:
	kpg_err_set(err, "out of memory for checkpoint offsets");
	return KPG_ENOMEM;
}

const state_offset *state_offset_get(const state_ctx *c, const char *topic,
				     int32_t partition)
{
	for (size_t i = 0; i < c->n_offsets; i++)
		if (c->offsets[i].partition == partition &&
		    strcmp(c->offsets[i].topic, topic) == 0)
			return &c->offsets[i];
	return NULL;
}

static const char *keys_at(const state_keys *k, size_t i)
{
	return k->keys[(k->next + STATE_KEYS_KEPT - k->n + i) % STATE_KEYS_KEPT];
}

int state_keys_seen(const state_ctx *c, size_t model, const char *key)
{
	const state_keys *k;

	if (model >= c->n_models)
		return 0;
	k = &c->keys[model];
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(keys_at(k, i), key) == 0)
			return 1;
	return 0;
}

void state_keys_note(state_ctx *c, size_t model, const char *key)
{
	state_keys *k;

	if (model >= c->n_models || key == NULL || *key == '\0' ||
	    state_keys_seen(c, model, key))
		return;
	k = &c->keys[model];
	snprintf(k->keys[k->next], STATE_KEY_LEN, "%s", key);
	k->next = (k->next + 1) % STATE_KEYS_KEPT;
	if (k->n < STATE_KEYS_KEPT)
		k->n++;
}

static int model_by_name(const pipeline *pl, const char *name)
{
	for (size_t i = 0; i < pl->n_models; i++)
		if (strcmp(pl->models[i].pol->model, name) == 0)
			return (int)i;
	return -1;
}

void state_keys_harvest(state_ctx *c, const pipeline *pl)
{
	size_t n = pl->decisions ? json_array_size(pl->decisions) : 0;

	if (n < c->decisions_seen)
		c->decisions_seen = 0;
	for (size_t i = c->decisions_seen; i < n; i++) {
		json_t *o = json_array_get(pl->decisions, i);
		const char *model = json_string_value(json_object_get(o, "model"));
		const char *key = json_string_value(json_object_get(
			json_object_get(o, "decision"), "idempotency_key"));
		int m = model ? model_by_name(pl, model) : -1;

		if (m >= 0 && key != NULL)
			state_keys_note(c, (size_t)m, key);
	}
	c->decisions_seen = n;
}

const char *state_model_status_name(state_model_status s)
{
	switch (s) {
	case STATE_MODEL_RESTORED: return "restored";
	case STATE_MODEL_RESET_POLICY: return "reset_policy";
	case STATE_MODEL_RESET_SCHEMA: return "reset_schema";
	case STATE_MODEL_RESET_REFERENCE: return "reset_reference";
	default: return "fresh";
	}
}

/* ---- little-endian encoding --------------------------------------- */

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

static int md_num(EVP_MD_CTX *md, uint64_t v, size_t n)
{
	unsigned char b[8];

	le_put(b, v, n);
	return EVP_DigestUpdate(md, b, n) == 1 ? 0 : -1;
}

static int md_str(EVP_MD_CTX *md, const char *s, size_t len)
{
	if (md_num(md, len, 4))
		return -1;
	return len == 0 || EVP_DigestUpdate(md, s, len) == 1 ? 0 : -1;
}

int state_reference_fingerprint(const reference *ref, unsigned char out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int bad;

	if (md == NULL)
		return KPG_ENOMEM;
	bad = EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	      EVP_DigestUpdate(md, "kpigate-reference-schema-1", 26) != 1 ||
	      md_num(md, ref->n_features, 8);
	for (size_t i = 0; !bad && i < ref->n_features; i++) {
		const reference_feature *f = &ref->features[i];

		bad = md_str(md, f->name, strlen(f->name)) ||
		      md_num(md, (uint64_t)f->type, 1) ||
		      md_num(md, f->n_categories, 8);
		for (size_t j = 0; !bad && j < f->n_categories; j++)
			bad = md_str(md, f->category_names[j],
				     strlen(f->category_names[j]));
	}
	/* The payload: features are in payload order, so without ignored
	 * columns the loop above says it all (and fingerprints from before
	 * ignored columns stay the same); with them, where each one is. */
	if (!bad && ref->n_ignored > 0)
		bad = EVP_DigestUpdate(md, "payload", 7) != 1 ||
		      md_num(md, ref->n_payload, 8);
	for (size_t i = 0; !bad && ref->n_ignored > 0 && i < ref->n_payload; i++)
		bad = md_str(md, ref->payload_names[i], strlen(ref->payload_names[i])) ||
		      md_num(md, (uint64_t)(int64_t)ref->payload_feature[i], 8);
	if (!bad)
		bad = EVP_DigestFinal_ex(md, out, NULL) != 1;
	EVP_MD_CTX_free(md);
	return bad ? KPG_ENOMEM : 0;
}

/* ---- writer ------------------------------------------------------- */

typedef struct wbuf {
	int fd;
	EVP_MD_CTX *md;
	unsigned char buf[STATE_IO_BUF];
	size_t len;
	uint64_t total; /* bytes put so far */
	int err_no;     /* first write error, 0 while fine */
} wbuf;

static void w_flush(wbuf *w)
{
	size_t off = 0;

	if (w->err_no || w->len == 0) {
		w->len = 0;
		return;
	}
	if (EVP_DigestUpdate(w->md, w->buf, w->len) != 1) {
		w->err_no = ENOMEM;
		return;
	}
	while (off < w->len) {
		ssize_t k = write(w->fd, w->buf + off, w->len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->err_no = k < 0 ? errno : EIO;
			return;
		}
		off += (size_t)k;
	}
	w->len = 0;
}

static void w_bytes(wbuf *w, const void *p, size_t n)
{
	const unsigned char *s = p;

	w->total += n;
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

static void w_num(wbuf *w, uint64_t v, size_t n)
{
	unsigned char b[8];

	le_put(b, v, n);
	w_bytes(w, b, n);
}

static void w_u8(wbuf *w, unsigned v) { w_num(w, v, 1); }
static void w_u32(wbuf *w, uint32_t v) { w_num(w, v, 4); }
static void w_u64(wbuf *w, uint64_t v) { w_num(w, v, 8); }
static void w_i64(wbuf *w, int64_t v) { w_num(w, (uint64_t)v, 8); }
static void w_f64(wbuf *w, double v) { w_num(w, f64_bits(v), 8); }

static void w_str(wbuf *w, const char *s)
{
	size_t len = strlen(s);

	w_u32(w, (uint32_t)len);
	w_bytes(w, s, len);
}

/* ---- what is written ---------------------------------------------- */

#define TALLY_BYTES (6 * 8 + 4 * 8)
#define KPI_FIXED_BYTES (5 * 8 + 2 * 8 + 8)

/* Version 2: the model's clock, span bucket flag, late and cut-short
 * tallies, the open window's prediction and label counts and data-gap
 * marks. */
#define MODEL_V2_BYTES (1 + 8 + 1 + 8 + 8 + 8 + 8 + 8 + 8)
#define FEATURE_EVAL_BYTES (8 + 8 + 8 + 1 + 8 + 8 + 1)
/* Version 2: the guard's KPI baseline (policy_baseline). */
#define BASELINE_BYTES (8 + 8 + 4 + 1 + 16 * POLICY_MAX_KPIS)

/* Version 3: a KPI accumulator's confusion matrix (multiclass). */
static uint64_t kpi_bytes(const kpi_acc *k)
{
	uint64_t nc = k->confusion != NULL ? k->n_classes : 0;

	return KPI_FIXED_BYTES + 16 * (uint64_t)k->n_pairs + 4 + 8 * nc * (nc + 1);
}

/* Version 3: a model's classes as texts, so a reader can tell that its
 * confusion matrices are indexed the same way. */
static const char *class_text(const label_dict *ld, const pipeline_model *m,
			      size_t i)
{
	const char *t = label_dict_text(ld, m->lab.class_code[i]);

	return t != NULL ? t : "";
}

static uint64_t classes_bytes(const label_dict *ld, const pipeline_model *m)
{
	uint64_t n = 4;

	for (size_t i = 0; i < m->lab.n_classes; i++)
		n += 4 + strlen(class_text(ld, m, i));
	return n;
}

/* Version 4: a feature's detector results (write_results). */
#define RESULTS_FIXED_BYTES (1 + 8 + 1 + 8 + 8 + 1 + 1 + 8)
#define RESULT_BYTES (1 + 8 * 8 + 4 + 1 + 1 + 1 + 1) /* + version 7 p_method */

static uint64_t waiting_bytes(const pipeline_waiting *w, size_t n_features)
{
	uint64_t n = 8 + 8 + 8 + 8 + 4 + FEATURE_EVAL_BYTES * (uint64_t)n_features +
		     8 + 8 + 1 + 8 + 8 + 8 + 8 + 8 + kpi_bytes(&w->kpi);

	for (size_t i = 0; i < n_features; i++)
		n += RESULTS_FIXED_BYTES +
		     RESULT_BYTES * (uint64_t)w->ev.features[i].n_results;
	return n;
}

/* Version 5: a numeric column of the open window, exact or a sketch
 * (write_column). */
#define SKETCH_FIXED_BYTES (4 + 4 + 8 + 8 + 8 + 8 + 8 + 8 + 8 + 4)

static uint64_t column_bytes(const window_column *c)
{
	uint64_t n = 1;

	if (c->sketch == NULL)
		return n + 8 + 8 * (uint64_t)c->n;
	n += SKETCH_FIXED_BYTES;
	for (size_t h = 0; h < c->sketch->n_levels; h++) {
		size_t len;

		(void)kll_level(c->sketch, h, &len);
		n += 8 + 8 * (uint64_t)len;
	}
	return n;
}

/* Version 4: the unseen names of a categorical column (write_unseen). */
static uint64_t unseen_bytes(const unseen_tally *t)
{
	uint64_t n = 4 + 8;

	for (size_t i = 0; i < t->n; i++)
		n += 4 + strlen(t->names[i]) + 8;
	return n;
}

/* Version 4: the open window's data-quality counters. */
static uint64_t quality_counts_bytes(const window *win)
{
	return 8 + 4 + 8 * ((uint64_t)win->ref->n_payload + 1) + 8 + 8 +
	       8 * (uint64_t)win->ref->n_features;
}

/* Byte length of a model's body, so a reader can skip a model it resets. */
static uint64_t body_bytes(const label_dict *ld, const pipeline_model *m)
{
	const window *w = &m->win;
	uint64_t n = 8 + 8 + TALLY_BYTES + classes_bytes(ld, m);

	n += 4 + 8 + 4 + 8 * (uint64_t)m->guard.n_retrains;
	n += 8 + 1 + 8 + 8 + 4;
	for (size_t i = 0; i < m->ref.n_features; i++) {
		const reference_feature *f = &m->ref.features[i];

		n += 1 + 8;
		if (f->type == POLICY_FEATURE_CATEGORICAL)
			n += 4 + 8 * ((uint64_t)f->n_categories + 1) +
			     unseen_bytes(&w->cols[i].unseen);
		else
			n += column_bytes(&w->cols[i]);
	}
	n += quality_counts_bytes(w);
	n += kpi_bytes(&w->kpi);
	n += MODEL_V2_BYTES + 4 + BASELINE_BYTES;
	for (size_t k = 0; k < m->n_waiting; k++)
		n += waiting_bytes(pipeline_wait_at(m, k),
				   m->ref.n_features);
	return n;
}

static void write_kpi(wbuf *w, const kpi_acc *k)
{
	w_u64(w, k->n);
	w_u64(w, k->tp);
	w_u64(w, k->fp);
	w_u64(w, k->tn);
	w_u64(w, k->fn);
	w_f64(w, k->sse);
	w_f64(w, k->sae);
	w_u64(w, k->n_pairs);
	for (size_t i = 0; i < k->n_pairs; i++) {
		w_f64(w, k->pairs[i].score);
		w_f64(w, k->pairs[i].label);
	}
	if (k->confusion == NULL) {
		w_u32(w, 0);
		return;
	}
	w_u32(w, (uint32_t)k->n_classes);
	for (size_t i = 0; i < k->n_classes * (k->n_classes + 1); i++)
		w_u64(w, k->confusion[i]);
}

/* Version 4: the open window's data-quality counters (window.h):
 * rejected instances, short ones by length, long ones and the widest,
 * per feature the values of the wrong type. */
static void write_quality_counts(wbuf *w, const window *win)
{
	w_u64(w, win->rejected_instances);
	w_u32(w, (uint32_t)win->ref->n_payload);
	for (size_t i = 0; i <= win->ref->n_payload; i++)
		w_u64(w, win->short_by_len[i]);
	w_u64(w, win->long_instances);
	w_u64(w, (uint64_t)win->widest);
	for (size_t i = 0; i < win->ref->n_features; i++)
		w_u64(w, win->cols[i].bad_type);
}

/* Version 4: the names behind a categorical column's unseen count. */
static void write_unseen(wbuf *w, const unseen_tally *t)
{
	w_u32(w, (uint32_t)t->n);
	for (size_t i = 0; i < t->n; i++) {
		w_str(w, t->names[i]);
		w_f64(w, t->counts[i]);
	}
	w_f64(w, t->other);
}

/* Version 4: every detector's result of a waiting window's feature, so a
 * restart reports and decides it exactly as it was audited. */
static void write_results(wbuf *w, const policy_feature_eval *f)
{
	w_u8(w, f->has_psi ? 1 : 0);
	w_f64(w, f->weight);
	w_u8(w, f->critical ? 1 : 0);
	w_u64(w, f->unseen);
	w_u64(w, f->vanished);
	w_u8(w, f->sketched ? 1 : 0); /* version 5 */
	w_f64(w, f->sketch_error);
	w_u8(w, (unsigned)f->n_results);
	for (size_t j = 0; j < f->n_results; j++) {
		const drift_result *r = &f->results[j];

		w_u8(w, (unsigned)r->kind);
		w_f64(w, r->value);
		w_f64(w, r->p_value);
		w_f64(w, r->p_adjusted);
		w_f64(w, r->effect);
		w_f64(w, r->threshold);
		w_f64(w, r->min_effect);
		w_f64(w, r->error);
		w_f64(w, r->noise);
		w_u32(w, r->bins);
		w_u8(w, (unsigned)r->skip);
		w_u8(w, r->approximate ? 1 : 0);
		w_u8(w, r->drifted ? 1 : 0);
		w_u8(w, (unsigned)r->p_method); /* version 7 */
	}
}

/* A window waiting for labels: its judged drift, counts, due time and
 * the KPI pairs credited so far. */
/* Version 5: an exact column's values, or its sketch (kll.h) with the
 * tallies a sketch cannot tell. */
static void write_column(wbuf *w, const window_column *c)
{
	const kll_sketch *s = c->sketch;

	w_u8(w, s != NULL ? 1 : 0);
	if (s == NULL) {
		w_u64(w, c->n);
		for (size_t j = 0; j < c->n; j++)
			w_f64(w, c->values[j]);
		return;
	}
	w_u32(w, s->k);
	w_u32(w, s->min_k);
	w_u64(w, s->n);
	w_f64(w, s->min);
	w_f64(w, s->max);
	w_u64(w, s->rng);
	w_u64(w, s->compactions);
	w_u64(w, c->integers);
	w_u64(w, c->negatives);
	w_u32(w, (uint32_t)s->n_levels);
	for (size_t h = 0; h < s->n_levels; h++) {
		size_t len;
		const double *items = kll_level(s, h, &len);

		w_u64(w, len);
		for (size_t j = 0; j < len; j++)
			w_f64(w, items[j]);
	}
}

static void write_waiting(wbuf *w, const pipeline_waiting *wt, size_t nf)
{
	const policy_window_eval *ev = &wt->ev;

	w_u64(w, ev->window_index);
	w_u64(w, ev->n_records);
	w_i64(w, ev->start_ms);
	w_i64(w, ev->end_ms);
	w_u32(w, (uint32_t)nf);
	for (size_t i = 0; i < nf; i++) {
		const policy_feature_eval *f = &ev->features[i];

		w_u64(w, f->n);
		w_u64(w, f->missing);
		w_f64(w, f->psi);
		w_u8(w, f->has_ks ? 1 : 0);
		w_f64(w, f->ks_statistic);
		w_f64(w, f->ks_p_value);
		w_u8(w, f->drifted ? 1 : 0);
		write_results(w, f);
	}
	w_u64(w, ev->n_drifted);
	w_f64(w, ev->drifted_share);
	w_u8(w, ev->dataset_drift ? 1 : 0);
	w_u64(w, wt->predictions);
	w_u64(w, wt->labelled);
	w_i64(w, wt->due_ms);
	w_u64(w, wt->gap_events);
	w_u64(w, wt->gap_offsets);
	write_kpi(w, &wt->kpi);
}

static void write_body(wbuf *w, const label_dict *ld, const pipeline_model *m)
{
	const window *win = &m->win;
	const kpi_acc *k = &win->kpi;

	w_u32(w, (uint32_t)m->lab.n_classes);
	for (size_t i = 0; i < m->lab.n_classes; i++)
		w_str(w, class_text(ld, m, i));
	w_u64(w, m->window_index);
	w_i64(w, m->window_bucket);
	w_u64(w, m->records);
	w_u64(w, m->windows);
	w_u64(w, m->retrains);
	w_u64(w, m->holds);
	w_u64(w, m->drift_alarms);
	w_u64(w, m->naive_retrains);
	w_f64(w, m->kwh_spent);
	w_f64(w, m->kg_spent);
	w_f64(w, m->kwh_avoided);
	w_f64(w, m->kg_avoided);

	w_u32(w, m->guard.consecutive_breaches);
	w_i64(w, m->guard.last_retrain_ms);
	w_u32(w, (uint32_t)m->guard.n_retrains);
	for (size_t i = 0; i < m->guard.n_retrains; i++)
		w_i64(w, m->guard.retrain_ms[i]);

	w_u64(w, win->n_records);
	w_u8(w, win->has_time ? 1 : 0);
	w_i64(w, win->start_ms);
	w_i64(w, win->end_ms);
	w_u32(w, (uint32_t)m->ref.n_features);
	for (size_t i = 0; i < m->ref.n_features; i++) {
		const reference_feature *f = &m->ref.features[i];
		const window_column *col = &win->cols[i];

		w_u8(w, (unsigned)f->type);
		w_u64(w, col->missing);
		if (f->type == POLICY_FEATURE_CATEGORICAL) {
			w_u32(w, (uint32_t)(f->n_categories + 1));
			for (size_t j = 0; j <= f->n_categories; j++)
				w_f64(w, col->counts[j]);
			write_unseen(w, &col->unseen);
		} else {
			write_column(w, col);
		}
	}
	write_quality_counts(w, win);
	write_kpi(w, k);
	w_u8(w, m->has_clock ? 1 : 0);
	w_i64(w, m->clock_ms);
	w_u8(w, m->has_bucket ? 1 : 0);
	w_u64(w, m->late_labels);
	w_u64(w, m->waits_cut_short);
	w_u64(w, win->predictions);
	w_u64(w, win->labelled);
	w_u64(w, m->gap_events);
	w_u64(w, m->gap_offsets);
	w_u32(w, (uint32_t)m->n_waiting);
	for (size_t i = 0; i < m->n_waiting; i++)
		write_waiting(w, pipeline_wait_at(m, i),
			      m->ref.n_features);
	w_i64(w, m->guard.base.since_ms);
	w_i64(w, m->guard.base.deployed_ms);
	w_u32(w, m->guard.base.windows);
	w_u8(w, m->guard.base.ready ? 1 : 0);
	for (size_t i = 0; i < POLICY_MAX_KPIS; i++) {
		w_f64(w, m->guard.base.value[i]);
		w_f64(w, m->guard.base.weight[i]);
	}
}

static int write_model(wbuf *w, const label_dict *ld, const pipeline_model *m,
		       const state_keys *k, kpg_err *err)
{
	unsigned char fp[32];
	uint64_t len = body_bytes(ld, m), start;

	if (state_reference_fingerprint(&m->ref, fp)) {
		kpg_err_set(err, "out of memory hashing the reference of %s",
			    m->pol->model);
		return KPG_ENOMEM;
	}
	w_str(w, m->pol->model);
	w_bytes(w, m->pol->sha256, 32);
	w_bytes(w, fp, 32);
	/* version 3: the reference a deployment named, "" the policy's */
	w_str(w, m->ref_override ? m->ref_override : "");
	w_u32(w, (uint32_t)k->n);
	for (size_t i = 0; i < k->n; i++)
		w_str(w, keys_at(k, i));
	w_u64(w, len);
	start = w->total;
	write_body(w, ld, m);
	if (w->total - start != len) {
		kpg_err_set(err, "internal error: model %s body is %" PRIu64 " bytes, expected %" PRIu64, m->pol->model,
			    w->total - start, len);
		return KPG_EINVAL;
	}
	return 0;
}

static void write_stats(wbuf *w, const pipeline *pl)
{
	const pipeline_stats *s = &pl->stats;

	w_u32(w, CAPTURE_REJECT__COUNT);
	w_u64(w, s->capture_lines);
	w_u64(w, s->capture_ok);
	w_u64(w, s->instances);
	for (size_t i = 0; i < CAPTURE_REJECT__COUNT; i++)
		w_u64(w, s->capture_rejects[i]);
	w_u64(w, s->gt_lines);
	w_u64(w, s->gt_ok);
	for (size_t i = 0; i < CAPTURE_REJECT__COUNT; i++)
		w_u64(w, s->gt_rejects[i]);
	w_u64(w, s->unjoinable);
	w_u64(w, s->late_labels);
	w_u64(w, s->arrival_times);
}

/* The ring in order from its head, dead slots included, so a restored ring
 * fills up and evicts exactly as the saved one would have. */
static void write_join(wbuf *w, const join_buffer *jb)
{
	w_u64(w, jb->stats.joined);
	w_u64(w, jb->stats.evicted_predictions);
	w_u64(w, jb->stats.evicted_labels);
	w_u64(w, jb->stats.duplicate_ids);
	w_u64(w, jb->count);
	for (size_t k = 0; k < jb->count; k++) {
		const join_entry *e = &jb->ring[(jb->head + k) % jb->cap];

		w_u8(w, e->live ? 1 : 0);
		if (!e->live)
			continue;
		w_u8(w, e->key_len);
		w_bytes(w, e->key, e->key_len);
		w_u8(w, e->kind);
		w_u32(w, e->model);
		w_u64(w, e->window);
		w_f64(w, e->value);
		w_i64(w, e->t_ms);
		w_u32(w, e->code);
	}
}

static int write_all(wbuf *w, const pipeline *pl, const state_ctx *c,
		     kpg_err *err)
{
	int rc;

	w_bytes(w, STATE_MAGIC, 8);
	w_u32(w, STATE_VERSION);
	w_u32(w, 0); /* flags */
	w_i64(w, kpg_time_now_ms());
	w_u8(w, pl->has_clock ? 1 : 0);
	w_i64(w, pl->clock_ms);
	write_stats(w, pl);
	w_u32(w, (uint32_t)pl->n_models);
	for (size_t i = 0; i < pl->n_models; i++) {
		static const state_keys none;

		rc = write_model(w, &pl->labels, &pl->models[i],
				 i < c->n_models ? &c->keys[i] : &none, err);
		if (rc)
			return rc;
	}
	w_u32(w, pl->labels.n);
	for (uint32_t i = 1; i <= pl->labels.n; i++)
		w_str(w, label_dict_text(&pl->labels, i));
	write_join(w, &pl->join);
	w_u32(w, (uint32_t)c->n_offsets);
	for (size_t i = 0; i < c->n_offsets; i++) {
		w_str(w, c->offsets[i].topic);
		w_u32(w, (uint32_t)c->offsets[i].partition);
		w_i64(w, c->offsets[i].next_offset);
	}
	/* version 6: the source cursor, opaque here (daemon_s3.h) */
	w_u32(w, (uint32_t)c->cursor_len);
	if (c->cursor_len > 0)
		w_bytes(w, c->cursor, c->cursor_len);
	w_bytes(w, STATE_END, 8);
	return 0;
}

static int dir_path(char *buf, size_t size, const char *dir, const char *name,
		    kpg_err *err)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size) {
		kpg_err_set(err, "state_dir path too long: %.200s", dir);
		return KPG_EINVAL;
	}
	return 0;
}

int state_save(const char *dir, const pipeline *pl, state_ctx *c,
	       kpg_err *err)
{
	char tmp[4096], final[4096];
	unsigned char digest[32];
	wbuf *w = NULL;
	int rc, created = 0;

	if (pl->n_models > STATE_MAX_MODELS) {
		kpg_err_set(err, "%zu models: a checkpoint holds at most %d",
			    pl->n_models, STATE_MAX_MODELS);
		return KPG_EINVAL;
	}
	state_keys_harvest(c, pl);
	rc = dir_path(tmp, sizeof(tmp), dir, STATE_TMP_FILE, err);
	if (rc == 0)
		rc = dir_path(final, sizeof(final), dir, STATE_FILE, err);
	if (rc)
		return rc;
	w = calloc(1, sizeof(*w));
	if (w != NULL)
		w->fd = -1;
	if (w == NULL || (w->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1) {
		kpg_err_set(err, "out of memory for the checkpoint writer");
		rc = KPG_ENOMEM;
		goto fail;
	}
	w->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		kpg_err_set(err, "%s: %s", tmp, strerror(errno));
		rc = KPG_EIO;
		goto fail;
	}
	created = 1;
	rc = write_all(w, pl, c, err);
	if (rc)
		goto fail;
	w_flush(w);
	if (!w->err_no && EVP_DigestFinal_ex(w->md, digest, NULL) != 1)
		w->err_no = ENOMEM;
	if (!w->err_no) {
		/* the checksum covers everything before it, not itself */
		memcpy(w->buf, digest, sizeof(digest));
		w->len = sizeof(digest);
		EVP_DigestInit_ex(w->md, EVP_sha256(), NULL);
		w_flush(w);
	}
	if (!w->err_no && fsync(w->fd) != 0)
		w->err_no = errno;
	if (close(w->fd) != 0 && !w->err_no)
		w->err_no = errno;
	w->fd = -1;
	if (w->err_no) {
		kpg_err_set(err, "%s: %s", tmp, strerror(w->err_no));
		rc = KPG_EIO;
		goto fail;
	}
	if (rename(tmp, final) != 0) {
		kpg_err_set(err, "rename %s to %s: %s", tmp, final, strerror(errno));
		rc = KPG_EIO;
		goto fail;
	}
	created = 0;
	if (kpg_fsync_dir(dir) != 0) {
		/* the new file is in place but its name may not be durable yet */
		kpg_err_set(err, "fsync %s: %s", dir, strerror(errno));
		rc = KPG_EIO;
		goto fail;
	}
	rc = 0;
fail:
	if (w != NULL) {
		if (w->fd >= 0)
			close(w->fd);
		EVP_MD_CTX_free(w->md);
		free(w);
	}
	if (created)
		unlink(tmp);
	return rc;
}

/* ---- reader ------------------------------------------------------- */

/* Reads the payload (after the header, before the end marker) through a
 * buffer; every read is checked against the bytes left. The first failure
 * is kept in rc/err and later reads return zeros. */
typedef struct rbuf {
	int fd;
	unsigned char buf[STATE_IO_BUF];
	size_t pos, len;
	uint64_t left; /* payload bytes not yet consumed */
	int rc;
	kpg_err *err;
	uint32_t version; /* of the file: 1 lacks the label-wait fields */
	int pl_has_clock; /* version 1: the stream clock, for each model's */
	int64_t pl_clock;
	int classes_ok;   /* version 3: the model's classes are the file's */
	uint32_t *remap;  /* version 3: file label code -> the pipeline's */
	uint32_t n_remap; /* codes in the file's dictionary */
} rbuf;

static void r_fail(rbuf *r, int rc, const char *what)
{
	if (r->rc == 0) {
		r->rc = rc;
		kpg_err_set(r->err, "checkpoint is corrupt: %s", what);
	}
}

static int r_bytes(rbuf *r, void *out, size_t n, const char *what)
{
	unsigned char *d = out;

	if (r->rc == 0 && n > r->left)
		r_fail(r, KPG_EINTEGRITY, what);
	if (r->rc) {
		memset(out, 0, n);
		return r->rc;
	}
	r->left -= n;
	while (n > 0) {
		size_t k;

		if (r->pos == r->len) {
			ssize_t got = read(r->fd, r->buf, sizeof(r->buf));

			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				r->rc = KPG_EIO;
				kpg_err_set(r->err, "reading the checkpoint: %s",
					    got < 0 ? strerror(errno) : "file shrank");
				memset(d, 0, n);
				return r->rc;
			}
			r->pos = 0;
			r->len = (size_t)got;
		}
		k = r->len - r->pos < n ? r->len - r->pos : n;
		memcpy(d, r->buf + r->pos, k);
		r->pos += k;
		d += k;
		n -= k;
	}
	return 0;
}

static void r_skip(rbuf *r, uint64_t n, const char *what)
{
	unsigned char tmp[4096];

	if (r->rc == 0 && n > r->left)
		r_fail(r, KPG_EINTEGRITY, what);
	while (r->rc == 0 && n > 0) {
		size_t k = n > sizeof(tmp) ? sizeof(tmp) : (size_t)n;

		r_bytes(r, tmp, k, what);
		n -= k;
	}
}

static uint64_t r_num(rbuf *r, size_t n, const char *what)
{
	unsigned char b[8];

	r_bytes(r, b, n, what);
	return r->rc ? 0 : le_get(b, n);
}

static unsigned r_u8(rbuf *r, const char *what) { return (unsigned)r_num(r, 1, what); }
static uint32_t r_u32(rbuf *r, const char *what) { return (uint32_t)r_num(r, 4, what); }
static uint64_t r_u64(rbuf *r, const char *what) { return r_num(r, 8, what); }
static int64_t r_i64(rbuf *r, const char *what) { return (int64_t)r_num(r, 8, what); }
static double r_f64(rbuf *r, const char *what) { return bits_f64(r_num(r, 8, what)); }

/* Values the live state only ever holds finite (and >= 0 when nonneg). */
static double r_finite(rbuf *r, int nonneg, const char *what)
{
	double v = r_f64(r, what);

	if (r->rc == 0 && (!isfinite(v) || (nonneg && v < 0)))
		r_fail(r, KPG_EINTEGRITY, what);
	return r->rc ? 0 : v;
}

/* A category count: a whole number a double holds exactly. */
static double r_tally(rbuf *r, const char *what)
{
	double v = r_finite(r, 1, what);

	if (r->rc == 0 && (v != floor(v) || v > 9007199254740992.0))
		r_fail(r, KPG_EINTEGRITY, what);
	return r->rc ? 0 : v;
}

/* An event time in range, or INT64_MIN ("never"/"unknown") when allowed. */
static int64_t r_time(rbuf *r, int allow_min, const char *what)
{
	int64_t v = r_i64(r, what);

	if (r->rc == 0 && !(allow_min && v == INT64_MIN) &&
	    (v > STATE_TIME_LIMIT || v < -STATE_TIME_LIMIT))
		r_fail(r, KPG_EINTEGRITY, what);
	return r->rc ? 0 : v;
}

/* A count of elements of elem_bytes each: at most max, and no more than
 * the bytes left can hold. */
static uint64_t r_count(rbuf *r, uint64_t v, uint64_t max, uint64_t elem_bytes,
			const char *what)
{
	if (r->rc)
		return 0;
	if (v > max || (elem_bytes > 0 && v > r->left / elem_bytes)) {
		r->rc = KPG_EINTEGRITY;
		kpg_err_set(r->err, "checkpoint is corrupt: %s count %" PRIu64 " is past its cap or the file's end", what, v);
		return 0;
	}
	return v;
}

/* A length-prefixed string of 1..max bytes into a malloc'd NUL-terminated
 * copy (caller frees), or NULL with r->rc set. */
static char *r_str(rbuf *r, size_t max, const char *what)
{
	uint64_t len = r_count(r, r_u32(r, what), max, 1, what);
	char *s;

	if (r->rc)
		return NULL;
	s = malloc((size_t)len + 1);
	if (s == NULL) {
		r->rc = KPG_ENOMEM;
		kpg_err_set(r->err, "out of memory reading the checkpoint");
		return NULL;
	}
	r_bytes(r, s, (size_t)len, what);
	s[len] = '\0';
	if (r->rc || strlen(s) != len) {
		r_fail(r, KPG_EINTEGRITY, what);
		free(s);
		return NULL;
	}
	return s;
}

/* ---- what is read ------------------------------------------------- */

static void fresh_model(pipeline_model *m)
{
	window_reset(&m->win);
	policy_guard_state_init(&m->guard);
	m->window_index = 0;
	m->window_bucket = 0;
	m->has_bucket = 0;
	m->has_clock = 0;
	m->clock_ms = 0;
	m->late_labels = m->waits_cut_short = 0;
	m->gap_events = m->gap_offsets = 0;
	while (m->n_waiting > 0)
		pipeline_wait_pop(m);
	m->records = m->windows = m->retrains = m->holds = 0;
	m->drift_alarms = m->naive_retrains = 0;
	m->kwh_spent = m->kg_spent = m->kwh_avoided = m->kg_avoided = 0;
}

/* Back to how pipeline_init and state_ctx_init left them. */
static void fresh_all(pipeline *pl, state_ctx *c)
{
	join_buffer *jb = &pl->join;

	for (size_t i = 0; i < pl->n_models; i++)
		fresh_model(&pl->models[i]);
	/* Slots past count are never read (an insert writes every field), and
	 * with no entry and no tombstone the index is already all empty: the
	 * default ring is 40 MB, not worth clearing for nothing. */
	if (jb->count > 0 || jb->tombstones > 0)
		memset(jb->index, 0, jb->index_cap * sizeof(*jb->index));
	jb->head = jb->count = jb->tombstones = 0;
	memset(&jb->stats, 0, sizeof(jb->stats));
	pl->clock_ms = 0;
	pl->has_clock = 0;
	memset(&pl->stats, 0, sizeof(pl->stats));
	offsets_clear(c);
	memset(c->keys, 0, c->n_models * sizeof(*c->keys));
	memset(c->status, 0, c->n_models * sizeof(*c->status));
	c->n_dropped_models = 0;
	c->join_dropped = 0;
	c->saved_at_ms = 0;
}

static void read_stats(rbuf *r, pipeline *pl)
{
	uint64_t kinds = r_count(r, r_u32(r, "stats"), STATE_MAX_REJECT_KINDS,
				 16, "reject kinds");
	pipeline_stats *s = &pl->stats;

	s->capture_lines = r_u64(r, "stats");
	s->capture_ok = r_u64(r, "stats");
	s->instances = r_u64(r, "stats");
	for (uint64_t i = 0; i < kinds; i++) {
		uint64_t v = r_u64(r, "stats");

		if (i < CAPTURE_REJECT__COUNT) /* a reason this build lacks is dropped */
			s->capture_rejects[i] = v;
	}
	s->gt_lines = r_u64(r, "stats");
	s->gt_ok = r_u64(r, "stats");
	for (uint64_t i = 0; i < kinds; i++) {
		uint64_t v = r_u64(r, "stats");

		if (i < CAPTURE_REJECT__COUNT)
			s->gt_rejects[i] = v;
	}
	s->unjoinable = r_u64(r, "stats");
	if (r->version >= 2) {
		s->late_labels = r_u64(r, "stats");
		s->arrival_times = r_u64(r, "stats");
	}
}

static int grow_doubles(double **p, size_t *cap, size_t need, size_t elem)
{
	void *np;

	if (need <= *cap)
		return 0;
	np = realloc(*p, need * elem);
	if (np == NULL)
		return KPG_ENOMEM;
	*p = np;
	*cap = need;
	return 0;
}

static void r_nomem(rbuf *r)
{
	if (r->rc == 0) {
		r->rc = KPG_ENOMEM;
		kpg_err_set(r->err, "out of memory restoring a window");
	}
}

static void read_kpi(rbuf *r, kpi_acc *k)
{
	k->n = r_u64(r, "kpi");
	k->tp = r_u64(r, "kpi");
	k->fp = r_u64(r, "kpi");
	k->tn = r_u64(r, "kpi");
	k->fn = r_u64(r, "kpi");
	k->sse = r_finite(r, 1, "kpi sums");
	k->sae = r_finite(r, 1, "kpi sums");
	{
		uint64_t n = r_count(r, r_u64(r, "kpi pairs"), k->max_pairs, 16,
				     "KPI pairs");
		size_t cap = k->cap;

		if (r->rc == 0 && n > k->n)
			r_fail(r, KPG_EINTEGRITY, "more KPI pairs stored than added");
		if (r->rc == 0 && n > cap) {
			void *np = realloc(k->pairs, (size_t)n * sizeof(*k->pairs));

			if (np == NULL) {
				r_nomem(r);
			} else {
				k->pairs = np;
				k->cap = (size_t)n;
			}
		}
		for (size_t j = 0; r->rc == 0 && j < n; j++) {
			k->pairs[j].score = r_finite(r, 0, "kpi pairs");
			k->pairs[j].label = r_finite(r, 0, "kpi pairs");
		}
		k->n_pairs = r->rc ? 0 : (size_t)n;
	}
	if (r->version >= 3) {
		uint64_t nc = r_count(r, r_u32(r, "kpi classes"), KPI_MAX_CLASSES,
				      8, "KPI classes");
		int keep = r->classes_ok && k->confusion != NULL &&
			   nc == k->n_classes;

		for (uint64_t j = 0; r->rc == 0 && j < nc * (nc + 1); j++) {
			uint64_t v = r_u64(r, "confusion matrix");

			if (keep)
				k->confusion[j] = v;
		}
		if (!keep && k->task == POLICY_TASK_MULTICLASS)
			kpi_reset(k); /* classes changed: its pairs are lost */
	}
}

static void read_quality_counts(rbuf *r, window *w)
{
	w->rejected_instances = r_u64(r, "quality counts");
	if (r_u32(r, "quality counts") != w->ref->n_payload && r->rc == 0)
		r_fail(r, KPG_EINTEGRITY, "payload column count differs from the reference");
	for (size_t i = 0; r->rc == 0 && i <= w->ref->n_payload; i++)
		w->short_by_len[i] = r_u64(r, "quality counts");
	w->long_instances = r_u64(r, "quality counts");
	w->widest = (size_t)r_u64(r, "quality counts");
	for (size_t i = 0; r->rc == 0 && i < w->ref->n_features; i++)
		w->cols[i].bad_type = r_u64(r, "quality counts");
}

static void read_unseen(rbuf *r, unseen_tally *t)
{
	uint64_t n = r_count(r, r_u32(r, "unseen names"), UNSEEN_MAX_NAMES, 1,
			     "unseen names");

	unseen_reset(t);
	for (uint64_t i = 0; r->rc == 0 && i < n; i++) {
		char *name = r_str(r, UNSEEN_NAME_MAX, "unseen name");
		double count = r_tally(r, "unseen count");

		if (r->rc == 0 && unseen_add(t, name, strlen(name)) != 0)
			r_nomem(r);
		if (r->rc == 0 && t->n > 0 && strcmp(t->names[t->n - 1], name) == 0)
			t->counts[t->n - 1] = count;
		else if (r->rc == 0)
			r_fail(r, KPG_EINTEGRITY, "unseen names repeat");
		free(name);
	}
	t->other = r_tally(r, "unseen other");
}

static void read_results(rbuf *r, policy_feature_eval *f)
{
	f->has_psi = r_u8(r, "feature evaluation") != 0;
	f->weight = r_finite(r, 1, "feature weight");
	f->critical = r_u8(r, "feature evaluation") != 0;
	f->unseen = r_u64(r, "feature evaluation");
	f->vanished = r_u64(r, "feature evaluation");
	if (r->version >= 5) {
		f->sketched = r_u8(r, "feature evaluation") != 0;
		f->sketch_error = r_finite(r, 1, "sketch error");
	}
	f->n_results = (size_t)r_count(r, r_u8(r, "detector results"), DRIFT__COUNT,
				       1, "detector results");
	for (size_t j = 0; r->rc == 0 && j < f->n_results; j++) {
		drift_result *d = &f->results[j];
		unsigned kind = r_u8(r, "detector");

		if (r->rc == 0 && kind >= DRIFT__COUNT)
			r_fail(r, KPG_EINTEGRITY, "unknown detector");
		d->kind = (drift_detector)kind;
		d->value = r_f64(r, "detector value");
		d->p_value = r_f64(r, "detector p-value");
		d->p_adjusted = r_f64(r, "detector p-value");
		d->effect = r_f64(r, "detector effect");
		d->threshold = r_f64(r, "detector threshold");
		d->min_effect = r_f64(r, "detector effect floor");
		d->error = r_f64(r, "detector error");
		d->noise = r_f64(r, "detector noise");
		d->bins = r_u32(r, "detector bins");
		d->skip = (drift_skip)r_u8(r, "detector skip");
		if (r->rc == 0 && d->skip > DRIFT_SKIP_NOISE)
			r_fail(r, KPG_EINTEGRITY, "unknown detector skip");
		d->approximate = r_u8(r, "detector") != 0;
		d->drifted = r_u8(r, "detector") != 0;
		if (r->version >= 7) {
			unsigned pm = r_u8(r, "detector p-value method");

			if (r->rc == 0 && pm > DRIFT_P_EXACT)
				r_fail(r, KPG_EINTEGRITY, "unknown p-value method");
			d->p_method = (drift_p_method)pm;
		} else {
			d->p_method = DRIFT_P_UNKNOWN;
		}
	}
}

static void read_waiting(rbuf *r, pipeline_model *m, uint64_t expect_index)
{
	pipeline_waiting *wt = NULL;
	policy_window_eval *ev;
	policy_feature_eval *feats;
	kpg_err sub;

	if (pipeline_wait_push(m, &wt, &sub) != 0) {
		r_nomem(r);
		return;
	}
	ev = &wt->ev;
	feats = ev->features;
	memset(ev, 0, sizeof(*ev));
	ev->features = feats;
	ev->ks_method = policy_ks_method_applied(m->pol);
	ev->window_index = r_u64(r, "waiting window");
	if (r->rc == 0 && ev->window_index != expect_index)
		r_fail(r, KPG_EINTEGRITY, "waiting windows out of order");
	ev->n_records = r_u64(r, "waiting window");
	ev->start_ms = r_time(r, 0, "waiting window start");
	ev->end_ms = r_time(r, 0, "waiting window end");
	if (r_u32(r, "waiting window") != m->ref.n_features && r->rc == 0)
		r_fail(r, KPG_EINTEGRITY, "waiting window feature count differs from the reference");
	ev->n_features = m->ref.n_features;
	for (size_t i = 0; r->rc == 0 && i < m->ref.n_features; i++) {
		policy_feature_eval *f = &ev->features[i];

		f->name = m->ref.features[i].name;
		f->type = m->ref.features[i].type;
		f->n = (size_t)r_u64(r, "feature evaluation");
		f->missing = (size_t)r_u64(r, "feature evaluation");
		f->psi = r_f64(r, "feature evaluation");
		f->has_ks = r_u8(r, "feature evaluation") != 0;
		f->ks_statistic = r_f64(r, "feature evaluation");
		f->ks_p_value = r_f64(r, "feature evaluation");
		f->drifted = r_u8(r, "feature evaluation") != 0;
		if (r->version >= 4) {
			read_results(r, f);
		} else { /* before version 4: PSI and KS only */
			f->has_psi = f->n > 0;
			f->weight = 1;
		}
	}
	ev->n_drifted = (size_t)r_count(r, r_u64(r, "waiting window"),
					m->ref.n_features, 0, "drifted features");
	ev->drifted_share = r_finite(r, 1, "drifted share");
	ev->dataset_drift = r_u8(r, "waiting window") != 0;
	wt->predictions = r_u64(r, "waiting window");
	wt->labelled = r_u64(r, "waiting window");
	wt->due_ms = r_time(r, 0, "waiting window due");
	if (r->version >= 3) { /* version 2 had no data-gap marks */
		wt->gap_events = r_u64(r, "waiting window");
		wt->gap_offsets = r_u64(r, "waiting window");
	}
	read_kpi(r, &wt->kpi);
}

/* An exact column; more values than the policy keeps exactly now (it was
 * lowered) move into a sketch, as they would have when added. */
static void read_exact(rbuf *r, window *w, size_t f, window_column *col)
{
	uint64_t n = r_count(r, r_u64(r, "values"), POLICY_MAX_EXACT_VALUES, 8,
			     "window values");
	kpg_err sub;

	if (r->rc == 0 && n > 0 &&
	    grow_doubles(&col->values, &col->cap, (size_t)n, sizeof(double)))
		r_nomem(r);
	for (size_t j = 0; r->rc == 0 && j < n; j++)
		col->values[j] = r_finite(r, 0, "window values");
	col->n = r->rc ? 0 : (size_t)n;
	if (r->rc == 0 && window_column_fit(w, f, &sub) != 0)
		r_fail(r, KPG_ENOMEM, sub.msg);
}

/* A sketched column: kll_restore checks the sketch as untrusted. */
static void read_sketch(rbuf *r, window_column *col)
{
	unsigned k = r_u32(r, "sketch"), min_k = r_u32(r, "sketch");
	uint64_t n = r_u64(r, "sketch");
	double min = r_f64(r, "sketch"), max = r_f64(r, "sketch");
	uint64_t rng = r_u64(r, "sketch"), compactions = r_u64(r, "sketch");
	uint64_t integers = r_u64(r, "sketch"), negatives = r_u64(r, "sketch");
	size_t n_levels = (size_t)r_count(r, r_u32(r, "sketch levels"),
					  KLL_MAX_LEVELS, 8, "sketch levels");
	double *levels[KLL_MAX_LEVELS] = {0};
	size_t lens[KLL_MAX_LEVELS] = {0};
	kll_sketch *s = NULL;
	kpg_err sub;

	for (size_t h = 0; r->rc == 0 && h < n_levels; h++) {
		lens[h] = (size_t)r_count(r, r_u64(r, "sketch items"),
					  (uint64_t)KLL_MAX_K * 4, 8, "sketch items");
		if (r->rc == 0 && lens[h] > 0 &&
		    (levels[h] = malloc(lens[h] * sizeof(double))) == NULL)
			r_nomem(r);
		for (size_t j = 0; r->rc == 0 && j < lens[h]; j++)
			levels[h][j] = r_f64(r, "sketch items");
	}
	if (r->rc == 0 && (integers > n || negatives > n))
		r_fail(r, KPG_EINTEGRITY, "sketch tallies past its count");
	if (r->rc == 0 && (s = malloc(sizeof(*s))) == NULL)
		r_nomem(r);
	if (r->rc == 0 &&
	    kll_restore(s, k, min_k, n, min, max, rng, compactions,
			(const double *const *)levels, lens, n_levels, &sub) != 0) {
		free(s);
		s = NULL;
		r_fail(r, KPG_EINTEGRITY, sub.msg);
	}
	if (r->rc == 0) {
		col->sketch = s;
		col->integers = integers;
		col->negatives = negatives;
	} else {
		free(s);
	}
	for (size_t h = 0; h < n_levels; h++)
		free(levels[h]);
}

static void read_window(rbuf *r, pipeline_model *m)
{
	window *w = &m->win;
	kpi_acc *k = &w->kpi;
	uint64_t nf;

	w->n_records = r_u64(r, "window");
	w->has_time = r_u8(r, "window") != 0;
	w->start_ms = r_time(r, 0, "window start");
	w->end_ms = r_time(r, 0, "window end");
	nf = r_u32(r, "window");
	if (r->rc == 0 && nf != m->ref.n_features)
		r_fail(r, KPG_EINTEGRITY, "window feature count differs from the reference");
	for (size_t i = 0; r->rc == 0 && i < m->ref.n_features; i++) {
		const reference_feature *f = &m->ref.features[i];
		window_column *col = &w->cols[i];

		if (r_u8(r, "column type") != (unsigned)f->type)
			r_fail(r, KPG_EINTEGRITY, "column type differs from the reference");
		col->missing = r_u64(r, "column");
		if (f->type == POLICY_FEATURE_CATEGORICAL) {
			if (r_u32(r, "counts") != f->n_categories + 1)
				r_fail(r, KPG_EINTEGRITY, "category count differs from the reference");
			for (size_t j = 0; r->rc == 0 && j <= f->n_categories; j++)
				col->counts[j] = r_tally(r, "category counts");
			if (r->version >= 4)
				read_unseen(r, &col->unseen);
		} else if (r->version >= 5 && r_u8(r, "column") != 0) {
			read_sketch(r, col);
		} else {
			read_exact(r, w, i, col);
		}
	}
	if (r->version >= 4)
		read_quality_counts(r, w);
	read_kpi(r, k);
}

/* Version 3: the classes the model's confusion matrices were indexed by;
 * r->classes_ok when they are the model's now. */
static void read_classes(rbuf *r, const label_dict *ld, pipeline_model *m)
{
	uint64_t n = r_count(r, r_u32(r, "classes"), KPI_MAX_CLASSES, 4,
			     "classes");

	r->classes_ok = r->rc == 0 && n == m->lab.n_classes;
	for (uint64_t i = 0; r->rc == 0 && i < n; i++) {
		char *t = r_str(r, LABEL_TEXT_MAX, "class");

		if (t != NULL && r->classes_ok)
			r->classes_ok = strcmp(t, class_text(ld, m, (size_t)i)) == 0;
		free(t);
	}
}

static void read_body(rbuf *r, const label_dict *ld, pipeline_model *m)
{
	uint64_t n;

	r->classes_ok = 0;
	if (r->version >= 3)
		read_classes(r, ld, m);

	m->window_index = r_u64(r, "model");
	m->window_bucket = r_time(r, 0, "window bucket");
	/* a bucket's end, origin + (bucket + 1) * span, must be a time too */
	if (r->rc == 0 && m->pol->window_span_ms > 0 &&
	    (m->window_bucket > STATE_TIME_LIMIT / m->pol->window_span_ms ||
	     m->window_bucket < -STATE_TIME_LIMIT / m->pol->window_span_ms))
		r_fail(r, KPG_EINTEGRITY, "window bucket");
	m->records = r_u64(r, "tallies");
	m->windows = r_u64(r, "tallies");
	m->retrains = r_u64(r, "tallies");
	m->holds = r_u64(r, "tallies");
	m->drift_alarms = r_u64(r, "tallies");
	m->naive_retrains = r_u64(r, "tallies");
	m->kwh_spent = r_finite(r, 1, "energy tallies");
	m->kg_spent = r_finite(r, 1, "energy tallies");
	m->kwh_avoided = r_finite(r, 1, "energy tallies");
	m->kg_avoided = r_finite(r, 1, "energy tallies");
	m->guard.consecutive_breaches = r_u32(r, "guard");
	m->guard.last_retrain_ms = r_time(r, 1, "last retrain");
	n = r_count(r, r_u32(r, "guard"), POLICY_MAX_RETRAIN_HISTORY, 8,
		    "retrain history");
	for (size_t i = 0; i < n; i++)
		m->guard.retrain_ms[i] = r_time(r, 0, "retrain history");
	m->guard.n_retrains = r->rc ? 0 : (size_t)n;
	read_window(r, m);
	if (r->version < 2) {
		/* before label waits: the model's clock was the stream's */
		m->has_clock = r->pl_has_clock;
		m->clock_ms = r->pl_clock;
		m->has_bucket = m->win.n_records > 0;
		return;
	}
	m->has_clock = r_u8(r, "model clock") != 0;
	m->clock_ms = r_time(r, 0, "model clock");
	m->has_bucket = r_u8(r, "model") != 0;
	m->late_labels = r_u64(r, "tallies");
	m->waits_cut_short = r_u64(r, "tallies");
	m->win.predictions = r_u64(r, "window");
	m->win.labelled = r_u64(r, "window");
	if (r->version >= 3) {
		m->gap_events = r_u64(r, "data gap");
		m->gap_offsets = r_u64(r, "data gap");
	}
	n = r_count(r, r_u32(r, "waiting windows"), PIPELINE_MAX_WAITING, 8,
		    "waiting windows");
	if (r->rc == 0 && n > m->window_index)
		r_fail(r, KPG_EINTEGRITY, "more waiting windows than windows");
	for (uint64_t k = 0; r->rc == 0 && k < n; k++)
		read_waiting(r, m, m->window_index - n + k);
	if (r->version < 3)
		return; /* version 2: no baseline (relative rules start learning) */
	m->guard.base.since_ms = r_time(r, 1, "baseline since");
	m->guard.base.deployed_ms = r_time(r, 1, "baseline deployed");
	m->guard.base.windows = r_u32(r, "baseline");
	m->guard.base.ready = r_u8(r, "baseline") != 0;
	for (size_t i = 0; i < POLICY_MAX_KPIS; i++) {
		m->guard.base.value[i] = r_finite(r, 0, "baseline value");
		m->guard.base.weight[i] = r_finite(r, 1, "baseline weight");
	}
}

/* One model record; sets *pl_index to its pipeline model or -1. */
static void read_model(rbuf *r, pipeline *pl, state_ctx *c,
		       unsigned char *matched, int *pl_index)
{
	unsigned char sha[32], fp[32], want[32];
	char *name = r_str(r, STATE_MAX_NAME, "model name");
	char *override = NULL;
	uint64_t n_keys, len, before;
	int idx = -1;
	pipeline_model *m = NULL;

	*pl_index = -1;
	r_bytes(r, sha, 32, "policy sha256");
	r_bytes(r, fp, 32, "reference fingerprint");
	if (r->version >= 3)
		override = r_str(r, STATE_MAX_NAME, "reference override");
	for (size_t i = 0; name != NULL && i < pl->n_models; i++)
		if (!matched[i] && strcmp(pl->models[i].pol->model, name) == 0) {
			idx = (int)i;
			break;
		}
	free(name);
	n_keys = r_count(r, r_u32(r, "keys"), STATE_KEYS_KEPT, 4, "decided keys");
	for (uint64_t i = 0; i < n_keys; i++) {
		char *key = r_str(r, STATE_KEY_LEN - 1, "decided key");

		if (key != NULL && idx >= 0)
			state_keys_note(c, (size_t)idx, key);
		free(key);
	}
	len = r_count(r, r_u64(r, "model length"), UINT64_MAX, 1, "model bytes");
	if (r->rc || idx < 0) {
		free(override);
		if (r->rc)
			return;
		c->n_dropped_models++;
		r_skip(r, len, "model body");
		return;
	}
	m = &pl->models[idx];
	matched[idx] = 1;
	*pl_index = idx;
	/* a deployment replaced the policy's reference: measure against it
	 * again (same policy only; it must still load) */
	if (override != NULL && override[0] != '\0' &&
	    memcmp(sha, m->pol->sha256, 32) == 0 &&
	    (m->ref_override == NULL || strcmp(m->ref_override, override) != 0)) {
		kpg_err sub;
		int src = pipeline_swap_reference(m, override, &sub);

		if (src == KPG_ENOMEM) {
			free(override);
			r_nomem(r);
			return;
		}
		if (src != 0) {
			c->status[idx] = STATE_MODEL_RESET_REFERENCE;
			free(override);
			r_skip(r, len, "model body");
			return;
		}
	}
	free(override);
	override = NULL;
	if (state_reference_fingerprint(&m->ref, want)) {
		r_nomem(r);
		return;
	}
	if (memcmp(sha, m->pol->sha256, 32) != 0 || memcmp(fp, want, 32) != 0) {
		c->status[idx] = memcmp(sha, m->pol->sha256, 32) != 0
					 ? STATE_MODEL_RESET_POLICY
					 : STATE_MODEL_RESET_SCHEMA;
		r_skip(r, len, "model body");
		return;
	}
	before = r->left;
	read_body(r, &pl->labels, m);
	if (r->rc == 0 && before - r->left != len)
		r_fail(r, KPG_EINTEGRITY, "model body length");
	if (r->rc == 0)
		c->status[idx] = STATE_MODEL_RESTORED;
}

/* A join entry's label code, in the pipeline's dictionary: version 3
 * translates the file's code; before, a text model finds a numeric label
 * by its text. Only a label's value may be other than finite (a text). */
static void read_join_code(rbuf *r, pipeline *pl, join_entry *e)
{
	char t[LABEL_TEXT_MAX];

	if (r->version >= 3) {
		uint32_t code = r_u32(r, "join label code");

		if (r->rc == 0 && code > r->n_remap)
			r_fail(r, KPG_EINTEGRITY, "join label code");
		else if (r->rc == 0)
			e->code = code ? r->remap[code] : 0;
		if (r->rc == 0 && !isfinite(e->value) &&
		    e->kind == JOIN_KIND_PREDICTION)
			r_fail(r, KPG_EINTEGRITY, "join value");
		return;
	}
	if (r->rc == 0 && pl->text_labels && e->kind != JOIN_KIND_PREDICTION) {
		label_canon_number(e->value, t);
		e->code = label_dict_find(&pl->labels, t, strlen(t));
	}
}

/* Version 3: the file's label dictionary, each text interned into the
 * pipeline's (whose codes may differ: its policies interned their
 * classes first); r->remap translates. */
static void read_labels(rbuf *r, pipeline *pl)
{
	uint64_t n = r_count(r, r_u32(r, "labels"), LABEL_DICT_MAX, 4,
			     "label texts");

	if (r->rc)
		return;
	r->remap = calloc((size_t)n + 1, sizeof(*r->remap));
	if (r->remap == NULL) {
		r_nomem(r);
		return;
	}
	r->n_remap = (uint32_t)n;
	for (uint64_t i = 1; r->rc == 0 && i <= n; i++) {
		char *t = r_str(r, LABEL_TEXT_MAX - 1, "label text");
		int rc;

		if (t == NULL)
			break;
		rc = label_dict_intern(&pl->labels, t, strlen(t), &r->remap[i]);
		free(t);
		if (rc == KPG_ENOMEM)
			r_nomem(r);
		else if (rc) /* cannot be: both dictionaries share the cap */
			r_fail(r, KPG_EINTEGRITY, "label dictionary");
	}
}

static void read_join(rbuf *r, pipeline *pl, state_ctx *c, const int *map,
		      uint64_t n_file_models)
{
	join_buffer *jb = &pl->join;
	uint64_t count, skip;

	jb->stats.joined = r_u64(r, "join stats");
	jb->stats.evicted_predictions = r_u64(r, "join stats");
	jb->stats.evicted_labels = r_u64(r, "join stats");
	jb->stats.duplicate_ids = r_u64(r, "join stats");
	count = r_count(r, r_u64(r, "join"), STATE_MAX_JOIN, 1, "join entries");
	/* a smaller ring than the saved one keeps the newest entries */
	skip = count > jb->cap ? count - jb->cap : 0;
	jb->head = 0;
	jb->count = 0;
	for (uint64_t k = 0; r->rc == 0 && k < count; k++) {
		join_entry e;
		uint32_t model;

		memset(&e, 0, sizeof(e));
		e.live = r_u8(r, "join entry") != 0;
		if (e.live) {
			e.key_len = (uint8_t)r_u8(r, "join key");
			if (r->rc == 0 && e.key_len >= JOIN_KEY_MAX)
				r_fail(r, KPG_EINTEGRITY, "join key length");
			if (r->rc)
				break;
			r_bytes(r, e.key, e.key_len, "join key");
			e.kind = (uint8_t)r_u8(r, "join entry");
			if (r->rc == 0 && e.kind > JOIN_KIND_JOINED)
				r_fail(r, KPG_EINTEGRITY, "join entry kind");
			model = r_u32(r, "join entry");
			if (r->version >= 2)
				e.window = r_u64(r, "join window");
			e.value = r->version >= 3 ? r_f64(r, "join value")
						  : r_finite(r, 0, "join value");
			e.t_ms = r_time(r, 1, "join time");
			read_join_code(r, pl, &e);
			e.hash = (uint32_t)kpg_strmap_hash(e.key, e.key_len);
			if (e.kind == JOIN_KIND_LABEL) {
				e.model = 0;
			} else if (r->rc == 0 && model >= n_file_models) {
				r_fail(r, KPG_EINTEGRITY, "join entry names no model");
			} else if (r->rc == 0 && map[model] < 0) {
				e.live = 0; /* its model is gone */
				c->join_dropped++;
			} else if (r->rc == 0) {
				e.model = (uint32_t)map[model];
				if (r->version < 2) /* credited to the open window, as then */
					e.window = pl->models[e.model].window_index;
			}
		}
		if (k < skip) {
			if (e.live && e.kind == JOIN_KIND_LABEL) {
				jb->stats.evicted_labels++;
				c->join_dropped++;
			} else if (e.live && e.kind == JOIN_KIND_PREDICTION) {
				jb->stats.evicted_predictions++;
				c->join_dropped++;
			}
			continue;
		}
		jb->ring[jb->count++] = e;
	}
	if (r->rc == 0 && join_reindex(jb) != 0)
		r_fail(r, KPG_EINTEGRITY, "a join key waits twice");
}

static void read_offsets(rbuf *r, state_ctx *c)
{
	uint64_t n = r_count(r, r_u32(r, "offsets"), STATE_MAX_OFFSETS, 16,
			     "offsets");

	for (uint64_t i = 0; r->rc == 0 && i < n; i++) {
		char *topic = r_str(r, STATE_TOPIC_MAX, "offset topic");
		int32_t part = (int32_t)r_u32(r, "offset");
		int64_t next = r_i64(r, "offset");

		if (r->rc == 0) {
			int rc = state_offset_set(c, topic, part, next, r->err);

			if (rc) {
				r->rc = rc == KPG_ENOMEM ? rc : KPG_EINTEGRITY;
			}
		}
		free(topic);
	}
}

/* version 6: the source cursor's bytes, kept as they are */
static void read_cursor(rbuf *r, state_ctx *c)
{
	uint64_t n = r_count(r, r_u32(r, "cursor"), STATE_MAX_CURSOR, 1, "cursor");
	unsigned char *b;

	if (r->rc || n == 0)
		return;
	b = malloc((size_t)n);
	if (b == NULL) {
		r_nomem(r);
		return;
	}
	if (r_bytes(r, b, (size_t)n, "cursor") != 0) {
		free(b);
		return;
	}
	(void)state_cursor_set(c, NULL, 0);
	c->cursor = b; /* now owned by c */
	c->cursor_len = (size_t)n;
}

static int read_payload(rbuf *r, pipeline *pl, state_ctx *c)
{
	uint64_t n_models;
	unsigned char *matched = NULL;
	int *map = NULL;

	pl->has_clock = r_u8(r, "clock") != 0;
	pl->clock_ms = r_time(r, 0, "clock");
	r->pl_has_clock = pl->has_clock;
	r->pl_clock = pl->clock_ms;
	read_stats(r, pl);
	n_models = r_count(r, r_u32(r, "models"), STATE_MAX_MODELS, 8, "models");
	if (r->rc)
		return r->rc;
	matched = calloc(pl->n_models ? pl->n_models : 1, 1);
	map = calloc(n_models ? n_models : 1, sizeof(*map));
	if (matched == NULL || map == NULL)
		r_nomem(r);
	for (uint64_t i = 0; r->rc == 0 && i < n_models; i++)
		read_model(r, pl, c, matched, &map[i]);
	if (r->rc == 0 && r->version >= 3)
		read_labels(r, pl);
	if (r->rc == 0)
		read_join(r, pl, c, map, n_models);
	read_offsets(r, c);
	if (r->rc == 0 && r->version >= 6)
		read_cursor(r, c);
	if (r->rc == 0 && r->left != 0)
		r_fail(r, KPG_EINTEGRITY, "bytes after the last section");
	free(matched);
	free(map);
	free(r->remap);
	r->remap = NULL;
	return r->rc;
}

/* Pass one: size, magic and the SHA-256 over all but the last 32 bytes,
 * so nothing is applied from a damaged file. Leaves fd at offset 0. */
static int check_file(int fd, const char *path, uint64_t *size, kpg_err *err)
{
	unsigned char buf[STATE_IO_BUF], digest[32], stored[32];
	struct stat st;
	EVP_MD_CTX *md = NULL;
	uint64_t done = 0, body;
	int rc = KPG_EIO;

	if (fstat(fd, &st) != 0) {
		kpg_err_set(err, "%s: %s", path, strerror(errno));
		return KPG_EIO;
	}
	*size = (uint64_t)st.st_size;
	if (*size < STATE_HEAD_BYTES + STATE_TAIL_BYTES) {
		kpg_err_set(err, "%s: checkpoint is truncated (%" PRIu64 " bytes)",
			    path, *size);
		return KPG_EINTEGRITY;
	}
	body = *size - 32;
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		kpg_err_set(err, "out of memory checking the checkpoint");
		rc = KPG_ENOMEM;
		goto out;
	}
	while (done < *size) {
		ssize_t got = read(fd, buf, sizeof(buf));
		size_t hashed;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			kpg_err_set(err, "%s: %s", path,
				    got < 0 ? strerror(errno) : "file shrank while read");
			goto out;
		}
		if (done == 0 && ((size_t)got < 8 || memcmp(buf, STATE_MAGIC, 8) != 0)) {
			kpg_err_set(err, "%s: not a kpigate checkpoint (bad magic)", path);
			rc = KPG_EINTEGRITY;
			goto out;
		}
		hashed = done >= body                  ? 0
			 : (uint64_t)got > body - done ? (size_t)(body - done)
						       : (size_t)got;
		if (hashed > 0 && EVP_DigestUpdate(md, buf, hashed) != 1) {
			rc = KPG_ENOMEM;
			goto out;
		}
		for (size_t i = hashed; i < (size_t)got; i++)
			stored[done + i - body] = buf[i];
		done += (uint64_t)got;
	}
	if (EVP_DigestFinal_ex(md, digest, NULL) != 1) {
		rc = KPG_ENOMEM;
		goto out;
	}
	if (memcmp(digest, stored, 32) != 0) {
		kpg_err_set(err, "%s: checkpoint checksum mismatch (corrupt or truncated)",
			    path);
		rc = KPG_EINTEGRITY;
		goto out;
	}
	rc = lseek(fd, 0, SEEK_SET) == 0 ? 0 : KPG_EIO;
	if (rc)
		kpg_err_set(err, "%s: %s", path, strerror(errno));
out:
	EVP_MD_CTX_free(md);
	return rc;
}

int state_load(const char *dir, pipeline *pl, state_ctx *c, kpg_err *err)
{
	char tmp[4096], path[4096];
	unsigned char head[STATE_HEAD_BYTES], end[8];
	uint64_t size = 0;
	uint32_t version;
	rbuf *r = NULL;
	int fd = -1, rc;

	rc = dir_path(tmp, sizeof(tmp), dir, STATE_TMP_FILE, err);
	if (rc == 0)
		rc = dir_path(path, sizeof(path), dir, STATE_FILE, err);
	if (rc)
		return rc;
	if (c->n_models != pl->n_models) {
		kpg_err_set(err, "state_ctx was made for %zu models, the pipeline has %zu",
			    c->n_models, pl->n_models);
		return KPG_EINVAL;
	}
	fresh_all(pl, c);
	/* a crash mid-save leaves the temp file; the last rename is the truth */
	unlink(tmp);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? KPG_ENOTFOUND : KPG_EIO;
		kpg_err_set(err, "%s: %s", path, strerror(errno));
		return rc;
	}
	rc = check_file(fd, path, &size, err);
	if (rc)
		goto out;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		kpg_err_set(err, "out of memory reading the checkpoint");
		rc = KPG_ENOMEM;
		goto out;
	}
	r->fd = fd;
	r->err = err;
	r->left = size;
	r_bytes(r, head, sizeof(head), "header");
	version = (uint32_t)le_get(head + 8, 4);
	if (r->rc == 0 && (version < 1 || version > STATE_VERSION)) {
		kpg_err_set(err, "%s: checkpoint version %" PRIu32 " is not supported (this build reads 1 to %d)",
			    path, version, STATE_VERSION);
		rc = KPG_EINVAL;
		goto out;
	}
	r->version = version;
	c->saved_at_ms = (int64_t)le_get(head + 16, 8);
	r->left = size - STATE_HEAD_BYTES - STATE_TAIL_BYTES;
	rc = read_payload(r, pl, c);
	if (rc == 0) {
		r->left = 8;
		r_bytes(r, end, 8, "end marker");
		if (r->rc == 0 && memcmp(end, STATE_END, 8) != 0)
			r_fail(r, KPG_EINTEGRITY, "end marker");
		rc = r->rc;
	}
	if (rc) {
		char msg[sizeof(err->msg)];

		/* never half-applied */
		snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
		fresh_all(pl, c);
		kpg_err_set(err, "%s: %s", path, msg);
	}
out:
	free(r);
	close(fd);
	return rc;
}
