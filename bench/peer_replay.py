#!/usr/bin/python3
"""The script a user would write instead of `kpigate replay`: json + numpy
+ scipy over the same SageMaker capture file, computing the same drift
statistics per window (bench/replay_vs_peers.sh runs it beside kpigate).

For every window of W records: per feature, PSI over 10 quantile bins of
the reference (numpy's linear quantiles, the edges widened to +-inf, as
kpigate's quantile binning), and the two-sample KS statistic and p-value
(scipy.stats.ks_2samp, method "auto", as kpigate's drift.ks_method
"auto"); then the share of drifted features (PSI >= 0.2 or KS p < 0.01
with D >= 0.1, kpigate's defaults). It prints one line per window and a
summary, so its work cannot be optimised away.

usage: peer_replay.py REFERENCE.csv CAPTURE.jsonl... [--window W] [--bins B]
"""
import argparse
import base64
import json
import sys
import time

import numpy as np
from scipy import stats


def load_reference(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return header, data


def psi(ref_counts, cur, edges):
    cur_counts = np.bincount(np.searchsorted(edges, cur, side="right") - 1,
                             minlength=len(edges) - 1)
    e = np.maximum(ref_counts / ref_counts.sum(), 1e-4)
    a = np.maximum(cur_counts / cur_counts.sum(), 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def evaluate(ref, bins, cur, n_window):
    drifted = 0
    for j in range(ref.shape[1]):
        edges, ref_counts = bins[j]
        p = psi(ref_counts, cur[:, j], edges)
        ks = stats.ks_2samp(ref[:, j], cur[:, j])
        if p >= 0.2 or (ks.pvalue < 0.01 and ks.statistic >= 0.1):
            drifted += 1
    print(f"window {n_window}: {len(cur)} records, {drifted} of {ref.shape[1]} features drifted")
    return drifted


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("capture", nargs="+")
    ap.add_argument("--window", type=int, default=10000)
    ap.add_argument("--bins", type=int, default=10)
    a = ap.parse_args()
    t0 = time.monotonic()
    _, ref = load_reference(a.reference)
    bins = []
    for j in range(ref.shape[1]):
        edges = np.quantile(ref[:, j], np.linspace(0, 1, a.bins + 1))
        edges[0], edges[-1] = -np.inf, np.inf
        edges = np.unique(edges)
        counts = np.bincount(np.searchsorted(edges, ref[:, j], side="right") - 1,
                             minlength=len(edges) - 1)
        bins.append((edges, counts))
    t_ref = time.monotonic() - t0
    rows, n, windows, drifted = [], 0, 0, 0
    for path in a.capture:
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                inp = rec["captureData"]["endpointInput"]
                data = inp["data"]
                if inp.get("encoding") == "BASE64":
                    data = base64.b64decode(data).decode()
                rows.append([float(x) for x in data.split(",")])
                n += 1
                if len(rows) == a.window:
                    windows += 1
                    drifted += evaluate(ref, bins, np.array(rows), windows)
                    rows = []
    if rows:
        windows += 1
        drifted += evaluate(ref, bins, np.array(rows), windows)
    t = time.monotonic() - t0
    print(f"peer: {n} records, {windows} windows, {drifted} drifted feature-windows, "
          f"reference {t_ref:.3f} s, total {t:.3f} s = {n / t:.0f} records/s")
    return 0 if n else 2


if __name__ == "__main__":
    sys.exit(main())
