"""Every detector on real drifting data, against an independent scipy /
numpy computation: `kpigate compare --json --detectors
psi,ks,chi2,js,wasserstein,hellinger` on bike sharing (January vs February
2011, and vs July 2011), ELEC2 (its first four weeks vs weeks 60-63) and
the churn table (two halves, and a half with a State category removed).

Per feature: KS statistic and p (scipy.stats.ks_2samp, of the method the
audit's p_method names, and that method the one drift.ks_method "auto"
picks; the verdict the exact p-value's), Wasserstein over
the reference's standard deviation (scipy.stats.wasserstein_distance /
numpy.std), PSI, Jensen-Shannon (base 2, scipy.spatial.distance
.jensenshannon) and Hellinger over the reference's quantile bins, and for
categorical columns chi-square (scipy.stats.chi2_contingency with all-zero
columns dropped, Yates at one degree of freedom) and Cramer's V, each
within 1e-9 relative. Then each detector's verdict against its threshold,
the small-sample rule, and the drifted flag and exit code."""
import csv
import math
import os
import sys

from kpg_check import Check, SKIP

try:
    import numpy as np
    from scipy import stats
    from scipy.spatial import distance
except ImportError:
    print("skip: numpy/scipy not available to /usr/bin/python3")
    sys.exit(SKIP)

from scipy_ref_more import evidently_psi_props  # noqa: E402 (after the skip)

c = Check()
real = os.path.join(c.shared, "data", "real")
if not os.path.isdir(real):
    print(f"skip: {real} not present")
    sys.exit(SKIP)

DETECTORS = "psi,ks,chi2,js,wasserstein,hellinger"
EPS = 1e-4
BINS = 10
MIN_PER_BIN = 10
MAX_NOISE = 0.01
THRESHOLDS = {"psi": 0.2, "js": 0.1, "wasserstein": 0.1, "hellinger": 0.1}


def rel_close(a, b, tol=1e-9):
    if a is None or b is None:
        return a is b
    return abs(a - b) <= tol * max(1.0, abs(b))


def p_close(a, b):
    """p-values: relative to the value itself (they reach 1e-40)."""
    return abs(a - b) <= 1e-8 * max(b, 1e-300) or abs(a - b) <= 1e-12


def quantile_bins(ref, cur):
    edges = np.unique(np.quantile(ref, [k / BINS for k in range(1, BINS)]))
    k = len(edges) + 1
    rc = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=k).astype(float)
    cc = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=k).astype(float)
    return rc, cc


def category_bins(ref, cur):
    cats = list(dict.fromkeys(ref))
    rc = [sum(1 for x in ref if x == k) for k in cats] + [0]
    cc = [sum(1 for x in cur if x == k) for k in cats] + [sum(1 for x in cur if x not in cats)]
    return np.array(rc, dtype=float), np.array(cc, dtype=float)


def psi(rc, cc):
    rp, cp = rc / rc.sum(), cc / cc.sum()
    rp = np.where(rp == 0, EPS, rp)
    cp = np.where(cp == 0, EPS, cp)
    return float(np.sum((cp - rp) * np.log(cp / rp)))


def hellinger(rc, cc):
    rp, cp = rc / rc.sum(), cc / cc.sum()
    return float(np.sqrt(np.sum((np.sqrt(rp) - np.sqrt(cp)) ** 2)) / math.sqrt(2))


def chi2(rc, cc):
    keep = (rc > 0) | (cc > 0)
    table = np.array([rc[keep], cc[keep]])
    if table.shape[1] < 2:
        return 0.0, 1.0, 0.0
    st, p, dof, _ = stats.chi2_contingency(table, correction=True)
    v = stats.contingency.association(table.astype(np.int64), method="cramer")
    return float(st), float(p), float(v)


