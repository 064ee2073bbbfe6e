# cli_lib.sh - checks of one kpigate command's exit code and output, for
# the script tests of the command line (e2e_policy_check.sh,
# e2e_run_check.sh). Source after e2e_lib.sh; output is kept in $work.
#
#   run NAME EXPECTED_RC ARGS...      runs kpigate ARGS, keeps NAME.out/.err
#   has NAME STREAM LINE              the exact LINE is in out or err
#   has_prefix NAME STREAM PREFIX     a line starts with PREFIX
#   has_lines NAME STREAM REGEX N     exactly N lines match REGEX
#   empty NAME STREAM                 nothing was printed there

run() {
	local name=$1 want=$2 rc
	shift 2
	"$bin" "$@" >"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$name: exit $rc, expected $want"
		sed 's/^/  stderr: /' "$work/$name.err"
	fi
}

has() {
	if ! grep -qxF -- "$3" "$work/$1.$2"; then
		fail "$1: no line in $2: $3"
		sed "s/^/  $2: /" "$work/$1.$2"
	fi
}

has_prefix() {
	if ! awk -v p="$3" 'index($0, p) == 1 { f = 1 } END { exit !f }' \
	     "$work/$1.$2"; then
		fail "$1: no line in $2 starting: $3"
		sed "s/^/  $2: /" "$work/$1.$2"
	fi
}

has_lines() {
	local n
	n=$(grep -c -- "$3" "$work/$1.$2")
	if [ "$n" != "$4" ]; then
		fail "$1: $n lines in $2 match $3, expected $4"
		sed "s/^/  $2: /" "$work/$1.$2"
	fi
}

empty() {
	if [ -s "$work/$1.$2" ]; then
		fail "$1: unexpected $2"
		sed "s/^/  $2: /" "$work/$1.$2"
	fi
}
