/* bench_kafka_produce - a flow-controlled producer for the Kafka throughput
 * benchmark (bench/kafka_bench.sh), and the stopwatch of the consumer it
 * feeds.
 *
 * usage: bench_kafka_produce -b BOOTSTRAP -t TOPIC -g GROUP -f FILE
 *                            [-n N] [-k KEY] [-B BUDGET_BYTES] [-T SECONDS]
 *                            [-M METRICS_PORT] [-X prop=value]...
 *
 * Sends the lines of FILE (cycled when it has fewer than N) as N records
 * keyed KEY (default "churn-endpoint", the example's endpoint) to TOPIC,
 * and watches the committed offsets of consumer group GROUP until they
 * cover all N records.
 *
 * Flow control. librdkafka 2.0's mock cluster keeps at most 5 MiB of
 * message sets per partition and drops the oldest beyond that, read or
 * not. So the producer keeps (records sent) - (records the group has
 * committed) below BUDGET_BYTES / (longest line + 64) records, default 4
 * MiB: even if every unconsumed record sat in one partition, it would
 * still fit. The budget counts uncompressed bytes: more than 4 MiB is
 * safe only with compression (-X compression.type=lz4), whose ratio on
 * capture lines is about 4 (the mock keeps message sets as sent). A
 * wrong budget cannot go unnoticed: the consumers' counts show any loss.
 * The committed offsets come from rd_kafka_committed on a
 * second handle with the same group.id that never subscribes (an
 * OffsetFetch: it does not join the group), every POLL_MS. The topic must
 * be fresh (offsets from 0), so the committed offsets add up to the
 * records consumed.
 *
 * Stopwatch. The clock starts when the group first commits anything and
 * stops when the commits cover all N records; the rate is the records in
 * between over that time. Measured the same way for every consumer, it
 * leaves out the group join (seconds in the mock) and charges each
 * consumer for its own commit delay.
 *
 * With -M PORT the consumer is kpigate run, whose offsets are committed
 * only after a checkpoint (at most once a second, or when a window
 * closes): flow control and the stopwatch then follow the records it has
 * consumed, kpigate_capture_records_total on http://127.0.0.1:PORT/metrics,
 * so neither measures the checkpoint cadence; the run still waits for the
 * commits to cover all N records before it succeeds.
 *
 * Prints one JSON line; exits 0 when every record was delivered and
 * committed, 1 otherwise (delivery failures, deadline), 2 on usage. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define PROD_MAX_LINE (1024 * 1024) /* the client's message.max.bytes */
#define PROD_MAX_PROPS 64
#define PROD_MAX_PARTS 1024
#define PROD_POLL_MS 5   /* committed-offset refresh */
#define PROD_OVERHEAD 64 /* record framing, key, headers */

typedef struct prod_opts {
	const char *bootstrap, *topic, *group, *file, *key;
	long long n;
	long long budget_bytes;
	double deadline_s;
	int metrics_port; /* 0 = progress from commits */
	const char *props[2 * PROD_MAX_PROPS];
	size_t n_props;
} prod_opts;

typedef struct prod_stats {
	long long sent, delivered, failed;
	char first_error[256];
} prod_stats;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	prod_stats *st = opaque;

	(void)rk;
	if (m->err) {
		if (st->failed++ == 0)
			snprintf(st->first_error, sizeof(st->first_error), "%s",
				 rd_kafka_err2str(m->err));
	} else {
		st->delivered++;
	}
}

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *val)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, name, val, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK) {
		fprintf(stderr, "bench_kafka_produce: %s=%s: %s\n", name, val, errstr);
		return -1;
	}
	return 0;
}

/* The producer (shared -X properties plus our batching defaults) and the
 * offset watcher (only bootstrap and group). */
static int make_handles(const prod_opts *o, prod_stats *st, rd_kafka_t **prk,
			rd_kafka_t **crk)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512];

	if (conf_set(conf, "bootstrap.servers", o->bootstrap) ||
	    conf_set(conf, "linger.ms", "5") ||
	    conf_set(conf, "batch.num.messages", "10000") ||
	    conf_set(conf, "message.timeout.ms", "60000"))
		goto fail;
	for (size_t i = 0; i < o->n_props; i++)
		if (conf_set(conf, o->props[2 * i], o->props[2 * i + 1]))
			goto fail;
	rd_kafka_conf_set_opaque(conf, st);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	*prk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (*prk == NULL) {
		fprintf(stderr, "bench_kafka_produce: producer: %s\n", errstr);
		goto fail;
	}
	conf = rd_kafka_conf_new(); /* the first is now owned by the producer */
	if (conf_set(conf, "bootstrap.servers", o->bootstrap) ||
	    conf_set(conf, "group.id", o->group) ||
	    conf_set(conf, "enable.auto.commit", "false"))
		goto fail;
	*crk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (*crk == NULL) {
		fprintf(stderr, "bench_kafka_produce: watcher: %s\n", errstr);
		goto fail;
	}
	return 0;
