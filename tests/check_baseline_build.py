"""`kpigate baseline build` / `baseline show` end to end: a compiled
reference gives byte-identical `compare --json` and `replay --json` output
to its CSV; altered and truncated files are refused (exit 2, a message);
other options are refused naming the option; summaries report their rank
error; exit codes 0 and 2."""
import hashlib
import json
import os
import shutil
import subprocess

from kpg_check import Check

c = Check()
ex = c.path("ex")
c.run("example", ex, "--records", "4000", expect=0)
train = os.path.join(ex, "train.csv")
policy = os.path.join(ex, "policy.json")
src_sha = hashlib.sha256(open(train, "rb").read()).hexdigest()

# build from the policy: exit 0, what it wrote
compiled = c.path("train.kpgref")
rc, out, err = c.run("baseline", "build", "--policy", policy, "--out", compiled)
c.ok(rc == 0 and "20 features, 5000 rows" in out and src_sha in out,
     f"build --policy: exit 0, features, rows, source sha256: {rc} {out} {err}")
c.ok(f"{os.path.getsize(compiled)} bytes" in out, f"build prints the bytes written: {out}")
show = c.run_json("baseline", "show", compiled, "--json")
c.ok(show["rows"] == 5000 and len(show["features"]) == 20 and
     show["source"] == {"kind": "csv", "sha256": src_sha} and
     show["options"]["label_column"] == "churn" and show["options"]["psi_bins"] == 10 and
     show["label"]["index"] == 20 and show["bytes"] == os.path.getsize(compiled),
     f"show --json: header and options: {json.dumps(show)[:600]}")
rc, out, _ = c.run("baseline", "show", compiled)
c.ok(rc == 0 and "compiled reference, version 1" in out and "tenure_months" in out,
     f"show: text: {rc} {out[:300]}")

# compare: the same JSON, byte for byte, from the CSV and the compiled file
cur = c.path("cur.csv")
with open(train) as f, open(cur, "w") as g:
    lines = f.read().splitlines()
    g.write(lines[0] + "\n")
    for i, line in enumerate(lines[1:]):
        cells = line.split(",")
        if i % 3 == 0:  # a shift in the first numeric column
            cells[0] = str(float(cells[0]) + 7)
        g.write(",".join(cells) + "\n")
for opts in (["--label", "churn"], ["--label", "churn", "--categorical", "plan,region", "--bins", "7"],
             ["--label", "churn", "--features", "tenure_months,plan,age"]):
    build_opts = [o.replace("--bins", "--psi-bins") for o in opts]
    if "--features" in opts:  # --features is --exclude of every other column
        keep = opts[-1].split(",")
        others = [h for h in lines[0].split(",") if h not in keep and h != "churn"]
        build_opts = ["--label", "churn", "--exclude", ",".join(others)]
    comp2 = c.path("cmp.kpgref")
    c.run("baseline", "build", "--reference", train, "--out", comp2, *build_opts, expect=0)
    r1 = c.run("compare", "--reference", train, "--current", cur, "--json", *opts)
    r2 = c.run("compare", "--reference", comp2, "--current", cur, "--json", *opts)
    c.ok(r1[0] in (0, 1) and r1[0] == r2[0] and r1[1] == r2[1] and r1[1],
         f"compare {opts}: identical output from CSV and compiled: {r1[0]} {r2[0]} {r2[2]}")
# other options than the build's: refused, naming the option
rc, _, err = c.run("compare", "--reference", comp2, "--current", cur, "--json", "--label", "churn")
c.ok(rc == 2 and "excluded columns differ" in err, f"compare with other options: exit 2: {rc} {err}")
comp3 = c.path("label.kpgref")
c.run("baseline", "build", "--reference", train, "--label", "churn", "--out", comp3, expect=0)
rc, _, err = c.run("compare", "--reference", comp3, "--current", cur, "--label", "churn", "--bins", "12")
c.ok(rc == 2 and "compiled with 10 PSI bins, the policy asks for 12" in err,
     f"compare --bins 12 on a 10-bin file: exit 2 with the option: {rc} {err}")
rc, _, err = c.run("compare", "--reference", compiled, "--current", cur, "--label", "churn")
c.ok(rc == 2 and "declared categorical in the compiled reference, not by the policy" in err,
     f"compare without the policy's declared types: exit 2: {rc} {err}")

