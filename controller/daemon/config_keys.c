/* config_keys.c - the configuration file's table: one row per key
 * (config_keys.h). Rules a row cannot say are the check callbacks below;
 * rules across keys and the file system are in config.c. */
#include "config_keys.h"

#include <ctype.h>
#include <string.h>

#include "aws_names.h"
#include "config.h"
#include "config_check.h"

#define PATH_MAX_BYTES 4096
#define NAME_MAX_BYTES 255          /* group id, header name, URLs */
#define TOPIC_MAX_BYTES 249         /* Kafka's own limit */
#define SERVERS_MAX_BYTES 8192

_Static_assert(sizeof(kpg_log_level) == sizeof(int), "CHOICE stores an int");

static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};

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

static int check_region(kpg_jsonv *v, const kpg_jsonv_key *k,
			const kpg_jsonv_at *at, json_t *value)
{
	(void)k;
	if (aws_names_is_region(json_string_value(value)))
		return 0;
	kpg_jsonv_report(v, at, 0, "%s \"%s\" is not an AWS region like us-east-1",
			 at->path, json_string_value(value));
	return -1;
}

/* ---- the table ---------------------------------------------------- */

#define AT(field) .offset = offsetof(config, field)
#define REQ KPG_JSONV_REQUIRED
#define NUL KPG_JSONV_NULLABLE

