/* cmd_replay.c - `kpigate replay`: the pipeline over capture and
 * ground-truth files, in event order, then a summary. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action_hook.h"
#include "action_runner.h"
#include "audit.h"
#include "aws_creds.h"
#include "commands.h"
#include "file_source.h"
#include "notify.h"
#include "pipeline.h"
#include "pipeline_file.h"
#include "pipeline_deploy.h"
#include "policy_report.h"
#include "replay_inputs.h"
#include "replay_report.h"
#include "replay_verdict.h"
#include "s3_source.h"

/* A printf format: print it with print_usage (the join defaults are join.h's). */
static const char replay_usage[] =
	"usage: kpigate replay --policy FILE... --capture PATH... [--ground-truth PATH...]\n"
	"                      [--audit FILE] [--rejects FILE] [--max-reject-rate R]\n"
	"                      [--json] [--decide-pending] [--max-time-skew S]\n"
	"                      [--deployments FILE]\n"
	"                      [--execute [--outbox DIR] [--action-deadline SECONDS]\n"
	"                       [--action-wait SECONDS]]\n"
	"\n"
	"Runs kpigate's pipeline over SageMaker data-capture files (and ground-truth\n"
	"label files) and prints what it decided. A PATH may be a file (read\n"
	"whatever its name) or a folder; in folders only *.jsonl and *.jsonl.gz\n"
	"files are read (the others are counted and named as skipped), in\n"
	"SageMaker's yyyy/mm/dd/hh order, labels interleaved with captures by\n"
	"that hour. --policy, --capture and --ground-truth take several values\n"
	"(up to the next option) and may be repeated. A PATH s3://BUCKET/PREFIX is\n"
	"read from S3 the same way: the object PREFIX, or the objects under PREFIX/\n"
	"(ListObjectsV2 and GetObject with the AWS credential chain; endpoint\n"
	"AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, path-style; docs/s3.md).\n"
	"\n"
	"  --policy FILE...      policy files (one model each); all are validated first\n"
	"  --capture PATH...     capture JSON Lines files or folders (or s3:// prefixes)\n"
	"  --ground-truth PATH... ground-truth JSON Lines files or folders (or s3://)\n"
	"  --audit FILE          append the audit trail to FILE (hash-chained, fsync'd)\n"
	"  --rejects FILE        write every rejected line's location and reason to FILE\n"
	"  --max-reject-rate R   the replay is trouble (exit 2) when more than this\n"
	"                        share of the capture lines, or of the ground-truth\n"
	"                        lines, is rejected (default %g; 1 never)\n"
	"  --json                print the summary as JSON\n"
	"  --decide-pending      at the end of the input, decide the windows still open or\n"
	"                        waiting for labels with the labels in hand (marked\n"
	"                        end_of_input); without it they are listed as pending,\n"
	"                        as a daemon would hold them at that point\n"
	"  --deployments FILE    JSON Lines of {\"model\": NAME, \"time\": ISO 8601}: a new\n"
	"                        model serves from that time; relative KPI rules learn\n"
	"                        its baseline again (docs/policies.md)\n"
	"  --max-time-skew S     a record whose inferenceTime is more than S seconds\n"
	"                        outside its yyyy/mm/dd/hh folder's hour is rejected as\n"
	"                        bad_time (default %d; 0 = not checked)\n"
	"  --max-line-bytes N    lines longer than N are rejected (default 1048576)\n"
	"  --join-max N          predictions and labels waiting for each other, at most\n"
	"                        (default %d; the oldest is evicted and counted)\n"
	"  --join-max-age H      hours of event time a prediction or label waits for its\n"
	"                        partner before it is evicted and counted (default %d)\n"
	"  --execute             start the SageMaker pipeline or Step Functions execution\n"
	"                        of every retrain (signed with the AWS credential chain),\n"
	"                        or send its webhook; without it actions are recorded\n"
	"                        as not_sent, with the request they would send;\n"
	"                        also sends the policies' notifications (audited as\n"
	"                        not_sent without it; docs/notifications.md)\n"
	"  --outbox DIR          keep undelivered triggers in DIR (default: a temporary\n"
	"                        folder, removed when everything was delivered)\n"
	"  --action-deadline S   a trigger is retried for S seconds after its decision,\n"
	"                        also by a later run over the same outbox (default 300)\n"
	"  --action-wait S       seconds the replay waits for its triggers before it ends\n"
	"                        (default: the deadline)\n"
	"\n"
	"Exit codes: 0 the replay ran and found nothing (no drift alarm, no\n"
	"retrain); 1 findings: a drift alarm or a retrain decided (the summary's\n"
	"drift_alarms and retrains per model say which); 2 trouble: a usage error,\n"
	"an invalid policy or reference, an unreadable file, a model that got no\n"
	"window, rejects past --max-reject-rate (the top reason, its count and an\n"
	"example are printed), the audit log could not be written, or a trigger\n"
	"was not delivered (--execute).\n";

