/* config.h - the daemon's configuration file (`kpigate run --config FILE`).
 *
 * One JSON object, validated completely before anything starts, like
 * ntpd.conf: every error is reported (not just the first), each at the
 * line:column of the offending key or value, or naming the environment
 * variable it came from. KPIGATE_<KEY> variables override scalar keys
 * (12-factor) and KPIGATE_KAFKA_PROPERTY_<NAME> sets a librdkafka property.
 * Loading reads the file, the environment and the file system (stat and
 * readdir only); it never opens Kafka or the network. Property names and
 * values are checked with rd_kafka_conf_set on a scratch configuration.
 * Keys, types, defaults, ranges: one table, config_keys.c (printed by
 * `kpigate config keys`, shown in docs/configuration.md). */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kpg_diag.h"
#include "kpg_error.h"
#include "kpg_log.h"

#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_MAX_PROPERTIES 256

/* A librdkafka property, passed verbatim to rd_kafka_conf_set. Booleans
 * are "true"/"false", numbers their decimal text. */
typedef struct config_property {
	char *name, *value; /* owned */
} config_property;

typedef enum config_source_type {
	CONFIG_SOURCE_KAFKA = 0,
	CONFIG_SOURCE_S3
} config_source_type;

typedef struct config {
	char *source_path; /* owned: the file it came from */

	/* source */
	config_source_type source_type; /* default kafka */
	char *s3_capture;               /* owned; required with s3 */
	char *s3_ground_truth;          /* owned; NULL = no ground truth */
	unsigned s3_poll_s;             /* default 60, 1..86400 */
	unsigned s3_lookback_h;         /* default 2, 0..168 */

	/* kafka */
	char *bootstrap_servers;  /* owned, required with kafka */
	char *group_id;           /* owned, required with kafka */
	char *capture_topic;      /* owned, required with kafka */
	char *ground_truth_topic; /* owned; NULL = no ground truth */
	char *dead_letter_topic;  /* owned; NULL = bad records only counted */
	config_property *properties;
	size_t n_properties;       /* owned; file order,
				      then environment (which replaces) */
	unsigned batch_size;       /* default 1000, 1..100000 */
	unsigned poll_timeout_ms;  /* default 100, 1..10000 */
	unsigned max_task_idle_ms; /* default 30000, 0..3600000: how long a
				      partition's records wait for the other
				      topic's same partition (task_merge.h) */
	int64_t max_time_skew_ms;  /* default 1 h; 0 = not checked: how far a
				      record's inferenceTime may be from its
				      Kafka timestamp (bad_time beyond) */
	int route_by_key;          /* default 1: message key = endpoint name */
	char *route_header;        /* owned; NULL = no header routing */

	/* paths: file values relative to the config file's folder, environment
	 * values relative to the working directory; stored resolved */
	char *policy_dir;    /* owned, required, an existing folder */
	char **policy_files; /* owned: its *.json files, sorted, >= 1 */
	size_t n_policy_files;
	char *audit_log;        /* owned, required; its folder exists */
	char *state_dir;        /* owned, required; it or its parent exists */
	char *deployments_file; /* owned; NULL = no deployment signals */

	unsigned checkpoint_interval_s; /* default 10, 1..3600 */
	char *http_listen;              /* owned, "host:port", default 127.0.0.1:9464 */
	char *http_host;                /* owned, without brackets for IPv6 */
	unsigned http_port;             /* 1..65535 */
	kpg_log_level log_level;        /* default info */
	unsigned shutdown_timeout_s;    /* default 30, 1..300 */
	size_t join_max_entries;        /* default 500000, 1..50000000 */
	int64_t join_max_age_ms;        /* default 336 h; hours in (0, 8784] */

	/* aws: retraining actions (docs/actions.md) */
	char *aws_region;                                /* owned; NULL = the policy's, AWS_REGION... */
	char *aws_sagemaker_endpoint, *aws_sfn_endpoint; /* owned; NULL = SDK rules */
	char *aws_s3_endpoint;                           /* owned; NULL = SDK rules (source.type s3) */
	char *aws_ca_bundle;                             /* owned, resolved; NULL = AWS_CA_BUNDLE/system */
	unsigned aws_max_attempts;                       /* default 8, 1..20: calls per delivery round */
	unsigned aws_deadline_s;                         /* default 86400, 60..604800 */
	unsigned aws_poll_s;                             /* default 30, 1..3600: retry and follow-up pace */
	/* notify: the default targets (a jansson array, secret_file made
	 * absolute); owned; NULL = none */
	struct json_t *notify;
} config;

/* Errors: from the file with line and column (1-based; 0 when unknown)
 * and an empty origin; from the environment with origin naming the
 * variable. */
typedef kpg_diag config_diag;
typedef kpg_diags config_diags;

/* Loads and validates path with the current environment. Returns 0 with
 * *out (caller frees with config_free), KPG_EINVAL with every problem
 * appended to diags (and a summary in err), KPG_EIO when the file cannot
 * be read, KPG_ENOMEM. */
int config_load(const char *path, config **out, config_diags *diags,
		kpg_err *err);
/* The same from text in memory (len bytes); path names the file in
 * messages and anchors relative paths. */
int config_load_buffer(const char *path, const char *text, size_t len,
		       config **out, config_diags *diags, kpg_err *err);
void config_free(config *cfg);
void config_diags_free(config_diags *d);

/* Prints every diagnostic: FILE:LINE:COLUMN: message, or
 * VARIABLE (environment): message; then err's summary when set. */
void config_report_diags(FILE *out, const char *path, const config_diags *d,
			 const kpg_err *err);

/* Value of a kafka property, or NULL. Borrowed until config_free. */
const char *config_property_get(const config *cfg, const char *name);

#endif