fail:
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	return -1;
}

/* The topic's partitions, into a list for rd_kafka_committed. */
static rd_kafka_topic_partition_list_t *topic_parts(rd_kafka_t *rk,
						    const char *topic)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	rd_kafka_topic_partition_list_t *l = NULL;
	rd_kafka_resp_err_t r;

	if (rkt == NULL)
		return NULL;
	r = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
	if (r || md->topic_cnt != 1 || md->topics[0].err ||
	    md->topics[0].partition_cnt < 1 ||
	    md->topics[0].partition_cnt > PROD_MAX_PARTS) {
		fprintf(stderr, "bench_kafka_produce: no usable metadata for %s: %s\n",
			topic, rd_kafka_err2str(r ? r : md->topics[0].err));
		goto out;
	}
	l = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
	for (int i = 0; i < md->topics[0].partition_cnt; i++)
		rd_kafka_topic_partition_list_add(l, topic,
						  md->topics[0].partitions[i].id);
out:
	if (md != NULL)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return l;
}

/* Records the group has committed on the topic (-1 on error: keep the
 * last value). */
static long long committed_total(rd_kafka_t *crk,
				 rd_kafka_topic_partition_list_t *l)
{
	long long sum = 0;

	for (int i = 0; i < l->cnt; i++)
		l->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
	if (rd_kafka_committed(crk, l, 5000))
		return -1;
	for (int i = 0; i < l->cnt; i++)
		if (l->elems[i].err == 0 && l->elems[i].offset > 0)
			sum += l->elems[i].offset;
	return sum;
}

/* kpigate_capture_records_total from kpigate's /metrics, -1 on error. */
static long long metrics_progress(int port)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	static const char name[] = "\nkpigate_capture_records_total ";
	static char buf[1 << 16];
	struct sockaddr_in sa;
	struct timeval tv = {1, 0};
	size_t len = 0;
	ssize_t r;
	long long v = -1;
	char *at;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		goto out;
	while (len < sizeof(buf) - 1 &&
	       (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = '\0';
	at = strstr(buf, name);
	if (at != NULL)
		v = strtoll(at + sizeof(name) - 1, NULL, 10);
out:
	close(fd);
	return v;
}

static int parse_ll(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end); /* 1e6 is allowed */
	if (errno || end == s || *end || d < (double)lo || d > (double)hi ||
	    d != (double)(long long)d)
		return -1;
	*out = (long long)d;
	return 0;
}

