#!/usr/bin/env bash
# e2e_aws_actions.sh - retraining actions against the AWS emulator
# (tests/support/aws_mock.py: every SigV4 signature recomputed by botocore),
# over TLS with the emulator's CA:
#  1. `action test` prints the request and the credential source, no secret;
#  2. replay --execute with a SageMaker policy: each retrain starts one
#     pipeline execution, signed with a session token; a second replay of
#     the same data starts nothing new (ClientRequestToken);
#  3. Step Functions: the same, and a repeated start is "already started";
#  4. a throttling storm (5 x 429/503) then success: every attempt counted
#     (identical ones in one record), one execution; a 400 is final ("failed", exit 1);
#  5. credentials from web identity (STS AssumeRoleWithWebIdentity);
#  6. AWS down: a trigger past its deadline expires; one within it stays
#     in the outbox, and `kpigate run` on that
#     state_dir delivers it exactly once when AWS is back, follows the
#     execution to its end and audits its real energy; a restart sends
#     nothing again;
#  7. no secret in any output, log or audit record.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
$py -c 'import botocore' 2>/dev/null || { echo "skip: python3-botocore missing"; exit 77; }
. "$tests/lib/aws_mock_lib.sh"
mock_pid= daemon_pid=
e2e_at_exit '[[ -n $daemon_pid ]] && kill -9 "$daemon_pid"'
e2e_at_exit '[[ -n $mock_pid ]] && kill "$mock_pid"'

SECRET=e2eSecretKey0123456789abcdefghijKLMNOP
TOKEN=e2eSessionToken-ZZZ-0123456789-session
WEBTOKEN=e2eWebIdentityToken.eyJ0ZXN0Ijp0cnVlfQ
n_executions() { # n_executions pipelines|sfn
	mock GET /_mock/executions | $py -c 'import json, sys; print(len(json.load(sys.stdin)[sys.argv[1]]))' "$1"
}
retrains() { grep '"event":"decision"' "$1" | grep -c '"decision":"retrain"'; }

mock_start --key "AKIDE2E:$SECRET:$TOKEN" --web-identity-token "$WEBTOKEN" --run-seconds 1
"$bin" example "$work/ex" --records 20000 --seed 3 >/dev/null || { echo "FAIL: example"; exit 1; }
# the example's policy with an AWS action instead of its dry run
policy() { # policy FILE ACTION_JSON
	$py - "$work/ex/policy.json" "$1" "$2" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["action"] = json.loads(sys.argv[3])
p["reference"]["path"] = sys.argv[1].rsplit("/", 1)[0] + "/train.csv"
json.dump(p, open(sys.argv[2], "w"), indent=1)
PY
}
policy "$work/sm.json" '{"type": "sagemaker_pipeline", "pipeline_name": "churn-retrain", "region": "eu-west-1", "parameters": {"Model": "{model}", "Window": "{window}"}}'
policy "$work/sfn.json" '{"type": "step_functions", "state_machine_arn": "arn:aws:states:us-west-2:123456789012:stateMachine:churn-retrain", "region": "us-west-2"}'
policy "$work/bad.json" '{"type": "sagemaker_pipeline", "pipeline_name": "churn-retrain", "region": "eu-west-1"}'

# the container's environment: static keys with a session token
unset AWS_PROFILE AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_CONTAINER_CREDENTIALS_FULL_URI \
	AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_ENDPOINT_URL_SAGEMAKER AWS_ENDPOINT_URL_SFN AWS_REGION
export AWS_ACCESS_KEY_ID=AKIDE2E AWS_SECRET_ACCESS_KEY=$SECRET AWS_SESSION_TOKEN=$TOKEN
export AWS_CA_BUNDLE=$ca AWS_ENDPOINT_URL=$url AWS_EC2_METADATA_DISABLED=true
export AWS_SHARED_CREDENTIALS_FILE=$work/none AWS_CONFIG_FILE=$work/none
# replay POLICY AUDIT [ARGS...]: 0 when replay exits 1 (findings: the example
# decides retrains), 10 when it exits 0 (no retrain: unexpected here), else
# replay's trouble code (2: a trigger not delivered, ...)
replay() {
	local p=$1 a=$2 rc=0
	shift 2
	"$bin" replay --policy "$p" --capture "$work/ex/capture" --ground-truth "$work/ex/ground_truth" \
		--audit "$a" --execute "$@" >"$a.out" 2>"$a.err" || rc=$?
	case $rc in
	1) return 0 ;;
	0) return 10 ;;
	*) return "$rc" ;;
	esac
}

