"""`kpigate compare` end to end, cross-checked against scipy and numpy:
per-feature KS statistic and p-value (scipy.stats.ks_2samp), PSI by its
definition (numpy.quantile edges), categorical PSI with an unseen bin,
missing cells counted and kept out, drift flags and exit codes."""
import json
import math
import sys

from kpg_check import Check, SKIP

try:
    import numpy as np
    from scipy import stats
except ImportError:
    print("skip: numpy/scipy not available to /usr/bin/python3")
    sys.exit(SKIP)

c = Check()
rng = np.random.default_rng(5)


def psi_numeric(ref, cur, bins=10):
    edges = np.unique(np.quantile(ref, [k / bins for k in range(1, bins)]))
    rp = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=len(edges) + 1) / len(ref)
    cp = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=len(edges) + 1) / len(cur)
    rp = np.where(rp == 0, 1e-4, rp)
    cp = np.where(cp == 0, 1e-4, cp)
    return float(np.sum((cp - rp) * np.log(cp / rp)))


def psi_categorical(ref, cur):
    cats = list(dict.fromkeys(ref))
    def props(xs):
        counts = [sum(1 for x in xs if x == k) for k in cats] + [sum(1 for x in xs if x not in cats)]
        p = np.array(counts, dtype=float) / len(xs)
        return np.where(p == 0, 1e-4, p)
    rp, cp = props(ref), props(cur)
    return float(np.sum((cp - rp) * np.log(cp / rp)))


n_ref, n_cur = 3000, 2200
ref = {
    "stable": rng.normal(0, 1, n_ref),
    "shifted": rng.normal(0, 1, n_ref),
    "ties": rng.integers(0, 5, n_ref).astype(float),
    "plan": rng.choice(["basic", "plus", "pro"], n_ref, p=[0.5, 0.3, 0.2]),
}
cur = {
    "stable": rng.normal(0, 1, n_cur),
    "shifted": rng.normal(0.6, 1, n_cur),
    "ties": rng.integers(0, 5, n_cur).astype(float),
    "plan": rng.choice(["basic", "plus", "pro", "enterprise"], n_cur, p=[0.2, 0.3, 0.2, 0.3]),
}
cur_missing = 17  # empty cells in "stable": counted, not fed to the statistics
names = list(ref)


def write(name, cols, n, missing=0):
    rows = [",".join(names + ["label"])]
    for i in range(n):
        cells = []
        for k in names:
            v = cols[k][i]
            cells.append("" if (k == "stable" and i < missing) else
                         (repr(float(v)) if k != "plan" else str(v)))
        rows.append(",".join(cells) + ",0")
    return c.write(name, "\n".join(rows) + "\n")


a = write("ref.csv", ref, n_ref)
b = write("cur.csv", cur, n_cur, cur_missing)
rc, out, err = c.run("compare", "--reference", a, "--current", b, "--label", "label", "--json")
c.ok(rc == 1, f"drift found exits 1: {rc} {err}")
res = {f["name"]: f for f in json.loads(out)["features"]}
c.ok(sorted(res) == sorted(names), f"one entry per feature, label excluded: {sorted(res)}")
for k in ["stable", "shifted", "ties"]:
    cur_vals = cur[k][cur_missing:] if k == "stable" else cur[k]
    ks = stats.ks_2samp(ref[k], cur_vals)
    f = res[k]
    # the p-value of the method kpigate reports (drift.ks_method "auto":
    # exact only where it could change the verdict)
    ks_det = [d for d in f["detectors"] if d["detector"] == "ks"][0]
    if ks_det.get("p_method") == "asymp":
        ks = stats.ks_2samp(ref[k], cur_vals, method="asymp")
    c.ok(f["type"] == "numeric", f"{k} inferred numeric")
    c.ok(abs(f["ks_statistic"] - ks.statistic) <= 1e-12,
         f"{k}: KS statistic {f['ks_statistic']} vs scipy {ks.statistic}")
    c.ok(abs(f["ks_p_value"] - ks.pvalue) <= 1e-8 * max(ks.pvalue, 1e-300),
         f"{k}: KS p {f['ks_p_value']} vs scipy {ks.pvalue}")
    want = psi_numeric(ref[k], cur_vals)
    c.ok(abs(f["psi"] - want) <= 1e-12 * max(1.0, abs(want)), f"{k}: PSI {f['psi']} vs {want}")
c.ok(res["stable"]["missing"] == cur_missing and res["stable"]["n"] == n_cur - cur_missing,
     f"missing cells counted, not used: {res['stable']}")
