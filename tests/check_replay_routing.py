"""Several policies in one replay: capture folders in SageMaker's key layout
(ENDPOINT/VARIANT/yyyy/mm/dd/hh/) route each record to its endpoint's policy,
an endpoint without a policy is rejected as no_policy, labels join across
models by inferenceId, and each model gets its own windows and decisions.
Also: a policy with errors stops the replay before anything runs."""
import json

from kpg_check import Check, audit_records

c = Check()


def cap(payload, eid, t, score="0.9", iid=None):
    meta = {"eventId": eid, "inferenceTime": t}
    if iid:
        meta["inferenceId"] = iid
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                          "data": payload, "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                           "data": score, "encoding": "CSV"}},
        "eventMetadata": meta, "eventVersion": "0"})


def policy(name, endpoint, metric, bound, value, task="binary_classification"):
    return c.write(f"{name}.json", json.dumps({
        "model": name, "endpoint": endpoint,
        "reference": {"path": f"{name}.csv"},
        "prediction": {"task": task},
        "window": {"records": 50},
        "kpis": [{"metric": metric, bound: value}],
        "guards": {"min_records": 10, "min_labelled": 10},
        "action": {"type": "dry_run"},
        "energy": {"instance_type": "ml.g4dn.xlarge", "instance_count": 2,
                   "expected_hours": 3, "region": "eu-west-1"}}))


c.write("alpha.csv", "a,b\n" + "".join(f"{i % 10},{i % 7}\n" for i in range(100)))
c.write("beta.csv", "x\n" + "".join(f"{i % 13}\n" for i in range(100)))
pa = policy("alpha", "ep-alpha", "accuracy", "min", 0.9)
pb = policy("beta", "ep-beta", "rmse", "max", 1.0, task="regression")
for h in range(2):
    t = f"2026-05-01T{h:02d}:30:00Z"
    c.write(f"capture/ep-alpha/AllTraffic/2026/05/01/{h:02d}/a.jsonl",
            "\n".join(cap(f"{i % 10},{i % 7}", f"a{h}-{i}", t, "0.9", f"inf-a{h}-{i}")
                      for i in range(50)) + "\n")
    c.write(f"capture/ep-beta/AllTraffic/2026/05/01/{h:02d}/b.jsonl",
            "\n".join(cap(f"{i % 13}", f"b{h}-{i}", t, "5.0") for i in range(50)) + "\n")
c.write("capture/ep-gamma/AllTraffic/2026/05/01/00/g.jsonl", cap("1", "g-1", "2026-05-01T00:10:00Z") + "\n")
# labels: alpha joins by inferenceId (all wrong: label 0 vs score 0.9), beta by eventId (error 5)
gt = [json.dumps({"groundTruthData": {"data": "0", "encoding": "CSV"},
                  "eventMetadata": {"eventId": f"inf-a{h}-{i}"}, "eventVersion": "0"})
      for h in range(2) for i in range(50)]
gt += [json.dumps({"groundTruthData": {"data": "0", "encoding": "CSV"},
                   "eventMetadata": {"eventId": f"b{h}-{i}"}, "eventVersion": "0"})
       for h in range(2) for i in range(50)]
c.write("gt/2026/05/01/00/labels.jsonl", "\n".join(gt) + "\n")
audit = c.path("audit.jsonl")
# both models retrain: findings, exit 1
rep = c.run_json("replay", "--policy", pa, "--policy", pb, "--capture", c.path("capture"),
                 "--ground-truth", c.path("gt"), "--audit", audit, "--json", expect=1)
c.ok(rep["capture"]["rejected_by_reason"] == {"no_policy": 1},
     f"the endpoint without a policy is rejected: {rep['capture']}")
models = {m["model"]: m for m in rep["models"]}
c.ok(models["alpha"]["records"] == 100 and models["beta"]["records"] == 100,
     f"records routed by endpoint: {models}")
c.ok(rep["ground_truth"]["joined"] == 200, f"labels joined for both models: {rep['ground_truth']}")
by_model = {}
for d in rep["decisions"]:
    by_model.setdefault(d["model"], []).append(d)
c.ok(len(by_model.get("alpha", [])) == 2 and len(by_model.get("beta", [])) == 2,
     "two windows of 50 per model")
a0 = by_model["alpha"][0]
c.ok(a0["window"]["kpis"]["accuracy"]["value"] == 0 and a0["decision"]["decision"] == "retrain",
     f"alpha: accuracy 0 < 0.9 retrains: {a0['decision']['reasons']}")
b0 = by_model["beta"][0]
c.ok(abs(b0["window"]["kpis"]["rmse"]["value"] - 5.0) < 1e-12 and b0["decision"]["decision"] == "retrain",
     f"beta: rmse 5 > 1 retrains: {b0['window']['kpis']}")
e = b0["decision"]["energy"]
c.ok(e["instance_count"] == 2 and e["hours"] == 3 and e["region"] == "eu-west-1" and e["kwh"] > 0,
     f"beta's energy profile is its own: {e}")
c.ok(sum(1 for r in audit_records(audit) if r["event"] == "policy_loaded") == 2,
     "both policies audited as loaded")

# a broken policy: nothing runs, the error names file:line:column, audited
bad = c.write("bad.json", '{\n  "model": "x",\n  "window": {"records": -5}\n}\n')
audit2 = c.path("audit2.jsonl")
rc, out, err = c.run("replay", "--policy", pa, "--policy", bad, "--capture", c.path("capture"),
                     "--audit", audit2)
c.ok(rc == 2 and f"{bad}:3:" in err, f"bad policy: exit 2 with file:line:col: {rc} {err[:300]}")
ev = [r["event"] for r in audit_records(audit2)]
c.ok(ev == ["policy_rejected"], f"only policy_rejected is audited: {ev}")

# several files after one --policy / --capture (replay's usage: FILE...)
# decide exactly as the repeated options do
rep2 = c.run_json("replay", "--policy", pa, pb, "--capture", c.path("capture"),
                  "--ground-truth", c.path("gt"), "--json", expect=1)
c.ok([m["model"] for m in rep2["models"]] == ["alpha", "beta"] and
     rep2["decisions"] == rep["decisions"],
     f"--policy A B: both models, same decisions: {[m['model'] for m in rep2['models']]}")
caps = [c.path("capture", "ep-alpha"), c.path("capture", "ep-beta")]
rep3 = c.run_json("replay", "--policy", pa, pb, "--capture", *caps,
                  "--ground-truth", c.path("gt"), "--json", expect=1)
c.ok(rep3["capture"]["lines"] == 200 and rep3["capture"]["rejected"] == 0,
     f"--capture A B reads both folders (and not gamma's): {rep3['capture']}")
rc, _, err = c.run("replay", "--policy", pa, pb, c.path("nope.json"),
                   "--capture", c.path("capture"))
c.ok(rc == 2 and "nope.json" in err, f"a third value after --policy is read too: {rc} {err[:200]}")
# a policy whose model gets no record: trouble, named
c.write("gamma.csv", "a,b\n" + "".join(f"{i % 10},{i % 7}\n" for i in range(100)))
pc = policy("gamma", "ep-nowhere", "accuracy", "min", 0.9)
rc, _, err = c.run("replay", "--policy", pa, pb, pc, "--capture", c.path("capture"))
c.ok(rc == 2 and "model 'gamma' got no window" in err,
     f"a model without a window: exit 2, named: {rc} {err[-300:]}")
c.finish()
