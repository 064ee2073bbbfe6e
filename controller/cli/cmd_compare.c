/* cmd_compare.c - `kpigate compare`: per-feature drift between two CSV
 * files, with the same detectors and thresholds a policy would use. */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_names.h"
#include "commands.h"
#include "correction.h"
#include "csv_columns.h"
#include "csv_reader.h"
#include "evaluate.h"
#include "events.h"
#include "policy.h"
#include "policy_keys.h"
#include "reference.h"
#include "window.h"

static const char compare_usage[] =
	"usage: kpigate compare --reference A --current B.csv [--bins N]\n"
	"                       [--label COLUMN] [--exclude COL[,COL...]]\n"
	"                       [--categorical COL[,COL...]] [--features COL[,COL...]]\n"
	"                       [--detectors D[,D...]] [--binning quantile|evidently]\n"
	"                       [--correction none|bonferroni|benjamini_hochberg]\n"
	"                       [--psi-threshold X] [--ks-p-value X]\n"
	"                       [--ks-min-statistic X] [--chi2-p-value X]\n"
	"                       [--chi2-min-cramers-v X] [--js-threshold X]\n"
	"                       [--wasserstein-threshold X] [--hellinger-threshold X]\n"
	"                       [--min-values-per-bin N] [--max-noise-alarm P] [--json]\n"
	"\n"
	"Per-feature drift of B (a CSV with a header row) against A: a training CSV,\n"
	"a SageMaker Model Monitor statistics.json (its KLL sketches; KS and\n"
	"Wasserstein then carry the sketch's rank error) or a reference compiled by\n"
	"`kpigate baseline build`. Columns are matched by name. Every column of A\n"
	"but the label is a feature, unless\n"
	"--features names the only ones to compare or --exclude drops some; a\n"
	"column is numeric when every cell of A is a number, else categorical, or\n"
	"categorical when --categorical names it. The list options may be repeated.\n"
	"Every column they name must be in A, and every feature in B: all missing\n"
	"ones are named at once, with the nearest column when one is a likely typo.\n"
	"\n"
	"--detectors picks them by the names policies use: psi, ks, chi2, js,\n"
	"wasserstein, hellinger, or auto (tests up to an effective sample size of\n"
	"1000, distances above). Each feature gets those that fit its type (ks and\n"
	"wasserstein numeric, chi2 categorical). Default: psi and ks for numeric\n"
	"columns (PSI over %u quantile bins of A), psi for categorical ones (A's\n"
	"categories plus one 'unseen' bin). Empty and NA cells are counted as\n"
	"missing and never enter the statistics.\n"
	"\n"
	"A feature drifts when any of its detectors says so: a distance at or\n"
	"above its threshold (psi %g, js %g, wasserstein %g, hellinger %g), or a\n"
	"test whose p-value, after --correction, is below its threshold (ks %g,\n"
	"chi2 %g) with an effect of at least its floor (KS statistic %g, Cramer's\n"
	"V %g). Binned detectors judge only with %u values per bin or more, and\n"
	"when a window this size without drift reaches their threshold at most\n"
	"%g of the time.\n"
	"These are the defaults of a policy's drift keys (docs/detectors.md).\n"
	"\n"
	"Exit codes: 0 no feature drifted; 1 at least one drifted; 2 trouble: a\n"
	"usage error, a file that cannot be read, a missing column, text in a\n"
	"numeric column.\n";

typedef struct compare_args {
	const char *ref, *cur, *label;
	cli_names exclude, categorical, features;
	const char *detectors; /* --detectors as given; NULL: the defaults */
	int json;
	policy judge; /* the drift.* keys a policy would hold (no file) */
} compare_args;

/* A drift.* key's default into *out (policy_keys.c). */
static double key_default(const char *key)
{
	double v = 0;

	policy_key_default(key, &v);
	return v;
}

/* The defaults of a policy's drift.* keys. */
static void compare_defaults(compare_args *a)
{
	policy *p = &a->judge;

	p->psi_bins = (unsigned)key_default("drift.psi_bins");
	p->psi_threshold = key_default("drift.psi_threshold");
	p->ks_p_value = key_default("drift.ks_p_value");
	p->ks_min_statistic = key_default("drift.ks_min_statistic");
	p->chi2_p_value = key_default("drift.chi2_p_value");
	p->chi2_min_cramers_v = key_default("drift.chi2_min_cramers_v");
	p->js_threshold = key_default("drift.js_threshold");
	p->wasserstein_threshold = key_default("drift.wasserstein_threshold");
	p->hellinger_threshold = key_default("drift.hellinger_threshold");
	p->min_values_per_bin = (unsigned)key_default("drift.min_values_per_bin");
	p->max_noise_alarm = key_default("drift.max_noise_alarm");
	p->auto_sample_size = (unsigned)key_default("drift.auto_sample_size");
	p->dataset_drift_share = 1.0;
}

