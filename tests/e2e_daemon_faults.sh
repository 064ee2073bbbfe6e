#!/usr/bin/env bash
# e2e_daemon_faults.sh - one `kpigate run` replica against the mock
# cluster while faults are injected mid-stream, in this order:
#  1. Fetch errors (NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT: retriable);
#  2. OffsetCommit errors (REQUEST_TIMED_OUT, NOT_COORDINATOR,
#     COORDINATOR_NOT_AVAILABLE) with a 1 s auto-commit interval;
#  3. the capture partitions' leader down for a few seconds, then back;
#  4. the group coordinator down for longer than the session timeout
#     (the member loses its assignment and rejoins), then back.
# The daemon runs through all of it. Afterwards, against `kpigate replay`
# of the same records: every window but the open last one evaluated once,
# with the same record count and feature statistics; every decision once
# and equal to replay's; no action twice; the audit log verifies; every
# rejected record is in the dead-letter topic exactly once; and the group's
# committed offsets are at the end of every partition.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
e2e_need_kafka
daemon_pid='' producer_pid=''
e2e_at_exit 'kill -9 $daemon_pid $producer_pid'
mock() { kafka_cmd "$@" >/dev/null || fail "mock command '$*'"; }

wait_for() { wait_decisions "$2" "$3" "$daemon_pid" "$1"; } # wait_for AUDIT COUNT SECONDS

"$bin" example "$work/ex" --records 8000 --seed 3 >/dev/null || { echo "FAIL: example"; exit 1; }
find "$work/ex/capture" -name '*.jsonl' | sort | xargs cat >"$work/capture.jsonl"
n_lines=$(wc -l <"$work/capture.jsonl")
"$bin" replay --policy "$work/ex/policy.json" --capture "$work/capture.jsonl" \
	--audit "$work/replay.jsonl" >/dev/null || (($? == 1)) || { echo "FAIL: replay"; exit 1; }
want=$(decisions "$work/replay.jsonl") # replay leaves open and waiting windows as the daemon does

# Broker 2 leads every capture partition, broker 1 the dead-letter topic,
# broker 3 coordinates the group: each fault hits one role only.
kafka_start capture:3 dead:1 || { echo "FAIL: mock"; exit 1; }
for p in 0 1 2; do mock "partition_leader capture $p 2"; done
mock "partition_leader dead 0 1"
mock "coordinator_set group gf 3"
mkdir -p "$work/policies" "$work/state"
cp "$work/ex/policy.json" "$work/ex/train.csv" "$work/policies/"
debug='' level=info # KAFKA_DEBUG=cgrp,fetch: librdkafka's debug contexts, for a diagnosis
[[ -n ${KAFKA_DEBUG:-} ]] && debug="\"debug\": \"$KAFKA_DEBUG\"," level=debug
cat >"$work/run.json" <<JSON
{"kafka": {"bootstrap_servers": "$KAFKA_BOOTSTRAP", "max_time_skew_seconds": 0, "group_id": "gf",
           "capture_topic": "capture", "batch_size": 200, "dead_letter_topic": "dead",
           "properties": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                          "auto.commit.interval.ms": 1000, $debug
                          "auto.offset.reset": "earliest"}},
 "policy_dir": "$work/policies", "audit_log": "$work/audit.jsonl",
 "state_dir": "$work/state", "http": {"listen": "127.0.0.1:0"}, "checkpoint_interval_seconds": 1,
 "log_level": "$level", "shutdown_timeout_seconds": 20}
JSON

# An idempotent producer: retries after a broker outage keep the order
# of a partition (the windows depend on it).
produce() { # produce SLICE_NO: the records of fifth SLICE_NO (1..5)
	local from=$(( ($1 - 1) * n_lines / 5 + 1 )) to=$(( $1 * n_lines / 5 ))
	sed -n "${from},${to}p" "$work/capture.jsonl" |
		kcat -P -q -b "$KAFKA_BOOTSTRAP" -t capture -k churn-endpoint \
			-X enable.idempotence=true -X linger.ms=5 \
			-X message.timeout.ms=60000 2>>"$work/kcat.log"
}
slice_want() { echo $(( want * $1 / 5 - 2 )); } # decisions a slice surely closes

