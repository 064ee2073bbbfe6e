"""Real labels (issue 10) on real data from ../shared/data/real, each
window's KPIs checked against a computation here (plain Python, no
scikit-learn):

- ELEC2 with its UP/DOWN labels via prediction.positive_label (and
  negative_label): numeric scores, and the same model answering "UP" /
  "DOWN" as text; a third label is rejected as bad_value naming both
  classes; without positive_label the reference's text labels are a
  policy error naming them.
- The SageMaker churn sample with True./False. labels (positive_label only:
  the distinct label texts are counted).
- Bike sharing's weathersit 1-3 as a multiclass model answering an XGBoost
  multi:softprob CSV row of probabilities, and the same as linear-learner
  JSON ({"predictions":[{"predicted_label":..,"score":[..]}]}): accuracy,
  F1 macro / weighted and the recall of class 3; weathersit 4 labels are
  rejected; a reference holding 4 is refused."""
import csv
import datetime as dt
import json
import math
import os

import kpg_check

c = kpg_check.Check()
real = c.need_shared("data", "real")
T0 = dt.datetime(2024, 1, 1)
COMMON = {"guards": {"min_records": 10, "min_labelled": 10},
          "action": {"type": "dry_run"},
          "energy": {"instance_type": "ml.m5.xlarge", "instance_count": 1,
                     "expected_hours": 1, "region": "us-east-1"}}


def rows_of(name):
    with open(os.path.join(real, name), newline="") as f:
        return list(csv.DictReader(f))


def capture_line(feats, out, iid, t, ctype="text/csv"):
    return json.dumps({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                              "data": ",".join(feats), "encoding": "CSV"},
            "endpointOutput": {"observedContentType": ctype, "mode": "OUTPUT",
                               "data": out, "encoding": "CSV" if ctype == "text/csv"
                               else "JSON"}},
        "eventMetadata": {"eventId": iid, "inferenceId": iid,
                          "inferenceTime": t.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "eventVersion": "0"})


def label_line(label, iid):
    return json.dumps({"groundTruthData": {"data": label, "encoding": "CSV"},
                       "eventMetadata": {"eventId": iid}, "eventVersion": "0"})


