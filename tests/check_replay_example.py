"""The bundled example end to end: `kpigate example` then `kpigate replay`.
Asserts the story the README tells: drift alarms in the harmless covariate
phase are held with energy avoided, the harmful drift gives exactly one
retrain (dry-run action recorded after its decision), the audit log holds
every window and verifies, and the malformed lines are counted by reason.
Each day's KPIs are those of its own predictions: the last days of the
input are still inside their 36-hour label wait and reported as pending."""
import datetime as dt
import json

from kpg_check import Check, audit_records

c = Check()
ex = c.path("example")
c.run("example", ex, "--records", "30000", "--seed", "11", expect=0)
audit = c.path("audit.jsonl")
rejects = c.path("rejects.jsonl")
rep = c.run_json("replay", "--policy", f"{ex}/policy.json", "--capture", f"{ex}/capture",
                 "--ground-truth", f"{ex}/ground_truth", "--audit", audit,
                 "--rejects", rejects, "--json", expect=1)  # findings: a retrain

cap = rep["capture"]
c.ok(cap["rejected"] > 0 and cap["accepted"] + cap["rejected"] == cap["lines"],
     f"malformed lines rejected and counted, the rest accepted: {cap}")
with open(rejects) as f:
    rej = [json.loads(line) for line in f]
c.ok(len(rej) == cap["rejected"] + rep["ground_truth"]["rejected"],
     f"one rejects-file line per rejected line: {len(rej)}")
c.ok(all(r["reason"] and r["source"] and r["line"] > 0 for r in rej),
     "each reject names its file, line and reason")
c.ok(rep["ground_truth"]["joined"] > 0.6 * cap["accepted"],
     f"most labels joined: {rep['ground_truth']}")

decisions = rep["decisions"]
start = dt.date(2026, 1, 5)


def day(d):
    return (dt.date.fromisoformat(d["window"]["start"][:10]) - start).days + 1


stable = [d for d in decisions if day(d) <= 14]
covariate = [d for d in decisions if 15 <= day(d) <= 32]
harmful = [d for d in decisions if day(d) >= 33]
pending = rep["pending"][0]
c.ok(len(decisions) >= 38 and len(pending["waiting"]) in (1, 2) and "open" in pending,
     f"about 42 daily windows: {len(decisions)} decided, then "
     f"{len(pending['waiting'])} waiting for labels and the open one")
c.ok(all(d["decision"]["labelled"] <= d["window"]["records"] for d in decisions),
     "no window has more labelled records than records")
c.ok(rep["ground_truth"]["late_labels"] == 0, "no label arrives after its wait")
retrains = [d for d in decisions if d["decision"]["decision"] == "retrain"]
c.ok(len(retrains) == 1, f"exactly one retrain: {[day(d) for d in retrains]}")
c.ok(all(day(d) >= 33 for d in retrains), "the retrain is in the harmful phase")
c.ok(sum(d["window"]["dataset_drift"] for d in stable) <= 1,
     "the stable phase raises (almost) no drift alarm")
held_drift = [d for d in covariate if d["window"]["dataset_drift"]
              and d["decision"]["decision"] == "hold"]
c.ok(len(held_drift) >= 12, f"covariate drift alarms held: {len(held_drift)} of {len(covariate)}")
c.ok(all(d["decision"]["energy"]["effect"] == "avoided" and d["decision"]["energy"]["kwh"] > 0
         for d in held_drift), "each held drift alarm records the energy it avoided")
c.ok(all(any("drift without KPI breach" in r for r in d["decision"]["reasons"])
         for d in held_drift), "held drift alarms say why")
r = retrains[0]["decision"] if retrains else {}
c.ok(r.get("energy", {}).get("effect") == "spent", "the retrain records energy spent")
c.ok(any("auc" in x for x in r.get("reasons", [])), f"the retrain names the KPI: {r.get('reasons')}")
e = rep["energy"]
# a dry run starts nothing: its estimate is kept apart, not spent
c.ok(e["kwh_spent"] == 0 and e["kg_co2e_spent"] == 0, f"a dry run spends nothing: {e}")
c.ok(abs(e["kwh_not_started"] - r["energy"]["kwh"]) < 1e-9 and
     rep["actions"]["by_status"] == {"dry_run": 1} and rep["actions"]["not_started"] == 1,
     f"the dry run's estimate is shown as not started: {e} {rep['actions']}")
c.ok(retrains and retrains[0]["action"] == {"status": "dry_run", "energy": "not_spent"},
     f"the retrain says how its action ended: {retrains[0].get('action') if retrains else None}")
c.ok(e["kwh_avoided"] > 10 * e["kwh_not_started"] > 0, f"avoided far more than the retrain's estimate: {e}")

recs = audit_records(audit)
ev = [x["event"] for x in recs]
c.ok(ev.count("window_evaluated") == len(decisions) + len(pending["waiting"]) and
     ev.count("decision") == len(decisions),
     "every closed window and every decision is audited")
act = [i for i, x in enumerate(recs) if x["event"] == "action_result"]
c.ok(len(act) == 1 and recs[act[0] - 1]["event"] == "decision"
     and recs[act[0] - 1]["data"]["decision"] == "retrain"
     and recs[act[0]]["data"]["status"] == "dry_run",
     "the dry-run action is recorded right after its retrain decision")
c.run("audit", "verify", audit, expect=0)

# deterministic: the same replay decides the same way
rep2 = c.run_json("replay", "--policy", f"{ex}/policy.json", "--capture", f"{ex}/capture",
                  "--ground-truth", f"{ex}/ground_truth", "--json", expect=1)
c.ok([d["decision"]["decision"] for d in rep2["decisions"]] ==
     [d["decision"]["decision"] for d in decisions], "replays are deterministic")
c.finish()