static void print_usage(FILE *out)
{
	fprintf(out, replay_usage, REPLAY_DEFAULT_MAX_REJECT_RATE, PIPELINE_DEFAULT_SKEW_S,
		JOIN_DEFAULT_MAX_ENTRIES, JOIN_DEFAULT_MAX_AGE_HOURS);
}

typedef struct replay_args {
	const char **policies, **captures, **gts;
	size_t n_policies, n_captures, n_gts;
	const char *audit, *rejects;
	int json;
	size_t max_line, join_max;
	int64_t join_max_age_ms;
	int execute;
	const char *outbox;
	int64_t action_deadline_s, action_wait_s;
	double max_reject_rate;
	int decide_pending;
	int64_t max_skew_ms; /* 0 = default, -1 = not checked */
	const char *deployments;
} replay_args;

static int push_arg(const char ***v, size_t *n, const char *s)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

/* The values after an option that takes several (--policy a b): every
 * following argument up to the next option. */
static int push_more(int argc, char **argv, const char ***v, size_t *n)
{
	while (optind < argc && !(argv[optind][0] == '-' && argv[optind][1] != '\0'))
		if (push_arg(v, n, argv[optind++]) != 0)
			return -1;
	return 0;
}

static int parse_args(int argc, char **argv, replay_args *a)
{
	static const struct option opts[] = {
		{"policy", required_argument, NULL, 'p'},
		{"capture", required_argument, NULL, 'c'},
		{"ground-truth", required_argument, NULL, 'g'},
		{"audit", required_argument, NULL, 'a'},
		{"rejects", required_argument, NULL, 'r'},
		{"max-reject-rate", required_argument, NULL, 'R'},
		{"json", no_argument, NULL, 'j'},
		{"max-line-bytes", required_argument, NULL, 'm'},
		{"join-max", required_argument, NULL, 'J'},
		{"join-max-age", required_argument, NULL, 'A'},
		{"execute", no_argument, NULL, 'x'},
		{"outbox", required_argument, NULL, 'o'},
		{"action-deadline", required_argument, NULL, 'D'},
		{"action-wait", required_argument, NULL, 'W'},
		{"decide-pending", no_argument, NULL, 'P'},
		{"deployments", required_argument, NULL, 'e'},
		{"max-time-skew", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	/* "+": no permutation, so the values after --policy stay in place */
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		int rc = 0;

		switch (c) {
		case 'p':
			rc = push_arg(&a->policies, &a->n_policies, optarg) ||
			     push_more(argc, argv, &a->policies, &a->n_policies);
			break;
		case 'c':
			rc = push_arg(&a->captures, &a->n_captures, optarg) ||
			     push_more(argc, argv, &a->captures, &a->n_captures);
			break;
		case 'g':
			rc = push_arg(&a->gts, &a->n_gts, optarg) ||
			     push_more(argc, argv, &a->gts, &a->n_gts);
			break;
		case 'R': {
			char *end;
			double v = strtod(optarg, &end);

			if (*optarg == '\0' || *end || !(v >= 0 && v <= 1)) {
				fprintf(stderr, "kpigate replay: --max-reject-rate must be a share in [0, 1]\n");
				return KPG_EXIT_USAGE;
			}
			a->max_reject_rate = v;
			break;
		}
		case 'a': a->audit = optarg; break;
		case 'r': a->rejects = optarg; break;
		case 'j': a->json = 1; break;
		case 'x': a->execute = 1; break;
		case 'P': a->decide_pending = 1; break;
		case 'e': a->deployments = optarg; break;
		case 'S': {
			char *end;
			long long v = strtoll(optarg, &end, 10);

			if (*end || v < 0 || v > 366LL * 86400) {
				fprintf(stderr, "kpigate replay: --max-time-skew must be 0..31622400 seconds\n");
				return KPG_EXIT_USAGE;
			}
			a->max_skew_ms = v == 0 ? -1 : v * 1000;
			break;
		}
		case 'o': a->outbox = optarg; break;
		case 'D': {
			char *end;
			long long v = strtoll(optarg, &end, 10);

			if (*end || v < 1 || v > 7 * 86400) {
				fprintf(stderr, "kpigate replay: --action-deadline must be 1..604800 seconds\n");
				return KPG_EXIT_USAGE;
			}
			a->action_deadline_s = v;
			break;
		}
		case 'W': {
			char *end;
			long long v = strtoll(optarg, &end, 10);

			if (*end || v < 0 || v > 7 * 86400) {
				fprintf(stderr, "kpigate replay: --action-wait must be 0..604800 seconds\n");
				return KPG_EXIT_USAGE;
			}
			a->action_wait_s = v;
			break;
		}
		case 'm': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);

			if (*end || v < 1024 || v > (1ULL << 30)) {
				fprintf(stderr, "kpigate replay: --max-line-bytes must be 1024..1073741824\n");
				return KPG_EXIT_USAGE;
			}
			a->max_line = (size_t)v;
			break;
		}
		case 'J': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);

			if (*end || v < 1 || v > 50000000ULL) {
				fprintf(stderr, "kpigate replay: --join-max must be 1..50000000\n");
				return KPG_EXIT_USAGE;
			}
			a->join_max = (size_t)v;
			break;
		}
		case 'A': {
			char *end;
			double h = strtod(optarg, &end);

			if (*end || !(h > 0 && h <= 24 * 366)) {
				fprintf(stderr, "kpigate replay: --join-max-age must be hours in (0, 8784]\n");
				return KPG_EXIT_USAGE;
			}
			a->join_max_age_ms = (int64_t)(h * 3600.0 * 1000.0);
			break;
		}
		case 'h': print_usage(stdout); return -1;
		default: print_usage(stderr); return KPG_EXIT_USAGE;
		}
		if (rc) {
			fprintf(stderr, "kpigate replay: out of memory\n");
			return KPG_EXIT_TROUBLE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kpigate replay: unexpected argument '%s'\n", argv[optind]);
		print_usage(stderr);
		return KPG_EXIT_USAGE;
	}
	if (a->n_policies == 0 || a->n_captures == 0) {
		fprintf(stderr, "kpigate replay: --policy and --capture are required\n");
		print_usage(stderr);
		return KPG_EXIT_USAGE;
	}
	return 0;
}