def write_world(folder, pol, header, train, stream):
    """stream: (features, output, label text, ctype); one record every 10
    minutes from T0, its label in the same hour folder."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "train.csv"), "w") as f:
        f.write(",".join(header) + "\n")
        for row in train:
            f.write(",".join(row) + "\n")
    with open(os.path.join(folder, "policy.json"), "w") as f:
        json.dump(pol, f, indent=1)
    caps, gts = {}, {}
    for i, (feats, out, label, ctype) in enumerate(stream):
        t = T0 + dt.timedelta(minutes=10 * i)
        h = t.strftime("%Y/%m/%d/%H")
        caps.setdefault(h, []).append(capture_line(feats, out, "r%d" % i, t, ctype))
        gts.setdefault(h, []).append(label_line(label, "r%d" % i))
    for base, by in ((os.path.join(folder, "capture", pol["endpoint"], "AllTraffic"), caps),
                     (os.path.join(folder, "ground_truth"), gts)):
        for h, lines in by.items():
            os.makedirs(os.path.join(base, h), exist_ok=True)
            with open(os.path.join(base, h, "part.jsonl"), "w") as f:
                f.write("\n".join(lines) + "\n")


def replay(folder, expect=0):
    rejects = os.path.join(folder, "rejects.jsonl")
    rc, out, err = c.run("replay", "--policy", folder + "/policy.json", "--capture",
                         folder + "/capture", "--ground-truth", folder + "/ground_truth",
                         "--decide-pending", "--rejects", rejects, "--json")
    c.ok(rc in ((0, 1) if expect == 0 else (expect,)),
         f"{folder}: replay exited {rc}: {err[-600:]}")
    try:
        rep = json.loads(out) if out.strip() else None
    except ValueError:
        rep = None
    return rep, err, rejects


def windows(values, n):
    return [values[i:i + n] for i in range(0, len(values), n)]


def binary_kpis(pairs, threshold=0.5):
    tp = sum(1 for s, y in pairs if s >= threshold and y)
    fp = sum(1 for s, y in pairs if s >= threshold and not y)
    fn = sum(1 for s, y in pairs if s < threshold and y)
    tn = len(pairs) - tp - fp - fn
    out = {"accuracy": (tp + tn) / len(pairs)}
    if tp + fp:
        out["precision"] = tp / (tp + fp)
    if tp + fn:
        out["recall"] = tp / (tp + fn)
    if "precision" in out and "recall" in out:
        p, r = out["precision"], out["recall"]
        out["f1"] = 2 * p * r / (p + r) if p + r else 0.0
    return out


def multiclass_kpis(pairs, classes):
    """Per class F1 = 2tp / (support + predicted), over the classes present
    in the labels or predictions; predictions outside the classes are wrong
    and no class of their own."""
    n = len(pairs)
    f1 = {}
    for k in classes:
        tp = sum(1 for y, p in pairs if y == k and p == k)
        support = sum(1 for y, _ in pairs if y == k)
        predicted = sum(1 for _, p in pairs if p == k)
        if support or predicted:
            f1[k] = (2 * tp / (support + predicted), support)
    out = {"accuracy": sum(1 for y, p in pairs if y == p) / n,
           "f1_macro": sum(v for v, _ in f1.values()) / len(f1),
           "f1_weighted": sum(v * s for v, s in f1.values()) / n}
    rec = {}
    for k in classes:
        support = sum(1 for y, _ in pairs if y == k)
        if support:
            rec[k] = sum(1 for y, p in pairs if y == k and p == k) / support
    return out, rec


def compare(name, rep, want, class_recall=None):
    got = rep["decisions"] if rep else []
    c.ok(len(got) == len(want), f"{name}: {len(got)} decisions, expected {len(want)}")
    bad = []
    for i, (g, w) in enumerate(zip(got, want)):
        k = g["decision"]["kpis"]
        for m, v in w.items():
            if m not in k or abs(k[m]["value"] - v) > 1e-9:
                bad.append((i, m, k.get(m), v))
        if set(k) != set(w):
            bad.append((i, "metrics", sorted(k), sorted(w)))
        if class_recall is not None:
            gr = g["decision"].get("class_kpis", {}).get("recall", {})
            for cls, v in class_recall[i].items():
                if cls not in gr or abs(gr[cls]["value"] - v) > 1e-9:
                    bad.append((i, "recall " + cls, gr.get(cls), v))
    c.ok(not bad, f"{name}: KPIs differing from the computation: {bad[:4]}")


# ---- ELEC2: UP / DOWN ----------------------------------------------------

elec = rows_of("electricity_elec2_normalized.csv")
names = ["nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"]
scores = [round(1 / (1 + math.exp(-12 * (float(r["nswprice"]) - 0.06)
                                  - 4 * (float(r["nswdemand"]) - 0.42))), 6)
          for r in elec]
train = [[r[k] for k in names] + [r["class"]] for r in elec[:48 * 28]]
N = 4000
pol = dict(COMMON, model="elec2-updown", endpoint="elec-endpoint",
           reference={"path": "train.csv", "label_column": "class"},
           prediction={"task": "binary_classification", "positive_label": "UP",
                       "negative_label": "DOWN"},
           window={"records": N, "label_wait_seconds": 86400},
           kpis=[{"metric": "accuracy", "min": 0.6}, {"metric": "f1", "min": 0.5}])
want = [binary_kpis(w) for w in windows(
    [(s, r["class"] == "UP") for s, r in zip(scores, elec)], N)]
folder = c.path("elec-score")
write_world(folder, pol, names + ["class"], train,
            [([r[k] for k in names], "%.6f" % s, r["class"], "text/csv")
             for s, r in zip(scores, elec)])
rep, _, _ = replay(folder)
# AUC is checked by check_real_scenarios on the same data with 0/1 labels;
# here the labels' mapping matters: AUC must be there, not compared
for g in (rep or {}).get("decisions", []):
    g["decision"]["kpis"].pop("auc", None)
compare("elec2 scores, UP/DOWN labels", rep, want)
c.ok(rep is not None and rep["ground_truth"]["rejected"] == 0 and
     rep["ground_truth"]["joined"] == len(elec),
     f"elec2: every UP/DOWN label joined: {rep and rep['ground_truth']}")
print(f"elec2 UP/DOWN: {len(want)} windows as computed")

# the model answers "UP" / "DOWN": the same KPIs as its thresholded scores
folder = c.path("elec-text")
write_world(folder, pol, names + ["class"], train,
            [([r[k] for k in names], "UP" if s >= 0.5 else "DOWN", r["class"], "text/csv")
             for s, r in zip(scores, elec)])
rep_t, _, _ = replay(folder)
want_t = [binary_kpis(w) for w in windows(
    [(1.0 if s >= 0.5 else 0.0, r["class"] == "UP") for s, r in zip(scores, elec)], N)]
for g in (rep_t or {}).get("decisions", []):
    g["decision"]["kpis"].pop("auc", None)
compare("elec2 text predictions", rep_t, want_t)
c.ok([w["accuracy"] for w in want_t] == [w["accuracy"] for w in want],
     "elec2: text predictions are the thresholded scores")

# a third label: rejected as bad_value, naming both classes
folder = c.path("elec-third")
odd = set(range(5, len(elec), 997))
write_world(folder, pol, names + ["class"], train,
            [([r[k] for k in names], "%.6f" % s, "FLAT" if i in odd else r["class"],
              "text/csv") for i, (s, r) in enumerate(zip(scores, elec))])
rep3, _, rejects = replay(folder)
c.ok(rep3 is not None and rep3["ground_truth"]["rejected_by_reason"] == {"bad_value": len(odd)},
     f"elec2: {len(odd)} FLAT labels rejected as bad_value: {rep3 and rep3['ground_truth']}")
with open(rejects) as f:
    text = f.read()
c.ok('label \\"FLAT\\" is neither the positive class \\"UP\\" nor the negative class '
     '\\"DOWN\\"' in text, f"elec2: the reject names both classes: {text[:300]}")

# no positive_label: the reference's UP/DOWN column is a policy error
folder = c.path("elec-nopos")
bad = json.loads(json.dumps(pol))
del bad["prediction"]["positive_label"], bad["prediction"]["negative_label"]
write_world(folder, bad, names + ["class"], train, [])
os.makedirs(folder + "/capture", exist_ok=True)
os.makedirs(folder + "/ground_truth", exist_ok=True)
_, err, _ = replay(folder, expect=2)  # replay: 2 = trouble, it could not run
c.ok('label column \'class\' holds "UP", "DOWN"' in err and "positive_label" in err,
     f"elec2 without positive_label: the error names the labels: {err[-400:]}")

# ---- SageMaker churn: True. / False. -------------------------------------

churn = rows_of("sagemaker_churn_3333.csv")
cols = ["Account Length", "Day Mins", "Eve Mins", "Night Mins", "Intl Mins",
        "CustServ Calls"]
cscores = [round(1 / (1 + math.exp(-(0.03 * (float(r["Day Mins"]) - 240)
                                     + 0.9 * (float(r["CustServ Calls"]) - 3.5)))), 6)
           for r in churn]
N = 500
pol = dict(COMMON, model="churn", endpoint="churn-endpoint",
           reference={"path": "train.csv", "label_column": "Churn_"},
           prediction={"task": "binary_classification", "positive_label": "True.",
                       "threshold": 0.4},
           window={"records": N, "label_wait_seconds": 86400},
           kpis=[{"metric": "recall", "min": 0.4}])
folder = c.path("churn")
write_world(folder, pol, cols + ["Churn_"], [[r[k] for k in cols] + [r["Churn_"]]
                                             for r in churn[:1000]],
            [([r[k] for k in cols], "%.6f" % s, r["Churn_"], "text/csv")
             for s, r in zip(cscores, churn)])
rep, _, _ = replay(folder)
want = [binary_kpis(w, 0.4) for w in windows(
    [(s, r["Churn_"] == "True.") for s, r in zip(cscores, churn)], N)]
for g in (rep or {}).get("decisions", []):
    g["decision"]["kpis"].pop("auc", None)
compare("churn True./False.", rep, want)
labels = rep["models"][0].get("labels", {}) if rep else {}
c.ok(labels.get("texts") == 2 and labels.get("not_credited") == 0,
     f"churn: two distinct label texts counted: {labels}")
print(f"churn True./False.: {len(want)} windows as computed")

# ---- bike sharing: weathersit 1-3, multiclass ----------------------------

bike = rows_of("bike_sharing_hour.csv")
feat = ["temp", "atemp", "hum", "windspeed", "hr"]
classes = ["1", "2", "3"]


def softprob(r):
    h, w = float(r["hum"]), float(r["windspeed"])
    z = [2.0 - 3.0 * h, 0.4 + 1.0 * h, -3.2 + 4.5 * h + 2.0 * w]
    m = max(z)
    e = [math.exp(v - m) for v in z]
    return ["%.6f" % (v / sum(e)) for v in e]


probs = [softprob(r) for r in bike]
pred = [classes[max(range(3), key=lambda i: float(p[i]))] for p in probs]
jan = [r for r in bike if r["dteday"].startswith("2011-01")]
train = [[r[k] for k in feat] + [r["weathersit"]] for r in jan if r["weathersit"] != "4"]
N = 2000
pol = dict(COMMON, model="weather", endpoint="bike-endpoint",
           reference={"path": "train.csv", "label_column": "weathersit"},
           prediction={"task": "multiclass_classification", "classes": classes},
           window={"records": N, "label_wait_seconds": 86400},
           kpis=[{"metric": "f1_macro", "min": 0.3}, {"metric": "accuracy", "min": 0.3},
                 {"metric": "recall", "class": "3", "min": 0.2}])
kept = [(y, p) for y, p in zip((r["weathersit"] for r in bike), pred)]
want, recalls = [], []
for w in windows(kept, N):
    pairs = [(y, p) for y, p in w if y in classes]
    k, rec = multiclass_kpis(pairs, classes)
    want.append(k)
    recalls.append({"3": rec["3"]} if "3" in rec else {})
n4 = sum(1 for r in bike if r["weathersit"] == "4")
for name, ctype, out in (
        ("softprob CSV", "text/csv", lambda p, k: ",".join(p)),
        ("linear-learner JSON", "application/json",
         lambda p, k: json.dumps({"predictions": [{"predicted_label": k,
                                                    "score": [float(x) for x in p]}]}))):
    folder = c.path("bike-" + ctype.split("/")[1])
    write_world(folder, pol, feat + ["weathersit"], train,
                [([r[f] for f in feat], out(p, k), r["weathersit"], ctype)
                 for r, p, k in zip(bike, probs, pred)])
    rep, _, rejects = replay(folder)
    compare("bike weathersit, " + name, rep, want, recalls)
    c.ok(rep is not None and rep["ground_truth"]["rejected_by_reason"] == {"bad_value": n4},
         f"bike {name}: the {n4} weathersit 4 labels rejected: "
         f"{rep and rep['ground_truth']['rejected_by_reason']}")
    c.ok(rep is not None and rep["models"][0]["labels"]["classes"] == classes,
         f"bike {name}: classes reported: {rep and rep['models'][0].get('labels')}")
    print(f"bike weathersit ({name}): {len(want)} windows as computed")
with open(rejects) as f:
    text = f.read()
c.ok('label \\"4\\" is not one of the classes of model weather (\\"1\\", \\"2\\", \\"3\\")'
     in text, f"bike: the reject names the classes: {text[:300]}")

# a reference holding a class outside prediction.classes is refused
folder = c.path("bike-ref4")
write_world(folder, pol, feat + ["weathersit"],
            [[r[k] for k in feat] + [r["weathersit"]] for r in jan], [])
os.makedirs(folder + "/capture", exist_ok=True)
os.makedirs(folder + "/ground_truth", exist_ok=True)
_, err, _ = replay(folder, expect=2)  # replay: 2 = trouble, it could not run
c.ok("label \"4\" of the reference's column 'weathersit' is not in prediction.classes"
     in err, f"bike: a reference class outside prediction.classes: {err[-400:]}")

c.finish()
