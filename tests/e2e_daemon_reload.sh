#!/usr/bin/env bash
# e2e_daemon_reload.sh - the daemon's operator surface against the mock
# cluster: the HTTP endpoint (/healthz, /readyz, /metrics agreeing with the
# audit log) and policy hot reload while records flow:
#  1. an invalid edit is rejected (policy_rejected audited with line and
#     column, the old policy keeps deciding);
#  2. a valid edit is picked up from the file change (policy_loaded,
#     reason reload, the file's SHA-256) and decides from then on;
#  3. SIGHUP re-reads the folder (nothing changed: nothing audited);
#  4. every record is counted in the metrics, the audit log verifies.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
e2e_need_kafka
daemon_pid=
e2e_at_exit 'kill -9 $daemon_pid'
http() { e2e_http "$port" "$1"; }     # http PATH: "STATUS BODY"
metric() { e2e_metric "$port" "$1"; } # metric NAME
wait_until() { # wait_until SECONDS COMMAND...: polls while the daemon lives
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		kill -0 "$daemon_pid" 2>/dev/null || return 1
		sleep 0.3
	done
}

"$bin" example "$work/ex" --records 8000 --seed 3 >/dev/null || { echo "FAIL: example"; exit 1; }
find "$work/ex/capture" -name '*.jsonl' | sort | xargs cat >"$work/capture.jsonl"
n_lines=$(wc -l <"$work/capture.jsonl")
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

kafka_start capture:2 || { echo "FAIL: mock"; exit 1; }
mkdir -p "$work/policies" "$work/state"
cp "$work/ex/policy.json" "$work/ex/train.csv" "$work/policies/"
cat >"$work/run.json" <<JSON
{"kafka": {"bootstrap_servers": "$KAFKA_BOOTSTRAP", "max_time_skew_seconds": 0, "group_id": "g",
           "capture_topic": "capture", "batch_size": 200,
           "properties": {"session.timeout.ms": 6000, "auto.offset.reset": "earliest"}},
 "policy_dir": "$work/policies", "audit_log": "$work/audit.jsonl", "state_dir": "$work/state",
 "http": {"listen": "127.0.0.1:$port"},
 "checkpoint_interval_seconds": 1, "log_level": "info", "shutdown_timeout_seconds": 20}
JSON
"$bin" run --config "$work/run.json" 2>"$work/run.log" &
daemon_pid=$!

ready() { [[ $(http /readyz) == "200 "* ]]; }
wait_until 60 ready || fail "/readyz never 200: $(http /readyz)"
[[ $(http /healthz) == "200 ok"* ]] || fail "/healthz: $(http /healthz)"
[[ $(http /nothing) == "404 "* ]] || fail "/nothing is not 404"

third=$((n_lines / 3))
sed -n "1,${third}p" "$work/capture.jsonl" >"$work/s1.jsonl"
sed -n "$((third + 1)),$((2 * third))p" "$work/capture.jsonl" >"$work/s2.jsonl"
sed -n "$((2 * third + 1)),${n_lines}p" "$work/capture.jsonl" >"$work/s3.jsonl"
consumed() { [[ $(metric kpigate_capture_records_total) == "$1" ]]; }
kafka_produce capture "$work/s1.jsonl" churn-endpoint >/dev/null || fail "produce 1"
wait_until 90 consumed "$third" || fail "slice 1: $(metric kpigate_capture_records_total) of $third consumed"
d1=$(count "$work/audit.jsonl" decision)
((d1 > 0)) || fail "no decision after slice 1"
old_sha=$(sha256sum "$work/policies/policy.json" | cut -d' ' -f1)

# 1. an invalid edit: rejected with its position, the old policy stays
sed 's/"psi_threshold": 0.2/"psi_threshold": "high"/' "$work/ex/policy.json" >"$work/bad.json"
cp "$work/bad.json" "$work/policies/policy.json"
rejected() { (($(count "$work/audit.jsonl" policy_rejected) >= 1)); }
wait_until 30 rejected || fail "the invalid edit was not audited"
$py - "$work/audit.jsonl" "$old_sha" <<'PY' || fails=$((fails + 1))
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
rej = [r["data"] for r in recs if r["event"] == "policy_rejected"]
ok = len(rej) == 1 and rej[0].get("kept") == sys.argv[2] and \
     any(e["line"] == 8 and e["column"] > 0 and "psi_threshold" in e["message"] for e in rej[0]["errors"])
