#!/usr/bin/python3
"""Reference values for tests/test_detectors_weighted.c: the two-sample KS
statistic of a current sample against a weighted reference, computed with
numpy independently of detectors/ks_weighted.c, and its kstwo p-value.

Usage: weighted_ref.py REF WEIGHTS CUR N
REF, WEIGHTS, CUR: raw little-endian float64 files (REF and CUR sorted);
N: the reference's count (weight_total). Prints "D P" with repr().
  F_ref(x) = (sum of weights of REF <= x) / sum(weights)
  F_cur(x) = (#CUR <= x) / len(CUR)
  D = max over every value of either |F_ref - F_cur|
  P = scipy.stats.kstwo.sf(D, round(N m / (N + m)))  (round half to even)
Exit 77 when numpy or scipy cannot be imported (the C test then skips).
"""
import sys

try:
    import numpy as np
    from scipy import stats
except ImportError:
    sys.exit(77)

x = np.fromfile(sys.argv[1], dtype="<f8")
w = np.fromfile(sys.argv[2], dtype="<f8")
y = np.fromfile(sys.argv[3], dtype="<f8")
big_n = float(sys.argv[4])
pts = np.union1d(x, y)
cw = np.concatenate([[0.0], np.cumsum(w)])
f_ref = cw[np.searchsorted(x, pts, side="right")] / w.sum()
f_cur = np.searchsorted(y, pts, side="right") / len(y)
d = float(np.max(np.abs(f_ref - f_cur)))
m = float(len(y))
en = round(big_n * m / (big_n + m))
print(repr(d), repr(float(stats.kstwo.sf(d, en))))
