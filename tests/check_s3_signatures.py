"""`kpigate replay --capture s3://...` against tests/support/aws_mock.py,
which checks every S3 request's SigV4 signature with botocore's
S3SigV4Auth (payload hash header, session token, signed headers):

- temporary credentials (AWS_SESSION_TOKEN) sign every ListObjectsV2 and
  GetObject (paged by 3 keys), and the replay equals the local one;
- a 503 SlowDown and a 400 RequestTimeout (S3's XML errors) are retried,
  and the replay still succeeds;
- a wrong secret is a loud 403 SignatureDoesNotMatch (exit 2) naming the
  prefix; an AccessDenied GetObject names the object; no secret printed."""
import json
import os
import subprocess
import urllib.request

from kpg_check import Check

c = Check()
AKID, SECRET, TOKEN = "ASIAKPGS3TEST", "s3-test-secret-value", "IQoJb3JpZ2luX2VjS3Rva2Vu"
mock = subprocess.Popen(["/usr/bin/python3", os.path.join(c.tests, "support", "aws_mock.py"),
                         "--key", f"{AKID}:{SECRET}:{TOKEN}"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
try:
    line = mock.stdout.readline().strip()
    if not line.startswith("url="):
        c.fail(f"the emulator did not start: {line} {mock.stderr.read()[-1000:]}")
        c.finish()
    url = line[4:]

    def control(path, body):
        req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=10).read())

    def log():
        return json.loads(urllib.request.urlopen(url + "/_mock/log", timeout=10).read())

    # two days of the example world, in SageMaker's layout
    ex = c.path("example")
    c.run("example", ex, "--records", "1000", "--seed", "3", expect=0)
    local = c.path("local")
    n = 0
    for top in ("capture", "ground_truth"):
        for dirpath, _, files in os.walk(os.path.join(ex, top)):
            rel = os.path.relpath(dirpath, ex)
            if "/2026/01/05/" not in rel + "/" and "/2026/01/06/" not in rel + "/":
                continue
            for f in files:
                with open(os.path.join(dirpath, f)) as fh:
                    body = fh.read()
                os.makedirs(os.path.join(local, rel), exist_ok=True)
                with open(os.path.join(local, rel, f), "w") as fh:
                    fh.write(body)
                control("/_mock/s3", {"bucket": "sm-bucket", "key": f"dc/{rel}/{f}", "body": body})
                n += 1
    pol = json.load(open(os.path.join(ex, "policy.json")))
    pol["reference"]["path"] = os.path.join(ex, "train.csv")
    pol["guards"]["min_records"] = 5
    pol["guards"]["min_labelled"] = 2
    policy = c.write("policy.json", json.dumps(pol))

    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k != "KPIGATE_S3_MAX_KEYS"}
    env.update(AWS_ENDPOINT_URL_S3=url, AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_SESSION_TOKEN=TOKEN, AWS_REGION="eu-west-1", KPIGATE_S3_MAX_KEYS="3",
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")

    def replay(cap, gt=None, e=env):
        args = [c.kpigate, "replay", "--policy", policy, "--capture", cap, "--json",
                "--decide-pending"]
        if gt:
            args += ["--ground-truth", gt]
        return subprocess.run(args, capture_output=True, text=True, env=e, timeout=300)

    lp = replay(os.path.join(local, "capture"), os.path.join(local, "ground_truth"))
    sp = replay("s3://sm-bucket/dc/capture", "s3://sm-bucket/dc/ground_truth")
    c.ok(sp.returncode in (0, 1) and sp.returncode == lp.returncode,
         f"signed with a session token, the replay runs: {sp.returncode} {sp.stderr[-800:]}")
    entries = [e for e in log() if e["kind"] == "s3"]
    c.ok(len(entries) > n and all(e["signature_ok"] and e["status"] == 200 and
                                  e["session_token_sent"] and e["access_key_id"] == AKID
                                  for e in entries),
         f"every S3 request was verified by S3SigV4Auth: {len(entries)} requests, "
         f"{[e for e in entries if not e['signature_ok']][:2]}")
    c.ok(sum(e["target"] == "GetObject" for e in entries) == n and
         sum(e["target"] == "ListObjectsV2" for e in entries) >= n // 3,
         f"one GetObject per object, ListObjectsV2 paged by 3: {len(entries)} for {n} objects")
    try:
        lrep, srep = json.loads(lp.stdout), json.loads(sp.stdout)
        lrep.pop("audit", None), srep.pop("audit", None)
        c.ok(lrep == srep and len(lrep["decisions"]) >= 1,
             "the summary equals the local replay's: " +
             str([(k, lrep.get(k), srep.get(k)) for k in set(lrep) | set(srep)
                  if lrep.get(k) != srep.get(k)])[:1500])
    except ValueError:
        c.fail(f"not JSON: {sp.stdout[:300]} {sp.stderr[-500:]}")

    one = "capture/churn-endpoint/AllTraffic/2026/01/05"

    def fresh_day():
        """A reset emulator (empty log) holding one day's capture only."""
        control("/_mock/reset", {})  # the buckets go too
        for dirpath, _, files in os.walk(os.path.join(local, one)):
            for f in files:
                with open(os.path.join(dirpath, f)) as fh:
                    control("/_mock/s3", {"bucket": "sm-bucket", "body": fh.read(),
                                          "key": "dc/" + os.path.relpath(
                                              os.path.join(dirpath, f), local)})

    # throttled once: retried with backoff
    fresh_day()
    control("/_mock/fail", {"match": "ListObjectsV2", "responses": [
        {"status": 503, "type": "SlowDown", "message": "Please reduce your request rate."}]})
    p = replay("s3://sm-bucket/dc/" + one)
    got = [e["status"] for e in log() if e["kind"] == "s3"][:2]
    c.ok(p.returncode in (0, 1, 2) and '"capture"' in p.stdout and got == [503, 200],
         f"a 503 SlowDown is retried: {got} {p.returncode} {p.stderr[-500:]}")

    # S3's 400 RequestTimeout (in XML) is retried too
    fresh_day()
    control("/_mock/fail", {"match": "GetObject", "responses": [
        {"status": 400, "type": "RequestTimeout", "message": "Your socket connection timed out"}]})
    p = replay("s3://sm-bucket/dc/" + one)
    got = [e["status"] for e in log() if e["kind"] == "s3" and e["target"] == "GetObject"][:2]
    c.ok('"capture"' in p.stdout and got == [400, 200],
         f"a 400 RequestTimeout is retried: {got} {p.returncode} {p.stderr[-500:]}")

    # a wrong secret: loud, named, no secret printed
    bad = dict(env, AWS_SECRET_ACCESS_KEY="a-wrong-secret-value")
    p = replay("s3://sm-bucket/dc/capture", e=bad)
    c.ok(p.returncode == 2 and "s3://sm-bucket/dc/capture" in p.stderr and "HTTP 403" in p.stderr
         and "SignatureDoesNotMatch" in p.stderr,
         f"a wrong secret is a loud 403 naming the prefix: {p.returncode} {p.stderr[-500:]}")
    c.ok(SECRET not in p.stderr + p.stdout and "a-wrong-secret-value" not in p.stderr + p.stdout
         and TOKEN not in p.stderr + p.stdout, "no secret or token printed")
    # a missing session token
    notoken = {k: v for k, v in env.items() if k != "AWS_SESSION_TOKEN"}
    p = replay("s3://sm-bucket/dc/capture", e=notoken)
    c.ok(p.returncode == 2 and "HTTP 403" in p.stderr,
         f"without its session token the key is refused: {p.returncode} {p.stderr[-300:]}")
    # GetObject denied: the object is named
    control("/_mock/fail", {"match": "GetObject", "responses": [
        {"status": 403, "type": "AccessDenied", "message": "Access Denied"}]})
    p = replay("s3://sm-bucket/dc/" + one)
    c.ok(p.returncode == 2 and "HTTP 403 AccessDenied: Access Denied" in p.stderr and
         "s3://sm-bucket/dc/capture/churn-endpoint/AllTraffic/2026/01/05/" in p.stderr and
         ".jsonl" in p.stderr,
         f"a denied GetObject names the object: {p.returncode} {p.stderr[-400:]}")
    # a missing bucket
    p = replay("s3://no-such-bucket/dc/capture")
    c.ok(p.returncode == 2 and "HTTP 404 NoSuchBucket" in p.stderr and
         "s3://no-such-bucket/dc/capture" in p.stderr,
         f"a missing bucket is a loud 404: {p.returncode} {p.stderr[-300:]}")
finally:
    mock.terminate()
    mock.wait(timeout=10)
c.finish()
