/* config.c - loads the daemon's configuration file: every key checked,
 * stored and defaulted from its row in config_keys.c (kpg_jsonv), every
 * error reported at its line:column or naming its environment variable;
 * librdkafka properties in config_props.c; then the rules across keys and
 * the file system. Keys: docs/configuration.md. */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_check.h"
#include "config_keys.h"
#include "config_props.h"
#include "kpg_file.h"
#include "kpg_jsonv.h"
#include "kpg_suggest.h"
#include "policy_dir.h"
#include "policy_notify.h"

extern char **environ;

#define CONFIG_ENV_NAMES 64 /* scalar keys, at most */

/* KPIGATE_* variables that configure nothing are typos. */
static void check_unknown_env(kpg_jsonv *v)
{
	char known[CONFIG_ENV_NAMES][KPG_JSONV_ENV_MAX];
	const char *ptrs[CONFIG_ENV_NAMES];
	size_t n = 0;

	for (size_t i = 0; i < v->n_keys && n < CONFIG_ENV_NAMES; i++) {
		if (!kpg_jsonv_has_env(v->keys, v->n_keys, &v->keys[i]))
			continue;
		kpg_jsonv_env_name(CONFIG_ENV_PREFIX, v->keys[i].path, known[n],
				   sizeof(known[n]));
		ptrs[n] = known[n];
		n++;
	}
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '='), *hint;
		char name[KPG_JSONV_ENV_MAX];
		kpg_jsonv_at at = {"", name};
		size_t i;

		if (eq == NULL ||
		    strncmp(*e, CONFIG_ENV_PREFIX, strlen(CONFIG_ENV_PREFIX)) != 0 ||
		    strncmp(*e, CONFIG_ENV_PROPERTY_PREFIX,
			    strlen(CONFIG_ENV_PROPERTY_PREFIX)) == 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - *e), *e);
		for (i = 0; i < n; i++)
			if (strcmp(name, known[i]) == 0)
				break;
		if (i < n)
			continue;
		hint = kpg_suggest(name, ptrs, n);
		kpg_jsonv_report(v, &at, 0, "unknown kpigate environment variable%s%s%s",
				 hint ? "; did you mean " : "", hint ? hint : "",
				 hint ? "?" : "");
	}
}

/* ---- checks across keys, and the file system ---------------------- */

/* 1 when the file or the environment sets the key at path. */
static int is_set(const kpg_jsonv *v, json_t *root, const char *path)
{
	char env[KPG_JSONV_ENV_MAX];
	kpg_jsonv_at at;

	kpg_jsonv_where(v, path, &at, env);
	return at.env != NULL || kpg_jsonv_get(root, path) != NULL;
}

static void check_topics(kpg_jsonv *v, json_t *root, const config *cfg)
{
	if (cfg->capture_topic && cfg->ground_truth_topic &&
	    strcmp(cfg->capture_topic, cfg->ground_truth_topic) == 0)
		kpg_jsonv_report_key(v, "kafka.ground_truth_topic",
				     "kafka.ground_truth_topic must differ from kafka.capture_topic");
	if (cfg->dead_letter_topic &&
	    ((cfg->capture_topic &&
	      strcmp(cfg->dead_letter_topic, cfg->capture_topic) == 0) ||
	     (cfg->ground_truth_topic &&
	      strcmp(cfg->dead_letter_topic, cfg->ground_truth_topic) == 0)))
		kpg_jsonv_report_key(v, "kafka.dead_letter_topic",
				     "kafka.dead_letter_topic must differ from the topics read");
	/* a label must reach the replica holding its prediction: only the
	 * range assignor gives capture partition N and ground-truth partition
	 * N (same key, same partition count) to the same member */
	if (cfg->ground_truth_topic) {
		const char *s = config_property_get(cfg, "partition.assignment.strategy");

		if (s != NULL && strncmp(s, "range", 5) != 0)
			kpg_jsonv_report_key(v, "kafka.ground_truth_topic",
					     "with kafka.ground_truth_topic, librdkafka property \"partition.assignment.strategy\" must be \"range\" (it is \"%s\"): only the range assignor keeps ground-truth partition N with capture partition N, where its predictions wait",
					     s);
	}
	if ((unsigned long long)cfg->poll_timeout_ms >=
	    (unsigned long long)cfg->shutdown_timeout_s * 1000ULL)
		kpg_jsonv_report_key(v, is_set(v, root, "kafka.poll_timeout_ms") ? "kafka.poll_timeout_ms" : "shutdown_timeout_seconds",
				     "kafka.poll_timeout_ms (%u) must be shorter than shutdown_timeout_seconds (%u s)",
				     cfg->poll_timeout_ms, cfg->shutdown_timeout_s);
}