step "start"
"$bin" run --config "$work/run.json" 2>"$work/run.log" &
daemon_pid=$!
produce 1 || fail "produce slice 1"
wait_for "$work/audit.jsonl" "$(slice_want 1)" 40 || fail "slice 1: $(decisions "$work/audit.jsonl") decisions"

step "1. Fetch errors"
mock "push_errors Fetch 6 NOT_LEADER_FOR_PARTITION REQUEST_TIMED_OUT NOT_LEADER_FOR_PARTITION REQUEST_TIMED_OUT"
produce 2 || fail "produce slice 2"
wait_for "$work/audit.jsonl" "$(slice_want 2)" 40 || fail "after Fetch errors: $(decisions "$work/audit.jsonl") decisions"

step "2. OffsetCommit errors"
mock "push_errors OffsetCommit 4 REQUEST_TIMED_OUT NOT_COORDINATOR COORDINATOR_NOT_AVAILABLE REQUEST_TIMED_OUT"
produce 3 || fail "produce slice 3"
wait_for "$work/audit.jsonl" "$(slice_want 3)" 40 || fail "after OffsetCommit errors: $(decisions "$work/audit.jsonl") decisions"
sleep 5 # four auto-commits (1 s apart) meet the injected errors

step "3. partition leader down"
mock "broker_down 2"
produce 4 &
producer_pid=$!
sleep 4
mock "broker_up 2"
wait $producer_pid || fail "produce slice 4 (leader down)"
producer_pid=
wait_for "$work/audit.jsonl" "$(slice_want 4)" 40 || fail "after the leader outage: $(decisions "$work/audit.jsonl") decisions"

step "4. coordinator down"
mock "broker_down 3"
produce 5 || fail "produce slice 5"
# the session (6 s) ends without the coordinator: the member is lost
sleep 9
mock "broker_up 3"
wait_for "$work/audit.jsonl" "$want" 60 || fail "at the end: $(decisions "$work/audit.jsonl") of $want decisions"
wait_log "$work/run.log" '"msg":"assigned capture \[' 6 30 ||
	fail "the member did not rejoin after the coordinator outage"
sleep 2 # anything decided twice would show now
step "stop"
kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
daemon_pid=
[[ $rc == 0 ]] || fail "SIGTERM: exit $rc"
grep -q '"msg":"kafka fatal' "$work/run.log" && fail "a fatal Kafka error"

consumed=$(sed -n 's/.*"msg":"stopping after \([0-9]*\) records.*/\1/p' "$work/run.log")
(( ${consumed:-0} >= n_lines )) || fail "the daemon consumed ${consumed:-0} of $n_lines records"

# the group's committed offsets are at the end of every partition: a new
# member of the group that commits nothing reads to the end of every
# partition (kcat -e) and finds no record
timeout 15 kcat -b "$KAFKA_BOOTSTRAP" -G gf capture -e -E -X auto.offset.reset=earliest \
	-X enable.auto.commit=false -X session.timeout.ms=6000 \
	-X heartbeat.interval.ms=500 -f '%p %o\n' >"$work/left.txt" 2>"$work/left.log"
grep -q ': exiting' "$work/left.log" || fail "the offset probe did not reach the end of every partition"
[[ -s $work/left.txt ]] && fail "records left uncommitted: $(head -3 "$work/left.txt" | tr '\n' ' ')"

# every rejected record in the dead-letter topic, exactly once
rejected=$(/usr/bin/python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["event"] == "run_summary": print(r["data"]["capture"]["rejected"])' "$work/replay.jsonl")
kafka_consume dead "$work/dead.txt" '%h\n' >/dev/null 2>&1
dead=$(grep -c 'kpigate-reason=' "$work/dead.txt")
[[ $rejected -gt 0 && $dead == "$rejected" ]] ||
	fail "dead-letter topic holds $dead records, replay rejected $rejected"

"$bin" audit verify "$work/audit.jsonl" >/dev/null || fail "the audit log does not verify"

# replay audit(s) -- daemon audit(s): per model, every window but replay's
# last exactly once across the daemon logs, equal to replay's; every
# decision once and equal; each action at most once.
/usr/bin/python3 "$tests/lib/daemon_vs_replay.py" "$work/replay.jsonl" -- "$work/audit.jsonl" || fails=$((fails + 1))

if ((fails)); then
	echo "--- run.log (warnings and errors)"
	grep -v '"level":"info"' "$work/run.log" | tail -15
fi
e2e_finish
