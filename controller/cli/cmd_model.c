/* cmd_model.c - "kpigate model deployed": the signal a retraining pipeline
 * (or a person) sends when a new model serves. It appends one line to the
 * deployments file that `kpigate run` (deployments_file) and
 * `kpigate replay --deployments` read; the relative KPI rules then learn
 * the model's baseline again from that time (docs/policies.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "kpg_time.h"
#include "pipeline_deploy.h"

static const char model_usage[] =
	"usage: kpigate model deployed --model NAME --file FILE [--at TIME]\n"
	"                              [--reference CSV]\n"
	"\n"
	"Records that a new model of NAME serves from TIME (ISO 8601 UTC; default\n"
	"now) by appending {\"model\": NAME, \"time\": TIME} to FILE (created if\n"
	"missing; the line is fsync'd). Give FILE to `kpigate run` as\n"
	"deployments_file, or to `kpigate replay --deployments`: from TIME on,\n"
	"relative KPI rules learn the model's baseline again. With --reference,\n"
	"the new model's training data (its absolute path is recorded) becomes\n"
	"the drift reference from TIME on.\n"
	"\n"
	"Exit: 0 recorded; 2 usage error or the file cannot be written.\n";

static int deployed(int argc, char **argv)
{
	static const struct option opts[] = {
		{"model", required_argument, NULL, 'm'},
		{"file", required_argument, NULL, 'f'},
		{"at", required_argument, NULL, 'a'},
		{"reference", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *model = NULL, *file = NULL, *at = NULL, *ref = NULL;
	char line[PIPELINE_DEPLOY_PATH_MAX + 512], when[40], name[PIPELINE_DEPLOY_MODEL_MAX];
	char refpath[PIPELINE_DEPLOY_PATH_MAX], abs[PATH_MAX];
	int64_t at_ms = kpg_time_now_ms(), check;
	kpg_err err;
	int c, fd, n;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': model = optarg; break;
		case 'f': file = optarg; break;
		case 'a': at = optarg; break;
		case 'r': ref = optarg; break;
		case 'h': fputs(model_usage, stdout); return KPG_EXIT_OK;
		default: fputs(model_usage, stderr); return KPG_EXIT_USAGE;
		}
	}
	if (model == NULL || file == NULL || optind < argc) {
		fputs(model_usage, stderr);
		return KPG_EXIT_USAGE;
	}
	if (at != NULL && kpg_time_parse_iso8601(at, strlen(at), &at_ms) != 0) {
		fprintf(stderr, "kpigate model deployed: --at \"%s\" is not an ISO 8601 time\n", at);
		return KPG_EXIT_USAGE;
	}
	if (ref != NULL && realpath(ref, abs) == NULL) {
		fprintf(stderr, "kpigate model deployed: --reference %s: %s\n", ref, strerror(errno));
		return KPG_EXIT_TROUBLE;
	}
	kpg_time_format_iso8601(at_ms, when, sizeof(when));
	if (ref != NULL)
		n = snprintf(line, sizeof(line),
			     "{\"model\": \"%s\", \"time\": \"%s\", \"reference\": \"%s\"}\n", model,
			     when, abs);
	else
		n = snprintf(line, sizeof(line), "{\"model\": \"%s\", \"time\": \"%s\"}\n", model,
			     when);
	/* the line is checked as the readers will parse it */
	if (n <= 0 || (size_t)n >= sizeof(line) || strpbrk(model, "\"\\") != NULL ||
	    (ref != NULL && strpbrk(abs, "\"\\") != NULL) ||
	    pipeline_parse_deployment(line, name, sizeof(name), &check, refpath,
				      sizeof(refpath), &err) != 0) {
		fprintf(stderr, "kpigate model deployed: model \"%s\" cannot be recorded\n", model);
		return KPG_EXIT_USAGE;
	}
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
		fprintf(stderr, "kpigate model deployed: %s: %s\n", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return KPG_EXIT_TROUBLE;
	}
	close(fd);
	printf("%s", line);
	return KPG_EXIT_OK;
}

int cmd_model(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "deployed") == 0)
		return deployed(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(model_usage, stdout);
		return KPG_EXIT_OK;
	}
	fputs(model_usage, stderr);
	return KPG_EXIT_USAGE;
}
