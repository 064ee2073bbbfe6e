"""Real drifting datasets from ../shared/data/real turned into SageMaker
capture and ground-truth streams (the S3 hour layout replay reads), with
the policy a team would write, for scenario tests.

- bike: UCI bike sharing, hourly 2011-2012, regression. The "model" predicts
  January 2011's mean count for the hour of day; the KPI is RMSE.
- elec2: ELEC2 (NSW electricity, 30-minute periods from 1996-05-07), binary
  UP/DOWN; the score is a fixed logistic rule on price and demand; the KPI
  is AUC.

Every label arrives `delay` hours after its prediction: a per-record
pseudo-random delay in [min_delay, max_delay] hours (seeded), plus `shift`
hours. A share of predictions (`unlabelled`) never gets a label. The
generator also returns the streams in memory, so a test can compute what
kpigate should decide independently of it."""
import csv
import datetime as dt
import json
import math
import os
import random

EPOCH = dt.datetime(1970, 1, 1)


def ms(t):
    return int((t - EPOCH).total_seconds() * 1000)


def capture_line(features, pred, iid, t):
    return json.dumps({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                              "data": ",".join(str(x) for x in features),
                              "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                               "data": "%.6f" % pred, "encoding": "CSV"}},
        "eventMetadata": {"eventId": iid, "inferenceId": iid,
                          "inferenceTime": t.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "eventVersion": "0"})


def label_line(label, iid):
    return json.dumps({"groundTruthData": {"data": str(label), "encoding": "CSV"},
                       "eventMetadata": {"eventId": iid}, "eventVersion": "0"})


def bike_records(real):
    """(features, names, rows): rows are (time, features, prediction, label)."""
    rows = list(csv.DictReader(open(os.path.join(real, "bike_sharing_hour.csv"),
                                    newline="")))
    names = ["temp", "atemp", "hum", "windspeed", "hr", "weathersit"]
    jan = [r for r in rows if r["dteday"].startswith("2011-01")]
    by_hr = {}
    for r in jan:
        by_hr.setdefault(r["hr"], []).append(int(r["cnt"]))
    mean = {h: sum(v) / len(v) for h, v in by_hr.items()}
    train = [[r[c] for c in names] + [r["cnt"]] for r in jan]
    out = []
    for r in rows:
        t = dt.datetime.fromisoformat(r["dteday"]) + dt.timedelta(hours=int(r["hr"]))
        out.append((t, [r[c] for c in names], round(mean[r["hr"]], 6),
                    int(r["cnt"]), "bike-" + r["instant"]))
    return names + ["cnt"], train, out


def elec2_records(real):
    rows = list(csv.DictReader(open(os.path.join(
        real, "electricity_elec2_normalized.csv"), newline="")))
    names = ["nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"]
    t0 = dt.datetime(1996, 5, 7)
    train = [[r[c] for c in names] + ["1" if r["class"] == "UP" else "0"]
             for r in rows[:48 * 28]]
    out = []
    for i, r in enumerate(rows):
        t = t0 + dt.timedelta(minutes=30 * i)
        score = 1 / (1 + math.exp(-12 * (float(r["nswprice"]) - 0.06)
                                  - 4 * (float(r["nswdemand"]) - 0.42)))
        out.append((t, [r[c] for c in names], round(score, 6),
                    1 if r["class"] == "UP" else 0, "elec-%d" % i))
    return names + ["up"], train, out


# What both policies share: weekly windows, a two-day label wait, guards
COMMON = {"window": {"span_seconds": 7 * 86400, "label_wait_seconds": 2 * 86400},
          "guards": {"min_records": 100, "min_labelled": 100,
                     "consecutive_windows": 2, "cooldown_seconds": 2592000},
          "action": {"type": "dry_run"},
          "energy": {"instance_type": "ml.m5.xlarge", "instance_count": 1,
                     "expected_hours": 1, "region": "us-east-1"}}
POLICIES = {
    "bike": dict(COMMON, model="bike-demand", endpoint="bike-endpoint",
                 reference={"path": "train.csv", "label_column": "cnt"},
                 features={"hr": "categorical", "weathersit": "categorical"},
                 prediction={"task": "regression"},
                 kpis=[{"metric": "rmse", "max": 150}]),
    "elec2": dict(COMMON, model="elec2-updown", endpoint="elec-endpoint",
                  reference={"path": "train.csv", "label_column": "up"},
                  prediction={"task": "binary_classification"},
                  kpis=[{"metric": "auc", "min": 0.7}]),
}

SOURCES = {"bike": bike_records, "elec2": elec2_records}


def label_delays(records, seed, min_delay, max_delay, unlabelled):
    """Per record: hours until its label arrives, or None (never)."""
    rnd = random.Random(seed)
    out = []
    for _ in records:
        never = rnd.random() < unlabelled
        d = rnd.uniform(min_delay, max_delay)
        out.append(None if never else d)
    return out


def _append(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as f:
        f.write("\n".join(lines) + "\n")


def write(kind, real, out, seed=7, min_delay=1.0, max_delay=36.0, shift=0.0,
          unlabelled=0.1, extra_captures=None):
    """Writes out/{train.csv,policy.json,capture/...,ground_truth/...} from
    the dataset in folder `real`.
    extra_captures: [(folder_time, line)] added to those hour folders.
    Returns (policy, records, delays)."""
    header, train, records = SOURCES[kind](real)
    pol = json.loads(json.dumps(POLICIES[kind]))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "train.csv"), "w") as f:
        f.write(",".join(header) + "\n")
        for row in train:
            f.write(",".join(row) + "\n")
    with open(os.path.join(out, "policy.json"), "w") as f:
        json.dump(pol, f, indent=1)
    delays = label_delays(records, seed, min_delay, max_delay, unlabelled)
    caps, gts = {}, {}
    for (t, feats, pred, label, iid), d in zip(records, delays):
        caps.setdefault(t.replace(minute=0, second=0), []).append(
            capture_line(feats, pred, iid, t))
        if d is not None:
            at = t + dt.timedelta(hours=d + shift)
            gts.setdefault(at.replace(minute=0, second=0, microsecond=0), []).append(
                label_line(label, iid))
    for when, line in extra_captures or []:
        caps.setdefault(when, []).append(line)
    base = os.path.join(out, "capture", pol["endpoint"], "AllTraffic")
    for h, lines in caps.items():
        _append(os.path.join(base, h.strftime("%Y/%m/%d/%H"), "part.jsonl"), lines)
    for h, lines in gts.items():
        _append(os.path.join(out, "ground_truth", h.strftime("%Y/%m/%d/%H"),
                             "labels.jsonl"), lines)
    return pol, records, delays


