"""What replay reads from a folder: capture files only (*.jsonl, *.jsonl.gz).
- a stray policy.json and notes in the capture folder are skipped and
  counted (skipped_files), never read as capture lines (no bad_json);
- the same capture files gzip-compressed give the same report and
  decisions as uncompressed;
- a truncated and a corrupt .gz are each one bad_file reject naming the
  file (stderr, rejects file); the replay goes on with the other files;
- an endpoint folder that matches no policy is warned about
  (unmatched_endpoints);
- a file named on the command line is read whatever its name."""
import glob
import gzip
import json
import os
import shutil

from kpg_check import Check

c = Check()
ex = c.path("ex")
c.run("example", ex, "--records", "3000", "--seed", "5", expect=0)
pol = os.path.join(ex, "policy.json")
files = sorted(glob.glob(os.path.join(ex, "capture", "**", "*.jsonl"), recursive=True))
c.ok(len(files) > 20, f"the example has capture files: {len(files)}")


def replay(capture, *extra):
    rc, out, err = c.run("replay", "--policy", pol, "--capture", capture, "--json", *extra)
    c.ok(rc in (0, 1), f"replay {capture}: exit {rc} (0 nothing found, 1 findings): {err[-500:]}")
    try:
        return json.loads(out), err
    except ValueError:
        c.fail(f"replay {capture}: not JSON: {out[:300]}")
        c.finish()


base, base_err = replay(os.path.join(ex, "capture"))
c.ok(base["skipped_files"] == {"total": 0, "by_reason": {}, "first": []},
     f"the example folder has nothing to skip: {base['skipped_files']}")
c.ok(base["unmatched_endpoints"] == [], f"its endpoint has a policy: {base['unmatched_endpoints']}")
c.ok("warning" not in base_err, f"no warning for a clean folder: {base_err[:300]}")

# 1. stray files in the capture folder
stray = c.path("stray")
shutil.copytree(os.path.join(ex, "capture"), stray)
shutil.copy(pol, os.path.join(stray, "policy.json"))
hour = os.path.dirname(files[len(files) // 2]).replace(os.path.join(ex, "capture"), stray)
shutil.copy(pol, os.path.join(hour, "policy.json"))
c.write("stray/notes.txt", "not a capture file\n")
rep, err = replay(stray)
c.ok(rep["capture"] == base["capture"],
     f"stray files are not read (no bad_json): {rep['capture']} vs {base['capture']}")
c.ok(rep["decisions"] == base["decisions"], "stray files change no decision")
sk = rep["skipped_files"]
c.ok(sk["total"] == 3 and sk["by_reason"] == {"json": 2, "other_name": 1},
     f"skipped files counted by reason: {sk}")
c.ok(len(sk["first"]) == 3 and os.path.join(stray, "policy.json") in sk["first"],
     f"the skipped files are named: {sk['first']}")
c.ok("warning: skipped 3 file(s)" in err and "policy.json" in err,
     f"one warning line names them: {err[:500]}")

# 2. gzip gives the same replay
gz = c.path("gz")
shutil.copytree(os.path.join(ex, "capture"), gz)
for f in glob.glob(os.path.join(gz, "**", "*.jsonl"), recursive=True):
    with open(f, "rb") as src, gzip.open(f + ".gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.remove(f)
gz_files = sorted(glob.glob(os.path.join(gz, "**", "*.jsonl.gz"), recursive=True))
c.ok(len(gz_files) == len(files), f"every file compressed: {len(gz_files)}")
rep, err = replay(gz)
c.ok(rep["capture"] == base["capture"], f"gzip: the same capture counts: {rep['capture']}")
c.ok(rep["decisions"] == base["decisions"] and len(rep["decisions"]) > 0,
     "gzip: the same windows and decisions")
c.ok(rep["skipped_files"]["total"] == 0, f"gzip: nothing skipped: {rep['skipped_files']}")

# 3. a truncated and a corrupt .gz: one bad_file reject each, named
trunc, corrupt = gz_files[3], gz_files[7]
with open(trunc, "rb") as f:
    data = f.read()
with open(trunc, "wb") as f:
    f.write(data[:len(data) // 2])
with open(corrupt, "rb") as f:
    data = bytearray(f.read())
for i in range(len(data) - 40, len(data) - 20):
    data[i] ^= 0x5A
with open(corrupt, "wb") as f:
    f.write(data)
rejects = c.path("rejects.jsonl")
rep, err = replay(gz, "--rejects", rejects)
c.ok(rep["capture"]["rejected_by_reason"].get("bad_file") == 2,
     f"two bad_file rejects: {rep['capture']['rejected_by_reason']}")
c.ok(rep["capture"]["accepted"] < base["capture"]["accepted"],
     "the broken files' records are missing, the rest were read")
c.ok(trunc in err and corrupt in err and "corrupt gzip stream" in err,
     f"stderr names both files: {err[:800]}")
bad = [json.loads(l) for l in open(rejects) if '"bad_file"' in l]
c.ok(sorted(r["source"] for r in bad) == sorted([trunc, corrupt]),
     f"the rejects file names both: {[r['source'] for r in bad]}")

# 4. an endpoint folder with no policy
other = c.path("stray", "other-ep", "AllTraffic", "2026", "01", "01", "00", "x.jsonl")
os.makedirs(os.path.dirname(other))
shutil.copy(files[0], other)
rep, err = replay(stray)
c.ok(rep["unmatched_endpoints"] == [{"endpoint": "other-ep", "files": 1}],
     f"the unmatched endpoint folder is reported: {rep['unmatched_endpoints']}")
c.ok("endpoint folder 'other-ep'" in err, f"and warned about: {err[-400:]}")

# 5. a file named explicitly is read whatever its name
named = c.path("capture.txt")
shutil.copy(files[0], named)
rep, err = replay(named)
with open(files[0]) as f:
    n = sum(1 for l in f if l.strip())
c.ok(rep["capture"]["lines"] == n and rep["skipped_files"]["total"] == 0,
     f"an explicit capture.txt is read: {rep['capture']} ({n} lines)")
c.finish()
