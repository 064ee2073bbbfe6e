#!/usr/bin/env bash
# e2e_daemon_rebalance.sh - two `kpigate run` replicas in one consumer group,
# each with its own audit log and one shared state_dir (a shared volume in
# production: state is kept per capture partition), over a 4-partition
# capture topic holding 4 endpoints' records keyed by endpoint (one model
# per endpoint, each endpoint on its own partition):
#  1. replica A alone takes all 4 partitions;
#  2. replica B joins while records flow: the partitions are shared out;
#  3. A leaves with SIGTERM while records flow: B takes everything;
#  4. B alone finishes the stream.
# Against `kpigate replay` of each endpoint's records: per model every
# window but the open last one evaluated exactly once across both audit
# logs, with replay's record count and feature statistics; every decision
# exactly once and equal to replay's; no action twice; both logs verify;
# the group's committed offsets reach the end of every partition.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
e2e_need_kafka
pid_a='' pid_b='' producer_pid=''
e2e_at_exit 'kill -9 $pid_a $pid_b $producer_pid'

. "$tests/lib/daemon_lib.sh"
multi_model_world 3000 || exit 1

kafka_start capture:4 || { echo "FAIL: mock"; exit 1; }
config() { # config AUDIT
	cat <<JSON
{"kafka": {"bootstrap_servers": "$KAFKA_BOOTSTRAP", "max_time_skew_seconds": 0, "group_id": "gr",
           "capture_topic": "capture", "batch_size": 200,
           "properties": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                          "auto.commit.interval.ms": 1000,
                          "auto.offset.reset": "earliest"}},
 "policy_dir": "$work/policies", "audit_log": "$1", "state_dir": "$work/state", "http": {"listen": "127.0.0.1:0"},
 "checkpoint_interval_seconds": 1, "log_level": "info", "shutdown_timeout_seconds": 20}
JSON
}
config "$work/audit-a.jsonl" >"$work/run-a.json"
config "$work/audit-b.jsonl" >"$work/run-b.json"
"$bin" run --check --config "$work/run-a.json" >/dev/null || fail "run --check"
audits=("$work/audit-a.jsonl" "$work/audit-b.jsonl")

# an idempotent producer keeps each partition's order through retries
produce() { # produce SLICE_NO [PARTS PART]: quarter SLICE_NO (1..4), or
	# its part PART (1..PARTS)
	local parts=${2:-1} part=${3:-1}
	local q0=$(( ($1 - 1) * n_lines / 4 )) q1=$(( $1 * n_lines / 4 ))
	local from=$(( q0 + (part - 1) * (q1 - q0) / parts + 1 )) to=$(( q0 + part * (q1 - q0) / parts ))
	sed -n "${from},${to}p" "$work/stream.txt" |
		kcat -P -q -b "$KAFKA_BOOTSTRAP" -t capture -K: \
			-X enable.idempotence=true -X linger.ms=5 \
			-X message.timeout.ms=60000 2>>"$work/kcat.log"
}
slice_want() { echo $(( want * $1 / 4 - 8 )); } # decisions a slice surely closes
assigned='"msg":"assigned capture \['
early_stop() { # early_stop NAME: fails when the replica stopped on its own
	grep -q '"msg":"stopping after' "$work/run-$1.log" &&
		fail "$1 stopped before SIGTERM: $(grep '"level":"error"' "$work/run-$1.log" | tail -1 | cut -c1-300)"
}

step "1. replica A alone"
"$bin" run --config "$work/run-a.json" 2>"$work/run-a.log" &
pid_a=$!
wait_log "$work/run-a.log" "$assigned" 4 30 || fail "A was not assigned the 4 partitions"
produce 1 || fail "produce slice 1"
wait_decisions "$(slice_want 1)" 40 "$pid_a $pid_b" "${audits[@]}" || fail "slice 1: $(decisions "${audits[@]}") decisions"