/* Each source's required keys; the other source's keys are refused, so
 * a file never reads as configuring what it does not. */
static void check_source(kpg_jsonv *v, json_t *root, config *cfg)
{
	static const char *const kafka_req[] = {"bootstrap_servers", "group_id",
						"capture_topic"};
	json_t *kafka = json_object_get(root, "kafka");

	if (cfg->source_type == CONFIG_SOURCE_S3) {
		if (cfg->s3_capture == NULL)
			kpg_jsonv_report_key(v, "source.type",
					     "source.type \"s3\" requires source.capture (s3://BUCKET/PREFIX)");
		/* kafka.max_time_skew_seconds still applies (to the hours) */
		for (size_t i = 0; i < sizeof(kafka_req) / sizeof(kafka_req[0]); i++) {
			char path[64];

			snprintf(path, sizeof(path), "kafka.%s", kafka_req[i]);
			if (is_set(v, root, path))
				kpg_jsonv_report_key(v, path,
						     "%s is not read with source.type \"s3\": remove it",
						     path);
		}
		return;
	}
	/* the table's REQUIRED, for the kafka source only */
	for (size_t i = 0; i < sizeof(kafka_req) / sizeof(kafka_req[0]); i++) {
		char path[64], env[KPG_JSONV_ENV_MAX];

		snprintf(path, sizeof(path), "kafka.%s", kafka_req[i]);
		if ((kafka != NULL && !json_is_object(kafka)) || is_set(v, root, path))
			continue;
		kpg_jsonv_env_name(CONFIG_ENV_PREFIX, path, env, sizeof(env));
		kpg_jsonv_error(v, "kafka", 0, "missing required key \"%s\" in kafka (or set %s)",
				kafka_req[i], env);
	}
	if (cfg->s3_capture != NULL || cfg->s3_ground_truth != NULL)
		kpg_jsonv_report_key(v, cfg->s3_capture ? "source.capture" : "source.ground_truth",
				     "source.capture and source.ground_truth need source.type \"s3\"");
}

static void check_paths(kpg_jsonv *v, config *cfg)
{
	struct stat st;
	char *parent;
	kpg_err err;
	int rc;

	if (cfg->policy_dir != NULL) {
		const char *w = "policy_dir";

		if (stat(cfg->policy_dir, &st) != 0) {
			kpg_jsonv_report_key(v, w, "policy_dir \"%s\": %s", cfg->policy_dir,
					     strerror(errno));
		} else if (!S_ISDIR(st.st_mode)) {
			kpg_jsonv_report_key(v, w, "policy_dir \"%s\" is not a folder",
					     cfg->policy_dir);
		} else {
			kpg_err_clear(&err);
			rc = policy_dir_list(cfg->policy_dir, &cfg->policy_files,
					     &cfg->n_policy_files, &err);
			if (rc == KPG_ENOMEM)
				v->nomem = 1;
			else if (rc != 0)
				kpg_jsonv_report_key(v, w, "policy_dir \"%s\": %s", cfg->policy_dir,
						     err.msg);
			else if (cfg->n_policy_files == 0)
				kpg_jsonv_report_key(v, w, "policy_dir \"%s\" holds no *.json policy file",
						     cfg->policy_dir);
		}
	}
	if (cfg->audit_log != NULL) {
		const char *w = "audit_log";

		if (stat(cfg->audit_log, &st) == 0 && S_ISDIR(st.st_mode))
			kpg_jsonv_report_key(v, w, "audit_log \"%s\" is a folder; name a file",
					     cfg->audit_log);
		parent = kpg_dir_of(cfg->audit_log);
		if (parent == NULL)
			v->nomem = 1;
		else if (parent[0] != '\0' &&
			 (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)))
			kpg_jsonv_report_key(v, w, "audit_log \"%s\": its folder \"%s\" does not exist",
					     cfg->audit_log, parent);
		free(parent);
	}
	if (cfg->state_dir != NULL) {
		const char *w = "state_dir";

		if (stat(cfg->state_dir, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				kpg_jsonv_report_key(v, w, "state_dir \"%s\" is not a folder",
						     cfg->state_dir);
		} else if ((parent = kpg_dir_of(cfg->state_dir)) == NULL) {
			v->nomem = 1;
		} else {
			/* the daemon creates state_dir itself, not its parents */
			if (parent[0] != '\0' &&
			    (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)))
				kpg_jsonv_report_key(v, w, "state_dir \"%s\" cannot be created: \"%s\" does not exist",
						     cfg->state_dir, parent);
			free(parent);
		}
		if (cfg->policy_dir && strcmp(cfg->state_dir, cfg->policy_dir) == 0)
			kpg_jsonv_report_key(v, w, "state_dir must not be policy_dir");
	}
	if (!cfg->route_by_key && cfg->route_header == NULL &&
	    cfg->n_policy_files > 1) {
		kpg_jsonv_report_key(v, "kafka.routing.key", "kafka.routing uses neither the message key nor a header, so every record goes to one policy, but policy_dir holds %zu",
				     cfg->n_policy_files);
	}
}

