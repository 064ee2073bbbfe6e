/* config_props.h - the librdkafka properties of the configuration:
 * kafka.properties in the file, then KPIGATE_KAFKA_PROPERTY_<NAME>
 * variables (which replace). Internal to config.c. */
#ifndef CONFIG_PROPS_H
#define CONFIG_PROPS_H

#include <jansson.h>

#include "config.h"
#include "kpg_jsonv.h"

/* Checks every property and adds it to cfg->properties. Appends
 * diagnostics to v; sets v->nomem when out of memory. */
void config_load_properties(kpg_jsonv *v, json_t *root, config *cfg);

#endif