/* run_summary: what the replay read and decided, closing its audit trail. */
static int audit_run_summary(const pipeline *pl, const json_t *outcomes,
			     audit_log *audit, kpg_err *err)
{
	json_t *rep = replay_report_json(pl, outcomes, NULL, NULL), *data = NULL;
	uint64_t windows = 0, retrains = 0;
	int rc = KPG_ENOMEM;

	if (rep == NULL)
		goto out;
	for (size_t i = 0; i < pl->n_models; i++) {
		windows += pl->models[i].windows;
		retrains += pl->models[i].retrains;
	}
	data = json_pack("{s:O, s:O, s:I, s:{s:I, s:I}, s:O, s:O}", "capture",
			 json_object_get(rep, "capture"), "ground_truth",
			 json_object_get(rep, "ground_truth"), "windows",
			 (json_int_t)windows, "decisions", "retrain", (json_int_t)retrains,
			 "hold", (json_int_t)(windows - retrains), "energy",
			 json_object_get(rep, "energy"), "pending",
			 json_object_get(rep, "pending"));
	if (data == NULL)
		goto out;
	json_object_set(data, "actions", json_object_get(rep, "actions"));
	rc = audit_append(audit, "run_summary", NULL, data, err);
out:
	if (rc == KPG_ENOMEM)
		kpg_err_set(err, "out of memory building run_summary");
	json_decref(rep);
	json_decref(data);
	return rc;
}

