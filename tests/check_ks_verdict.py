"""drift.ks_method "auto" skips scipy's exact KS count when the asymptotic
p-value lies outside [alpha / 10, 4 alpha] (controller/pipeline/evaluate.c,
docs/policies.md). That is safe only if, for the sizes it is used at (both
samples 100..10,000 values), the exact p-value never falls on the other
side of alpha there. This checks it with scipy itself on a grid: sample
sizes from 100 to 10,000 (equal, close and far apart; the equal sizes are
where the two p-values differ most), statistics from no drift to p ~
1e-300, thresholds from 1e-6 to 0.2:

  asymptotic p > 4 alpha   =>  exact p > alpha   (not drifted either way)
  asymptotic p < alpha/10  =>  exact p < alpha   (drifted either way)

and prints the exact / asymptotic ratio seen. Then it runs `kpigate
compare` on a window near the 0.01 threshold and on two far from it, with
no floor on the statistic and with the default 0.1: the audit's p_method
says exact only for the near one with a statistic above its floor, asymp
otherwise (and exact for all under a correction); each p-value is
scipy's of that method, the statistic scipy's exact method's, and each
verdict the exact p-value's."""
import json
import os
import sys

from kpg_check import Check, SKIP

try:
    import numpy as np
    from scipy import stats
    from scipy.stats._stats_py import _attempt_exact_2kssamp
except ImportError:
    print("skip: numpy/scipy are not installed (scripts/install-deps.sh)")
    sys.exit(SKIP)

c = Check()
ALPHAS = [1e-6, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.2]
SIZES = [(100, 100), (100, 101), (100, 5000), (150, 300), (300, 300), (1000, 1000),
         (1000, 5000), (2000, 5000), (2000, 2000), (5000, 10000), (10000, 10000)]
lo_ratio, hi_ratio, points, wrong = np.inf, 0.0, 0, []
for n, m in SIZES:
    g = int(np.gcd(n, m))
    lcm = (n // g) * m
    en = n * m / (n + m)
    for z in np.concatenate([np.linspace(0.3, 4.5, 43), np.linspace(5, 26, 22)]):
        d = z / np.sqrt(en)
        if d >= 1:
            break
        d = round(d * lcm) / lcm
        ok, _, pe = _attempt_exact_2kssamp(n, m, g, d, "two-sided")
        if not ok:
            continue
        pa = stats.kstwo.sf(d, np.round(en))
        points += 1
        if pa > 1e-16 and pe > 0:
            lo_ratio, hi_ratio = min(lo_ratio, pe / pa), max(hi_ratio, pe / pa)
        for a in ALPHAS:
            if (pa > 4 * a and not pe > a) or (pa < a / 10 and not pe < a):
                wrong.append((n, m, d, a, pe, pa))
c.ok(points > 400, f"the grid has {points} points")
c.ok(not wrong, f"the shortcut never changes a verdict: {wrong[:5]}")
print(f"exact / asymptotic p-value ratio on the grid (p_asymp > 1e-16): "
      f"{lo_ratio:.4f} .. {hi_ratio:.4f}")

# kpigate itself: a reference of 1,000 and windows of 500 values, one
# near the 0.01 threshold and two far from it
rng = np.random.default_rng(7)
ref = rng.normal(0, 1, 1000)
cases = {}
for name, shift in (("calm", 0.0), ("near", None), ("far", 0.6)):
    if shift is None:  # a shift whose exact p-value is near 0.01
        for s in np.linspace(0.05, 0.4, 71):
            cur = rng.normal(s, 1, 500)
            p = stats.ks_2samp(ref, cur).pvalue
            if 0.003 < p < 0.03:
                break
    else:
        cur = rng.normal(shift, 1, 500)
    cases[name] = cur
seen = set()
refpath = c.write("ref.csv", "x\n" + "\n".join(repr(v) for v in ref) + "\n")
for name, cur in cases.items():
    curpath = c.write(f"{name}.csv", "x\n" + "\n".join(repr(v) for v in cur) + "\n")
    exact = stats.ks_2samp(ref, cur, method="exact")
    asymp = stats.ks_2samp(ref, cur, method="asymp").pvalue
    # with no floor on the statistic, then kpigate's default floor of 0.1
    for floor in ("0", "0.1"):
        rc, out, err = c.run("compare", "--reference", refpath, "--current", curpath,
                             "--detectors", "ks", "--ks-min-statistic", floor, "--json")
        c.ok(rc in (0, 1), f"{name}: kpigate compare exit {rc}: {err[-400:]}")
        if rc not in (0, 1):
            continue
        det = [d for f in json.loads(out)["features"] for d in f.get("detectors", [])
               if d["detector"] == "ks"][0]
        band = 0.01 / 10 <= asymp <= 4 * 0.01 and exact.statistic >= float(floor)
        want = "exact" if band else "asymp"
        c.ok(det.get("p_method") == want,
             f"{name}, floor {floor}: p_method {det.get('p_method')}, want {want} "
             f"(asymp p {asymp:.3g}, D {exact.statistic:.4f})")
        got, ref_p = det["p_value"], exact.pvalue if band else asymp
        c.ok(abs(got - ref_p) <= 1e-8 * ref_p + 1e-300,
             f"{name}, floor {floor}: p-value {got!r} is scipy's {want} one {ref_p!r}")
        c.ok(det["value"] == exact.statistic,
             f"{name}, floor {floor}: the statistic {det['value']!r} is scipy's exact "
             f"method's {exact.statistic!r}")
        c.ok(det["drifted"] == (exact.pvalue < 0.01 and exact.statistic >= float(floor)),
             f"{name}, floor {floor}: the verdict is the exact p-value's "
             f"({exact.pvalue:.3g} vs 0.01)")
    # under a correction every p-value feeds the others': always exact
    rc, out, err = c.run("compare", "--reference", refpath, "--current", curpath,
                         "--detectors", "ks", "--correction", "benjamini_hochberg", "--json")
    det = [d for f in json.loads(out)["features"] for d in f.get("detectors", [])
           if d["detector"] == "ks"][0] if rc in (0, 1) else {}
    c.ok(det.get("p_method") == "exact" and
         abs(det["p_value"] - exact.pvalue) <= 1e-8 * exact.pvalue + 1e-300,
         f"{name}, corrected: p_method {det.get('p_method')}, p {det.get('p_value')!r} "
         f"vs scipy's exact {exact.pvalue!r} ({err[-300:]})")
    seen.add(name)
c.ok(seen == set(cases), f"every case ran: {sorted(seen)}")
c.finish()
