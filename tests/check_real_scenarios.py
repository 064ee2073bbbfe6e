"""Scenarios on real drifting data (../shared/data/real: bike sharing and
ELEC2 turned into capture and ground-truth streams by tests/lib/
real_streams.py): kpigate's windows, KPIs and decisions against an
independent computation by prediction time; labels arriving later (within
the wait), or in the same hour as their prediction, change nothing; a
record dated 90 days ahead in an early folder is rejected as bad_time and
changes no window; on bike sharing, a relative RMSE rule retrains far
less often than a fixed threshold that the seasons make stale, and a
deployment signal makes it learn the baseline again from that time."""
import datetime as dt
import json

import kpg_check
import real_streams as rs

c = kpg_check.Check()
real = c.need_shared("data", "real")


def replay(folder, *extra):
    rep = c.run_json("replay", "--policy", folder + "/policy.json", "--capture",
                     folder + "/capture", "--ground-truth", folder + "/ground_truth",
                     "--audit", folder + "/audit.jsonl", "--json", *extra,
                     expect=1)  # findings: drift alarms and retrains
    return rep


def decided(rep):
    """Per window: what a reviewer compares across runs."""
    out = []
    for d in rep["decisions"]:
        w, dec = d["window"], d["decision"]
        out.append((w["window"], w["records"], w["start"], w["end"], w["labelled"],
                    json_kpis(dec["kpis"]), dec["decision"], tuple(dec["reasons"])))
    return out


def json_kpis(k):
    return tuple(sorted((m, round(v["value"], 12), v["n"]) for m, v in k.items()))


for kind in ("bike", "elec2"):
    base = c.path(kind, "base")
    pol, records, delays = rs.write(kind, real, base)
    rep = replay(base)
    want = rs.expected(pol, records, delays)
    got = rep["decisions"]
    metric = pol["kpis"][0]["metric"]
    c.ok(len(got) == len(want) and len(want) > 50,
         f"{kind}: {len(got)} decisions, expected {len(want)}")
    bad = []
    for g, w in zip(got, want):
        gw, gd = g["window"], g["decision"]
        value = gd["kpis"].get(metric, {}).get("value")
        if (gw["window"] != w["window"] or gw["records"] != w["records"] or
                gd["labelled"] != w["labelled"] or gd["decision"] != w["decision"] or
                value is None or abs(value - w["kpi"]) > 1e-9 * max(1, abs(w["kpi"]))):
            bad.append((gw["window"], gw["records"], gd["labelled"], value,
                        gd["decision"], w))
    c.ok(not bad, f"{kind}: windows differing from the computation by prediction "
         f"time: {bad[:3]}")
    c.ok(all(d["decision"]["label_wait"]["ended"] == "wait_over" for d in got),
         f"{kind}: with unlabelled predictions every window waits its full wait")
    c.ok(rep["ground_truth"]["late_labels"] == 0,
         f"{kind}: no label is late: {rep['ground_truth']['late_labels']}")
    pending = rep["pending"][0]
    c.ok(len(pending["waiting"]) + 1 + len(got) == len({r[0].isocalendar()[:2] for r in records}),
         f"{kind}: decided + waiting + open = every week with records")
    print(f"{kind}: {len(got)} windows decided as computed, "
          f"{sum(1 for w in want if w['decision'] == 'retrain')} retrains, "
          f"{len(pending['waiting'])} waiting, 1 open")

    # labels later (still inside the two-day wait), or before their
    # predictions are read: the same windows, KPIs and decisions
    for name, kw in (("later", {"shift": 10.0}),
                     ("same-hour", {"min_delay": 0.0, "max_delay": 0.0})):
        folder = c.path(kind, name)
        rs.write(kind, real, folder, **kw)
        other = replay(folder)
        c.ok(decided(other) == decided(rep),
             f"{kind}: labels {name}: decisions differ")

    # one record dated 90 days ahead, in the folder of the third day
    first = records[0][0]
    hour = (first + dt.timedelta(days=2)).replace(minute=0, second=0)
    rogue = rs.capture_line(records[0][1], records[0][2], "rogue-1",
                            hour + dt.timedelta(days=90))
    folder = c.path(kind, "future")
    rs.write(kind, real, folder, extra_captures=[(hour, rogue)])
    other = replay(folder)
    c.ok(decided(other) == decided(rep),
         f"{kind}: a far-future record changed other windows")
    c.ok(other["capture"]["rejected_by_reason"].get("bad_time") == 1,
         f"{kind}: the far-future record is rejected as bad_time: "
         f"{other['capture']['rejected_by_reason']}")
    rejects = c.path(kind, "future.rejects")
    c.run("replay", "--policy", folder + "/policy.json", "--capture", folder + "/capture",
          "--ground-truth", folder + "/ground_truth", "--rejects", rejects)
    with open(rejects) as f:
        text = f.read()
    c.ok("bad_time" in text and "more than 3600 s from when the record arrived" in text,
         f"{kind}: the rejects file says why: {text[:300]}")

# relative rule on bike sharing: the achievable RMSE moves with the season
base = c.path("bike", "base")
fixed = replay(base)
pol = json.load(open(base + "/policy.json"))
pol["kpis"] = [{"metric": "rmse", "worse_than_baseline_pct": 25}]
with open(base + "/policy-rel.json", "w") as f:
    json.dump(pol, f)
