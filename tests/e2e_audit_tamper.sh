#!/bin/bash
# e2e_audit_tamper.sh - "kpigate audit verify/summary" on a log written by an
# independent implementation of the format (Python: sorted keys, compact,
# ASCII, SHA-256 chain), then on tampered copies: every flipped byte, a
# deleted, inserted, swapped or duplicated line, a torn last line, and a
# truncated tail caught only by --expect-head.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"

# expect CODE PATTERN ARGS...: run kpigate, check exit code and output.
expect() {
	local code=$1 pat=$2 out rc
	shift 2
	out=$("$bin" "$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$code" ] || fail "kpigate $* exited $rc, expected $code: $out"
	[ -z "$pat" ] || grep -qE -- "$pat" <<<"$out" || fail "kpigate $* printed '$out', expected /$pat/"
}

# A 5-record log in kpigate's format, written without kpigate.
"$py" - "$work/log.jsonl" <<'EOF' || { echo "FAIL: writing the log"; exit 1; }
import hashlib, json, sys
def canon(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
prev = "0" * 64
events = [
    ("policy_loaded", None, {"file": "p.json", "sha256": "ab" * 32}),
    ("window_evaluated", "churn", {"window": 1, "records": 500, "dataset_drift": True,
                                   "drifted_features": ["age"]}),
    ("decision", "churn", {"window": 1, "decision": "hold", "reasons": ["auc 91 above floor 80"],
                           "naive_would_retrain": True,
                           "energy": {"effect": "avoided", "kwh": 1, "kg_co2e": 0}}),
    ("window_evaluated", "churn", {"window": 2, "records": 500, "dataset_drift": False,
                                   "drifted_features": []}),
    ("run_summary", None, {"records": 1000, "windows": 2, "decisions": 1}),
]
with open(sys.argv[1], "w") as f:
    for i, (ev, model, data) in enumerate(events, 1):
        rec = {"seq": i, "time": "2026-12-01T12:00:0%d.000Z" % i, "event": ev,
               "model": model, "data": data, "prev_hash": prev}
        rec["hash"] = hashlib.sha256(canon(rec).encode()).hexdigest()
        prev = rec["hash"]
        f.write(canon(rec) + "\n")
EOF
LOG=$work/log.jsonl
HEAD=$(tail -n1 "$LOG" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["hash"])')
H3=$(sed -n 3p "$LOG" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["hash"])')

# Intact, and usage.
expect 0 "^$LOG: intact, 5 records, head $HEAD\$" audit verify "$LOG"
expect 0 "intact, 5 records, head $HEAD\$" audit verify "$LOG" --expect-head "$HEAD"
expect 0 "expected head is record 3; 2 appended since" audit verify "$LOG" --expect-head "$H3"
expect 0 "usage: kpigate audit verify" audit verify --help
expect 0 "usage: kpigate audit summary" audit summary --help
expect 0 "usage:" audit --help
expect 2 "usage:" audit
expect 2 "usage:" audit verify
expect 2 "usage:" audit verify "$LOG" --bogus
expect 2 "64 lowercase hex" audit verify "$LOG" --expect-head abc
expect 2 "cannot open" audit verify "$work/missing.jsonl"

# Every byte flipped: exit 1 naming the line that holds it.
"$py" - "$bin" "$LOG" "$work/flip.jsonl" <<'EOF' || fails=$((fails + 1))
import subprocess, sys
binary, log, copy = sys.argv[1:4]
data = open(log, "rb").read()
bad = 0
for i in range(len(data)):
    line = data[:i].count(b"\n") + 1
    flipped = bytearray(data)
    flipped[i] ^= 0x01
    open(copy, "wb").write(flipped)
    r = subprocess.run([binary, "audit", "verify", copy], capture_output=True, text=True)
    if r.returncode != 1 or not r.stdout.startswith("%s:%d: " % (copy, line)):
        bad += 1
        if bad < 5:
            print("FAIL: flip at byte %d (line %d): exit %d, %r" % (i, line, r.returncode, r.stdout))
print("flipped %d bytes, %d undetected" % (len(data), bad))
sys.exit(1 if bad else 0)
EOF

# Line edits.
edit() { # edit NAME AWK-PROGRAM: a copy of the log rewritten by awk
	awk "$2" "$LOG" >"$work/$1.jsonl"
}
edit deleted 'NR != 2'
expect 1 "deleted.jsonl:2: seq is 3, expected 2" audit verify "$work/deleted.jsonl"
edit duplicated '{ print } NR == 3 { print }'
expect 1 "duplicated.jsonl:4: seq is 3, expected 4" audit verify "$work/duplicated.jsonl"
edit swapped 'NR == 2 { hold = $0; next } { print } NR == 3 { print hold }'
expect 1 "swapped.jsonl:2: seq is 3, expected 2" audit verify "$work/swapped.jsonl"
sed -n 2p "$LOG" >"$work/line2"
edit inserted "{ print } NR == 4 { while ((getline l < \"$work/line2\") > 0) print l }"
expect 1 "inserted.jsonl:5: seq is 2, expected 5" audit verify "$work/inserted.jsonl"
head -c -1 "$LOG" >"$work/torn.jsonl"
expect 1 "torn.jsonl:5: incomplete last line" audit verify "$work/torn.jsonl"

# Tail truncation: the shorter log is a valid chain; only the head kept
# elsewhere shows that records are gone.
head -n 4 "$LOG" >"$work/short.jsonl"
expect 0 "intact, 4 records" audit verify "$work/short.jsonl"
expect 1 "expected head $HEAD is not in the log" audit verify "$work/short.jsonl" --expect-head "$HEAD"

# Summary: table, JSON, and a broken chain.
expect 0 "chain intact, 5 records, head $HEAD" audit summary "$LOG"
out=$("$bin" audit summary "$LOG" --json) || fail "summary --json exited $?"
echo "$out" | "$py" -c '
import json, sys
s = json.load(sys.stdin)
head = sys.argv[1]
assert s["chain"]["status"] == "intact" and s["chain"]["head_hash"] == head, s["chain"]
m = s["models"]["churn"]
assert m["windows_evaluated"] == 2 and m["drift_alarms"] == 1, m
assert m["decisions"] == {"retrain": 0, "hold": 1}, m
# a record without reason codes (older logs): grouped by its text, apart
assert m["hold_reasons"] == {} and m["hold_reasons_by_text"] == {"auc above floor": 1}, m
assert m["energy"]["avoided"]["kwh"] == 1 and m["energy"]["avoided"]["runs"] == 1, m
assert s["totals"]["records"] == 5 and s["totals"]["runs"] == 1, s["totals"]
' "$HEAD" || fail "summary JSON content"
expect 1 "chain BROKEN at line 2" audit summary "$work/deleted.jsonl"

e2e_finish