if not ok:
    print("FAIL: policy_rejected record:", rej)
sys.exit(0 if ok else 1)
PY
[[ $(metric kpigate_policy_rejects_total) == 1 ]] || fail "policy_rejects_total $(metric kpigate_policy_rejects_total)"
kafka_produce capture "$work/s2.jsonl" churn-endpoint >/dev/null || fail "produce 2"
wait_until 90 consumed $((2 * third)) || fail "slice 2 not consumed"
d2=$(count "$work/audit.jsonl" decision)
((d2 > d1)) || fail "no decision after the rejected edit"

# 2. a valid edit, written the way editors do (temp file, rename)
sed 's/"psi_threshold": 0.2/"psi_threshold": 0.25/' "$work/ex/policy.json" >"$work/policies/.policy.json.tmp"
mv "$work/policies/.policy.json.tmp" "$work/policies/policy.json"
new_sha=$(sha256sum "$work/policies/policy.json" | cut -d' ' -f1)
reloaded() { grep -q "\"reason\":\"reload\"" "$work/audit.jsonl"; }
wait_until 30 reloaded || fail "the valid edit was not loaded"
kafka_produce capture "$work/s3.jsonl" churn-endpoint >/dev/null || fail "produce 3"
wait_until 90 consumed "$n_lines" || fail "slice 3: $(metric kpigate_capture_records_total) of $n_lines"

# 3. SIGHUP with nothing changed: a scan, nothing audited
before=$(wc -l <"$work/audit.jsonl")
kill -HUP "$daemon_pid"
hup() { grep -q 'policy reload: 0 changed, 0 rejected, 1 unchanged' "$work/run.log"; }
wait_until 15 hup || fail "SIGHUP did not rescan"
sleep 1
[[ $(wc -l <"$work/audit.jsonl") == "$before" ]] || fail "SIGHUP without a change audited something"

# 4. the metrics agree with the audit log
windows=$(count "$work/audit.jsonl" window_evaluated)
[[ $(metric kpigate_windows_evaluated_total) == "$windows" ]] ||
	fail "windows_evaluated_total $(metric kpigate_windows_evaluated_total), audit $windows"
[[ $(metric kpigate_audit_records_total) == "$(wc -l <"$work/audit.jsonl")" ]] ||
	fail "audit_records_total $(metric kpigate_audit_records_total), log $(wc -l <"$work/audit.jsonl")"
[[ $(metric kpigate_assigned_partitions) == 2 ]] || fail "assigned_partitions $(metric kpigate_assigned_partitions)"
kill -TERM "$daemon_pid"; wait "$daemon_pid"; rc=$?
daemon_pid=
[[ $rc == 0 ]] || fail "SIGTERM: exit $rc"
"$bin" audit verify "$work/audit.jsonl" >/dev/null || fail "the audit log does not verify"
$py - "$work/audit.jsonl" "$old_sha" "$new_sha" <<'PY' || fails=$((fails + 1))
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
old, new = sys.argv[2], sys.argv[3]
at = next(i for i, r in enumerate(recs) if r["data"].get("reason") == "reload")
ld = recs[at]["data"]
ok = ld["sha256"] == new and ld["previous_sha256"] == old and ld["window"] == "kept"
before = [r["data"]["policy_sha256"] for r in recs[:at] if r["event"] == "decision"]
after = [r["data"]["policy_sha256"] for r in recs[at:] if r["event"] == "decision"]
ok = ok and before and after and set(before) == {old} and set(after) == {new}
if not ok:
    print("FAIL: reload", ld, set(before), set(after))
sys.exit(0 if ok else 1)
PY
if ((fails)); then
	tail -20 "$work/run.log"
fi
e2e_finish
