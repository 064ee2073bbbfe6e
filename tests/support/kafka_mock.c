/* kafka_mock.c - a real Kafka protocol peer for tests: librdkafka's mock
 * cluster run as its own process on loopback (127.0.0.1, ports picked by
 * the kernel).
 *
 *   kafka_mock [--brokers N] [--topic NAME:PARTITIONS]...
 *
 * Prints exactly one line "bootstrap=HOST:PORT,..." on stdout, then reads
 * one command per line from stdin until EOF, "quit" or SIGTERM/SIGINT, and
 * answers each with one line, "ok" or "error: ...":
 *
 *   broker_down ID | broker_up ID         (-1 = every broker)
 *   push_errors APIKEY COUNT ERR...       (APIKEY Fetch|OffsetCommit|...|N;
 *                                          ERR NOT_COORDINATOR|_TRANSPORT|N)
 *   coordinator_set group|txn KEY BROKER
 *   partition_leader TOPIC PART BROKER
 *   rtt BROKER MS
 *   topic NAME:PARTITIONS
 *   quit
 *
 * See docs/kafka-testing.md. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MOCK_MAX_BROKERS 16
#define MOCK_MAX_ERRS 64
#define MOCK_LINE 1024

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* Kafka protocol request types by name (the subset tests inject into). */
static const struct {
	const char *name;
	int16_t key;
} api_keys[] = {
	{"Produce", 0},
	{"Fetch", 1},
	{"ListOffsets", 2},
	{"Metadata", 3},
	{"OffsetCommit", 8},
	{"OffsetFetch", 9},
	{"FindCoordinator", 10},
	{"JoinGroup", 11},
	{"Heartbeat", 12},
	{"LeaveGroup", 13},
	{"SyncGroup", 14},
	{"DescribeGroups", 15},
	{"ListGroups", 16},
	{"SaslHandshake", 17},
	{"ApiVersions", 18},
	{"CreateTopics", 19},
	{"InitProducerId", 22},
	{"AddPartitionsToTxn", 24},
	{"AddOffsetsToTxn", 25},
	{"EndTxn", 26},
	{"TxnOffsetCommit", 28},
	{"SaslAuthenticate", 36},
	{"OffsetDelete", 47},
};

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_api_key(const char *s, int16_t *key)
{
	long v;

	for (size_t i = 0; i < sizeof(api_keys) / sizeof(api_keys[0]); i++) {
		if (strcasecmp(s, api_keys[i].name) == 0 ||
		    (strncasecmp(s, api_keys[i].name, strlen(api_keys[i].name)) == 0 &&
		     strcasecmp(s + strlen(api_keys[i].name), "Request") == 0)) {
			*key = api_keys[i].key;
			return 0;
		}
	}
	if (parse_long(s, 0, 1000, &v) != 0)
		return -1;
	*key = (int16_t)v;
	return 0;
}

/* An error code as a number or as rd_kafka_err2name() spells it, with or
 * without the RD_KAFKA_RESP_ERR_ prefix. */
static int parse_err(const char *s, rd_kafka_resp_err_t *err)
{
	const struct rd_kafka_err_desc *descs;
	size_t n;
	long v;

	if (parse_long(s, -200, 1000, &v) == 0) {
		*err = (rd_kafka_resp_err_t)v;
		return 0;
	}
	if (strncasecmp(s, "RD_KAFKA_RESP_ERR_", 18) == 0)
		s += 18;
	rd_kafka_get_err_descs(&descs, &n);
	for (size_t i = 0; i < n; i++) {
		if (descs[i].name != NULL && strcasecmp(descs[i].name, s) == 0) {
			*err = descs[i].code;
			return 0;
		}
	}
	return -1;
}

