#!/usr/bin/env python3
# daemon_vs_replay.py REPLAY_AUDIT... -- DAEMON_AUDIT...: the daemon audit
# logs (one or several replicas) against `kpigate replay` of the same
# records, per model: replay leaves windows open or waiting for labels at
# the end of its input exactly as a daemon holds them, so every window
# replay evaluated is evaluated exactly once across the daemon logs and
# equal to replay's, every decision once and equal, each action at most
# once, and nothing else. Prints FAIL lines; exit 1 on any. Used by the
# e2e_daemon_* tests (run with /usr/bin/python3).
import collections, json, sys
args = sys.argv[1:]
cut = args.index("--")
def load(paths):
    ev = collections.defaultdict(lambda: collections.defaultdict(list))
    for p in paths:
        for line in open(p):
            r = json.loads(line)
            ev[r["event"]][r.get("model")].append(r["data"])
    return ev
rep, got = load(args[:cut]), load(args[cut + 1:])
bad = []
for m in sorted((set(got["window_evaluated"]) | set(got["decision"])) - set(rep["window_evaluated"])):
    bad.append(f"model {m} is not in the replay")
for m, rw in sorted(rep["window_evaluated"].items()):
    n = len(rw)
    rd = {d["window"]: d for d in rep["decision"][m]}
    gw = collections.defaultdict(list)
    for w in got["window_evaluated"][m]:
        gw[w["window"]].append(w)
    gd = collections.defaultdict(list)
    for d in got["decision"][m]:
        gd[d["window"]].append(d)
    for i in range(n):
        if len(gw[i]) != 1:
            bad.append(f"{m}: window {i} evaluated {len(gw[i])} times")
        for w in gw[i][:1]:
            e = rw[i]
            for k in ("records", "start", "end"):
                if w[k] != e[k]:
                    bad.append(f"{m}: window {i} {k} {w[k]}, replay {e[k]}")
            diff = [ef["name"] for gf, ef in zip(w["features"], e["features"]) if gf != ef]
            if diff:
                bad.append(f"{m}: window {i}: {len(diff)} features differ from replay's "
                           f"(first {diff[0]})")
            if len(w["features"]) != len(e["features"]):
                bad.append(f"{m}: window {i} has {len(w['features'])} features")
        if len(gd[i]) != (1 if i in rd else 0):
            bad.append(f"{m}: window {i} decided {len(gd[i])} times, by replay "
                       f"{1 if i in rd else 0}")
        for d in gd[i][:1]:
            if i in rd and d != rd[i]:
                bad.append(f"{m}: window {i} decision {d} vs replay {rd[i]}")
    extra = sorted(i for i in set(gw) | set(gd) if not 0 <= i < n)
    if extra:
        bad.append(f"{m}: windows {extra} evaluated; replay's open window is {n}")
    keys = [d["idempotency_key"] for d in got["decision"][m]]
    dup = [k for k, c in collections.Counter(keys).items() if c > 1]
    if dup:
        bad.append(f"{m}: idempotency keys audited twice: {dup[:3]}")
    ra = [a["idempotency_key"] for a in rep["action_result"][m]]
    ga = [a["idempotency_key"] for a in got["action_result"][m]]
    if sorted(ga) != sorted(ra):
        bad.append(f"{m}: actions {sorted(ga)} vs replay {sorted(ra)}")
    print(f"  {m}: {sum(len(v) for v in gw.values())} windows, {len(keys)} decisions, "
          f"{len(ga)} actions; replay {n} windows, {len(rd)} decided")
for b in bad[:30]:
    print("FAIL:", b)
if len(bad) > 30:
    print(f"FAIL: ... and {len(bad) - 30} more")
sys.exit(1 if bad else 0)
