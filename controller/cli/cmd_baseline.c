/* cmd_baseline.c - `kpigate baseline build` compiles a training CSV into a
 * reference file that loads in milliseconds (reference_file.h), with
 * numeric features past --max-values stored as quantile summaries
 * (reference_summary.h); `kpigate baseline show` prints one. A policy's
 * reference.path may name the compiled file: reference_load reads it and
 * refuses it when it was built with other options than the policy's. */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_names.h"
#include "commands.h"
#include "csv_columns.h"
#include "policy.h"
#include "policy_report.h"
#include "psi.h"
#include "reference.h"
#include "reference_file.h"
#include "reference_summary.h"

static const char baseline_usage[] =
	"usage: kpigate baseline build --reference CSV --out FILE\n"
	"                              [--policy FILE | [--label COL] [--exclude A,B]\n"
	"                               [--categorical X,Y] [--psi-bins N]]\n"
	"                              [--max-values N]\n"
	"       kpigate baseline show FILE [--json]\n"
	"\n"
	"build reads the training CSV once, the way a policy's reference is read,\n"
	"and writes FILE, a compiled reference: a policy's reference.path may name\n"
	"it, and it loads in milliseconds instead of parsing the CSV again. With\n"
	"--policy, the options are the policy's (reference.label_column,\n"
	"reference.exclude_columns, features, drift.psi_bins, payload.columns) and\n"
	"--reference defaults to its reference.path; otherwise --label, --exclude,\n"
	"--categorical and --psi-bins (default %u) give them, as for `compare`. The\n"
	"file records them, and a policy with other options is refused with the\n"
	"option that differs.\n"
	"\n"
	"A numeric feature with more than --max-values values (default %d,\n"
	"at least %d) is stored as an equi-depth quantile summary of at most that\n"
	"many points, with its rank error (the largest error of its CDF, at most\n"
	"1/(N-1)); its PSI bins are the exact sample's.\n"
	"\n"
	"show prints a compiled file's header, the options it was built with and\n"
	"a line per feature (--json: one object).\n"
	"\n"
	"Exit codes: 0 written / shown; 2 trouble: a usage error, a reference that\n"
	"does not load, a file that cannot be written, or (show) a file that is\n"
	"not an intact compiled reference.\n";

static void usage(FILE *out)
{
	fprintf(out, baseline_usage, PSI_DEFAULT_BINS,
		REFERENCE_FILE_DEFAULT_MAX_VALUES, REFERENCE_SUMMARY_MIN_VALUES);
}

