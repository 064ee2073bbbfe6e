/* config.c - loads the daemon's configuration file: every key validated
 * from one table (type, range, default, environment variable), every error
 * reported at its line:column (json_locate) or naming its environment
 * variable, librdkafka properties checked by librdkafka itself on a scratch
 * rd_kafka_conf_t (nothing is connected). Keys: docs/configuration.md. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json_locate.h"
#include "kpg_file.h"
#include "policy.h"
#include "policy_dir.h"

extern char **environ;

#define ENV_PREFIX "KPIGATE_"
#define ENV_PROPERTY_PREFIX "KPIGATE_KAFKA_PROPERTY_"
#define CONFIG_PATH_MAX 4096
#define CONFIG_NAME_MAX 255         /* group id, header name */
#define CONFIG_TOPIC_MAX 249        /* Kafka's own limit */
#define CONFIG_SERVERS_MAX 8192
#define CONFIG_PROPERTY_NAME_MAX 256
#define CONFIG_PROPERTY_VALUE_MAX 65536 /* PEM certificates fit */

/* ---- the keys ----------------------------------------------------- */

typedef enum kind { K_STRING, K_INT, K_NUMBER, K_BOOL } kind;

typedef enum check {
	CHK_NONE, CHK_SERVERS, CHK_TOPIC, CHK_HEADER, CHK_PATH, CHK_LISTEN,
	CHK_LOGLEVEL, CHK_URL
} check;

typedef enum field {
	F_BOOTSTRAP, F_GROUP, F_CAPTURE, F_GROUND_TRUTH, F_DEAD_LETTER,
	F_BATCH, F_POLL, F_TASK_IDLE, F_ROUTE_KEY, F_ROUTE_HEADER, F_POLICY_DIR, F_AUDIT,
	F_STATE_DIR, F_CHECKPOINT, F_LISTEN, F_LOG_LEVEL, F_SHUTDOWN,
	F_JOIN_ENTRIES, F_JOIN_AGE, F_AWS_REGION, F_AWS_SM_EP, F_AWS_SFN_EP,
	F_AWS_CA, F_AWS_ATTEMPTS, F_AWS_DEADLINE, F_AWS_POLL, F__COUNT
} field;

typedef struct key_spec {
	field f;
	const char *parent, *key;   /* object path ("" root) and member name */
	kind kind;
	check chk;
	int required, nullable;
	double lo, hi;              /* K_INT, K_NUMBER: inclusive unless lo_open */
	int lo_open;
} key_spec;

/* Scalar keys, in the order they are checked. Defaults: config_defaults. */
static const key_spec specs[F__COUNT] = {
	{F_BOOTSTRAP, "kafka", "bootstrap_servers", K_STRING, CHK_SERVERS, 1, 0, 0, 0, 0},
	{F_GROUP, "kafka", "group_id", K_STRING, CHK_NONE, 1, 0, 0, 0, 0},
	{F_CAPTURE, "kafka", "capture_topic", K_STRING, CHK_TOPIC, 1, 0, 0, 0, 0},
	{F_GROUND_TRUTH, "kafka", "ground_truth_topic", K_STRING, CHK_TOPIC, 0, 1, 0, 0, 0},
	{F_DEAD_LETTER, "kafka", "dead_letter_topic", K_STRING, CHK_TOPIC, 0, 1, 0, 0, 0},
	{F_BATCH, "kafka", "batch_size", K_INT, CHK_NONE, 0, 0, 1, 100000, 0},
	{F_POLL, "kafka", "poll_timeout_ms", K_INT, CHK_NONE, 0, 0, 1, 10000, 0},
	{F_TASK_IDLE, "kafka", "max_task_idle_ms", K_INT, CHK_NONE, 0, 0, 0, 3600000, 0},
	{F_ROUTE_KEY, "kafka.routing", "key", K_BOOL, CHK_NONE, 0, 0, 0, 0, 0},
	{F_ROUTE_HEADER, "kafka.routing", "header", K_STRING, CHK_HEADER, 0, 1, 0, 0, 0},
	{F_POLICY_DIR, "", "policy_dir", K_STRING, CHK_PATH, 1, 0, 0, 0, 0},
	{F_AUDIT, "", "audit_log", K_STRING, CHK_PATH, 1, 0, 0, 0, 0},
	{F_STATE_DIR, "", "state_dir", K_STRING, CHK_PATH, 1, 0, 0, 0, 0},
	{F_CHECKPOINT, "", "checkpoint_interval_seconds", K_INT, CHK_NONE, 0, 0, 1, 3600, 0},
	{F_LISTEN, "http", "listen", K_STRING, CHK_LISTEN, 0, 0, 0, 0, 0},
	{F_LOG_LEVEL, "", "log_level", K_STRING, CHK_LOGLEVEL, 0, 0, 0, 0, 0},
	{F_SHUTDOWN, "", "shutdown_timeout_seconds", K_INT, CHK_NONE, 0, 0, 1, 300, 0},
	{F_JOIN_ENTRIES, "join", "max_entries", K_INT, CHK_NONE, 0, 0, 1, 50000000, 0},
	{F_JOIN_AGE, "join", "max_age_hours", K_NUMBER, CHK_NONE, 0, 0, 0, 8784, 1},
	{F_AWS_REGION, "aws", "region", K_STRING, CHK_NONE, 0, 1, 0, 0, 0},
	{F_AWS_SM_EP, "aws", "sagemaker_endpoint", K_STRING, CHK_URL, 0, 1, 0, 0, 0},
	{F_AWS_SFN_EP, "aws", "sfn_endpoint", K_STRING, CHK_URL, 0, 1, 0, 0, 0},
	{F_AWS_CA, "aws", "ca_bundle", K_STRING, CHK_PATH, 0, 1, 0, 0, 0},
	{F_AWS_ATTEMPTS, "aws", "max_attempts", K_INT, CHK_NONE, 0, 0, 1, 20, 0},
	{F_AWS_DEADLINE, "aws", "delivery_deadline_seconds", K_INT, CHK_NONE, 0, 0, 60, 604800, 0},
	{F_AWS_POLL, "aws", "poll_seconds", K_INT, CHK_NONE, 0, 0, 1, 3600, 0},
};

