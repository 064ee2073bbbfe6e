#!/usr/bin/python3
"""Reference values for tests/test_detectors_scipy.c.

Usage: scipy_ref.py MANIFEST

Each MANIFEST line is one case; arrays are raw little-endian float64 files:
  ks A B            -> "ks STAT PVALUE WARNED ASTAT APVALUE"
                       scipy.stats.ks_2samp(a, b), then with method='asymp'
  kstwo PAIRS       -> "kstwo SF SF ..."         scipy.stats.kstwo.sf(d, n)
                       for PAIRS = d0 n0 d1 n1 ...
  psi REF CUR BINS  -> "psi VALUE"               PSI by the definition in
                       detectors/psi.h, with numpy.quantile edges
Floats are printed with repr() so they round-trip exactly.
Exit 77 when numpy or scipy cannot be imported (the C test then skips).
"""
import math
import sys
import warnings

try:
    import numpy as np
    from scipy import stats
except ImportError:
    sys.exit(77)

EPS = 1e-4


def load(path):
    return np.fromfile(path, dtype="<f8")


def psi_ref(ref, cur, bins):
    ref = np.sort(ref)
    q = np.arange(1, bins) / bins
    edges = np.unique(np.quantile(ref, q))
    nb = len(edges) + 1
    rc = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=nb)
    cc = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=nb)
    s = 0.0
    for i in range(nb):
        pr = float(rc[i]) / len(ref)
        pc = float(cc[i]) / len(cur)
        pr = EPS if pr == 0.0 else pr
        pc = EPS if pc == 0.0 else pc
        s += (pc - pr) * math.log(pc / pr)
    return s


def main():
    with open(sys.argv[1]) as f:
        lines = [ln.split() for ln in f if ln.strip()]
    out = []
    for w in lines:
        if w[0] == "ks":
            a, b = load(w[1]), load(w[2])
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                r = stats.ks_2samp(a, b)
            warned = int(any("Exact calculation unsuccessful" in str(c.message)
                             for c in caught))
            ra = stats.ks_2samp(a, b, method="asymp")
            out.append("ks %r %r %d %r %r" % (float(r.statistic), float(r.pvalue),
                                               warned, float(ra.statistic),
                                               float(ra.pvalue)))
        elif w[0] == "kstwo":
            p = load(w[1]).reshape(-1, 2)
            vals = [float(stats.kstwo.sf(d, n)) for d, n in p]
            out.append("kstwo " + " ".join(repr(v) for v in vals))
        elif w[0] == "psi":
            out.append("psi %r" % psi_ref(load(w[1]), load(w[2]), int(w[3])))
        else:
            sys.stderr.write("scipy_ref.py: unknown case %r\n" % w[0])
            return 2
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
