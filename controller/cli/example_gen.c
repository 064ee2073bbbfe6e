/* example_gen.c - the bundled example world: a churn classifier's six
 * weeks of traffic, written as SageMaker would write it.
 *
 * One MT19937 stream drives everything, in a fixed order: the training set,
 * the hourly traffic counts, then hour by hour each record's time, features,
 * label and label delay. Labels wait in a ring of per-arrival-hour buckets
 * and are written once no later inference can land in their hour. */
#include "example_gen.h"

#include <errno.h>
#include <ftw.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort_uint.h>
#include <math.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpg_time.h"

#define EX_HOUR_MS 3600000LL
#define EX_HOURS (EXAMPLE_DAYS * 24)
#define EX_CAPTURE_DIR "capture/churn-endpoint/AllTraffic"
#define EX_GT_DIR "ground_truth"
#define EX_BASE64_SHARE 0.03
#define EX_MALFORMED_SHARE 0.001
#define EX_LABEL_SHARE 0.8
#define EX_DELAY_MIN_MS (2 * EX_HOUR_MS)
#define EX_DELAY_SPAN_MS (28 * EX_HOUR_MS)
/* Labels of hour h's records arrive in hours h+2..h+30; 32 buckets hold
 * every hour that can still receive one. */
#define EX_RING 32
#define EX_PATH_MAX 4096
#define EX_LINE_MAX 4096
#define EX_N_COLS 20

/* ---- the customers ------------------------------------------------- */

/* Tables laid out by hand, a row per category */
/* clang-format off */
enum { CAT_CONTRACT, CAT_PAYMENT, CAT_INTERNET, CAT_PLAN, CAT_REGION, CAT_OS,
       CAT__N };
enum { PAYMENT_ECHECK = 0 };
enum { REGION_SOUTH = 1 };

typedef struct ex_category {
	size_t n;
	const char *levels[4];
	double p_stable[4], p_drift[4]; /* drift: days 15-42 */
} ex_category;

static const ex_category ex_cats[CAT__N] = {
	[CAT_CONTRACT] = {3, {"month-to-month", "one-year", "two-year"},
			  {0.55, 0.24, 0.21}, {0.55, 0.24, 0.21}},
	/* customers move to card autopay */
	[CAT_PAYMENT] = {4, {"electronic_check", "mailed_check", "bank_transfer",
			     "credit_card"},
			 {0.34, 0.23, 0.22, 0.21}, {0.20, 0.12, 0.26, 0.42}},
	[CAT_INTERNET] = {3, {"fiber_optic", "dsl", "none"},
			  {0.44, 0.34, 0.22}, {0.44, 0.34, 0.22}},
	[CAT_PLAN] = {3, {"basic", "standard", "premium"},
		      {0.35, 0.45, 0.20}, {0.35, 0.45, 0.20}},
	[CAT_REGION] = {4, {"north", "south", "east", "west"},
			{0.27, 0.23, 0.28, 0.22}, {0.27, 0.23, 0.28, 0.22}},
	/* a phone launch moves the device mix */
	[CAT_OS] = {3, {"android", "ios", "other"},
		    {0.55, 0.40, 0.05}, {0.30, 0.60, 0.10}},
};
/* clang-format on */

typedef struct ex_customer {
	size_t cat[CAT__N];
	double tenure, monthly, total, support, day, eve, night, intl;
	double data_gb, devices, age, late, discount, satisfaction;
} ex_customer;

/* The CSV columns in order: a categorical index, or a numeric field and
 * how many decimals it is printed (and rounded) with. */
typedef struct ex_column {
	const char *name;
	int cat;      /* CAT_* or -1 */
	size_t off;   /* numeric: offset of the double in ex_customer */
	int decimals; /* numeric: as drawn by ex_draw_customer */
} ex_column;

/* The columns, a row each (NUM and CAT keep them one line) */
/* clang-format off */
#define NUM(n, f, d) {n, -1, offsetof(ex_customer, f), d}
#define CAT(n, c) {n, c, 0, 0}
static const ex_column ex_cols[EX_N_COLS] = {
	NUM("tenure_months", tenure, 0),     CAT("contract", CAT_CONTRACT),
	NUM("monthly_charges", monthly, 2),  NUM("total_charges", total, 2),
	CAT("payment_method", CAT_PAYMENT),  CAT("internet_service", CAT_INTERNET),
	CAT("plan", CAT_PLAN),               NUM("support_calls", support, 0),
	NUM("day_minutes", day, 1),          NUM("eve_minutes", eve, 1),
	NUM("night_minutes", night, 1),      NUM("intl_minutes", intl, 1),
	NUM("data_gb", data_gb, 2),          NUM("num_devices", devices, 0),
	CAT("device_os", CAT_OS),            NUM("age", age, 0),
	CAT("region", CAT_REGION),           NUM("late_payments", late, 0),
	NUM("discount_pct", discount, 1),    NUM("satisfaction_score", satisfaction, 0),
};
/* clang-format on */
#undef NUM
#undef CAT