/* The objects and the members each may hold. */
typedef struct obj_spec {
	const char *path;
	const char *const *keys;
	size_t n;
} obj_spec;

static const char *const root_keys[] = {
	"kafka", "policy_dir", "audit_log", "state_dir",
	"checkpoint_interval_seconds", "http", "log_level",
	"shutdown_timeout_seconds", "join", "aws"};
static const char *const kafka_keys[] = {
	"bootstrap_servers", "group_id", "capture_topic", "ground_truth_topic",
	"dead_letter_topic", "properties", "batch_size", "poll_timeout_ms",
	"max_task_idle_ms",
	"routing"};
static const char *const routing_keys[] = {"key", "header"};
static const char *const http_keys[] = {"listen"};
static const char *const join_keys[] = {"max_entries", "max_age_hours"};
static const char *const aws_keys[] = {"region", "sagemaker_endpoint", "sfn_endpoint",
				       "ca_bundle", "max_attempts",
				       "delivery_deadline_seconds", "poll_seconds"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

enum { O_ROOT, O_KAFKA, O_ROUTING, O_HTTP, O_JOIN, O_AWS, O__COUNT };
static const obj_spec objs[O__COUNT] = {
	{"", root_keys, N_OF(root_keys)},
	{"kafka", kafka_keys, N_OF(kafka_keys)},
	{"kafka.routing", routing_keys, N_OF(routing_keys)},
	{"http", http_keys, N_OF(http_keys)},
	{"join", join_keys, N_OF(join_keys)},
	{"aws", aws_keys, N_OF(aws_keys)},
};

static const char *const log_levels[] = {"error", "warn", "info", "debug"};

/* Properties the daemon sets from its own keys or must own. */
static const struct {
	const char *name, *instead;
} reserved_props[] = {
	{"bootstrap.servers", "set kafka.bootstrap_servers instead"},
	{"metadata.broker.list", "set kafka.bootstrap_servers instead"},
	{"group.id", "set kafka.group_id instead"},
};

/* ---- diagnostics -------------------------------------------------- */

/* Where a value came from: the file (path) or the environment (env). */
typedef struct where {
	char path[JSON_LOCATE_PATH_MAX];
	char env[128];              /* "" when from the file */
} where;

typedef struct vctx {
	const json_locate *loc;     /* NULL before the text is located */
	const char *dir;            /* the config file's folder */
	config_diags *d;
	size_t base;
	size_t n_errors;
	int nomem;
	json_t *objs[O__COUNT];     /* NULL absent */
	int obj_broken[O__COUNT];   /* present but not an object */
	where src[F__COUNT];        /* where each key's value came from */
	int set[F__COUNT];          /* 1 when the file or environment set it */
} vctx;

static void diag_vadd(vctx *c, int line, int column, const char *origin,
		      const char *fmt, va_list ap)
{
	c->n_errors++;
	if (c->d->n - c->base < CONFIG_MAX_DIAGS &&
	    kpg_diags_vadd(c->d, line, column, origin, fmt, ap) != 0)
		c->nomem = 1;
}

static void diag_at(vctx *c, int line, int column, const char *origin,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void diag_at(vctx *c, int line, int column, const char *origin,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(c, line, column, origin, fmt, ap);
	va_end(ap);
}

/* Position of path's key (at_key) or value, falling back to the nearest
 * enclosing value that has one (a missing key is reported at its
 * object's brace). */
static void locate(const vctx *c, const char *path, int at_key, int *line,
		   int *column)
{
	*line = *column = 0;
	if (c->loc != NULL)
		json_locate_nearest(c->loc, path, at_key, line, column);
}

/* Reports at w: the variable when from the environment, else the key
 * (at_key) or value of w->path in the file. */
static void werr(vctx *c, const where *w, int at_key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void werr(vctx *c, const where *w, int at_key, const char *fmt, ...)
{
	int line = 0, column = 0;
	va_list ap;

	if (w->env[0] == '\0')
		locate(c, w->path, at_key, &line, &column);
	va_start(ap, fmt);
	diag_vadd(c, line, column, w->env[0] ? w->env : NULL, fmt, ap);
	va_end(ap);
}

static void where_file(where *w, const char *path)
{
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->env[0] = '\0';
}

static void where_env(where *w, const char *path, const char *env)
{
	snprintf(w->path, sizeof(w->path), "%s", path);
	snprintf(w->env, sizeof(w->env), "%s", env);
}

/* File diagnostics by position first, then the environment's by name. */
static int diag_cmp(const void *a, const void *b)
{
	const config_diag *x = a, *y = b;
	int xe = x->origin[0] != '\0', ye = y->origin[0] != '\0';

	if (xe != ye)
		return xe - ye;
	if (xe)
		return strcmp(x->origin, y->origin);
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return 0;
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

static void path_join(char *buf, size_t len, const char *parent,
		      const char *key)
{
	if (parent[0] == '\0')
		snprintf(buf, len, "%s", key);
	else
		snprintf(buf, len, "%s.%s", parent, key);
}

/* KPIGATE_ + the key's path upper-cased, '.' -> '_'. */
static void env_name(const key_spec *s, char *buf, size_t len)
{
	char p[256];
	size_t i;

	path_join(p, sizeof(p), s->parent, s->key);
	if (snprintf(buf, len, ENV_PREFIX "%s", p) >= (int)len)
		buf[len - 1] = '\0'; /* key paths are short; never in practice */
	for (i = strlen(ENV_PREFIX); buf[i]; i++)
		buf[i] = buf[i] == '.' ? '_' : (char)toupper((unsigned char)buf[i]);
}

static int dup_str(vctx *c, const char *s, char **out)
{
	char *n = strdup(s);

	if (n == NULL) {
		c->nomem = 1;
		return -1;
	}
	free(*out);
	*out = n;
	return 0;
}

/* ---- value checks ------------------------------------------------- */

static int is_port(const char *s, size_t len, unsigned *port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return 0;
	*port = (unsigned)v;
	return 1;
}

/* A DNS name (letters, digits, '-', '_' in dot-separated labels of 1..63)
 * or an IPv4 address. */
static int is_host(const char *h, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)h[i];

		if (ch == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum(ch) || ch == '-' || ch == '_') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0;
}

/* Parses "host:port", "[v6]:port" or, when port_optional, a bare host.
 * Fills host (without brackets) and *port (0 when absent). Returns NULL
 * or what is wrong. */
static const char *parse_hostport_any(const char *s, size_t len, int port_optional,
				  char *host, size_t hostlen, unsigned *port)
{
	const char *colon;
	size_t hl;

	*port = 0;
	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		char v6[64];
		unsigned char bin[16];

		if (close == NULL)
			return "'[' without ']'";
		hl = (size_t)(close - s - 1);
		if (hl == 0 || hl >= sizeof(v6))
			return "the IPv6 address is not valid";
		memcpy(v6, s + 1, hl);
		v6[hl] = '\0';
		if (inet_pton(AF_INET6, v6, bin) != 1)
			return "the IPv6 address is not valid";
		snprintf(host, hostlen, "%s", v6);
		if ((size_t)(close - s) + 1 == len)
			return port_optional ? NULL : "no port (expected host:port)";
		if (close[1] != ':' ||
		    !is_port(close + 2, len - (size_t)(close - s) - 2, port))
			return "the port must be a number from 0 to 65535";
		return NULL;
	}
	colon = memchr(s, ':', len);
	hl = colon ? (size_t)(colon - s) : len;
	if (colon && memchr(colon + 1, ':', len - hl - 1))
		return "an IPv6 address must be written in brackets, as [::1]:9464";
	if (hl == 0)
		return "no host (use 0.0.0.0 for every interface)";
	if (!is_host(s, hl))
		return "the host is not a name or an IP address";
	if (hl >= hostlen)
		return "the host is too long";
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (colon == NULL)
		return port_optional ? NULL : "no port (expected host:port)";
	if (!is_port(colon + 1, len - hl - 1, port))
		return "the port must be a number from 0 to 65535";
	return NULL;
}

/* host:port; a Kafka server (port_optional) needs a port from 1 to 65535,
 * http.listen may say 0: any free port, logged at start (tests). */
static const char *parse_hostport(const char *s, size_t len, int port_optional,
				  char *host, size_t hostlen, unsigned *port)
{
	const char *why = parse_hostport_any(s, len, port_optional, host, hostlen,
					     port);

	if (why == NULL && port_optional && *port == 0 &&
	    memchr(s, ':', len) != NULL && s[len - 1] != ']')
		return "the port must be a number from 0 to 65535";
	return why;
}

/* librdkafka's list: host[:port] entries separated by commas, each
 * optionally with a protocol prefix such as SSL://. */
static void check_servers(vctx *c, const where *w, const char *s)
{
	const char *p = s;
	int idx = 1;

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
		why = parse_hostport(p, len, 1, host, sizeof(host), &port);
		if (why != NULL)
			werr(c, w, 0, "%s entry %d (\"%.*s\") is not host:port: %s",
			     w->path, idx, (int)(len > 80 ? 80 : len), p, why);
		if (end == NULL)
			break;
		p = end + 1;
		idx++;
	}
}

static void check_topic(vctx *c, const where *w, const char *s, size_t len)
{
	if (len > CONFIG_TOPIC_MAX) {
		werr(c, w, 0, "%s is %zu bytes long; a Kafka topic name has at most %d",
		     w->path, len, CONFIG_TOPIC_MAX);
		return;
	}
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		werr(c, w, 0, "%s cannot be \"%s\"", w->path, s);
		return;
	}
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' &&
		    s[i] != '-') {
			werr(c, w, 0, "%s \"%s\" is not a Kafka topic name (letters, digits, '.', '_', '-')",
			     w->path, s);
			return;
		}
}

