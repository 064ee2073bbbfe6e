"""`kpigate replay` from S3 against s3rver (a real S3 server from the npm
registry, installed into tools/node_modules by scripts/install-deps.sh),
started here on loopback with its own folder and killed at exit. The
example world's first week is uploaded in SageMaker's layout by botocore
(a separate client), then replayed from s3:// prefixes and from the same
files in a local folder (one of them gzipped): the --json summaries (windows, decisions,
rejects) and the audit logs' decisions must be identical. Listing is paged
by 2 keys (KPIGATE_S3_MAX_KEYS), so every page boundary is crossed.

A missing s3rver is a failure, never a skip. s3rver does not verify
signatures: check_s3_signatures.py does, against tests/support/aws_mock.py."""
import gzip
import json
import os
import shutil
import subprocess

import s3rver_lib
from kpg_check import Check, audit_records

c = Check()
endpoint, s3, env = s3rver_lib.start(c)
env["KPIGATE_S3_MAX_KEYS"] = "2"

# the world: the example's first week, policy judging small windows
ex = c.path("example")
c.run("example", ex, "--records", "1000", "--seed", "7", expect=0)
local = c.path("local")
week = [f"2026/01/{d:02d}" for d in range(5, 12)]
for top in ("capture", "ground_truth"):
    for dirpath, _, files in os.walk(os.path.join(ex, top)):
        rel = os.path.relpath(dirpath, ex)
        if not any(f"/{d}/" in rel + "/" for d in week):
            continue
        os.makedirs(os.path.join(local, rel), exist_ok=True)
        for f in files:
            shutil.copy(os.path.join(dirpath, f), os.path.join(local, rel, f))
# one capture record outside its folder's hour (bad_time), as a reject
# both sources must agree on, and a file that is not a capture file
hour = os.path.join(local, "capture", "churn-endpoint", "AllTraffic", "2026", "01", "06", "07")
os.makedirs(hour, exist_ok=True)
first = None
for dirpath, _, files in sorted(os.walk(os.path.join(local, "capture"))):
    for f in sorted(files):
        first = os.path.join(dirpath, f)
        break
    if first:
        break
with open(first) as f:
    line = f.readline()
with open(os.path.join(hour, "late.jsonl"), "w") as f:
    f.write(line)  # inferenceTime of 2026-01-05, in the 2026-01-06 07h folder
with open(os.path.join(local, "capture", "README.json"), "w") as f:
    f.write("{}\n")
# one hour's capture gzipped (*.jsonl.gz: decompressed as it is read)
gz_dir = os.path.join(local, "capture", "churn-endpoint", "AllTraffic", "2026", "01", "07")
gz_src = os.path.join(gz_dir, sorted(os.listdir(gz_dir))[0])
gz_src = os.path.join(gz_src, sorted(os.listdir(gz_src))[0])
with open(gz_src, "rb") as f, gzip.open(gz_src + ".gz", "wb") as g:
    g.write(f.read())
os.unlink(gz_src)
pol = json.load(open(os.path.join(ex, "policy.json")))
pol["reference"]["path"] = os.path.join(ex, "train.csv")
pol["guards"]["min_records"] = 5
pol["guards"]["min_labelled"] = 2
policy = c.write("policy.json", json.dumps(pol))

# upload with botocore
s3.create_bucket(Bucket="capture-bucket")
n_objects = 0
for dirpath, _, files in os.walk(local):
    for f in files:
        p = os.path.join(dirpath, f)
        with open(p, "rb") as fh:
            s3.put_object(Bucket="capture-bucket",
                          Key="sm/" + os.path.relpath(p, local), Body=fh.read())
        n_objects += 1
# a neighbour prefix that must not be read: sm/capture-old/...
s3.put_object(Bucket="capture-bucket",
              Key="sm/capture-old/churn-endpoint/AllTraffic/2026/01/05/00/x.jsonl",
              Body=b"not json\n")


def replay(cap, gt, audit, rejects, e=None, expect=None):
    p = subprocess.run([c.kpigate, "replay", "--policy", policy, "--capture", cap,
                        "--ground-truth", gt, "--audit", audit, "--rejects", rejects,
                        "--json"], capture_output=True, text=True, env=e or env, timeout=600)
    if expect is not None and p.returncode != expect:
        c.fail(f"replay {cap} exited {p.returncode}, expected {expect}: {p.stderr[-2000:]}")
    return p


lp = replay(os.path.join(local, "capture"), os.path.join(local, "ground_truth"),
            c.path("local-audit.jsonl"), c.path("local-rejects.jsonl"))
