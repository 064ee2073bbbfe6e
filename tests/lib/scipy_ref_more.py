#!/usr/bin/python3
"""Reference values for tests/test_detectors_more_scipy.c.

Usage: scipy_ref_more.py MANIFEST

Each MANIFEST line is one case; arrays are raw little-endian float64 files,
"-" for an absent one:
  chi2 R C        -> "chi2 STAT P DOF V"   scipy.stats.chi2_contingency on
                     [R; C] with the all-zero columns dropped; V by
                     scipy.stats.contingency.association(method="cramer")
                     when the counts are integers, else sqrt(chi2 / N) of
                     chi2_contingency(correction=False)
  dist R C        -> "dist JS2 JSE HELL PSIE"  jensenshannon(R, C, base=2),
                     base e, Hellinger by the numpy formula, and Evidently's
                     PSI over the union of categories (both-zero dropped)
  wass U V UW VW  -> "wass D STD"          scipy.stats.wasserstein_distance,
                     numpy.std(U) (weighted: sqrt(average((U-mean)^2, UW)))
  psie U V BINS REPS -> "psie VALUE"       Evidently's PSI in numpy; BINS 0 =
                     "sturges"; REPS: integer multiplicities of U, applied
                     with numpy.repeat first
  jspsi U V BINS  -> "jspsi JS2 HELL"      JS (base 2) and Hellinger over the
                     bins of detectors/psi.h (numpy.quantile edges)
  corr P          -> "corr B1 .. Bn H1 .. Hn"  Bonferroni and BH adjusted p
Floats are printed with repr() so they round-trip exactly.
Exit 77 when numpy or scipy cannot be imported (the C test then skips).
"""
import math
import sys

try:
    import numpy as np
    from scipy import stats
    from scipy.spatial import distance
    from scipy.stats import contingency
except ImportError:
    sys.exit(77)


def load(path):
    return None if path == "-" else np.fromfile(path, dtype="<f8")


def chi2_case(r, c):
    t = np.vstack([r, c])
    t = t[:, t.sum(axis=0) > 0]
    integral = bool(np.all(t == np.floor(t)))
    if integral:
        t = t.astype(np.int64)
    res = stats.chi2_contingency(t)
    dof = int(res[2])
    if dof == 0:
        v = 0.0
    elif integral:
        v = contingency.association(t, method="cramer")
    else:
        plain = stats.chi2_contingency(t, correction=False)[0]
        v = math.sqrt(plain / t.sum())
    return float(res[0]), float(res[1]), dof, float(v)


def evidently_fill(prop):
    """Evidently's replacement for a row's zero proportions."""
    lo = prop[prop != 0].min()
    fill = lo / 10**6 if lo <= 0.0001 else 0.0001
    out = prop.copy()
    out[out == 0] = fill
    return out


def evidently_psi_props(r, c):
    r = evidently_fill(r)
    c = evidently_fill(c)
    return float(np.sum((r - c) * np.log(r / c)))


def evidently_psi_numeric(ref, cur, bins):
    """get_binned_data + psi of Evidently 0.7 (legacy stattests), numeric
    column; bins=0 is what Evidently does (Sturges), bins>0 what n_bins
    would do if it were passed on."""
    if len(np.unique(ref)) <= 20:
        keys = np.union1d(ref, cur)
        rk, rn = np.unique(ref, return_counts=True)
        ck, cn = np.unique(cur, return_counts=True)
        r = np.zeros(len(keys))
        c = np.zeros(len(keys))
        r[np.searchsorted(keys, rk)] = rn
        c[np.searchsorted(keys, ck)] = cn
    else:
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]),
                                       bins="sturges" if bins == 0 else bins)
        r = np.histogram(ref, edges)[0].astype(float)
        c = np.histogram(cur, edges)[0].astype(float)
    return evidently_psi_props(r / len(ref), c / len(cur))


def psi_bins(ref, cur, bins):
    ref = np.sort(ref)
    edges = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
    nb = len(edges) + 1
    rc = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=nb)
    cc = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=nb)
    return rc.astype(float), cc.astype(float)


def hellinger(r, c):
    p = r / r.sum()
    q = c / c.sum()
    return float(np.sqrt(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2)) / np.sqrt(2))


def bonferroni(p):
    return np.minimum(1.0, len(p) * p)


def bh(p):
    n = len(p)
    order = np.argsort(p, kind="mergesort")
    scaled = p[order] * n / np.arange(1, n + 1)
    adj = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(n)
    out[order] = adj
    return out


def fmt(vals):
    return " ".join(repr(float(v)) for v in vals)


def main():
    with open(sys.argv[1]) as f:
        lines = [ln.split() for ln in f if ln.strip()]
    out = []
    for w in lines:
        kind = w[0]
        if kind == "chi2":
            s, p, dof, v = chi2_case(load(w[1]), load(w[2]))
            out.append("chi2 %r %r %d %r" % (s, p, dof, v))
        elif kind == "dist":
            r, c = load(w[1]), load(w[2])
            keep = (r + c) > 0
            out.append("dist " + fmt([
                distance.jensenshannon(r, c, base=2),
                distance.jensenshannon(r, c),
                hellinger(r, c),
                evidently_psi_props(r[keep] / r.sum(), c[keep] / c.sum())]))
        elif kind == "wass":
            u, v, uw, vw = (load(x) for x in w[1:5])
            d = stats.wasserstein_distance(u, v, uw, vw)
            if uw is None:
                sd = np.std(u)
            else:
                avg = np.average(u, weights=uw)
                sd = np.sqrt(np.average((u - avg) ** 2, weights=uw))
            out.append("wass " + fmt([d, sd]))
        elif kind == "psie":
            u, v, reps = load(w[1]), load(w[2]), load(w[4])
            if reps is not None:
                u = np.repeat(u, reps.astype(np.int64))
            out.append("psie %r" % evidently_psi_numeric(u, v, int(w[3])))
        elif kind == "jspsi":
            rc, cc = psi_bins(load(w[1]), load(w[2]), int(w[3]))
            out.append("jspsi " + fmt([distance.jensenshannon(rc, cc, base=2),
                                       hellinger(rc, cc)]))
        elif kind == "corr":
            p = load(w[1])
            out.append("corr " + fmt(list(bonferroni(p)) + list(bh(p))))
        else:
            sys.stderr.write("scipy_ref_more.py: unknown case %r\n" % kind)
            return 2
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