/* A checked value; strings borrowed from the JSON value. */
typedef struct val {
	const char *s;
	long long i;
	double d;
	int b;
} val;

/* Validates v against s. Returns 1 with *out, 0 for an allowed null,
 * -1 reported. */
static int check_value(vctx *c, const key_spec *s, const where *w, json_t *v,
		       val *out)
{
	const char *str;
	size_t len, max;

	memset(out, 0, sizeof(*out));
	if (json_is_null(v) && s->nullable)
		return 0;
	switch (s->kind) {
	case K_BOOL:
		if (!json_is_boolean(v)) {
			werr(c, w, 0, "%s must be true or false, got %s", w->path,
			     json_kind(v));
			return -1;
		}
		out->b = json_is_true(v);
		return 1;
	case K_INT:
		if (json_is_integer(v)) {
			out->i = (long long)json_integer_value(v);
		} else if (json_is_real(v) && floor(json_real_value(v)) ==
			   json_real_value(v) && fabs(json_real_value(v)) < 9e15) {
			out->i = (long long)json_real_value(v);
		} else {
			if (json_is_real(v))
				werr(c, w, 0, "%s must be a whole number, got %g",
				     w->path, json_real_value(v));
			else
				werr(c, w, 0, "%s must be an integer, got %s",
				     w->path, json_kind(v));
			return -1;
		}
		if (out->i < (long long)s->lo || out->i > (long long)s->hi) {
			werr(c, w, 0, "%s must be an integer from %.0f to %.0f, got %lld",
			     w->path, s->lo, s->hi, out->i);
			return -1;
		}
		return 1;
	case K_NUMBER:
		if (!json_is_number(v)) {
			werr(c, w, 0, "%s must be a number, got %s", w->path,
			     json_kind(v));
			return -1;
		}
		out->d = json_number_value(v);
		if (!isfinite(out->d) || (s->lo_open ? out->d <= s->lo : out->d < s->lo) ||
		    out->d > s->hi) {
			werr(c, w, 0, "%s must be in %c%g, %g], got %g", w->path,
			     s->lo_open ? '(' : '[', s->lo, s->hi, out->d);
			return -1;
		}
		return 1;
	case K_STRING:
		break;
	}
	if (!json_is_string(v)) {
		werr(c, w, 0, "%s must be a string%s, got %s", w->path,
		     s->nullable ? " or null" : "", json_kind(v));
		return -1;
	}
	str = json_string_value(v);
	len = json_string_length(v);
	if (len == 0) {
		werr(c, w, 0, "%s must not be empty", w->path);
		return -1;
	}
	max = s->chk == CHK_PATH ? CONFIG_PATH_MAX :
	      s->chk == CHK_SERVERS ? CONFIG_SERVERS_MAX : CONFIG_NAME_MAX;
	if (len > max) {
		werr(c, w, 0, "%s is %zu bytes long; at most %zu allowed", w->path,
		     len, max);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)str[i] < 0x20 || str[i] == 0x7f) {
			werr(c, w, 0, "%s contains a control character", w->path);
			return -1;
		}
	out->s = str;
	switch (s->chk) {
	case CHK_SERVERS: {
		size_t before = c->n_errors;

		check_servers(c, w, str);
		return c->n_errors == before ? 1 : -1;
	}
	case CHK_TOPIC: {
		size_t before = c->n_errors;

		check_topic(c, w, str, len);
		return c->n_errors == before ? 1 : -1;
	}
	case CHK_LISTEN: {
		char host[256];
		unsigned port;
		const char *why = parse_hostport(str, len, 0, host, sizeof(host),
						 &port);

		if (why != NULL) {
			werr(c, w, 0, "%s \"%s\" is not host:port: %s", w->path, str,
			     why);
			return -1;
		}
		return 1;
	}
	case CHK_LOGLEVEL:
		if (log_level_from_name(str) < 0) {
			const char *hint = policy_suggest(str, log_levels,
							  N_OF(log_levels));

			werr(c, w, 0, "%s must be error, warn, info or debug, got \"%s\"%s%s%s",
			     w->path, str, hint ? "; did you mean \"" : "",
			     hint ? hint : "", hint ? "\"?" : "");
			return -1;
		}
		return 1;
	case CHK_URL:
		if (strncmp(str, "https://", 8) != 0 && strncmp(str, "http://", 7) != 0) {
			werr(c, w, 0, "%s must be an http:// or https:// URL, got \"%s\"",
			     w->path, str);
			return -1;
		}
		return 1;
	case CHK_NONE: case CHK_HEADER: case CHK_PATH:
		break;
	}
	return 1;
}

