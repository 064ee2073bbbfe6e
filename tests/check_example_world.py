#!/usr/bin/python3
"""check_example_world.py - `kpigate example` writes the world it promises.

Run by ctest as: check_example_world.py KPIGATE SHARED TESTSDIR BUILDDIR.
Writes a world with --records 20000 --seed 7 (KPG_EXAMPLE_RECORDS overrides
the count, for a look at the default 50000), parses every file with plain
json/csv/base64 and checks, independently of kpigate's own code:
  - layout: SageMaker key names, one capture file per hour, time order;
  - lines: ~3 % BASE64, some malformed of several kinds, the rest valid;
  - ground truth: joins by inferenceId, arrives 2-30 h later, ~80 %;
  - the phases: AUC per phase and per day, KS/PSI drift per phase and day,
    judged with the example policy's own thresholds;
  - determinism, --force, and the command line's usage errors.
Exit 0 pass, 1 fail."""

import base64
import binascii
import csv
import filecmp
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import numpy as np
from scipy import stats

START = datetime(2026, 1, 5, tzinfo=timezone.utc)
CATEGORICAL = ["contract", "payment_method", "internet_service", "region",
               "plan", "device_os"]
# features the covariate phase moves, and the policy's drift thresholds
DRIFTED_NUMERIC = ["eve_minutes", "night_minutes", "intl_minutes", "data_gb",
                   "num_devices", "age"]
DRIFTED_CATEGORICAL = ["device_os", "payment_method"]
PSI_BINS, PSI_MAX, KS_P, KS_MIN_D, DRIFT_SHARE = 10, 0.2, 0.01, 0.1, 0.3
AUC_MIN = 0.75

CAPTURE_RE = re.compile(
    r"^capture/churn-endpoint/AllTraffic/(\d{4})/(\d\d)/(\d\d)/(\d\d)/"
    r"(\d\d)-(\d\d)-(\d{3})-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-"
    r"[89ab][0-9a-f]{3}-[0-9a-f]{12}\.jsonl$")
GT_RE = re.compile(r"^ground_truth/(\d{4})/(\d\d)/(\d\d)/(\d\d)/"
                   r"labels-\d+\.jsonl$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                     r"[0-9a-f]{12}$")

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


def phase_of_day(day):
    return 0 if day < 14 else 1 if day < 32 else 2


PHASES = ["stable", "covariate_drift", "harmful_drift"]


def run(cmd, expect=None):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if expect is not None:
        check(p.returncode == expect,
              "%s: exit %d, expected %d (stderr: %s)" %
              (" ".join(cmd[1:]), p.returncode, expect, p.stderr.strip()))
    return p


def tree(root):
    """Relative paths of every file under root, sorted."""
    out = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            out.append(os.path.relpath(os.path.join(dirpath, f), root))
    return sorted(out)


def same_tree(a, b):
    ta, tb = tree(a), tree(b)
    if ta != tb:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, ta, shallow=False)
    return not mismatch and not errors


def auc(scores, labels):
    scores, labels = np.asarray(scores), np.asarray(labels)
    n1 = labels.sum()
    n0 = len(labels) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = stats.rankdata(scores)
    return (r[labels == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def psi_numeric(ref, cur):
    """PSI over the reference's deciles (the usual definition)."""
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, PSI_BINS + 1)[1:-1]))
    a = np.bincount(np.searchsorted(edges, ref, side="right"),
                    minlength=len(edges) + 1) / len(ref)
    b = np.bincount(np.searchsorted(edges, cur, side="right"),
                    minlength=len(edges) + 1) / len(cur)
    return psi(a, b)


def psi(a, b):
    a, b = np.maximum(a, 1e-4), np.maximum(b, 1e-4)
    return float(((b - a) * np.log(b / a)).sum())


def psi_categorical(ref, cur):
    levels = sorted(set(ref) | set(cur))
    ca, cb = Counter(ref), Counter(cur)
    a = np.array([ca[v] for v in levels], float) / len(ref)
    b = np.array([cb[v] for v in levels], float) / len(cur)
    return psi(a, b)


