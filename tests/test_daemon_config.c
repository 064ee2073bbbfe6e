/* test_daemon_config.c - the daemon's configuration loader: every
 * key's default, values as written, range and type errors, unknown keys
 * with suggestions, missing required keys at their object's brace,
 * KPIGATE_* environment overrides (good and bad, librdkafka properties),
 * several errors in one file, and the policy_dir listing. Each test works
 * in its own temporary folder with a clean KPIGATE_* environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "config_keys.h"
#include "jsonv_fixture.h"
#include "policy_dir.h"

#define DATA KPG_TEST_DATA_DIR "/config/"
#define EXAMPLE KPG_TEST_DATA_DIR "/../../policies/examples/churn-dry-run.json"

extern char **environ;

/* ---- fixtures ----------------------------------------------------- */

typedef struct fx {
	char dir[64];
} fx;

static void clear_kpigate_env(void)
{
	char names[64][256];
	size_t n = 0;

	for (char **e = environ; e && *e && n < 64; e++) {
		const char *eq = strchr(*e, '=');

		if (eq && strncmp(*e, "KPIGATE_", 8) == 0 &&
		    (size_t)(eq - *e) < sizeof(names[0]))
			snprintf(names[n++], sizeof(names[0]), "%.*s",
				 (int)(eq - *e), *e);
	}
	for (size_t i = 0; i < n; i++)
		unsetenv(names[i]);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void copy_file(const char *from, const char *to)
{
	char buf[8192];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* A folder with policies/ (the churn example), logs/ and state/. */
static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char p[256];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/kpg-config-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/policies", f->dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/logs", f->dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/state", f->dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/policies/churn.json", f->dir);
	copy_file(EXAMPLE, p);
	clear_kpigate_env();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char cmd[128];

	clear_kpigate_env();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void fx_path(const fx *f, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", f->dir, name);
}

/* Writes text as f->dir/kpigate.json and loads it. */
static int load_text(const fx *f, const char *text, config **cfg,
		     config_diags *d, kpg_err *err)
{
	char path[256];

	fx_path(f, "kpigate.json", path, sizeof(path));
	write_text(path, text);
	kpg_err_clear(err);
	return config_load(path, cfg, d, err);
}

static void print_diags(const config_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("  %d:%d [%s] %s\n", d->items[i].line,
			      d->items[i].column, d->items[i].origin,
			      d->items[i].message);
}

static config *load_ok(const fx *f, const char *text)
{
	config_diags d = {0};
	config *cfg = NULL;
	kpg_err err;
	int rc = load_text(f, text, &cfg, &d, &err);

	if (rc != 0) {
		print_diags(&d);
		print_message("  %s\n", err.msg);
	}
	assert_int_equal(rc, 0);
	assert_non_null(cfg);
	assert_int_equal(d.n, 0);
	config_diags_free(&d);
	return cfg;
}

typedef struct want_diag {
	int line, column;   /* 0, 0 with origin for the environment */
	const char *origin; /* NULL: from the file */
	const char *substr;
} want_diag;

/* Asserts the load fails with exactly these diagnostics. */
static void expect_diags_path(const char *path, const want_diag *wants, size_t n)
{
	config_diags d = {0};
	config *cfg = NULL;
	kpg_err err;
	int rc;

	kpg_err_clear(&err);
	rc = config_load(path, &cfg, &d, &err);
	print_diags(&d);
	if (rc != KPG_EINVAL || d.n != n)
		config_diags_free(&d);
	assert_int_equal(rc, KPG_EINVAL);
	assert_null(cfg);
	assert_non_null(strstr(err.msg, "error"));
	assert_int_equal(d.n, n);
	for (size_t w = 0; w < n; w++) {
		size_t i;

		for (i = 0; i < d.n; i++) {
			const config_diag *g = &d.items[i];

			if (g->line == wants[w].line && g->column == wants[w].column &&
			    strcmp(g->origin, wants[w].origin ? wants[w].origin : "") == 0 &&
			    strstr(g->message, wants[w].substr) != NULL)
				break;
		}
		if (i == d.n) {
			config_diags_free(&d);
			fail_msg("no diagnostic %d:%d [%s] containing \"%s\"",
				 wants[w].line, wants[w].column,
				 wants[w].origin ? wants[w].origin : "", wants[w].substr);
		}
	}
	config_diags_free(&d);
}

static void expect_diags(const fx *f, const char *text, const want_diag *wants,
			 size_t n)
{
	char path[256];

	fx_path(f, "kpigate.json", path, sizeof(path));
	write_text(path, text);
	expect_diags_path(path, wants, n);
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The three required kafka keys and the three paths, on lines 2 to 5. */
#define KAFKA_REQ "\"bootstrap_servers\": \"localhost:9092\", \"group_id\": \"g\", \"capture_topic\": \"capture\""
#define PATHS_REQ "\"policy_dir\": \"policies\", \"audit_log\": \"logs/audit.jsonl\", \"state_dir\": \"state\""

/* ---- defaults and values ------------------------------------------ */

static void test_defaults(void **state)
{
	fx *f = *state;
	char want[256];
	config *cfg = load_ok(f, "{\n  \"kafka\": {" KAFKA_REQ "},\n  " PATHS_REQ "\n}\n");
	const kpg_jsonv_key *keys;
	size_t n;

	assert_string_equal(cfg->bootstrap_servers, "localhost:9092");
	assert_string_equal(cfg->group_id, "g");
	assert_string_equal(cfg->capture_topic, "capture");
	assert_null(cfg->ground_truth_topic);
	assert_null(cfg->dead_letter_topic);
	assert_int_equal(cfg->n_properties, 0);
	assert_null(cfg->aws_region);
	assert_null(cfg->route_header);
	/* every default the table states, none restated here */
	keys = config_keys(&n);
	assert_int_equal(fx_assert_table_defaults(keys, n, cfg, NULL), 17);
	/* http.listen's default, split */
	assert_true(strncmp(cfg->http_listen, cfg->http_host,
			    strlen(cfg->http_host)) == 0);
	assert_int_equal(cfg->http_port,
			 atoi(strrchr(cfg->http_listen, ':') + 1));
	/* paths are relative to the file's folder */
	snprintf(want, sizeof(want), "%s/policies", f->dir);
	assert_string_equal(cfg->policy_dir, want);
	snprintf(want, sizeof(want), "%s/logs/audit.jsonl", f->dir);
	assert_string_equal(cfg->audit_log, want);
	snprintf(want, sizeof(want), "%s/state", f->dir);
	assert_string_equal(cfg->state_dir, want);
	assert_int_equal(cfg->n_policy_files, 1);
	snprintf(want, sizeof(want), "%s/policies/churn.json", f->dir);
	assert_string_equal(cfg->policy_files[0], want);
	config_free(cfg);
}

static void test_values_as_written(void **state)
{
	fx *f = *state;
	config *cfg;

	cfg = load_ok(f,
		      "{\n"
		      "  \"kafka\": {\"bootstrap_servers\": \"SSL://b-1.msk:9094,[::1]:9093,b-3\",\n"
		      "    \"group_id\": \"kpigate prod\", \"capture_topic\": \"cap\",\n"
		      "    \"ground_truth_topic\": \"gt\", \"dead_letter_topic\": \"dlq\",\n"
		      "    \"properties\": {\"security.protocol\": \"SSL\", \"session.timeout.ms\": 45000,\n"
		      "                   \"enable.auto.commit\": true, \"auto.offset.reset\": \"earliest\",\n"
		      "                   \"enable.auto.offset.store\": false},\n"
		      "    \"batch_size\": 1e5, \"poll_timeout_ms\": 10000, \"max_task_idle_ms\": 0,\n"
		      "    \"routing\": {\"key\": false, \"header\": \"endpoint\"}},\n"
		      "  " PATHS_REQ ",\n"
		      "  \"checkpoint_interval_seconds\": 3600, \"shutdown_timeout_seconds\": 300,\n"
		      "  \"http\": {\"listen\": \"[::1]:8080\"}, \"log_level\": \"debug\",\n"
		      "  \"join\": {\"max_entries\": 50000000, \"max_age_hours\": 0.5},\n"
		      "  \"aws\": {\"region\": \"eu-west-1\", \"sagemaker_endpoint\": \"https://vpce-1.sagemaker\",\n"
		      "          \"sfn_endpoint\": null, \"ca_bundle\": \"/etc/ssl/ca.pem\", \"max_attempts\": 20,\n"
		      "          \"delivery_deadline_seconds\": 600, \"poll_seconds\": 5}\n"
		      "}\n");
	assert_string_equal(cfg->bootstrap_servers, "SSL://b-1.msk:9094,[::1]:9093,b-3");
	assert_string_equal(cfg->group_id, "kpigate prod");
	assert_string_equal(cfg->ground_truth_topic, "gt");
	assert_string_equal(cfg->dead_letter_topic, "dlq");
	assert_int_equal(cfg->n_properties, 5);
	assert_string_equal(cfg->properties[0].name, "security.protocol");
	assert_string_equal(config_property_get(cfg, "security.protocol"), "SSL");
	assert_string_equal(config_property_get(cfg, "session.timeout.ms"), "45000");
	assert_string_equal(config_property_get(cfg, "enable.auto.commit"), "true");
	assert_string_equal(config_property_get(cfg, "auto.offset.reset"), "earliest");
	assert_string_equal(config_property_get(cfg, "enable.auto.offset.store"), "false");
	assert_null(config_property_get(cfg, "client.id"));
	assert_int_equal(cfg->batch_size, 100000);
	assert_int_equal(cfg->poll_timeout_ms, 10000);
	assert_int_equal(cfg->max_task_idle_ms, 0);
	assert_string_equal(cfg->aws_region, "eu-west-1");
	assert_string_equal(cfg->aws_sagemaker_endpoint, "https://vpce-1.sagemaker");
	assert_null(cfg->aws_sfn_endpoint);
	assert_string_equal(cfg->aws_ca_bundle, "/etc/ssl/ca.pem");
	assert_int_equal(cfg->aws_max_attempts, 20);
	assert_int_equal(cfg->aws_deadline_s, 600);
	assert_int_equal(cfg->aws_poll_s, 5);
	assert_int_equal(cfg->route_by_key, 0);
	assert_string_equal(cfg->route_header, "endpoint");
	assert_int_equal(cfg->checkpoint_interval_s, 3600);
	assert_int_equal(cfg->shutdown_timeout_s, 300);
	assert_string_equal(cfg->http_host, "::1");
	assert_int_equal(cfg->http_port, 8080);
	assert_int_equal(cfg->log_level, KPG_LOG_DEBUG);
	assert_int_equal(cfg->join_max_entries, 50000000);
	assert_int_equal(cfg->join_max_age_ms, 1800 * 1000);
	config_free(cfg);
}

/* Nullable keys may be written as null, meaning not set. */
static void test_nulls_and_absolute_paths(void **state)
{
	fx *f = *state;
	char text[1024], want[256];
	config *cfg;

	snprintf(text, sizeof(text),
		 "{\"kafka\": {" KAFKA_REQ ", \"ground_truth_topic\": null,"
		 " \"dead_letter_topic\": null, \"routing\": {\"header\": null}},"
		 " \"policy_dir\": \"%s/policies\", \"audit_log\": \"logs/a.jsonl\","
		 " \"state_dir\": \"new-state\"}",
		 f->dir);
	cfg = load_ok(f, text);
	assert_null(cfg->ground_truth_topic);
	assert_null(cfg->dead_letter_topic);
	assert_null(cfg->route_header);
	snprintf(want, sizeof(want), "%s/policies", f->dir);
	assert_string_equal(cfg->policy_dir, want);
	/* state_dir need not exist yet: the daemon creates it */
	snprintf(want, sizeof(want), "%s/new-state", f->dir);
	assert_string_equal(cfg->state_dir, want);
	config_free(cfg);
}

/* ---- errors ------------------------------------------------------- */

static void test_range_errors(void **state)
{
	fx *f = *state;
	static const want_diag w[] = {
		{3, 19, NULL, "kafka.batch_size must be an integer from 1 to 100000, got 100001"},
		{3, 46, NULL, "kafka.poll_timeout_ms must be an integer from 1 to 10000, got 0"},
		{4, 34, NULL, "checkpoint_interval_seconds must be an integer from 1 to 3600, got 0"},
		{5, 31, NULL, "shutdown_timeout_seconds must be an integer from 1 to 300, got 301"},
		{6, 27, NULL, "join.max_entries must be an integer from 1 to 50000000, got 50000001"},
		{6, 54, NULL, "join.max_age_hours must be in (0, 8784], got 8785"},
		{7, 22, NULL, "http.listen \"127.0.0.1:65536\" is not host:port: the port must be a number"},
		{8, 33, NULL, "aws.sagemaker_endpoint must be an http:// or https:// URL, got \"sagemaker.local\""},
		{8, 68, NULL, "aws.max_attempts must be an integer from 1 to 20, got 0"},
		{8, 100, NULL, "aws.delivery_deadline_seconds must be an integer from 60 to 604800, got 59"},
	};

	expect_diags(f,
		     "{\n"
		     "  \"kafka\": {" KAFKA_REQ ",\n"
		     "    \"batch_size\": 100001, \"poll_timeout_ms\": 0},\n"
		     "  \"checkpoint_interval_seconds\": 0,\n"
		     "  \"shutdown_timeout_seconds\": 301,\n"
		     "  \"join\": {\"max_entries\": 50000001, \"max_age_hours\": 8785},\n"
		     "  \"http\": {\"listen\": \"127.0.0.1:65536\"},\n"
		     "  \"aws\": {\"sagemaker_endpoint\": \"sagemaker.local\", \"max_attempts\": 0, \"delivery_deadline_seconds\": 59},\n"
		     "  " PATHS_REQ "\n"
		     "}\n",
		     w, N_OF(w));
}

static void test_type_errors(void **state)
{
	fx *f = *state;
	static const want_diag w[] = {
		{2, 34, NULL, "kafka.bootstrap_servers must be a string, got an array"},
		{2, 55, NULL, "kafka.group_id must be a string, got an integer"},
		{2, 75, NULL, "kafka.capture_topic must not be empty"},
		{3, 19, NULL, "kafka.batch_size must be a whole number, got 10.5"},
		{3, 47, NULL, "kafka.ground_truth_topic must be a string or null, got a boolean"},
		{3, 64, NULL, "kafka.routing must be an object, got a string"},
		{4, 19, NULL, "kafka.properties must be an object of librdkafka properties, got an array"},
		{5, 16, NULL, "log_level must be a string, got null"},
		{5, 48, NULL, "join.max_age_hours must be a number, got a string"},
		{6, 17, NULL, "policy_dir must be a string, got an object"},
	};

	expect_diags(f,
		     "{\n"
		     "  \"kafka\": {\"bootstrap_servers\": [\"a:1\"], \"group_id\": 5, \"capture_topic\": \"\",\n"
		     "    \"batch_size\": 10.5, \"ground_truth_topic\": true, \"routing\": \"key\",\n"
		     "    \"properties\": [\"security.protocol=SSL\"]},\n"
		     "  \"log_level\": null, \"join\": {\"max_age_hours\": \"48\"},\n"
		     "  \"policy_dir\": {}, \"audit_log\": \"logs/a.jsonl\", \"state_dir\": \"state\"\n"
		     "}\n",
		     w, N_OF(w));
}

static void test_unknown_keys_suggest(void **state)
{
	fx *f = *state;
	static const want_diag w[] = {
		{3, 5, NULL, "unknown key \"captur_topic\" in kafka; did you mean \"capture_topic\"?"},
		{4, 17, NULL, "unknown key \"hedaer\" in kafka.routing; did you mean \"header\"?"},
		{5, 20, NULL, "unknown librdkafka property \"securty.protocol\"; did you mean \"security.protocol\"?"},
		{6, 3, NULL, "unknown key \"policy_dirs\" in the configuration; did you mean \"policy_dir\"?"},
		{6, 23, NULL, "unknown key \"zzz\" in the configuration"},
	};

	expect_diags(f,
		     "{\n"
		     "  \"kafka\": {" KAFKA_REQ ",\n"
		     "    \"captur_topic\": \"x\",\n"
		     "    \"routing\": {\"hedaer\": \"endpoint\"},\n"
		     "    \"properties\": {\"securty.protocol\": \"SSL\"}},\n"
		     "  \"policy_dirs\": \"p\", \"zzz\": 1,\n"
		     "  " PATHS_REQ "\n"
		     "}\n",
		     w, N_OF(w));
}

static void test_missing_required_at_brace(void **state)
{
	fx *f = *state;
	static const want_diag w[] = {
		{1, 1, NULL, "missing required key \"audit_log\" (or set KPIGATE_AUDIT_LOG)"},
		{3, 12, NULL, "missing required key \"bootstrap_servers\" in kafka (or set KPIGATE_KAFKA_BOOTSTRAP_SERVERS)"},
		{3, 12, NULL, "missing required key \"capture_topic\" in kafka (or set KPIGATE_KAFKA_CAPTURE_TOPIC)"},
	};

	expect_diags(f,
		     "{\n"
		     "  \"policy_dir\": \"policies\", \"state_dir\": \"state\",\n"
		     "  \"kafka\": {\"group_id\": \"g\"}\n"
		     "}\n",
		     w, N_OF(w));
}

/* Without a kafka object, its keys are missing at the root's brace. */
static void test_missing_kafka_object(void **state)
{
	fx *f = *state;
	static const want_diag w[] = {
		{1, 1, NULL, "missing required key \"bootstrap_servers\" in kafka"},
		{1, 1, NULL, "missing required key \"group_id\" in kafka"},
		{1, 1, NULL, "missing required key \"capture_topic\" in kafka"},
	};

	expect_diags(f, "{" PATHS_REQ "}\n", w, N_OF(w));
}

/* source.type "s3": its keys, no Kafka connection keys needed or taken */
static void test_s3_source(void **state)
{
	fx *f = *state;
	config *cfg = load_ok(f, "{\n  \"source\": {\"type\": \"s3\", \"capture\": \"s3://b/dc/ep\",\n"
				 "  \"ground_truth\": \"s3://b/gt/\", \"lookback_hours\": 6},\n"
				 "  \"kafka\": {\"max_time_skew_seconds\": 0},\n  " PATHS_REQ "\n}\n");
	static const want_diag w[] = {
		{2, 22, NULL, "source.type \"s3\" requires source.capture"},
		{2, 44, NULL, "source.ground_truth must be an s3://BUCKET/PREFIX URL, got \"gt/\""},
		{3, 34, NULL, "kafka.bootstrap_servers is not read with source.type \"s3\""},
		{3, 53, NULL, "kafka.group_id is not read with source.type \"s3\""},
	};
	static const want_diag w2[] = {
		{3, 25, NULL, "source.capture and source.ground_truth need source.type \"s3\""},
	};

	assert_int_equal(cfg->source_type, CONFIG_SOURCE_S3);
	assert_string_equal(cfg->s3_capture, "s3://b/dc/ep");
	assert_string_equal(cfg->s3_ground_truth, "s3://b/gt/");
	assert_int_equal(cfg->s3_poll_s, 60);
	assert_int_equal(cfg->s3_lookback_h, 6);
	assert_int_equal(cfg->max_time_skew_ms, 0);
	assert_null(cfg->bootstrap_servers);
	config_free(cfg);
	expect_diags(f, "{\n  \"source\": {\"type\": \"s3\", \"ground_truth\": \"gt/\"},\n"
			"  \"kafka\": {\"bootstrap_servers\": \"x:1\", \"group_id\": \"g\"},\n  " PATHS_REQ "\n}\n",
		     w, N_OF(w));
	expect_diags(f, "{\n  \"kafka\": {" KAFKA_REQ "},\n  \"source\": {\"capture\": \"s3://b/c\"},\n  " PATHS_REQ "\n}\n",
		     w2, N_OF(w2));
}

static void test_property_rules(void **state)
{
	fx *f = *state;
	static const want_diag w[] = {
		{3, 20, NULL, "librdkafka property \"group.id\" is set by kpigate; set kafka.group_id instead"},
		{3, 37, NULL, "\"bootstrap.servers\" is set by kpigate; set kafka.bootstrap_servers instead"},
		{4, 48, NULL, "\"enable.auto.offset.store\" must be false"},
		{5, 41, NULL, "librdkafka property \"security.protocol\": Invalid value \"TLS\""},
		{5, 69, NULL, "librdkafka property \"fetch.wait.max.ms\" must be a string, number or boolean, got an object"},
	};

	expect_diags(f,
		     "{\n"
		     "  \"kafka\": {" KAFKA_REQ ",\n"
		     "    \"properties\": {\"group.id\": \"x\", \"bootstrap.servers\": \"y:1\",\n"
		     "                   \"enable.auto.offset.store\": true,\n"
		     "                   \"security.protocol\": \"TLS\", \"fetch.wait.max.ms\": {}}},\n"
		     "  " PATHS_REQ "\n"
		     "}\n",
		     w, N_OF(w));
}

static void test_value_formats(void **state)
{
	fx *f = *state;
	static const want_diag w[] = {
		{2, 34, NULL, "entry 2 (\"\") is not host:port"},
		{2, 76, NULL, "kafka.capture_topic \"a/b\" is not a Kafka topic name"},
		{3, 22, NULL, "http.listen \"::1:80\" is not host:port: an IPv6 address must be written in brackets"},
		{4, 16, NULL, "log_level must be error, warn, info or debug, got \"warning\""},
	};

	expect_diags(f,
		     "{\n"
		     "  \"kafka\": {\"bootstrap_servers\": \"a:1,\", \"group_id\": \"g\", \"capture_topic\": \"a/b\"},\n"
		     "  \"http\": {\"listen\": \"::1:80\"},\n"
		     "  \"log_level\": \"warning\",\n"
		     "  " PATHS_REQ "\n"
		     "}\n",
		     w, N_OF(w));
}

/* aws.region names an AWS region, in the file and in the environment */
static void test_aws_region(void **state)
{
	fx *f = *state;
	static const want_diag w[] = {
		{3, 21, NULL, "aws.region \"mars-1\" is not an AWS region like us-east-1"},
		{0, 0, "KPIGATE_AWS_REGION", "aws.region \"eu_west_1\" is not an AWS region like us-east-1"},
	};
	config *cfg;

	cfg = load_ok(f, "{\"kafka\": {" KAFKA_REQ "}, " PATHS_REQ ",\n"
			 " \"aws\": {\"region\": \"ap-southeast-2\"}}\n");
	assert_string_equal(cfg->aws_region, "ap-southeast-2");
	config_free(cfg);
	setenv("KPIGATE_AWS_REGION", "eu_west_1", 1);
	expect_diags(f,
		     "{\n"
		     "  \"kafka\": {" KAFKA_REQ "}, " PATHS_REQ ",\n"
		     "  \"aws\": {\"region\": \"mars-1\"}\n"
		     "}\n",
		     w, N_OF(w));
	unsetenv("KPIGATE_AWS_REGION");
}

static void test_cross_checks(void **state)
{
	fx *f = *state;
	char p[256];
	static const want_diag w[] = {
		{2, 119, NULL, "kafka.ground_truth_topic must differ from kafka.capture_topic"},
		{2, 151, NULL, "kafka.dead_letter_topic must differ from the topics read"},
		{3, 22, NULL, "kafka.poll_timeout_ms (2000) must be shorter than shutdown_timeout_seconds (1 s)"},
		{3, 47, NULL, "kafka.routing uses neither the message key nor a header"},
	};

	/* a second policy: routing by nothing cannot tell them apart */
	fx_path(f, "policies/fraud.json", p, sizeof(p));
	copy_file(KPG_TEST_DATA_DIR "/../../policies/examples/fraud-step-functions.json", p);
	expect_diags(f,
		     "{\n"
		     "  \"kafka\": {" KAFKA_REQ ", \"ground_truth_topic\": \"capture\", \"dead_letter_topic\": \"capture\",\n"
		     "  \"poll_timeout_ms\": 2000, \"routing\": {\"key\": false}},\n"
		     "  \"shutdown_timeout_seconds\": 1,\n"
		     "  " PATHS_REQ "\n"
		     "}\n",
		     w, N_OF(w));
}

/* labels join only when ground-truth partition N sits with capture
 * partition N: the range assignor, nothing else */
static void test_assignor_with_ground_truth(void **state)
{
	fx *f = *state;
	static const want_diag w[] = {
		{2, 119, NULL, "with kafka.ground_truth_topic, librdkafka property \"partition.assignment.strategy\" must be \"range\" (it is \"cooperative-sticky\"): only the range assignor keeps ground-truth partition N with capture partition N, where its predictions wait"},
	};
	config *cfg;
	static const char ok[] =
		"{\n"
		"  \"kafka\": {" KAFKA_REQ ", \"ground_truth_topic\": \"gt\",\n"
		"  \"properties\": {\"partition.assignment.strategy\": \"range,roundrobin\"}},\n"
		"  " PATHS_REQ "\n"
		"}\n";

	expect_diags(f,
		     "{\n"
		     "  \"kafka\": {" KAFKA_REQ ", \"ground_truth_topic\": \"gt\",\n"
		     "  \"properties\": {\"partition.assignment.strategy\": \"cooperative-sticky\"}},\n"
		     "  " PATHS_REQ "\n"
		     "}\n",
		     w, N_OF(w));
	cfg = load_ok(f, ok); /* librdkafka's default starts with range */
	config_free(cfg);
}

static void test_filesystem_checks(void **state)
{
	fx *f = *state;
	char p[256];
	static const want_diag w[] = {
		{2, 112, NULL, "/nowhere\": No such file or directory"},
		{2, 136, NULL, "/no/audit.jsonl\": its folder"},
		{2, 167, NULL, "/a-file\" is not a folder"},
	};

	fx_path(f, "a-file", p, sizeof(p));
	write_text(p, "x");
	expect_diags(f,
		     "{\n"
		     "  \"kafka\": {" KAFKA_REQ "}, \"policy_dir\": \"nowhere\", \"audit_log\": \"no/audit.jsonl\", \"state_dir\": \"a-file\"\n"
		     "}\n",
		     w, N_OF(w));
}

static void test_empty_policy_dir(void **state)
{
	fx *f = *state;
	char p[256];
	static const want_diag w[] = {
		{1, 111, NULL, "/empty\" holds no *.json policy file"},
	};

	/* a hidden file and a non-JSON one do not count */
	fx_path(f, "empty", p, sizeof(p));
	mkdir(p, 0755);
	fx_path(f, "empty/.hidden.json", p, sizeof(p));
	copy_file(EXAMPLE, p);
	fx_path(f, "empty/README.md", p, sizeof(p));
	write_text(p, "policies go here\n");
	expect_diags(f,
		     "{\"kafka\": {" KAFKA_REQ "}, \"policy_dir\": \"empty\", \"audit_log\": \"logs/a\", \"state_dir\": \"state\"}\n",
		     w, N_OF(w));
}

static void test_syntax_and_root(void **state)
{
	fx *f = *state;
	static const want_diag syntax[] = {{3, 3, NULL, "'}' expected"}};
	static const want_diag root[] = {{1, 1, NULL, "a configuration file is one JSON object, got an array"}};
	static const want_diag dup[] = {{1, 33, NULL, "duplicate object key"}};

	expect_diags(f, "{\n  \"policy_dir\": \"p\"\n\"x\": 1}\n", syntax, N_OF(syntax));
	expect_diags(f, "[1, 2]\n", root, N_OF(root));
	expect_diags(f, "{\"log_level\": \"info\", \"log_level\": \"debug\"}", dup, N_OF(dup));
}

static void test_unreadable(void **state)
{
	config_diags d = {0};
	config *cfg = NULL;
	kpg_err err;

	(void)state;
	kpg_err_clear(&err);
	assert_int_equal(config_load("/nonexistent/kpigate.json", &cfg, &d, &err),
			 KPG_EIO);
	assert_null(cfg);
	assert_int_equal(d.n, 0);
	assert_true(err.msg[0] != '\0');
}

/* tests/data/config/bad_many.json: every error in one pass, in order. */
static void test_many_errors_one_file(void **state)
{
	static const want_diag w[] = {
		{2, 12, NULL, "missing required key \"group_id\" in kafka"},
		{3, 26, NULL, "entry 1 (\"broker-1:99999\") is not host:port"},
		{4, 22, NULL, "kafka.capture_topic \"capture topic\" is not a Kafka topic name"},
		{5, 48, NULL, "\"enable.auto.offset.store\" must be false"},
		{5, 54, NULL, "unknown librdkafka property \"securty.protocol\"; did you mean \"security.protocol\"?"},
		{5, 81, NULL, "\"group.id\" is set by kpigate"},
		{5, 119, NULL, "librdkafka property \"fetch.wait.max.ms\": Invalid value"},
		{5, 154, NULL, "\"socket.keepalive.enable\" must be a string, number or boolean, got null"},
		{6, 19, NULL, "kafka.batch_size must be an integer from 1 to 100000, got 0"},
		{7, 5, NULL, "unknown key \"pol_timeout_ms\" in kafka; did you mean \"poll_timeout_ms\"?"},
		{8, 24, NULL, "kafka.routing.key must be true or false, got a string"},
		{11, 16, NULL, "its folder"},
		{12, 16, NULL, "state_dir must be a string, got an integer"},
		{13, 34, NULL, "checkpoint_interval_seconds must be an integer from 1 to 3600, got 3601"},
		{14, 22, NULL, "no port (expected host:port)"},
		{15, 16, NULL, "log_level must be error, warn, info or debug, got \"verbose\""},
		{16, 31, NULL, "shutdown_timeout_seconds must be a whole number, got 2.5"},
		{17, 47, NULL, "join.max_age_hours must be in (0, 8784], got 0"},
	};
	config_diags d = {0};
	config *cfg = NULL;
	kpg_err err;

	(void)state;
	expect_diags_path(DATA "bad_many.json", w, N_OF(w));
	/* reported in file order */
	kpg_err_clear(&err);
	assert_int_equal(config_load(DATA "bad_many.json", &cfg, &d, &err), KPG_EINVAL);
	for (size_t i = 1; i < d.n; i++)
		assert_true(d.items[i - 1].line < d.items[i].line ||
			    (d.items[i - 1].line == d.items[i].line &&
			     d.items[i - 1].column < d.items[i].column));
	assert_string_equal(err.msg, DATA "bad_many.json: 18 errors");
	config_diags_free(&d);
}

/* The bundled good files load. */
static void test_data_good_files(void **state)
{
	config_diags d = {0};
	config *cfg = NULL;
	kpg_err err;

	(void)state;
	kpg_err_clear(&err);
	assert_int_equal(config_load(DATA "good.json", &cfg, &d, &err), 0);
	assert_string_equal(cfg->route_header, "endpoint");
	/* policy_dir "../../../policies/examples", relative to the file */
	assert_int_equal(cfg->n_policy_files, 3);
	assert_non_null(strstr(cfg->policy_files[0],
			       "/config/../../../policies/examples/churn-dry-run.json"));
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(config_load(DATA "minimal.json", &cfg, &d, &err), 0);
	assert_int_equal(d.n, 0);
	config_free(cfg);
}

/* ---- environment -------------------------------------------------- */

static void test_env_overrides(void **state)
{
	fx *f = *state;
	config *cfg;

	setenv("KPIGATE_KAFKA_BOOTSTRAP_SERVERS", "b-1:9096,b-2:9096", 1);
	setenv("KPIGATE_KAFKA_GROUP_ID", "env-group", 1);
	setenv("KPIGATE_KAFKA_CAPTURE_TOPIC", "env-capture", 1);
	setenv("KPIGATE_KAFKA_GROUND_TRUTH_TOPIC", "env-gt", 1);
	setenv("KPIGATE_HTTP_LISTEN", "0.0.0.0:9999", 1);
	setenv("KPIGATE_LOG_LEVEL", "warn", 1);
	setenv("KPIGATE_KAFKA_BATCH_SIZE", "42", 1);
	setenv("KPIGATE_KAFKA_ROUTING_KEY", "false", 1);
	setenv("KPIGATE_KAFKA_ROUTING_HEADER", "x-endpoint", 1);
	setenv("KPIGATE_JOIN_MAX_AGE_HOURS", "1.5", 1);
	setenv("KPIGATE_STATE_DIR", "rel-state", 1);
	setenv("KPIGATE_KAFKA_PROPERTY_SECURITY_PROTOCOL", "SASL_SSL", 1);
	setenv("KPIGATE_KAFKA_PROPERTY_SASL_MECHANISMS", "SCRAM-SHA-512", 1);
	/* the environment wins over the file, and supplies keys it lacks */
	cfg = load_ok(f,
		      "{\"kafka\": {\"group_id\": \"file-group\", \"capture_topic\": \"file-capture\","
		      " \"properties\": {\"security.protocol\": \"SSL\", \"client.id\": \"kpg\"}},"
		      " \"policy_dir\": \"policies\", \"audit_log\": \"logs/a\", \"state_dir\": \"state\","
		      " \"log_level\": \"debug\"}");
	assert_string_equal(cfg->bootstrap_servers, "b-1:9096,b-2:9096");
	assert_string_equal(cfg->group_id, "env-group");
	assert_string_equal(cfg->capture_topic, "env-capture");
	assert_string_equal(cfg->ground_truth_topic, "env-gt");
	assert_string_equal(cfg->http_host, "0.0.0.0");
	assert_int_equal(cfg->http_port, 9999);
	assert_int_equal(cfg->log_level, KPG_LOG_WARN);
	assert_int_equal(cfg->batch_size, 42);
	assert_int_equal(cfg->route_by_key, 0);
	assert_string_equal(cfg->route_header, "x-endpoint");
	assert_int_equal(cfg->join_max_age_ms, 5400 * 1000);
	/* an environment path is relative to the working directory */
	assert_string_equal(cfg->state_dir, "rel-state");
	assert_int_equal(cfg->n_properties, 3);
	assert_string_equal(config_property_get(cfg, "security.protocol"), "SASL_SSL");
	assert_string_equal(config_property_get(cfg, "sasl.mechanisms"), "SCRAM-SHA-512");
	assert_string_equal(config_property_get(cfg, "client.id"), "kpg");
	config_free(cfg);
}

static void test_env_absolute_policy_dir(void **state)
{
	fx *f = *state;
	char p[256];
	config *cfg;

	fx_path(f, "policies", p, sizeof(p));
	setenv("KPIGATE_POLICY_DIR", p, 1);
	setenv("KPIGATE_AUDIT_LOG", "/tmp/kpigate-audit.jsonl", 1);
	cfg = load_ok(f, "{\"kafka\": {" KAFKA_REQ "}, \"state_dir\": \"state\"}");
	assert_string_equal(cfg->policy_dir, p);
	assert_string_equal(cfg->audit_log, "/tmp/kpigate-audit.jsonl");
	assert_int_equal(cfg->n_policy_files, 1);
	config_free(cfg);
}

static void test_env_errors(void **state)
{
	fx *f = *state;
	static const want_diag w[] = {
		{0, 0, "KPIGATE_CHECKPOINT_INTERVAL_SECONDS", "checkpoint_interval_seconds must be an integer from 1 to 3600, got 0"},
		{0, 0, "KPIGATE_HTTP_LISTEN", "http.listen is set but empty"},
		{0, 0, "KPIGATE_KAFKA_BATCH_SIZE", "kafka.batch_size must be an integer, got \"12abc\""},
		{0, 0, "KPIGATE_KAFKA_CAPTURE_TOPIC", "kafka.capture_topic \"no spaces\" is not a Kafka topic name"},
		{0, 0, "KPIGATE_KAFKA_GROUPID", "unknown kpigate environment variable; did you mean KPIGATE_KAFKA_GROUP_ID?"},
		{0, 0, "KPIGATE_KAFKA_PROPERTY_ENABLE_AUTO_OFFSET_STORE", "\"enable.auto.offset.store\" must be false"},
		{0, 0, "KPIGATE_KAFKA_PROPERTY_SECURTY_PROTOCOL", "unknown librdkafka property \"securty.protocol\"; did you mean \"security.protocol\"?"},
		{0, 0, "KPIGATE_KAFKA_ROUTING_KEY", "kafka.routing.key must be true or false, got \"yes\""},
		{0, 0, "KPIGATE_LOG_LEVEL", "got \"debg\"; did you mean \"debug\"?"},
		/* a file error is still reported when the environment overrides it */
		{1, 110, NULL, "kafka.batch_size must be an integer from 1 to 100000, got 0"},
	};

	setenv("KPIGATE_CHECKPOINT_INTERVAL_SECONDS", "0", 1);
	setenv("KPIGATE_HTTP_LISTEN", "", 1);
	setenv("KPIGATE_KAFKA_BATCH_SIZE", "12abc", 1);
	setenv("KPIGATE_KAFKA_CAPTURE_TOPIC", "no spaces", 1);
	setenv("KPIGATE_KAFKA_GROUPID", "typo", 1);
	setenv("KPIGATE_KAFKA_PROPERTY_ENABLE_AUTO_OFFSET_STORE", "true", 1);
	setenv("KPIGATE_KAFKA_PROPERTY_SECURTY_PROTOCOL", "SSL", 1);
	setenv("KPIGATE_KAFKA_ROUTING_KEY", "yes", 1);
	setenv("KPIGATE_LOG_LEVEL", "debg", 1);
	expect_diags(f,
		     "{\"kafka\": {" KAFKA_REQ ", \"batch_size\": 0}, " PATHS_REQ "}", w, N_OF(w));
}

/* ---- policy_dir listing ------------------------------------------- */

static void test_list_policies(void **state)
{
	fx *f = *state;
	char p[256], dir[256], want[300];
	char **files = NULL;
	size_t n = 0;
	kpg_err err;

	fx_path(f, "policies", dir, sizeof(dir));
	fx_path(f, "policies/a.json", p, sizeof(p));
	copy_file(EXAMPLE, p);
	fx_path(f, "policies/notes.txt", p, sizeof(p));
	write_text(p, "x");
	fx_path(f, "policies/.swap.json", p, sizeof(p));
	write_text(p, "{}");
	fx_path(f, "policies/sub.json", p, sizeof(p));
	mkdir(p, 0755);
	fx_path(f, "policies/link.json", p, sizeof(p));
	assert_int_equal(symlink(EXAMPLE, p), 0);
	kpg_err_clear(&err);
	assert_int_equal(policy_dir_list(dir, &files, &n, &err), 0);
	assert_int_equal(n, 3);
	snprintf(want, sizeof(want), "%s/a.json", dir);
	assert_string_equal(files[0], want);
	snprintf(want, sizeof(want), "%s/churn.json", dir);
	assert_string_equal(files[1], want);
	snprintf(want, sizeof(want), "%s/link.json", dir);
	assert_string_equal(files[2], want);
	policy_dir_files_free(files, n);
	assert_int_equal(policy_dir_list("/nonexistent", &files, &n, &err),
			 KPG_EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values_as_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nulls_and_absolute_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_keys_suggest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_required_at_brace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_kafka_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_s3_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_property_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_value_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aws_region, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assignor_with_ground_truth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filesystem_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_policy_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_and_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_errors_one_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_good_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_overrides, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_absolute_policy_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_policies, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
