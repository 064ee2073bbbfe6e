#!/usr/bin/env bash
# e2e_daemon.sh - `kpigate run` against a real Kafka protocol peer (the
# librdkafka mock cluster as its own process), fed with kcat:
#  1. the bundled example's capture stream through Kafka gives the same
#     windows (records, per-feature PSI/KS) and decisions as `kpigate replay`
#     of the same records (both keep the last window open and the windows
#     inside their label wait undecided);
#     every rejected record lands in the dead-letter topic with its reason;
#  2. kill -9 in the middle, restart: every window is still evaluated
#     exactly once, no decision is audited twice, the audit log verifies
#     (the daemon's own topic holds only the first half of the stream
#     until the kill, so the kill is in the middle however fast it runs);
#  3. the same with 8-record windows (~1,000 of them) and a 600 s
#     checkpoint interval: more windows close between interval checkpoints
#     than a checkpoint keeps keys for, so the daemon must checkpoint on
#     the decision count.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
e2e_need_kafka
daemon_pid=
e2e_at_exit 'kill -9 $daemon_pid'

"$bin" example "$work/ex" --records 8000 --seed 3 >/dev/null || { echo "FAIL: example"; exit 1; }
# the capture stream in time order, one record per line (the example's
# malformed lines included: they must be rejected the same way)
find "$work/ex/capture" -name '*.jsonl' | sort | xargs cat >"$work/capture.jsonl"
n_lines=$(wc -l <"$work/capture.jsonl")
# the policy without ground truth: windows hold on "no KPI evidence"
"$bin" replay --policy "$work/ex/policy.json" --capture "$work/capture.jsonl" \
	--audit "$work/replay.jsonl" >/dev/null || (($? == 1)) || { echo "FAIL: replay"; exit 1; }

kafka_start capture:3 capture2:3 capture3:3 dead:1 || { echo "FAIL: mock"; exit 1; }
mkdir -p "$work/policies" "$work/state1" "$work/state2"
cp "$work/ex/policy.json" "$work/policies/"
cp "$work/ex/train.csv" "$work/policies/"
config() { # config STATE_DIR AUDIT GROUP TOPIC [DEAD_LETTER_TOPIC]
	local dlq=
	[[ -n ${5:-} ]] && dlq="\"dead_letter_topic\": \"$5\","
	cat <<JSON
{"kafka": {"bootstrap_servers": "$KAFKA_BOOTSTRAP", "max_time_skew_seconds": 0, "group_id": "$3",
           "capture_topic": "$4", "batch_size": 500, $dlq
           "properties": {"session.timeout.ms": 6000, "auto.offset.reset": "earliest"}},
 "policy_dir": "$work/policies", "audit_log": "$2", "state_dir": "$1", "http": {"listen": "127.0.0.1:0"},
 "checkpoint_interval_seconds": 1, "log_level": "info", "shutdown_timeout_seconds": 20}
JSON
}
config "$work/state1" "$work/audit1.jsonl" g1 capture dead >"$work/run1.json"
config "$work/state2" "$work/audit2.jsonl" g2 capture2 >"$work/run2.json"
"$bin" run --check --config "$work/run1.json" >/dev/null || fail "run --check"

want=$(decisions "$work/replay.jsonl")
want_windows=$(count "$work/replay.jsonl" window_evaluated)

# produce in slices while the daemons run (the mock prunes old messages)
produce_slices() { # produce_slices FROM_LINE TO_LINE [TOPIC]
	sed -n "$1,$2p" "$work/capture.jsonl" >"$work/slice.jsonl"
	kafka_produce "${3:-capture}" "$work/slice.jsonl" churn-endpoint >/dev/null || fail "produce"
}
wait_for() { wait_decisions "$2" "$3" "$daemon_pid" "$1"; } # wait_for AUDIT COUNT SECONDS

# 1. one daemon, start to end
"$bin" run --config "$work/run1.json" 2>"$work/run1.log" &
daemon_pid=$!
half=$((n_lines / 2))
produce_slices 1 "$half"
produce_slices $((half + 1)) "$n_lines"
wait_for "$work/audit1.jsonl" "$want" 120 || fail "daemon 1 decided $(decisions "$work/audit1.jsonl") of $want windows"
kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
[[ $rc == 0 ]] || fail "SIGTERM: exit $rc"
grep -q '"stopping after' "$work/run1.log" || fail "no clean stop in the log"

