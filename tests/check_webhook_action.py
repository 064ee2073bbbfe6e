"""The webhook action end to end (docs/actions.md "Webhook actions"):
`kpigate replay` over the bundled example's drifting stream with
action.type webhook naming the local receiver
(tests/support/webhook_receiver.py), which checks every signature, fails
on demand and counts deliveries by (path, idempotency key, event).

Without --execute nothing reaches the receiver and each retrain's
action_result is not_sent with the exact request, secret headers by
reference only. With --execute, after two 500s: one accepted delivery
per retrain decision, signed, the idempotency key in its header and in
the body's dag_run_id, the secret header's value arrived, no key accepted
twice, the attempts audited, neither secret anywhere in the audit log or
output. A 400 is final: audited failed, not retried."""
import json
import os

from kpg_check import Check, audit_records
from webhook_lib import Receiver

c = Check()
SECRET = "whsec-kpg-action-test-41c9e2"
TOKEN = "tok-kpg-action-header-8d2f5a"

ex = c.path("example")
c.run("example", ex, "--records", "30000", "--seed", "11", expect=0)
with open(os.path.join(ex, "hook.secret"), "w") as f:
    f.write(SECRET + "\n")
with open(os.path.join(ex, "token.secret"), "w") as f:
    f.write("Bearer " + TOKEN + "\n")

recv = Receiver(c.tests, os.path.join(ex, "hook.secret"))
url = recv.url
ctl = recv.ctl

with open(os.path.join(ex, "policy.json")) as f:
    base = json.load(f)
pol = dict(base)
pol["action"] = {
    "type": "webhook", "url": url + "/api/v1/dags/retrain/dagRuns?token=" + TOKEN,
    "secret_file": "hook.secret",
    "headers": {"Authorization": {"secret_file": "token.secret"}, "X-Team": "ml-{model}"},
    "already_started_status": 409,
    "body": {"dag_run_id": "{idempotency_key}",
             "conf": {"model": "{model}", "window": "{window}", "features": "{drifted_features}"}},
}
policy = os.path.join(ex, "policy_webhook.json")
with open(policy, "w") as f:
    json.dump(pol, f)


def replay(audit, *extra):
    return c.run("replay", "--policy", policy, "--capture", f"{ex}/capture",
                 "--ground-truth", f"{ex}/ground_truth", "--audit", audit, *extra)


def results(audit):
    return [r for r in audit_records(audit) if r["event"] == "action_result"]


def retrain_keys(audit):
    return [r["data"]["idempotency_key"] for r in audit_records(audit)
            if r["event"] == "decision" and r["data"].get("decision") == "retrain"]


def no_secret(path, out, err, what):
    with open(path) as f:
        text = f.read()
    c.ok(SECRET not in text and TOKEN not in text, f"{what}: no secret in the audit log")
    c.ok(SECRET not in out + err and TOKEN not in out + err, f"{what}: no secret printed")


def bad_policy(name, action, *want):
    p = dict(base)
    p["action"] = action
    path = os.path.join(ex, name)
    with open(path, "w") as f:
        json.dump(p, f, indent=1)
    rc, out, err = c.run("policy", "check", "--no-reference", path)
    c.ok(rc == 1, f"{name}: refused (1): {rc}")
    for w in want:
        c.ok(w in err, f"{name}: says {w!r}: {err[-800:]}")


