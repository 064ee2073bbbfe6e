"""Data-quality checks end to end (docs/policies.md, "Data-quality
checks"): a replay of a small capture with a type error (text in an integer
column), a missing value, a new category and a record with too few columns.
The audit's window_evaluated carries the quality block with exactly those
violations, the rejected records are still rejected, the violations file is
Model Monitor's schema under quality.violations_dir, violation_is_drift
turns the violations into dataset drift, and quality.checks false turns the
checks off."""
import json
import os
import re

from kpg_check import Check, audit_records

c = Check()


def capture(payload, eid, t="2026-01-05T10:00:00Z"):
    return json.dumps({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                              "data": payload, "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                               "data": "0.7", "encoding": "CSV"}},
        "eventMetadata": {"eventId": eid, "inferenceTime": t},
        "eventVersion": "0"})


# the reference: a integral and non-negative, b fractional, colour red/blue
c.write("train.csv", "a,b,colour\n" + "".join(
    f"{i % 7},{i % 3}.5,{'blue' if i % 2 else 'red'}\n" for i in range(300)))
good = [capture(f"{i % 7},{i % 3}.5,{'blue' if i % 2 else 'red'}", f"g{i}") for i in range(21)]
bad = [capture("x,1.5,red", "type"),      # text in a numeric column: rejected
       capture("3,,blue", "missing"),     # b missing
       capture("4,0.5,green", "new"),     # a category the reference lacks
       capture("5,2.5", "short")]         # too few columns: rejected
lines = good[:10] + bad + good[10:]
c.write("capture.jsonl", "\n".join(lines) + "\n")
# 21 good + missing + new = 23 accepted records close the window
n_window = 23


def policy(name, quality):
    return c.write(f"{name}.json", json.dumps({
        "model": name, "reference": {"path": "train.csv"},
        "window": {"records": n_window},
        "kpis": [{"metric": "accuracy", "min": 0.5}],
        "guards": {"min_records": 1, "min_labelled": 0},
        "quality": quality,
        "action": {"type": "dry_run"},
        "energy": {"instance_type": "ml.m5.xlarge", "instance_count": 1,
                   "expected_hours": 1, "region": "us-east-1"}}))


def replay(pol, audit):
    rc, out, err = c.run("replay", "--policy", pol, "--capture", c.path("capture.jsonl"),
                         "--audit", audit, "--json", "--max-reject-rate", "1",
                         "--decide-pending")
    c.ok(rc in (0, 1), f"replay exited {rc}: {err[-1500:]}")
    return json.loads(out) if out.strip().startswith("{") else {}


def windows(audit):
    return [r["data"] for r in audit_records(audit) if r.get("event") == "window_evaluated"]


# ---- the checks and the violations file --------------------------------
pol = policy("quality-a", {"violations_dir": "violations"})
audit = c.path("audit-a.jsonl")
rep = replay(pol, audit)
ws = windows(audit)
c.ok(len(ws) == 1, f"one window evaluated, got {len(ws)}")
w = ws[0] if ws else {}
c.ok(w.get("records") == n_window, f"the window has {n_window} records: {w.get('records')}")
q = w.get("quality", {})
c.ok(isinstance(q.get("checks"), int) and q["checks"] >= 8, f"checks counted: {q}")
c.ok(q.get("constraints") == "reference", f"constraints from the reference: {q}")
got = {(v["feature"], v["check"]) for v in q.get("violations", [])}
for want in (("a", "data_type_check"), ("b", "completeness_check"),
             ("colour", "categorical_values_check"), ("colour", "missing_column_check")):
    c.ok(want in got, f"violation {want} in the audit: {sorted(got)}")
c.ok(("a", "non_negative_check") not in got and ("b", "data_type_check") not in got,
     f"no violation without a cause: {sorted(got)}")