def expected(ref, cur, categorical):
    """What each detector should say, computed here."""
    out = {}
    if categorical:
        rc, cc = category_bins(ref, cur)
        st, p, v = chi2(rc, cc)
        out["chi2"] = {"value": st, "p_value": p, "effect": v}
        bins = int(((rc > 0) | (cc > 0)).sum())
    else:
        r, q = np.array(ref, dtype=float), np.array(cur, dtype=float)
        ks = stats.ks_2samp(r, q)
        ksa = stats.ks_2samp(r, q, method="asymp")
        # drift.ks_method "auto": scipy's exact count only where it could
        # change the verdict (docs/policies.md), the asymptotic p elsewhere
        n, m = len(r), len(q)
        if max(n, m) > 10000:
            method = "asymp"  # scipy's auto too
        elif min(n, m) < 100:
            method = "exact"
        else:
            band = 0.01 / 10 <= ksa.pvalue <= 4 * 0.01 and ks.statistic >= 0.1
            method = "exact" if band else "asymp"
        out["ks"] = {"value": float(ks.statistic), "p_value": float(ks.pvalue),
                     "p_asymp": float(ksa.pvalue), "p_method": method}
        if np.ptp(r) == 0:
            # a constant reference: numpy's std is 0 or rounding noise;
            # kpigate reports the distance as infinite (value null)
            w = stats.wasserstein_distance(r, q)
            out["wasserstein"] = {"value": None if w > 0 else 0.0, "infinite": w > 0}
        else:
            out["wasserstein"] = {"value": float(stats.wasserstein_distance(r, q) / np.std(r))}
        rc, cc = quantile_bins(r, q)
        bins = len(rc)
    out["psi"] = {"value": psi(rc, cc)}
    out["js"] = {"value": float(distance.jensenshannon(rc / rc.sum(), cc / cc.sum(), base=2))}
    out["hellinger"] = {"value": hellinger(rc, cc)}
    few = min(len(ref), len(cur)) < MIN_PER_BIN * bins
    n_eff = len(ref) * len(cur) / (len(ref) + len(cur))
    # the noise rule: n_eff * PSI is about chi2(bins - 1) without drift;
    # JS and Hellinger through their PSI equivalents
    equiv = {"psi": THRESHOLDS["psi"], "js": 8 * math.log(2) * THRESHOLDS["js"] ** 2,
             "hellinger": 8 * THRESHOLDS["hellinger"] ** 2}
    for name in ("psi", "js", "hellinger"):
        noise = float(stats.chi2.sf(n_eff * equiv[name], bins - 1)) if bins > 1 else 0.0
        out[name]["judged"] = not few and noise <= MAX_NOISE
        out[name]["noise"] = noise
        out[name]["bins"] = bins
    return out


def write_csv(path, names, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names)
        w.writerows(rows)


