"""Replays the SageMaker Python SDK's real capture and ground-truth test
files (shared/data/sagemaker) through kpigate: every record decodes, every
label joins by eventId, windows close by count and are decided as soon as
all their labels are in; the last, partial window stays open (and is
decided, marked end_of_input, with --decide-pending); the audit chain
verifies. The samples' inferenceTime is the SDK's "{%s}" placeholder: the
records are placed at the file's time, and counted as such."""
import json
import random

from kpg_check import Check, audit_records

c = Check()
capture = c.need_shared("data", "sagemaker", "sdk_test_capture.jsonl")
actuals = c.need_shared("data", "sagemaker", "sdk_test_groundtruth_actuals.jsonl")

# a reference with the capture's 7 integer features, from the same range
rng = random.Random(1)
rows = ["f1,f2,f3,f4,f5,f6,f7,label"]
for _ in range(400):
    rows.append(",".join(str(rng.randint(0, 50)) for _ in range(7)) + "," + str(rng.randint(0, 1)))
c.write("train.csv", "\n".join(rows) + "\n")
policy = {
    "model": "sdk-sample",
    "reference": {"path": "train.csv", "label_column": "label"},
    "features": {f"f{i}": "numeric" for i in range(1, 8)},
    "window": {"records": 10},
    "kpis": [{"metric": "accuracy", "min": 0.9}],
    "guards": {"min_records": 5, "min_labelled": 5, "consecutive_windows": 1},
    "action": {"type": "dry_run"},
    "energy": {"instance_type": "ml.m5.xlarge", "instance_count": 1,
               "expected_hours": 1, "region": "us-east-1"},
}
pol = c.write("policy.json", json.dumps(policy, indent=2))
audit = c.path("audit.jsonl")

with open(capture) as f:
    n_cap = sum(1 for line in f if line.strip())
with open(actuals) as f:
    n_gt = sum(1 for line in f if line.strip())
n_windows = (n_cap + 9) // 10

open_rep = c.run_json("replay", "--policy", pol, "--capture", capture, "--ground-truth",
                      actuals, "--json", expect=None)
c.ok(len(open_rep["decisions"]) == n_cap // 10 and
     all(d["decision"]["label_wait"]["ended"] == "all_labelled" for d in open_rep["decisions"]),
     f"full windows are decided once all their labels are in: {open_rep['decisions'][:1]}")
c.ok(open_rep["pending"][0]["open"]["records"] == n_cap % 10,
     f"the partial window stays open: {open_rep['pending']}")
c.ok(open_rep["capture"]["arrival_times"] == n_cap,
     f"records without a usable inferenceTime are counted: {open_rep['capture']}")
rc, out, err = c.run("replay", "--policy", pol, "--capture", capture, "--ground-truth",
                     actuals, "--audit", audit, "--json", "--decide-pending")
rep = json.loads(out)
findings = any(m["retrains"] or m["drift_alarms"] for m in rep["models"])
c.ok(rc == (1 if findings else 0), f"exit {rc}: 1 with findings, else 0 ({findings}): {err[-300:]}")
c.ok(rep["decisions"][-1]["decision"]["label_wait"]["ended"] == "all_labelled",
     f"--decide-pending decides the open window: {rep['decisions'][-1]['decision']['label_wait']}")
cap = rep["capture"]
c.ok(cap["lines"] == n_cap and cap["accepted"] == n_cap and cap["rejected"] == 0,
     f"{n_cap} capture lines accepted: {cap}")
gt = rep["ground_truth"]
c.ok(gt["lines"] == n_gt and gt["accepted"] == n_gt, f"{n_gt} labels accepted: {gt}")
c.ok(gt["joined"] == min(n_gt, n_cap), f"every label joined by eventId: {gt}")
c.ok(len(rep["decisions"]) == n_windows,
     f"{n_cap} records in windows of 10 give {n_windows} windows: {len(rep['decisions'])}")
if not rep["decisions"]:
    c.finish()
labelled = sum(d["window"]["labelled"] for d in rep["decisions"])
c.ok(labelled == gt["joined"], f"every joined pair counted in a window: {labelled}")
# every label is 1 and the scores are ~0.3, so accuracy at threshold 0.5 is 0 < 0.9
dec = [d["decision"]["decision"] for d in rep["decisions"]]
c.ok(dec[0] == "retrain", f"first full window breaches accuracy and retrains: {dec}")
recs = audit_records(audit)
events = [r["event"] for r in recs]
c.ok(events[0] == "policy_loaded", f"audit starts with policy_loaded: {events[:2]}")
c.ok(events.count("decision") == n_windows and events.count("window_evaluated") == n_windows,
     f"one window_evaluated and one decision per window: {events}")
c.ok(events.count("action_result") == dec.count("retrain"),
     "one action_result per retrain")
rc, out, err = c.run("audit", "verify", audit, expect=0)
c.finish()