rel = c.run_json("replay", "--policy", base + "/policy-rel.json", "--capture",
                 base + "/capture", "--ground-truth", base + "/ground_truth", "--json",
                 expect=None)
n_fixed = sum(d["decision"]["decision"] == "retrain" for d in fixed["decisions"])
n_rel = sum(d["decision"]["decision"] == "retrain" for d in rel["decisions"])
c.ok(1 <= n_rel < n_fixed / 2, f"relative rule: {n_rel} retrains, fixed max: {n_fixed}")
codes = [d["decision"]["decisive_reason"]["code"] for d in rel["decisions"]]
c.ok(codes[1:4] == ["baseline_learning"] * 3,
     f"the first three windows with evidence learn the baseline: {codes[:5]}")
c.ok(all(codes[codes.index(x) + 1] == "baseline_learning"
         for x in ("kpi_degraded",) if x in codes and codes.index(x) + 1 < len(codes)),
     f"after a retrain the baseline is learned again: {codes[:20]}")
# a deployment mid-2011: model_deployed audited, the baseline learned again
dep = c.write("deployments.jsonl",
              '{"model": "bike-demand", "time": "2011-07-04T00:00:00Z"}\n')
audit = c.path("bike-deployed.jsonl")
depl = c.run_json("replay", "--policy", base + "/policy-rel.json", "--capture",
                  base + "/capture", "--ground-truth", base + "/ground_truth", "--json",
                  "--deployments", dep, "--audit", audit, expect=None)
recs = kpg_check.audit_records(audit)
md = [r for r in recs if r["event"] == "model_deployed"]
c.ok(len(md) == 1 and md[0]["model"] == "bike-demand" and
     md[0]["data"]["time"].startswith("2011-07-04"), f"model_deployed audited once: {md}")
after = [d for d in depl["decisions"] if d["window"]["start"] >= "2011-07-04"]
c.ok([d["decision"]["decisive_reason"]["code"] for d in after[:3]] == ["baseline_learning"] * 3,
     f"windows from the deployment learn the baseline: "
     f"{[d['decision']['decisive_reason']['code'] for d in after[:4]]}")
before = [d for d in depl["decisions"] if d["window"]["start"] < "2011-06-27"]
c.ok([d["decision"] for d in before] == [d["decision"] for d in rel["decisions"][:len(before)]],
     "decisions before the deployment are unchanged")
# the deployment names the new model's training data (July 2011): from then
# on drift is measured against it, so the summer stops looking drifted
import csv
rows = list(csv.DictReader(open(real + "/bike_sharing_hour.csv", newline="")))
names = ["temp", "atemp", "hum", "windspeed", "hr", "weathersit", "cnt"]
with open(c.path("july.csv"), "w") as f:
    f.write(",".join(names) + "\n")
    for r in rows:
        if r["dteday"].startswith("2011-07"):
            f.write(",".join(r[k] for k in names) + "\n")
with open(c.path("bad-schema.csv"), "w") as f:
    f.write("temp,hum,cnt\n0.5,0.5,10\n0.6,0.4,12\n")
dep2 = c.write("deployments-ref.jsonl",
               '{"model": "bike-demand", "time": "2011-07-04T00:00:00Z", "reference": "july.csv"}\n'
               '{"model": "bike-demand", "time": "2012-01-02T00:00:00Z", "reference": "bad-schema.csv"}\n')
audit2 = c.path("bike-ref.jsonl")
swapped = c.run_json("replay", "--policy", base + "/policy-rel.json", "--capture",
                     base + "/capture", "--ground-truth", base + "/ground_truth", "--json",
                     "--deployments", dep2, "--audit", audit2, expect=None)
md = [r["data"] for r in kpg_check.audit_records(audit2) if r["event"] == "model_deployed"]
c.ok(len(md) == 2 and md[0].get("reference", "").endswith("july.csv") and md[0].get("reference_rows") == 744,
     f"the first deployment's reference is used: {md[:1]}")
c.ok(len(md) == 2 and "reference_error" in md[1] and md[1]["reference"].endswith("july.csv"),
     f"a reference with other columns is refused, the last one stays: {md[1:]}")
def drifted(rep, lo, hi):
    ws = [d["window"] for d in rep["decisions"] if lo <= d["window"]["start"] < hi]
    return sum(len(w["drifted_features"]) for w in ws) / max(1, len(ws)), len(ws)
before_swap, n1 = drifted(rel, "2011-07-04", "2011-08-01")
after_swap, n2 = drifted(swapped, "2011-07-04", "2011-08-01")
c.ok(n1 == n2 and n1 >= 4 and after_swap < before_swap,
     f"July drift against July's data {after_swap:.2f} features/window, against January's "
     f"{before_swap:.2f} ({n1} windows)")
c.ok([d["decision"] for d in swapped["decisions"] if d["window"]["start"] < "2011-06-27"] ==
     [d["decision"] for d in rel["decisions"] if d["window"]["start"] < "2011-06-27"],
     "windows before the deployment are measured as before")
rc, _, err = c.run("replay", "--policy", base + "/policy-rel.json", "--capture",
                   base + "/capture", "--deployments",
                   c.write("bad.jsonl", '{"model": "nope", "time": "2011-07-04T00:00:00Z"}\n'))
c.ok(rc == 2 and "bad.jsonl:1: no policy for model 'nope'" in err,
     f"a deployment for an unknown model is trouble: {rc} {err[-200:]}")

c.finish()
