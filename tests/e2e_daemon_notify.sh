#!/usr/bin/env bash
# e2e_daemon_notify.sh - `kpigate run` sends notifications: the bundled
# example's capture stream through Kafka (no ground truth, so drifting
# windows are held: drift alerts) with a policy without a notify list and
# a configuration whose default notify list names the local signing
# receiver (tests/support/webhook_receiver.py).
# The receiver gets exactly the drift alerts `kpigate replay` of the same
# records would send (its not_sent records), each once, every signature
# valid; the daemon's audit log has a delivered record per alert and never
# the secret; after a restart no alert is sent again.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
e2e_need_kafka
daemon_pid=
rx_pid=
e2e_at_exit 'kill -9 $daemon_pid; kill $rx_pid'
secret=whsec-daemon-notify-5d1e

"$bin" example "$work/ex" --records 8000 --seed 3 >/dev/null || { echo "FAIL: example"; exit 1; }
find "$work/ex/capture" -name '*.jsonl' | sort | xargs cat >"$work/capture.jsonl"
mkdir -p "$work/policies" "$work/state"
printf '%s\n' "$secret" >"$work/policies/hook.secret"
cp "$work/ex/train.csv" "$work/policies/"

coproc RX { exec "$py" "$tests/support/webhook_receiver.py" --secret-file "$work/policies/hook.secret"; }
rx_pid=$RX_PID
read -r -t 20 line <&"${RX[0]}" || { echo "FAIL: receiver did not start"; exit 1; }
url=${line#url=}
[[ $url == http://127.0.0.1:* ]] || { echo "FAIL: receiver said '$line'"; exit 1; }

# the daemon's policy has no notify list: the configuration's default
# list applies; replay gets the same list in its policy
mkdir -p "$work/replaypol"
cp "$work/ex/train.csv" "$work/policies/hook.secret" "$work/replaypol/"
"$py" - "$work/ex/policy.json" "$work/policies/policy.json" "$work/replaypol/policy.json" \
	"$url/hook" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["notify_cooldown_seconds"] = 0
json.dump(p, open(sys.argv[2], "w"))
p["notify"] = [{"type": "webhook", "url": sys.argv[4], "secret_file": "hook.secret",
                "events": ["drift_alert", "retrain_decided"]}]
json.dump(p, open(sys.argv[3], "w"))
PY
"$bin" replay --policy "$work/replaypol/policy.json" --capture "$work/capture.jsonl" \
	--audit "$work/replay.jsonl" >/dev/null 2>&1 || (($? == 1)) || { echo "FAIL: replay"; exit 1; }
want=$(decisions "$work/replay.jsonl")
want_alerts=$(grep '"event":"notification"' "$work/replay.jsonl" | grep -c '"status":"not_sent"')
((want_alerts > 0)) || fail "the replay would send no drift alert"

kafka_start capture:1 || { echo "FAIL: mock"; exit 1; }
cat >"$work/run.json" <<JSON
{"kafka": {"bootstrap_servers": "$KAFKA_BOOTSTRAP", "max_time_skew_seconds": 0, "group_id": "gn",
           "capture_topic": "capture", "batch_size": 500,
           "properties": {"session.timeout.ms": 6000, "auto.offset.reset": "earliest"}},
 "policy_dir": "$work/policies", "audit_log": "$work/audit.jsonl", "state_dir": "$work/state",
 "http": {"listen": "127.0.0.1:0"}, "checkpoint_interval_seconds": 1, "log_level": "info",
 "shutdown_timeout_seconds": 20,
 "notify": [{"type": "webhook", "url": "$url/hook", "secret_file": "policies/hook.secret",
             "events": ["drift_alert", "retrain_decided"]}]}
JSON
"$bin" run --check --config "$work/run.json" >/dev/null 2>&1 || fail "run --check of the configuration"
# a default target without a secret is refused at start-up, file:line:column
sed 's/"secret_file": "policies\/hook.secret",//' "$work/run.json" >"$work/bad.json"
"$bin" run --check --config "$work/bad.json" >/dev/null 2>"$work/bad.err" && fail "a target without a secret passed --check"
grep -q 'bad.json:[0-9]*:[0-9]*: notify\[0\]: a webhook needs exactly one of' "$work/bad.err" ||
	fail "no file:line:column for the missing secret: $(cat "$work/bad.err")"
kafka_produce capture "$work/capture.jsonl" churn-endpoint >/dev/null || fail "produce"
"$bin" run --config "$work/run.json" 2>"$work/run.log" &
daemon_pid=$!
wait_decisions "$want" 120 "$daemon_pid" "$work/audit.jsonl" ||
	fail "the daemon decided $(decisions "$work/audit.jsonl") of $want windows"
kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
[[ $rc == 0 ]] || fail "SIGTERM: exit $rc"

check() { # check WANT_ALERTS
	"$py" - "$url" "$work/audit.jsonl" "$1" "$secret" <<'PY'
import json, sys, urllib.request
url, audit, want, secret = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
log = json.load(urllib.request.urlopen(url + "/_ctl/log", timeout=10))
bad = []
alerts = [d for d in log["deliveries"] if d["event"] == "drift_alert"]
if len(alerts) != want:
    bad.append(f"{len(alerts)} drift alerts delivered, replay would send {want}")
if not all(d["signature_ok"] and d["status"] == 200 for d in log["deliveries"]):
    bad.append("a delivery was refused or badly signed")
if any(n != 1 for n in log["accepted"].values()):
    bad.append(f"a (key, event) was delivered twice: {log['accepted']}")
text = open(audit).read()
recs = [json.loads(l) for l in text.splitlines() if l.strip()]
delivered = [r for r in recs if r["event"] == "notification" and r["data"]["status"] == "delivered"]
if len(delivered) != len(log["deliveries"]):
    bad.append(f"{len(delivered)} delivered records for {len(log['deliveries'])} deliveries")
if secret in text:
    bad.append("the secret is in the audit log")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
}
check "$want_alerts" || fail "first run"

# a restart over the same state: nothing is decided, or notified, again
"$bin" run --config "$work/run.json" 2>"$work/run2.log" &
daemon_pid=$!
sleep 5
kill -TERM $daemon_pid; wait $daemon_pid
check "$want_alerts" || fail "after a restart"
grep -q "$secret" "$work/run.log" "$work/run2.log" && fail "the secret is in the daemon's log"
"$bin" audit verify "$work/audit.jsonl" >/dev/null || fail "audit verify"
exit $((fails > 0))
