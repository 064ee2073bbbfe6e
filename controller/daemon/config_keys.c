/* config_keys.c - the configuration file's table: one row per key
 * (config_keys.h). Rules a row cannot say are the check callbacks below;
 * rules across keys and the file system are in config.c. */
#include "config_keys.h"

#include <ctype.h>
#include <string.h>

#include "aws_names_key.h"
#include "config.h"
#include "config_check.h"
#include "action_runner.h"
#include "aws_call.h"
#include "join.h"
#include "pipeline.h"
#include "policy_notify.h"

#define PATH_MAX_BYTES 4096
#define NAME_MAX_BYTES 255  /* group id, header name, URLs */
#define TOPIC_MAX_BYTES 249 /* Kafka's own limit */
#define SERVERS_MAX_BYTES 8192

_Static_assert(sizeof(kpg_log_level) == sizeof(int), "CHOICE stores an int");

static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const source_types[] = {"kafka", "s3", NULL};

/* ---- rules a row cannot say --------------------------------------- */

/* librdkafka's list: host[:port] entries separated by commas, each
 * optionally with a protocol prefix such as SSL://. */
static int check_servers(kpg_jsonv *v, const kpg_jsonv_key *k,
			 const kpg_jsonv_at *at, json_t *value)
{
	const char *p = json_string_value(value);
	size_t before = v->n_errors;
	int idx = 1;

	(void)k;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *scheme = NULL, *why;
		char host[256];
		unsigned port;

		for (size_t i = 0; i + 2 < len; i++)
			if (p[i] == ':' && p[i + 1] == '/' && p[i + 2] == '/') {
				scheme = p + i + 3;
				break;
			}
		if (scheme != NULL) {
			len -= (size_t)(scheme - p);
			p = scheme;
		}
		why = config_parse_hostport(p, len, 1, host, sizeof(host), &port);
		if (why != NULL)
			kpg_jsonv_report(v, at, 0, "%s entry %d (\"%.*s\") is not host:port: %s",
					 at->path, idx, (int)(len > 80 ? 80 : len),
					 p, why);
		if (end == NULL)
			break;
		p = end + 1;
		idx++;
	}
	return v->n_errors == before ? 0 : -1;
}

static int check_topic(kpg_jsonv *v, const kpg_jsonv_key *k,
		       const kpg_jsonv_at *at, json_t *value)
{
	const char *s = json_string_value(value);

	(void)k;
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		kpg_jsonv_report(v, at, 0, "%s cannot be \"%s\"", at->path, s);
		return -1;
	}
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_' &&
		    *c != '-') {
			kpg_jsonv_report(v, at, 0, "%s \"%s\" is not a Kafka topic name (letters, digits, '.', '_', '-')",
					 at->path, s);
			return -1;
		}
	return 0;
}

/* s3://BUCKET/PREFIX */
static int check_s3_url(kpg_jsonv *v, const kpg_jsonv_key *k,
			const kpg_jsonv_at *at, json_t *value)
{
	const char *s = json_string_value(value);

	(void)k;
	if (strncmp(s, "s3://", 5) == 0 && s[5] != '\0' && s[5] != '/')
		return 0;
	kpg_jsonv_report(v, at, 0, "%s must be an s3://BUCKET/PREFIX URL, got \"%s\"",
			 at->path, s);
	return -1;
}

static int check_listen(kpg_jsonv *v, const kpg_jsonv_key *k,
			const kpg_jsonv_at *at, json_t *value)
{
	const char *s = json_string_value(value), *why;
	char host[256];
	unsigned port;

	(void)k;
	why = config_parse_hostport(s, strlen(s), 0, host, sizeof(host), &port);
	if (why == NULL)
		return 0;
	kpg_jsonv_report(v, at, 0, "%s \"%s\" is not host:port: %s", at->path, s,
			 why);
	return -1;
}