# every rejected record is in the dead-letter topic, with its reason
rejected=$(/usr/bin/python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["event"] == "run_summary": print(r["data"]["capture"]["rejected"])' "$work/replay.jsonl")
kafka_consume dead "$work/dead.txt" '%h\n' >/dev/null 2>&1
dead=$(grep -c 'kpigate-reason=' "$work/dead.txt")
[[ $rejected -gt 0 && $dead == "$rejected" ]] ||
	fail "dead-letter topic holds $dead records, replay rejected $rejected"
grep -q 'kpigate-source=capture/' "$work/dead.txt" || fail "dead letters name their source"

# 2. a second daemon on its own topic, which holds the first half of the
# stream; kill -9 it once it has decided a quarter, then the second half
# and a restart
produce_slices 1 "$half" capture2
"$bin" run --config "$work/run2.json" 2>"$work/run2a.log" &
daemon_pid=$!
wait_for "$work/audit2.jsonl" $((want / 4)) 120 || fail "daemon 2 got nowhere"
# a checkpoint to restore (one a second), then the crash
for ((i = 0; i < 50; i++)); do
	compgen -G "$work/state2/capture-*/checkpoint.bin" >/dev/null && break
	sleep 0.1
done
kill -9 $daemon_pid; wait $daemon_pid 2>/dev/null
produce_slices $((half + 1)) "$n_lines" capture2
"$bin" run --config "$work/run2.json" 2>"$work/run2b.log" &
daemon_pid=$!
wait_for "$work/audit2.jsonl" "$want" 120 || fail "daemon 2 decided $(decisions "$work/audit2.jsonl") of $want after a restart"
sleep 2 # anything decided twice would show now
kill -TERM $daemon_pid; wait $daemon_pid
daemon_pid=

/usr/bin/python3 - "$work/replay.jsonl" "$work/audit1.jsonl" "$work/audit2.jsonl" "$want" "$want_windows" <<'PY' || fails=$((fails + 1))
import json, sys
want, want_windows = int(sys.argv[4]), int(sys.argv[5])
def windows(path):
    recs = [json.loads(l) for l in open(path)]
    w = [r["data"] for r in recs if r["event"] == "window_evaluated"]
    d = [r["data"] for r in recs if r["event"] == "decision"]
    return w, d
rw, rd = windows(sys.argv[1])
ok = True
def check(cond, what):
    global ok
    if not cond:
        ok = False
        print("FAIL:", what)
for name in sys.argv[2:4]:
    w, d = windows(name)
    keys = [x["idempotency_key"] for x in d]
    check(len(keys) == len(set(keys)), f"{name}: a decision audited twice")
    check(len(w) == want_windows and len(d) == want,
          f"{name}: {len(w)} windows, {len(d)} decisions, want {want_windows} and {want}")
    for got, exp in zip(w, rw):
        check(got["records"] == exp["records"] and got["start"] == exp["start"],
              f"{name}: window {exp['window']} records/start differ: {got['records']} {exp['records']}")
        for gf, ef in zip(got["features"], exp["features"]):
            check(gf == ef,
                  f"{name}: window {exp['window']} feature {ef['name']} differs")
    for got, exp in zip(d, rd):
        check(got == exp,
              f"{name}: decision differs: {got} vs {exp}")
sys.exit(0 if ok else 1)
PY
# 3. tiny windows (8 records: ~1,000 windows, more than a checkpoint keeps
# keys for between two interval checkpoints) with a kill -9 in the middle:
# still every window once, equal to replay
mkdir -p "$work/policies3" "$work/state3"
sed 's/"window": {[^}]*}/"window": {"records": 8}/; s/"min_records": [0-9]*/"min_records": 1/; s/"min_labelled": [0-9]*/"min_labelled": 1/' \
	"$work/ex/policy.json" >"$work/policies3/policy.json"
cp "$work/ex/train.csv" "$work/policies3/"
"$bin" replay --policy "$work/policies3/policy.json" --capture "$work/capture.jsonl" \
	--audit "$work/replay3.jsonl" >/dev/null || (($? == 1)) || { echo "FAIL: replay 3"; exit 1; }
want3=$(decisions "$work/replay3.jsonl")
# a long checkpoint interval: only the decision count forces checkpoints
sed -e "s|$work/policies\"|$work/policies3\"|" -e "s|state2|state3|; s|audit2|audit3|; s|\"g2\"|\"g3\"|" \
	-e 's|"capture2"|"capture3"|' \
	-e 's|"checkpoint_interval_seconds": 1|"checkpoint_interval_seconds": 600|' \
	"$work/run2.json" >"$work/run3.json"
produce_slices 1 "$half" capture3
"$bin" run --config "$work/run3.json" 2>"$work/run3a.log" &
daemon_pid=$!
wait_for "$work/audit3.jsonl" $((want3 / 4)) 120 || fail "daemon 3 got nowhere"
kill -9 $daemon_pid; wait $daemon_pid 2>/dev/null
produce_slices $((half + 1)) "$n_lines" capture3
"$bin" run --config "$work/run3.json" 2>"$work/run3b.log" &
daemon_pid=$!
wait_for "$work/audit3.jsonl" "$want3" 120 || fail "daemon 3 decided $(decisions "$work/audit3.jsonl") of $want3 after a restart"
sleep 2
kill -TERM $daemon_pid; wait $daemon_pid
daemon_pid=
(( $(decisions "$work/audit3.jsonl") == want3 )) || fail "daemon 3: $(decisions "$work/audit3.jsonl") decisions, want $want3"
/usr/bin/python3 "$tests/lib/daemon_vs_replay.py" "$work/replay3.jsonl" -- "$work/audit3.jsonl" >"$work/cmp3.txt" ||
	{ cat "$work/cmp3.txt"; fail "tiny windows differ from replay"; }

for a in audit1 audit2 audit3; do
	"$bin" audit verify "$work/$a.jsonl" >/dev/null || fail "$a does not verify"
done
grep -q 'model churn-xgb: restored"' "$work/run2b.log" || fail "the restart did not restore the checkpoint"
if ((fails)); then
	for f in run1.log run2a.log run2b.log; do echo "--- $f"; tail -5 "$work/$f"; done
fi
e2e_finish
