#!/usr/bin/env bash
# e2e_policy_check.sh - `kpigate policy check` on good and broken policy
# files: exit codes, "FILE: OK" lines, FILE:LINE:COLUMN diagnostics.
# argv: kpigate-binary shared-dir tests-dir build-dir
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
. "$tests/lib/cli_lib.sh"
data=$tests/data/policies
examples=$tests/../policies/examples

# every example and the minimal file are valid
good=("$examples"/*.json "$data"/good_minimal.json)
run good 0 policy check "${good[@]}"
for f in "${good[@]}"; do
	has good out "$f: OK"
done
[ -s "$work/good.err" ] && { echo "FAIL good: unexpected stderr"; cat "$work/good.err"; fails=$((fails + 1)); }

# one broken file: every error, file:line:column, then a summary
f=$data/bad_many.json
run many 1 policy check "$f"
has_prefix many err "$f:2:14: version must be 1"
has_prefix many err "$f:5:46: feature \"tenure\" has type \"numerical\""
has_prefix many err "$f:9:22: action.type \"dryrun\""
has many err "$f: 7 errors"
has many err "1 of 1 policy file invalid"
n=$(grep -c "^$f:[0-9]*:[0-9]*: " "$work/many.err")
[ "$n" = 7 ] || fail "many: $n positioned errors, expected 7"

# a syntax error is reported where jansson found it
f=$data/bad_syntax.json
run syntax 1 policy check "$f"
has_prefix syntax err "$f:4:8: '}' expected"

# good and bad together: OK lines for the good, exit 1
run mixed 1 policy check "$examples/churn-dry-run.json" "$data/bad_unknown_keys.json"
has mixed out "$examples/churn-dry-run.json: OK"
has_prefix mixed err "$data/bad_unknown_keys.json:7:14: unknown key \"cooldown_second\" in guards; did you mean \"cooldown_seconds\"?"

# every broken file in the corpus fails
for f in "$data"/bad_*.json; do
	run corpus 1 policy check "$f"
done

# unreadable file
run missing 1 policy check "$data/no-such-policy.json"
has_prefix missing err "$data/no-such-policy.json: cannot read: "

# usage
run nofiles 2 policy check
run badopt 2 policy check --frobnicate "$data/good_minimal.json"
run nosub 2 policy
run help 0 policy --help
has_prefix help out "usage: kpigate policy check FILE..."
run help2 0 policy check --help

e2e_finish