/* An environment value as the JSON value of the key's kind; NULL after
 * reporting when it cannot be one. Caller decrefs. */
static json_t *env_value(vctx *c, const key_spec *s, const where *w,
			 const char *text)
{
	char *end;
	json_t *v = NULL;

	if (text[0] == '\0') {
		werr(c, w, 0, "%s is set but empty; unset it to keep the file's value",
		     w->path);
		return NULL;
	}
	switch (s->kind) {
	case K_STRING:
		v = json_string(text);
		if (v == NULL)
			werr(c, w, 0, "%s is not valid UTF-8", w->path);
		return v;
	case K_INT: {
		long long x;

		errno = 0;
		x = strtoll(text, &end, 10);
		if (errno != 0 || *end != '\0' || end == text ||
		    isspace((unsigned char)text[0])) {
			werr(c, w, 0, "%s must be an integer, got \"%.40s\"", w->path,
			     text);
			return NULL;
		}
		v = json_integer(x);
		break;
	}
	case K_NUMBER: {
		double x;

		errno = 0;
		x = strtod(text, &end);
		if (errno != 0 || *end != '\0' || end == text ||
		    isspace((unsigned char)text[0])) {
			werr(c, w, 0, "%s must be a number, got \"%.40s\"", w->path,
			     text);
			return NULL;
		}
		v = json_real(x);
		break;
	}
	case K_BOOL:
		if (strcmp(text, "true") == 0)
			v = json_true();
		else if (strcmp(text, "false") == 0)
			v = json_false();
		else {
			werr(c, w, 0, "%s must be true or false, got \"%.40s\"",
			     w->path, text);
			return NULL;
		}
		break;
	}
	if (v == NULL)
		c->nomem = 1;
	return v;
}

/* ---- paths -------------------------------------------------------- */

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup("");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* File values are relative to the config file's folder; environment
 * values to the working directory. */