static int parse_count(const char *s, unsigned long long lo,
		       unsigned long long hi, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

typedef struct build_args {
	const char *csv, *out, *policy_path, *label;
	cli_names exclude, categorical;
	unsigned psi_bins;
	unsigned long long max_values;
	int manual; /* an option --policy would give was set */
} build_args;

static int build_parse(int argc, char **argv, build_args *a)
{
	static const struct option opts[] = {
		{"reference", required_argument, NULL, 'r'},
		{"out", required_argument, NULL, 'o'},
		{"policy", required_argument, NULL, 'p'},
		{"label", required_argument, NULL, 'l'},
		{"exclude", required_argument, NULL, 'x'},
		{"categorical", required_argument, NULL, 'C'},
		{"psi-bins", required_argument, NULL, 'b'},
		{"max-values", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long long v;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': a->csv = optarg; break;
		case 'o': a->out = optarg; break;
		case 'p': a->policy_path = optarg; break;
		case 'l':
			a->label = optarg;
			a->manual = 1;
			break;
		case 'x':
		case 'C':
			rc = cli_names_add(c == 'x' ? &a->exclude : &a->categorical, optarg);
			if (rc == KPG_ENOMEM) {
				fputs("kpigate baseline build: out of memory\n", stderr);
				return KPG_EXIT_TROUBLE;
			}
			if (rc)
				goto bad_value;
			a->manual = 1;
			break;
		case 'b':
			if (parse_count(optarg, 2, PSI_MAX_BINS, &v))
				goto bad_value;
			a->psi_bins = (unsigned)v;
			a->manual = 1;
			break;
		case 'm':
			if (parse_count(optarg, REFERENCE_SUMMARY_MIN_VALUES,
					REFERENCE_FILE_MAX_VALUES, &v))
				goto bad_value;
			a->max_values = v;
			break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return KPG_EXIT_USAGE;
		}
	}
	if (optind < argc || a->out == NULL ||
	    (a->csv == NULL && a->policy_path == NULL)) {
		fputs("kpigate baseline build: --out and --reference (or --policy) are required\n",
		      stderr);
		usage(stderr);
		return KPG_EXIT_USAGE;
	}
	if (a->policy_path != NULL && a->manual) {
		fputs("kpigate baseline build: --policy gives the options; --label, --exclude,\n"
		      "--categorical and --psi-bins cannot be added to it\n",
		      stderr);
		return KPG_EXIT_USAGE;
	}
	return 0;
bad_value:
	fprintf(stderr, "kpigate baseline build: bad option value '%s' (see --help for ranges)\n",
		optarg);
	return KPG_EXIT_USAGE;
}

static void print_built(const char *out, const reference *ref, long long bytes,
			const char *seal)
{
	size_t n_sum = 0;

	printf("wrote %s: %zu features, %llu rows, %lld bytes\n", out,
	       ref->n_features, (unsigned long long)ref->n_rows, bytes);
	printf("source %s sha256 %s\n", ref->path, ref->source_sha256);
	printf("file sha256 (seal) %s\n", seal);
	for (size_t i = 0; i < ref->n_features; i++) {
		const reference_feature *f = &ref->features[i];

		if (f->weights == NULL)
			continue;
		if (n_sum++ == 0)
			printf("summarised features:\n");
		printf("  %-24s %.0f values -> %zu points, rank error %.3g\n",
		       f->name, f->weight_total, f->n, f->rank_error);
	}
	if (n_sum == 0)
		printf("summarised features: none (every feature stored exactly)\n");
}

static int build(int argc, char **argv)
{
	build_args a = {0};
	reference_options ro = {0};
	reference ref;
	reference_file_info info = {0};
	csv_header hdr = {0};
	policy_diags diags = {0};
	policy *p = NULL;
	policy_feature *decl = NULL;
	char key[REFERENCE_ERR_KEY_LEN] = "";
	kpg_err err = {""};
	int rc, code = KPG_EXIT_TROUBLE, have_ref = 0;
	a.max_values = REFERENCE_FILE_DEFAULT_MAX_VALUES;
	rc = build_parse(argc, argv, &a);
	if (rc) {
		code = rc < 0 ? KPG_EXIT_OK : rc;
		goto out;
	}
	if (a.policy_path != NULL) {
		if (policy_load(a.policy_path, &p, &diags, &err) != 0) {
			policy_report_diags(stderr, a.policy_path, &diags, &err);
			goto out;
		}
		reference_options_from_policy(p, &ro);
		if (a.csv == NULL)
			a.csv = p->reference_path;
	} else {
		decl = calloc(a.categorical.n + 1, sizeof(*decl));
		if (decl == NULL)
			goto nomem;
		for (size_t i = 0; i < a.categorical.n; i++) {
			decl[i].name = a.categorical.v[i];
			decl[i].type = POLICY_FEATURE_CATEGORICAL;
		}
		ro.label_column = a.label;
		ro.exclude = a.exclude.v;
		ro.n_exclude = a.exclude.n;
		ro.declared = decl;
		ro.n_declared = a.categorical.n;
		ro.psi_bins = a.psi_bins;
	}
	ro.err_key = key;
	if (reference_file_is_compiled(a.csv)) {
		fprintf(stderr, "kpigate baseline build: %s is a compiled reference already; build from its training CSV\n",
			a.csv);
		goto out;
	}
	if (csv_header_read(a.csv, &hdr, &err) != 0 ||
	    reference_load(a.csv, &ro, &ref, &err) != 0) {
		fprintf(stderr, "kpigate baseline build: %s%s%s\n", key,
			key[0] ? ": " : "", err.msg);
		goto out;
	}
	have_ref = 1;
	if (reference_file_sha256(a.csv, ref.source_sha256, &err) != 0) {
		fprintf(stderr, "kpigate baseline build: %s\n", err.msg);
		goto out;
	}
	for (size_t i = 0; i < ref.n_features; i++) {
		rc = reference_summarise(&ref.features[i], (size_t)a.max_values, &err);
		if (rc < 0) {
			fprintf(stderr, "kpigate baseline build: %s\n", err.msg);
			goto out;
		}
	}
	ro.err_key = NULL;
	if (reference_file_write(a.out, &ref, &ro, &hdr, a.max_values, &err) != 0 ||
	    reference_file_read_info(a.out, &info, &err) != 0) {
		fprintf(stderr, "kpigate baseline build: %s\n", err.msg);
		goto out;
	}
	print_built(a.out, &ref, (long long)info.file_size, info.seal_sha256);
	code = KPG_EXIT_OK;
	goto out;
nomem:
	fputs("kpigate baseline build: out of memory\n", stderr);
out:
	if (have_ref)
		reference_free(&ref);
	reference_file_info_free(&info);
	csv_header_free(&hdr);
	policy_diags_free(&diags);
	policy_free(p);
	free(decl);
	cli_names_free(&a.exclude);
	cli_names_free(&a.categorical);
	return code;
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

static const char *source_name(reference_source s)
{
	switch (s) {
	case REFERENCE_SOURCE_CSV: return "csv";
	case REFERENCE_SOURCE_MM_STATISTICS: return "model-monitor-statistics";
	default: return "compiled";
	}
}

static json_t *strs_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *show_json(const reference *ref, const reference_file_info *in)
{
	json_t *decl = json_object(), *feats = json_array(), *labels = json_array();
	json_t *payload = json_array();

	for (size_t i = 0; i < in->n_declared; i++)
		json_object_set_new(decl, in->declared[i].name,
				    json_string(type_name(in->declared[i].type)));
	for (size_t i = 0; i < ref->labels.n; i++)
		json_array_append_new(labels, json_pack("{s:s, s:I}", "text", ref->labels.texts[i],
							"count", (json_int_t)ref->labels.counts[i]));
	for (size_t i = 0; i < ref->n_payload; i++)
		json_array_append_new(payload, json_pack("{s:s, s:b}", "name", ref->payload_names[i],
							 "ignored", ref->payload_feature[i] == REFERENCE_IGNORED));
	for (size_t i = 0; i < ref->n_features; i++) {
		const reference_feature *f = &ref->features[i];
		int num = f->type == POLICY_FEATURE_NUMERIC;
		json_t *o = json_pack("{s:s, s:s, s:b, s:I, s:I}", "name", f->name,
				      "type", type_name(f->type), "inferred", f->inferred,
				      "missing", (json_int_t)f->missing,
				      "stored", (json_int_t)f->n);

		if (num) {
			json_object_set_new(o, "count", json_real(f->weight_total));
			json_object_set_new(o, "summarised", json_boolean(f->weights != NULL));
			json_object_set_new(o, "rank_error", json_real(f->rank_error));
			json_object_set_new(o, "min", json_real(f->sorted[0]));
			json_object_set_new(o, "max", json_real(f->sorted[f->n - 1]));
			json_object_set_new(o, "psi_bins", json_integer((json_int_t)f->psi.n_bins));
		} else {
			json_object_set_new(o, "categories", json_integer((json_int_t)f->n_categories));
		}
		json_array_append_new(feats, o);
	}
	return json_pack("{s:s, s:I, s:I, s:s, s:{s:s, s:s?}, s:I, s:I, s:{s:s?, s:o, s:o, s:I, s:o}, s:o, s:{s:I, s:o}, s:o, s:o}",
			 "path", ref->path, "version", (json_int_t)in->version,
			 "bytes", (json_int_t)in->file_size, "sha256", in->seal_sha256,
			 "source", "kind", source_name(in->compiled_from), "sha256",
			 ref->source_sha256[0] ? ref->source_sha256 : NULL,
			 "rows", (json_int_t)ref->n_rows, "max_values", (json_int_t)in->max_values,
			 "options", "label_column", in->label_column,
			 "exclude_columns", strs_json(in->exclude, in->n_exclude),
			 "features", decl, "psi_bins", (json_int_t)in->psi_bins,
			 "payload_columns", strs_json(in->payload, in->n_payload),
			 "columns", strs_json(in->columns, in->n_columns),
			 "label", "index", (json_int_t)ref->label_index, "texts", labels,
			 "payload", payload, "features", feats);
}

static void print_list(const char *what, char *const *v, size_t n)
{
	printf("  %-16s", what);
	if (n == 0)
		printf(" -");
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? ", " : " ", v[i]);
	printf("\n");
}

static void show_text(const reference *ref, const reference_file_info *in)
{
	printf("%s: compiled reference, version %u, %llu bytes\n", ref->path,
	       in->version, (unsigned long long)in->file_size);
	printf("sha256 (seal)      %s\n", in->seal_sha256);
	printf("source             %s, sha256 %s\n", source_name(in->compiled_from),
	       ref->source_sha256[0] ? ref->source_sha256 : "-");
	printf("rows               %llu\n", (unsigned long long)ref->n_rows);
	printf("max values         %llu\n", (unsigned long long)in->max_values);
	printf("built with:\n");
	printf("  %-16s %s\n", "label column", in->label_column ? in->label_column : "-");
	print_list("excluded", in->exclude, in->n_exclude);
	printf("  %-16s", "declared");
	if (in->n_declared == 0)
		printf(" -");
	for (size_t i = 0; i < in->n_declared; i++)
		printf("%s%s %s", i ? ", " : " ", in->declared[i].name,
		       type_name(in->declared[i].type));
	printf("\n  %-16s %u\n", "psi bins", in->psi_bins);
	print_list("payload columns", in->payload, in->n_payload);
	print_list("source columns", in->columns, in->n_columns);
	if (ref->label_index >= 0) {
		char texts[256];

		reference_labels_list(&ref->labels, texts, sizeof(texts));
		printf("label: column %d, %llu cells (%llu missing): %s\n",
		       ref->label_index, (unsigned long long)ref->labels.cells,
		       (unsigned long long)ref->labels.missing, texts);
	}
	printf("payload: %zu columns (%zu ignored)\n", ref->n_payload, ref->n_ignored);
	printf("\n%-24s %-11s %8s %8s %10s %10s %10s\n", "feature", "type", "missing",
	       "stored", "count", "rank_err", "bins/cats");
	for (size_t i = 0; i < ref->n_features; i++) {
		const reference_feature *f = &ref->features[i];

		if (f->type == POLICY_FEATURE_NUMERIC)
			printf("%-24s %-11s %8zu %8zu %10.0f %10.3g %10zu\n", f->name,
			       "numeric", f->missing, f->n, f->weight_total,
			       f->rank_error, f->psi.n_bins);
		else
			printf("%-24s %-11s %8zu %8zu %10zu %10s %10zu\n", f->name,
			       "categorical", f->missing, f->n, f->n, "-",
			       f->n_categories);
	}
}

static int show(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	reference ref;
	reference_file_info info;
	kpg_err err = {""};
	int c, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': usage(stdout); return KPG_EXIT_OK;
		default: usage(stderr); return KPG_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs("kpigate baseline show: one FILE is required\n", stderr);
		usage(stderr);
		return KPG_EXIT_USAGE;
	}
	if (reference_file_inspect(argv[optind], &ref, &info, &err) != 0) {
		fprintf(stderr, "kpigate baseline show: %s\n", err.msg);
		reference_file_info_free(&info);
		return KPG_EXIT_TROUBLE;
	}
	if (json) {
		json_t *o = show_json(&ref, &info);

		if (o == NULL || json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0) {
			fputs("kpigate baseline show: out of memory\n", stderr);
			json_decref(o);
			reference_free(&ref);
			reference_file_info_free(&info);
			return KPG_EXIT_TROUBLE;
		}
		fputc('\n', stdout);
		json_decref(o);
	} else {
		show_text(&ref, &info);
	}
	reference_free(&ref);
	reference_file_info_free(&info);
	return KPG_EXIT_OK;
}

int cmd_baseline(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "build") == 0)
		return build(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return show(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return KPG_EXIT_OK;
	}
	usage(stderr);
	return KPG_EXIT_USAGE;
}