static double ex_round(double x, int decimals)
{
	double s = decimals == 2 ? 100.0 : decimals == 1 ? 10.0
							 : 1.0;

	return round(x * s) / s;
}

static double ex_clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi
				    : x;
}

/* Values are rounded as printed, so the model scores what the capture
 * shows. */
static void ex_draw_customer(gsl_rng *r, gsl_ran_discrete_t *const *cats,
			     int phase, ex_customer *c)
{
	static const double tenure_mean[] = {16.0, 34.0, 50.0};
	static const double internet_fee[] = {80.0, 55.0, 25.0};
	static const double plan_fee[] = {-8.0, 0.0, 15.0};
	const int drift = phase != EXAMPLE_STABLE;
	const int harm = phase == EXAMPLE_HARMFUL;

	for (int k = 0; k < CAT__N; k++)
		c->cat[k] = gsl_ran_discrete(r, cats[k]);
	c->tenure = ex_clamp(round(gsl_ran_gamma(r, 2.0,
						 tenure_mean[c->cat[CAT_CONTRACT]] / 2.0)),
			     1.0, 72.0);
	/* harmful phase: a price rise */
	c->monthly = ex_round(ex_clamp(internet_fee[c->cat[CAT_INTERNET]] +
					       plan_fee[c->cat[CAT_PLAN]] + gsl_ran_gaussian(r, 10.0) +
					       (harm ? 9.0 : 0.0),
				       18.0, 130.0),
			      2);
	c->total = ex_round(c->monthly * c->tenure *
				    gsl_ran_flat(r, 0.95, 1.05),
			    2);
	c->support = gsl_ran_poisson(r, harm ? 1.9 : 1.5);
	c->late = gsl_ran_poisson(r,
				  c->cat[CAT_PAYMENT] == PAYMENT_ECHECK ? 0.8 : 0.4);
	c->satisfaction = gsl_ran_binomial(r, 0.7, 9) + 1.0;
	c->discount = gsl_rng_uniform(r) < 0.6 ? 0.0 : ex_round(gsl_ran_flat(r, 5.0, 30.0), 1);
	c->day = ex_round(fmax(0.0, 180.0 + gsl_ran_gaussian(r, 50.0)), 1);
	c->eve = ex_round(fmax(0.0, (drift ? 228.0 : 200.0) +
					    gsl_ran_gaussian(r, 50.0)),
			  1);
	c->night = ex_round(fmax(0.0, (drift ? 172.0 : 200.0) +
					      gsl_ran_gaussian(r, 50.0)),
			    1);
	c->intl = ex_round(fmax(0.0, (drift ? 13.0 : 10.0) +
					     gsl_ran_gaussian(r, 2.8)),
			   1);
	c->data_gb = ex_round(gsl_ran_gamma(r, 2.0, drift ? 6.5 : 4.0), 2);
	c->devices = 1.0 + gsl_ran_poisson(r, drift ? 2.0 : 1.2);
	c->age = ex_clamp(round((drift ? 36.0 : 45.0) +
				gsl_ran_gaussian(r, 14.0)),
			  18.0, 90.0);
}

static const double ex_contract_w[] = {0.9, -0.4, -1.4};

/* The deployed model: the true stable-period logit. */
static double ex_logit_model(const ex_customer *c)
{
	static const double internet_w[] = {0.35, 0.0, -0.3};

	return -1.75 + ex_contract_w[c->cat[CAT_CONTRACT]] -
	       0.035 * (c->tenure - 24.0) + 0.02 * (c->monthly - 65.0) +
	       0.40 * (c->support - 1.5) + 0.35 * c->late -
	       0.30 * (c->satisfaction - 7.3) +
	       internet_w[c->cat[CAT_INTERNET]] +
	       (c->cat[CAT_PAYMENT] == PAYMENT_ECHECK ? 0.45 : 0.0) -
	       0.03 * c->discount + 0.004 * (c->day - 180.0) +
	       0.03 * (c->data_gb - 8.0);
}

/* The world's logit. Until day 32 it is the model's; then a competitor
 * opens in the south with a contract buy-out and a roaming offer, and a
 * retention programme turns support callers into stayers. */
static double ex_logit_true(const ex_customer *c, int phase)
{
	double z = ex_logit_model(c);

	if (phase != EXAMPLE_HARMFUL)
		return z;
	z -= 0.80 * (c->support - 1.5); /* +0.40 becomes -0.40 */
	z += c->cat[CAT_REGION] == REGION_SOUTH ? 1.5 : 0.0;
	z += 0.25 * (c->intl - 13.0);
	z -= 0.7 * (ex_contract_w[c->cat[CAT_CONTRACT]] -
		    0.035 * (c->tenure - 24.0)); /* contracts hold 30 % */
	return z;
}