static int resolve_path(vctx *c, const where *w, const char *s, char **out)
{
	size_t need;
	char *p;

	if (s[0] == '/' || w->env[0] != '\0' || c->dir[0] == '\0')
		return dup_str(c, s, out);
	need = strlen(c->dir) + strlen(s) + 2;
	p = malloc(need);
	if (p == NULL) {
		c->nomem = 1;
		return -1;
	}
	snprintf(p, need, "%s/%s", c->dir, s);
	free(*out);
	*out = p;
	return 0;
}

/* ---- storing ------------------------------------------------------ */

static int store(vctx *c, config *cfg, const key_spec *s, const where *w,
		 int is_null, const val *v)
{
	char **sp = NULL;

	switch (s->f) {
	case F_BOOTSTRAP: sp = &cfg->bootstrap_servers; break;
	case F_GROUP: sp = &cfg->group_id; break;
	case F_CAPTURE: sp = &cfg->capture_topic; break;
	case F_GROUND_TRUTH: sp = &cfg->ground_truth_topic; break;
	case F_DEAD_LETTER: sp = &cfg->dead_letter_topic; break;
	case F_ROUTE_HEADER: sp = &cfg->route_header; break;
	case F_LISTEN: sp = &cfg->http_listen; break;
	case F_POLICY_DIR:
		return resolve_path(c, w, v->s, &cfg->policy_dir);
	case F_AUDIT:
		return resolve_path(c, w, v->s, &cfg->audit_log);
	case F_STATE_DIR:
		return resolve_path(c, w, v->s, &cfg->state_dir);
	case F_BATCH: cfg->batch_size = (unsigned)v->i; return 0;
	case F_POLL: cfg->poll_timeout_ms = (unsigned)v->i; return 0;
	case F_TASK_IDLE: cfg->max_task_idle_ms = (unsigned)v->i; return 0;
	case F_ROUTE_KEY: cfg->route_by_key = v->b; return 0;
	case F_CHECKPOINT: cfg->checkpoint_interval_s = (unsigned)v->i; return 0;
	case F_LOG_LEVEL:
		cfg->log_level = (kpg_log_level)log_level_from_name(v->s);
		return 0;
	case F_SHUTDOWN: cfg->shutdown_timeout_s = (unsigned)v->i; return 0;
	case F_JOIN_ENTRIES: cfg->join_max_entries = (size_t)v->i; return 0;
	case F_AWS_REGION: sp = &cfg->aws_region; break;
	case F_AWS_SM_EP: sp = &cfg->aws_sagemaker_endpoint; break;
	case F_AWS_SFN_EP: sp = &cfg->aws_sfn_endpoint; break;
	case F_AWS_CA:
		if (is_null)
			return 0;
		return resolve_path(c, w, v->s, &cfg->aws_ca_bundle);
	case F_AWS_ATTEMPTS: cfg->aws_max_attempts = (unsigned)v->i; return 0;
	case F_AWS_DEADLINE: cfg->aws_deadline_s = (unsigned)v->i; return 0;
	case F_AWS_POLL: cfg->aws_poll_s = (unsigned)v->i; return 0;
	case F_JOIN_AGE:
		cfg->join_max_age_ms = (int64_t)llround(v->d * 3600.0 * 1000.0);
		if (cfg->join_max_age_ms < 1) /* 0 would mean "the default" */
			cfg->join_max_age_ms = 1;
		return 0;
	case F__COUNT:
		break;
	}
	if (sp == NULL)
		return 0;
	if (is_null) {
		free(*sp);
		*sp = NULL;
		return 0;
	}
	return dup_str(c, v->s, sp);
}

static int config_defaults(config *cfg)
{
	cfg->batch_size = 1000;
	cfg->poll_timeout_ms = 100;
	cfg->max_task_idle_ms = 30000;
	cfg->aws_max_attempts = 8;
	cfg->aws_deadline_s = 86400;
	cfg->aws_poll_s = 30;
	cfg->route_by_key = 1;
	cfg->checkpoint_interval_s = 10;
	cfg->log_level = KPG_LOG_INFO;
	cfg->shutdown_timeout_s = 30;
	cfg->join_max_entries = 500000;
	cfg->join_max_age_ms = 336LL * 3600 * 1000;
	cfg->http_listen = strdup("127.0.0.1:9464");
	return cfg->http_listen ? 0 : -1;
}

/* ---- structure ---------------------------------------------------- */

/* Reports every member of obj not in o's list, with a near miss. */
static void check_keys(vctx *c, json_t *obj, const obj_spec *o)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		const char *hint;
		where w;
		size_t i;

		for (i = 0; i < o->n; i++)
			if (strcmp(key, o->keys[i]) == 0)
				break;
		if (i < o->n)
			continue;
		path_join(w.path, sizeof(w.path), o->path, key);
		w.env[0] = '\0';
		hint = policy_suggest(key, o->keys, o->n);
		werr(c, &w, 1, "unknown key \"%s\" in %s%s%s%s", key,
		     o->path[0] ? o->path : "the configuration",
		     hint ? "; did you mean \"" : "", hint ? hint : "",
		     hint ? "\"?" : "");
	}
}

/* Finds the objects (kafka, kafka.routing, http, join) and checks their
 * keys. */
static void load_objects(vctx *c, json_t *root)
{
	c->objs[O_ROOT] = root;
	for (int i = 0; i < O__COUNT; i++) {
		const char *dot, *name;
		json_t *parent = c->objs[O_ROOT], *v;
		where w;

		if (i != O_ROOT) {
			/* kafka.routing lives in kafka, the rest in the root */
			dot = strrchr(objs[i].path, '.');
			name = dot ? dot + 1 : objs[i].path;
			if (dot != NULL)
				parent = c->objs[O_KAFKA];
			if (parent == NULL)
				continue;
			v = json_object_get(parent, name);
			if (v == NULL)
				continue;
			if (!json_is_object(v)) {
				where_file(&w, objs[i].path);
				werr(c, &w, 0, "%s must be an object, got %s",
				     objs[i].path, json_kind(v));
				c->obj_broken[i] = 1;
				continue;
			}
			c->objs[i] = v;
		}
		check_keys(c, c->objs[i], &objs[i]);
	}
}

