/* config_props.c - kafka.properties and KPIGATE_KAFKA_PROPERTY_*: each
 * librdkafka property checked by librdkafka itself on a scratch
 * rd_kafka_conf_t (nothing is connected) and by kpigate's own rules
 * (config_props.h). */
#include "config_props.h"

#include <ctype.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"
#include "kpg_suggest.h"

extern char **environ;

#define CONFIG_PROPERTY_NAME_MAX 256
#define CONFIG_PROPERTY_VALUE_MAX 65536 /* PEM certificates fit */

/* Properties the daemon sets from its own keys or must own. */
static const struct {
	const char *name, *instead;
} reserved_props[] = {
	{"bootstrap.servers", "set kafka.bootstrap_servers instead"},
	{"metadata.broker.list", "set kafka.bootstrap_servers instead"},
	{"group.id", "set kafka.group_id instead"},
};

static int dup_str(kpg_jsonv *v, const char *s, char **out)
{
	char *n = strdup(s);

	if (n == NULL) {
		v->nomem = 1;
		return -1;
	}
	free(*out);
	*out = n;
	return 0;
}

/* librdkafka's property names, for "did you mean". */
static char **rdkafka_names(size_t *n)
{
	char *text = NULL, *line, *save = NULL;
	size_t tlen = 0, cap = 0;
	char **names = NULL;
	FILE *f = open_memstream(&text, &tlen);

	*n = 0;
	if (f == NULL)
		return NULL;
	rd_kafka_conf_properties_show(f);
	if (fclose(f) != 0 || text == NULL) {
		free(text);
		return NULL;
	}
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t len = strcspn(line, " |");
		char **nn;

		if (len == 0 || strchr(line, '|') == NULL || line[0] == '-' ||
		    strncmp(line, "Property", len) == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL)
				break;
			names = nn;
		}
		if ((names[*n] = strndup(line, len)) == NULL)
			break;
		(*n)++;
	}
	free(text);
	return names;
}

static void names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* A property value as librdkafka's text: strings as they are, booleans
 * true/false, numbers in decimal. Returns 0, or -1 for other kinds. */
static int prop_text(json_t *v, char *buf, size_t len, const char **out)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		*out = json_string_value(v);
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		*out = json_is_true(v) ? "true" : "false";
		return 0;
	case JSON_INTEGER:
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		*out = buf;
		return 0;
	case JSON_REAL:
		snprintf(buf, len, "%.15g", json_real_value(v));
		if (strtod(buf, NULL) != json_real_value(v))
			snprintf(buf, len, "%.17g", json_real_value(v));
		*out = buf;
		return 0;
	default:
		return -1;
	}
}

/* Checks one property with librdkafka and kpigate's own rules, then adds
 * (or, from the environment, replaces) it. */
