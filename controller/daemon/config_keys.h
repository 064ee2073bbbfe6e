/* config_keys.h - every key of the daemon's configuration file, one row
 * each: type, range, default, environment variable, documentation and
 * where config_load stores it (kpg_jsonv.h). The one place a configuration
 * key, its default or its range is written; docs/configuration.md is
 * checked against it (tests/check_keys_docs.py). */
#ifndef CONFIG_KEYS_H
#define CONFIG_KEYS_H

#include <stddef.h>

#include "kpg_jsonv.h"

/* Scalar keys may be set by CONFIG_ENV_PREFIX + the path upper-cased,
 * '.' -> '_'; librdkafka properties by CONFIG_ENV_PROPERTY_PREFIX + the
 * name upper-cased, '.' -> '_'. */
#define CONFIG_ENV_PREFIX "KPIGATE_"
#define CONFIG_ENV_PROPERTY_PREFIX "KPIGATE_KAFKA_PROPERTY_"

/* The table (static storage) and its row count. */
const kpg_jsonv_key *config_keys(size_t *n);

#endif