echo "1. action test"
"$bin" action test --policy "$work/sm.json" >"$work/test.out" 2>&1 || fail "action test exit $?"
$py - "$work/test.out" "$url" <<'PY' || fail "action test output"
import json, sys
o = json.load(open(sys.argv[1]))
want = {"target": "SageMaker.StartPipelineExecution", "region": "eu-west-1", "endpoint": sys.argv[2],
        "signing_name": "sagemaker", "credential_source": "environment"}
bad = {k: o.get(k) for k in want if o.get(k) != want[k]}
if bad or o["body"]["PipelineName"] != "churn-retrain" or len(o["body"]["ClientRequestToken"]) != 64:
    print("  got", bad, o["body"]); sys.exit(1)
PY

echo "2. SageMaker pipeline from replayed decisions"
replay "$work/sm.json" "$work/sm1.jsonl" || fail "replay --execute exit $?: $(tail -2 "$work/sm1.jsonl.err")"
n=$(retrains "$work/sm1.jsonl")
((n >= 1)) || fail "no retrain in the replay"
[[ $(results "$work/sm1.jsonl") == "$(printf 'started%.0s ' $(seq "$n") | sed 's/ $//')" ]] ||
	fail "action results: $(results "$work/sm1.jsonl"), $n retrain(s)"
[[ $(n_executions pipelines) == "$n" ]] || fail "$(n_executions pipelines) executions for $n retrain(s)"
mock GET /_mock/log | $py -c 'import json, sys
log = [r for r in json.load(sys.stdin) if r["kind"] == "api"]
bad = [r for r in log if not r["signature_ok"] or not r["session_token_sent"] or r["access_key_id"] != "AKIDE2E"]
sys.exit(1 if bad or not log else 0)' || fail "a call was not signed with the session token"
replay "$work/sm.json" "$work/sm2.jsonl" || fail "second replay exit $?"
[[ $(n_executions pipelines) == "$n" ]] || fail "the second replay started another execution"
$py - "$work/sm1.jsonl" "$work/sm2.jsonl" <<'PY' || fail "the second replay's ARNs differ"
import json, sys
arns = [[json.loads(l)["data"].get("execution_arn") for l in open(p) if json.loads(l)["event"] == "action_result"] for p in sys.argv[1:]]
sys.exit(0 if arns[0] == arns[1] and all(arns[0]) else 1)
PY

echo "3. Step Functions"
replay "$work/sfn.json" "$work/sfn1.jsonl" || fail "sfn replay exit $?: $(tail -2 "$work/sfn1.jsonl.err")"
[[ $(n_executions sfn) == "$n" ]] || fail "$(n_executions sfn) Step Functions executions for $n retrain(s)"
# the same name and input again: the emulator answers the running
# execution's ARN; AWS says ExecutionAlreadyExists once it has ended
replay "$work/sfn.json" "$work/sfn2.jsonl" || fail "second sfn replay exit $?"
[[ $(n_executions sfn) == "$n" ]] || fail "the second sfn replay started another execution"
mock POST /_mock/fail '{"match": "AWSStepFunctions.StartExecution", "responses": [
 {"status": 400, "type": "ExecutionAlreadyExists", "message": "Execution Already Exists"}]}' >/dev/null
replay "$work/sfn.json" "$work/sfn3.jsonl" || fail "third sfn replay exit $?"
[[ $(results "$work/sfn3.jsonl") == already_started* ]] || fail "sfn ExecutionAlreadyExists: $(results "$work/sfn3.jsonl")"
$py - "$work/sfn1.jsonl" "$work/sfn3.jsonl" <<'PY' || fail "already_started names another execution"
import json, sys
arns = [[json.loads(l)["data"].get("execution_arn") for l in open(p) if json.loads(l)["event"] == "action_result"] for p in sys.argv[1:]]
sys.exit(0 if arns[0][:1] == arns[1][:1] and arns[0][0] else 1)
PY

echo "4. throttling storm, then a final 400"
mock POST /_mock/reset >/dev/null
mock POST /_mock/fail '{"match": "SageMaker.StartPipelineExecution", "responses": [
 {"status": 429, "type": "ThrottlingException", "message": "Rate exceeded"},
 {"status": 429, "type": "ThrottlingException", "message": "Rate exceeded"},
 {"status": 429, "type": "ThrottlingException", "message": "Rate exceeded"},
 {"status": 503, "type": "ServiceUnavailable", "message": "try again"},
 {"status": 429, "type": "ThrottlingException", "message": "Rate exceeded"}]}' >/dev/null