sp = replay("s3://capture-bucket/sm/capture", "s3://capture-bucket/sm/ground_truth/",
            c.path("s3-audit.jsonl"), c.path("s3-rejects.jsonl"))
c.ok(lp.returncode in (0, 1) and sp.returncode == lp.returncode,
     f"both replays ran, same exit code: local {lp.returncode}, s3 {sp.returncode}: "
     f"{sp.stderr[-1500:]}")
try:
    lrep, srep = json.loads(lp.stdout), json.loads(sp.stdout)
except ValueError:
    c.fail(f"not JSON: {lp.stdout[:300]} / {sp.stdout[:300]} / {sp.stderr[-1000:]}")
    c.finish()


def without_paths(rep):
    """The summary less what names a file: the skipped file's path and
    the audit log's."""
    rep = json.loads(json.dumps(rep))
    rep["skipped_files"].pop("first", None)
    rep.pop("audit", None)
    return rep


c.ok(len(lrep["decisions"]) >= 5, f"the week was decided: {len(lrep['decisions'])} windows")
c.ok(lrep["capture"]["rejected"] >= 1, f"the out-of-hour record is rejected: {lrep['capture']}")
c.ok(without_paths(lrep) == without_paths(srep),
     "the S3 replay's summary equals the local one's:\n"
     f"{json.dumps(without_paths(lrep), sort_keys=True)[:1500]}\n"
     f"{json.dumps(without_paths(srep), sort_keys=True)[:1500]}")
c.ok(srep["skipped_files"]["total"] == 1 and
     srep["skipped_files"]["first"] == ["s3://capture-bucket/sm/capture/README.json"],
     f"the non-capture object is skipped and named: {srep['skipped_files']}")


def decisions(path):
    return [{k: v for k, v in r.items() if k not in ("time", "prev_hash", "hash")}
            for r in audit_records(path) if r.get("event") in ("window_evaluated", "decision")]


ld, sd = decisions(c.path("local-audit.jsonl")), decisions(c.path("s3-audit.jsonl"))
c.ok(len(ld) > 0 and ld == sd,
     f"the audit logs' windows and decisions are identical: {len(ld)} vs {len(sd)}")


def reject_keys(path):
    with open(path) as f:
        return [(r["reason"], r["line"], r["source"].split("/capture/")[-1].split("/ground_truth/")[-1])
                for r in map(json.loads, f)]


c.ok(reject_keys(c.path("local-rejects.jsonl")) == reject_keys(c.path("s3-rejects.jsonl")),
     "the same lines are rejected for the same reasons")
with open(c.path("s3-rejects.jsonl")) as f:
    srej = [json.loads(x) for x in f]
c.ok(any(r["source"].startswith("s3://capture-bucket/sm/capture/") for r in srej),
     f"a reject names its object: {srej[:2]}")
m = [x for x in sp.stderr.splitlines() if "s3:" in x and "GetObject" in x]
lists = int(m[0].split()[3]) if m else -1
gets = int(m[0].split()[6]) if m else -1
c.ok(gets == n_objects - 1 and lists >= n_objects // 2,
     f"one GET per capture object, LISTs paged by 2: {m} ({n_objects} objects)")

# an exact object key is read whatever its name; a missing prefix is loud
one = "s3://capture-bucket/sm/capture/churn-endpoint/AllTraffic/2026/01/06/07/late.jsonl"
p = subprocess.run([c.kpigate, "replay", "--policy", policy, "--capture", one, "--json"],
                   capture_output=True, text=True, env=env, timeout=120)
c.ok(p.returncode == 2 and '"lines": 1' in p.stdout,
     f"one object by its key: one line read: {p.returncode} {p.stdout[:300]} {p.stderr[-300:]}")
p = subprocess.run([c.kpigate, "replay", "--policy", policy, "--capture",
                    "s3://capture-bucket/sm/nothing-here"],
                   capture_output=True, text=True, env=env, timeout=120)
c.ok(p.returncode == 2 and "s3://capture-bucket/sm/nothing-here" in p.stderr,
     f"an empty prefix is trouble, named: {p.returncode} {p.stderr[-300:]}")
p = subprocess.run([c.kpigate, "replay", "--policy", policy, "--capture",
                    "s3://no-such-bucket/sm/capture"],
                   capture_output=True, text=True, env=env, timeout=120)
c.ok(p.returncode == 2 and "s3://no-such-bucket/sm/capture" in p.stderr and "404" in p.stderr,
     f"a missing bucket is a loud 404: {p.returncode} {p.stderr[-300:]}")
c.finish()