static int parse_args(int argc, char **argv, prod_opts *o)
{
	long long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->n = 1000000;
	o->key = "churn-endpoint";
	o->budget_bytes = 4LL << 20;
	o->deadline_s = 900;
	while ((c = getopt(argc, argv, "b:t:g:f:n:k:B:T:X:M:")) != -1) {
		switch (c) {
		case 'b': o->bootstrap = optarg; break;
		case 't': o->topic = optarg; break;
		case 'g': o->group = optarg; break;
		case 'f': o->file = optarg; break;
		case 'k': o->key = optarg; break;
		case 'n':
			if (parse_ll(optarg, 1, 1000000000LL, &o->n))
				return -1;
			break;
		case 'B':
			if (parse_ll(optarg, 1 << 16, 64LL << 20, &o->budget_bytes))
				return -1;
			break;
		case 'M':
			if (parse_ll(optarg, 1, 65535, &v))
				return -1;
			o->metrics_port = (int)v;
			break;
		case 'T':
			if (parse_ll(optarg, 1, 86400, &v))
				return -1;
			o->deadline_s = (double)v;
			break;
		case 'X': {
			char *eq = strchr(optarg, '=');

			if (eq == NULL || o->n_props == PROD_MAX_PROPS)
				return -1;
			*eq = '\0';
			o->props[2 * o->n_props] = optarg;
			o->props[2 * o->n_props + 1] = eq + 1;
			o->n_props++;
			break;
		}
		default:
			return -1;
		}
	}
	if (optind != argc || !o->bootstrap || !o->topic || !o->group || !o->file)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	prod_opts o;
	prod_stats st;
	rd_kafka_t *prk = NULL, *crk = NULL;
	rd_kafka_topic_partition_list_t *parts = NULL;
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0, max_len = 0;
	long long committed = 0, progress = 0, c0 = -1, cycles = 0;
	double t_start, t0 = 0, t1 = 0, deadline, next_poll = 0, stalled = 0;
	int rc = 1, done = 0;

	memset(&st, 0, sizeof(st));
	if (parse_args(argc, argv, &o)) {
		fprintf(stderr, "usage: bench_kafka_produce -b BOOTSTRAP -t TOPIC "
				"-g GROUP -f FILE [-n N] [-k KEY] [-B BUDGET_BYTES "
				"(65536..67108864)] [-T SECONDS] [-M METRICS_PORT] "
				"[-X prop=value]...\n");
		return 2;
	}
	if ((f = fopen(o.file, "r")) == NULL) {
		fprintf(stderr, "bench_kafka_produce: %s: %s\n", o.file, strerror(errno));
		return 1;
	}
	if (make_handles(&o, &st, &prk, &crk) ||
	    (parts = topic_parts(prk, o.topic)) == NULL)
		goto out;
	t_start = now_s();
	deadline = t_start + o.deadline_s;
	while (!done) {
		double t = now_s();

		if (t > deadline) {
			fprintf(stderr, "bench_kafka_produce: deadline: %lld of %lld "
					"records committed\n",
				committed, o.n);
			break;
		}
		if (st.failed) {
			fprintf(stderr, "bench_kafka_produce: delivery failed: %s\n",
				st.first_error);
			break;
		}
		if (t >= next_poll) {
			long long c = committed_total(crk, parts);

			next_poll = t + PROD_POLL_MS * 1e-3;
			if (c >= 0)
				committed = c;
			if (o.metrics_port > 0) {
				long long p = metrics_progress(o.metrics_port);

				if (p >= 0)
					progress = p;
			} else {
				progress = committed;
			}
			if (c0 < 0 && progress > 0) {
				c0 = progress;
				t0 = now_s();
			}
			if (progress >= o.n && t1 == 0)
				t1 = now_s();
			if (progress >= o.n && committed >= o.n) {
				done = 1;
				break;
			}
		}
		/* send what the budget allows; the longest line so far
		 * bounds every record already sent */
		while (st.sent < o.n) {
			long long budget = o.budget_bytes /
					   (long long)(max_len + PROD_OVERHEAD);
			ssize_t len;

			if (st.sent - progress >= budget)
				break;
			len = getline(&line, &cap, f);
			if (len < 0) {
				if (ferror(f) || st.sent == 0 || cycles > 1000000) {
					fprintf(stderr, "bench_kafka_produce: %s: no "
							"lines to send\n",
						o.file);
					goto out;
				}
				rewind(f);
				cycles++;
				continue;
			}
			if (len > 0 && line[len - 1] == '\n')
				len--;
			if (len == 0)
				continue;
			if ((size_t)len > PROD_MAX_LINE) {
				fprintf(stderr, "bench_kafka_produce: a line of %zd "
						"bytes is over the %d cap\n",
					len, PROD_MAX_LINE);
				goto out;
			}
			/* a longer line shrinks the budget from the next
			 * record on; one record over it fits in the 1 MiB
			 * between the default budget and the mock's 5 MiB */
			if ((size_t)len > max_len)
				max_len = (size_t)len;
			while (rd_kafka_producev(prk, RD_KAFKA_V_TOPIC(o.topic),
						 RD_KAFKA_V_KEY(o.key, strlen(o.key)),
						 RD_KAFKA_V_VALUE(line, (size_t)len),
						 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
						 RD_KAFKA_V_END) ==
			       RD_KAFKA_RESP_ERR__QUEUE_FULL)
				rd_kafka_poll(prk, 10);
			st.sent++;
		}
		rd_kafka_poll(prk, 0);
		if (st.sent < o.n && st.sent - progress > 0 &&
		    st.sent - progress >=
			    o.budget_bytes / (long long)(max_len + PROD_OVERHEAD)) {
			double w0 = now_s();

			sleep_ms(1);
			stalled += now_s() - w0;
		} else if (st.sent >= o.n) {
			rd_kafka_poll(prk, 1); /* all sent: wait for the commits */
		}
	}
	rd_kafka_flush(prk, 30000);
	if (done && st.failed == 0 && st.delivered == o.n)
		rc = 0;
	printf("{\"topic\":\"%s\",\"group\":\"%s\",\"records\":%lld,\"sent\":%lld,"
	       "\"delivered\":%lld,\"failed\":%lld,\"committed\":%lld,"
	       "\"timed_records\":%lld,\"seconds\":%.3f,\"rate\":%.0f,"
	       "\"budget_records\":%lld,\"stalled_seconds\":%.3f,\"cycles\":%lld}\n",
	       o.topic, o.group, o.n, st.sent, st.delivered, st.failed, committed,
	       c0 < 0 ? 0 : o.n - c0, done ? t1 - t0 : 0.0,
	       done && t1 > t0 ? (double)(o.n - c0) / (t1 - t0) : 0.0,
	       o.budget_bytes / (long long)(max_len + PROD_OVERHEAD), stalled, cycles);
out:
	free(line);
	if (f != NULL)
		fclose(f);
	if (parts != NULL)
		rd_kafka_topic_partition_list_destroy(parts);
	if (crk != NULL) {
		rd_kafka_consumer_close(crk);
		rd_kafka_destroy(crk);
	}
	if (prk != NULL)
		rd_kafka_destroy(prk);
	return rc;
}