def compare(case, names, ref_rows, cur_rows, categorical):
    rp = os.path.join(c.tmp, case + "-ref.csv")
    cp = os.path.join(c.tmp, case + "-cur.csv")
    write_csv(rp, names, ref_rows)
    write_csv(cp, names, cur_rows)
    args = ["compare", "--reference", rp, "--current", cp, "--json",
            "--detectors", DETECTORS]
    if categorical:
        args += ["--categorical", ",".join(categorical)]
    rc, out, err = c.run(*args)
    c.ok(rc in (0, 1), f"{case}: compare exits 0 or 1, got {rc}: {err[-500:]}")
    try:
        import json
        doc = json.loads(out)
    except ValueError:
        c.fail(f"{case}: not JSON: {out[:300]} {err[:300]}")
        return
    any_drift = False
    for f in doc["features"]:
        name = f["name"]
        col = names.index(name)
        ref = [r[col] for r in ref_rows]
        cur = [r[col] for r in cur_rows]
        is_cat = name in categorical
        if not is_cat:
            ref = [float(x) for x in ref]
            cur = [float(x) for x in cur]
        want = expected(ref, cur, is_cat)
        got = {d["detector"]: d for d in f["detectors"]}
        c.ok(set(got) == set(want),
             f"{case}/{name}: detectors {sorted(got)} != {sorted(want)}")
        drifted = False
        for det, w in want.items():
            g = got.get(det)
            if g is None:
                continue
            c.ok(rel_close(g["value"], w["value"]),
                 f"{case}/{name}/{det}: value {g['value']!r} vs {w['value']!r}")
            if det == "ks":
                # the p-value kpigate says it computed, scipy's of that method
                c.ok(g.get("p_method") == w["p_method"],
                     f"{case}/{name}/ks: p_method {g.get('p_method')} vs {w['p_method']}")
                wp = w["p_value"] if g.get("p_method") == "exact" else w["p_asymp"]
                c.ok(p_close(g["p_value"], wp), f"{case}/{name}/ks: p {g['p_value']!r} vs {wp!r}")
            elif "p_value" in w:
                c.ok(p_close(g["p_value"], w["p_value"]),
                     f"{case}/{name}/{det}: p {g['p_value']!r} vs {w['p_value']!r}")
            if "effect" in w:
                c.ok(rel_close(g["effect"], w["effect"]),
                     f"{case}/{name}/{det}: effect {g['effect']!r} vs {w['effect']!r}")
            if "judged" in w:
                c.ok(g["judged"] == w["judged"] and g.get("bins") == w["bins"],
                     f"{case}/{name}/{det}: judged {g['judged']} bins {g.get('bins')} "
                     f"vs {w['judged']} {w['bins']}")
                c.ok(abs(g["noise"] - w["noise"]) <= 1e-9 * max(w["noise"], 1e-300) + 1e-15,
                     f"{case}/{name}/{det}: noise {g['noise']!r} vs {w['noise']!r}")
            # the verdict, from the thresholds (no correction by default)
            if w.get("infinite"):
                c.ok(g.get("infinite") is True, f"{case}/{name}/{det}: infinite")
                d = True
            elif det in THRESHOLDS:
                d = w.get("judged", True) and w["value"] >= THRESHOLDS[det]
            elif det == "ks":
                d = w["p_value"] < 0.01 and w["value"] >= 0.1
            else:
                d = w["p_value"] < 0.01 and w["effect"] >= 0.1
            c.ok(g["drifted"] == d, f"{case}/{name}/{det}: drifted {g['drifted']} vs {d}")
            drifted = drifted or d
        c.ok(f["drifted"] == drifted, f"{case}/{name}: feature drifted {f['drifted']} vs {drifted}")
        any_drift = any_drift or drifted
    c.ok(rc == (1 if any_drift else 0), f"{case}: exit {rc}, drift {any_drift}")
    return doc


# bike sharing: numeric weather, categorical hour-of-day groups and weather
rows = list(csv.DictReader(open(os.path.join(real, "bike_sharing_hour.csv"), newline="")))
bike_names = ["temp", "atemp", "hum", "windspeed", "weathersit", "season"]
def month(prefix):
    return [[r[n] for n in bike_names] for r in rows if r["dteday"].startswith(prefix)]
jan, feb, jul = month("2011-01"), month("2011-02"), month("2011-07")
doc = compare("bike-jan-feb", bike_names, jan, feb, ["weathersit", "season"])
doc = compare("bike-jan-jul", bike_names, jan, jul, ["weathersit", "season"])
# January against July: temperature has moved by far more than any floor
temp = next(f for f in doc["features"] if f["name"] == "temp")
c.ok(temp["drifted"], "bike January vs July: temp drifts")
season = next(f for f in doc["features"] if f["name"] == "season")
c.ok(season["unseen"] == len(jul) and season["vanished"] == 1,
     f"bike January vs July: every July value is an unseen season ({season['unseen']}), "
     f"January's season vanished ({season['vanished']})")
c.ok(season["categories"]["vanished"] == ["1"] and
     season["categories"]["unseen"][0]["value"] == "3",
     f"season categories named: {season['categories']}")

# ELEC2, by row order (48 rows a day): weeks 1-4 vs weeks 60-63
erows = list(csv.DictReader(open(os.path.join(real, "electricity_elec2_normalized.csv"), newline="")))
enames = ["day", "period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"]
week = 48 * 7
e_ref = [[r[n] for n in enames] for r in erows[:4 * week]]
e_cur = [[r[n] for n in enames] for r in erows[59 * week:63 * week]]
compare("elec2", enames, e_ref, e_cur, ["day"])
# a small current window: the binned detectors report but do not judge
compare("elec2-small", enames, e_ref, e_cur[:60], ["day"])