static int create_topic(rd_kafka_mock_cluster_t *mc, int brokers,
			const char *spec, char *why, size_t whylen)
{
	char name[256];
	const char *colon = strrchr(spec, ':');
	long parts = 1;
	rd_kafka_resp_err_t rerr;
	size_t len;

	if (colon != NULL) {
		if (parse_long(colon + 1, 1, 10000, &parts) != 0) {
			snprintf(why, whylen, "bad partition count in \"%s\"", spec);
			return -1;
		}
		len = (size_t)(colon - spec);
	} else {
		len = strlen(spec);
	}
	if (len == 0 || len >= sizeof(name)) {
		snprintf(why, whylen, "bad topic name in \"%s\"", spec);
		return -1;
	}
	memcpy(name, spec, len);
	name[len] = '\0';
	rerr = rd_kafka_mock_topic_create(mc, name, (int)parts,
					  brokers < 3 ? brokers : 3);
	if (rerr) {
		snprintf(why, whylen, "topic %s: %s", name, rd_kafka_err2str(rerr));
		return -1;
	}
	return 0;
}

/* Runs one command line; fills why and returns -1 on error. */
static int run_command(rd_kafka_mock_cluster_t *mc, int brokers, char *line,
		       int *quit, char *why, size_t whylen)
{
	char *argv[MOCK_MAX_ERRS + 4];
	int argc = 0;
	char *save = NULL, *tok;
	rd_kafka_resp_err_t rerr = RD_KAFKA_RESP_ERR_NO_ERROR;
	long a, b;

	for (tok = strtok_r(line, " \t\r\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == (int)(sizeof(argv) / sizeof(argv[0]))) {
			snprintf(why, whylen, "too many arguments");
			return -1;
		}
		argv[argc++] = tok;
	}
	if (argc == 0) {
		snprintf(why, whylen, "empty command");
		return -1;
	}
#define NEED(n, usage) \
	do { \
		if (argc != (n)) { \
			snprintf(why, whylen, "usage: %s", usage); \
			return -1; \
		} \
	} while (0)
	if (strcmp(argv[0], "quit") == 0) {
		NEED(1, "quit");
		*quit = 1;
	} else if (strcmp(argv[0], "broker_down") == 0 ||
		   strcmp(argv[0], "broker_up") == 0) {
		NEED(2, "broker_down|broker_up ID");
		if (parse_long(argv[1], -1, brokers, &a) != 0 || a == 0) {
			snprintf(why, whylen, "no broker %s (1..%d or -1)",
				 argv[1], brokers);
			return -1;
		}
		rerr = argv[0][7] == 'd' ? rd_kafka_mock_broker_set_down(mc, (int32_t)a)
					 : rd_kafka_mock_broker_set_up(mc, (int32_t)a);
	} else if (strcmp(argv[0], "push_errors") == 0) {
		rd_kafka_resp_err_t errs[MOCK_MAX_ERRS];
		int16_t key;

		if (argc < 4 || parse_api_key(argv[1], &key) != 0 ||
		    parse_long(argv[2], 1, MOCK_MAX_ERRS, &a) != 0) {
			snprintf(why, whylen,
				 "usage: push_errors APIKEY COUNT ERR... "
				 "(COUNT 1..%d)",
				 MOCK_MAX_ERRS);
			return -1;
		}
		/* COUNT errors; fewer names repeat the last one */
		for (long i = 0; i < a; i++) {
			int k = 3 + (int)(i < argc - 3 ? i : argc - 4);
			if (parse_err(argv[k], &errs[i]) != 0) {
				snprintf(why, whylen, "unknown error code %s", argv[k]);
				return -1;
			}
		}
		rd_kafka_mock_push_request_errors_array(mc, key, (size_t)a, errs);
	} else if (strcmp(argv[0], "coordinator_set") == 0) {
		const char *type;

		NEED(4, "coordinator_set group|txn KEY BROKER");
		if (strcmp(argv[1], "group") == 0)
			type = "group";
		else if (strcmp(argv[1], "txn") == 0 ||
			 strcmp(argv[1], "transaction") == 0)
			type = "transaction";
		else {
			snprintf(why, whylen, "coordinator type must be group or txn");
			return -1;
		}
		if (parse_long(argv[3], -1, INT_MAX, &a) != 0) {
			snprintf(why, whylen, "bad broker id %s", argv[3]);
			return -1;
		}
		rerr = rd_kafka_mock_coordinator_set(mc, type, argv[2], (int32_t)a);
	} else if (strcmp(argv[0], "partition_leader") == 0) {
		NEED(4, "partition_leader TOPIC PART BROKER");
		if (parse_long(argv[2], 0, INT_MAX, &a) != 0 ||
		    parse_long(argv[3], -1, brokers, &b) != 0 || b == 0) {
			snprintf(why, whylen, "bad partition or broker id");
			return -1;
		}
		rerr = rd_kafka_mock_partition_set_leader(mc, argv[1], (int32_t)a,
							  (int32_t)b);
	} else if (strcmp(argv[0], "rtt") == 0) {
		NEED(3, "rtt BROKER MS");
		if (parse_long(argv[1], -1, brokers, &a) != 0 || a == 0 ||
		    parse_long(argv[2], 0, 600000, &b) != 0) {
			snprintf(why, whylen, "bad broker id or milliseconds");
			return -1;
		}
		rerr = rd_kafka_mock_broker_set_rtt(mc, (int32_t)a, (int)b);
	} else if (strcmp(argv[0], "topic") == 0) {
		NEED(2, "topic NAME:PARTITIONS");
		return create_topic(mc, brokers, argv[1], why, whylen);
	} else {
		snprintf(why, whylen, "unknown command %s", argv[0]);
		return -1;
	}
#undef NEED
	if (rerr) {
		snprintf(why, whylen, "%s", rd_kafka_err2str(rerr));
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: kafka_mock [--brokers N] "
			"[--topic NAME:PARTITIONS]...\n");
}

