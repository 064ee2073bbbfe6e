#!/usr/bin/env bash
# e2e_kafka_mock.sh - the Kafka test peer (tests/support/kafka_mock.c) is a
# real Kafka: kcat produces 2,000 keyed records to a 6-partition topic and
# a kcat consumer group reads each back exactly once; with a broker down a
# producer waits, and completes once the broker is back; the command
# language answers "error: ..." to bad commands.
# argv: kpigate-binary shared-dir tests-dir build-dir (exit 77 = skip)
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
e2e_need_kafka

kafka_start events:6 || { echo "FAIL the mock did not start"; exit 1; }
echo "bootstrap $KAFKA_BOOTSTRAP"
case $KAFKA_BOOTSTRAP in
127.0.0.1:*,127.0.0.1:*,127.0.0.1:*) ;;
*) fail "bootstrap is not three loopback brokers: $KAFKA_BOOTSTRAP" ;;
esac

# 1. 2,000 keyed records, back through a consumer group exactly once.
for ((i = 0; i < 2000; i++)); do
	echo "ep$((i % 13)):rec-$i"
done >"$work/in.txt"
kafka_produce events "$work/in.txt" || fail "kcat could not produce"
[ "$(kafka_consume_count events)" = 2000 ] || fail "topic does not hold 2000 records"
kafka_group_consume g1 events 2000 "$work/out.txt" 30 ||
	fail "the group did not get 2000 records in 30 s"
tr ":" " " <"$work/in.txt" | sort >"$work/want"
awk '{ print $1, $4 }' "$work/out.txt" | sort >"$work/got"
if ! cmp -s "$work/want" "$work/got"; then
	fail "records differ from those produced (missing or duplicated):"
	diff "$work/want" "$work/got" | head -5
fi
# a key always lands on one partition; offsets per partition are dense
awk '{ if (($1 in p) && p[$1] != $2) bad = 1; p[$1] = $2 } END { exit bad }' \
	"$work/out.txt" || fail "one key on two partitions"
parts=$(awk '{ print $2 }' "$work/out.txt" | sort -u | wc -l)
[ "$parts" -ge 2 ] || fail "13 keys went to only $parts partition(s)"
awk '{ n[$2]++; if ($3 > m[$2]) m[$2] = $3 } END { for (p in n) if (m[p] + 1 != n[p]) exit 1 }' \
	"$work/out.txt" || fail "offsets within a partition are not 0..n-1"

# 2. The group committed: a second run of g1 sees only new records.
for ((i = 2000; i < 2100; i++)); do
	echo "ep$((i % 13)):rec-$i"
done >"$work/in2.txt"

# 3. Broker 2 down: producing waits for its partitions; broker up: the
# producer completes and every record arrives.
kafka_cmd "broker_down 2" >/dev/null || fail "broker_down 2 refused"
kafka_produce events "$work/in2.txt" &
prod=$!
sleep 3
if ! kill -0 "$prod" 2>/dev/null; then
	echo "note: producer finished while broker 2 was down (no partition led by it?)"
fi
kafka_cmd "broker_up 2" >/dev/null || fail "broker_up 2 refused"
wait "$prod" || fail "producing did not complete after broker_up"
kafka_group_consume g1 events 100 "$work/out2.txt" 30 ||
	fail "g1 did not get the 100 new records"
tr ":" " " <"$work/in2.txt" | sort >"$work/want2"
awk '{ print $1, $4 }' "$work/out2.txt" | sort >"$work/got2"
cmp -s "$work/want2" "$work/got2" ||
	fail "after broker down/up, g1 did not see exactly the 100 new records"
[ "$(kafka_consume_count events)" = 2100 ] || fail "topic does not hold 2100 records"

# 4. The command language.
r=$(kafka_cmd "push_errors Fetch 2 NOT_LEADER_FOR_PARTITION 6") || fail "push_errors: $r"
r=$(kafka_cmd "coordinator_set group g1 3") || fail "coordinator_set: $r"
r=$(kafka_cmd "partition_leader events 0 1") || fail "partition_leader: $r"
r=$(kafka_cmd "rtt 1 5") || fail "rtt: $r"
r=$(kafka_cmd "rtt 1 0") || fail "rtt 0: $r"
r=$(kafka_cmd "broker_down 7")
case $r in "error: "*) ;; *) fail "broker_down 7 answered '$r'" ;; esac
r=$(kafka_cmd "push_errors Bogus 1 NOT_COORDINATOR")
case $r in "error: "*) ;; *) fail "unknown api key answered '$r'" ;; esac
r=$(kafka_cmd "frobnicate")
case $r in "error: unknown command"*) ;; *) fail "unknown command answered '$r'" ;; esac
# the pushed Fetch errors (a leader change) are retried by the consumer
kafka_group_consume g2 events 2100 "$work/out3.txt" 30 ||
	fail "a fresh group did not read all 2100 records after injected errors"

pid=$KAFKA_PID
kafka_stop
kill -0 "$pid" 2>/dev/null && fail "the mock is still running after kafka_stop"
[ "$SECONDS" -lt 60 ] || fail "took $SECONDS s (budget 60)"
e2e_finish