for v in q.get("violations", []):
    c.ok(set(v) == {"feature", "check", "value", "threshold", "description"},
         f"violation fields: {sorted(v)}")
    c.ok(re.fullmatch(r"Value: -?\d+\.\d+(E-?\d+)? does not meet the constraint requirement! ",
                      v["description"]) is not None, f"description: {v['description']!r}")
    c.ok(v["value"] < v["threshold"] or v["check"] == "baseline_drift_check",
         f"a share below its threshold: {v}")
byk = {(v["feature"], v["check"]): v for v in q.get("violations", [])}
if ("a", "data_type_check") in byk:
    # 22 numbers of a accepted (21 good, missing's, new's) + 1 text rejected
    v = byk[("a", "data_type_check")]
    c.ok(abs(v["value"] - 23 / 24) < 1e-12, f"a's type share is 23/24: {v}")
if ("b", "completeness_check") in byk:
    v = byk[("b", "completeness_check")]
    c.ok(abs(v["value"] - 22 / 23) < 1e-12 and v["threshold"] == 1.0,
         f"b's completeness is 22/23 against 1.0: {v}")
if ("colour", "categorical_values_check") in byk:
    v = byk[("colour", "categorical_values_check")]
    c.ok(abs(v["value"] - 22 / 23) < 1e-12, f"colour's domain share is 22/23: {v}")
# the rejects are still rejects: the type error and the short record
c.ok(json.dumps(rep).count('"bad_value": 1') + json.dumps(rep).count('"feature_count": 1') >= 2
     or "rejected" in json.dumps(rep), f"the replay counts the rejects: {json.dumps(rep)[:400]}")

vdir = c.path("violations", "quality-a", "2026-01-05T10-00-00Z")
vfile = os.path.join(vdir, "constraint_violations.json")
c.ok(os.path.exists(vfile), f"violations file at {vfile}: {os.listdir(c.tmp)}")
if os.path.exists(vfile):
    with open(vfile) as f:
        doc = json.load(f)
    c.ok(list(doc) == ["violations"], f"one key, violations: {list(doc)}")
    mm_types = {"data_type_check", "completeness_check", "baseline_drift_check",
                "missing_column_check", "extra_column_check", "categorical_values_check"}
    for v in doc.get("violations", []):
        c.ok(list(v) == ["feature_name", "constraint_check_type", "description"],
             f"Model Monitor's fields in its order: {list(v)}")
        c.ok(v["constraint_check_type"] in mm_types, f"a Model Monitor check type: {v}")
        c.ok(v["description"].endswith("does not meet the constraint requirement! "),
             f"Model Monitor's words: {v['description']!r}")
    c.ok(len(doc.get("violations", [])) == len(q.get("violations", [])),
         "the file lists the audit's violations")
    c.ok(not [n for n in os.listdir(vdir) if n != "constraint_violations.json"],
         f"no temporary file left: {os.listdir(vdir)}")

# ---- violation_is_drift -------------------------------------------------
pol = policy("quality-b", {"violation_is_drift": True})
audit = c.path("audit-b.jsonl")
replay(pol, audit)
ws = windows(audit)
c.ok(ws and ws[0].get("dataset_drift") is True, "violations are dataset drift")
dec = [r["data"] for r in audit_records(audit) if r.get("event") == "decision"]
reasons = " ".join(" ".join(x if isinstance(x, str) else json.dumps(x) for x in d.get("reasons", []))
                   for d in dec)
c.ok("data-quality violation" in reasons, f"the drift summary says why: {reasons[:600]}")

# without it, the same window has no dataset drift from the checks
pol = policy("quality-c", {"checks": True})
audit = c.path("audit-c.jsonl")
replay(pol, audit)
ws = windows(audit)
dec = [r["data"] for r in audit_records(audit) if r.get("event") == "decision"]
reasons = json.dumps(dec)
c.ok("data-quality violation" not in reasons, "no quality text without violation_is_drift")

# ---- checks off ---------------------------------------------------------
pol = policy("quality-d", {"checks": False})
audit = c.path("audit-d.jsonl")
replay(pol, audit)
ws = windows(audit)
c.ok(ws and "quality" not in ws[0], "quality.checks false: no quality block")
c.finish()
