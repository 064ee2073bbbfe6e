"""Reasons with codes, end to end on the bundled example: every audited
decision carries reason_codes beside its reasons and the decisive_reason
among them; `kpigate audit summary --json` counts decisions by that code
(checked against a count made here from the audit log itself); the replay
table's `why` is the decisive reason, which for a window held by
min_records is the guard, not the KPI listed after it; and numbers compared
with a threshold never print alike."""
import collections
import json
import re

from kpg_check import Check, audit_records

# docs/policies.md, "Reason codes"
CODES = {"unspecified", "dataset_drift", "no_drift", "drift_not_judged", "min_records",
         "min_labelled", "kpi_breach", "kpi_ok", "kpi_missing", "no_kpi", "no_breach",
         "drift_alert", "require_drift", "consecutive", "cooldown", "budget", "retrain"}
HOLD_CODES = {"min_records", "min_labelled", "no_kpi", "no_breach", "drift_alert",
              "require_drift", "consecutive", "cooldown", "budget"}

c = Check()
ex = c.path("example")
c.run("example", ex, "--records", "30000", "--seed", "11", expect=0)
with open(f"{ex}/policy.json") as f:
    pol = json.load(f)

# ---- the example as shipped: audit records and the summary by code ------
audit = c.path("audit.jsonl")
rep = c.run_json("replay", "--policy", f"{ex}/policy.json", "--capture", f"{ex}/capture",
                 "--ground-truth", f"{ex}/ground_truth", "--audit", audit, "--json",
                 expect=1)  # findings: drift alarms and a retrain
decs = [r for r in audit_records(audit) if r["event"] == "decision"]
c.ok(len(decs) >= 38, f"about 40 decisions audited (the last days wait for labels): {len(decs)}")
expect = {"hold": collections.Counter(), "retrain": collections.Counter()}
examples = {}
for r in decs:
    d = r["data"]
    codes, reasons, dec = d.get("reason_codes"), d.get("reasons"), d.get("decisive_reason")
    w = d["window"]
    if not (isinstance(codes, list) and len(codes) == len(reasons)):
        c.fail(f"window {w}: reason_codes parallel to reasons: {codes} / {reasons}")
        continue
    c.ok(set(codes) <= CODES - {"unspecified"}, f"window {w}: known codes: {codes}")
    if not isinstance(dec, dict):
        c.fail(f"window {w}: decisive_reason is {dec!r}")
        continue
    at = [i for i, (t, k) in enumerate(zip(reasons, codes))
          if t == dec["text"] and k == dec["code"]]
    c.ok(len(at) >= 1, f"window {w}: the decisive reason is one of the reasons: {dec}")
    if d["decision"] == "retrain":
        c.ok(dec["code"] == "kpi_breach" and "auc" in dec["text"] and " < " in dec["text"],
             f"window {w}: a retrain is decided by the breach: {dec}")
    else:
        c.ok(dec["code"] in HOLD_CODES, f"window {w}: a hold is decided by a hold reason: {dec}")
    if dec["code"] in ("no_breach", "drift_alert"):
        c.ok((dec["code"] == "drift_alert") == d["dataset_drift"],
             f"window {w}: drift_alert for a held drift alarm, no_breach without one: {dec}")
    expect[d["decision"]][dec["code"]] += 1
    examples.setdefault(dec["code"], dec["text"])
    # a value and its threshold never print alike ("rmse 110 > 110")
    for t in reasons:
        m = re.match(r"^\w+ (\S+) (<|>|<=|>=) (\S+) \(n=\d+\)$", t)
        if m and m.group(2) in ("<", ">"):
            c.ok(m.group(1) != m.group(3), f"window {w}: a strict comparison of equal texts: {t}")

s = c.run_json("audit", "summary", audit, "--json")
m = s["models"][pol["model"]]
c.ok(m["hold_reasons"] == dict(expect["hold"]),
     f"holds by decisive code: {m['hold_reasons']} != {dict(expect['hold'])}")
c.ok(m["retrain_reasons"] == dict(expect["retrain"]) == {"kpi_breach": 1},
     f"the retrain by its code: {m['retrain_reasons']}")
c.ok(sum(m["hold_reasons"].values()) == m["decisions"]["hold"],
     f"every hold counted once: {m['hold_reasons']} vs {m['decisions']}")
c.ok({"no_breach", "drift_alert", "cooldown"} <= set(m["hold_reasons"]),
     f"the example's story in codes: {m['hold_reasons']}")
c.ok(m["reason_examples"] == examples, f"one example text per code: {m['reason_examples']}")
c.ok(m["hold_reasons_by_text"] == {} and m["retrain_reasons_by_text"] == {},
     "no text fallback for records with codes")
c.ok(s["totals"]["hold_reasons"] == m["hold_reasons"], "totals by code")
rc, out, err = c.run("audit", "summary", audit, expect=0)
c.ok("decisions by decisive reason, churn-xgb:" in out, f"table heading: {out[-800:]}")
for code, n in expect["hold"].items():
    c.ok(re.search(rf"^  hold +{n}  {code} +e\.g\. ", out, re.M) is not None,
         f"table row for {code} ({n}): {out[-1200:]}")
c.ok("by text" not in out, "no rows by text")

# ---- a min_records block: the table's why is the guard -----------------
minrec = 700  # daily windows have roughly 600-800 records
pol["guards"]["min_records"] = minrec
pfile = f"{ex}/policy-min-records.json"
with open(pfile, "w") as f:
    json.dump(pol, f)
args = ["replay", "--policy", pfile, "--capture", f"{ex}/capture",
        "--ground-truth", f"{ex}/ground_truth"]
rc, table, err = c.run(*args, expect=1)
row = re.compile(r"^  (\d+) +(\d{4}-\d\d-\d\d) +(\d+) +(\d+) +(\S+) +(\S+) +(hold|retrain) +(.*)$")
rows = [row.match(ln) for ln in table.splitlines()]
rows = [r for r in rows if r]
c.ok(len(rows) >= 40, f"the table has a row per window: {len(rows)}")
small = [r for r in rows if int(r.group(3)) < minrec]
c.ok(5 <= len(small) < len(rows), f"some windows, not all, under min_records: {len(small)}")
for r in small:
    c.ok(r.group(7) == "hold" and
         r.group(8) == f"window has {r.group(3)} records, fewer than min_records {minrec}",
         f"window {r.group(1)} ({r.group(3)} records): why = {r.group(8)!r}")
c.ok(all("fewer than min_records" not in r.group(8) for r in rows if int(r.group(3)) >= minrec),
     "windows with enough records are not blamed on min_records")
# the same in --json: decisive_reason of exactly those windows
j = c.run_json(*args, "--json", expect=1)
blocked = {d["window"]["window"] for d in j["decisions"]
           if d["decision"]["decisive_reason"]["code"] == "min_records"}
c.ok(blocked == {int(r.group(1)) for r in small},
     f"--json: min_records decides the same windows: {sorted(blocked)}")
c.ok(all(d["decision"]["decisive_reason"]["text"] in d["decision"]["reasons"]
         for d in j["decisions"]), "--json: each decisive reason is one of the reasons")
c.finish()
