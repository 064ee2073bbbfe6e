#!/usr/bin/env bash
# e2e_daemon_time.sh - event time the daemon can trust (issue 10), against
# the mock cluster: captures produced now with inferenceTime near now, plus
# one dated 90 days ahead, one 3 days back and one without inferenceTime.
# With the default kafka.max_time_skew_seconds (3600) the two far ones are
# rejected as bad_time: dead-lettered with their reason, counted in
# /metrics, and no window moves (every window spans minutes, around now);
# the one without a time is placed at its Kafka timestamp and counted as a
# record.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
e2e_need_kafka
daemon_pid=
e2e_at_exit 'kill -9 $daemon_pid'
port_of() { # port_of LOG: the HTTP port the daemon logged
	sed -n 's/.*serving .* on 127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$1" | head -1
}

"$bin" example "$work/ex" --records 2000 --seed 5 >/dev/null || { echo "FAIL: example"; exit 1; }
mkdir -p "$work/policies" "$work/state"
sed 's/"window": {[^}]*}/"window": {"records": 50}/; s/"min_records": [0-9]*/"min_records": 1/; s/"min_labelled": [0-9]*/"min_labelled": 1/' \
	"$work/ex/policy.json" >"$work/policies/policy.json"
cp "$work/ex/train.csv" "$work/policies/"
# 300 valid captures re-dated to the last five minutes, then the three odd ones
find "$work/ex/capture" -name '*.jsonl' | sort | xargs cat >"$work/all.jsonl"
$py - "$work/all.jsonl" "$work/capture.jsonl" <<'PY'
import datetime as dt, json, sys
now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
good = []
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
        r["captureData"]["endpointInput"]["data"]
    except (ValueError, KeyError, TypeError):
        continue
    if r["captureData"]["endpointInput"].get("encoding") != "CSV":
        continue
    good.append(r)
    if len(good) == 303:
        break
def at(r, t):
    r["eventMetadata"]["inferenceTime"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    return r
out = [at(r, now - dt.timedelta(seconds=300 - i)) for i, r in enumerate(good[:300])]
out.append(at(good[300], now + dt.timedelta(days=90)))
out.append(at(good[301], now - dt.timedelta(days=3)))
del good[302]["eventMetadata"]["inferenceTime"]
out.append(good[302])
with open(sys.argv[2], "w") as f:
    f.writelines(json.dumps(r) + "\n" for r in out)
PY
(($(wc -l <"$work/capture.jsonl") == 303)) || { echo "FAIL: not 303 lines"; exit 1; }

kafka_start capture:1 dead:1 || { echo "FAIL: mock"; exit 1; }
# no max_time_skew_seconds: the default applies
cat >"$work/run.json" <<JSON
{"kafka": {"bootstrap_servers": "$KAFKA_BOOTSTRAP", "group_id": "time",
           "capture_topic": "capture", "dead_letter_topic": "dead", "batch_size": 50,
           "properties": {"session.timeout.ms": 6000, "auto.offset.reset": "earliest"}},
 "policy_dir": "$work/policies", "audit_log": "$work/audit.jsonl", "state_dir": "$work/state",
 "http": {"listen": "127.0.0.1:0"},
 "checkpoint_interval_seconds": 1, "log_level": "info", "shutdown_timeout_seconds": 20}
JSON
kafka_produce capture "$work/capture.jsonl" churn-endpoint || fail "produce"
"$bin" run --config "$work/run.json" 2>"$work/run.log" &
daemon_pid=$!
port=
for ((i = 0; i < 100; i++)); do
	[[ -n $port ]] && break
	port=$(port_of "$work/run.log")
	sleep 0.1
done
[[ -n $port ]] || fail "the daemon serves no HTTP"
for ((i = 0; i < 300; i++)); do
	[[ $(e2e_metric "$port" kpigate_capture_records_total) == 303 ]] && break
	sleep 0.1
done
[[ $(e2e_metric "$port" kpigate_capture_records_total) == 303 ]] ||
	fail "consumed $(e2e_metric "$port" kpigate_capture_records_total) of 303"
bad=$(curl -s "http://127.0.0.1:$port/metrics" | sed -n 's/^kpigate_capture_rejected_total{reason="bad_time"} //p')
[[ $bad == 2 ]] || fail "bad_time rejects in /metrics: '$bad', want 2"
sleep 1.5 # a checkpoint and the audit records
kill -TERM $daemon_pid; wait $daemon_pid || fail "daemon exit $?"
daemon_pid=

kafka_consume dead "$work/dead.txt" '%h %s\n' >/dev/null 2>&1
(($(grep -c 'kpigate-reason=bad_time' "$work/dead.txt") == 2)) ||
	fail "dead-letter topic: $(cat "$work/dead.txt" | cut -c1-300)"
$py - "$work/audit.jsonl" <<'PY' || fails=$((fails + 1))
import datetime as dt, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
wins = [r["data"] for r in recs if r["event"] == "window_evaluated"]
now = dt.datetime.now(dt.timezone.utc)
def t(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
bad = []
if len(wins) != 6:  # 301 records in windows of 50
    bad.append(f"{len(wins)} windows, want 6")
for w in wins:
    if abs((t(w["start"]) - now).total_seconds()) > 3600 or abs((t(w["end"]) - now).total_seconds()) > 3600:
        bad.append(f"window {w['window']} spans {w['start']} .. {w['end']}")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
"$bin" audit verify "$work/audit.jsonl" >/dev/null || fail "the audit log does not verify"
e2e_finish