static int obj_index(const char *path)
{
	for (int i = 0; i < O__COUNT; i++)
		if (strcmp(objs[i].path, path) == 0)
			return i;
	return -1;
}

/* 1 when the parent of s, or one of its ancestors, was not an object. */
static int parent_broken(const vctx *c, const key_spec *s)
{
	int i = obj_index(s->parent);

	if (i < 0)
		return 0;
	if (c->obj_broken[i])
		return 1;
	return i == O_ROUTING && c->obj_broken[O_KAFKA];
}

/* One key from the file and the environment (which wins). */
static void load_key(vctx *c, config *cfg, const key_spec *s)
{
	char env[128];
	const char *etext;
	json_t *fv = NULL, *ev = NULL;
	int oi = obj_index(s->parent);
	where w;
	val v;
	int rc;

	env_name(s, env, sizeof(env));
	/* until set, errors about this key point at where it would be */
	where_file(&c->src[s->f], "");
	path_join(c->src[s->f].path, sizeof(c->src[s->f].path), s->parent, s->key);
	if (oi >= 0 && c->objs[oi] != NULL)
		fv = json_object_get(c->objs[oi], s->key);
	if (fv != NULL) {
		where_file(&w, "");
		path_join(w.path, sizeof(w.path), s->parent, s->key);
		rc = check_value(c, s, &w, fv, &v);
		if (rc >= 0 && store(c, cfg, s, &w, rc == 0, &v) == 0) {
			c->src[s->f] = w;
			c->set[s->f] = 1;
		}
	}
	etext = getenv(env);
	if (etext != NULL) {
		char p[JSON_LOCATE_PATH_MAX];

		path_join(p, sizeof(p), s->parent, s->key);
		where_env(&w, p, env);
		ev = env_value(c, s, &w, etext);
		if (ev != NULL) {
			rc = check_value(c, s, &w, ev, &v);
			if (rc >= 0 && store(c, cfg, s, &w, rc == 0, &v) == 0) {
				c->src[s->f] = w;
				c->set[s->f] = 1;
			}
			json_decref(ev);
		}
		return;
	}
	if (fv == NULL && s->required && !parent_broken(c, s)) {
		where_file(&w, s->parent);
		if (s->parent[0] == '\0')
			werr(c, &w, 0, "missing required key \"%s\" (or set %s)",
			     s->key, env);
		else
			werr(c, &w, 0, "missing required key \"%s\" in %s (or set %s)",
			     s->key, s->parent, env);
	}
}

/* ---- kafka.properties --------------------------------------------- */

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
	case JSON_TRUE: case JSON_FALSE:
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
static void add_property(vctx *c, config *cfg, rd_kafka_conf_t *scratch,
			 const char *name, const char *value, const where *w,
			 char ***names, size_t *n_names)
{
	char errstr[512];
	config_property *pr;
	rd_kafka_conf_res_t res;
	size_t i;

	if (strlen(name) > CONFIG_PROPERTY_NAME_MAX) {
		werr(c, w, 1, "librdkafka property name is longer than %d bytes",
		     CONFIG_PROPERTY_NAME_MAX);
		return;
	}
	if (strlen(value) > CONFIG_PROPERTY_VALUE_MAX) {
		werr(c, w, 0, "librdkafka property \"%s\" is longer than %d bytes",
		     name, CONFIG_PROPERTY_VALUE_MAX);
		return;
	}
	for (i = 0; i < N_OF(reserved_props); i++)
		if (strcmp(name, reserved_props[i].name) == 0) {
			werr(c, w, 1, "librdkafka property \"%s\" is set by kpigate; %s",
			     name, reserved_props[i].instead);
			return;
		}
	if (strcmp(name, "enable.auto.offset.store") == 0 &&
	    strcmp(value, "false") != 0) {
		werr(c, w, 0, "librdkafka property \"enable.auto.offset.store\" must be false: kpigate stores each offset itself, only after the record's effects are durable (at-least-once); leave it out");
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
				hint = policy_suggest(name, (const char *const *)*names,
						      *n_names);
			werr(c, w, 1, "unknown librdkafka property \"%s\"%s%s%s", name,
			     hint ? "; did you mean \"" : "", hint ? hint : "",
			     hint ? "\"?" : "");
			return;
		}
		if (res != RD_KAFKA_CONF_OK) {
			werr(c, w, 0, "librdkafka property \"%s\": %s", name, errstr);
			return;
		}
	}
	for (i = 0; i < cfg->n_properties; i++)
		if (strcmp(cfg->properties[i].name, name) == 0)
			break;
	if (i == cfg->n_properties) {
		if (cfg->n_properties >= CONFIG_MAX_PROPERTIES) {
			werr(c, w, 1, "more than %d librdkafka properties",
			     CONFIG_MAX_PROPERTIES);
			return;
		}
		pr = realloc(cfg->properties, (cfg->n_properties + 1) * sizeof(*pr));
		if (pr == NULL) {
			c->nomem = 1;
			return;
		}
		cfg->properties = pr;
		pr = &cfg->properties[cfg->n_properties];
		pr->name = pr->value = NULL;
		if (dup_str(c, name, &pr->name) != 0)
			return;
		cfg->n_properties++;
	}
	dup_str(c, value, &cfg->properties[i].value);
}

