/* bench_kafka_bare - the baseline of the Kafka throughput benchmark
 * (bench/kafka_bench.sh): a bare librdkafka consumer-group member that
 * does what kpigate run does with Kafka and nothing else.
 *
 * usage: bench_kafka_bare -b BOOTSTRAP -t TOPIC -g GROUP [-n N] [-s BATCH]
 *                         [-T SECONDS] [-X prop=value]...
 *
 * Like the daemon (adapters/kafka_source.c): subscribes with
 * enable.auto.offset.store=false, takes batches of up to BATCH (default
 * 1000) with rd_kafka_consume_batch_queue, and after each batch stores
 * the offset of the last record of each partition it saw; librdkafka's
 * auto commit sends them (auto.commit.interval.ms, set with -X). It does
 * not parse anything: it counts records and bytes.
 *
 * It also checks the offsets it sees: per partition they must follow on
 * from one another. A gap means records were lost (the mock pruned them
 * before we fetched them), a step back means some came twice.
 *
 * Stops after N records (default 1,000,000) or SECONDS (default 900),
 * commits synchronously, leaves the group, and prints one JSON line:
 * records, bytes, gaps (records skipped), duplicates, and the seconds and
 * rate from the first record to the N-th. Exits 0 when exactly N distinct
 * records arrived with no gap, 1 otherwise, 2 on usage. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#define BARE_MAX_BATCH 100000
#define BARE_MAX_PROPS 64
#define BARE_MAX_PARTS 1024

typedef struct bare_part {
	int64_t next;  /* next offset expected, -1 before the first */
	int64_t store; /* last offset seen in this batch, -1 = none */
} bare_part;

typedef struct bare_stats {
	long long records, bytes, gaps, dups, errors;
} bare_stats;

static volatile sig_atomic_t bare_stop;

static void on_signal(int sig)
{
	(void)sig;
	bare_stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Both protocols, and a commit on revoke, as the daemon does. */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t rerr,
			 rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	rd_kafka_error_t *e = NULL;

	(void)opaque;
	if (rerr == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		if (coop)
			e = rd_kafka_incremental_assign(rk, parts);
		else
			rd_kafka_assign(rk, parts);
		fprintf(stderr, "bench_kafka_bare: assigned %d partition(s)\n",
			parts->cnt);
		return;
	}
	if (rerr == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS &&
	    !rd_kafka_assignment_lost(rk))
		rd_kafka_commit(rk, NULL, 0);
	if (coop)
		e = rd_kafka_incremental_unassign(rk, parts);
	else
		rd_kafka_assign(rk, NULL);
	if (e != NULL)
		rd_kafka_error_destroy(e);
}

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *val)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, name, val, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK) {
		fprintf(stderr, "bench_kafka_bare: %s=%s: %s\n", name, val, errstr);
		return -1;
	}
	return 0;
}

static int parse_ll(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || d < (double)lo || d > (double)hi ||
	    d != (double)(long long)d)
		return -1;
	*out = (long long)d;
	return 0;
}

/* Stores each partition's last offset of the batch: one list per batch,
 * like the daemon's per-partition store at a checkpoint. */
static void store_batch(rd_kafka_t *rk, const char *topic, bare_part *p)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);

	for (int i = 0; i < BARE_MAX_PARTS; i++) {
		if (p[i].store < 0)
			continue;
		rd_kafka_topic_partition_list_add(l, topic, i)->offset =
			p[i].store + 1;
		p[i].store = -1;
	}
	if (l->cnt > 0)
		rd_kafka_offsets_store(rk, l); /* a revoked partition is refused */
	rd_kafka_topic_partition_list_destroy(l);
}

