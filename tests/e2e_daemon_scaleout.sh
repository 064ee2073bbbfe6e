#!/usr/bin/env bash
# e2e_daemon_scaleout.sh - three `kpigate run` replicas started together in
# one consumer group (each with its own audit log, one shared state_dir),
# and beside them one single replica in a group of its own, all reading a
# 4-partition capture topic with 4 endpoints' records keyed by endpoint
# (one model per endpoint, each endpoint on its own partition). Checks:
#  - every replica of the group is assigned partitions and decides windows;
#  - against `kpigate replay` of each endpoint's records, for the union of
#    the three audit logs and for the single replica's log alike: per model
#    every window but the open last one evaluated exactly once, with
#    replay's record count and feature statistics; every decision exactly
#    once and equal to replay's; no action twice;
#  - the union of the three logs' window_evaluated and decision records
#    equals the single replica's (by model and window; order aside);
#  - every audit log verifies; both groups' committed offsets reach the
#    end of every partition.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
e2e_need_kafka
pids=()
replicas=(r1 r2 r3)
e2e_at_exit 'kill -9 ${pids[*]}'

. "$tests/lib/daemon_lib.sh"
multi_model_world 3000 || exit 1

kafka_start capture:4 || { echo "FAIL: mock"; exit 1; }
config() { # config GROUP AUDIT STATE_DIR
	cat <<JSON
{"kafka": {"bootstrap_servers": "$KAFKA_BOOTSTRAP", "max_time_skew_seconds": 0, "group_id": "$1",
           "capture_topic": "capture", "batch_size": 200,
           "properties": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                          "auto.commit.interval.ms": 1000,
                          "auto.offset.reset": "earliest"}},
 "policy_dir": "$work/policies", "audit_log": "$2", "state_dir": "$3", "http": {"listen": "127.0.0.1:0"},
 "checkpoint_interval_seconds": 1, "log_level": "info", "shutdown_timeout_seconds": 20}
JSON
}
audits=()
for r in "${replicas[@]}"; do
	config gm "$work/audit-$r.jsonl" "$work/state" >"$work/run-$r.json"
	audits+=("$work/audit-$r.jsonl")
done
mkdir -p "$work/state-single"
config gs "$work/audit-single.jsonl" "$work/state-single" >"$work/run-single.json"
"$bin" run --check --config "$work/run-r1.json" >/dev/null || fail "run --check"

# an idempotent producer keeps each partition's order through retries
produce() { # produce SLICE_NO: the records of quarter SLICE_NO (1..4)
	local from=$(( ($1 - 1) * n_lines / 4 + 1 )) to=$(( $1 * n_lines / 4 ))
	sed -n "${from},${to}p" "$work/stream.txt" |
		kcat -P -q -b "$KAFKA_BOOTSTRAP" -t capture -K: \
			-X enable.idempotence=true -X linger.ms=5 \
			-X message.timeout.ms=60000 2>>"$work/kcat.log"
}
assigned='"msg":"assigned capture \['

step "start 3 replicas of group gm and 1 of group gs"
for r in "${replicas[@]}" single; do
	"$bin" run --config "$work/run-$r.json" 2>"$work/run-$r.log" &
	pids+=($!)
done
gm_pids="${pids[*]:0:3}" single_pid=${pids[3]}
# the group is stable when every replica holds a partition (the mock may
# need several rounds)
for i in "${!replicas[@]}"; do
	r=${replicas[i]}
	wait_log "$work/run-$r.log" "$assigned" 1 60 "${pids[i]}" || fail "$r was never assigned a partition"
done
wait_log "$work/run-single.log" "$assigned" 4 30 "$single_pid" ||
	fail "the single replica was not assigned 4 partitions"
step "produce"
for s in 1 2 3 4; do
	produce $s || fail "produce slice $s"
	wait_decisions $(( want * s / 4 - 8 )) 40 "$single_pid" "$work/audit-single.jsonl" ||
		fail "slice $s: the single replica made $(decisions "$work/audit-single.jsonl") decisions"
done
wait_decisions "$want" 40 "$single_pid" "$work/audit-single.jsonl" ||
	fail "the single replica made $(decisions "$work/audit-single.jsonl") of $want decisions"
wait_decisions "$want" 40 "$gm_pids" "${audits[@]}" ||
	fail "the 3 replicas made $(decisions "${audits[@]}") of $want decisions"