# churn: two halves (no drift by construction of the split), then a half
# without its largest State: a vanished category
crows = list(csv.DictReader(open(os.path.join(real, "sagemaker_churn_3333.csv"), newline="")))
cnames = ["State", "Account Length", "Int l Plan", "Day Mins", "CustServ Calls"]
c_ref = [[r[n] for n in cnames] for r in crows[:1667]]
c_cur = [[r[n] for n in cnames] for r in crows[1667:]]
doc = compare("churn-halves", cnames, c_ref, c_cur, ["State", "Int l Plan"])
# two halves of one table: nothing drifts; Jensen-Shannon over 51 States in
# 1,666 values sits at its noise level (~0.1) and is not judged
c.ok(not any(f["drifted"] for f in doc["features"]),
     f"churn halves: no feature drifts: {[f['name'] for f in doc['features'] if f['drifted']]}")
js = next(d for f in doc["features"] if f["name"] == "State" for d in f["detectors"]
          if d["detector"] == "js")
c.ok(js["skipped"] == "noise" and js["noise"] > 0.3,
     f"churn halves: State's JS {js['value']:.3f} skipped as noise ({js.get('noise')})")
top = max(set(r[0] for r in c_ref), key=lambda s: sum(1 for r in c_ref if r[0] == s))
doc = compare("churn-no-top-state", cnames, c_ref, [r for r in c_cur if r[0] != top],
              ["State", "Int l Plan"])
state = next(f for f in doc["features"] if f["name"] == "State")
c.ok(top in state["categories"]["vanished"],
     f"churn: {top} named as vanished: {state['categories']}")


# ---- Evidently binning (--binning evidently) ---------------------------


def evidently_bins(ref, cur):
    """Evidently 0.7's get_binned_data for a numeric column: the union of
    values when the reference has 20 distinct ones or fewer, else numpy's
    Sturges bins over both samples."""
    ref, cur = np.array(ref, dtype=float), np.array(cur, dtype=float)
    if len(np.unique(ref)) <= 20:
        keys = np.union1d(ref, cur)
        rk, rn = np.unique(ref, return_counts=True)
        ck, cn = np.unique(cur, return_counts=True)
        r, q = np.zeros(len(keys)), np.zeros(len(keys))
        r[np.searchsorted(keys, rk)] = rn
        q[np.searchsorted(keys, ck)] = cn
        return r, q
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
    return (np.histogram(ref, edges)[0].astype(float),
            np.histogram(cur, edges)[0].astype(float))


def check_evidently(case, names, ref_rows, cur_rows, categorical):
    rp = os.path.join(c.tmp, case + "-ref.csv")
    cp = os.path.join(c.tmp, case + "-cur.csv")
    write_csv(rp, names, ref_rows)
    write_csv(cp, names, cur_rows)
    args = ["compare", "--reference", rp, "--current", cp, "--json", "--binning",
            "evidently", "--detectors", "psi,js,hellinger", "--max-noise-alarm", "1",
            "--min-values-per-bin", "0"]
    if categorical:
        args += ["--categorical", ",".join(categorical)]
    import json
    rc, out, err = c.run(*args)
    doc = json.loads(out)
    for f in doc["features"]:
        col = names.index(f["name"])
        ref = [r[col] for r in ref_rows]
        cur = [r[col] for r in cur_rows]
        if f["name"] in categorical:
            keys = sorted(set(ref) | set(cur))
            r = np.array([sum(1 for x in ref if x == k) for k in keys], dtype=float)
            q = np.array([sum(1 for x in cur if x == k) for k in keys], dtype=float)
        else:
            r, q = evidently_bins([float(x) for x in ref], [float(x) for x in cur])
        want = {"psi": evidently_psi_props(r / r.sum(), q / q.sum()),
                "js": float(distance.jensenshannon(r / r.sum(), q / q.sum(), base=2)),
                "hellinger": hellinger(r, q)}
        got = {d["detector"]: d for d in f["detectors"]}
        for det, w in want.items():
            c.ok(rel_close(got[det]["value"], w),
                 f"{case}/{f['name']}/{det} (Evidently bins): {got[det]['value']!r} vs {w!r}")
            c.ok(got[det]["bins"] == len(r) or f["name"] in categorical,
                 f"{case}/{f['name']}/{det}: {got[det]['bins']} bins vs {len(r)}")


check_evidently("bike-evidently", bike_names, jan, jul, ["weathersit", "season"])
check_evidently("elec2-evidently", enames, e_ref, e_cur, ["day"])
c.finish()
