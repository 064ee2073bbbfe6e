"""A real SageMaker Model Monitor statistics.json as the reference of
`kpigate compare`: the churn baseline's KLL sketches (../shared/data/
sagemaker/statistics_churn_excerpt.json, 2,333 rows) against the real churn
table it was computed from (3,333 rows), then against the same table with
`Day Mins` raised by 30 %.

Checked independently here: each KS statistic against the sketch's
weighted CDF (level h weighs 2^h) computed with numpy, its p-value with
scipy's kstwo at the asymptotic effective size, the error reported (the
sketch's rank error), Wasserstein against scipy with the sketch's weights;
no feature drifts on the table itself, Day Mins drifts once shifted."""
import csv
import json
import math
import os
import sys

from kpg_check import Check, SKIP

try:
    import numpy as np
    from scipy import stats
except ImportError:
    print("skip: numpy/scipy not available to /usr/bin/python3")
    sys.exit(SKIP)

c = Check()
stats_path = os.path.join(c.shared, "data", "sagemaker", "statistics_churn_excerpt.json")
table = os.path.join(c.shared, "data", "real", "sagemaker_churn_3333.csv")
if not (os.path.exists(stats_path) and os.path.exists(table)):
    print("skip: the shared SageMaker samples are not present")
    sys.exit(SKIP)

doc = json.load(open(stats_path))
names = [f["name"] for f in doc["features"]]
sketch = {}
for f in doc["features"]:
    kll = f["numerical_statistics"]["distribution"]["kll"]["sketch"]
    vals, wts = [], []
    for h, level in enumerate(kll["data"]):
        vals += level
        wts += [2.0 ** h] * len(level)
    order = np.argsort(vals, kind="stable")
    sketch[f["name"]] = (np.array(vals)[order], np.array(wts)[order],
                         f["numerical_statistics"]["common"]["num_present"])

rows = list(csv.DictReader(open(table, newline="")))


def write(path, scale_day=1.0):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names)
        for r in rows:
            out = []
            for n in names:
                if n == "Churn":
                    out.append(1 if r["Churn_"] == "True." else 0)
                elif n == "Day Mins":
                    out.append("%.6f" % (float(r[n]) * scale_day))
                else:
                    out.append(r[n])
            w.writerow(out)


def weighted_ks(vals, wts, cur):
    cur = np.sort(cur)
    xs = np.union1d(vals, cur)
    fr = np.cumsum(wts)[np.searchsorted(vals, xs, side="right") - 1] / wts.sum()
    fr[np.searchsorted(vals, xs, side="right") == 0] = 0
    fc = np.searchsorted(cur, xs, side="right") / len(cur)
    return float(np.max(np.abs(fr - fc)))


def round_half_even(x):
    return float(np.round(x))


def check(case, cur_path, want_drift):
    rc, out, err = c.run("compare", "--reference", stats_path, "--current", cur_path,
                         "--json", "--detectors", "ks,wasserstein,psi")
    c.ok(rc == (1 if want_drift else 0), f"{case}: exit {rc}: {err[-300:]}")
    res = json.loads(out)
    c.ok([f["name"] for f in res["features"]] == names, f"{case}: the sketch's features in order")
    drifted = []
    for f in res["features"]:
        vals, wts, count = sketch[f["name"]]
        col = np.array([float(x) for x in read_col(cur_path, f["name"])])
        d = {x["detector"]: x for x in f["detectors"]}
        ks = d["ks"]
        want = weighted_ks(vals, wts, col)
        c.ok(abs(ks["value"] - want) <= 1e-12, f"{case}/{f['name']}: KS {ks['value']} vs {want}")
        en = round_half_even(count * len(col) / (count + len(col)))
        p = float(stats.kstwo.sf(want, en))
        c.ok(abs(ks["p_value"] - p) <= 1e-8 * max(p, 1e-300) + 1e-15,
             f"{case}/{f['name']}: KS p {ks['p_value']} vs {p}")
        c.ok(ks.get("error", 0) > 0 and ks["error"] < 0.01,
             f"{case}/{f['name']}: the sketch's rank error is reported ({ks.get('error')})")
        ws = float(stats.wasserstein_distance(vals, col, u_weights=wts))
        sd = math.sqrt(float(np.average((vals - np.average(vals, weights=wts)) ** 2, weights=wts)))
        c.ok(abs(d["wasserstein"]["value"] - ws / sd) <= 1e-9 * max(1, ws / sd),
             f"{case}/{f['name']}: Wasserstein {d['wasserstein']['value']} vs {ws / sd}")
        if f["drifted"]:
            drifted.append(f["name"])
    c.ok(drifted == (["Day Mins"] if want_drift else []), f"{case}: drifted {drifted}")


def read_col(path, name):
    with open(path, newline="") as f:
        return [r[name] for r in csv.DictReader(f)]


same = os.path.join(c.tmp, "churn.csv")
shifted = os.path.join(c.tmp, "churn-day-up.csv")
write(same)
write(shifted, 1.3)
check("table", same, False)
check("day-mins +30%", shifted, True)
c.finish()