static void progress(uint64_t lines, int tty)
{
	if (tty && lines % 100000 == 0)
		fprintf(stderr, "\rkpigate replay: %llu lines", (unsigned long long)lines);
}

/* replay_file's per-line hook: the progress line and the rejects file. */
typedef struct replay_file_ctx {
	int tty;
	uint64_t *lines;
	replay_rejects *rej;
} replay_file_ctx;

static void replay_on_line(void *opaque, const pipeline *pl, int is_gt,
			   const char *path, uint64_t line_no)
{
	replay_file_ctx *x = opaque;

	++*x->lines;
	progress(*x->lines, x->tty);
	replay_rejects_note(x->rej, pl, is_gt, path, line_no);
}

static void replay_on_corrupt(void *opaque, const char *msg)
{
	(void)opaque;
	fprintf(stderr, "kpigate replay: warning: %s; the rest of the file is skipped\n",
		msg);
}

/* partition_ms: the file's yyyy/mm/dd/hh hour (INT64_MIN: none), where
 * its records arrived; a file named on its own arrived when it was last
 * written, which places records without a time but checks none. */
static int replay_file(pipeline *pl, s3_source *s3, const char *path,
		       const char *tag, int64_t partition_ms, int is_gt, int tty,
		       uint64_t *lines, replay_rejects *rej, kpg_err *err)
{
	replay_file_ctx x = {tty, lines, rej};
	pipeline_file_hooks h = {replay_on_line, replay_on_corrupt, &x};
	line_reader lr;
	char endpoint[256];
	int rc;

	if (!is_gt && partition_ms != INT64_MIN) {
		file_endpoint_of(path, endpoint, sizeof(endpoint));
		pipeline_set_arrival(pl, partition_ms, partition_ms + 3600 * 1000 - 1, 1);
	} else if (!is_gt) {
		struct stat stb;
		int64_t mtime = stat(path, &stb) == 0
					? (int64_t)stb.st_mtim.tv_sec * 1000 +
						  stb.st_mtim.tv_nsec / 1000000
					: INT64_MIN;

		endpoint[0] = '\0';
		pipeline_set_arrival(pl, mtime, mtime, 0);
	}
	/* an S3 object is listed with its ETag (s3_source.h) */
	rc = strncmp(path, "s3://", 5) == 0
		     ? s3_source_open(s3, path, tag, pl->max_line_bytes, &lr, err)
		     : line_reader_open(&lr, path, pl->max_line_bytes, err);
	if (rc)
		return rc;
	rc = pipeline_file_read(pl, &lr, is_gt, !is_gt && endpoint[0] ? endpoint : NULL,
				path, &h, err);
	line_reader_close(&lr);
	return rc;
}

/* Walks both file lists in partition-time order; on equal hours labels go
 * first so that predictions find them. */