replay "$work/sm.json" "$work/storm.jsonl" || fail "storm replay exit $?"
# 3 identical 429s are one record (count 3), then the 503, the last 429
[[ $(results "$work/storm.jsonl") == "attempt_failed attempt_failed attempt_failed started"* ]] ||
	fail "storm results: $(results "$work/storm.jsonl")"
$py - "$work/storm.jsonl" <<'PY' || fail "storm: the failed attempts are not all counted"
import json, sys
r = [json.loads(l)["data"] for l in open(sys.argv[1]) if json.loads(l)["event"] == "action_result"]
f = [x for x in r if x["status"] == "attempt_failed"]
ok = [x["count"] for x in f] == [3, 1, 1] and [x["error_type"] for x in f] == \
    ["ThrottlingException", "ServiceUnavailable", "ThrottlingException"]
if not ok: print(" ", f)
sys.exit(0 if ok else 1)
PY
[[ $(n_executions pipelines) == "$n" ]] || fail "storm: $(n_executions pipelines) executions"
mock POST /_mock/reset >/dev/null
mock POST /_mock/fail '{"match": "SageMaker.StartPipelineExecution", "responses": [
 {"status": 400, "type": "ValidationException", "message": "Pipeline churn-retrain does not exist"}]}' >/dev/null
