#!/usr/bin/env bash
# e2e_daemon_gap.sh - records Kafka removed before kpigate read them are a
# loud data gap, not a warning line (issue 10), against the mock cluster:
#  1. with a 600 s checkpoint interval, the daemon still checkpoints right
#     after its first batch (a daemon restarted again and again before the
#     interval moves on); stopped after consuming 200 records, its
#     checkpoint resumes at offset 200;
#  2. while it is down, 100 more records are produced and then ~6 MB of
#     filler, which makes the mock (5 MB per partition) drop the oldest
#     messages: offsets 200.. are gone, the log starts further on;
#  3. restarted (auto.offset.reset earliest), it resumes at the log start:
#     the audit log has one data_gap record with the checkpoint's offset,
#     the log start and the difference; /metrics counts it in
#     kpigate_data_gaps_total and kpigate_data_gap_offsets_total (promtool
#     check metrics when promtool is installed); the window open at the gap
#     and its decision carry data_gap, the windows after it do not; the
#     audit log verifies.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
e2e_need_kafka
daemon_pid=
e2e_at_exit 'kill -9 $daemon_pid'
port_of() { # port_of LOG: the HTTP port the daemon logged
	sed -n 's/.*serving .* on 127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$1" | head -1
}

"$bin" example "$work/ex" --records 2000 --seed 3 >/dev/null || { echo "FAIL: example"; exit 1; }
# valid records only: every consumed line then counts as a capture record
find "$work/ex/capture" -name '*.jsonl' | sort | xargs cat >"$work/all.jsonl"
grep '"eventMetadata"' "$work/all.jsonl" | grep '"endpointInput"' | head -n 600 >"$work/capture.jsonl"
(( $(wc -l <"$work/capture.jsonl") == 600 )) || { echo "FAIL: not 600 capture lines"; exit 1; }
mkdir -p "$work/policies" "$work/state"
# 30-record windows: 200 records leave 20 in the window open at the gap;
# no labels here, so no label wait: each window is decided as it closes
sed 's/"window": {[^}]*}/"window": {"records": 30, "label_wait_seconds": 0}/; s/"min_records": [0-9]*/"min_records": 1/; s/"min_labelled": [0-9]*/"min_labelled": 1/' \
	"$work/ex/policy.json" >"$work/policies/policy.json"
cp "$work/ex/train.csv" "$work/policies/"

kafka_start capture:1 || { echo "FAIL: mock"; exit 1; }
cat >"$work/run.json" <<JSON
{"kafka": {"bootstrap_servers": "$KAFKA_BOOTSTRAP", "max_time_skew_seconds": 0, "group_id": "gap",
           "capture_topic": "capture", "batch_size": 50,
           "properties": {"session.timeout.ms": 6000, "auto.offset.reset": "earliest"}},
 "policy_dir": "$work/policies", "audit_log": "$work/audit.jsonl", "state_dir": "$work/state",
 "http": {"listen": "127.0.0.1:0"},
 "checkpoint_interval_seconds": 600, "log_level": "info", "shutdown_timeout_seconds": 20}
JSON
consumed() { # consumed PORT N: the daemon has counted N capture records
	[[ $(e2e_metric "$1" kpigate_capture_records_total) == "$2" ]]
}
wait_consumed() { # wait_consumed PORT N SECONDS
	local end=$((SECONDS + $3))
	until consumed "$1" "$2"; do
		((SECONDS < end)) && alive $daemon_pid || return 1
		sleep 0.3
	done
}

# 1. 200 records; a checkpoint long before the 600 s interval
sed -n 1,200p "$work/capture.jsonl" >"$work/part1.jsonl"
kafka_produce capture "$work/part1.jsonl" churn-endpoint || fail "produce part 1"
"$bin" run --config "$work/run.json" 2>"$work/run1.log" &
daemon_pid=$!
wait_log "$work/run1.log" 'serving /healthz' 1 30 $daemon_pid || fail "daemon 1 did not serve HTTP"
port=$(port_of "$work/run1.log")
wait_consumed "$port" 200 60 || fail "daemon 1 consumed $(e2e_metric "$port" kpigate_capture_records_total) of 200"
for ((i = 0; i < 50; i++)); do
	[[ -f $work/state/capture-0/checkpoint.bin ]] && break
	sleep 0.2
done
[[ -f $work/state/capture-0/checkpoint.bin ]] ||
	fail "no checkpoint after the first batch (interval 600 s)"
[[ $(e2e_metric "$port" kpigate_data_gaps_total) == 0 ]] || fail "a data gap before any was made"
kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
daemon_pid=
[[ $rc == 0 ]] || fail "daemon 1 exit $rc"
step "daemon 1 stopped after 200 records"