static void load_properties(vctx *c, config *cfg)
{
	rd_kafka_conf_t *scratch = rd_kafka_conf_new();
	char **names = NULL;
	size_t n_names = 0;
	json_t *props = NULL, *v;
	const char *key;
	where w;

	if (scratch == NULL) {
		c->nomem = 1;
		return;
	}
	if (c->objs[O_KAFKA] != NULL)
		props = json_object_get(c->objs[O_KAFKA], "properties");
	if (props != NULL && !json_is_object(props)) {
		where_file(&w, "kafka.properties");
		werr(c, &w, 0, "kafka.properties must be an object of librdkafka properties, got %s",
		     json_kind(props));
		props = NULL;
	}
	if (props != NULL) {
		json_object_foreach(props, key, v) {
			char num[64];
			const char *text;

			where_file(&w, "");
			snprintf(w.path, sizeof(w.path), "kafka.properties.%s", key);
			if (prop_text(v, num, sizeof(num), &text) != 0) {
				werr(c, &w, 0, "librdkafka property \"%s\" must be a string, number or boolean, got %s",
				     key, json_kind(v));
				continue;
			}
			add_property(c, cfg, scratch, key, text, &w, &names, &n_names);
		}
	}
	/* KPIGATE_KAFKA_PROPERTY_SECURITY_PROTOCOL=SSL -> security.protocol */
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '='), *rest;
		char name[CONFIG_PROPERTY_NAME_MAX + 1];
		size_t len;

		if (eq == NULL || strncmp(*e, ENV_PROPERTY_PREFIX,
					  strlen(ENV_PROPERTY_PREFIX)) != 0)
			continue;
		rest = *e + strlen(ENV_PROPERTY_PREFIX);
		len = (size_t)(eq - rest);
		snprintf(w.env, sizeof(w.env), "%.*s", (int)(eq - *e), *e);
		snprintf(w.path, sizeof(w.path), "kafka.properties");
		if (len == 0 || len > CONFIG_PROPERTY_NAME_MAX) {
			werr(c, &w, 0, "%s does not name a librdkafka property", w.env);
			continue;
		}
		for (size_t i = 0; i < len; i++)
			name[i] = rest[i] == '_' ? '.' :
				  (char)tolower((unsigned char)rest[i]);
		name[len] = '\0';
		add_property(c, cfg, scratch, name, eq + 1, &w, &names, &n_names);
	}
	names_free(names, n_names);
	rd_kafka_conf_destroy(scratch);
}

/* KPIGATE_* variables that configure nothing are typos. */
static void check_unknown_env(vctx *c)
{
	char known[F__COUNT][128];
	const char *ptrs[F__COUNT];

	for (int i = 0; i < F__COUNT; i++) {
		env_name(&specs[i], known[i], sizeof(known[i]));
		ptrs[i] = known[i];
	}
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '='), *hint;
		char name[128];
		where w;
		int i;

		if (eq == NULL || strncmp(*e, ENV_PREFIX, strlen(ENV_PREFIX)) != 0 ||
		    strncmp(*e, ENV_PROPERTY_PREFIX, strlen(ENV_PROPERTY_PREFIX)) == 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - *e), *e);
		for (i = 0; i < F__COUNT; i++)
			if (strcmp(name, known[i]) == 0)
				break;
		if (i < F__COUNT)
			continue;
		where_env(&w, "", name);
		hint = policy_suggest(name, ptrs, F__COUNT);
		werr(c, &w, 0, "unknown kpigate environment variable%s%s%s",
		     hint ? "; did you mean " : "", hint ? hint : "", hint ? "?" : "");
	}
}

/* ---- checks across keys, and the file system ---------------------- */

static void check_topics(vctx *c, const config *cfg)
{
	if (cfg->capture_topic && cfg->ground_truth_topic &&
	    strcmp(cfg->capture_topic, cfg->ground_truth_topic) == 0)
		werr(c, &c->src[F_GROUND_TRUTH], 0,
		     "kafka.ground_truth_topic must differ from kafka.capture_topic");
	if (cfg->dead_letter_topic &&
	    ((cfg->capture_topic &&
	      strcmp(cfg->dead_letter_topic, cfg->capture_topic) == 0) ||
	     (cfg->ground_truth_topic &&
	      strcmp(cfg->dead_letter_topic, cfg->ground_truth_topic) == 0)))
		werr(c, &c->src[F_DEAD_LETTER], 0,
		     "kafka.dead_letter_topic must differ from the topics read");
	/* a label must reach the replica holding its prediction: only the
	 * range assignor gives capture partition N and ground-truth partition
	 * N (same key, same partition count) to the same member */
	if (cfg->ground_truth_topic) {
		const char *s = config_property_get(cfg, "partition.assignment.strategy");

		if (s != NULL && strncmp(s, "range", 5) != 0)
			werr(c, &c->src[F_GROUND_TRUTH], 0,
			     "with kafka.ground_truth_topic, librdkafka property \"partition.assignment.strategy\" must be \"range\" (it is \"%s\"): only the range assignor keeps ground-truth partition N with capture partition N, where its predictions wait",
			     s);
	}
	if ((unsigned long long)cfg->poll_timeout_ms >=
	    (unsigned long long)cfg->shutdown_timeout_s * 1000ULL)
		werr(c, &c->src[c->set[F_POLL] ? F_POLL : F_SHUTDOWN], 0,
		     "kafka.poll_timeout_ms (%u) must be shorter than shutdown_timeout_seconds (%u s)",
		     cfg->poll_timeout_ms, cfg->shutdown_timeout_s);
}