static int replay_files(pipeline *pl, s3_source *s3, const file_list *cap,
			const file_list *gt, replay_rejects *rej, kpg_err *err)
{
	size_t i = 0, j = 0;
	uint64_t lines = 0;
	int tty = isatty(STDERR_FILENO), rc = 0;

	while (rc == 0 && (i < cap->n || j < gt->n)) {
		int take_gt = j < gt->n &&
			      (i >= cap->n || gt->partition_ms[j] <= cap->partition_ms[i]);

		if (take_gt) {
			rc = replay_file(pl, s3, gt->paths[j], gt->tags[j],
					 gt->partition_ms[j], 1, tty, &lines, rej, err);
			j++;
		} else {
			rc = replay_file(pl, s3, cap->paths[i], cap->tags[i],
					 cap->partition_ms[i], 0, tty, &lines, rej, err);
			i++;
		}
	}
	if (tty)
		fprintf(stderr, "\rkpigate replay: %llu lines, done\n", (unsigned long long)lines);
	return rc;
}

/* 1 when a capture or ground-truth path is in S3. */
static int s3_paths_given(const replay_args *a)
{
	for (size_t i = 0; i < a->n_captures; i++)
		if (strncmp(a->captures[i], "s3://", 5) == 0)
			return 1;
	for (size_t i = 0; i < a->n_gts; i++)
		if (strncmp(a->gts[i], "s3://", 5) == 0)
			return 1;
	return 0;
}

/* action_runner_options.on_outcome: how each delivery ended, for the
 * report (written on the runner's thread, read after it has stopped). */
static void replay_outcome(void *opaque, const char *key, const char *status)
{
	json_object_set_new(opaque, key, json_string(status));
}

/* Notifications: sent with --execute, audited as not_sent without. */
static int replay_start_notify(const replay_args *a, audit_log *audit, notify **out,
			       kpg_err *err)
{
	notify_options o;

	memset(&o, 0, sizeof(o));
	o.audit = audit;
	o.execute = a->execute;
	return notify_new(&o, out, err);
}

/* One line on stderr when a notification was sent, suppressed, failed
 * or would have been sent. */
static void replay_notify_report(notify *n, int execute)
{
	notify_stats st;

	notify_get_stats(n, &st);
	if (st.delivered + st.failed + st.suppressed + st.not_sent == 0)
		return;
	if (execute)
		fprintf(stderr, "kpigate replay: notifications: %llu delivered, %llu failed "
				"(%llu attempts), %llu drift alert(s) suppressed by the cooldown\n",
			(unsigned long long)st.delivered, (unsigned long long)st.failed,
			(unsigned long long)st.attempts, (unsigned long long)st.suppressed);
	else
		fprintf(stderr, "kpigate replay: notifications: %llu not sent (no --execute; "
				"audited as not_sent), %llu drift alert(s) suppressed by the cooldown\n",
			(unsigned long long)st.not_sent, (unsigned long long)st.suppressed);
}

/* --execute: an action runner over the given outbox or a temporary one;
 * outcomes (borrowed until the runner stops) collects how they end;
 * notifier (borrowed, outlives the runner) hears of failed actions. */
static int replay_start_actions(const replay_args *a, audit_log *audit,
				json_t *outcomes, notify *notifier, action_runner **out,
				char **tmp_outbox, kpg_err *err)
{
	action_runner_options o;
	const char *dir = a->outbox;

	if (dir == NULL) {
		const char *tmp = getenv("TMPDIR");
		size_t len = strlen(tmp && *tmp ? tmp : "/tmp") + 32;

		*tmp_outbox = malloc(len);
		if (*tmp_outbox == NULL) {
			kpg_err_set(err, "out of memory");
			return KPG_ENOMEM;
		}
		snprintf(*tmp_outbox, len, "%s/kpigate-outbox.XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (mkdtemp(*tmp_outbox) == NULL) {
			kpg_err_set(err, "cannot create a temporary outbox: %s", strerror(errno));
			return KPG_EIO;
		}
		dir = *tmp_outbox;
	}
	if (aws_creds_no_core_dumps() != 0)
		fprintf(stderr, "kpigate replay: warning: core dumps could not be turned off\n");
	memset(&o, 0, sizeof(o));
	o.outbox_dir = dir;
	o.audit = audit;
	o.on_record = notify_action_record; /* action_failed, execution_finished */
	o.record_opaque = notifier;
	o.deadline_s = a->action_deadline_s;
	o.poll_ms = 1000; /* a replay waits for its triggers: retry briskly */
	o.follow = 0;     /* a replay does not wait for pipelines to finish */
	o.on_outcome = replay_outcome;
	o.outcome_opaque = outcomes;
	return action_runner_start(out, &o, err);
}

