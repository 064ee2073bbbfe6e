"""Windows past window.max_exact_values keep a KLL sketch (docs/detectors.md,
"Windows of any size"), on a real stream: ELEC2 (45,312 half-hours of NSW
electricity prices and demand), the reference every tenth row, the stream
in time order in windows of 15,000 records. The same capture is replayed
three times -- exact (the default limit), sketched at window.sketch_k 2000
and at 200 (ε 0.0019 and 0.0165) -- and the sketched runs' audit records
are held against the exact one, window by window and feature by feature:

- the window's count n and the event span are exact;
- each sketched feature says so (sketch.rank_error = 2.446 / k^0.9433);
- KS statistic and normalised Wasserstein distance lie within the `error`
  the record carries of the exact values, and that error is not 0;
- wherever the sketched KS verdict differs from the exact one, the record
  says it is approximate;
- the audit chain verifies."""
import csv
import datetime as dt
import json

from kpg_check import Check, audit_records

c = Check()
src = c.need_shared("data", "real", "electricity_elec2_normalized.csv")
names = ["period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"]
rows = list(csv.DictReader(open(src, newline="")))
c.write("train.csv", ",".join(names) + "\n" + "".join(
    ",".join(r[n] for n in names) + "\n" for r in rows[::10]))

t0 = dt.datetime(1996, 5, 7)
with open(c.path("capture.jsonl"), "w") as f:
    for i, r in enumerate(rows):
        t = t0 + dt.timedelta(minutes=30 * i)
        f.write(json.dumps({
            "captureData": {
                "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                  "data": ",".join(r[n] for n in names), "encoding": "CSV"},
                "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                   "data": "0.5", "encoding": "CSV"}},
            "eventMetadata": {"eventId": f"e{i}", "inferenceId": f"e{i}",
                              "inferenceTime": t.strftime("%Y-%m-%dT%H:%M:%SZ")},
            "eventVersion": "0"}) + "\n")

WINDOW = 15000


def replay(tag, window):
    pol = c.write(f"{tag}.json", json.dumps({
        "model": "elec2", "reference": {"path": "train.csv"},
        "window": dict({"records": WINDOW}, **window),
        "drift": {"numeric": ["psi", "ks", "wasserstein", "js"]},
        "kpis": [{"metric": "auc", "min": 0.5}],
        "guards": {"min_records": 1, "min_labelled": 0},
        "action": {"type": "dry_run"},
        "energy": {"instance_type": "ml.m5.xlarge", "instance_count": 1,
                   "expected_hours": 1, "region": "us-east-1"}}))
    audit = c.path(f"audit-{tag}.jsonl")
    rc, _, err = c.run("replay", "--policy", pol, "--capture", c.path("capture.jsonl"),
                       "--audit", audit, "--json", "--decide-pending")
    c.ok(rc in (0, 1), f"{tag}: replay exited {rc}: {err[-1500:]}")
    rc, _, err = c.run("audit", "verify", audit)
    c.ok(rc == 0, f"{tag}: audit verify exited {rc}: {err[-500:]}")
    return [r["data"] for r in audit_records(audit) if r.get("event") == "window_evaluated"]


exact = replay("exact", {})
# three full windows and the last 312 records, below the exact limit
c.ok(len(exact) == len(rows) // WINDOW + 1, f"{len(rows) // WINDOW + 1} windows: {len(exact)}")
c.ok(all("sketch" not in f for w in exact for f in w["features"]),
     "below max_exact_values nothing is sketched")

for k in (2000, 200):
    eps = 2.446 / k ** 0.9433
    sk = replay(f"k{k}", {"max_exact_values": 1000, "sketch_k": k})
    c.ok(len(sk) == len(exact), f"k={k}: as many windows as exact: {len(sk)}")
    worst = {"ks": 0.0, "wasserstein": 0.0}
    flips = approx = bounded = 0
    for we, ws in zip(exact, sk):
        c.ok(we["records"] == ws["records"], f"k={k}: records {ws['records']} vs {we['records']}")
        for fe, fs in zip(we["features"], ws["features"]):
            tag = f"k={k} window {we.get('window')} {fe['name']}"
            c.ok(fe["n"] == fs["n"], f"{tag}: n {fs['n']} vs {fe['n']}")
            if fe["n"] > 1000:
                c.ok(abs(fs.get("sketch", {}).get("rank_error", -1) - eps) < 1e-12,
                     f"{tag}: sketch.rank_error {fs.get('sketch')} vs {eps}")
            else:
                c.ok("sketch" not in fs, f"{tag}: {fe['n']} values sketched")
            de = {d["detector"]: d for d in fe["detectors"]}
            for d in fs["detectors"]:
                e = de[d["detector"]]
                if d["detector"] in worst and e["value"] is not None:
                    err = d.get("error", 0)
                    diff = abs(d["value"] - e["value"])
                    # a constant window (ELEC2's vic* columns before
                    # their data starts) is exact: error 0 from its side
                    bounded += err > 0
                    c.ok(diff <= err + 1e-12,
                         f"{tag} {d['detector']}: |{d['value']} - {e['value']}| > error {err}")
                    worst[d["detector"]] = max(worst[d["detector"]], diff / err if err else 0)
                if d["detector"] == "ks" and d["drifted"] != e["drifted"]:
                    flips += 1
                    c.ok(d.get("approximate") is True,
                         f"{tag}: KS verdict {d['drifted']} (exact {e['drifted']}) not marked approximate")
                approx += d.get("approximate") is True
    c.ok(bounded >= 20, f"k={k}: only {bounded} statistics carry an error bound")
    print(f"k={k}: eps {eps:.5f}; worst |sketch - exact| / error: KS {worst['ks']:.3f}, "
          f"Wasserstein {worst['wasserstein']:.3f}; KS verdicts changed {flips}, marked approximate {approx}")

c.finish()