static void check_paths(vctx *c, config *cfg)
{
	struct stat st;
	char *parent;
	kpg_err err;
	int rc;

	if (cfg->policy_dir != NULL) {
		const where *w = &c->src[F_POLICY_DIR];

		if (stat(cfg->policy_dir, &st) != 0) {
			werr(c, w, 0, "policy_dir \"%s\": %s", cfg->policy_dir,
			     strerror(errno));
		} else if (!S_ISDIR(st.st_mode)) {
			werr(c, w, 0, "policy_dir \"%s\" is not a folder",
			     cfg->policy_dir);
		} else {
			kpg_err_clear(&err);
			rc = policy_dir_list(cfg->policy_dir, &cfg->policy_files,
						  &cfg->n_policy_files, &err);
			if (rc == KPG_ENOMEM)
				c->nomem = 1;
			else if (rc != 0)
				werr(c, w, 0, "policy_dir \"%s\": %s", cfg->policy_dir,
				     err.msg);
			else if (cfg->n_policy_files == 0)
				werr(c, w, 0, "policy_dir \"%s\" holds no *.json policy file",
				     cfg->policy_dir);
		}
	}
	if (cfg->audit_log != NULL) {
		const where *w = &c->src[F_AUDIT];

		if (stat(cfg->audit_log, &st) == 0 && S_ISDIR(st.st_mode))
			werr(c, w, 0, "audit_log \"%s\" is a folder; name a file",
			     cfg->audit_log);
		parent = dir_of(cfg->audit_log);
		if (parent == NULL)
			c->nomem = 1;
		else if (parent[0] != '\0' &&
			 (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)))
			werr(c, w, 0, "audit_log \"%s\": its folder \"%s\" does not exist",
			     cfg->audit_log, parent);
		free(parent);
	}
	if (cfg->state_dir != NULL) {
		const where *w = &c->src[F_STATE_DIR];

		if (stat(cfg->state_dir, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				werr(c, w, 0, "state_dir \"%s\" is not a folder",
				     cfg->state_dir);
		} else if ((parent = dir_of(cfg->state_dir)) == NULL) {
			c->nomem = 1;
		} else {
			/* the daemon creates state_dir itself, not its parents */
			if (parent[0] != '\0' &&
			    (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)))
				werr(c, w, 0, "state_dir \"%s\" cannot be created: \"%s\" does not exist",
				     cfg->state_dir, parent);
			free(parent);
		}
		if (cfg->policy_dir && strcmp(cfg->state_dir, cfg->policy_dir) == 0)
			werr(c, w, 0, "state_dir must not be policy_dir");
	}
	if (!cfg->route_by_key && cfg->route_header == NULL &&
	    cfg->n_policy_files > 1) {
		where w = c->src[F_ROUTE_KEY];

		werr(c, &w, 0, "kafka.routing uses neither the message key nor a header, so every record goes to one policy, but policy_dir holds %zu",
		     cfg->n_policy_files);
	}
}

static void split_listen(vctx *c, config *cfg)
{
	char host[256];
	unsigned port;

	if (parse_hostport(cfg->http_listen, strlen(cfg->http_listen), 0, host,
			   sizeof(host), &port) != NULL)
		return; /* already reported */
	cfg->http_port = port;
	dup_str(c, host, &cfg->http_host);
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
	if (rc == KPG_ETOOBIG) {
		vctx c;

		memset(&c, 0, sizeof(c));
		c.d = diags;
		c.base = diags->n;
		diag_at(&c, 0, 0, NULL, "%s", err->msg);
		kpg_err_set(err, "%s: 1 error", path);
		return c.nomem ? KPG_ENOMEM : KPG_EINVAL;
	}
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
	json_error_t jerr;
	json_t *root = NULL;
	config *cfg = NULL;
	char *dir = NULL;
	vctx c;
	int rc = 0;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.d = diags;
	c.base = diags->n;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || config_defaults(cfg) != 0 ||
	    (cfg->source_path = strdup(path)) == NULL ||
	    (dir = dir_of(path)) == NULL)
		goto nomem;
	c.dir = dir;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* a syntax error: jansson's position, and nothing more */
		diag_at(&c, jerr.line > 0 ? jerr.line : 0,
			jerr.column > 0 ? jerr.column : 0, NULL, "%s", jerr.text);
		goto out;
	}
	rc = json_locate_build(text, len, &loc, err);
	if (rc == KPG_ENOMEM)
		goto nomem;
	if (rc) {
		diag_at(&c, 0, 0, NULL, "%s", err->msg);
		goto out;
	}
	c.loc = loc;
	if (!json_is_object(root)) {
		diag_at(&c, 1, 1, NULL, "a configuration file is one JSON object, got %s",
			json_kind(root));
		goto out;
	}
	load_objects(&c, root);
	for (int i = 0; i < F__COUNT; i++)
		load_key(&c, cfg, &specs[i]);
	load_properties(&c, cfg);
	check_unknown_env(&c);
	if (c.nomem)
		goto nomem;
	split_listen(&c, cfg);
	check_topics(&c, cfg);
	check_paths(&c, cfg);
	if (c.nomem)
		goto nomem;
out:
	rc = 0;
	if (c.n_errors > 0) {
		size_t kept = diags->n - c.base;

		if (kept > 1)
			qsort(diags->items + c.base, kept, sizeof(*diags->items),
			      diag_cmp);
		if (c.n_errors > kept && kept > 0) {
			config_diag *last = &diags->items[diags->n - 1];

			last->line = last->column = 0;
			last->origin[0] = '\0';
			snprintf(last->message, sizeof(last->message),
				 "... and %zu more errors", c.n_errors - kept + 1);
		}
		kpg_err_set(err, "%s: %zu error%s", path, c.n_errors,
			    c.n_errors == 1 ? "" : "s");
		rc = KPG_EINVAL;
	} else {
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
