#!/usr/bin/env bash
# Each kpigate detector (C) against the equivalent scipy/numpy call
# (/usr/bin/python3, timeit), on the same generated arrays, in one run.
# Prints seconds per call for both and scipy / kpigate. Not a test: timings
# never gate ctest (docs/performance.md, "Detectors vs scipy").
# usage: bench/detectors_vs_scipy.sh [bench_detectors options: -n REF -m CUR -k CATS -c COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-bench}
./scripts/build.sh "$build" -DCMAKE_BUILD_TYPE=Release -DKPIGATE_TESTS=OFF >/dev/null
dir=$(mktemp -d "${TMPDIR:-/tmp}/kpg-detbench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"./$build/bench/bench_detectors" "$dir" "$@" >"$dir/c.txt"
/usr/bin/python3 - "$dir" >"$dir/py.txt" <<'PY'
import sys
import timeit

import numpy as np
from scipy import stats
from scipy.spatial import distance

d = sys.argv[1]
ld = lambda name: np.fromfile("%s/%s" % (d, name), dtype="<f8")
ref, refw, cur = ld("ref"), ld("refw"), ld("cur")
cref, ccur, pv = ld("cref"), ld("ccur"), ld("pv")
table = np.vstack([cref, ccur]).astype(np.int64)
edges = np.unique(np.quantile(ref, np.arange(1, 10) / 10))
nb = len(edges) + 1
rprop = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=nb) / len(ref)


def psi():  # detectors/psi.h with the reference bins built beforehand
    c = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=nb) / len(cur)
    r = np.where(rprop == 0, 1e-4, rprop)
    c = np.where(c == 0, 1e-4, c)
    return np.sum((c - r) * np.log(c / r))


def fill(p):
    lo = p[p != 0].min()
    return np.where(p == 0, lo / 1e6 if lo <= 1e-4 else 1e-4, p)


def psi_sorted():  # the same, on the sorted window: a bin is a run of it
    c = np.diff(np.searchsorted(cur, edges, side="right"), prepend=0, append=len(cur)) / len(cur)
    r = np.where(rprop == 0, 1e-4, rprop)
    c = np.where(c == 0, 1e-4, c)
    return np.sum((c - r) * np.log(c / r))


def psi_evidently():
    e = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
    r = fill(np.histogram(ref, e)[0] / len(ref))
    c = fill(np.histogram(cur, e)[0] / len(cur))
    return np.sum((r - c) * np.log(r / c))


def psi_evidently_counts():
    r = fill(cref / cref.sum())
    c = fill(ccur / ccur.sum())
    return np.sum((r - c) * np.log(r / c))


def hellinger():
    p, q = cref / cref.sum(), ccur / ccur.sum()
    return np.sqrt(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2)) / np.sqrt(2)


def bh():
    n = len(pv)
    o = np.argsort(pv)
    a = np.minimum.accumulate((pv[o] * n / np.arange(1, n + 1))[::-1])[::-1]
    out = np.empty(n)
    out[o] = np.minimum(a, 1)
    return out


# the window the C side reads is sorted, and both PSI forms agree
assert np.all(np.diff(cur) >= 0) and np.isclose(psi(), psi_sorted())
calls = {
    "psi": psi,
    "psi_sorted": psi_sorted,
    "ks": lambda: stats.ks_2samp(ref, cur),
    "wasserstein": lambda: (stats.wasserstein_distance(ref, cur), np.std(ref)),
    "wasserstein_weighted": lambda: (
        stats.wasserstein_distance(ref, cur, refw),
        np.sqrt(np.average((ref - np.average(ref, weights=refw)) ** 2, weights=refw))),
    "psi_evidently": psi_evidently,
    "chi2": lambda: (stats.chi2_contingency(table),
                     stats.contingency.association(table)),
    "js": lambda: distance.jensenshannon(cref, ccur, base=2),
    "hellinger": hellinger,
    "psi_evidently_counts": psi_evidently_counts,
    "bh_1000": bh,
    "sort_cur": lambda: np.sort(cur[::-1]),
}
for name, fn in calls.items():
    t = timeit.Timer(fn)
    number, _ = t.autorange()
    number = max(number, 1)
    best = min(t.repeat(3, number)) / number
    print("py %s %.6e" % (name, best), flush=True)
PY
head -1 "$dir/c.txt"
printf '%-22s %14s %14s %10s\n' detector "kpigate s" "scipy/numpy s" "ratio"
awk 'FNR == NR && $1 == "py" { py[$2] = $3; next }
     $1 == "c" { printf "%-22s %14.3e %14.3e %9.1fx\n", $2, $3, py[$2], py[$2] / $3 }' \
	"$dir/py.txt" "$dir/c.txt"
echo "(ratio = scipy/numpy time / kpigate time; python $(/usr/bin/python3 -c 'import numpy, scipy; print("numpy", numpy.__version__, "scipy", scipy.__version__)'))"