# 2. 100 records nobody will read, then filler past the mock's 5 MB
sed -n 201,300p "$work/capture.jsonl" >"$work/part2.jsonl"
kafka_produce capture "$work/part2.jsonl" churn-endpoint || fail "produce part 2"
$py -c 'import sys
for i in range(7): print("x" * 900000)' >"$work/filler.txt"
kafka_produce capture "$work/filler.txt" filler || fail "produce filler"
kafka_consume capture "$work/offsets.txt" '%o\n' || fail "reading the topic back"
log_start=$(head -n 1 "$work/offsets.txt")
((log_start > 200)) || fail "the mock kept offset $log_start: no gap to test (log start <= 200)"
sed -n 301,600p "$work/capture.jsonl" >"$work/part3.jsonl"
kafka_produce capture "$work/part3.jsonl" churn-endpoint || fail "produce part 3"
n_filler=$((300 + 7 - log_start)) # filler records still in the log
step "log start $log_start, $n_filler filler records kept"

# 3. restart: one data_gap, counted, windows marked
"$bin" run --config "$work/run.json" 2>"$work/run2.log" &
daemon_pid=$!
wait_log "$work/run2.log" 'serving /healthz' 1 30 $daemon_pid || fail "daemon 2 did not serve HTTP"
port=$(port_of "$work/run2.log")
# counters start at 0 in each process: filler (rejected) + 300 records
wait_consumed "$port" $((n_filler + 300)) 60 ||
	fail "daemon 2 consumed $(e2e_metric "$port" kpigate_capture_records_total) of $((n_filler + 300))"
[[ $(e2e_metric "$port" kpigate_data_gaps_total) == 1 ]] ||
	fail "kpigate_data_gaps_total is $(e2e_metric "$port" kpigate_data_gaps_total), want 1"
[[ $(e2e_metric "$port" kpigate_data_gap_offsets_total) == $((log_start - 200)) ]] ||
	fail "kpigate_data_gap_offsets_total is $(e2e_metric "$port" kpigate_data_gap_offsets_total), want $((log_start - 200))"
e2e_http "$port" /metrics | sed '1s/^200 //' >"$work/metrics.txt"
if command -v promtool >/dev/null; then
	promtool check metrics <"$work/metrics.txt" || fail "promtool check metrics"
else
	echo "note: promtool not installed, format not checked by it"
fi
grep -q 'data gap: capture \[0\] resumed at offset' "$work/run2.log" || fail "no data gap line in the log"
kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
daemon_pid=
[[ $rc == 0 ]] || fail "daemon 2 exit $rc"

$py - "$work/audit.jsonl" "$log_start" <<'PY' || fails=$((fails + 1))
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
log_start = int(sys.argv[2])
ok = True
def check(cond, what):
    global ok
    if not cond:
        ok = False
        print("FAIL:", what)
gaps = [(i, r) for i, r in enumerate(recs) if r["event"] == "data_gap"]
check(len(gaps) == 1, f"{len(gaps)} data_gap records, want 1")
if gaps:
    at, g = gaps[0]
    d = g["data"]
    want = {"topic": "capture", "partition": 0, "expected_offset": 200,
            "resumed_offset": log_start, "offsets_lost": log_start - 200,
            "log_start_offset": log_start, "models": ["churn-xgb"]}
    check(d == want, f"data_gap data {d}, want {want}")
    check(g["model"] is None or "model" not in g or g["model"] == "", f"data_gap has a model: {g.get('model')}")
    # windows before the gap: none marked; the first one after: marked; later: not
    before = [r for r in recs[:at] if r["event"] in ("window_evaluated", "decision")]
    after_w = [r for r in recs[at:] if r["event"] == "window_evaluated"]
    after_d = [r for r in recs[at:] if r["event"] == "decision"]
    check(len(before) == 12, f"{len(before)} window/decision records before the gap, want 12 (6 windows)")
    check(all("data_gap" not in r["data"] for r in before), "a window before the gap is marked")
    check(len(after_w) >= 2 and len(after_d) >= 2, f"{len(after_w)} windows after the gap")
    mark = {"gaps": 1, "offsets_lost": log_start - 200}
    if after_w and after_d:
        check(after_w[0]["data"].get("data_gap") == mark, f"window after the gap: {after_w[0]['data'].get('data_gap')}")
        check(after_d[0]["data"].get("data_gap") == mark, f"decision after the gap: {after_d[0]['data'].get('data_gap')}")
        check(after_w[0]["data"]["window"] == 6, f"the marked window is {after_w[0]['data']['window']}, want 6 (open at the gap)")
    check(all("data_gap" not in r["data"] for r in after_w[1:] + after_d[1:]), "a window after the marked one is marked")
sys.exit(0 if ok else 1)
PY
"$bin" audit verify "$work/audit.jsonl" >/dev/null || fail "audit verify"
e2e_finish "log start $log_start"