static double ex_sigmoid(double z)
{
	return 1.0 / (1.0 + exp(-z));
}

/* ---- files ----------------------------------------------------------- */

static int ex_path(char *buf, const char *dir, const char *rel, kpg_err *err)
{
	int n = snprintf(buf, EX_PATH_MAX, "%s/%s", dir, rel);

	if (n < 0 || n >= EX_PATH_MAX) {
		kpg_err_set(err, "%s/%s: path too long", dir, rel);
		return KPG_EINVAL;
	}
	return 0;
}

/* mkdir -p of the folder part of path (everything before the last '/'). */
static int ex_mkdirs(const char *path, kpg_err *err)
{
	char tmp[EX_PATH_MAX];
	char *slash;

	snprintf(tmp, sizeof(tmp), "%s", path);
	slash = strrchr(tmp, '/');
	if (slash == NULL)
		return 0;
	*slash = '\0';
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char save = *p;

		*p = '\0';
		if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
			kpg_err_set(err, "%s: cannot create folder: %s", tmp,
				    strerror(errno));
			return KPG_EIO;
		}
		*p = save;
		if (save == '\0')
			break;
	}
	return 0;
}

static int ex_open(const char *path, FILE **fp, kpg_err *err)
{
	int rc = ex_mkdirs(path, err);

	if (rc)
		return rc;
	*fp = fopen(path, "w");
	if (*fp == NULL) {
		kpg_err_set(err, "%s: cannot create: %s", path, strerror(errno));
		return KPG_EIO;
	}
	return 0;
}

/* Closes fp; any earlier buffered write error surfaces here too. */
static int ex_close(FILE *fp, const char *path, kpg_err *err)
{
	int bad = ferror(fp);
	int saved = errno;

	if (fclose(fp) != 0 || bad) {
		kpg_err_set(err, "%s: write failed: %s", path,
			    strerror(bad ? saved : errno));
		return KPG_EIO;
	}
	return 0;
}

static int ex_write(FILE *fp, const char *s, size_t len, const char *path,
		    kpg_err *err)
{
	if (fwrite(s, 1, len, fp) != len) {
		kpg_err_set(err, "%s: write failed: %s", path, strerror(errno));
		return KPG_EIO;
	}
	return 0;
}

static int ex_write_file(const char *dir, const char *rel, const char *text,
			 kpg_err *err)
{
	char path[EX_PATH_MAX];
	FILE *fp;
	int rc = ex_path(path, dir, rel, err);

	if (rc || (rc = ex_open(path, &fp, err)))
		return rc;
	rc = ex_write(fp, text, strlen(text), path, err);
	if (ex_close(fp, path, rc ? NULL : err) && rc == 0)
		rc = KPG_EIO;
	return rc;
}

/* ---- the generator --------------------------------------------------- */

typedef struct ex_label {
	int64_t arrival_ms;
	uint64_t seq; /* the record's inferenceId number */
	int positive;
} ex_label;

typedef struct ex_bucket {
	ex_label *items; /* owned */
	size_t n, cap;
} ex_bucket;

typedef struct ex_gen {
	const char *dir; /* borrowed */
	gsl_rng *rng;
	gsl_ran_discrete_t *cats[2][CAT__N]; /* [drift][category] */
	int64_t start_ms;
	uint64_t seq;            /* records written so far */
	ex_bucket ring[EX_RING]; /* labels by arrival hour % EX_RING */
	int64_t flushed_hours;   /* buckets of hours < this are written */
	unsigned gt_files;
	example_stats *st;
} ex_gen;

const char *example_phase_name(enum example_phase ph)
{
	switch (ph) {
	case EXAMPLE_STABLE: return "stable";
	case EXAMPLE_COVARIATE: return "covariate_drift";
	case EXAMPLE_HARMFUL: return "harmful_drift";
	default: return "?";
	}
}

int example_phase_of_day(int day)
{
	return day < 14 ? EXAMPLE_STABLE : day < 32 ? EXAMPLE_COVARIATE
						    : EXAMPLE_HARMFUL;
}

/* "YYYY-MM-DDTHH:MM:SS.fffZ" of ms. */
static void ex_iso(int64_t ms, char buf[32])
{
	kpg_time_format_iso8601(ms, buf, 32);
}

/* A version-4 UUID from four 32-bit MT19937 outputs. */
static void ex_uuid(gsl_rng *r, char out[37])
{
	unsigned long a = gsl_rng_get(r), b = gsl_rng_get(r),
		      c = gsl_rng_get(r), d = gsl_rng_get(r);

	snprintf(out, 37, "%08lx-%04lx-4%03lx-%04lx-%04lx%08lx",
		 a & 0xffffffffUL, (b >> 16) & 0xffffUL, b & 0xfffUL,
		 ((c >> 16) & 0x3fffUL) | 0x8000UL, c & 0xffffUL,
		 d & 0xffffffffUL);
}