static void add_property(kpg_jsonv *v, config *cfg, rd_kafka_conf_t *scratch,
			 const char *name, const char *value, const kpg_jsonv_at *at,
			 char ***names, size_t *n_names)
{
	char errstr[512];
	config_property *pr;
	rd_kafka_conf_res_t res;
	size_t i;

	if (strlen(name) > CONFIG_PROPERTY_NAME_MAX) {
		kpg_jsonv_report(v, at, 1, "librdkafka property name is longer than %d bytes",
				 CONFIG_PROPERTY_NAME_MAX);
		return;
	}
	if (strlen(value) > CONFIG_PROPERTY_VALUE_MAX) {
		kpg_jsonv_report(v, at, 0, "librdkafka property \"%s\" is longer than %d bytes",
				 name, CONFIG_PROPERTY_VALUE_MAX);
		return;
	}
	for (i = 0; i < sizeof(reserved_props) / sizeof(reserved_props[0]); i++)
		if (strcmp(name, reserved_props[i].name) == 0) {
			kpg_jsonv_report(v, at, 1, "librdkafka property \"%s\" is set by kpigate; %s",
					 name, reserved_props[i].instead);
			return;
		}
	if (strcmp(name, "enable.auto.offset.store") == 0 &&
	    strcmp(value, "false") != 0) {
		kpg_jsonv_report(v, at, 0, "librdkafka property \"enable.auto.offset.store\" must be false: kpigate stores each offset itself, only after the record's effects are durable (at-least-once); leave it out");
		return;
	}
	/* plugin.library.paths would load the plugins here and now: the
	 * daemon checks it when it creates its consumer. */
	if (strcmp(name, "plugin.library.paths") != 0) {
		errstr[0] = '\0';
		res = rd_kafka_conf_set(scratch, name, value, errstr,
					sizeof(errstr));
		if (res == RD_KAFKA_CONF_UNKNOWN) {
			const char *hint = NULL;

			if (*names == NULL)
				*names = rdkafka_names(n_names);
			if (*names != NULL)
				hint = kpg_suggest(name, (const char *const *)*names,
						   *n_names);
			kpg_jsonv_report(v, at, 1, "unknown librdkafka property \"%s\"%s%s%s", name,
					 hint ? "; did you mean \"" : "", hint ? hint : "",
					 hint ? "\"?" : "");
			return;
		}
		if (res != RD_KAFKA_CONF_OK) {
			kpg_jsonv_report(v, at, 0, "librdkafka property \"%s\": %s", name, errstr);
			return;
		}
	}
	for (i = 0; i < cfg->n_properties; i++)
		if (strcmp(cfg->properties[i].name, name) == 0)
			break;
	if (i == cfg->n_properties) {
		if (cfg->n_properties >= CONFIG_MAX_PROPERTIES) {
			kpg_jsonv_report(v, at, 1, "more than %d librdkafka properties",
					 CONFIG_MAX_PROPERTIES);
			return;
		}
		pr = realloc(cfg->properties, (cfg->n_properties + 1) * sizeof(*pr));
		if (pr == NULL) {
			v->nomem = 1;
			return;
		}
		cfg->properties = pr;
		pr = &cfg->properties[cfg->n_properties];
		pr->name = pr->value = NULL;
		if (dup_str(v, name, &pr->name) != 0)
			return;
		cfg->n_properties++;
	}
	dup_str(v, value, &cfg->properties[i].value);
}

void config_load_properties(kpg_jsonv *v, json_t *root, config *cfg)
{
	rd_kafka_conf_t *scratch = rd_kafka_conf_new();
	char **names = NULL, path[JSON_LOCATE_PATH_MAX], env[KPG_JSONV_ENV_MAX];
	size_t n_names = 0;
	json_t *props = kpg_jsonv_get(root, "kafka.properties"), *value;
	kpg_jsonv_at at = {path, NULL};
	const char *key;

	if (scratch == NULL) {
		v->nomem = 1;
		return;
	}
	if (props != NULL && !json_is_object(props)) {
		kpg_jsonv_error(v, "kafka.properties", 0,
				"kafka.properties must be an object of librdkafka properties, got %s",
				kpg_jsonv_kind(props));
		props = NULL;
	}
	if (props != NULL) {
		json_object_foreach(props, key, value) {
			char num[64];
			const char *text;

			snprintf(path, sizeof(path), "kafka.properties.%s", key);
			if (prop_text(value, num, sizeof(num), &text) != 0) {
				kpg_jsonv_report(v, &at, 0, "librdkafka property \"%s\" must be a string, number or boolean, got %s",
						 key, kpg_jsonv_kind(value));
				continue;
			}
			add_property(v, cfg, scratch, key, text, &at, &names,
				     &n_names);
		}
	}
	/* KPIGATE_KAFKA_PROPERTY_SECURITY_PROTOCOL=SSL -> security.protocol */
	snprintf(path, sizeof(path), "kafka.properties");
	at.env = env;
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '='), *rest;
		char name[CONFIG_PROPERTY_NAME_MAX + 1];
		size_t len;

		if (eq == NULL || strncmp(*e, CONFIG_ENV_PROPERTY_PREFIX,
					  strlen(CONFIG_ENV_PROPERTY_PREFIX)) != 0)
			continue;
		rest = *e + strlen(CONFIG_ENV_PROPERTY_PREFIX);
		len = (size_t)(eq - rest);
		snprintf(env, sizeof(env), "%.*s", (int)(eq - *e), *e);
		if (len == 0 || len > CONFIG_PROPERTY_NAME_MAX) {
			kpg_jsonv_report(v, &at, 0, "%s does not name a librdkafka property",
					 env);
			continue;
		}
		for (size_t i = 0; i < len; i++)
			name[i] = rest[i] == '_' ? '.' : (char)tolower((unsigned char)rest[i]);
		name[len] = '\0';
		add_property(v, cfg, scratch, name, eq + 1, &at, &names, &n_names);
	}
	names_free(names, n_names);
	rd_kafka_conf_destroy(scratch);
}