static void split_listen(kpg_jsonv *v, config *cfg)
{
	char host[256];
	unsigned port;

	if (config_parse_hostport(cfg->http_listen, strlen(cfg->http_listen), 0,
				  host, sizeof(host), &port) != NULL)
		return; /* already reported */
	cfg->http_port = port;
	free(cfg->http_host);
	if ((cfg->http_host = strdup(host)) == NULL)
		v->nomem = 1;
}

/* ---- entry points ------------------------------------------------- */

int config_load(const char *path, config **out, config_diags *diags,
		kpg_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = kpg_read_file(path, CONFIG_FILE_MAX, "configuration file", &text, &len, err);
	if (rc == KPG_ETOOBIG)
		return kpg_jsonv_file_error(diags, path, err);
	if (rc)
		return rc;
	rc = config_load_buffer(path, text, len, out, diags, err);
	free(text);
	return rc;
}

int config_load_buffer(const char *path, const char *text, size_t len,
		       config **out, config_diags *diags, kpg_err *err)
{
	json_locate *loc = NULL;
	json_t *root = NULL;
	config *cfg = NULL;
	char *dir = NULL;
	kpg_jsonv v;
	size_t n;
	const kpg_jsonv_key *keys = config_keys(&n);
	int rc = 0;

	*out = NULL;
	kpg_jsonv_init(&v, keys, n, "the configuration", diags);
	v.env_prefix = CONFIG_ENV_PREFIX;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		goto nomem;
	v.base = cfg;
	if (kpg_jsonv_defaults(&v) != 0 ||
	    (cfg->source_path = strdup(path)) == NULL ||
	    (dir = kpg_dir_of(path)) == NULL)
		goto nomem;
	v.dir = dir;
	rc = kpg_jsonv_parse(&v, text, len, &root, &loc, err);
	if (rc == KPG_ENOMEM)
		goto nomem;
	if (rc)
		goto finish;
	if (!json_is_object(root)) {
		kpg_jsonv_error_pos(&v, 1, 1, "a configuration file is one JSON object, got %s",
				    kpg_jsonv_kind(root));
		goto finish;
	}
	kpg_jsonv_walk(&v, root);
	config_load_properties(&v, root, cfg);
	policy_notify_load(&v, root, &cfg->notify);
	check_unknown_env(&v);
	if (v.nomem)
		goto nomem;
	split_listen(&v, cfg);
	check_source(&v, root, cfg);
	check_topics(&v, root, cfg);
	check_paths(&v, cfg);
	if (v.nomem)
		goto nomem;
finish:
	rc = kpg_jsonv_finish(&v, path, err);
	if (rc == 0) {
		*out = cfg;
		cfg = NULL;
	}
done:
	config_free(cfg);
	json_locate_free(loc);
	json_decref(root);
	free(dir);
	return rc;
nomem:
	kpg_err_set(err, "%s: out of memory", path);
	rc = KPG_ENOMEM;
	goto done;
}

void config_free(config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->source_path);
	free(cfg->s3_capture);
	free(cfg->s3_ground_truth);
	free(cfg->aws_s3_endpoint);
	json_decref(cfg->notify);
	free(cfg->bootstrap_servers);
	free(cfg->group_id);
	free(cfg->capture_topic);
	free(cfg->ground_truth_topic);
	free(cfg->dead_letter_topic);
	for (size_t i = 0; i < cfg->n_properties; i++) {
		free(cfg->properties[i].name);
		free(cfg->properties[i].value);
	}
	free(cfg->properties);
	free(cfg->route_header);
	free(cfg->policy_dir);
	policy_dir_files_free(cfg->policy_files, cfg->n_policy_files);
	free(cfg->audit_log);
	free(cfg->state_dir);
	free(cfg->deployments_file);
	free(cfg->aws_region);
	free(cfg->aws_sagemaker_endpoint);
	free(cfg->aws_sfn_endpoint);
	free(cfg->aws_ca_bundle);
	free(cfg->http_listen);
	free(cfg->http_host);
	free(cfg);
}

void config_diags_free(config_diags *d)
{
	if (d != NULL)
		kpg_diags_free(d);
}

void config_report_diags(FILE *out, const char *path, const config_diags *d,
			 const kpg_err *err)
{
	kpg_diags_print(out, path, d, err);
}

const char *config_property_get(const config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_properties; i++)
		if (strcmp(cfg->properties[i].name, name) == 0)
			return cfg->properties[i].value;
	return NULL;
}