static int check_url(kpg_jsonv *v, const kpg_jsonv_key *k,
		     const kpg_jsonv_at *at, json_t *value)
{
	const char *s = json_string_value(value);

	(void)k;
	if (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0)
		return 0;
	kpg_jsonv_report(v, at, 0, "%s must be an http:// or https:// URL, got \"%s\"",
			 at->path, s);
	return -1;
}

/* ---- the table ---------------------------------------------------- */

#define AT(field) .offset = offsetof(config, field)
#define REQ KPG_JSONV_REQUIRED
#define NUL KPG_JSONV_NULLABLE

/* One row per key, laid out by hand: clang-format would join each row
 * into one line. */
/* clang-format off */
static const kpg_jsonv_key keys[] = {
	{.path = "source", .type = KPG_JSONV_OBJECT,
	 .doc = "Where records come from: Kafka (the default, keys under `kafka`), or SageMaker's data-capture files in S3, polled ([s3.md](s3.md#the-daemon-polls-s3))."},
	{.path = "source.type", .type = KPG_JSONV_STRING,
	 .flags = KPG_JSONV_MUST_BE, .max_len = NAME_MAX_BYTES,
	 .choices = source_types, .def = "\"kafka\"", .store = KPG_JSONV_CHOICE,
	 AT(source_type), .doc = "`kafka` or `s3`."},
	{.path = "source.capture", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = 1100, .store = KPG_JSONV_STR, AT(s3_capture),
	 .check = check_s3_url,
	 .doc = "Required with `source.type` `s3`: the data-capture prefix, `s3://BUCKET/PREFIX` (the endpoint's `DestinationS3Uri`, or a folder under it), listed with the rules of `replay --capture s3://` ([s3.md](s3.md))."},
	{.path = "source.ground_truth", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = 1100, .store = KPG_JSONV_STR, AT(s3_ground_truth),
	 .check = check_s3_url,
	 .doc = "Ground-truth labels in S3 (`s3://BUCKET/PREFIX`, in the same yyyy/mm/dd/hh layout). null means no labels, and so no KPIs: every window is `hold`."},
	{.path = "source.poll_seconds", .type = KPG_JSONV_INT, .min = 1,
	 .max = 86400, .def = "60", .store = KPG_JSONV_UINT, AT(s3_poll_s),
	 .doc = "With `s3`: seconds between two listings of the prefixes (request cost: [s3.md](s3.md#request-cost))."},
	{.path = "source.lookback_hours", .type = KPG_JSONV_INT, .min = 0,
	 .max = 168, .def = "2", .store = KPG_JSONV_UINT, AT(s3_lookback_h),
	 .doc = "With `s3`: hour folders this far before the latest one processed are listed again, for objects SageMaker writes into an hour after later hours were listed; an object written into an hour older than that is not read ([s3.md](s3.md#late-objects))."},
	{.path = "kafka", .type = KPG_JSONV_OBJECT,
	 .doc = "Where captured traffic and ground truth are read."},
	{.path = "kafka.bootstrap_servers", .type = KPG_JSONV_STRING,
	 .max_len = SERVERS_MAX_BYTES, .store = KPG_JSONV_STR,
	 AT(bootstrap_servers), .check = check_servers,
	 .doc = "Required with `source.type` `kafka`. Brokers to start from (librdkafka `bootstrap.servers`): comma-separated `host[:port]`; an entry may have a `PROTOCOL://` prefix; IPv6 in brackets."},
	{.path = "kafka.group_id", .type = KPG_JSONV_STRING,
	 .max_len = NAME_MAX_BYTES, .store = KPG_JSONV_STR, AT(group_id),
	 .doc = "Required with `source.type` `kafka`. Consumer group. Replicas with the same group share the partitions."},
	{.path = "kafka.capture_topic", .type = KPG_JSONV_STRING,
	 .max_len = TOPIC_MAX_BYTES, .store = KPG_JSONV_STR, AT(capture_topic),
	 .check = check_topic,
	 .doc = "Required with `source.type` `kafka`. Topic with SageMaker data-capture records, one per message ([capture-format.md](capture-format.md)). A Kafka topic name: `A-Z a-z 0-9 . _ -`."},
	{.path = "kafka.ground_truth_topic", .type = KPG_JSONV_STRING,
	 .flags = NUL, .max_len = TOPIC_MAX_BYTES, .store = KPG_JSONV_STR,
	 AT(ground_truth_topic), .check = check_topic,
	 .doc = "Topic with ground-truth labels. null means no labels, and so no KPIs: every window is `hold`. Key labels by endpoint and give the topic as many partitions as the capture topic; it then requires the `range` assignor (librdkafka's default `partition.assignment.strategy`), see [operations.md](operations.md#work-split-by-partition)."},
	{.path = "kafka.dead_letter_topic", .type = KPG_JSONV_STRING,
	 .flags = NUL, .max_len = TOPIC_MAX_BYTES, .store = KPG_JSONV_STR,
	 AT(dead_letter_topic), .check = check_topic,
	 .doc = "Bad records are copied here, with the reject reason in a header. null means bad records are only counted. Either way they never block a partition."},
	{.path = "kafka.properties", .type = KPG_JSONV_MAP,
	 .max_len = CONFIG_MAX_PROPERTIES,
	 .doc = "librdkafka properties, passed through unchanged; also `KPIGATE_KAFKA_PROPERTY_<NAME>`. See [below](#librdkafka-properties)."},
	{.path = "kafka.properties.NAME", .type = KPG_JSONV_STRING,
	 .max_len = 65536,
	 .doc = "One librdkafka property; strings, numbers or booleans (≤ 64 KiB), checked by librdkafka itself."},
	{.path = "kafka.batch_size", .type = KPG_JSONV_INT, .min = 1,
	 .max = 100000, .def = "1000", .store = KPG_JSONV_UINT, AT(batch_size),
	 .doc = "At most this many records are decoded and windowed per batch."},
	{.path = "kafka.poll_timeout_ms", .type = KPG_JSONV_INT, .min = 1,
	 .max = 10000, .def = "100", .store = KPG_JSONV_UINT,
	 AT(poll_timeout_ms),
	 .doc = "How long one consume call waits for records. Less than `shutdown_timeout_seconds`."},
	{.path = "kafka.max_task_idle_ms", .type = KPG_JSONV_INT, .min = 0,
	 .max = 3600000, .def = "30000", .store = KPG_JSONV_UINT,
	 AT(max_task_idle_ms),
	 .doc = "With `ground_truth_topic`: how long records of one partition wait for the other topic's partition of the same number before they are applied in arrival order instead of timestamp order (docs/operations.md, \"Ground truth through Kafka\"). `0`: never wait (arrival order)."},
	{.path = "kafka.max_time_skew_seconds", .type = KPG_JSONV_INT, .min = 0,
	 .max = 31622400, .def = KPG_JSONV_DEF(PIPELINE_DEFAULT_SKEW_S),
	 .store = KPG_JSONV_I64, AT(max_time_skew_ms), .scale = 1000,
	 .doc = "A capture record whose inferenceTime is more than this far from its Kafka timestamp is rejected as `bad_time` (dead-lettered, counted) and never moves a window. `0`: not checked — for a backfill of old captures produced now."},
	{.path = "kafka.routing", .type = KPG_JSONV_OBJECT,
	 .doc = "How a record finds its policy."},
	{.path = "kafka.routing.key", .type = KPG_JSONV_BOOL, .def = "true",
	 .store = KPG_JSONV_FLAG, AT(route_by_key),
	 .doc = "The message key names the endpoint. See [Routing](#routing)."},
	{.path = "kafka.routing.header", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = NAME_MAX_BYTES, .store = KPG_JSONV_STR, AT(route_header),
	 .doc = "The name of a message header that holds the endpoint, for example `\"endpoint\"`."},

	{.path = "policy_dir", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = PATH_MAX_BYTES, .store = KPG_JSONV_PATH, AT(policy_dir),
	 .doc = "Every `*.json` file in it is a policy; it must exist and hold at least one. Hidden files (`.name.json`) and subfolders are skipped. Symbolic links are followed, so a Kubernetes ConfigMap works."},
	{.path = "audit_log", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = PATH_MAX_BYTES, .store = KPG_JSONV_PATH, AT(audit_log),
	 .doc = "Hash-chained audit log, appended to ([audit.md](audit.md)). Its folder must exist."},
	{.path = "state_dir", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = PATH_MAX_BYTES, .store = KPG_JSONV_PATH, AT(state_dir),
	 .doc = "Checkpoints of each partition's state (one folder per capture partition): open windows, the KPI join buffer, guard timers and the energy ledger. A folder, or a name whose parent folder exists: it is created if missing. It must not be `policy_dir`. Replicas of one group must share it ([operations.md](operations.md#scale-out))."},
	{.path = "deployments_file", .type = KPG_JSONV_STRING,
	 .max_len = PATH_MAX_BYTES, .store = KPG_JSONV_PATH, AT(deployments_file),
	 .doc = "JSON Lines of deployment signals, `{\"model\": NAME, \"time\": ISO 8601}`, appended by `kpigate model deployed`: a new model serves from that time, and relative KPI rules learn its baseline again ([policies.md](policies.md#relative-kpi-rules)). Read at start and whenever it grows; it need not exist yet."},
	{.path = "checkpoint_interval_seconds", .type = KPG_JSONV_INT, .min = 1,
	 .max = 3600, .def = "10", .store = KPG_JSONV_UINT,
	 AT(checkpoint_interval_s),
	 .doc = "How often state is checkpointed. It is also checkpointed on rebalance and on shutdown."},
	{.path = "http", .type = KPG_JSONV_OBJECT,
	 .doc = "The metrics and health endpoint."},
	{.path = "http.listen", .type = KPG_JSONV_STRING,
	 .max_len = NAME_MAX_BYTES, .def = "\"127.0.0.1:9464\"",
	 .store = KPG_JSONV_STR, AT(http_listen), .check = check_listen,
	 .doc = "Address of the metrics and health endpoint: `host:port`, port 0–65535 (0: any free port, logged at start — for tests); IPv6 as `[::1]:9464`; `0.0.0.0` for every interface."},
	{.path = "log_level", .type = KPG_JSONV_STRING,
	 .flags = KPG_JSONV_MUST_BE, .max_len = NAME_MAX_BYTES,
	 .choices = log_levels, .def = "\"info\"", .store = KPG_JSONV_CHOICE,
	 AT(log_level), .doc = "JSON-lines log on stderr."},
	{.path = "shutdown_timeout_seconds", .type = KPG_JSONV_INT, .min = 1,
	 .max = 300, .def = "30", .store = KPG_JSONV_UINT,
	 AT(shutdown_timeout_s),
	 .doc = "Time allowed after SIGTERM or SIGINT to finish in-flight work, commit and close."},
	{.path = "join", .type = KPG_JSONV_OBJECT,
	 .doc = "Predictions waiting for their ground-truth labels."},
	{.path = "join.max_entries", .type = KPG_JSONV_INT, .min = 1,
	 .max = 50000000, .def = KPG_JSONV_DEF(JOIN_DEFAULT_MAX_ENTRIES), .store = KPG_JSONV_SIZE,
	 AT(join_max_entries),
	 .doc = "Predictions and labels that wait for each other, at most. The same as `replay --join-max`."},
	{.path = "join.max_age_hours", .type = KPG_JSONV_NUMBER,
	 .flags = KPG_JSONV_MIN_OPEN, .min = 0, .max = 8784, .def = KPG_JSONV_DEF(JOIN_DEFAULT_MAX_AGE_HOURS),
	 .store = KPG_JSONV_I64, AT(join_max_age_ms), .scale = 3600.0 * 1000,
	 .doc = "How many hours of event time a prediction or label waits for its partner (default 14 days). The same as `replay --join-max-age`."},

	{.path = "aws", .type = KPG_JSONV_OBJECT,
	 .doc = "Retraining actions (docs/actions.md)."},
	{.path = "aws.region", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = 32, .store = KPG_JSONV_STR, AT(aws_region),
	 .check = aws_names_key_region,
	 .doc = "Region of the retraining actions when the policy has no `action.region` (an AWS region such as `eu-west-1`); then `AWS_REGION`, `AWS_DEFAULT_REGION` ([actions.md](actions.md#where-it-goes))."},
	{.path = "aws.sagemaker_endpoint", .type = KPG_JSONV_STRING,
	 .flags = NUL, .max_len = NAME_MAX_BYTES, .store = KPG_JSONV_STR,
	 AT(aws_sagemaker_endpoint), .check = check_url,
	 .doc = "SageMaker endpoint (VPC or FIPS endpoint), an `http://` or `https://` URL. `AWS_ENDPOINT_URL_SAGEMAKER` wins over it; it wins over `AWS_ENDPOINT_URL`."},
	{.path = "aws.sfn_endpoint", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = NAME_MAX_BYTES, .store = KPG_JSONV_STR,
	 AT(aws_sfn_endpoint), .check = check_url,
	 .doc = "Step Functions endpoint (`http://` or `https://` URL), likewise with `AWS_ENDPOINT_URL_SFN`."},
	{.path = "aws.s3_endpoint", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = NAME_MAX_BYTES, .store = KPG_JSONV_STR,
	 AT(aws_s3_endpoint), .check = check_url,
	 .doc = "S3 endpoint of `source.type` `s3` (an `http://` or `https://` URL, addressed path-style, for a VPC endpoint or an S3-compatible store). `AWS_ENDPOINT_URL_S3` wins over it; it wins over `AWS_ENDPOINT_URL` ([s3.md](s3.md#endpoint-region-credentials)). `aws.region` and `aws.ca_bundle` apply to S3 too."},
	{.path = "aws.ca_bundle", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = PATH_MAX_BYTES, .store = KPG_JSONV_PATH, AT(aws_ca_bundle),
	 .doc = "CA certificates for AWS TLS; null: `AWS_CA_BUNDLE`, else the system's. Verification is never off."},
	{.path = "aws.max_attempts", .type = KPG_JSONV_INT, .min = 1, .max = 20,
	 .def = KPG_JSONV_DEF(AWS_CALL_DEFAULT_ATTEMPTS), .store = KPG_JSONV_UINT, AT(aws_max_attempts),
	 .doc = "Calls per delivery round (throttling, 5xx, transport, TLS and credential errors are retried with a doubling backoff, docs/actions.md)."},
	{.path = "aws.delivery_deadline_seconds", .type = KPG_JSONV_INT,
	 .min = 60, .max = 604800, .def = KPG_JSONV_DEF(ACTION_RUNNER_DEFAULT_DEADLINE_S), .store = KPG_JSONV_UINT,
	 AT(aws_deadline_s),
	 .doc = "How long after its decision a trigger is retried (across restarts) before it is audited `expired`."},
	{.path = "aws.poll_seconds", .type = KPG_JSONV_INT, .min = 1,
	 .max = 3600, .def = KPG_JSONV_DEF(ACTION_RUNNER_DEFAULT_POLL_S), .store = KPG_JSONV_UINT, AT(aws_poll_s),
	 .doc = "Pace of following started executions to their end (a delivery that failed is tried again on its backoff, docs/actions.md)."},
	{.path = "notify", .type = KPG_JSONV_ARRAY, .flags = NUL,
	 .max_len = POLICY_MAX_NOTIFY,
	 .doc = "The default notification targets: used for every policy that has no `notify` list of its own (same entries, docs/notifications.md; `secret_file` relative to this file's folder)."},
	POLICY_NOTIFY_TARGET_ROWS,
};
/* clang-format on */

const kpg_jsonv_key *config_keys(size_t *n)
{
	*n = sizeof(keys) / sizeof(keys[0]);
	return keys;
}