/* The customer's values as CSV cells (no cell needs quoting). */
static void ex_cells(const ex_customer *c, char cells[EX_N_COLS][32])
{
	for (int i = 0; i < EX_N_COLS; i++) {
		const ex_column *col = &ex_cols[i];

		if (col->cat >= 0) {
			snprintf(cells[i], 32, "%s",
				 ex_cats[col->cat].levels[c->cat[col->cat]]);
		} else {
			double v = *(const double *)(const void *)((const char *)c + col->off);

			snprintf(cells[i], 32, "%.*f", col->decimals, v);
		}
	}
}

static size_t ex_join(char cells[][32], int n, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		int w = snprintf(out + len, cap - len, "%s%s", i ? "," : "",
				 cells[i]);

		if (w < 0 || (size_t)w >= cap - len)
			return 0;
		len += (size_t)w;
	}
	return len;
}

static int ex_train(ex_gen *g, kpg_err *err)
{
	char path[EX_PATH_MAX], cells[EX_N_COLS][32], row[EX_LINE_MAX];
	ex_customer c;
	FILE *fp;
	int rc = ex_path(path, g->dir, "train.csv", err);

	if (rc || (rc = ex_open(path, &fp, err)))
		return rc;
	for (int i = 0; i < EX_N_COLS && rc == 0; i++) {
		if (fprintf(fp, "%s,", ex_cols[i].name) < 0)
			rc = KPG_EIO;
	}
	if (rc == 0 && fputs("churn\n", fp) == EOF)
		rc = KPG_EIO;
	for (int i = 0; i < EXAMPLE_TRAIN_ROWS && rc == 0; i++) {
		size_t len;
		int y;

		ex_draw_customer(g->rng, g->cats[0], EXAMPLE_STABLE, &c);
		y = gsl_rng_uniform(g->rng) <
		    ex_sigmoid(ex_logit_true(&c, EXAMPLE_STABLE));
		ex_cells(&c, cells);
		len = ex_join(cells, EX_N_COLS, row, sizeof(row));
		if (fprintf(fp, "%s,%d\n", row, y) < 0 || len == 0)
			rc = KPG_EIO;
	}
	if (rc)
		kpg_err_set(err, "%s: write failed: %s", path, strerror(errno));
	if (ex_close(fp, path, rc ? NULL : err) && rc == 0)
		rc = KPG_EIO;
	if (rc == 0 && g->st != NULL)
		g->st->train_rows = EXAMPLE_TRAIN_ROWS;
	return rc;
}

static int ex_label_cmp(const void *a, const void *b)
{
	const ex_label *x = a, *y = b;

	if (x->arrival_ms != y->arrival_ms)
		return x->arrival_ms < y->arrival_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int ex_push_label(ex_gen *g, int64_t arrival_ms, uint64_t seq,
			 int positive, kpg_err *err)
{
	int64_t hour = (arrival_ms - g->start_ms) / EX_HOUR_MS;
	ex_bucket *b;

	if (hour < g->flushed_hours || hour >= g->flushed_hours + EX_RING) {
		kpg_err_set(err, "internal error: label hour %lld outside the "
				 "ring",
			    (long long)hour);
		return KPG_EINVAL;
	}
	b = &g->ring[hour % EX_RING];
	if (b->n == b->cap) {
		/* bounded: a bucket holds at most 28 hours of records,
		 * and records are capped at EXAMPLE_MAX_RECORDS */
		size_t ncap = b->cap ? b->cap * 2 : 256;
		ex_label *ni = realloc(b->items, ncap * sizeof(*ni));

		if (ni == NULL) {
			kpg_err_set(err, "out of memory");
			return KPG_ENOMEM;
		}
		b->items = ni;
		b->cap = ncap;
	}
	b->items[b->n++] = (ex_label){arrival_ms, seq, positive};
	return 0;
}

/* Writes the label buckets of every hour before `upto`. */
static int ex_flush_labels(ex_gen *g, int64_t upto, kpg_err *err)
{
	char iso[32], rel[128], path[EX_PATH_MAX];

	for (; g->flushed_hours < upto; g->flushed_hours++) {
		ex_bucket *b = &g->ring[g->flushed_hours % EX_RING];
		FILE *fp;
		int rc;

		if (b->n == 0)
			continue;
		qsort(b->items, b->n, sizeof(*b->items), ex_label_cmp);
		ex_iso(g->start_ms + g->flushed_hours * EX_HOUR_MS, iso);
		g->gt_files++;
		snprintf(rel, sizeof(rel), EX_GT_DIR "/%.4s/%.2s/%.2s/%.2s/"
						     "labels-%04u.jsonl",
			 iso, iso + 5, iso + 8, iso + 11,
			 g->gt_files);
		if ((rc = ex_path(path, g->dir, rel, err)) ||
		    (rc = ex_open(path, &fp, err)))
			return rc;
		for (size_t i = 0; i < b->n && rc == 0; i++) {
			if (fprintf(fp, "{\"groundTruthData\":{\"data\":\"%d\","
					"\"encoding\":\"CSV\"},\"eventMetadata\":"
					"{\"eventId\":\"req-%010llu\"},"
					"\"eventVersion\":\"0\"}\n",
				    b->items[i].positive,
				    (unsigned long long)b->items[i].seq) < 0) {
				kpg_err_set(err, "%s: write failed: %s", path,
					    strerror(errno));
				rc = KPG_EIO;
			}
		}
		if (ex_close(fp, path, rc ? NULL : err) && rc == 0)
			rc = KPG_EIO;
		if (rc)
			return rc;
		b->n = 0;
		if (g->st != NULL)
			g->st->ground_truth_files++;
	}
	return 0;
}

enum ex_malformed {
	MAL_TRUNCATED,
	MAL_NO_EVENT_ID,
	MAL_TEXT_VALUE,
	MAL_NAN,
	MAL_FEATURE_COUNT,
	MAL_BAD_BASE64,
	MAL__N
};

/* A random numeric column, for the malformed-value lines. */
static int ex_random_numeric_col(gsl_rng *r)
{
	int i;

	do
		i = (int)gsl_rng_uniform_int(r, EX_N_COLS);
	while (ex_cols[i].cat >= 0);
	return i;
}

static int ex_base64(const char *in, size_t len, char *out, size_t cap)
{
	if ((len + 2) / 3 * 4 + 1 > cap)
		return -1;
	return EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in,
			       (int)len);
}