# replay of the bundled example: the same JSON with train.csv being the
# compiled file (same policy bytes, same paths)
runs = {}
for kind in ("csv", "compiled"):
    d = c.path("replay-" + kind)
    os.makedirs(d)
    shutil.copy(policy, os.path.join(d, "policy.json"))
    shutil.copy(train if kind == "csv" else compiled, os.path.join(d, "train.csv"))
    for sub in ("capture", "ground_truth"):
        os.symlink(os.path.join(ex, sub), os.path.join(d, sub))
    p = subprocess.run([c.kpigate, "replay", "--policy", "policy.json", "--capture", "capture",
                        "--ground-truth", "ground_truth", "--json"], cwd=d,
                       capture_output=True, text=True, timeout=600)
    runs[kind] = p
a, b = runs["csv"], runs["compiled"]
c.ok(a.returncode in (0, 1) and a.returncode == b.returncode and a.stdout == b.stdout and a.stdout,
     f"replay: identical JSON from CSV and compiled reference: {a.returncode} {b.returncode} {b.stderr[-500:]}")

# policy check: a policy whose options differ from the compiled file's
d = c.path("replay-compiled")
pol = json.load(open(os.path.join(d, "policy.json")))
pol["drift"]["psi_bins"] = 20
c.write("replay-compiled/p20.json", json.dumps(pol, indent=2))
rc, out, err = c.run("policy", "check", os.path.join(d, "p20.json"))
c.ok(rc == 1 and "compiled with 10 PSI bins, the policy asks for 20" in out + err,
     f"policy check: other psi_bins refused: {rc} {out} {err}")
rc, out, err = c.run("policy", "check", os.path.join(d, "policy.json"))
c.ok(rc == 0, f"policy check: the compiled reference with its own options: {rc} {out} {err}")

# altered and truncated files: exit 2, a message naming what is wrong
data = open(compiled, "rb").read()
bad = c.path("bad.kpgref")
for at in (9, 20, 40, 200, len(data) // 3, len(data) // 2, len(data) - 100, len(data) - 1):
    b2 = bytearray(data)
    b2[at] ^= 0x10
    open(bad, "wb").write(bytes(b2))
    rc, _, err = c.run("baseline", "show", bad)
    c.ok(rc == 2 and ("corrupt" in err or "truncated" in err or "version" in err),
         f"a flipped byte at {at}: exit 2: {rc} {err}")
    rc, _, err = c.run("compare", "--reference", bad, "--current", cur, "--label", "churn")
    c.ok(rc == 2, f"compare on a flipped byte at {at}: exit 2: {rc} {err}")
for cut in (4, 31, 100, len(data) // 2, len(data) - 1):
    open(bad, "wb").write(data[:cut])
    rc, _, err = c.run("baseline", "show", bad)
    c.ok(rc == 2 and ("truncated" in err or "not a compiled" in err),
         f"truncated at {cut}: exit 2: {rc} {err}")

# summaries: --max-values bounds what is stored and reports the rank error
rc, out, err = c.run("baseline", "build", "--policy", policy, "--out", bad, "--max-values", "1000")
c.ok(rc == 0 and "5000 values -> " in out and "rank error" in out,
     f"--max-values 1000: summarised features listed: {rc} {out} {err}")
show = c.run_json("baseline", "show", bad, "--json")
nums = [f for f in show["features"] if f["type"] == "numeric"]
c.ok(nums and all(f["summarised"] and f["stored"] <= 1000 and f["count"] == 5000 and
                  0 < f["rank_error"] < 1 / 999 for f in nums) and show["max_values"] == 1000,
     f"summarised: stored <= N, count kept, rank error < 1/(N-1): {nums[:2]}")

# usage and trouble
c.run("baseline", "build", "--reference", train, expect=2)
c.run("baseline", "build", "--policy", policy, "--label", "x", "--out", bad, expect=2)
c.run("baseline", "build", "--reference", train, "--out", bad, "--max-values", "1", expect=2)
rc, _, err = c.run("baseline", "build", "--reference", compiled, "--out", bad)
c.ok(rc == 2 and "compiled reference already" in err, f"build from a compiled file: {rc} {err}")
rc, _, err = c.run("baseline", "build", "--reference", train, "--label", "nope", "--out", bad)
c.ok(rc == 2 and "nope" in err, f"build with a label not in the CSV: exit 2: {rc} {err}")
rc, _, err = c.run("baseline", "show", train)
c.ok(rc == 2 and "not a compiled reference" in err, f"show of a CSV: exit 2: {rc} {err}")
c.run("baseline", "--help", expect=0)
c.run("baseline", expect=2)
c.finish()
