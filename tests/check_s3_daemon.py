"""`kpigate run` with source.type "s3" against s3rver (tests/lib/s3rver_lib.py),
objects in SageMaker's layout written by botocore (a separate client)
while the daemon polls every second.

A. kill -9 mid-prefix: a week of captures and labels; the first three days
   are processed, the rest uploaded, and the daemon is killed -9 while it
   reads them; restarted, it finishes. The audit log verifies, and its
   windows and decisions are exactly `kpigate replay`'s over the same
   files (tests/lib/daemon_vs_replay.py: every window evaluated once,
   every decision once): no object skipped or read twice.
B. late objects (the endpoint from aws.s3_endpoint): an object that appears in an earlier hour within
   source.lookback_hours is processed; one written into an hour older
   than the look-back (its LastModified after every listing that hour
   was in) is read too, but reported: a warning naming it and
   kpigate_s3_late_objects_total; an object rewritten after it was
   processed (a new ETag) is an error, logged and counted in
   kpigate_s3_errors_total, not read again. Restarted, the daemon reads
   none of them again. /metrics passes `promtool check metrics`.

A missing s3rver or promtool is a failure, never a skip."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import s3rver_lib
from kpg_check import Check

c = Check()
if shutil.which("promtool") is None:
    c.fail("promtool is not installed (Debian's prometheus; scripts/install-deps.sh)")
    c.finish()
endpoint, s3, env = s3rver_lib.start(c)
s3.create_bucket(Bucket="cap")

# the world: the example's first week, the policy judging small windows
ex = c.path("example")
c.run("example", ex, "--records", "1000", "--seed", "7", expect=0)
pol = json.load(open(os.path.join(ex, "policy.json")))
pol["reference"]["path"] = os.path.join(ex, "train.csv")
pol["guards"]["min_records"] = 5
pol["guards"]["min_labelled"] = 2
policy = c.write("policies/policy.json", json.dumps(pol))

HOUR_RE = re.compile(r"(\d{4})/(\d{2})/(\d{2})/(\d{2})/")


def objects(days):
    """(hour, relative path) of every file of those days, in hour order."""
    out = []
    for top in ("capture", "ground_truth"):
        for dirpath, _, files in os.walk(os.path.join(ex, top)):
            rel = os.path.relpath(dirpath, ex)
            m = HOUR_RE.search(rel + "/")
            if m is None or f"{m[1]}/{m[2]}/{m[3]}" not in days:
                continue
            for f in files:
                out.append(("".join(m.groups()), os.path.join(rel, f)))
    return sorted(out)


def upload(prefix, objs, local=None):
    for _, rel in objs:
        with open(os.path.join(ex, rel), "rb") as fh:
            body = fh.read()
        s3.put_object(Bucket="cap", Key=f"{prefix}/{rel}", Body=body)
        if local is not None:
            os.makedirs(os.path.dirname(os.path.join(local, rel)), exist_ok=True)
            shutil.copy(os.path.join(ex, rel), os.path.join(local, rel))


def config(name, lookback, aws=None):
    port = s3rver_lib.free_port()
    cfg = {"aws": aws or {}, "source": {"type": "s3", "capture": f"s3://cap/{name}/capture",
                      "ground_truth": f"s3://cap/{name}/ground_truth/",
                      "poll_seconds": 1, "lookback_hours": lookback},
           "policy_dir": c.path("policies"), "audit_log": c.path(f"{name}-audit.jsonl"),
           "state_dir": c.path(f"{name}-state"), "checkpoint_interval_seconds": 1,
           "http": {"listen": f"127.0.0.1:{port}"}, "log_level": "debug"}
    return c.write(f"{name}.json", json.dumps(cfg)), port


class Daemon:
    def __init__(self, cfg, port, log, e=None):
        self.port = port
        self.log = open(log, "a")
        self.p = subprocess.Popen([c.kpigate, "run", "--config", cfg], env=e or env,
                                  stdout=self.log, stderr=self.log)

    def metrics(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics",
                                        timeout=2) as r:
                text = r.read().decode()
        except OSError:
            return None, {}
        vals = {}
        for line in text.splitlines():
            if line.startswith("kpigate_s3_") or line.startswith("kpigate_capture_records"):
                k, v = line.split()
                vals[k] = float(v)
        return text, vals

    def wait(self, cond, what, timeout=120):
        end = time.time() + timeout
        while time.time() < end:
            if self.p.poll() is not None:
                break
            _, m = self.metrics()
            if m and cond(m):
                return m
            time.sleep(0.02)
        c.fail(f"{what}: timed out (daemon exit {self.p.poll()}), last {self.metrics()[1]}")
        self.kill()
        c.finish()

    def settled(self, n):
        """Two more polls started after objects reached n: the poll that
        reached it has ended, so nothing more is pending."""
        m = self.wait(lambda m: m.get("kpigate_s3_objects_total", -1) >= n, f"{n} objects")
        p0 = m["kpigate_s3_polls_total"]
        return self.wait(lambda m: m["kpigate_s3_polls_total"] >= p0 + 2, "two more polls")

    def kill(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGKILL)
        self.p.wait()

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        return self.p.wait(timeout=60)


# ---- A: kill -9 mid-prefix, restart: exactly once --------------------
week = [f"2026/01/{d:02d}" for d in range(5, 12)]
first, rest = objects(week[:3]), objects(week[3:])
local = c.path("local")
cfg_a, port_a = config("a", 2)
log_a = c.path("a.log")
upload("a", first, local)
d = Daemon(cfg_a, port_a, log_a)
d.settled(len(first))
upload("a", rest, local)
m = d.wait(lambda m: m["kpigate_s3_objects_total"] >= len(first) + len(rest) // 3,
           "a third of the rest")
d.kill()
_, last = None, m
c.ok(len(first) < last["kpigate_s3_objects_total"] < len(first) + len(rest),
     f"killed -9 mid-prefix: {last['kpigate_s3_objects_total']:.0f} of "
     f"{len(first) + len(rest)} objects processed")
d = Daemon(cfg_a, port_a, log_a)
m = d.wait(lambda m: m.get("kpigate_s3_polls_total", 0) >= 3, "polls after the restart")
rc = d.stop()
c.ok(rc == 0, f"the restarted daemon stops cleanly: exit {rc}")
with open(log_a) as f:
    restored = [json.loads(x) for x in f if '"polling ' in x]
c.ok(len(restored) == 2 and re.search(r"\b[1-9]\d* objects in the cursor", restored[1]["msg"]),
     f"the restart restored a cursor: {[r.get('msg') for r in restored]}")
rc, out, err = c.run("audit", "verify", c.path("a-audit.jsonl"))
c.ok(rc == 0, f"the daemon's audit log verifies: {out[-300:]} {err[-300:]}")
rp = subprocess.run([c.kpigate, "replay", "--policy", policy, "--capture",
                     os.path.join(local, "capture"), "--ground-truth",
                     os.path.join(local, "ground_truth"), "--audit", c.path("replay.jsonl"),
                     "--json"], capture_output=True, text=True, timeout=600)
c.ok(rp.returncode in (0, 1), f"replay ran: {rp.returncode} {rp.stderr[-500:]}")
rep = json.loads(rp.stdout)
want = (f"state: {rep['capture']['lines']} capture lines ({rep['capture']['accepted']} accepted), "
        f"{rep['ground_truth']['lines']} ground-truth lines ({rep['ground_truth']['accepted']} accepted)")
with open(log_a) as f:
    states = [json.loads(x)["msg"] for x in f if '"state: ' in x]
c.ok(len(states) == 1 and states[0].startswith(want),
     f"the restarted state holds every line once, as replay read them: {states} vs {want}")
cmp = subprocess.run([sys.executable, os.path.join(c.tests, "lib", "daemon_vs_replay.py"),
                      c.path("replay.jsonl"), "--", c.path("a-audit.jsonl")],
                     capture_output=True, text=True, timeout=120)
n_dec = sum(1 for x in open(c.path("replay.jsonl")) if '"event":"decision"' in x.replace(" ", ""))
c.ok(cmp.returncode == 0 and n_dec >= 5,
     f"windows and decisions equal replay's, each once ({n_dec} decisions): "
     f"{cmp.stdout[-1500:]}")

# ---- B: late objects, the look-back, a rewritten object -------------
objs = objects(week[:2])
caps = [o for o in objs if o[1].startswith("capture/")]
x = max(h for h, _ in objs)


def hours(h):
    return int(time.mktime(time.strptime(h, "%Y%m%d%H")) // 3600)


late = max((o for o in caps if o[0] < x), key=lambda o: o[0])
lookback = hours(x) - hours(late[0]) + 1
old = caps[0]
c.ok(hours(old[0]) < hours(x) - lookback,
     f"the world has an object older than the look-back: {old[0]} < {x} - {lookback} h")
on_time = [o for o in objs if o not in (late, old)]
# the endpoint from the configuration (aws.s3_endpoint), not the environment
cfg_b, port_b = config("b", lookback, {"s3_endpoint": endpoint, "region": "us-east-1"})
env_b = {k: v for k, v in env.items() if k not in ("AWS_ENDPOINT_URL_S3", "AWS_REGION")}
upload("b", on_time)
d = Daemon(cfg_b, port_b, c.path("b.log"), env_b)
d.settled(len(on_time))
upload("b", [late])
m = d.settled(len(on_time) + 1)
c.ok(m["kpigate_s3_objects_total"] == len(on_time) + 1,
     f"the late object of {late[0]} (look-back {lookback} h, latest hour {x}) is processed: "
     f"{m['kpigate_s3_objects_total']:.0f} of {len(on_time) + 1}")
c.ok(m["kpigate_s3_late_objects_total"] == 0,
     f"an object within the look-back is not reported late: {m}")
errors0 = m["kpigate_s3_errors_total"]
upload("b", [old])
s3.put_object(Bucket="cap", Key=f"b/{on_time[-1][1]}", Body=b'{"rewritten": true}\n')
m = d.settled(len(on_time) + 2)
text, _ = d.metrics()
c.ok(m["kpigate_s3_objects_total"] == len(on_time) + 2,
     f"the object written into {old[0]}, older than the look-back, is read once; the "
     f"rewritten one is not: {m['kpigate_s3_objects_total']:.0f} of {len(on_time) + 2}")
c.ok(m["kpigate_s3_late_objects_total"] == 1,
     f"... and it is reported late once: {m.get('kpigate_s3_late_objects_total')}")
c.ok(m["kpigate_s3_errors_total"] == errors0 + 1,
     f"the rewritten object is one error: {m['kpigate_s3_errors_total']:.0f} (was {errors0:.0f})")
c.ok(m["kpigate_s3_get_requests_total"] == len(on_time) + 2 and
     m["kpigate_s3_list_requests_total"] >= 2 * m["kpigate_s3_polls_total"] - 2,
     f"one GET per object, two LISTs per poll: {m}")
pt = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                    text=True, timeout=60)
c.ok(pt.returncode == 0, f"promtool check metrics: {pt.stdout[-800:]} {pt.stderr[-800:]}")
rc = d.stop()
c.ok(rc == 0, f"daemon B stops cleanly: exit {rc}")
log_b = open(c.path("b.log")).read()
c.ok("another ETag" in log_b, "the rewritten object is logged")
c.ok(re.search(r"/%s: written at \S+ into the hour of .* left the look-back" % re.escape(old[1]),
               log_b) is not None, "the late object is logged with its hour and LastModified")
# restarted from its checkpoint: nothing is read again, the late object
# included (its entry is kept until a listing covers its LastModified)
d = Daemon(cfg_b, port_b, c.path("b.log"), env_b)
d.wait(lambda m: m.get("kpigate_s3_polls_total", 0) >= 3, "three polls after the restart")
m = d.metrics()[1]
c.ok(m["kpigate_s3_objects_total"] == 0 and m["kpigate_s3_late_objects_total"] == 0 and
     m["kpigate_s3_get_requests_total"] == 0,
     f"restarted, the daemon reads no object again: {m}")
rc = d.stop()
c.ok(rc == 0, f"daemon B stops cleanly after the restart: exit {rc}")
rc, out, err = c.run("audit", "verify", c.path("b-audit.jsonl"))
c.ok(rc == 0, f"daemon B's audit log verifies: {out[-300:]} {err[-300:]}")
c.finish()