# ---- what kpigate should decide, computed here on its own --------------

WEEK_MS = 7 * 86400 * 1000
MONDAY_MS = 4 * 86400 * 1000


def auc(scores, labels):
    """Mann-Whitney AUC with average ranks for ties."""
    pairs = sorted(zip(scores, labels))
    ranks = [0.0] * len(pairs)
    i = 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(1 for _, y in pairs if y >= 0.5)
    neg = len(pairs) - pos
    if pos == 0 or neg == 0:
        return None
    rsum = sum(r for r, (_, y) in zip(ranks, pairs) if y >= 0.5)
    return (rsum - pos * (pos + 1) / 2) / (pos * neg)


def expected(pol, records, delays):
    """Windows by prediction time, each with its own predictions' labels
    (every delay is inside the label wait here), decided in order with the
    policy's guards. Windows still inside their wait at the end of the
    input are left out, as replay leaves them pending."""
    span = pol["window"]["span_seconds"] * 1000
    wait = pol["window"]["label_wait_seconds"] * 1000
    origin = MONDAY_MS if span % WEEK_MS == 0 else 0
    kpi = pol["kpis"][0]
    g = pol["guards"]
    wins = {}
    for (t, _, pred, label, _), d in zip(records, delays):
        w = wins.setdefault((ms(t) - origin) // span, {"t": [], "pairs": [],
                                                       "n": 0, "labelled": 0})
        w["t"].append(ms(t))
        w["n"] += 1
        if d is not None:
            w["pairs"].append((pred, label))
            w["labelled"] += 1
    clock = max(ms(r[0]) for r in records)
    buckets = sorted(wins)
    out = []
    streak, last = 0, None
    for idx, b in enumerate(buckets[:-1]):  # the last one is still open
        w = wins[b]
        end = origin + (b + 1) * span
        if w["labelled"] < w["n"] and clock < end + wait:
            break  # still waiting, and so is every later one
        scores = [p for p, _ in w["pairs"]]
        labels = [y for _, y in w["pairs"]]
        if kpi["metric"] == "rmse":
            value = math.sqrt(sum((p - y) ** 2 for p, y in w["pairs"]) / len(labels))
            breach = value > kpi["max"]
        else:
            value = auc(scores, labels)
            breach = value is not None and value < kpi["min"]
        decision = "hold"
        if w["n"] >= g["min_records"] and w["labelled"] >= g["min_labelled"]:
            if not breach:
                streak = 0
            else:
                streak += 1
                now = max(w["t"])
                cool = last is not None and now < last + g["cooldown_seconds"] * 1000
                if streak >= g["consecutive_windows"] and not cool:
                    decision = "retrain"
                    last = now
                    streak = 0
        out.append({"window": idx, "records": w["n"], "labelled": w["labelled"],
                    "kpi": value, "decision": decision})
    return out