/* One capture line for record seq at time t_ms into line; returns its
 * length (without newline) or 0 when it does not fit. mal is MAL__N for a
 * valid line; base64 picks the BASE64 encoding for a valid one. */
static size_t ex_capture_line(ex_gen *g, const ex_customer *c, double score,
			      int64_t t_ms, int mal, int base64, char *line)
{
	char cells[EX_N_COLS + 1][32], csv[EX_LINE_MAX / 2], in[EX_LINE_MAX / 2];
	char out[64], uuid[37], iso[32], meta[256];
	const char *enc = "CSV";
	int ncells = EX_N_COLS, n;
	size_t len;

	ex_cells(c, cells);
	if (mal == MAL_TEXT_VALUE)
		snprintf(cells[ex_random_numeric_col(g->rng)], 32, "unknown");
	if (mal == MAL_NAN)
		snprintf(cells[ex_random_numeric_col(g->rng)], 32, "NaN");
	if (mal == MAL_FEATURE_COUNT) {
		if (gsl_rng_uniform(g->rng) < 0.5)
			ncells--; /* a client that dropped a column */
		else
			memcpy(cells[ncells++], cells[EX_N_COLS - 1], 32);
	}
	len = ex_join(cells, ncells, csv, sizeof(csv));
	if (len == 0)
		return 0;
	snprintf(out, sizeof(out), "%.8f", score);
	if (base64 || mal == MAL_BAD_BASE64) {
		char out64[64];

		if (ex_base64(csv, len, in, sizeof(in)) < 0 ||
		    ex_base64(out, strlen(out), out64, sizeof(out64)) < 0)
			return 0;
		snprintf(out, sizeof(out), "%s", out64);
		if (mal == MAL_BAD_BASE64) {
			in[5] = '*'; /* not in the base64 alphabet */
			in[11] = '#';
		}
		enc = "BASE64";
	} else {
		memcpy(in, csv, len + 1);
	}
	ex_uuid(g->rng, uuid);
	ex_iso(t_ms, iso);
	iso[19] = 'Z'; /* SageMaker prints whole seconds */
	iso[20] = '\0';
	if (mal == MAL_NO_EVENT_ID)
		snprintf(meta, sizeof(meta), "\"inferenceId\":\"req-%010llu\","
					     "\"inferenceTime\":\"%s\"",
			 (unsigned long long)g->seq, iso);
	else
		snprintf(meta, sizeof(meta), "\"eventId\":\"%s\",\"inferenceId\":"
					     "\"req-%010llu\",\"inferenceTime\":\"%s\"",
			 uuid,
			 (unsigned long long)g->seq, iso);
	n = snprintf(line, EX_LINE_MAX,
		     "{\"captureData\":{\"endpointInput\":{\"observedContentType\":"
		     "\"text/csv\",\"mode\":\"INPUT\",\"data\":\"%s\",\"encoding\":"
		     "\"%s\"},\"endpointOutput\":{\"observedContentType\":"
		     "\"text/csv; charset=utf-8\",\"mode\":\"OUTPUT\",\"data\":"
		     "\"%s\",\"encoding\":\"%s\"}},\"eventMetadata\":{%s},"
		     "\"eventVersion\":\"0\"}",
		     in, enc, out, enc, meta);
	if (n < 0 || n >= EX_LINE_MAX)
		return 0;
	len = (size_t)n;
	if (mal == MAL_TRUNCATED) /* a partial write: cut mid-record */
		len = len / 4 + gsl_rng_uniform_int(g->rng, len / 2);
	return len;
}