/* The temporary outbox is empty once everything was delivered. */
static void replay_remove_outbox(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* 1 when dir holds a trigger (TOKEN.json) still to deliver. */
static int replay_outbox_holds_triggers(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	while (d != NULL && !found && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		found = n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
	}
	if (d != NULL)
		closedir(d);
	return found;
}

int cmd_replay(int argc, char **argv)
{
	replay_args a;
	policy **pols = NULL;
	pipeline pl;
	audit_log *audit = NULL;
	FILE *rejects = NULL;
	file_list caps = {0}, gts = {0};
	s3_source s3 = {0};
	json_t *inputs = NULL;
	kpg_err err = {""};
	action_runner *runner = NULL;
	notify *notifier = NULL;
	char *tmp_outbox = NULL;
	replay_rejects *rej = NULL;
	json_t *outcomes = NULL; /* with --execute: key -> how its delivery ended */
	int rc, exit_code = KPG_EXIT_TROUBLE, pl_ready = 0, actions_failed = 0;

	memset(&a, 0, sizeof(a));
	a.action_deadline_s = 300;
	a.max_reject_rate = REPLAY_DEFAULT_MAX_REJECT_RATE;
	a.action_wait_s = -1;
	rc = parse_args(argc, argv, &a);
	if (rc) {
		exit_code = rc < 0 ? KPG_EXIT_OK : rc;
		goto out;
	}
	pols = calloc(a.n_policies, sizeof(*pols));
	rej = calloc(1, sizeof(*rej));
	if (pols == NULL || rej == NULL) {
		fprintf(stderr, "kpigate replay: out of memory\n");
		goto out;
	}
	if (a.audit != NULL && audit_open(a.audit, &audit, &err) != 0) {
		fprintf(stderr, "kpigate replay: audit log %s: %s\n", a.audit, err.msg);
		goto out;
	}
	if (audit != NULL && err.msg[0]) /* a torn last line was repaired */
		fprintf(stderr, "kpigate replay: warning: %s\n", err.msg);
	if (policy_report_load_all(a.policies, a.n_policies, pols, audit, stderr) != 0)
		goto out;
	if (a.rejects != NULL && (rejects = fopen(a.rejects, "w")) == NULL) {
		fprintf(stderr, "kpigate replay: cannot write %s\n", a.rejects);
		goto out;
	}
	if (s3_paths_given(&a) && aws_creds_no_core_dumps() != 0)
		fprintf(stderr, "kpigate replay: warning: core dumps could not be turned off\n");
	if (file_list_expand_remote(a.captures, a.n_captures, "s3://", s3_source_expand,
				    &s3, &caps, &err) != 0 ||
	    (a.n_gts && file_list_expand_remote(a.gts, a.n_gts, "s3://", s3_source_expand,
						&s3, &gts, &err) != 0)) {
		fprintf(stderr, "kpigate replay: %s\n", err.msg);
		goto out;
	}
	pipeline_options po = {.max_line_bytes = a.max_line,
			       .join_max_entries = a.join_max,
			       .join_max_age_ms = a.join_max_age_ms,
			       .max_time_skew_ms = a.max_skew_ms};
	if (pipeline_init(&pl, pols, a.n_policies, &po, audit, rejects, &err) != 0) {
		fprintf(stderr, "kpigate replay: %s\n", err.msg);
		goto out;
	}
	pl_ready = 1;
	if (a.deployments != NULL && pipeline_load_deployments(&pl, a.deployments, &err) != 0) {
		fprintf(stderr, "kpigate replay: %s\n", err.msg);
		goto out;
	}
	inputs = replay_inputs_json(&caps, &gts, &pl);
	if (inputs == NULL) {
		fprintf(stderr, "kpigate replay: out of memory\n");
		goto out;
	}
	replay_inputs_warn(stderr, inputs);
	if (a.execute && (outcomes = json_object()) == NULL)
		goto out;
	if (replay_start_notify(&a, audit, &notifier, &err) != 0) {
		fprintf(stderr, "kpigate replay: %s\n", err.msg);
		goto out;
	}
	if (a.execute && replay_start_actions(&a, audit, outcomes, notifier, &runner, &tmp_outbox,
					      &err) != 0) {
		fprintf(stderr, "kpigate replay: %s\n", err.msg);
		goto out;
	}
	action_hook_actor(runner, &pl.actor);
	notify_pipeline_notifier(notifier, &pl.notifier);
	rc = replay_files(&pl, &s3, &caps, &gts, rej, &err);
	if (s3.list_requests || s3.get_requests)
		fprintf(stderr, "kpigate replay: s3: %zu ListObjectsV2 and %zu GetObject request(s)\n",
			s3.list_requests, s3.get_requests);
	if (rc != 0 ||
	    (a.decide_pending && pipeline_finish(&pl, &err) != 0)) {
		fprintf(stderr, "kpigate replay: %s\n", err.msg);
		goto out;
	}
	if (runner != NULL) {
		int64_t wait_s = a.action_wait_s >= 0 ? a.action_wait_s : a.action_deadline_s;
		int left = action_runner_stop(runner, (int)(wait_s * 1000));

		runner = NULL;
		action_hook_actor(NULL, &pl.actor);
		if (left > 0) {
			fprintf(stderr, "kpigate replay: %d retraining trigger(s) did not start "
					"an execution; undelivered ones stay in %s (see the audit "
					"log's action_result records)\n",
				left, a.outbox ? a.outbox : tmp_outbox);
			actions_failed = 1;
		}
		/* failed and expired triggers are gone from it: a temporary
		 * outbox with nothing left to deliver is not kept */
		if (tmp_outbox != NULL && !replay_outbox_holds_triggers(tmp_outbox))
			replay_remove_outbox(tmp_outbox);
	}
	replay_notify_report(notifier, a.execute);
	if (audit != NULL && audit_run_summary(&pl, outcomes, audit, &err) != 0) {
		fprintf(stderr, "kpigate replay: audit log: %s\n", err.msg);
		goto out;
	}
	if (a.json) {
		json_t *rep = replay_report_json(&pl, outcomes, a.audit, audit);

		json_object_update(rep, inputs);
		json_dumpf(rep, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
		fputc('\n', stdout);
		json_decref(rep);
	} else {
		replay_report_print(stdout, &pl, outcomes, a.audit, audit);
		replay_inputs_print(stdout, inputs);
	}
	exit_code = replay_verdict(&pl, rej, a.max_reject_rate, stderr);
	if (actions_failed)
		exit_code = KPG_EXIT_TROUBLE;
out:
	if (runner != NULL)
		action_runner_stop(runner, 0);
	json_decref(outcomes); /* after the runner: it writes there */
	free(tmp_outbox);
	if (pl_ready)
		pipeline_free(&pl);
	notify_free(notifier); /* after the pipeline that told it */
	if (pols != NULL)
		for (size_t i = 0; i < a.n_policies; i++)
			policy_free(pols[i]);
	free(pols);
	file_list_free(&caps);
	file_list_free(&gts);
	s3_source_close(&s3);
	json_decref(inputs);
	if (rejects != NULL && fclose(rejects) != 0) {
		fprintf(stderr, "kpigate replay: writing %s failed\n", a.rejects);
		exit_code = KPG_EXIT_TROUBLE;
	}
	if (audit != NULL)
		audit_close(audit);
	free(a.policies);
	free(a.captures);
	free(a.gts);
	free(rej);
	return exit_code;
}