static void usage(FILE *out)
{
	compare_args d = {0};
	const policy *p = &d.judge;

	compare_defaults(&d);
	fprintf(out, compare_usage, p->psi_bins, p->psi_threshold,
		p->js_threshold, p->wasserstein_threshold, p->hellinger_threshold,
		p->ks_p_value, p->chi2_p_value, p->ks_min_statistic,
		p->chi2_min_cramers_v, p->min_values_per_bin, p->max_noise_alarm);
}

/* --detectors into the judge's per-type plans (after every threshold
 * option, so the plans carry them). Returns 0, or -1 for an unknown
 * name, a name twice or "auto" with others (message printed). */
static int detectors_plans(const char *list, policy *p)
{
	const char *names[DRIFT__COUNT + 1];
	char buf[256];
	char *save = NULL, *tok;
	size_t n = 0;
	kpg_err err = {""};

	policy_drift_defaults(p);
	if (list == NULL)
		return 0;
	if (strlen(list) >= sizeof(buf))
		goto bad;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == DRIFT__COUNT + 1)
			goto bad;
		names[n++] = tok;
	}
	if (policy_drift_plan_from_names(p, names, n, POLICY_FEATURE_NUMERIC,
					 &p->drift_numeric, &err) != 0 ||
	    policy_drift_plan_from_names(p, names, n, POLICY_FEATURE_CATEGORICAL,
					 &p->drift_categorical, &err) != 0) {
		fprintf(stderr, "kpigate compare: --detectors: %s\n", err.msg);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "kpigate compare: --detectors: at most %d names, comma-separated\n",
		DRIFT__COUNT);
	return -1;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, compare_args *a)
{
	static const struct option opts[] = {
		{"reference", required_argument, NULL, 'r'},
		{"current", required_argument, NULL, 'c'},
		{"bins", required_argument, NULL, 'b'},
		{"label", required_argument, NULL, 'l'},
		{"exclude", required_argument, NULL, 'x'},
		{"categorical", required_argument, NULL, 'C'},
		{"features", required_argument, NULL, 'f'},
		{"psi-threshold", required_argument, NULL, 'P'},
		{"ks-p-value", required_argument, NULL, 'K'},
		{"ks-min-statistic", required_argument, NULL, 'S'},
		{"chi2-p-value", required_argument, NULL, '2'},
		{"chi2-min-cramers-v", required_argument, NULL, 'V'},
		{"js-threshold", required_argument, NULL, 'J'},
		{"wasserstein-threshold", required_argument, NULL, 'W'},
		{"hellinger-threshold", required_argument, NULL, 'H'},
		{"min-values-per-bin", required_argument, NULL, 'M'},
		{"max-noise-alarm", required_argument, NULL, 'N'},
		{"binning", required_argument, NULL, 'B'},
		{"correction", required_argument, NULL, 'X'},
		{"detectors", required_argument, NULL, 'D'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	double v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': a->ref = optarg; break;
		case 'c': a->cur = optarg; break;
		case 'l': a->label = optarg; break;
		case 'x':
		case 'C':
		case 'f': {
			cli_names *cols = c == 'x' ? &a->exclude : c == 'C' ? &a->categorical
									    : &a->features;
			int rc = cli_names_add(cols, optarg);

			if (rc == KPG_ENOMEM) {
				fputs("kpigate compare: out of memory\n", stderr);
				return KPG_EXIT_TROUBLE;
			}
			if (rc)
				goto bad_value;
			break;
		}
		case 'j': a->json = 1; break;
		case 'b':
			if (parse_double(optarg, 2, PSI_MAX_BINS, &v) || v != floor(v))
				goto bad_value;
			a->judge.psi_bins = (unsigned)v;
			break;
		case 'M':
			if (parse_double(optarg, 0, 1000, &v) || v != floor(v))
				goto bad_value;
			a->judge.min_values_per_bin = (unsigned)v;
			break;
		case 'N':
			if (parse_double(optarg, 1e-300, 1, &a->judge.max_noise_alarm))
				goto bad_value;
			break;
		case 'P':
			if (parse_double(optarg, 1e-9, 1e9, &a->judge.psi_threshold))
				goto bad_value;
			break;
		case 'K':
			if (parse_double(optarg, 1e-300, 1, &a->judge.ks_p_value))
				goto bad_value;
			break;
		case 'S':
			if (parse_double(optarg, 0, 1, &a->judge.ks_min_statistic))
				goto bad_value;
			break;
		case '2':
			if (parse_double(optarg, 1e-300, 1, &a->judge.chi2_p_value))
				goto bad_value;
			break;
		case 'V':
			if (parse_double(optarg, 0, 1, &a->judge.chi2_min_cramers_v))
				goto bad_value;
			break;
		case 'J':
			if (parse_double(optarg, 1e-9, 1, &a->judge.js_threshold))
				goto bad_value;
			break;
		case 'W':
			if (parse_double(optarg, 1e-9, 1000, &a->judge.wasserstein_threshold))
				goto bad_value;
			break;
		case 'H':
			if (parse_double(optarg, 1e-9, 1, &a->judge.hellinger_threshold))
				goto bad_value;
			break;
		case 'B':
			if (strcmp(optarg, "quantile") == 0)
				a->judge.psi_binning = DRIFT_BINS_QUANTILE;
			else if (strcmp(optarg, "evidently") == 0)
				a->judge.psi_binning = DRIFT_BINS_EVIDENTLY;
			else
				goto bad_value;
			break;
		case 'X': {
			int m = -1;

			for (int i = 0; correction_method_names[i] != NULL; i++)
				if (strcmp(optarg, correction_method_names[i]) == 0)
					m = i;
			if (m < 0)
				goto bad_value;
			a->judge.correction = m;
			break;
		}
		case 'D': a->detectors = optarg; break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return KPG_EXIT_USAGE;
		}
	}
	if (optind < argc || a->ref == NULL || a->cur == NULL) {
		fputs("kpigate compare: --reference and --current are required\n",
		      stderr);
		usage(stderr);
		return KPG_EXIT_USAGE;
	}
	if (detectors_plans(a->detectors, &a->judge) != 0)
		return KPG_EXIT_USAGE;
	for (size_t i = 0; i < a->exclude.n; i++)
		if (cli_names_has(&a->features, a->exclude.v[i]) ||
		    cli_names_has(&a->categorical, a->exclude.v[i]) ||
		    (a->label && strcmp(a->label, a->exclude.v[i]) == 0)) {
			fprintf(stderr, "kpigate compare: column '%s' is excluded and "
					"also named by --features, --categorical or --label\n",
				a->exclude.v[i]);
			return KPG_EXIT_USAGE;
		}
	for (size_t i = 0; i < a->categorical.n; i++)
		if ((a->features.n && !cli_names_has(&a->features, a->categorical.v[i])) ||
		    (a->label && strcmp(a->label, a->categorical.v[i]) == 0)) {
			fprintf(stderr, "kpigate compare: --categorical column '%s' is %s\n",
				a->categorical.v[i],
				a->features.n ? "not one of --features" : "the label");
			return KPG_EXIT_USAGE;
		}
	return 0;
bad_value:
	fprintf(stderr, "kpigate compare: bad option value '%s' (see --help for ranges)\n",
		optarg);
	return KPG_EXIT_USAGE;
}