/* Writes hour h's n records (times offs, sorted) to one capture file. */
static int ex_hour(ex_gen *g, int64_t h, const unsigned *offs, size_t n,
		   kpg_err *err)
{
	char iso[32], uuid[37], rel[192], path[EX_PATH_MAX];
	char line[EX_LINE_MAX + 1];
	const int phase = example_phase_of_day((int)(h / 24));
	example_phase_stats *ps = g->st ? &g->st->phase[phase] : NULL;
	FILE *fp;
	int rc;

	ex_iso(g->start_ms + h * EX_HOUR_MS + offs[0], iso);
	ex_uuid(g->rng, uuid);
	/* SageMaker's key: .../yyyy/mm/dd/hh/MM-SS-mmm-uuid.jsonl */
	snprintf(rel, sizeof(rel), EX_CAPTURE_DIR "/%.4s/%.2s/%.2s/%.2s/"
						  "%.2s-%.2s-%.3s-%s.jsonl",
		 iso, iso + 5, iso + 8, iso + 11,
		 iso + 14, iso + 17, iso + 20, uuid);
	if ((rc = ex_path(path, g->dir, rel, err)) ||
	    (rc = ex_open(path, &fp, err)))
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const int64_t t_ms = g->start_ms + h * EX_HOUR_MS + offs[i];
		ex_customer c;
		double u, score;
		int positive, mal = MAL__N, base64 = 0;
		size_t len;

		g->seq++;
		ex_draw_customer(g->rng, g->cats[phase != EXAMPLE_STABLE],
				 phase, &c);
		score = ex_sigmoid(ex_logit_model(&c));
		positive = gsl_rng_uniform(g->rng) <
			   ex_sigmoid(ex_logit_true(&c, phase));
		u = gsl_rng_uniform(g->rng);
		if (u < EX_MALFORMED_SHARE)
			mal = (int)gsl_rng_uniform_int(g->rng, MAL__N);
		else if (u < EX_MALFORMED_SHARE + EX_BASE64_SHARE)
			base64 = 1;
		len = ex_capture_line(g, &c, score, t_ms, mal, base64, line);
		if (len == 0) {
			kpg_err_set(err, "internal error: capture line too long");
			rc = KPG_EINVAL;
			break;
		}
		line[len] = '\n';
		rc = ex_write(fp, line, len + 1, path, err);
		if (ps != NULL) {
			ps->records++;
			ps->malformed += mal != MAL__N;
			ps->base64 += base64;
		}
		if (rc || mal != MAL__N ||
		    gsl_rng_uniform(g->rng) >= EX_LABEL_SHARE)
			continue;
		rc = ex_push_label(g, t_ms + EX_DELAY_MIN_MS + (int64_t)(gsl_rng_uniform(g->rng) * EX_DELAY_SPAN_MS),
				   g->seq, positive, err);
		if (ps != NULL) {
			ps->labelled++;
			ps->positives += (uint64_t)positive;
		}
	}
	if (ex_close(fp, path, rc ? NULL : err) && rc == 0)
		rc = KPG_EIO;
	if (rc == 0 && g->st != NULL)
		g->st->capture_files++;
	return rc;
}

/* Traffic weight of an hour: a daily cycle peaking mid-afternoon UTC,
 * 15 % quieter at weekends (day 0 is Monday 2026-01-05). */
static double ex_hour_weight(int64_t h)
{
	const double hod = (double)(h % 24);
	const int dow = (int)((h / 24) % 7);

	return (1.0 + 0.6 * sin(2.0 * M_PI * (hod - 9.0) / 24.0)) *
	       (dow >= 5 ? 0.85 : 1.0);
}

