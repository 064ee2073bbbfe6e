#!/usr/bin/python3
"""Checks tests/test_adapters_mm_baseline.c's dump of a parsed Model
Monitor file against the file as Python's json module reads it.

Usage: mm_baseline_ref.py statistics|constraints ORIGINAL DUMP
DUMP is the C parser's struct written as JSON (null for NaN / unset).
Prints every mismatch and exits 1 on any, 0 when all fields agree.
The expected values are taken from ORIGINAL here, by these rules:
  types: the inferred_type text; counts and numbers as json reads them;
  switches "Enabled"/"Disabled" (or true/false) -> 1/0, absent -> -1;
  comparison_method Simple/Robust -> 0/1, categorical_drift_method
  LInfinity/ChiSquared -> 0/1; overrides wherever they are in a feature.
"""
import json
import sys

TYPES = ["Integral", "Fractional", "String", "Unknown"]
bad = []


def eq(what, got, want):
    if isinstance(want, float) and isinstance(got, (int, float)):
        ok = float(got) == want
    else:
        ok = got == want
    if not ok:
        bad.append(f"{what}: parsed {got!r}, json has {want!r}")


def statistics(orig, dump):
    eq("version", dump["version"], float(orig["version"]))
    eq("item_count", dump["item_count"], orig["dataset"]["item_count"])
    eq("feature count", len(dump["features"]), len(orig["features"]))
    for i, (f, d) in enumerate(zip(orig["features"], dump["features"])):
        w = f"features[{i}] {f['name']}"
        eq(w + " name", d["name"], f["name"])
        eq(w + " type", TYPES[d["type"]], f["inferred_type"])
        st = f.get("numerical_statistics") or f.get("string_statistics")
        eq(w + " num_present", d["num_present"], st["common"]["num_present"])
        eq(w + " num_missing", d["num_missing"], st["common"]["num_missing"])
        if "numerical_statistics" in f:
            eq(w + " has_numeric", d["has_numeric"], 1)
            for k in ("mean", "sum", "std_dev", "min", "max"):
                eq(w + " " + k, d[k], float(st[k]))
            kll = st["distribution"]["kll"]
            eq(w + " buckets", d["buckets"],
               [[float(b["lower_bound"]), float(b["upper_bound"]), float(b["count"])]
                for b in kll["buckets"]])
            eq(w + " c", d["c"], float(kll["sketch"]["parameters"]["c"]))
            eq(w + " k", d["k"], float(kll["sketch"]["parameters"]["k"]))
            eq(w + " levels", d["levels"],
               [[float(x) for x in lv] for lv in kll["sketch"]["data"]])
        else:
            eq(w + " has_string", d["has_string"], 1)
            eq(w + " distinct_count", d["distinct_count"], float(st["distinct_count"]))
            eq(w + " categories", d["cat"],
               [[b["value"], float(b["count"])]
                for b in st["distribution"]["categorical"]["buckets"]])


def switch(v):
    if v is None:
        return -1
    if isinstance(v, bool):
        return int(v)
    return {"Enabled": 1, "Disabled": 0}[v]


def config(c):
    dc = c.get("distribution_constraints")
    out = {
        "evaluate_constraints": switch(c.get("evaluate_constraints")),
        "emit_metrics": switch(c.get("emit_metrics")),
        "datatype_check_threshold": c.get("datatype_check_threshold"),
        "domain_content_threshold": c.get("domain_content_threshold"),
        "has_distribution": int(dc is not None),
        "perform_comparison": -1, "comparison_threshold": None,
        "comparison_method": -1, "min_domain_mass": None,
    }
    if dc is not None:
        v = dc.get("perform_comparison", dc.get("enable_comparisons"))
        out["perform_comparison"] = switch(v)
        out["comparison_threshold"] = dc.get("comparison_threshold")
        m = dc.get("comparison_method")
        out["comparison_method"] = -1 if m is None else ["Simple", "Robust"].index(m)
        out["min_domain_mass"] = dc.get("min_domain_mass")
    return out


def constraints(orig, dump):
    eq("version", dump["version"], float(orig["version"]))
    eq("feature count", len(dump["features"]), len(orig["features"]))
    for i, (f, d) in enumerate(zip(orig["features"], dump["features"])):
        w = f"features[{i}] {f['name']}"
        eq(w + " name", d["name"], f["name"])
        eq(w + " type", TYPES[d["type"]], f["inferred_type"])
        eq(w + " completeness", d["completeness"], f.get("completeness"))
        nn = f.get("num_constraints", {}).get("is_non_negative")
        eq(w + " is_non_negative", d["is_non_negative"], -1 if nn is None else int(nn))
        eq(w + " domains", d["domains"], f.get("string_constraints", {}).get("domains"))
        ov = None
        for holder in (f.get("num_constraints", {}), f.get("string_constraints", {}), f):
            ov = ov or holder.get("monitoring_config_overrides")
        ov = ov or f.get("monitoringConfigOverrides")
        eq(w + " overrides", d["overrides"], None if ov is None else config(ov))
    mc = orig.get("monitoring_config")
    eq("monitoring_config", dump["config"], None if mc is None else config(mc))


def main():
    kind, orig_path, dump_path = sys.argv[1:4]
    with open(orig_path) as f:
        orig = json.load(f)
    with open(dump_path) as f:
        dump = json.load(f)
    (statistics if kind == "statistics" else constraints)(orig, dump)
    for b in bad:
        print("MISMATCH", b)
    print(f"{kind} {orig_path}: {len(bad)} mismatch(es)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