/* Current values, column-wise, in reference feature order. */
typedef struct compare_cur {
	double **values;
	size_t *n, *cap;
	double **counts;
	unseen_tally *unseen; /* categorical: the new names */
	uint64_t *missing;
	int *col_of; /* reference feature -> column in the current file */
} compare_cur;

static int cur_push(compare_cur *cc, size_t f, double v)
{
	if (cc->n[f] == cc->cap[f]) {
		size_t ncap = cc->cap[f] ? cc->cap[f] * 2 : 1024;
		double *nv = realloc(cc->values[f], ncap * sizeof(*nv));

		if (nv == NULL)
			return KPG_ENOMEM;
		cc->values[f] = nv;
		cc->cap[f] = ncap;
	}
	cc->values[f][cc->n[f]++] = v;
	return 0;
}

static int read_current(const char *path, const reference *ref, compare_cur *cc,
			kpg_err *err)
{
	csv_reader cr;
	int rc = csv_open(&cr, path, 0, err);

	if (rc)
		return rc;
	rc = csv_next(&cr, err);
	if (rc) {
		if (rc == 1)
			kpg_err_set(err, "%s: empty file, expected a header row", path);
		rc = KPG_EPARSE;
		goto out;
	}
	{
		csv_header h = {.names = cr.fields, .n = cr.n_fields}; /* borrowed */
		char missing[sizeof(err->msg)] = "";
		size_t n_missing = 0;

		for (size_t f = 0; f < ref->n_features; f++) {
			const char *name = ref->features[f].name;

			cc->col_of[f] = csv_header_find(&h, name);
			if (cc->col_of[f] < 0)
				n_missing += csv_header_list_missing(&h, &name, 1, missing,
								     sizeof(missing));
		}
		if (n_missing > 0) {
			kpg_err_set(err, "%s: %zu column%s of the reference %s missing: %s",
				    path, n_missing, n_missing == 1 ? "" : "s",
				    n_missing == 1 ? "is" : "are", missing);
			rc = KPG_EINVAL;
			goto out;
		}
	}
	while ((rc = csv_next(&cr, err)) == 0) {
		for (size_t f = 0; f < ref->n_features; f++) {
			const reference_feature *rf = &ref->features[f];
			const char *cell;
			double v;

			if ((size_t)cc->col_of[f] >= cr.n_fields) {
				kpg_err_set(err, "%s:%llu: %zu fields, fewer than the header",
					    path, (unsigned long long)cr.line_no, cr.n_fields);
				rc = KPG_EPARSE;
				goto out;
			}
			cell = cr.fields[cc->col_of[f]];
			if (csv_is_missing(cell)) {
				cc->missing[f]++;
			} else if (rf->type == POLICY_FEATURE_CATEGORICAL) {
				uint32_t code = reference_category_code(rf, cell, strlen(cell));

				cc->counts[f][code] += 1;
				if (code == rf->n_categories &&
				    unseen_add(&cc->unseen[f], cell, strlen(cell)) != 0) {
					kpg_err_set(err, "out of memory");
					rc = KPG_ENOMEM;
					goto out;
				}
			} else if (csv_parse_number(cell, &v) == 0 && isfinite(v)) {
				if (cur_push(cc, f, v)) {
					kpg_err_set(err, "out of memory");
					rc = KPG_ENOMEM;
					goto out;
				}
			} else {
				kpg_err_set(err, "%s:%llu: column '%s' is numeric in the reference but has '%s'",
					    path, (unsigned long long)cr.line_no, rf->name, cell);
				rc = KPG_EINVAL;
				goto out;
			}
		}
	}
	rc = rc < 0 ? rc : 0;
out:
	csv_close(&cr);
	return rc;
}