static const char ex_policy_json[] =
	"{\n"
	"  \"model\": \"churn-xgb\",\n"
	"  \"endpoint\": \"churn-endpoint\",\n"
	"  \"reference\": {\"path\": \"train.csv\", \"label_column\": \"churn\"},\n"
	"  \"features\": {\"contract\": \"categorical\", \"payment_method\": "
	"\"categorical\", \"internet_service\": \"categorical\", \"region\": "
	"\"categorical\", \"plan\": \"categorical\", \"device_os\": "
	"\"categorical\"},\n"
	"  \"prediction\": {\"task\": \"binary_classification\", "
	"\"score_field\": \"score\", \"threshold\": 0.5},\n"
	"  \"window\": {\"span_seconds\": 86400, \"label_wait_seconds\": 129600},\n"
	"  \"drift\": {\"psi_bins\": 10, \"psi_threshold\": 0.2, "
	"\"ks_p_value\": 0.01, \"ks_min_statistic\": 0.1, "
	"\"dataset_drift_share\": 0.3},\n"
	"  \"kpis\": [{\"metric\": \"auc\", \"min\": 0.75}],\n"
	"  \"decision\": {\"require_drift\": false},\n"
	"  \"guards\": {\"min_records\": 500, \"min_labelled\": 200, "
	"\"consecutive_windows\": 2, \"cooldown_seconds\": 1209600, "
	"\"max_retrains\": 2, \"budget_period_seconds\": 2592000},\n"
	"  \"action\": {\"type\": \"dry_run\", \"pipeline_name\": "
	"\"churn-retrain\", \"parameters\": {\"ModelName\": \"{model}\", "
	"\"Window\": \"{window}\"}},\n"
	"  \"energy\": {\"instance_type\": \"ml.m5.xlarge\", "
	"\"instance_count\": 1, \"expected_hours\": 1.5, "
	"\"region\": \"us-east-1\"}\n"
	"}\n";

static int ex_readme(const char *dir, unsigned long seed, uint64_t records,
		     kpg_err *err)
{
	char text[3072];

	snprintf(text, sizeof(text),
		 "kpigate example world (seed %lu, %llu capture records)\n"
		 "\n"
		 "A churn classifier (endpoint churn-endpoint, model churn-xgb)\n"
		 "observed for six weeks from 2026-01-05:\n"
		 "  days  1-14  stable\n"
		 "  days 15-32  covariate drift: device mix, usage, payment mix and\n"
		 "              age move; the model's AUC does not\n"
		 "  days 33-42  harmful drift: the churn drivers change and AUC\n"
		 "              falls below the policy's 0.75\n"
		 "\n"
		 "Files\n"
		 "  train.csv      the training set (5000 rows of the stable period,\n"
		 "                 20 features and the label column churn)\n"
		 "  policy.json    the retraining policy kpigate applies\n"
		 "  capture/churn-endpoint/AllTraffic/yyyy/mm/dd/hh/*.jsonl\n"
		 "                 SageMaker data capture, one file per hour; about\n"
		 "                 3 %% of lines are BASE64-encoded and about 0.1 %%\n"
		 "                 are malformed on purpose\n"
		 "  ground_truth/yyyy/mm/dd/hh/labels-N.jsonl\n"
		 "                 SageMaker ground-truth labels in the hour they\n"
		 "                 arrived (2-30 h after the inference, for about\n"
		 "                 80 %% of the records), keyed by inferenceId\n"
		 "\n"
		 "Check the policy, replay, and read the audit trail (from this folder):\n"
		 "  kpigate policy check policy.json\n"
		 "  kpigate replay --policy policy.json --capture capture "
		 "--ground-truth ground_truth --audit audit.jsonl\n"
		 "  kpigate audit summary audit.jsonl\n"
		 "\n"
		 "Each day is a window. Its drift is measured when the day ends; its\n"
		 "AUC is that of the day's own predictions, so the day is decided\n"
		 "once their labels have had 36 hours to arrive\n"
		 "(window.label_wait_seconds). The last days of the input are still\n"
		 "waiting for labels and are listed as pending.\n"
		 "Expected: days 15-32 are held (drift without a KPI breach),\n"
		 "the second breaching day of the harmful phase retrains once, and\n"
		 "later days are held (two breaches in a row are needed again, and\n"
		 "the 14-day cooldown has not ended).\n"
		 "See docs/example.md in the kpigate sources.\n",
		 seed, (unsigned long long)records);
	return ex_write_file(dir, "README.txt", text, err);
}

