"""Notifications end to end (docs/notifications.md): `kpigate replay` over
the bundled example's drifting stream with a policy whose notify list
names the local receiver (tests/support/webhook_receiver.py), which
checks every HMAC signature, fails on demand and counts deliveries by
(idempotency key, event).

Without --execute nothing reaches the receiver and the audit log holds
what would be sent (not_sent). With --execute: drift alerts and the
retrain arrive signed, the first two attempts fail (500) and are retried,
no (key, event) is accepted twice, the cooldown suppresses repeated
alerts and counts them, every attempt has a notification record and the
secret is nowhere in the audit log. A wrong secret and a missing secret
file are audited failures, not a crash."""
import json
import os

from kpg_check import Check, audit_records
from webhook_lib import Receiver

c = Check()
SECRET = "whsec-kpg-notify-test-7f3a9c"

ex = c.path("example")
c.run("example", ex, "--records", "30000", "--seed", "11", expect=0)
with open(os.path.join(ex, "hook.secret"), "w") as f:
    f.write(SECRET + "\n")
with open(os.path.join(ex, "wrong.secret"), "w") as f:
    f.write("not-the-secret\n")

recv = Receiver(c.tests, os.path.join(ex, "hook.secret"))
url = recv.url
ctl = recv.ctl

with open(os.path.join(ex, "policy.json")) as f:
    base = json.load(f)


def policy(name, notify, cooldown=172800):
    p = dict(base)
    p["notify"] = notify
    p["notify_cooldown_seconds"] = cooldown
    path = os.path.join(ex, name)
    with open(path, "w") as f:
        json.dump(p, f)
    return path


good = policy("policy_notify.json", [
    {"type": "webhook", "url": url + "/hook", "secret_file": "hook.secret",
     "events": ["drift_alert", "retrain_decided"]},
    {"type": "webhook", "url": url + "/slack", "secret_env": "KPG_TEST_HOOK_SECRET",
     "events": ["retrain_decided"], "format": "slack"},
])
os.environ["KPG_TEST_HOOK_SECRET"] = SECRET


def replay(pol, audit, *extra):
    return c.run("replay", "--policy", pol, "--capture", f"{ex}/capture",
                 "--ground-truth", f"{ex}/ground_truth", "--audit", audit, *extra)


def notes(audit):
    return [r for r in audit_records(audit) if r["event"] == "notification"]