/* One detector's verdict for the text table. */
static const char *verdict(const drift_result *r)
{
	if (r->skip == DRIFT_SKIP_FEW_VALUES)
		return "not judged (few values)";
	if (r->skip == DRIFT_SKIP_NOISE)
		return "not judged (noise)";
	return r->drifted ? "drift" : "ok";
}

static void print_text(const policy_window_eval *ev)
{
	printf("%-24s %-11s %8s  %-11s %10s %10s %10s  %s\n", "feature", "type",
	       "n", "detector", "value", "p", "threshold", "verdict");
	for (size_t i = 0; i < ev->n_features; i++) {
		const policy_feature_eval *f = &ev->features[i];

		printf("%-24s %-11s %8zu", f->name,
		       f->type == POLICY_FEATURE_NUMERIC ? "numeric" : "categorical",
		       f->n);
		if (f->n_results == 0)
			printf("  %-11s\n", f->n == 0 ? "(no values)" : "(none)");
		for (size_t j = 0; j < f->n_results; j++) {
			const drift_result *r = &f->results[j];
			char p[16] = "-";

			if (drift_detector_is_test(r->kind))
				snprintf(p, sizeof(p), "%.3g", r->p_adjusted);
			printf("%s  %-11s %10.4f %10s %10g  %s\n",
			       j == 0 ? "" : "                                             ",
			       drift_detector_name(r->kind), r->value, p, r->threshold,
			       verdict(r));
		}
		if (f->type == POLICY_FEATURE_CATEGORICAL && (f->unseen || f->vanished))
			printf("%-45s  categories: %llu value(s) unseen in the reference, %llu expected one(s) vanished\n",
			       "", (unsigned long long)f->unseen,
			       (unsigned long long)f->vanished);
	}
	printf("\n%zu of %zu features drifted\n", ev->n_drifted, ev->n_features);
}