sleep 2 # anything decided twice would show now
step "stop"
for r in "${replicas[@]}" single; do
	grep -q '"msg":"stopping after' "$work/run-$r.log" &&
		fail "$r stopped before SIGTERM: $(grep '"level":"error"' "$work/run-$r.log" | tail -1 | cut -c1-300)"
done
for i in "${!pids[@]}"; do
	kill -TERM "${pids[i]}" 2>/dev/null
done
for i in "${!pids[@]}"; do
	wait "${pids[i]}"; rc=$?
	[[ $rc == 0 ]] || fail "replica $((i + 1)): SIGTERM: exit $rc"
done
pids=()
for a in "${audits[@]}"; do
	(( $(decisions "$a") > 0 )) || fail "$(basename "$a"): no decision; the work was not spread"
done

for g in gm gs; do
	logs=("$work"/run-r*.log)
	[[ $g == gs ]] && logs=("$work/run-single.log")
	consumed=$(cat "${logs[@]}" | sed -n 's/.*"msg":"stopping after \([0-9]*\) records.*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }')
	(( consumed >= n_lines )) || fail "group $g consumed $consumed of $n_lines records"
	# committed offsets at the end of every partition: a new member that
	# commits nothing reads to the end of every partition (kcat -e) and
	# finds no record
	timeout 15 kcat -b "$KAFKA_BOOTSTRAP" -G $g capture -e -E -X auto.offset.reset=earliest \
		-X enable.auto.commit=false -X session.timeout.ms=6000 \
		-X heartbeat.interval.ms=500 -f '%p %o\n' >"$work/left-$g.txt" 2>"$work/left-$g.log"
	grep -q ': exiting' "$work/left-$g.log" || fail "group $g: the offset probe did not reach the end of every partition"
	[[ -s $work/left-$g.txt ]] &&
		fail "group $g: $(wc -l <"$work/left-$g.txt") records left uncommitted, first: $(head -2 "$work/left-$g.txt" | tr '\n' ' ')"
done
for a in "${audits[@]}" "$work/audit-single.jsonl"; do
	"$bin" audit verify "$a" >/dev/null || fail "$(basename "$a") does not verify"
done

# replay audits -- daemon audits: per model, every window but replay's
# last exactly once across the daemon logs, equal to replay's; every
# decision once and equal; each action at most once.
check_against_replay() { # check_against_replay AUDIT...
	/usr/bin/python3 "$tests/lib/daemon_vs_replay.py" "$work"/replay-*.jsonl -- "$@"
}
echo "the 3 replicas of group gm:"
check_against_replay "${audits[@]}" || fails=$((fails + 1))
echo "the single replica:"
check_against_replay "$work/audit-single.jsonl" || fails=$((fails + 1))

# the union of the three logs equals the single replica's log: the same
# (model, window) pairs, each with the same window and decision records
/usr/bin/python3 - "$work/audit-single.jsonl" "${audits[@]}" <<'PY' || fails=$((fails + 1))
import collections, json, sys
def load(paths):
    out = collections.defaultdict(list)
    for p in paths:
        for line in open(p):
            r = json.loads(line)
            if r["event"] in ("window_evaluated", "decision", "action_result"):
                d = r["data"]
                key = d.get("window", d.get("idempotency_key"))
                out[(r["event"], r["model"], key)].append(d)
    return out
single, union = load([sys.argv[1]]), load(sys.argv[2:])
bad = [k for k in sorted(set(single) | set(union), key=str) if single.get(k) != union.get(k)]
for k in bad[:10]:
    print(f"FAIL: {k[0]} {k[1]} {k[2]}: single replica {len(single.get(k, []))} record(s), "
          f"3 replicas {len(union.get(k, []))}" +
          ("" if len(single.get(k, [])) != len(union.get(k, [])) else ", contents differ"))
if len(bad) > 10:
    print(f"FAIL: ... and {len(bad) - 10} more")
print(f"  union of 3 logs vs single replica: {len(single)} records, {len(bad)} differ")
sys.exit(1 if bad else 0)
PY

if ((fails)); then
	for r in "${replicas[@]}" single; do
		echo "--- run-$r.log (assignments, warnings, errors)"
		grep -E 'assigned|revoked|lost|restored|fresh|stopping|"level":"(warn|error)"' \
			"$work/run-$r.log" | cut -c1-220 | tail -12
	done
fi
e2e_finish