replay "$work/bad.json" "$work/bad.jsonl"
rc=$?
[[ $rc == 2 ]] || fail "a final 400: exit $rc, not 2"
[[ $(results "$work/bad.jsonl") == failed ]] || fail "400 results: $(results "$work/bad.jsonl")"
grep -q '"error_type":"ValidationException"' "$work/bad.jsonl" || fail "the 400's type is not audited"
[[ $(mock GET /_mock/log | $py -c 'import json, sys
print(sum(r["target"] == "SageMaker.StartPipelineExecution" for r in json.load(sys.stdin)))') == 1 ]] ||
	fail "a 400 was retried"

echo "5. web identity"
mock POST /_mock/reset >/dev/null
printf '%s' "$WEBTOKEN" >"$work/web-token"
(
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
	export AWS_WEB_IDENTITY_TOKEN_FILE=$work/web-token AWS_ROLE_ARN=arn:aws:iam::123456789012:role/kpigate
	"$bin" action test --policy "$work/sm.json" | grep -q '"credential_source": "web_identity"' || exit 3
	replay "$work/sm.json" "$work/web.jsonl" || exit 4
) || fail "web identity: step $?"
mock GET /_mock/log | $py -c 'import json, sys
log = json.load(sys.stdin)
sts = [r for r in log if r["kind"] == "sts" and r["status"] == 200]
api = [r for r in log if r["kind"] == "api" and r["signature_ok"] and r["session_token_sent"]]
sys.exit(0 if sts and api else 1)' || fail "web identity: no STS exchange or no call signed with its credentials"

echo "6. AWS down across a restart"
mock POST /_mock/reset >/dev/null
mkdir -p "$work/state"
# nothing listens on port 9 of the loopback: connection refused
AWS_ENDPOINT_URL=http://127.0.0.1:9 replay "$work/sm.json" "$work/down.jsonl" \
	--outbox "$work/state/outbox" --action-deadline 3600 --action-wait 2
rc=$?
[[ $rc == 2 ]] || fail "AWS down: replay exit $rc, not 2"
[[ $(results "$work/down.jsonl") == attempt_failed* ]] || fail "AWS down: $(results "$work/down.jsonl")"
grep -q CURLE_COULDNT_CONNECT "$work/down.jsonl" || fail "AWS down: the transport error is not audited"
left=$(ls "$work/state/outbox"/*.json 2>/dev/null | wc -l)
[[ $left == "$n" ]] || fail "AWS down: $left trigger(s) in the outbox, $n expected"
# a trigger whose deadline passes while AWS is down expires, audited
AWS_ENDPOINT_URL=http://127.0.0.1:9 replay "$work/sm.json" "$work/expire.jsonl" \
	--outbox "$work/expire-outbox" --action-deadline 2 --action-wait 8
rc=$?
[[ $rc == 2 ]] || fail "expired trigger: replay exit $rc, not 2"
[[ $(results "$work/expire.jsonl") == attempt_failed*expired ]] || fail "expiry: $(results "$work/expire.jsonl")"
[[ -z $(ls "$work/expire-outbox"/*.json 2>/dev/null) ]] || fail "an expired trigger stayed in the outbox"
# the daemon on that state_dir (no Kafka records needed: it delivers what
# the outbox holds at start, then follows the execution)
export KAFKA_MOCK=$build/kafka_mock
. "$tests/lib/kafka_lib.sh"
if kafka_have_tools; then
	kafka_start capture:1 || fail "kafka mock"
	mkdir -p "$work/policies"
	cp "$work/sm.json" "$work/policies/"
	cat >"$work/run.json" <<JSON
{"kafka": {"bootstrap_servers": "$KAFKA_BOOTSTRAP", "max_time_skew_seconds": 0, "group_id": "g", "capture_topic": "capture"},
 "policy_dir": "$work/policies", "audit_log": "$work/run.jsonl", "state_dir": "$work/state",
 "http": {"listen": "127.0.0.1:0"}, "aws": {"sagemaker_endpoint": "$url", "poll_seconds": 1}}
JSON
	for round in 1 2; do
		"$bin" run --config "$work/run.json" 2>"$work/run$round.log" &
		daemon_pid=$!
		for ((i = 0; i < 150; i++)); do
			[[ $(grep -c '"event":"action_finished"' "$work/run.jsonl" 2>/dev/null) -ge $n ]] && break
			sleep 0.1
		done
		((round == 2)) && sleep 2 # anything sent twice would show now
		# a process that holds AWS secrets writes no core file
		awk '/Max core file size/ { exit !($5 == 0 && $6 == 0) }' "/proc/$daemon_pid/limits" ||
			fail "the daemon may dump core: $(grep 'core file' "/proc/$daemon_pid/limits")"
		kill -TERM "$daemon_pid"
		wait "$daemon_pid" || fail "daemon round $round: exit $?"
		daemon_pid=
	done
	[[ $(n_executions pipelines) == "$n" ]] || fail "after the restart: $(n_executions pipelines) executions, $n expected"
	[[ $(results "$work/run.jsonl") == "$(printf 'started%.0s ' $(seq "$n") | sed 's/ $//')" ]] ||
		fail "daemon results: $(results "$work/run.jsonl")"
	$py - "$work/run.jsonl" "$n" <<'PY' || fail "action_finished records"
import json, sys
f = [json.loads(l)["data"] for l in open(sys.argv[1]) if json.loads(l)["event"] == "action_finished"]
ok = len(f) == int(sys.argv[2]) and all(
    r["status"] == "Succeeded" and r["duration_seconds"] >= 0 and r["energy"]["basis"] == "actual duration"
    and r["energy"]["kwh"] <= r["estimate"]["kwh"] for r in f)
if not ok: print(" ", f)
sys.exit(0 if ok else 1)
PY
	[[ -z $(ls "$work/state/outbox"/*.json 2>/dev/null) ]] || fail "the outbox is not empty after delivery"
	# the ledger: the measured run replaces the estimate in the energy spent
	"$bin" audit summary "$work/run.jsonl" --json >"$work/summary.json" || fail "audit summary"
	$py - "$work/summary.json" "$work/run.jsonl" "$n" <<'PY' || fail "the summary's energy is not the measured one"
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
f = [json.loads(l)["data"] for l in open(sys.argv[2]) if json.loads(l)["event"] == "action_finished"]
sp = t["energy"]["spent"]
want = sum(r["energy"]["kwh"] for r in f)
ok = t["executions"].get("Succeeded") == int(sys.argv[3]) and sp["measured_runs"] == int(sys.argv[3]) \
    and abs(sp["kwh"] - want) < 1e-9 * max(1, want)
if not ok: print(" ", t["executions"], sp, want)
sys.exit(0 if ok else 1)
PY
	"$bin" audit verify "$work/run.jsonl" >/dev/null || fail "the daemon's audit log does not verify"
	kafka_stop
else
	echo "  (kcat or kafka_mock missing: the daemon part is skipped)"
fi

echo "7. no secret anywhere"
mock GET /_mock/log >"$work/mock-log.json"
if grep -rl -e "$SECRET" -e "$TOKEN" -e "$WEBTOKEN" "$work" --exclude=web-token --exclude-dir=tls \
	--exclude=run.json 2>/dev/null | grep -v '/ex/' ; then
	fail "a secret appears in the files above"
fi

for a in sm1 sm2 sfn1 sfn2 sfn3 storm bad down expire web; do
	"$bin" audit verify "$work/$a.jsonl" >/dev/null || fail "$a.jsonl does not verify"
done
e2e_finish "$n retrain(s) per replay"