static void print_json(const policy *judge, const policy_window_eval *ev,
		       const reference *ref, const compare_cur *cc)
{
	json_t *feats = json_array(), *o;

	for (size_t i = 0; i < ev->n_features; i++) {
		const policy_feature_eval *f = &ev->features[i];
		json_t *fo = json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:b, s:o}",
				       "name", f->name,
				       "type", f->type == POLICY_FEATURE_NUMERIC ? "numeric" : "categorical",
				       "n", (json_int_t)f->n, "missing", (json_int_t)f->missing,
				       "psi", f->has_psi && isfinite(f->psi) ? json_real(f->psi) : json_null(),
				       "ks_statistic", f->has_ks ? json_real(f->ks_statistic) : json_null(),
				       "ks_p_value", f->has_ks ? json_real(f->ks_p_value) : json_null(),
				       "drifted", f->drifted, "detectors", events_detectors(f));

		if (fo != NULL && f->type == POLICY_FEATURE_CATEGORICAL) {
			window_column col = {.counts = cc->counts[i], .unseen = cc->unseen[i]};

			json_object_set_new(fo, "unseen", json_integer((json_int_t)f->unseen));
			json_object_set_new(fo, "vanished", json_integer((json_int_t)f->vanished));
			json_object_set_new(fo, "categories",
					    events_categories(&ref->features[i], &col));
		}
		json_array_append_new(feats, fo);
	}
	o = json_pack("{s:o, s:I, s:f, s:s}", "features", feats, "drifted",
		      (json_int_t)ev->n_drifted, "drifted_share", ev->drifted_share,
		      "correction", correction_method_names[judge->correction]);
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
	fputc('\n', stdout);
	json_decref(o);
}

/* Prints the columns of one option that the reference lacks; returns
 * how many. */
static size_t report_missing(const char *path, const csv_header *h,
			     const char *option, const char *const *names,
			     size_t n)
{
	char missing[2048] = "";
	size_t n_missing = csv_header_list_missing(h, names, n, missing,
						   sizeof(missing));

	if (n_missing > 0)
		fprintf(stderr, "kpigate compare: %s: %s names %s not in the header: %s\n",
			path, option, n_missing == 1 ? "a column" : "columns", missing);
	return n_missing;
}

/* The reference's options from the command line, every named column
 * checked against the reference's header first (all missing ones
 * printed). *excl and *decl are the caller's to free (the strings in them
 * are borrowed from a and h). Returns 0 or an exit code. */
static int reference_options_from_args(const compare_args *a, csv_header *h,
				       reference_options *ro,
				       const char ***excl,
				       policy_feature **decl)
{
	kpg_err err = {""};
	size_t missing = 0, n_excl = 0;

	if (csv_header_read(a->ref, h, &err) != 0) {
		fprintf(stderr, "kpigate compare: %s\n", err.msg);
		return KPG_EXIT_TROUBLE;
	}
	if (a->label != NULL)
		missing += report_missing(a->ref, h, "--label", &a->label, 1);
	missing += report_missing(a->ref, h, "--exclude",
				  (const char *const *)a->exclude.v, a->exclude.n);
	missing += report_missing(a->ref, h, "--categorical",
				  (const char *const *)a->categorical.v,
				  a->categorical.n);
	missing += report_missing(a->ref, h, "--features",
				  (const char *const *)a->features.v,
				  a->features.n);
	if (missing > 0)
		return KPG_EXIT_TROUBLE;
	/* --features: every other column but the label is excluded */
	*excl = calloc(h->n + a->exclude.n + 1, sizeof(**excl));
	*decl = calloc(a->categorical.n + 1, sizeof(**decl));
	if (*excl == NULL || *decl == NULL) {
		fputs("kpigate compare: out of memory\n", stderr);
		return KPG_EXIT_TROUBLE;
	}
	for (size_t i = 0; i < a->exclude.n; i++)
		(*excl)[n_excl++] = a->exclude.v[i];
	for (size_t i = 0; a->features.n > 0 && i < h->n; i++)
		if (!cli_names_has(&a->features, h->names[i]) &&
		    !cli_names_has(&a->exclude, h->names[i]) &&
		    !(a->label && strcmp(a->label, h->names[i]) == 0))
			(*excl)[n_excl++] = h->names[i];
	for (size_t i = 0; i < a->categorical.n; i++) {
		(*decl)[i].name = a->categorical.v[i];
		(*decl)[i].type = POLICY_FEATURE_CATEGORICAL;
	}
	ro->label_column = a->label;
	ro->psi_bins = a->judge.psi_bins;
	ro->exclude = (char *const *)*excl;
	ro->n_exclude = n_excl;
	ro->declared = *decl;
	ro->n_declared = a->categorical.n;
	return 0;
}