def drift(ref_cols, cur_cols, names):
    """Per feature (drifted, psi, ks D, ks p) with the policy's rule."""
    out = {}
    for name in names:
        if name in CATEGORICAL:
            p = psi_categorical(ref_cols[name], cur_cols[name])
            out[name] = (p >= PSI_MAX, p, None, None)
        else:
            ref = np.asarray(ref_cols[name], float)
            cur = np.asarray(cur_cols[name], float)
            p = psi_numeric(ref, cur)
            ks = stats.ks_2samp(ref, cur)
            out[name] = (p >= PSI_MAX or (ks.pvalue < KS_P and
                                          ks.statistic >= KS_MIN_D),
                         p, ks.statistic, ks.pvalue)
    return out


def parse_time(s):
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s) is not None,
          "inferenceTime %r is not YYYY-MM-DDTHH:MM:SSZ" % s)
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc)


def decode_payload(part):
    """The CSV text of an endpointInput/Output, and a reject reason."""
    enc = part.get("encoding")
    data = part.get("data")
    if not isinstance(data, str):
        return None, "missing_field"
    if enc == "CSV":
        return data, None
    if enc == "BASE64":
        try:
            return base64.b64decode(data, validate=True).decode(), None
        except (binascii.Error, UnicodeDecodeError):
            return None, "bad_encoding"
    return None, "bad_encoding"


def classify(line, header, numeric):
    """(reason or None, parsed record or None) for one capture line."""
    try:
        rec = json.loads(line)
    except json.JSONDecodeError:
        return "bad_json", None
    cd = rec.get("captureData", {})
    meta = rec.get("eventMetadata", {})
    check(rec.get("eventVersion") == "0", "eventVersion is not \"0\"")
    inp, out = cd.get("endpointInput"), cd.get("endpointOutput")
    if inp is None or out is None or "eventId" not in meta:
        return "missing_field", None
    check(inp.get("observedContentType") == "text/csv" and
          inp.get("mode") == "INPUT", "endpointInput header wrong: %r" % inp)
    check(out.get("observedContentType") == "text/csv; charset=utf-8" and
          out.get("mode") == "OUTPUT", "endpointOutput header wrong")
    text, why = decode_payload(inp)
    if why:
        return why, None
    score_text, why = decode_payload(out)
    if why:
        return why, None
    cells = text.split(",")
    if len(cells) != len(header):
        return "feature_count", None
    values = {}
    for name, cell in zip(header, cells):
        if name in numeric:
            try:
                v = float(cell)
            except ValueError:
                return "bad_value", None
            if not math.isfinite(v):
                return "bad_value", None
            values[name] = v
        else:
            values[name] = cell
    return None, {
        "event_id": meta["eventId"],
        "inference_id": meta.get("inferenceId"),
        "time": parse_time(meta.get("inferenceTime", "")),
        "score": float(score_text),
        "base64": inp.get("encoding") == "BASE64",
        "values": values,
    }


