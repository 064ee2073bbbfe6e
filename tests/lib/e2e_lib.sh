# e2e_lib.sh - the setup every tests/e2e_*.sh shares. A script test gets
# ctest's argv (kpigate binary, shared-data dir, tests dir, build dir) and
# starts with:
#
#   . "$(dirname "$0")/lib/e2e_lib.sh" "$@"
#
# which sets
#   bin shared tests build   the four arguments
#   py                       /usr/bin/python3 (Debian's, with scipy and botocore)
#   e2e_name                 the script's name, e.g. e2e_daemon
#   work                     a fresh folder in the build tree, removed at
#                            exit unless KEEP is set (for a post-mortem)
# and gives
#   e2e_at_exit 'CMD'        run CMD at exit, before work is removed (stop
#                            the daemons a test started: kill -9 $pid)
#   e2e_need_kafka           the librdkafka mock cluster and kcat
#                            (kafka_lib.sh sourced, KAFKA_MOCK set); a
#                            skip (exit 77) without them, which
#                            scripts/test.sh turns into a failure
#   fail MESSAGE             says FAIL: MESSAGE and counts it
#   step MESSAGE             a progress line with the seconds elapsed
#   count FILE EVENT         audit records of EVENT in FILE (0 if none)
#   decisions FILE...        decision records in all of them
#   alive PID...             0 while one of them runs
#   wait_decisions COUNT SECONDS "PID..." AUDIT...
#                            until the audit logs hold COUNT decisions, while
#                            one of the PIDs lives
#   matching FILE REGEX      lines of FILE that match (0 without FILE)
#   wait_log FILE REGEX COUNT SECONDS ["PID..."]
#                            until COUNT lines of FILE match REGEX
#   e2e_http PORT PATH       GET http://127.0.0.1:PORT/PATH: "STATUS BODY"
#   e2e_metric PORT NAME     the first sample of NAME in PORT's /metrics
#   e2e_finish [DETAIL]      the closing line; exits 1 after any failure
#
# Tests run with set -u: an unset variable is a bug in the test.

set -u
bin=${1:?kpigate binary} shared=${2:?shared dir} tests=${3:?tests dir} build=${4:?build dir}
py=/usr/bin/python3
e2e_name=$(basename "$0" .sh)
fails=0
SECONDS=0
[ -x "$bin" ] || { echo "$e2e_name: no kpigate binary at $bin"; exit 1; }
work=$(mktemp -d "$(cd "$build" && pwd)/$e2e_name.XXXXXX") ||
	{ echo "$e2e_name: cannot make a work folder in $build"; exit 1; }
e2e_exit_cmds=()

e2e_at_exit() {
	e2e_exit_cmds+=("$1")
}

e2e_cleanup() {
	local c
	for c in "${e2e_exit_cmds[@]}"; do
		eval "$c" 2>/dev/null
	done
	[[ -n ${KEEP:-} ]] && echo "$e2e_name: kept $work" || rm -rf "$work"
}
trap e2e_cleanup EXIT

e2e_need_kafka() {
	KAFKA_MOCK=$build/kafka_mock
	[[ -x $KAFKA_MOCK ]] || KAFKA_MOCK=$build/tests/kafka_mock
	export KAFKA_MOCK
	. "$tests/lib/kafka_lib.sh"
	kafka_have_tools || { echo "skip: kcat or $KAFKA_MOCK missing"; exit 77; }
}

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

step() {
	echo "[$SECONDS s] $*"
}

count() {
	local n
	n=$(grep -c "\"event\":\"$2\"" "$1" 2>/dev/null)
	echo "${n:-0}"
}

decisions() {
	local n
	n=$(cat "$@" 2>/dev/null | grep -c '"event":"decision"')
	echo "${n:-0}"
}

alive() {
	local p
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null && return 0
	done
	return 1
}

wait_decisions() {
	local want=$1 end=$((SECONDS + $2)) who=$3
	shift 3
	while (( $(decisions "$@") < want && SECONDS < end )); do
		alive $who || break
		sleep 0.3
	done
	(( $(decisions "$@") >= want ))
}

# matching FILE REGEX: lines of FILE matching REGEX, 0 while FILE does not
# exist yet (a daemon that has not written its log)
matching() {
	local n
	n=$(grep -c -E "$2" "$1" 2>/dev/null)
	echo "${n:-0}"
}

wait_log() {
	local end=$((SECONDS + $4))
	while (( $(matching "$1" "$2") < $3 && SECONDS < end )); do
		[[ -z ${5:-} ]] || alive $5 || break
		sleep 0.3
	done
	(( $(matching "$1" "$2") >= $3 ))
}

e2e_http() {
	"$py" - "$1" "$2" <<'PY'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}{sys.argv[2]}", timeout=5)
    print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
except Exception as e:
    print(0, e)
PY
}

e2e_metric() {
	local body
	body=$(e2e_http "$1" /metrics)
	awk -v n="$2" '$1 == n { print $2; exit }' <<<"$body"
}

e2e_finish() {
	if ((fails > 0)); then
		echo "$e2e_name: $fails failure(s) in $SECONDS s"
		exit 1
	fi
	echo "$e2e_name: all checks passed in $SECONDS s${1:+ ($1)}"
	exit 0
}
