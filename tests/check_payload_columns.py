"""Payload columns on real data (../shared/data/real/bike_sharing_hour.csv):
a capture whose payload carries every column of the CSV but the label, in
the CSV's own order (instant, dteday, season, ...), with instant and
dteday declared "ignore", against a reference CSV whose columns are in
another order (instant not in it at all, dteday in it) and payload.columns
saying the payload's order, gives exactly the windows and decisions of the
same data with those two columns dropped from the payload and a reference
in the payload's order. The ignored columns appear in no window, count in
no drifted_share, and are shown in the reference summary and replay's
reference line. With reference.exclude_columns instead of "ignore", every
record is rejected as feature_count (exclude means "not in the payload").
payload.columns errors come at their line:column with a did-you-mean."""
import csv
import datetime as dt
import json
import os
import random
import shutil

import kpg_check
import real_streams as rs

c = kpg_check.Check()
real = c.need_shared("data", "real", "bike_sharing_hour.csv")

rows = list(csv.DictReader(open(real, newline="")))
header = list(rows[0].keys())
LABEL = "cnt"
IGNORED = ["instant", "dteday"]
payload_a = [h for h in header if h != LABEL]              # the CSV's order
payload_b = [h for h in payload_a if h not in IGNORED]     # without them
jan = [r for r in rows if r["dteday"].startswith("2011-01")]
by_hr = {}
for r in jan:
    by_hr.setdefault(r["hr"], []).append(int(r["cnt"]))
mean = {h: sum(v) / len(v) for h, v in by_hr.items()}

# reference A: another order (seeded shuffle), dteday kept, no instant
ref_a_cols = [h for h in header if h != "instant"]
random.Random(10).shuffle(ref_a_cols)
c.ok(ref_a_cols != [h for h in header if h != "instant"],
     "the shuffled reference differs from the CSV's order")
ref_b_cols = payload_b + [LABEL]

POLICY = {
    "model": "bike-demand", "endpoint": "bike-endpoint",
    "prediction": {"task": "regression"},
    "window": {"span_seconds": 7 * 86400, "label_wait_seconds": 2 * 86400},
    "kpis": [{"metric": "rmse", "max": 150}],
    "guards": {"min_records": 100, "min_labelled": 100, "consecutive_windows": 2,
               "cooldown_seconds": 2592000},
    "action": {"type": "dry_run"},
    "energy": {"instance_type": "ml.m5.xlarge", "instance_count": 1,
               "expected_hours": 1, "region": "us-east-1"},
}
TYPES = {"hr": "categorical", "weathersit": "categorical", "season": "categorical"}


def write_world(name, ref_cols, payload, policy_extra, records=rows):
    base = c.path(name)
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, "train.csv"), "w") as f:
        f.write(",".join(ref_cols) + "\n")
        for r in jan:
            f.write(",".join(r[h] for h in ref_cols) + "\n")
    pol = json.loads(json.dumps(POLICY))
    pol["reference"] = {"path": "train.csv", "label_column": LABEL}
    pol["features"] = dict(TYPES)
    for k, v in policy_extra.items():
        if isinstance(v, dict) and k in pol:
            pol[k].update(v)
        else:
            pol[k] = v
    with open(os.path.join(base, "policy.json"), "w") as f:
        json.dump(pol, f, indent=1)
    caps, gts = {}, {}
    for r in records:
        t = dt.datetime.fromisoformat(r["dteday"]) + dt.timedelta(hours=int(r["hr"]))
        iid = "bike-" + r["instant"]
        caps.setdefault(t, []).append(rs.capture_line([r[h] for h in payload],
                                                      round(mean[r["hr"]], 6), iid, t))
        gts.setdefault(t + dt.timedelta(hours=1), []).append(rs.label_line(r["cnt"], iid))
    for kind, per in (("capture", caps), ("ground_truth", gts)):
        for h, lines in per.items():
            sub = (os.path.join(kind, "bike-endpoint", "AllTraffic") if kind == "capture"
                   else kind)
            p = os.path.join(base, sub, h.strftime("%Y/%m/%d/%H"), "part.jsonl")
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "a") as f:
                f.write("\n".join(lines) + "\n")
    return base


