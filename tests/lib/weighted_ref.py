#!/usr/bin/python3
"""Reference values for tests/test_detectors_weighted.c, computed with numpy
independently of detectors/. Arrays are raw little-endian float64 files;
floats are printed with repr() so they round-trip exactly.

Usage: weighted_ref.py REF WEIGHTS CUR N [CUR_WEIGHTS M]
  The two-sample KS statistic of a current sample against a weighted
  reference, and its kstwo p-value. REF and CUR sorted; N: the reference's
  count (weight_total), M the current one's (default len(CUR)). Prints
  "D P".
  F_ref(x) = (sum of weights of REF <= x) / sum(weights)
  F_cur(x) = (#CUR <= x) / len(CUR), or weighted like F_ref
  D = max over every value of either |F_ref - F_cur|
  P = scipy.stats.kstwo.sf(D, round(N M / (N + M)))  (round half to even)

Usage: weighted_ref.py psibins REF CUR CUR_WEIGHTS BINS
  The weighted current counts over detectors/psi.h's bins of REF (sorted):
  edges = numpy.unique(numpy.quantile(REF, k / BINS)), k = 1..BINS-1; a
  value's bin is numpy.searchsorted(edges, v, side="left") (the number of
  edges < v: each bin (e_i-1, e_i], right-closed); the counts are
  numpy.bincount(bin, weights=CUR_WEIGHTS). Prints "NE E1 .. ENE C1 .. CNE+1".

Usage: weighted_ref.py psie REF REF_WEIGHTS CUR CUR_WEIGHTS BINS
  Evidently's bins (detectors/psi_evidently.h) of two weighted samples
  (sorted; a weight is a multiplicity, 0 = absent): the reference has <= 20
  distinct values of positive weight -> the union of both samples' values
  of positive weight, the weight per value; else numpy.histogram(x,
  edges, weights=w) over edges = numpy 1.24's histogram_bin_edges with the
  count N = total weight of both (Sturges, BINS 0: width = ptp /
  (log2(N) + 1), ceil(ptp / width) bins; else BINS bins) over [min, max]
  of the values of positive weight. Prints "CAT K REF_TOTAL CUR_TOTAL PSI
  R1 .. RK C1 .. CK", PSI Evidently's (per-row fill of zero proportions).

Exit 77 when numpy (or, for KS, scipy) cannot be imported (the C test
then skips).
"""
import sys

try:
    import numpy as np
except ImportError:
    sys.exit(77)


def load(path):
    return np.fromfile(path, dtype="<f8")


def fmt(vals):
    return " ".join(repr(float(v)) for v in vals)


def ks(argv):
    try:
        from scipy import stats
    except ImportError:
        sys.exit(77)
    x = load(argv[1])
    w = load(argv[2])
    y = load(argv[3])
    big_n = float(argv[4])
    yw = load(argv[5]) if len(argv) > 5 else np.ones(len(y))
    m = float(argv[6]) if len(argv) > 6 else float(len(y))
    pts = np.union1d(x, y)
    cw = np.concatenate([[0.0], np.cumsum(w)])
    cyw = np.concatenate([[0.0], np.cumsum(yw)])
    f_ref = cw[np.searchsorted(x, pts, side="right")] / w.sum()
    f_cur = cyw[np.searchsorted(y, pts, side="right")] / yw.sum()
    d = float(np.max(np.abs(f_ref - f_cur)))
    en = round(big_n * m / (big_n + m))
    print(repr(d), repr(float(stats.kstwo.sf(d, en))))


def psibins(argv):
    ref, cur, cw = (load(a) for a in argv[2:5])
    bins = int(argv[5])
    edges = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
    idx = np.searchsorted(edges, cur, side="left")
    counts = np.bincount(idx, weights=cw, minlength=len(edges) + 1)
    print(len(edges), fmt(edges), fmt(counts))


def evidently_fill(prop):
    """Evidently's replacement for a row's zero proportions."""
    lo = prop[prop != 0].min()
    fill = lo / 10**6 if lo <= 0.0001 else 0.0001
    out = prop.copy()
    out[out == 0] = fill
    return out


def psie(argv):
    ref, rw, cur, cw = (load(a) for a in argv[2:6])
    bins = int(argv[6])
    rpos, cpos = ref[rw > 0], cur[cw > 0]
    if len(np.unique(rpos)) <= 20:
        cat = 1
        keys = np.union1d(rpos, cpos)
        r = np.array([rw[ref == k].sum() for k in keys])
        c = np.array([cw[cur == k].sum() for k in keys])
    else:
        cat = 0
        first = min(rpos.min(), cpos.min())
        last = max(rpos.max(), cpos.max())
        if bins == 0:
            width = (last - first) / (np.log2(rw.sum() + cw.sum()) + 1.0)
            bins = int(np.ceil((last - first) / width))
        edges = np.linspace(first, last, bins + 1, endpoint=True)
        r = np.histogram(ref, edges, weights=rw)[0]
        c = np.histogram(cur, edges, weights=cw)[0]
    rp = evidently_fill(r / rw.sum())
    cp = evidently_fill(c / cw.sum())
    psi = float(np.sum((rp - cp) * np.log(rp / cp)))
    print(cat, len(r), repr(float(rw.sum())), repr(float(cw.sum())),
          repr(psi), fmt(r), fmt(c))


if sys.argv[1] == "psibins":
    psibins(sys.argv)
elif sys.argv[1] == "psie":
    psie(sys.argv)
else:
    ks(sys.argv)