int cmd_compare(int argc, char **argv)
{
	compare_args a = {0};
	reference ref;
	reference_options ro = {0};
	compare_cur cc = {0};
	policy_window_eval ev = {0};
	drift_plan *plans = NULL;
	kpg_err err = {""};
	csv_header hdr = {0};
	const char **excl = NULL;
	policy_feature *decl = NULL;
	int rc, exit_code = KPG_EXIT_TROUBLE, have_ref = 0;
	size_t nf = 0;

	compare_defaults(&a);
	rc = parse_args(argc, argv, &a);
	if (rc) {
		exit_code = rc < 0 ? KPG_EXIT_OK : rc;
		goto out;
	}
	rc = reference_options_from_args(&a, &hdr, &ro, &excl, &decl);
	if (rc) {
		exit_code = rc;
		goto out;
	}
	if (reference_load(a.ref, &ro, &ref, &err) != 0) {
		fprintf(stderr, "kpigate compare: %s\n", err.msg);
		goto out;
	}
	have_ref = 1;
	nf = ref.n_features;
	cc.values = calloc(nf, sizeof(*cc.values));
	cc.n = calloc(nf, sizeof(*cc.n));
	cc.cap = calloc(nf, sizeof(*cc.cap));
	cc.counts = calloc(nf, sizeof(*cc.counts));
	cc.missing = calloc(nf, sizeof(*cc.missing));
	cc.col_of = calloc(nf, sizeof(*cc.col_of));
	cc.unseen = calloc(nf, sizeof(*cc.unseen));
	ev.features = calloc(nf, sizeof(*ev.features));
	plans = calloc(nf, sizeof(*plans));
	if (!cc.values || !cc.n || !cc.cap || !cc.counts || !cc.missing ||
	    !cc.col_of || !cc.unseen || !ev.features || !plans)
		goto nomem;
	for (size_t f = 0; f < nf; f++)
		if (ref.features[f].type == POLICY_FEATURE_CATEGORICAL &&
		    (cc.counts[f] = calloc(ref.features[f].n_categories + 1,
					   sizeof(double))) == NULL)
			goto nomem;
	if (read_current(a.cur, &ref, &cc, &err) != 0) {
		fprintf(stderr, "kpigate compare: %s\n", err.msg);
		goto out;
	}
	if (evaluate_plans(&a.judge, &ref, plans, NULL, &err) != 0) {
		fprintf(stderr, "kpigate compare: %s\n", err.msg);
		goto out;
	}
	policy_drift_inputs(&a.judge, &ev);
	ev.n_features = nf;
	for (size_t f = 0; f < nf; f++) {
		policy_feature_eval *fe = &ev.features[f];

		fe->name = ref.features[f].name;
		fe->type = ref.features[f].type;
		fe->missing = cc.missing[f];
		fe->weight = plans[f].weight;
		rc = fe->type == POLICY_FEATURE_NUMERIC
			     ? evaluate_numeric(&ref.features[f], cc.values[f], cc.n[f],
						&ev, &plans[f], fe, &err)
			     : evaluate_categorical(&ref.features[f], cc.counts[f],
						    &cc.unseen[f], &ev, &plans[f], fe,
						    &err);
		if (rc) {
			fprintf(stderr, "kpigate compare: %s: %s\n", fe->name, err.msg);
			goto out;
		}
	}
	policy_judge_features(&a.judge, &ev);
	if (a.json)
		print_json(&a.judge, &ev, &ref, &cc);
	else
		print_text(&ev);
	exit_code = ev.n_drifted > 0 ? KPG_EXIT_FINDINGS : KPG_EXIT_OK;
	goto out;
nomem:
	fprintf(stderr, "kpigate compare: out of memory\n");
out:
	for (size_t f = 0; f < nf; f++) {
		if (cc.values)
			free(cc.values[f]);
		if (cc.counts)
			free(cc.counts[f]);
		if (cc.unseen)
			unseen_free(&cc.unseen[f]);
	}
	free(cc.unseen);
	free(plans);
	free(cc.values);
	free(cc.n);
	free(cc.cap);
	free(cc.counts);
	free(cc.missing);
	free(cc.col_of);
	free(ev.features);
	if (have_ref)
		reference_free(&ref);
	free(excl);
	free(decl);
	csv_header_free(&hdr);
	cli_names_free(&a.exclude);
	cli_names_free(&a.categorical);
	cli_names_free(&a.features);
	return exit_code;
}