static const kpg_jsonv_key keys[] = {
	{.path = "kafka", .type = KPG_JSONV_OBJECT,
	 .doc = "Where captured traffic and ground truth are read."},
	{.path = "kafka.bootstrap_servers", .type = KPG_JSONV_STRING,
	 .flags = REQ, .max_len = SERVERS_MAX_BYTES, .store = KPG_JSONV_STR,
	 AT(bootstrap_servers), .check = check_servers,
	 .doc = "Brokers: comma-separated `host[:port]`, each optionally with a protocol prefix such as `SSL://`."},
	{.path = "kafka.group_id", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = NAME_MAX_BYTES, .store = KPG_JSONV_STR, AT(group_id),
	 .doc = "Consumer group; replicas with the same group share the partitions."},
	{.path = "kafka.capture_topic", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = TOPIC_MAX_BYTES, .store = KPG_JSONV_STR, AT(capture_topic),
	 .check = check_topic,
	 .doc = "Topic of captured inference records (docs/capture-format.md)."},
	{.path = "kafka.ground_truth_topic", .type = KPG_JSONV_STRING,
	 .flags = NUL, .max_len = TOPIC_MAX_BYTES, .store = KPG_JSONV_STR,
	 AT(ground_truth_topic), .check = check_topic,
	 .doc = "Topic of ground-truth labels, joined to predictions by event id; null: no ground truth."},
	{.path = "kafka.dead_letter_topic", .type = KPG_JSONV_STRING,
	 .flags = NUL, .max_len = TOPIC_MAX_BYTES, .store = KPG_JSONV_STR,
	 AT(dead_letter_topic), .check = check_topic,
	 .doc = "Topic that receives records that cannot be decoded; null: they are only counted."},
	{.path = "kafka.properties", .type = KPG_JSONV_MAP,
	 .max_len = CONFIG_MAX_PROPERTIES,
	 .doc = "librdkafka consumer properties, passed as they are."},
	{.path = "kafka.properties.NAME", .type = KPG_JSONV_STRING,
	 .max_len = 65536,
	 .doc = "librdkafka property NAME; numbers and booleans are passed as their text. Checked by librdkafka itself."},
	{.path = "kafka.batch_size", .type = KPG_JSONV_INT, .min = 1,
	 .max = 100000, .def = "1000", .store = KPG_JSONV_UINT, AT(batch_size),
	 .doc = "Records taken from librdkafka per poll."},
	{.path = "kafka.poll_timeout_ms", .type = KPG_JSONV_INT, .min = 1,
	 .max = 10000, .def = "100", .store = KPG_JSONV_UINT,
	 AT(poll_timeout_ms),
	 .doc = "Longest wait for records in one poll; shorter than `shutdown_timeout_seconds`."},
	{.path = "kafka.max_task_idle_ms", .type = KPG_JSONV_INT, .min = 0,
	 .max = 3600000, .def = "30000", .store = KPG_JSONV_UINT,
	 AT(max_task_idle_ms),
	 .doc = "How long a partition's records wait for the other topic's same partition before they go on alone."},
	{.path = "kafka.routing", .type = KPG_JSONV_OBJECT,
	 .doc = "How a record finds its policy."},
	{.path = "kafka.routing.key", .type = KPG_JSONV_BOOL, .def = "true",
	 .store = KPG_JSONV_FLAG, AT(route_by_key),
	 .doc = "The message key is the endpoint name."},
	{.path = "kafka.routing.header", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = NAME_MAX_BYTES, .store = KPG_JSONV_STR, AT(route_header),
	 .doc = "A message header holding the endpoint name; null: no header routing."},

	{.path = "policy_dir", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = PATH_MAX_BYTES, .store = KPG_JSONV_PATH, AT(policy_dir),
	 .doc = "Folder of policy files (`*.json`, at least one)."},
	{.path = "audit_log", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = PATH_MAX_BYTES, .store = KPG_JSONV_PATH, AT(audit_log),
	 .doc = "The audit log (JSON lines, hash-chained); its folder must exist."},
	{.path = "state_dir", .type = KPG_JSONV_STRING, .flags = REQ,
	 .max_len = PATH_MAX_BYTES, .store = KPG_JSONV_PATH, AT(state_dir),
	 .doc = "Checkpoints; created when missing (its parent must exist)."},
	{.path = "checkpoint_interval_seconds", .type = KPG_JSONV_INT, .min = 1,
	 .max = 3600, .def = "10", .store = KPG_JSONV_UINT,
	 AT(checkpoint_interval_s),
	 .doc = "How often window state is checkpointed and offsets committed."},
	{.path = "http", .type = KPG_JSONV_OBJECT,
	 .doc = "The metrics and health endpoint."},
	{.path = "http.listen", .type = KPG_JSONV_STRING,
	 .max_len = NAME_MAX_BYTES, .def = "\"127.0.0.1:9464\"",
	 .store = KPG_JSONV_STR, AT(http_listen), .check = check_listen,
	 .doc = "`host:port` for `/metrics`, `/healthz` and `/readyz`; IPv6 in brackets; port 0 picks a free one."},
	{.path = "log_level", .type = KPG_JSONV_STRING,
	 .flags = KPG_JSONV_MUST_BE, .max_len = NAME_MAX_BYTES,
	 .choices = log_levels, .def = "\"info\"", .store = KPG_JSONV_CHOICE,
	 AT(log_level), .doc = "Least severe level logged (JSON lines on stderr)."},
	{.path = "shutdown_timeout_seconds", .type = KPG_JSONV_INT, .min = 1,
	 .max = 300, .def = "30", .store = KPG_JSONV_UINT,
	 AT(shutdown_timeout_s),
	 .doc = "How long a stopping daemon may take to finish its work."},
	{.path = "join", .type = KPG_JSONV_OBJECT,
	 .doc = "Predictions waiting for their ground-truth labels."},
	{.path = "join.max_entries", .type = KPG_JSONV_INT, .min = 1,
	 .max = 50000000, .def = "500000", .store = KPG_JSONV_SIZE,
	 AT(join_max_entries),
	 .doc = "Predictions kept waiting; the oldest go first past it."},
	{.path = "join.max_age_hours", .type = KPG_JSONV_NUMBER,
	 .flags = KPG_JSONV_MIN_OPEN, .min = 0, .max = 8784, .def = "336",
	 .store = KPG_JSONV_I64, AT(join_max_age_ms), .scale = 3600.0 * 1000,
	 .doc = "How long a prediction waits for its label (default 14 days)."},

	{.path = "aws", .type = KPG_JSONV_OBJECT,
	 .doc = "Retraining actions (docs/actions.md)."},
	{.path = "aws.region", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = 32, .store = KPG_JSONV_STR, AT(aws_region),
	 .check = check_region,
	 .doc = "AWS region of the calls; null: the policy's `action.region`, then `AWS_REGION`."},
	{.path = "aws.sagemaker_endpoint", .type = KPG_JSONV_STRING,
	 .flags = NUL, .max_len = NAME_MAX_BYTES, .store = KPG_JSONV_STR,
	 AT(aws_sagemaker_endpoint), .check = check_url,
	 .doc = "SageMaker endpoint URL (a VPC endpoint, a test double); null: the SDK's rules."},
	{.path = "aws.sfn_endpoint", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = NAME_MAX_BYTES, .store = KPG_JSONV_STR,
	 AT(aws_sfn_endpoint), .check = check_url,
	 .doc = "Step Functions endpoint URL; null: the SDK's rules."},
	{.path = "aws.ca_bundle", .type = KPG_JSONV_STRING, .flags = NUL,
	 .max_len = PATH_MAX_BYTES, .store = KPG_JSONV_PATH, AT(aws_ca_bundle),
	 .doc = "CA certificates for the AWS calls; null: `AWS_CA_BUNDLE`, then the system's."},
	{.path = "aws.max_attempts", .type = KPG_JSONV_INT, .min = 1, .max = 20,
	 .def = "8", .store = KPG_JSONV_UINT, AT(aws_max_attempts),
	 .doc = "Calls per delivery round of one retrain."},
	{.path = "aws.delivery_deadline_seconds", .type = KPG_JSONV_INT,
	 .min = 60, .max = 604800, .def = "86400", .store = KPG_JSONV_UINT,
	 AT(aws_deadline_s),
	 .doc = "How long a retrain keeps being retried before it is given up."},
	{.path = "aws.poll_seconds", .type = KPG_JSONV_INT, .min = 1,
	 .max = 3600, .def = "30", .store = KPG_JSONV_UINT, AT(aws_poll_s),
	 .doc = "Pace of retries and of following a started run."},
};

const kpg_jsonv_key *config_keys(size_t *n)
{
	*n = sizeof(keys) / sizeof(keys[0]);
	return keys;
}