step "2. replica B joins while records flow"
"$bin" run --config "$work/run-b.json" 2>"$work/run-b.log" &
pid_b=$!
produce 2 2 1 &
producer_pid=$!
wait_log "$work/run-b.log" "$assigned" 1 45 || fail "B was never assigned a partition"
wait $producer_pid || fail "produce slice 2, first half"
producer_pid=
# the mock may take a few rounds to settle: the second half goes to the
# assignment that lasts, so B surely has records of its own
settled() { # no assignment change in either log for 3 s
	local now last
	now=$(date +%s)
	last=$(cat "$work/run-a.log" "$work/run-b.log" |
		grep -E '"msg":"(assigned capture|[0-9]+ partition\(s\) (revoked|lost))' |
		sed -n 's/.*"time":"\([^"]*\)".*/\1/p' | sort | tail -1)
	[[ -n $last ]] && (( now - $(date -d "$last" +%s) >= 3 ))
}
for ((i = 0; i < 60; i++)); do settled && break; sleep 0.5; done
produce 2 2 2 || fail "produce slice 2, second half"
wait_decisions "$(slice_want 2)" 45 "$pid_a $pid_b" "${audits[@]}" || fail "slice 2: $(decisions "${audits[@]}") decisions"
(( $(decisions "$work/audit-b.jsonl") > 0 )) || fail "B decided nothing while it shared the group"

step "3. replica A leaves while records flow"
produce 3 &
producer_pid=$!
sleep 1
early_stop a
kill -TERM $pid_a; wait $pid_a; rc=$?
pid_a=
[[ $rc == 0 ]] || fail "A: SIGTERM: exit $rc"
wait $producer_pid || fail "produce slice 3"
producer_pid=

step "4. replica B alone"
produce 4 || fail "produce slice 4"
wait_decisions "$want" 60 "$pid_a $pid_b" "${audits[@]}" || fail "at the end: $(decisions "${audits[@]}") of $want decisions"
sleep 2 # anything decided twice would show now
step "stop"
early_stop b
kill -TERM $pid_b 2>/dev/null; wait $pid_b; rc=$?
pid_b=
[[ $rc == 0 ]] || fail "B: SIGTERM: exit $rc"

consumed=$(cat "$work"/run-*.log | sed -n 's/.*"msg":"stopping after \([0-9]*\) records.*/\1/p' |
	awk '{ s += $1 } END { print s + 0 }')
(( consumed >= n_lines )) || fail "the replicas consumed $consumed of $n_lines records"
# the group's committed offsets are at the end of every partition: a new
# member that commits nothing reads to the end of every partition
# (kcat -e) and finds no record
timeout 15 kcat -b "$KAFKA_BOOTSTRAP" -G gr capture -e -E -X auto.offset.reset=earliest \
	-X enable.auto.commit=false -X session.timeout.ms=6000 \
	-X heartbeat.interval.ms=500 -f '%p %o\n' >"$work/left.txt" 2>"$work/left.log"
grep -q ': exiting' "$work/left.log" || fail "the offset probe did not reach the end of every partition"
[[ -s $work/left.txt ]] && fail "$(wc -l <"$work/left.txt") records left uncommitted, first: $(head -2 "$work/left.txt" | tr '\n' ' ')"
for a in "${audits[@]}"; do
	"$bin" audit verify "$a" >/dev/null || fail "$(basename "$a") does not verify"
done

# replay audits -- daemon audits: per model, every window but replay's
# last exactly once across the daemon logs, equal to replay's; every
# decision once and equal; each action at most once.
/usr/bin/python3 "$tests/lib/daemon_vs_replay.py" "$work"/replay-*.jsonl -- "${audits[@]}" || fails=$((fails + 1))

if ((fails)); then
	for r in a b; do
		echo "--- run-$r.log (assignments, warnings, errors)"
		grep -E 'assigned|revoked|lost|restored|fresh|stopping|"level":"(warn|error)"' \
			"$work/run-$r.log" | cut -c1-220 | tail -12
	done
fi
e2e_finish