try:
    c.run("policy", "check", "--no-reference", policy, expect=0)
    bad_policy("bad_webhook.json",
               {"type": "webhook", "method": "GET", "secret_file": "a", "secret_env": "B",
                "headers": {"X-Kpigate-Signature": "x", "Bad Name": "y", "A": {"secret_path": "z"},
                            "C": "{modle}", "D": "a\nb"},
                "body": {"x": ["{nope}"]}},
               'action.type webhook needs "url"', 'action.method "GET" is not POST, PUT or PATCH',
               "at most one of", "X-Kpigate-Signature is kpigate's own",
               '"Bad Name" is not an HTTP token', 'unknown key "secret_path"',
               "did you mean {model}?", "{nope} in action.body.x[0]", "action.headers.D")
    bad_policy("bad_not_webhook.json", {"type": "dry_run", "url": url, "headers": {}},
               "action.url applies to action.type webhook",
               "action.headers applies to action.type webhook")
    rc, out, err = c.run("action", "test", "--policy", policy, expect=0)
    t = json.loads(out) if rc == 0 else {}
    c.ok(t.get("secrets_readable") is True and TOKEN not in out and SECRET not in out,
         f"action test reads the secrets, prints none: {out[-400:]}")

    # --- without --execute: recorded, not sent -----------------------------
    dry = c.path("dry.jsonl")
    rc, out, err = replay(dry)
    c.ok(rc == 1, f"replay ends with its finding (1): {rc} {err[-500:]}")
    c.ok(len(ctl("/_ctl/log")["deliveries"]) == 0, "nothing sent without --execute")
    keys = retrain_keys(dry)
    ns = [r for r in results(dry) if r["data"]["status"] == "not_sent"]
    c.ok(len(keys) >= 1 and len(ns) == len(keys),
         f"one not_sent action_result per retrain: {len(ns)} vs {len(keys)}")
    if ns:
        rq = ns[0]["data"]["request"]
        hs = {h["name"]: h for h in rq["body"]["headers"]}
        c.ok(rq["action"] == "webhook" and rq["body"]["method"] == "POST", f"the request: {rq}")
        c.ok(rq["body"]["url"] == url + "/api/v1/dags/retrain/dagRuns",
             f"the recorded URL has no query: {rq['body']['url']}")
        c.ok("value" not in hs["Authorization"] and
             hs["Authorization"].get("secret_file", "").endswith("token.secret"),
             f"a secret header is recorded by reference only: {hs['Authorization']}")
        c.ok(hs["X-Team"].get("value") == "ml-" + base["model"], f"placeholders in headers: {hs['X-Team']}")
        sent = json.loads(rq["body"]["body"])
        c.ok(sent["dag_run_id"] == ns[0]["data"]["idempotency_key"] and
             sent["conf"]["model"] == base["model"] and "/" in sent["conf"]["window"],
             f"placeholders filled in the body: {sent}")
    no_secret(dry, out, err, "dry run")

    # --- --execute: two 500s, then every retrain started once ---------------
    ctl("/_ctl/reset", {})
    ctl("/_ctl/fail", {"count": 2, "status": 500})
    live = c.path("live.jsonl")
    rc, out, err = replay(live, "--execute")
    c.ok(rc == 1, f"replay --execute ends with its finding (1): {rc} {err[-500:]}")
    log = ctl("/_ctl/log")
    dl, acc = log["deliveries"], log["accepted"]
    keys = retrain_keys(live)
    ok = [d for d in dl if d["status"] == 200]
    c.ok(sum(1 for d in dl if d["status"] == 500) == 2, "the first two attempts failed (500)")
    c.ok(len(ok) == len(keys) and sorted(d["key"] for d in ok) == sorted(keys),
         f"one accepted delivery per retrain decision: {len(ok)} vs {len(keys)}")
    c.ok(all(v == 1 for v in acc.values()), f"no idempotency key accepted twice: {acc}")
    c.ok(all(d["signature_ok"] for d in dl), "every delivery is signed")
    c.ok(all(d["headers"].get("Authorization") == "Bearer " + TOKEN for d in dl),
         "the secret header's value arrived")
    c.ok(all(d["headers"].get("X-Kpigate-Event") == "retrain" for d in dl), "X-Kpigate-Event: retrain")
    c.ok(all(d["path"].endswith("?token=" + TOKEN) for d in dl), "the URL is sent as written")
    c.ok(all(d["body"]["dag_run_id"] == d["key"] for d in ok),
         "dag_run_id is the idempotency key")
    res = results(live)
    st = [r["data"]["status"] for r in res]
    started = [r["data"] for r in res if r["data"]["status"] == "started"]
    c.ok(len(started) == len(keys), f"one started record per retrain: {st}")
    c.ok(all(s["http_status"] == 200 and s["headers"] == ["Authorization", "X-Team"] and
             s["host"].startswith("127.0.0.1:") and s.get("answer_excerpt") == '{"ok": true}'
             for s in started), f"started records: status, header names, host, answer: {started[:1]}")
    fails = [r["data"] for r in res if r["data"]["status"] == "attempt_failed"]
    c.ok(sum(f.get("count", 1) for f in fails) == 2 and all(f["http_status"] == 500 for f in fails),
         f"the two failed attempts are audited: {fails}")
    no_secret(live, out, err, "--execute")
    c.run("audit", "verify", live, expect=0)
    # energy: a started webhook spends its retrain's estimate (no measured run)
    sp = c.run_json("audit", "summary", live, "--json")["totals"]["energy"]["spent"]
    c.ok(sp.get("runs") == len(keys) and not sp.get("measured_runs") and sp.get("kwh", 0) > 0,
         f"audit summary: every started webhook spent its estimate: {sp}")

    # --- a 400 is final -----------------------------------------------------
    ctl("/_ctl/reset", {})
    ctl("/_ctl/fail", {"count": 1000, "status": 400})
    bad = c.path("bad.jsonl")
    rc, out, err = replay(bad, "--execute")
    log = ctl("/_ctl/log")
    keys = retrain_keys(bad)
    failed = [r["data"] for r in results(bad) if r["data"]["status"] == "failed"]
    c.ok(len(log["deliveries"]) == len(keys), f"a 400 is not retried: {len(log['deliveries'])} deliveries for {len(keys)} retrains")
    c.ok(len(failed) == len(keys) and all(f["http_status"] == 400 and f["error_type"] == "HttpError"
                                          and f["error_message"] == "HTTP 400" for f in failed),
         f"each audited failed with its 400: {failed[:1]}")
    c.ok(not any(r["data"]["status"] in ("started", "attempt_failed") for r in results(bad)),
         "nothing started, no retry recorded")
    no_secret(bad, out, err, "400")

    # --- 409, the receiver has the key: already_started, not failed ---------
    ctl("/_ctl/reset", {})
    ctl("/_ctl/fail", {"count": 1000, "status": 409})
    dup = c.path("dup.jsonl")
    rc, out, err = replay(dup, "--execute")
    keys = retrain_keys(dup)
    st = [r["data"]["status"] for r in results(dup)]
    c.ok(st == ["already_started"] * len(keys) and len(ctl("/_ctl/log")["deliveries"]) == len(keys),
         f"a 409 (already_started_status) is already_started, not retried: {st}")
    sp = c.run_json("audit", "summary", dup, "--json")["totals"]["energy"]["spent"]
    c.ok(sp.get("runs") == len(keys), f"already_started spends the estimate: {sp}")

    # --- 5xx to the end: retried, never final, kept in the outbox ----------
    ctl("/_ctl/reset", {})
    ctl("/_ctl/fail", {"count": 100000, "status": 503})
    down = c.path("down.jsonl")
    outbox = c.path("outbox")
    rc, out, err = replay(down, "--execute", "--outbox", outbox, "--action-wait", "2")
    log = ctl("/_ctl/log")
    keys = retrain_keys(down)
    rs = results(down)
    c.ok(len(log["deliveries"]) >= 2 * len(keys) and not log["accepted"],
         f"a 503 is retried: {len(log['deliveries'])} deliveries for {len(keys)} retrains")
    c.ok(not any(r["data"]["status"] in ("failed", "started") for r in rs),
         f"a receiver that keeps answering 503 fails nothing for good: {[r['data']['status'] for r in rs]}")
    c.ok(any(r["data"]["status"] == "attempt_failed" and r["data"]["http_status"] == 503 for r in rs),
         "its failed attempts are audited")
    c.ok(os.path.isdir(outbox) and len([n for n in os.listdir(outbox) if n.endswith(".json")]) == len(keys),
         f"the triggers stay in the outbox for a later run: {os.listdir(outbox) if os.path.isdir(outbox) else None}")
finally:
    recv.stop()
c.finish()
