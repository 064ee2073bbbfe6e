#!/usr/bin/env bash
# e2e_webhook_daemon.sh - the webhook action (docs/actions.md, Webhook
# actions) through the daemon: a replay --execute while the receiver
# answers 503 leaves its triggers in the outbox; `kpigate run` on that
# state_dir delivers each exactly once when the receiver is back (after a
# 500, retried), signed, with the secret header; a restart sends nothing
# again; no secret in the audit log or the daemon's output.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
e2e_need_kafka
recv_pid= daemon_pid=
e2e_at_exit '[[ -n $daemon_pid ]] && kill -9 "$daemon_pid"'
e2e_at_exit '[[ -n $recv_pid ]] && kill "$recv_pid"'

SECRET=whsec-e2e-daemon-5b7c1d
TOKEN=tok-e2e-daemon-header-93ae
"$bin" example "$work/ex" --records 20000 --seed 3 >/dev/null || { echo "FAIL: example"; exit 1; }
mkdir -p "$work/policies" "$work/state"
printf '%s\n' "$SECRET" >"$work/policies/hook.secret"
printf 'Bearer %s\n' "$TOKEN" >"$work/policies/token.secret"
$py "$tests/support/webhook_receiver.py" --secret-file "$work/policies/hook.secret" >"$work/recv.out" &
recv_pid=$!
for ((i = 0; i < 50; i++)); do
	grep -q '^url=' "$work/recv.out" 2>/dev/null && break
	sleep 0.1
done
url=$(sed -n 's/^url=//p' "$work/recv.out")
[[ -n $url ]] || { echo "FAIL: the receiver did not start"; exit 1; }
ctl() { curl -s -X "${3:-POST}" "$url$1" ${2:+-d "$2"}; }

$py - "$work/ex/policy.json" "$work/policies/wh.json" "$url" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["reference"]["path"] = sys.argv[1].rsplit("/", 1)[0] + "/train.csv"
p["action"] = {"type": "webhook", "url": sys.argv[3] + "/hook", "secret_file": "hook.secret",
               "headers": {"Authorization": {"secret_file": "token.secret"}},
               "body": {"dag_run_id": "{idempotency_key}", "conf": {"model": "{model}"}}}
json.dump(p, open(sys.argv[2], "w"), indent=1)
PY
retrains() { grep '"event":"decision"' "$1" | grep -c '"decision":"retrain"' || true; }
started() { grep '"event":"action_result"' "$1" 2>/dev/null | grep -c '"status":"started"' || true; }

step "1. the receiver answers 503: replay --execute leaves the triggers in the outbox"
ctl /_ctl/fail '{"count": 100000, "status": 503}' >/dev/null
rc=0
"$bin" replay --policy "$work/policies/wh.json" --capture "$work/ex/capture" \
	--ground-truth "$work/ex/ground_truth" --audit "$work/down.jsonl" --execute \
	--outbox "$work/state/outbox" --action-deadline 3600 --action-wait 2 \
	>"$work/down.out" 2>"$work/down.err" || rc=$?
[[ $rc == 2 ]] || fail "replay with the receiver down: exit $rc, not 2: $(tail -3 "$work/down.err")"
n=$(retrains "$work/down.jsonl")
((n >= 1)) || fail "no retrain decided"
left=$(ls "$work/state/outbox"/*.json 2>/dev/null | wc -l)
[[ $left == "$n" ]] || fail "$left trigger(s) in the outbox, $n expected"

step "2. kpigate run on that state_dir, the receiver back after one 500"
ctl /_ctl/reset '{}' >/dev/null
ctl /_ctl/fail '{"count": 1, "status": 500}' >/dev/null
kafka_start capture:1 || fail "kafka mock"
cat >"$work/run.json" <<JSON
{"kafka": {"bootstrap_servers": "$KAFKA_BOOTSTRAP", "max_time_skew_seconds": 0, "group_id": "g", "capture_topic": "capture"},
 "policy_dir": "$work/policies", "audit_log": "$work/run.jsonl", "state_dir": "$work/state",
 "http": {"listen": "127.0.0.1:0"}, "aws": {"poll_seconds": 1}}
JSON
for round in 1 2; do
	"$bin" run --config "$work/run.json" >"$work/run$round.out" 2>"$work/run$round.log" &
	daemon_pid=$!
	for ((i = 0; i < 150; i++)); do
		(($(started "$work/run.jsonl") >= n)) && break
		sleep 0.1
	done
	((round == 2)) && sleep 2 # anything sent twice would show now
	kill -TERM "$daemon_pid"
	wait "$daemon_pid" || fail "daemon round $round: exit $?"
	daemon_pid=
done
[[ $(started "$work/run.jsonl") == "$n" ]] || fail "daemon: $(started "$work/run.jsonl") started, $n expected"
[[ -z $(ls "$work/state/outbox"/*.json 2>/dev/null) ]] || fail "the outbox is not empty after delivery"
ctl /_ctl/log '' GET >"$work/log.json"
$py - "$work/log.json" "$n" "$TOKEN" <<'PY' || fail "the receiver's log"
import json, sys
log = json.load(open(sys.argv[1]))
d, acc, n = log["deliveries"], log["accepted"], int(sys.argv[2])
ok = [x for x in d if x["status"] == 200]
bad = []
if sum(1 for x in d if x["status"] == 500) != 1: bad.append("one 500, retried")
if len(ok) != n or len(acc) != n or any(v != 1 for v in acc.values()): bad.append(f"accepted once each: {acc}")
if not all(x["signature_ok"] and x["headers"].get("Authorization") == "Bearer " + sys.argv[3] for x in d):
    bad.append("signed, with the secret header")
if not all(x["body"]["dag_run_id"] == x["key"] for x in ok): bad.append("dag_run_id is the key")
if bad: print(" ", bad)
sys.exit(1 if bad else 0)
PY
grep -q '"status":"attempt_failed"' "$work/run.jsonl" || fail "the 500 is not audited"
for f in "$work"/run.jsonl "$work"/down.jsonl "$work"/run*.log "$work"/run*.out "$work"/down.out "$work"/down.err; do
	grep -qF -e "$SECRET" -e "$TOKEN" "$f" && fail "a secret in $(basename "$f")"
done
"$bin" audit verify "$work/run.jsonl" >/dev/null || fail "audit verify"
e2e_finish "$n webhook trigger(s) delivered by the daemon"
