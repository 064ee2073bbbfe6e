#!/usr/bin/env bash
# e2e_policy_check.sh - `kpigate policy check` on good and broken policy
# files: exit codes, "FILE: OK" lines, FILE:LINE:COLUMN diagnostics.
# argv: kpigate-binary shared-dir tests-dir build-dir
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
. "$tests/lib/cli_lib.sh"
data=$tests/data/policies
examples=$tests/../policies/examples

# every example and the minimal file are valid (their references are not
# shipped: --no-reference checks the files alone)
good=("$examples"/*.json "$data"/good_minimal.json)
run good 0 policy check --no-reference "${good[@]}"
for f in "${good[@]}"; do
	has good out "$f: OK"
done
[ -s "$work/good.err" ] && { echo "FAIL good: unexpected stderr"; cat "$work/good.err"; fails=$((fails + 1)); }

# ... and without --no-reference their missing references are findings
run noref 1 policy check "$examples/churn-dry-run.json"
has_prefix noref err "$examples/churn-dry-run.json:7:25: reference: $examples/train.csv: cannot open: No such file or directory"
has noref err "$examples/churn-dry-run.json: 1 reference error"
empty noref out

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
run mixed 1 policy check --no-reference "$examples/churn-dry-run.json" "$data/bad_unknown_keys.json"
has mixed out "$examples/churn-dry-run.json: OK"
has_prefix mixed err "$data/bad_unknown_keys.json:7:14: unknown key \"cooldown_second\" in guards; did you mean \"cooldown_seconds\"?"

# every broken file in the corpus fails
for f in "$data"/bad_*.json; do
	run corpus 1 policy check "$f"
done

# unreadable file: trouble (2), not a finding, even next to an invalid one
run missing 2 policy check "$data/no-such-policy.json"
has_prefix missing err "$data/no-such-policy.json: cannot read: "
run missing2 2 policy check "$data/bad_many.json" "$data/no-such-policy.json"
has missing2 err "2 of 2 policy files invalid or unreadable"

# references, opened as the pipeline opens them: the file, every column the
# policy names (all of them, with the nearest column for a typo), the types
r=$work/ref
mkdir -p "$r"
{
	echo "id,customer_id,state,tenure,churn"
	for i in 1 2 3 4 5 6; do echo "$i,c$i,NY,$((i * 3)),$((i % 2))"; done
} >"$r/train.csv"
sed 's/^6,c6,NY,18,0$/6,c6,NY,unknown,0/' "$r/train.csv" >"$r/text.csv"
refpolicy() { # refpolicy NAME PATH LABEL EXCLUDED FEATURE
	cat >"$r/$1.json" <<EOF
{
  "model": "m",
  "reference": {"path": "$2", "label_column": "$3",
                "exclude_columns": ["id", "$4"]},
  "features": {"$5": "categorical", "tenure": "numeric"},
  "window": {"records": 1000},
  "kpis": [{"metric": "accuracy", "min": 0.9}],
  "action": {"type": "dry_run"},
  "energy": {"instance_type": "ml.m5.large", "instance_count": 1, "expected_hours": 0.5, "region": "us-east-1"}
}
EOF
}
refpolicy good train.csv churn customer_id state
refpolicy typos train.csv churnn custmer_id stat
refpolicy nofile trian.csv churn customer_id state
refpolicy types text.csv churn customer_id state
run refgood 0 policy check "$r/good.json"
has refgood out "$r/good.json: OK"
empty refgood err
run typos 1 policy check "$r/typos.json" "$r/good.json"
has typos out "$r/good.json: OK"
has typos err "$r/typos.json:5:16: reference: declared feature 'stat' is not a column of $r/train.csv; did you mean 'state'?"
has typos err "$r/typos.json:3:54: reference: label column 'churnn' is not a column of $r/train.csv; did you mean 'churn'?"
has typos err "$r/typos.json:4:43: reference: excluded column 'custmer_id' is not a column of $r/train.csv; did you mean 'customer_id'?"
has typos err "$r/typos.json: 3 reference errors"
has typos err "1 of 2 policy files invalid"
run nofile 1 policy check "$r/nofile.json"
has nofile err "$r/nofile.json:3:25: reference: $r/trian.csv: cannot open: No such file or directory"
run types 1 policy check "$r/types.json"
has types err "$r/types.json:5:40: reference: $r/text.csv: feature 'tenure' is declared numeric but has text values"
# --no-reference: the policy files alone
run skipref 0 policy check --no-reference "$r/typos.json" "$r/nofile.json" "$r/types.json"
empty skipref err

# usage
run nofiles 2 policy check
run badopt 2 policy check --frobnicate "$data/good_minimal.json"
run nosub 2 policy
run help 0 policy --help
has_prefix help out "usage: kpigate policy check [--no-reference] FILE..."
run help2 0 policy check --help

e2e_finish
