#!/usr/bin/env bash
# e2e_run_check.sh - `kpigate run --check --config FILE` through the binary:
# "configuration OK" for a good file (with the bundled example policies),
# every configuration error as FILE:LINE:COLUMN, a broken policy's errors
# at its own FILE:LINE:COLUMN, environment overrides, usage and exit codes.
# Nothing connects to Kafka.
# argv: kpigate-binary shared-dir tests-dir build-dir
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
. "$tests/lib/cli_lib.sh"
data=$tests/data/config
examples=$tests/../policies/examples

# the caller's KPIGATE_* variables would change what is checked
for v in $(env | sed -n 's/^\(KPIGATE_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done

# good: every key set, policy_dir = the bundled examples, whose references
# are not shipped: --no-reference checks the files alone
run good 0 run --check --no-reference --config "$data/good.json"
has good out "configuration OK"
empty good err
run minimal 0 run --config "$data/minimal.json" --check --no-reference
has minimal out "configuration OK"
# by default each policy's reference is opened, as the daemon will
run goodref 1 run --check --config "$data/good.json"
ex=$data/../../../policies/examples # as good.json names them
has goodref err "$ex/churn-dry-run.json:7:25: reference: $ex/train.csv: cannot open: No such file or directory"
has_prefix goodref err "$ex/fraud-step-functions.json:6:25: reference: /srv/kpigate/reference/fraud_train.csv: cannot open: "
empty goodref out
run usage_noref 2 run --no-reference --config "$data/good.json"

# one example policy in a folder of its own, paths relative to the file
mkdir -p "$work/site/policies" "$work/site/logs"
cp "$examples/churn-dry-run.json" "$work/site/policies/"
{
	echo "customer_id,state,account_length,churn"
	for i in 1 2 3 4 5; do echo "c$i,NY,$((i * 12)),$((i % 2))"; done
} >"$work/site/policies/train.csv"
cat >"$work/site/kpigate.json" <<'EOF'
{
  "kafka": {"bootstrap_servers": "127.0.0.1:9092", "group_id": "kpigate", "capture_topic": "capture",
            "properties": {"security.protocol": "plaintext"}},
  "policy_dir": "policies",
  "audit_log": "logs/audit.jsonl",
  "state_dir": "state"
}
EOF
run site 0 run --check --config "$work/site/kpigate.json"
has site out "configuration OK"
# --check validates; it creates nothing
[ -e "$work/site/state" ] && fail "site: --check created state_dir"
[ -e "$work/site/logs/audit.jsonl" ] && fail "site: --check wrote the audit log"
# a reference without a declared feature: --check fails where the daemon
# would refuse to start (it used to pass)
sed -i 's/^customer_id,state,/customer_id,sate,/' "$work/site/policies/train.csv"
run siteref 1 run --check --config "$work/site/kpigate.json"
has siteref err "$work/site/policies/churn-dry-run.json:8:16: reference: declared feature 'state' is not a column of $work/site/policies/train.csv; did you mean 'sate'?"
has siteref err "$work/site/policies/churn-dry-run.json: 1 reference error"
empty siteref out
# the daemon refuses it with the same line (policyset's validate checks the
# columns with the same code)
run siteref_daemon 1 run --config "$work/site/kpigate.json"
has siteref_daemon err "$work/site/policies/churn-dry-run.json:8:16: reference: declared feature 'state' is not a column of $work/site/policies/train.csv; did you mean 'sate'?"
run siteref_skip 0 run --check --no-reference --config "$work/site/kpigate.json"
sed -i 's/^customer_id,sate,/customer_id,state,/' "$work/site/policies/train.csv"

# broken configuration: every error, file:line:column, then a summary
f=$data/bad_many.json
run many 1 run --check --config "$f"
has_prefix many err "$f:2:12: missing required key \"group_id\" in kafka (or set KPIGATE_KAFKA_GROUP_ID)"
has_prefix many err "$f:3:26: kafka.bootstrap_servers entry 1 (\"broker-1:99999\") is not host:port"
has_prefix many err "$f:5:48: librdkafka property \"enable.auto.offset.store\" must be false"
has_prefix many err "$f:5:54: unknown librdkafka property \"securty.protocol\"; did you mean \"security.protocol\"?"
has_prefix many err "$f:7:5: unknown key \"pol_timeout_ms\" in kafka; did you mean \"poll_timeout_ms\"?"
has_prefix many err "$f:14:22: http.listen \"localhost\" is not host:port"
has_prefix many err "$f:17:47: join.max_age_hours must be in (0, 8784], got 0"
has many err "$f: 18 errors"
has_lines many err "^$f:[0-9]*:[0-9]*: " 18
empty many out

f=$data/bad_missing.json
run missing 1 run --check --config "$f"
has missing err "$f:1:1: missing required key \"policy_dir\" (or set KPIGATE_POLICY_DIR)"
has_lines missing err "^$f:2:12: missing required key" 3
has missing err "$f:3:11: http must be an object, got a string"

f=$data/bad_syntax.json
run syntax 1 run --check --config "$f"
has_prefix syntax err "$f:4:"
has syntax err "$f: 1 error"

f=$data/bad_empty_policy_dir.json
run emptydir 1 run --check --config "$f"
has_prefix emptydir err "$f:3:17: policy_dir \"$data/policies-empty\" holds no *.json policy file"

# a broken policy in policy_dir: its own file:line:column errors
f=$data/policies-bad/bad_many.json
run badpolicy 1 run --check --config "$data/bad_policy.json"
has_prefix badpolicy err "$f:2:14: version must be 1"
has_prefix badpolicy err "$f:5:46: feature \"tenure\" has type \"numerical\""
has_prefix badpolicy err "$f:9:22: action.type \"dryrun\""
has badpolicy err "$f: 7 errors"
has_lines badpolicy err "^$f:[0-9]*:[0-9]*: " 7
empty badpolicy out

# two policies claiming one model
mkdir -p "$work/twice/policies"
cp "$examples/churn-dry-run.json" "$work/twice/policies/a.json"
cp "$examples/churn-dry-run.json" "$work/twice/policies/b.json"
sed 's#"policy_dir": "policies"#"policy_dir": "twice/policies"#' \
	"$work/site/kpigate.json" >"$work/twice.json"
mkdir -p "$work/logs"
run twice 1 run --check --config "$work/twice.json"
has twice err "$work/twice/policies/b.json: model \"churn-xgb\" is also the model of $work/twice/policies/a.json"

# environment: overrides are checked like the file and named on error
KPIGATE_LOG_LEVEL=verbose KPIGATE_KAFKA_PROPERTY_SECURTY_PROTOCOL=SSL \
	run envbad 1 run --check --config "$data/minimal.json"
has_prefix envbad err "KPIGATE_LOG_LEVEL (environment): log_level must be error, warn, info or debug, got \"verbose\""
has envbad err "KPIGATE_KAFKA_PROPERTY_SECURTY_PROTOCOL (environment): unknown librdkafka property \"securty.protocol\"; did you mean \"security.protocol\"?"
has envbad err "$data/minimal.json: 2 errors"
# ... and may supply the required keys the file leaves out
echo '{"state_dir": "state"}' >"$work/envonly.json"
KPIGATE_KAFKA_BOOTSTRAP_SERVERS=b-1.example:9096 KPIGATE_KAFKA_GROUP_ID=g \
KPIGATE_KAFKA_CAPTURE_TOPIC=capture KPIGATE_POLICY_DIR=$examples \
KPIGATE_AUDIT_LOG=$work/audit.jsonl KPIGATE_KAFKA_PROPERTY_SECURITY_PROTOCOL=SSL \
	run envgood 0 run --check --no-reference --config "$work/envonly.json"
has envgood out "configuration OK"

# unreadable file: trouble
run noconf 2 run --check --config "$data/no-such-config.json"
has_prefix noconf err "$data/no-such-config.json: cannot read: "

# usage
run usage0 2 run
run usage1 2 run --check
run usage2 2 run --check --config
run usage3 2 run --check --frobnicate --config "$data/good.json"
run usage4 2 run --check --config "$data/good.json" extra
run help 0 run --help
has_prefix help out "usage: kpigate run --config FILE [--check [--no-reference]]"
empty help err
# the daemon refuses to start on the errors --check reports
run daemon 1 run --config "$data/bad_missing.json"
run daemon_check 1 run --check --config "$data/bad_missing.json"
if ! cmp -s "$work/daemon.err" "$work/daemon_check.err"; then
	echo "FAIL daemon: it reports other errors than --check"
	fails=$((fails + 1))
fi

e2e_finish