int main(int argc, char **argv)
{
	const char *bootstrap = NULL, *topic = NULL, *group = NULL;
	const char *props[2 * BARE_MAX_PROPS];
	size_t n_props = 0;
	long long n = 1000000, batch = 1000, secs = 900;
	rd_kafka_conf_t *conf = NULL;
	rd_kafka_t *rk = NULL;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_message_t **msgs = NULL;
	rd_kafka_topic_partition_list_t *subs;
	bare_part *parts = NULL;
	bare_stats st;
	struct sigaction sa;
	char errstr[512];
	double t0 = 0, t1 = 0, deadline;
	int c, rc = 1;

	memset(&st, 0, sizeof(st));
	while ((c = getopt(argc, argv, "b:t:g:n:s:T:X:")) != -1) {
		switch (c) {
		case 'b': bootstrap = optarg; break;
		case 't': topic = optarg; break;
		case 'g': group = optarg; break;
		case 'n':
			if (parse_ll(optarg, 1, 1000000000LL, &n))
				goto usage;
			break;
		case 's':
			if (parse_ll(optarg, 1, BARE_MAX_BATCH, &batch))
				goto usage;
			break;
		case 'T':
			if (parse_ll(optarg, 1, 86400, &secs))
				goto usage;
			break;
		case 'X': {
			char *eq = strchr(optarg, '=');

			if (eq == NULL || n_props == BARE_MAX_PROPS)
				goto usage;
			*eq = '\0';
			props[2 * n_props] = optarg;
			props[2 * n_props + 1] = eq + 1;
			n_props++;
			break;
		}
		default:
			goto usage;
		}
	}
	if (optind != argc || !bootstrap || !topic || !group)
		goto usage;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	msgs = calloc((size_t)batch, sizeof(*msgs));
	parts = malloc(BARE_MAX_PARTS * sizeof(*parts));
	if (msgs == NULL || parts == NULL) {
		fprintf(stderr, "bench_kafka_bare: out of memory\n");
		goto out;
	}
	for (int i = 0; i < BARE_MAX_PARTS; i++)
		parts[i].next = parts[i].store = -1;

	conf = rd_kafka_conf_new();
	for (size_t i = 0; i < n_props; i++)
		if (conf_set(conf, props[2 * i], props[2 * i + 1]))
			goto out;
	if (conf_set(conf, "bootstrap.servers", bootstrap) ||
	    conf_set(conf, "group.id", group) ||
	    conf_set(conf, "enable.auto.offset.store", "false") ||
	    conf_set(conf, "enable.partition.eof", "false"))
		goto out;
	rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (rk == NULL) {
		fprintf(stderr, "bench_kafka_bare: %s\n", errstr);
		goto out;
	}
	conf = NULL; /* now owned, and freed, by rk */
	rd_kafka_poll_set_consumer(rk);
	q = rd_kafka_queue_get_consumer(rk);
	subs = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(subs, topic, RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(rk, subs)) {
		fprintf(stderr, "bench_kafka_bare: cannot subscribe to %s\n", topic);
		rd_kafka_topic_partition_list_destroy(subs);
		goto out;
	}
	rd_kafka_topic_partition_list_destroy(subs);

	deadline = now_s() + (double)secs;
	while (!bare_stop && st.records < n && now_s() < deadline) {
		ssize_t got = rd_kafka_consume_batch_queue(q, 100, msgs, (size_t)batch);

		if (got < 0) {
			fprintf(stderr, "bench_kafka_bare: consume: %s\n",
				rd_kafka_err2str(rd_kafka_last_error()));
			break;
		}
		for (ssize_t i = 0; i < got; i++) {
			const rd_kafka_message_t *m = msgs[i];
			bare_part *p;

			if (m->err) {
				st.errors++;
				fprintf(stderr, "bench_kafka_bare: %s: %s\n",
					rd_kafka_err2name(m->err),
					rd_kafka_message_errstr(m));
				continue;
			}
			if (m->partition < 0 || m->partition >= BARE_MAX_PARTS) {
				st.errors++;
				continue;
			}
			p = &parts[m->partition];
			if (p->next >= 0 && m->offset > p->next)
				st.gaps += m->offset - p->next;
			if (p->next >= 0 && m->offset < p->next) {
				st.dups++;
			} else {
				if (p->next < 0 && m->offset > 0)
					st.gaps += m->offset; /* the topic is fresh */
				if (st.records == 0)
					t0 = now_s();
				st.records++;
				st.bytes += (long long)m->len;
				p->next = m->offset + 1;
				if (st.records == n)
					t1 = now_s();
			}
			p->store = m->offset;
		}
		store_batch(rk, topic, parts);
		for (ssize_t i = 0; i < got; i++)
			rd_kafka_message_destroy(msgs[i]);
	}
	if (st.records == n && st.gaps == 0)
		rc = 0;
	/* now, not at the next auto commit: the producer's stopwatch waits
	 * for it */
	(void)rd_kafka_commit(rk, NULL, 0);
	printf("{\"topic\":\"%s\",\"group\":\"%s\",\"records\":%lld,\"bytes\":%lld,"
	       "\"gaps\":%lld,\"duplicates\":%lld,\"errors\":%lld,\"seconds\":%.3f,"
	       "\"rate\":%.0f}\n",
	       topic, group, st.records, st.bytes, st.gaps,
	       st.dups, st.errors, t1 > t0 ? t1 - t0 : 0.0,
	       t1 > t0 ? (double)(st.records - 1) / (t1 - t0) : 0.0);
	fflush(stdout);
out:
	if (q != NULL)
		rd_kafka_queue_destroy(q);
	if (rk != NULL) {
		rd_kafka_consumer_close(rk);
		rd_kafka_destroy(rk);
	}
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	free(msgs);
	free(parts);
	return rc;
usage:
	fprintf(stderr, "usage: bench_kafka_bare -b BOOTSTRAP -t TOPIC -g GROUP "
			"[-n N] [-s BATCH (1..%d)] [-T SECONDS] [-X prop=value]...\n",
		BARE_MAX_BATCH);
	return 2;
}