try:
    # --- dry run: nothing sent, what would be sent is audited ----------
    dry = c.path("dry.jsonl")
    rc, out, err = replay(good, dry)
    c.ok(rc == 1, f"replay without --execute ends with its finding (1): {rc} {err[-500:]}")
    log = ctl("/_ctl/log")
    c.ok(len(log["deliveries"]) == 0, f"nothing sent without --execute: {len(log['deliveries'])}")
    n = notes(dry)
    c.ok(n and all(r["data"]["status"] in ("not_sent", "suppressed") for r in n),
         f"dry run: notification records are not_sent or suppressed: {set(r['data']['status'] for r in n)}")
    not_sent = [r for r in n if r["data"]["status"] == "not_sent"]
    c.ok(any(r["data"]["event"] == "drift_alert" for r in not_sent) and
         any(r["data"]["event"] == "retrain_decided" for r in not_sent),
         "dry run audits a drift_alert and a retrain_decided it would send")
    c.ok(all(r["data"]["body"]["idempotency_key"] == r["data"]["idempotency_key"]
             for r in not_sent if "idempotency_key" in r["data"]["body"]),
         "a not_sent record holds the body with the decision's key")
    c.ok("not sent" in err, f"stderr says notifications were not sent: {err[-300:]}")

    # --- --execute: delivered, signed, retried, deduped ------------------
    ctl("/_ctl/reset", {})
    ctl("/_ctl/fail", {"count": 2, "status": 500})
    live = c.path("live.jsonl")
    rc, out, err = replay(good, live, "--execute")
    c.ok(rc == 1, f"replay --execute ends with its finding (1): {rc} {err[-500:]}")
    log = ctl("/_ctl/log")
    dl = log["deliveries"]
    acc = log["accepted"]
    ok = [d for d in dl if d["status"] == 200]
    c.ok(all(d["signature_ok"] for d in dl), "every delivery carries a valid signature")
    c.ok(sum(1 for d in dl if d["status"] == 500) == 2, "the first two attempts failed (500)")
    c.ok(len(dl) == len(ok) + 2, f"each failure retried once more: {len(dl)} deliveries, {len(ok)} taken")
    c.ok(all(v == 1 for v in acc.values()), f"no (key, event) accepted twice: {acc}")
    alerts = [d for d in ok if d["event"] == "drift_alert"]
    retrains = [d for d in ok if d["event"] == "retrain_decided"]
    c.ok(len(alerts) >= 2, f"drift alerts delivered: {len(alerts)}")
    c.ok(len(retrains) == 2, f"the retrain reached both targets: {len(retrains)}")
    slack = [d for d in retrains if d["path"] == "/slack"]
    c.ok(len(slack) == 1 and set(slack[0]["body"]) == {"text"} and
         slack[0]["body"]["text"].startswith("kpigate: retrain decided for model churn-xgb"),
         f"the slack target gets one line: {slack[0]['body'] if slack else None}")
    body = alerts[0]["body"] if alerts else {}
    for k in ("event", "model", "window", "decision", "reasons", "kpis", "drifted_features",
              "idempotency_key", "audit_record_hash"):
        c.ok(k in body, f"the JSON body has {k}")
    c.ok(body.get("decision") == "hold" and body.get("drifted_features"),
         f"a drift alert is a hold with drifted features: {body.get('decision')}")
    c.ok(body.get("idempotency_key") == alerts[0]["key"] if alerts else False,
         "the idempotency header is the body's key")

    recs = audit_records(live)
    by_hash = {r["hash"]: r for r in recs}
    c.ok(all(by_hash.get(d["body"]["audit_record_hash"], {}).get("event") == "decision"
             for d in ok if "audit_record_hash" in d["body"]),
         "audit_record_hash names the decision's audit record")
    n = notes(live)
    st = [r["data"]["status"] for r in n]
    c.ok(st.count("attempt_failed") == 2, f"two attempt_failed records: {st.count('attempt_failed')}")
    c.ok(st.count("delivered") == len(ok), f"one delivered record per taken delivery: {st.count('delivered')} vs {len(ok)}")
    sup = [r for r in n if r["data"]["status"] == "suppressed"]
    c.ok(len(sup) >= 1 and sup[-1]["data"]["suppressed"] == len(sup),
         f"the cooldown suppressed repeated alerts and counts them: {len(sup)}")
    dry_alerts = [r for r in notes(dry) if r["data"]["event"] == "drift_alert"]
    c.ok(len(alerts) + len(sup) == len(dry_alerts),
         f"alerts sent + suppressed = the dry run's ({len(alerts)} + {len(sup)} vs {len(dry_alerts)})")
    c.ok(all(r["data"]["host"].startswith("127.0.0.1:") for r in n if r["data"]["status"] != "suppressed"),
         "records name the host only")
    with open(live) as f:
        text = f.read()
    c.ok(SECRET not in text, "the secret is not in the audit log")
    c.ok(SECRET not in out + err, "the secret is not printed")
    c.run("audit", "verify", live, expect=0)

    # --- again over the same stream: the receiver's dedupe counts --------
    # (a second run is a second delivery of the same (key, event): the
    # receiver's count shows it; kpigate keeps no memory across replays)

    # --- a wrong secret and a missing file: audited failures --------------
    ctl("/_ctl/reset", {})
    bad = policy("policy_bad.json", [
        {"type": "webhook", "url": url + "/hook", "secret_file": "wrong.secret",
         "events": ["retrain_decided"]},
        {"type": "webhook", "url": url + "/hook", "secret_file": "missing.secret",
         "events": ["retrain_decided"]},
    ])
    bad_audit = c.path("bad.jsonl")
    rc, out, err = replay(bad, bad_audit, "--execute")
    c.ok(rc == 1, f"replay with a wrong secret still ends normally (1): {rc} {err[-500:]}")
    n = notes(bad_audit)
    c.ok(any(r["data"]["status"] == "failed" and r["data"]["http_status"] == 401 for r in n),
         "a wrong secret: the receiver refuses (401), audited failed, not retried")
    c.ok(sum(1 for r in n if r["data"]["http_status"] == 401) == 1, "a 401 is not retried")
    c.ok(any(r["data"]["status"] == "failed" and "missing.secret" in r["data"].get("error", "")
             for r in n), "a missing secret file: audited failed, naming the file")
    c.ok(len(ctl("/_ctl/log")["accepted"]) == 0, "nothing accepted with a wrong secret")
finally:
    recv.stop()
c.finish()