def read_world(root):
    # train.csv and policy.json
    with open(os.path.join(root, "train.csv"), newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    check(len(header) == 21 and header[-1] == "churn",
          "train.csv header: 20 features and churn last, got %r" % header)
    check(len(rows) - 1 == 5000, "train.csv has %d rows" % (len(rows) - 1))
    features = header[:-1]
    numeric = [n for n in features if n not in CATEGORICAL]
    check(sorted(set(features) - set(numeric)) == sorted(CATEGORICAL),
          "train.csv lacks some categorical column")
    check(len(numeric) == 14, "14 numeric features, got %d" % len(numeric))
    train = {n: [] for n in header}
    for r in rows[1:]:
        for n, v in zip(header, r):
            train[n].append(float(v) if n in numeric or n == "churn" else v)
    check(set(train["churn"]) == {0.0, 1.0}, "churn is not 0/1")

    with open(os.path.join(root, "policy.json")) as f:
        text = f.read()
    pol = json.loads(text)
    check(text.startswith('{\n  "model": "churn-xgb",\n'),
          "policy.json is not pretty-printed with 2 spaces")
    check(pol["endpoint"] == "churn-endpoint" and
          pol["reference"] == {"path": "train.csv", "label_column": "churn"},
          "policy.json endpoint/reference")
    check(pol["features"] == {c: "categorical" for c in CATEGORICAL},
          "policy.json features")
    check(pol["kpis"] == [{"metric": "auc", "min": AUC_MIN}] and
          pol["window"] == {"span_seconds": 86400, "label_wait_seconds": 129600} and
          pol["drift"]["dataset_drift_share"] == DRIFT_SHARE and
          pol["guards"]["consecutive_windows"] == 2 and
          pol["guards"]["cooldown_seconds"] == 14 * 86400,
          "policy.json thresholds")
    check(os.path.getsize(os.path.join(root, "README.txt")) > 200,
          "README.txt missing or short")

    # capture: layout, order, lines
    files = [p for p in tree(root) if p.startswith("capture/")]
    hours = set()
    last_time = None
    reasons = Counter()
    records = []
    n_lines = 0
    for rel in files:
        m = CAPTURE_RE.match(rel)
        if not check(m, "capture file name %s" % rel):
            continue
        hour = datetime(*map(int, m.groups()[:4]), tzinfo=timezone.utc)
        check(hour not in hours, "two capture files for hour %s" % hour)
        hours.add(hour)
        first = True
        with open(os.path.join(root, rel)) as f:
            for line in f:
                n_lines += 1
                why, rec = classify(line, features, numeric)
                if why:
                    reasons[why] += 1
                    continue
                t = rec["time"]
                check(hour <= t < hour + timedelta(hours=1),
                      "%s: record at %s is outside its hour" % (rel, t))
                check(last_time is None or t >= last_time,
                      "%s: records not in time order" % rel)
                if first:
                    check(m.group(5) == "%02d" % t.minute and
                          m.group(6) == "%02d" % t.second,
                          "%s: name is not its first record's MM-SS" % rel)
                first = False
                last_time = t
                records.append(rec)
    return header, numeric, train, records, reasons, n_lines, len(files)


def read_labels(root):
    labels = []
    for rel in tree(root):
        if not rel.startswith("ground_truth/"):
            continue
        m = GT_RE.match(rel)
        if not check(m, "ground-truth file name %s" % rel):
            continue
        hour = datetime(*map(int, m.groups()), tzinfo=timezone.utc)
        with open(os.path.join(root, rel)) as f:
            for line in f:
                g = json.loads(line)
                check(g["groundTruthData"]["encoding"] == "CSV" and
                      g["groundTruthData"]["data"] in ("0", "1") and
                      g["eventVersion"] == "0", "ground-truth record %r" % g)
                labels.append((g["eventMetadata"]["eventId"],
                               int(g["groundTruthData"]["data"]), hour))
    return labels


def analyse(root, n_expected):
    header, numeric, train, records, reasons, n_lines, n_files = \
        read_world(root)
    features = header[:-1]
    n_valid = len(records)
    n_bad = sum(reasons.values())
    print("capture: %d lines in %d files, %d valid, rejects %s" %
          (n_lines, n_files, n_valid, dict(reasons)))
    check(n_lines == n_expected, "capture has %d lines, expected %d" %
          (n_lines, n_expected))
    check(0.0002 * n_lines <= n_bad <= 0.003 * n_lines,
          "malformed share %.4f%% not near 0.1%%" % (100.0 * n_bad / n_lines))
    check(len(reasons) >= 4, "malformed lines of only %d kinds: %s" %
          (len(reasons), dict(reasons)))
    b64 = sum(r["base64"] for r in records)
    print("base64: %d of %d valid lines (%.2f%%)" %
          (b64, n_valid, 100.0 * b64 / n_valid))
    check(0.02 <= b64 / n_valid <= 0.04, "BASE64 share not near 3%")
    check(len({r["event_id"] for r in records}) == n_valid and
          all(UUID_RE.match(r["event_id"]) for r in records),
          "eventIds not unique UUIDs")
    by_id = {r["inference_id"]: r for r in records}
    check(len(by_id) == n_valid, "inferenceIds not unique")
    span_days = (records[-1]["time"] - START).days
    check(records[0]["time"] >= START and span_days == 41,
          "traffic does not span 2026-01-05 .. 42 days")

    # ground truth: join, delay, share
    labels = read_labels(root)
    ids = [e for e, _, _ in labels]
    check(len(set(ids)) == len(ids), "a record has two labels")
    delays = []
    for eid, y, hour in labels:
        r = by_id.get(eid)
        if not check(r is not None, "label %s joins no valid capture" % eid):
            break
        r["label"] = y
        lo = (hour - r["time"]).total_seconds()  # arrival in [hour, hour+1h)
        delays.append(lo)
        check(lo + 3600 > 7200 and lo <= 108000,
              "label %s arrives outside 2-30 h (hour starts %+.0f s after)" %
              (eid, lo))
    share = len(labels) / n_valid
    print("labels: %d (%.1f%% of valid records), arrival hour starts "
          "%.1f..%.1f h after the inference" %
          (len(labels), 100 * share, min(delays) / 3600, max(delays) / 3600))
    check(0.77 <= share <= 0.83, "label share %.3f not near 0.8" % share)
    check(min(delays) < 3 * 3600 and max(delays) > 28 * 3600,
          "label delays do not cover 2-30 h")

    # per phase and per day: AUC and drift
    ref = {n: train[n] for n in features}
    by_phase = defaultdict(list)
    by_day = defaultdict(list)
    for r in records:
        day = (r["time"] - START).days
        by_day[day].append(r)
        by_phase[phase_of_day(day)].append(r)

    def cols(recs):
        return {n: [r["values"][n] for r in recs] for n in features}

    def phase_auc(recs):
        lab = [r for r in recs if "label" in r]
        return auc([r["score"] for r in lab], [r["label"] for r in lab]), \
            len(lab)

    aucs = {}
    for ph in range(3):
        recs = by_phase[ph]
        aucs[ph], n_lab = phase_auc(recs)
        d = drift(ref, cols(recs), features)
        flagged = [n for n in features if d[n][0]]
        print("%-16s %6d records, %6d labelled, AUC %.3f, drifted %d/20: %s"
              % (PHASES[ph], len(recs), n_lab, aucs[ph], len(flagged),
                 ", ".join(flagged)))
        for n in features:
            if d[n][2] is not None:
                print("    %-20s psi %.3f  ks D %.3f p %.3g" %
                      (n, d[n][1], d[n][2], d[n][3]))
            else:
                print("    %-20s psi %.3f" % (n, d[n][1]))
        if ph == 0:
            passing = [n for n in numeric if d[n][3] > KS_P]
            check(len(passing) >= 12, "stable phase: only %d of 14 numeric "
                  "features have KS p > 0.01" % len(passing))
            check(not flagged, "stable phase drifts: %s" % flagged)
        else:
            for n in DRIFTED_NUMERIC:
                check(d[n][3] < KS_P and d[n][2] >= KS_MIN_D,
                      "%s: %s KS D %.3f p %.3g" % (PHASES[ph], n, d[n][2],
                                                   d[n][3]))
            for n in DRIFTED_CATEGORICAL:
                check(d[n][1] >= PSI_MAX, "%s: %s PSI %.3f" %
                      (PHASES[ph], n, d[n][1]))
    check(0.80 <= aucs[0] <= 0.90, "stable AUC %.3f not in 0.80..0.90"
          % aucs[0])
    check(0.80 <= aucs[1] <= 0.89 and aucs[1] > aucs[0] - 0.03,
          "covariate AUC %.3f not at the stable level" % aucs[1])
    check(0.58 <= aucs[2] <= 0.71, "harmful AUC %.3f not in 0.58..0.71"
          % aucs[2])

    # what a daily-window replay sees: every drift day is a drift alarm,
    # only harmful days breach the KPI
    print("day  records  AUC    drifted")
    for day in range(42):
        recs = by_day[day]
        a, _ = phase_auc(recs)
        d = drift(ref, cols(recs), features)
        share_d = sum(v[0] for v in d.values()) / len(features)
        print("%3d  %7d  %.3f  %.2f" % (day + 1, len(recs), a, share_d))
        ph = phase_of_day(day)
        check((a < AUC_MIN) == (ph == 2),
              "day %d (%s): AUC %.3f on the wrong side of %.2f" %
              (day + 1, PHASES[ph], a, AUC_MIN))
        check((share_d >= DRIFT_SHARE) == (ph != 0),
              "day %d (%s): drifted share %.2f on the wrong side of %.2f" %
              (day + 1, PHASES[ph], share_d, DRIFT_SHARE))


def main():
    if len(sys.argv) < 5:
        print("usage: check_example_world.py KPIGATE SHARED TESTSDIR BUILDDIR")
        return 2
    kpigate = sys.argv[1]
    n = int(os.environ.get("KPG_EXAMPLE_RECORDS", "20000"))
    tmp = tempfile.mkdtemp(prefix="kpg-example-")
    try:
        a, b, c = (os.path.join(tmp, x) for x in "abc")
        p = run([kpigate, "example", a, "--records", str(n), "--seed", "7"], 0)
        print(p.stdout, end="")
        if failures:
            return 1
        analyse(a, n)

        run([kpigate, "example", b, "--records", str(n), "--seed", "7"], 0)
        check(same_tree(a, b), "same seed wrote different files")
        run([kpigate, "example", c, "--records", str(n), "--seed", "8"], 0)
        check(not filecmp.cmp(os.path.join(a, "train.csv"),
                              os.path.join(c, "train.csv"), shallow=False),
              "seeds 7 and 8 wrote the same train.csv")
        check(tree(a) != tree(c), "seeds 7 and 8 wrote the same file names")

        # a non-empty DIR needs --force, which leaves no stale file behind
        p = run([kpigate, "example", c, "--records", str(n), "--seed", "7"], 2)
        check("--force" in p.stderr, "refusal does not mention --force")
        keep = os.path.join(c, "notes.txt")
        with open(keep, "w") as f:
            f.write("mine\n")
        run([kpigate, "example", c, "--records", str(n), "--seed", "7",
             "--force"], 0)
        check(os.path.exists(keep), "--force removed a file it did not write")
        os.unlink(keep)
        check(same_tree(a, c), "--force over seed 8 differs from a fresh "
              "seed-7 world (stale files?)")

        # usage errors
        d = os.path.join(tmp, "d")
        for args, needle in [
                (["--records", "999"], "1000..5000000"),
                (["--records", "5000001"], "1000..5000000"),
                (["--records", "12x"], "whole number"),
                (["--records", "-5"], "needs a number"),
                (["--records"], "needs a value"),
                (["--seed", "0"], "1..4294967295"),
                (["--seed", "99999999999999999999999"], "1..4294967295"),
                (["--bogus"], "unknown option"),
                ([], "no DIR")]:
            p = run([kpigate, "example"] + ([d] if args != [] else []) + args,
                    2)
            check(needle in p.stderr, "%s: stderr lacks %r: %s" %
                  (args, needle, p.stderr.strip()))
            check(not os.path.exists(d), "%s: wrote files anyway" % args)
        p = run([kpigate, "example", "--help"], 0)
        check("--records" in p.stdout, "--help lacks the options")
        with open(d, "w") as f:
            f.write("x")
        p = run([kpigate, "example", d], 2)  # trouble: DIR is not usable
        check("not a folder" in p.stderr, "DIR that is a file: %s" % p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