int main(int argc, char **argv)
{
	rd_kafka_conf_t *conf = NULL;
	rd_kafka_t *rk = NULL;
	rd_kafka_mock_cluster_t *mc = NULL;
	char errstr[512], why[512], line[MOCK_LINE];
	struct sigaction sa;
	long brokers = 3;
	int rc = 1, quit = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
			if (parse_long(argv[++i], 1, MOCK_MAX_BROKERS, &brokers) != 0) {
				fprintf(stderr, "kafka_mock: --brokers 1..%d\n",
					MOCK_MAX_BROKERS);
				return 2;
			}
		} else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc) {
			i++; /* created once the cluster is up */
		} else {
			usage();
			return 2;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The handle only keeps the cluster's books; it never connects. */
	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "client.id", "kafka_mock", errstr,
			      sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    /* warnings and worse: no notice about the missing bootstrap */
	    rd_kafka_conf_set(conf, "log_level", "4", errstr,
			      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "kafka_mock: %s\n", errstr);
		goto out;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL) {
		fprintf(stderr, "kafka_mock: %s\n", errstr);
		goto out;
	}
	conf = NULL; /* now owned, and freed, by rk */
	mc = rd_kafka_mock_cluster_new(rk, (int)brokers);
	if (mc == NULL) {
		fprintf(stderr, "kafka_mock: could not start the mock cluster\n");
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--brokers") == 0) {
			i++;
		} else if (strcmp(argv[i], "--topic") == 0) {
			if (create_topic(mc, (int)brokers, argv[++i], why,
					 sizeof(why)) != 0) {
				fprintf(stderr, "kafka_mock: %s\n", why);
				goto out;
			}
		}
	}
	printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	while (!stop_flag && !quit) {
		if (fgets(line, sizeof(line), stdin) == NULL) {
			if (ferror(stdin) && errno == EINTR && !stop_flag) {
				clearerr(stdin);
				continue;
			}
			break; /* EOF, or a signal asked us to stop */
		}
		if (strchr(line, '\n') == NULL && !feof(stdin)) {
			int c;
			while ((c = getchar()) != EOF && c != '\n')
				;
			printf("error: command longer than %d bytes\n", MOCK_LINE - 2);
		} else if (run_command(mc, (int)brokers, line, &quit, why,
				       sizeof(why)) != 0) {
			printf("error: %s\n", why);
		} else {
			printf("ok\n");
		}
		fflush(stdout);
	}
	rc = 0;
out:
	if (mc != NULL)
		rd_kafka_mock_cluster_destroy(mc);
	if (rk != NULL)
		rd_kafka_destroy(rk);
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	return rc;
}