p = res["plan"]
c.ok(p["type"] == "categorical" and p["ks_statistic"] is None, "plan is categorical, no KS")
want = psi_categorical(list(ref["plan"]), list(cur["plan"]))
c.ok(abs(p["psi"] - want) <= 1e-12 * max(1.0, want), f"plan: PSI {p['psi']} vs {want}")
c.ok(res["shifted"]["drifted"] and res["plan"]["drifted"], "shifted and plan drift")
c.ok(not res["stable"]["drifted"] and not res["ties"]["drifted"], "stable and ties do not")

# no drift: exit 0; text output names every feature
rc, out, err = c.run("compare", "--reference", a, "--current", a, "--label", "label")
c.ok(rc == 0 and all(k in out for k in names) and "0 of 4 features drifted" in out,
     f"identical files: exit 0 and a table: {rc} {out[-200:]}")
# usage and input errors
c.run("compare", "--reference", a, expect=2)
c.run("compare", "--reference", a, "--current", b, "--bins", "1", expect=2)
# trouble is 2, never 1 (1 is drift): every missing column in one message,
# with the nearest column when one is a likely typo
rc, _, err = c.run("compare", "--reference", a, "--current",
                   c.write("bad.csv", "stable,shiftd\n1,2\n"), "--label", "label")
c.ok(rc == 2 and "3 columns of the reference are missing: 'shifted' (did you mean 'shiftd'?), "
     "'ties', 'plan'" in err and err.count("\n") == 1,
     f"a current file without the reference's columns: one message, exit 2: {rc} {err}")
rc, _, err = c.run("compare", "--reference", c.path("nope.csv"), "--current", b)
c.ok(rc == 2 and "nope.csv: cannot open" in err, f"an unreadable reference: exit 2: {rc} {err}")
rc, _, err = c.run("compare", "--reference", a, "--current", c.path("nope.csv"))
c.ok(rc == 2 and "nope.csv: cannot open" in err, f"an unreadable current file: exit 2: {rc} {err}")
rc, _, err = c.run("compare", "--reference", a, "--current",
                   c.write("text.csv", "stable,shifted,ties,plan\n1,x,2,basic\n"),
                   "--label", "label")
c.ok(rc == 2 and "'shifted' is numeric in the reference but has 'x'" in err,
     f"text in a numeric column: exit 2: {rc} {err}")

# --features: only these; --exclude: all but these; repeated or comma lists
rc, out, err = c.run("compare", "--reference", a, "--current", b, "--label", "label",
                     "--features", "stable,ties", "--json")
got = [f["name"] for f in json.loads(out)["features"]] if out else []
c.ok(rc == 0 and got == ["stable", "ties"], f"--features stable,ties: only those, no drift: {rc} {got} {err}")
rc, out, err = c.run("compare", "--reference", a, "--current", b, "--features", "shifted",
                     "--features", "plan", "--json")
got = [f["name"] for f in json.loads(out)["features"]] if out else []
c.ok(rc == 1 and got == ["shifted", "plan"], f"--features repeated, label left out: {rc} {got} {err}")
rc, out, err = c.run("compare", "--reference", a, "--current", b, "--label", "label",
                     "--exclude", "shifted,plan", "--json")
got = [f["name"] for f in json.loads(out)["features"]] if out else []
c.ok(rc == 0 and got == ["stable", "ties"], f"--exclude shifted,plan: the drifted ones dropped: {rc} {got} {err}")
# --categorical: a numeric column compared by its categories (ties has 5)
rc, out, err = c.run("compare", "--reference", a, "--current", b, "--label", "label",
                     "--features", "ties", "--categorical", "ties", "--json")
f = json.loads(out)["features"][0] if out else {}
ties = [repr(float(x)) for x in ref["ties"]], [repr(float(x)) for x in cur["ties"]]
want = psi_categorical(*ties)
c.ok(rc == 0 and f.get("type") == "categorical" and f.get("ks_statistic") is None and
     abs(f.get("psi", -1) - want) <= 1e-12 * max(1.0, want),
     f"--categorical ties: categorical PSI {f.get('psi')} vs {want}: {rc} {err}")
# every column an option names must be in the reference: all named, with hints
rc, _, err = c.run("compare", "--reference", a, "--current", b, "--label", "lable",
                   "--exclude", "stabel", "--features", "ties,plna,nothing_like_it")
c.ok(rc == 2 and "--label names a column not in the header: 'lable' (did you mean 'label'?)" in err
     and "--exclude names a column not in the header: 'stabel' (did you mean 'stable'?)" in err
     and "--features names columns not in the header: 'plna' (did you mean 'plan'?), 'nothing_like_it'" in err,
     f"missing option columns, all of them: {rc} {err}")
c.run("compare", "--reference", a, "--current", b, "--exclude", "plan", "--features", "plan", expect=2)
c.run("compare", "--reference", a, "--current", b, "--features", "ties", "--categorical", "plan", expect=2)
c.run("compare", "--reference", a, "--current", b, "--exclude", "stable,", expect=2)
c.finish()