int example_generate(const char *dir, unsigned long seed, uint64_t records,
		     example_stats *st, kpg_err *err)
{
	ex_gen g;
	double *weights = NULL;
	unsigned *counts = NULL, *offs = NULL, max_count = 0;
	int rc = 0;

	if (records < EXAMPLE_MIN_RECORDS || records > EXAMPLE_MAX_RECORDS) {
		kpg_err_set(err, "records must be in %llu..%llu, not %llu",
			    EXAMPLE_MIN_RECORDS, EXAMPLE_MAX_RECORDS,
			    (unsigned long long)records);
		return KPG_EINVAL;
	}
	memset(&g, 0, sizeof(g));
	if (st != NULL)
		memset(st, 0, sizeof(*st));
	g.dir = dir;
	g.st = st;
	g.start_ms = kpg_time_days_from_civil(2026, 1, 5) * 86400000LL;
	g.rng = gsl_rng_alloc(gsl_rng_mt19937);
	weights = malloc(EX_HOURS * sizeof(*weights));
	counts = malloc(EX_HOURS * sizeof(*counts));
	if (g.rng == NULL || weights == NULL || counts == NULL) {
		kpg_err_set(err, "out of memory");
		rc = KPG_ENOMEM;
		goto out;
	}
	gsl_rng_set(g.rng, seed);
	for (int d = 0; d < 2; d++) {
		for (int k = 0; k < CAT__N; k++) {
			g.cats[d][k] = gsl_ran_discrete_preproc(ex_cats[k].n,
								d ? ex_cats[k].p_drift : ex_cats[k].p_stable);
			if (g.cats[d][k] == NULL) {
				kpg_err_set(err, "out of memory");
				rc = KPG_ENOMEM;
				goto out;
			}
		}
	}

	if ((rc = ex_write_file(dir, "policy.json", ex_policy_json, err)) ||
	    (rc = ex_readme(dir, seed, records, err)) ||
	    (rc = ex_train(&g, err)))
		goto out;

	for (int64_t h = 0; h < EX_HOURS; h++)
		weights[h] = ex_hour_weight(h);
	gsl_ran_multinomial(g.rng, EX_HOURS, (unsigned)records, weights, counts);
	for (int64_t h = 0; h < EX_HOURS; h++)
		max_count = counts[h] > max_count ? counts[h] : max_count;
	offs = malloc(((size_t)max_count + 1) * sizeof(*offs));
	if (offs == NULL) {
		kpg_err_set(err, "out of memory");
		rc = KPG_ENOMEM;
		goto out;
	}
	for (int64_t h = 0; h < EX_HOURS; h++) {
		for (unsigned i = 0; i < counts[h]; i++)
			offs[i] = (unsigned)gsl_rng_uniform_int(g.rng,
								EX_HOUR_MS);
		gsl_sort_uint(offs, 1, counts[h]);
		if (counts[h] > 0 && (rc = ex_hour(&g, h, offs, counts[h], err)))
			goto out;
		/* hour h+1's records arrive from hour h+3 on */
		if ((rc = ex_flush_labels(&g, h + 3, err)))
			goto out;
	}
	rc = ex_flush_labels(&g, g.flushed_hours + EX_RING, err);
out:
	for (int i = 0; i < EX_RING; i++)
		free(g.ring[i].items);
	for (int d = 0; d < 2; d++)
		for (int k = 0; k < CAT__N; k++)
			if (g.cats[d][k] != NULL)
				gsl_ran_discrete_free(g.cats[d][k]);
	if (g.rng != NULL)
		gsl_rng_free(g.rng);
	free(weights);
	free(counts);
	free(offs);
	return rc;
}

/* ---- --force: remove an earlier world -------------------------------- */

/* nftw passes no user data: the first failure is kept here. */
static int ex_rm_errno;
static char ex_rm_path[EX_PATH_MAX];

static int ex_rm_entry(const char *path, const struct stat *sb, int flag,
		       struct FTW *ftw)
{
	const size_t len = strlen(path);
	int r = 0;

	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		r = rmdir(path) != 0 && errno != ENOTEMPTY && errno != EEXIST;
	else if (flag == FTW_F && len > 6 && strcmp(path + len - 6, ".jsonl") == 0)
		r = unlink(path) != 0;
	if (r && ex_rm_errno == 0) {
		ex_rm_errno = errno;
		snprintf(ex_rm_path, sizeof(ex_rm_path), "%s", path);
	}
	return 0;
}

int example_remove_previous(const char *dir, kpg_err *err)
{
	static const char *const trees[] = {EX_CAPTURE_DIR, EX_GT_DIR};
	static const char *const files[] = {"train.csv", "policy.json",
					    "README.txt"};
	static const char *const dirs[] = {"capture/churn-endpoint", "capture"};
	char path[EX_PATH_MAX];
	struct stat sb;
	int rc;

	ex_rm_errno = 0;
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		if ((rc = ex_path(path, dir, trees[i], err)))
			return rc;
		if (lstat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
			continue;
		if (nftw(path, ex_rm_entry, 32, FTW_DEPTH | FTW_PHYS) != 0 &&
		    ex_rm_errno == 0) {
			ex_rm_errno = errno;
			snprintf(ex_rm_path, sizeof(ex_rm_path), "%s", path);
		}
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((rc = ex_path(path, dir, files[i], err)))
			return rc;
		if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (unlink(path) != 0 && ex_rm_errno == 0) {
			ex_rm_errno = errno;
			snprintf(ex_rm_path, sizeof(ex_rm_path), "%s", path);
		}
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if ((rc = ex_path(path, dir, dirs[i], err)))
			return rc;
		if (lstat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
			continue;
		/* kept when it holds anything else */
		if (rmdir(path) != 0 && errno != ENOTEMPTY && errno != EEXIST &&
		    ex_rm_errno == 0) {
			ex_rm_errno = errno;
			snprintf(ex_rm_path, sizeof(ex_rm_path), "%s", path);
		}
	}
	if (ex_rm_errno != 0) {
		kpg_err_set(err, "%s: cannot remove: %s", ex_rm_path,
			    strerror(ex_rm_errno));
		return KPG_EIO;
	}
	return 0;
}