def replay(base, codes=(0, 1)):
    """(exit code, report): 0 found nothing, 1 findings (drift, retrains,
    rejects), 2 trouble (such as too many rejects, where replay has a
    reject-rate limit); the report is complete in each case."""
    rc, out, err = c.run("replay", "--policy", base + "/policy.json", "--capture",
                         base + "/capture", "--ground-truth", base + "/ground_truth",
                         "--audit", base + "/audit.jsonl", "--rejects",
                         base + "/rejects.txt", "--json")
    c.ok(rc in codes, f"replay of {base} exited {rc}: {err[-1000:]}")
    try:
        return rc, json.loads(out)
    except ValueError:
        c.fail(f"replay of {base}: not JSON: {out[:300]} {err[-500:]}")
        c.finish()


def comparable(rep):
    """Decisions without what names the policy file (its hash)."""
    out = []
    for d in rep["decisions"]:
        d = json.loads(json.dumps(d))
        d["decision"].pop("policy_sha256", None)
        out.append(d)
    return out


a = write_world("a", ref_a_cols, payload_a,
                {"features": dict(TYPES, instant="ignore", dteday="ignore"),
                 "payload": {"columns": payload_a}})
b = write_world("b", ref_b_cols, payload_b, {})
(rca, ra), (rcb, rb) = replay(a), replay(b)
c.ok(rca == rcb, f"the same exit code with and without the ignored columns: {rca}, {rcb}")
da, db = comparable(ra), comparable(rb)
c.ok(len(db) > 50, f"the plain run decides {len(db)} windows, expected more than 50")
c.ok(ra["capture"]["rejected"] == 0 and rb["capture"]["rejected"] == 0,
     f"no record rejected: {ra['capture']['rejected_by_reason']} "
     f"{rb['capture']['rejected_by_reason']}")
c.ok(ra["capture"]["accepted"] == rb["capture"]["accepted"] == len(rows),
     f"every record accepted: {ra['capture']['accepted']}, {rb['capture']['accepted']}")
c.ok(len(da) == len(db), f"{len(da)} decisions with ignored columns, {len(db)} without")
diff = [(x["window"]["window"], y["window"]["window"]) for x, y in zip(da, db) if x != y]
c.ok(not diff, f"windows that differ with the columns ignored: {diff[:3]}")
c.ok(ra["pending"] == rb["pending"], "the same windows pending")
names = {f["name"] for d in da for f in d["window"]["features"]}
c.ok(names == set(payload_b), f"window features are the measured ones: {sorted(names)}")
c.ok(all(len(d["window"]["features"]) == len(payload_b) for d in da),
     "every window lists exactly the measured features")
drifted = [d for d in da if d["window"]["drifted_features"]]
c.ok(drifted and all(abs(d["window"]["drifted_share"] -
                         len(d["window"]["drifted_features"]) / len(payload_b)) < 1e-9
                     for d in drifted),
     f"drifted_share counts only measured features ({len(drifted)} windows drifted)")
feats = [f["name"] for f in ra["models"][0]["reference"]["features"]]
c.ok(feats == payload_b, f"the reference's features in payload order: {feats}")

# the audit log's policy_loaded shows the payload and its ignored columns
loaded = [r for r in kpg_check.audit_records(a + "/audit.jsonl")
          if r.get("event") == "policy_loaded"]
summary = loaded[0]["data"].get("reference_summary", {}) if loaded else {}
c.ok(summary.get("payload") == {"columns": payload_a, "ignored": IGNORED},
     f"reference_summary.payload: {summary.get('payload')}")
summary_b = [r for r in kpg_check.audit_records(b + "/audit.jsonl")
             if r.get("event") == "policy_loaded"][0]["data"]["reference_summary"]
