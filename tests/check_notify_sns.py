"""SNS notifications through the AWS emulator (tests/support/aws_mock.py),
which checks every SigV4 signature with botocore: `kpigate replay
--execute` over the bundled example's drifting stream publishes its drift
alerts and the retrain to the policy's topic (signed for sns in the ARN's
region, the JSON body as the Message); a 500 is retried; a wrong secret
key is an audited failure (403), not a crash; the secret is never in the
audit log; a retrain whose SageMaker call is refused raises action_failed,
published as Slack's one line."""
import json
import os
import signal
import subprocess
import sys
import urllib.request

from kpg_check import Check, SKIP, audit_records

c = Check()
mock = os.path.join(c.tests, "support", "aws_mock.py")
try:
    import botocore.auth  # noqa: F401
except ImportError:
    print("skip: python3-botocore missing")
    sys.exit(SKIP)
AKID, SECRET = "AKIDKPGSNS0001", "kpgSnsSecret/0001+abcdefghijklmnop"
ARN = "arn:aws:sns:eu-west-1:123456789012:kpigate-alerts"

proc = subprocess.Popen([sys.executable, mock, "--key", f"{AKID}:{SECRET}"],
                        stdout=subprocess.PIPE, text=True)
line = proc.stdout.readline().strip()
if not line.startswith("url="):
    proc.kill()
    print("aws_mock did not start:", line)
    sys.exit(SKIP)
url = line[4:].split()[0]


def ctl(path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(url + path, data=data, timeout=10) as r:
        return json.loads(r.read())


ex = c.path("example")
c.run("example", ex, "--records", "30000", "--seed", "11", expect=0)
with open(os.path.join(ex, "policy.json")) as f:
    p = json.load(f)
p["notify"] = [{"type": "sns", "topic_arn": ARN, "events": ["drift_alert", "retrain_decided"]}]
p["notify_cooldown_seconds"] = 0
pol = os.path.join(ex, "policy_sns.json")
with open(pol, "w") as f:
    json.dump(p, f)
c.run("policy", "check", pol, expect=0)

base_env = {k: v for k, v in os.environ.items()
            if not k.startswith("AWS_")}
base_env.update(AWS_ENDPOINT_URL_SNS=url, AWS_REGION="us-east-1",
                AWS_EC2_METADATA_DISABLED="true")


def replay(audit, secret):
    env = dict(base_env, AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=secret)
    r = subprocess.run([c.kpigate, "replay", "--policy", pol, "--capture", f"{ex}/capture",
                        "--ground-truth", f"{ex}/ground_truth", "--audit", audit, "--execute"],
                       capture_output=True, text=True, env=env, timeout=600)
    return r.returncode, r.stdout + r.stderr


try:
    ctl("/_mock/fail", {"match": "SNS.Publish", "responses": [{"status": 500}]})
    audit = c.path("sns.jsonl")
    rc, out = replay(audit, SECRET)
    c.ok(rc == 1, f"replay --execute ends with its finding (1): {rc} {out[-800:]}")
    log = [e for e in ctl("/_mock/log") if e["kind"] == "sns"]
    msgs = ctl("/_mock/sns")["messages"]
    c.ok(log and all(e["signature_ok"] for e in log), "every Publish is signed correctly (botocore)")
    c.ok(sum(1 for e in log if e["status"] == 500) == 1 and len(log) == len(msgs) + 1,
         f"the 500 was retried: {len(log)} calls, {len(msgs)} messages")
    notes = [r for r in audit_records(audit) if r["event"] == "notification"]
    delivered = [r for r in notes if r["data"]["status"] == "delivered"]
    c.ok(len(delivered) == len(msgs) and all(r["data"]["target"] == "sns" and
                                            r["data"]["topic_arn"] == ARN for r in delivered),
         f"a delivered record per message: {len(delivered)} vs {len(msgs)}")
    c.ok(sum(1 for r in notes if r["data"]["status"] == "attempt_failed") == 1,
         "the failed attempt is audited")
    bodies = [json.loads(m["Message"]) for m in msgs]
    c.ok(all(m["TopicArn"] == ARN for m in msgs), "published to the policy's topic")
    c.ok(any(b["event"] == "drift_alert" for b in bodies) and
         sum(1 for b in bodies if b["event"] == "retrain_decided") == 1,
         "drift alerts and the one retrain were published")
    c.ok(all(m["Subject"].startswith("kpigate ") for m in msgs), "each has a subject")
    with open(audit) as f:
        c.ok(SECRET not in f.read(), "the AWS secret is not in the audit log")

    # a wrong secret: the emulator refuses the signature, audited, no crash
    ctl("/_mock/reset", {})
    bad = c.path("bad.jsonl")
    rc, out = replay(bad, "wrong/secret+key")
    c.ok(rc == 1, f"a wrong secret: replay still ends normally (1): {rc} {out[-800:]}")
    notes = [r for r in audit_records(bad) if r["event"] == "notification"]
    c.ok(notes and all(r["data"]["status"] == "failed" and r["data"]["http_status"] == 403
                       for r in notes),
         f"every publish audited failed with 403: {set((r['data']['status'], r['data']['http_status']) for r in notes)}")
    c.ok(len(ctl("/_mock/sns")["messages"]) == 0, "nothing published with a wrong secret")
    with open(bad) as f:
        c.ok("wrong/secret+key" not in f.read(), "the wrong secret is not audited either")

    # action_failed: the retrain's SageMaker call is refused (a final 400);
    # the action runner's failed record is published
    ctl("/_mock/reset", {})
    ctl("/_mock/fail", {"match": "SageMaker.StartPipelineExecution",
                        "responses": [{"status": 400, "type": "ValidationException",
                                       "message": "Pipeline churn-retrain does not exist"}]})
    p2 = dict(p)
    p2["action"] = dict(p["action"], type="sagemaker_pipeline")
    p2["notify"] = [{"type": "sns", "topic_arn": ARN, "events": ["action_failed"],
                     "format": "slack"}]
    with open(pol, "w") as f:
        json.dump(p2, f)
    failed = c.path("failed.jsonl")
    env = dict(base_env, AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_ENDPOINT_URL_SAGEMAKER=url)
    r = subprocess.run([c.kpigate, "replay", "--policy", pol, "--capture", f"{ex}/capture",
                        "--ground-truth", f"{ex}/ground_truth", "--audit", failed, "--execute",
                        "--action-deadline", "30"],
                       capture_output=True, text=True, env=env, timeout=600)
    recs = audit_records(failed)
    results = [x for x in recs if x["event"] == "action_result"]
    c.ok(any(x["data"]["status"] == "failed" for x in results),
         f"the action failed: {[x['data']['status'] for x in results]} {r.stderr[-500:]}")
    msgs = ctl("/_mock/sns")["messages"]
    c.ok(len(msgs) == 1 and msgs[0]["Message"].startswith("kpigate: action failed for model churn-xgb")
         and "ValidationException" in msgs[0]["Message"],
         f"action_failed published as one line: {[m['Message'] for m in msgs]}")
    notes = [x for x in recs if x["event"] == "notification"]
    c.ok(len(notes) == 1 and notes[0]["data"]["event"] == "action_failed" and
         notes[0]["data"]["status"] == "delivered", f"one delivered action_failed record: {notes}")
finally:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
c.finish()
