#!/usr/bin/env bash
# e2e_run_check.sh - `kpigate run --check --config FILE` through the binary:
# "configuration OK" for a good file (with the bundled example policies),
# every configuration error as FILE:LINE:COLUMN, a broken policy's errors
# at its own FILE:LINE:COLUMN, environment overrides, usage and exit codes.
# Nothing connects to Kafka.
# argv: kpigate-binary shared-dir tests-dir build-dir (exit 77 = skip)
set -u
bin=$1 tests=$3 build=$4
[ -x "$bin" ] || { echo "skip: no kpigate binary at $bin"; exit 77; }
"$bin" run --help >/dev/null 2>&1 ||
	{ echo "skip: this kpigate has no 'run' command"; exit 77; }
data=$tests/data/config
examples=$tests/../policies/examples
out=$(mktemp -d "$build/e2e_run_check.XXXXXX")
trap 'rm -rf "$out"' EXIT
fails=0

# the caller's KPIGATE_* variables would change what is checked
for v in $(env | sed -n 's/^\(KPIGATE_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done

# run NAME EXPECTED_RC ARGS...: runs kpigate, keeps stdout/stderr
run() {
	local name=$1 want=$2
	shift 2
	"$bin" "$@" >"$out/$name.out" 2>"$out/$name.err"
	local rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL $name: exit $rc, expected $want"
		sed 's/^/  stderr: /' "$out/$name.err"
		fails=$((fails + 1))
	fi
}

# has NAME STREAM LINE: the exact line is in out/err
has() {
	if ! grep -qxF -- "$3" "$out/$1.$2"; then
		echo "FAIL $1: no line in $2: $3"
		sed "s/^/  $2: /" "$out/$1.$2"
		fails=$((fails + 1))
	fi
}

# has_prefix NAME STREAM PREFIX: a line starting with PREFIX
has_prefix() {
	if ! awk -v p="$3" 'index($0, p) == 1 { f = 1 } END { exit !f }' \
	     "$out/$1.$2"; then
		echo "FAIL $1: no line in $2 starting: $3"
		sed "s/^/  $2: /" "$out/$1.$2"
		fails=$((fails + 1))
	fi
}

# count NAME STREAM REGEX N: exactly N lines match
count() {
	local n
	n=$(grep -c -- "$3" "$out/$1.$2")
	if [ "$n" != "$4" ]; then
		echo "FAIL $1: $n lines in $2 match $3, expected $4"
		sed "s/^/  $2: /" "$out/$1.$2"
		fails=$((fails + 1))
	fi
}

empty() {
	if [ -s "$out/$1.$2" ]; then
		echo "FAIL $1: unexpected $2"
		sed "s/^/  $2: /" "$out/$1.$2"
		fails=$((fails + 1))
	fi
}

# good: every key set, policy_dir = the bundled examples
run good 0 run --check --config "$data/good.json"
has good out "configuration OK"
empty good err
run minimal 0 run --config "$data/minimal.json" --check
has minimal out "configuration OK"

# one example policy in a folder of its own, paths relative to the file
mkdir -p "$out/site/policies" "$out/site/logs"
cp "$examples/churn-dry-run.json" "$out/site/policies/"
cat >"$out/site/kpigate.json" <<'EOF'
{
  "kafka": {"bootstrap_servers": "127.0.0.1:9092", "group_id": "kpigate", "capture_topic": "capture",
            "properties": {"security.protocol": "plaintext"}},
  "policy_dir": "policies",
  "audit_log": "logs/audit.jsonl",
  "state_dir": "state"
}
EOF
run site 0 run --check --config "$out/site/kpigate.json"
has site out "configuration OK"
# --check validates; it creates nothing
[ -e "$out/site/state" ] && { echo "FAIL site: --check created state_dir"; fails=$((fails + 1)); }
[ -e "$out/site/logs/audit.jsonl" ] && { echo "FAIL site: --check wrote the audit log"; fails=$((fails + 1)); }

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
count many err "^$f:[0-9]*:[0-9]*: " 18
empty many out

f=$data/bad_missing.json
run missing 1 run --check --config "$f"
has missing err "$f:1:1: missing required key \"policy_dir\" (or set KPIGATE_POLICY_DIR)"
count missing err "^$f:2:12: missing required key" 3
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
count badpolicy err "^$f:[0-9]*:[0-9]*: " 7
empty badpolicy out

# two policies claiming one model
mkdir -p "$out/twice/policies"
cp "$examples/churn-dry-run.json" "$out/twice/policies/a.json"
cp "$examples/churn-dry-run.json" "$out/twice/policies/b.json"
sed 's#"policy_dir": "policies"#"policy_dir": "twice/policies"#' \
	"$out/site/kpigate.json" >"$out/twice.json"
mkdir -p "$out/logs"
run twice 1 run --check --config "$out/twice.json"
has twice err "$out/twice/policies/b.json: model \"churn-xgb\" is also the model of $out/twice/policies/a.json"

# environment: overrides are checked like the file and named on error
KPIGATE_LOG_LEVEL=verbose KPIGATE_KAFKA_PROPERTY_SECURTY_PROTOCOL=SSL \
	run envbad 1 run --check --config "$data/minimal.json"
has_prefix envbad err "KPIGATE_LOG_LEVEL (environment): log_level must be error, warn, info or debug, got \"verbose\""
has envbad err "KPIGATE_KAFKA_PROPERTY_SECURTY_PROTOCOL (environment): unknown librdkafka property \"securty.protocol\"; did you mean \"security.protocol\"?"
has envbad err "$data/minimal.json: 2 errors"
# ... and may supply the required keys the file leaves out
echo '{"state_dir": "state"}' >"$out/envonly.json"
KPIGATE_KAFKA_BOOTSTRAP_SERVERS=b-1.example:9096 KPIGATE_KAFKA_GROUP_ID=g \
KPIGATE_KAFKA_CAPTURE_TOPIC=capture KPIGATE_POLICY_DIR=$examples \
KPIGATE_AUDIT_LOG=$out/audit.jsonl KPIGATE_KAFKA_PROPERTY_SECURITY_PROTOCOL=SSL \
	run envgood 0 run --check --config "$out/envonly.json"
has envgood out "configuration OK"

# unreadable file
run noconf 1 run --check --config "$data/no-such-config.json"
has_prefix noconf err "$data/no-such-config.json: cannot read: "

# usage
run usage0 2 run
run usage1 2 run --check
run usage2 2 run --check --config
run usage3 2 run --check --frobnicate --config "$data/good.json"
run usage4 2 run --check --config "$data/good.json" extra
run help 0 run --help
has_prefix help out "usage: kpigate run --config FILE [--check]"
empty help err
# the daemon refuses to start on the errors --check reports
run daemon 1 run --config "$data/bad_missing.json"
run daemon_check 1 run --check --config "$data/bad_missing.json"
if ! cmp -s "$out/daemon.err" "$out/daemon_check.err"; then
	echo "FAIL daemon: it reports other errors than --check"
	fails=$((fails + 1))
fi

if [ "$fails" -gt 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "e2e_run_check: all checks passed"