c.ok("payload" not in summary_b, "no payload in the summary without ignored columns")

# replay's text report: the reference line says what is ignored
rc, out, err = c.run("replay", "--policy", a + "/policy.json", "--capture",
                     a + "/capture", "--ground-truth", a + "/ground_truth")
c.ok(f"payload: {len(payload_a)} columns, 2 ignored (in the payload, not measured): "
     "instant (column 1), dteday (column 2)" in out,
     f"replay's reference line shows the ignored columns: {out[:800]}")

# an ignored column's value is never checked: text in "instant" is accepted,
# a record missing it is rejected as feature_count with a reason
odd = json.loads(json.dumps(rows[:200]))
for r in odd:
    r["instant"] = "id-" + r["instant"]
e = write_world("e", ref_a_cols, payload_a,
                {"features": dict(TYPES, instant="ignore", dteday="ignore"),
                 "payload": {"columns": payload_a}}, records=odd)
short = rows[0]
line = rs.capture_line([short[h] for h in payload_b], 1.0, "short-1",
                       dt.datetime(2011, 1, 1, 0))
with open(os.path.join(e, "capture", "bike-endpoint", "AllTraffic", "2011", "01", "01",
                       "00", "part.jsonl"), "a") as f:
    f.write(line + "\n")
re_ = replay(e)[1]
c.ok(re_["capture"]["accepted"] == 200,
     f"text in an ignored column is accepted: {re_['capture']}")
c.ok(re_["capture"]["rejected_by_reason"] == {"feature_count": 1},
     f"a record without the ignored columns is rejected: {re_['capture']}")
rej = open(e + "/rejects.txt").read()
c.ok("feature_count" in rej and "the payload has 16 columns (14 features, 2 ignored)" in rej,
     f"the reject says why: {rej[:400]}")

# exclude_columns says the payload does not carry the column: every record
# of this payload is then one value too many
x = write_world("x", [h for h in header], payload_a,
                {"reference": {"exclude_columns": IGNORED}}, records=rows[:300])
rx = replay(x, (0, 1, 2))[1]
c.ok(rx["capture"]["accepted"] == 0 and
     rx["capture"]["rejected_by_reason"] == {"feature_count": 300},
     f"with exclude_columns the carrying payload is rejected: {rx['capture']}")

# a reference feature missing from payload.columns: at its line:column,
# with the near name the list has
bad_cols = [("tmep" if h == "temp" else h) for h in payload_a]
y = write_world("y", ref_a_cols, payload_a,
                {"features": dict(TYPES, instant="ignore", dteday="ignore", tmep="ignore"),
                 "payload": {"columns": bad_cols}}, records=rows[:10])
rc, out, err = c.run("replay", "--policy", y + "/policy.json", "--capture",
                     y + "/capture")
text = open(y + "/policy.json").read().splitlines()
at = next(i for i, l in enumerate(text) if '"columns"' in l) + 1
c.ok(rc != 0 and f"policy.json:{at}:" in err and
     'payload.columns does not list "temp"' in err and 'did you mean "tmep"?' in err,
     f"a feature missing from payload.columns is reported at line {at}: rc {rc} {err}")
# a listed name that is neither a feature nor ignored
bad_cols = [("hum_" if h == "hum" else h) for h in payload_a]
z = write_world("z", ref_a_cols, payload_a,
                {"features": dict(TYPES, instant="ignore", dteday="ignore"),
                 "payload": {"columns": bad_cols}}, records=rows[:10])
rc, out, err = c.run("replay", "--policy", z + "/policy.json", "--capture",
                     z + "/capture")
c.ok(rc != 0 and 'payload.columns[' in err and '"hum_" is not a feature column' in err
     and 'did you mean "hum"?' in err, f"an unknown payload column: rc {rc} {err}")

# two bike worlds of a folder per hour: remove them unless something failed
if c.failures == 0:
    shutil.rmtree(c.tmp, ignore_errors=True)
c.finish()
