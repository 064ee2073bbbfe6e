#!/usr/bin/python3
"""Self-test of tests/support/aws_mock.py with real botocore clients.

Run: /usr/bin/python3 tests/check_aws_mock.py [KPIGATE_BINARY SHARED_DIR ...]
(arguments are ignored).  Prints one line per check; exits 1 if any check
fails, 0 when all pass.  When /usr/bin/curl is present, libcurl's own SigV4
(the signer kpigate uses) is checked against the mock as well.
"""

import http.client
import json
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

# Keep the caller's AWS settings out of botocore's way.
for _k in list(os.environ):
	if _k.startswith("AWS_"):
		del os.environ[_k]
os.environ["AWS_CONFIG_FILE"] = "/nonexistent/aws-config"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/aws-credentials"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

import botocore.session
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import (ClientError, ConnectionClosedError, ReadTimeoutError,
				 SSLError)

HERE = os.path.dirname(os.path.abspath(__file__))
MOCK = os.path.join(HERE, "support", "aws_mock.py")
REGION = "eu-west-1"

AK, SK = "AKIDPLAINTEST0001", "plainSecretKey/abcdefghijklmnop0123456789"
AKT, SKT, TOK = "AKIDTOKENTEST0002", "tokenSecretKey/abcdefghijklmnop012345678", "SessTokenValue+abc/123=="
WIT = "web-identity-token-eyJhbGciOi.secret"
CAUTH = "container-auth-token-9f8e7d"
SECRETS = [SK, SKT, TOK, WIT, CAUTH]      # must never show up in the log
SM_ARN = "arn:aws:states:%s:123456789012:stateMachine:retrain" % REGION
SM_FAIL_ARN = "arn:aws:states:%s:123456789012:stateMachine:retrain-fail" % REGION

failures = []
SESSION = botocore.session.get_session()    # one session: models load once


def check(name, ok, detail=""):
	print("%s - %s%s" % ("ok" if ok else "FAIL", name,
			     "" if ok or not detail else ": " + str(detail)[:300]), flush=True)
	if not ok:
		failures.append(name)


def run(name, fn):
	"""Run one group of checks; an unexpected exception fails the group."""
	try:
		fn()
	except Exception as exc:
		check(name, False, "%s: %s" % (type(exc).__name__, exc))


class Mock:
	def __init__(self, *extra):
		self.err = tempfile.TemporaryFile()
		self.proc = subprocess.Popen(
			["/usr/bin/python3", MOCK, "--key", "%s:%s" % (AK, SK),
			 "--key", "%s:%s:%s" % (AKT, SKT, TOK), "--web-identity-token", WIT,
			 "--container-auth", CAUTH, "--run-seconds", "1"] + list(extra),
			stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.err)
		ready, _, _ = select.select([self.proc.stdout], [], [], 15)
		if not ready:
			self.proc.kill()
			raise RuntimeError("mock printed nothing in 15 s")
		self.line = self.proc.stdout.readline().decode().strip()
		fields = dict(f.split("=", 1) for f in self.line.split())
		self.url = fields["url"]
		self.ca = fields.get("ca")
		self.host, self.port = self.url.split("//")[1].split(":")
		self.port = int(self.port)

	def ctl(self, path, obj=None):
		"""GET (obj None) or POST JSON to the control API; (status, parsed)."""
		data = None if obj is None else json.dumps(obj).encode()
		req = urllib.request.Request(self.url + path, data=data,
					     method="GET" if obj is None else "POST")
		try:
			with urllib.request.urlopen(req, timeout=10, context=self.ssl_ctx()) as r:
				return r.status, json.loads(r.read())
		except urllib.error.HTTPError as e:
			return e.code, json.loads(e.read() or b"null")

	def ssl_ctx(self):
		return ssl.create_default_context(cafile=self.ca) if self.ca else None

	def stop(self):
		self.proc.send_signal(signal.SIGTERM)
		try:
			rc = self.proc.wait(10)
		except subprocess.TimeoutExpired:
			self.proc.kill()
			rc = "hung"
		rest = self.proc.stdout.read().decode()
		self.err.seek(0)
		return rc, rest, self.err.read().decode(errors="replace")


def client(mock, service, akid=AK, secret=SK, token=None, read_timeout=10):
	cfg = Config(retries={"total_max_attempts": 1}, connect_timeout=5,
		     read_timeout=read_timeout,
		     signature_version=UNSIGNED if service == "sts" else None)
	return SESSION.create_client(
		service, endpoint_url=mock.url, region_name=REGION,
		aws_access_key_id=akid, aws_secret_access_key=secret, aws_session_token=token,
		verify=mock.ca if mock.ca else False, config=cfg)


def err_of(fn, *a, **kw):
	"""Call fn; return (code, http status) of the ClientError it raises."""
	try:
		fn(*a, **kw)
	except ClientError as e:
		return e.response["Error"].get("Code"), e.response["ResponseMetadata"]["HTTPStatusCode"]
	return None, 200


def raw_signed(mock, target, body, service="sagemaker", akid=AK, secret=SK, token=None,
	       ctype="application/x-amz-json-1.1", timestamp=None, send_body=None, extra=None):
	"""Sign a request with botocore, send it with http.client (optionally with a
	different body than the one signed); (status, parsed body)."""
	req = AWSRequest(method="POST", url=mock.url + "/", data=body,
			 headers={"X-Amz-Target": target, "Content-Type": ctype})
	signer = SigV4Auth(Credentials(akid, secret, token), service, REGION)
	if timestamp is None:
		signer.add_auth(req)
	else:   # sign at a chosen time, the way add_auth does it
		req.context["timestamp"] = timestamp
		req.headers["X-Amz-Date"] = timestamp
		if token:
			req.headers["X-Amz-Security-Token"] = token
		sig = signer.signature(signer.string_to_sign(req, signer.canonical_request(req)), req)
		signer._inject_signature_to_request(req, sig)
	payload = body if send_body is None else send_body
	headers = dict(req.headers.items())
	headers.update(extra or {})
	return raw_send(mock, "POST", "/", headers, payload)


def raw_send(mock, method, path, headers, body):
	if mock.ca:
		conn = http.client.HTTPSConnection(mock.host, mock.port, timeout=10,
						   context=mock.ssl_ctx())
	else:
		conn = http.client.HTTPConnection(mock.host, mock.port, timeout=10)
	try:
		conn.request(method, path, body=body, headers=headers)
		r = conn.getresponse()
		data = r.read()
		try:
			parsed = json.loads(data)
		except ValueError:
			parsed = data.decode(errors="replace")
		return r.status, parsed
	finally:
		conn.close()


def log_of(mock):
	status, log = mock.ctl("/_mock/log")
	assert status == 200, status
	return log


# ---------------------------------------------------------------------------

def t_sagemaker(m):
	sm = client(m, "sagemaker")
	tok = "kpigate-0123456789abcdef0123456789abcdef"
	params = [{"Name": "Reason", "Value": "psi"}]
	a1 = sm.start_pipeline_execution(PipelineName="retrain", ClientRequestToken=tok,
					  PipelineParameters=params)["PipelineExecutionArn"]
	a2 = sm.start_pipeline_execution(PipelineName="retrain", ClientRequestToken=tok,
					  PipelineParameters=params)["PipelineExecutionArn"]
	check("StartPipelineExecution returns an execution ARN",
	      a1.startswith("arn:aws:sagemaker:%s:123456789012:pipeline/retrain/execution/" % REGION), a1)
	_, ex = m.ctl("/_mock/executions")
	same = [p for p in ex["pipelines"] if p["token"] == tok]
	check("StartPipelineExecution is idempotent by ClientRequestToken",
	      a1 == a2 and len(same) == 1 and same[0]["parameters"] == params, (a1, a2, same))
	a3 = sm.start_pipeline_execution(PipelineName="retrain",
					  ClientRequestToken="other-token-0123456789abcdef012345")["PipelineExecutionArn"]
	check("a new ClientRequestToken starts a new execution", a3 != a1, a3)
	af = sm.start_pipeline_execution(PipelineName="retrain-fail",
					  ClientRequestToken="fail-token-0123456789abcdef0123456")["PipelineExecutionArn"]
	d1 = sm.describe_pipeline_execution(PipelineExecutionArn=a1)
	check("DescribePipelineExecution is Executing before run-seconds",
	      d1["PipelineExecutionStatus"] == "Executing", d1["PipelineExecutionStatus"])
	m.sfn_started = t_sfn_start(m)      # overlap the two waits
	time.sleep(1.2)
	d2 = sm.describe_pipeline_execution(PipelineExecutionArn=a1)
	df = sm.describe_pipeline_execution(PipelineExecutionArn=af)
	check("DescribePipelineExecution is Succeeded after run-seconds",
	      d2["PipelineExecutionStatus"] == "Succeeded"
	      and d2["LastModifiedTime"] >= d2["CreationTime"], d2)
	check("a pipeline named *fail* ends Failed", df["PipelineExecutionStatus"] == "Failed",
	      df["PipelineExecutionStatus"])
	code, st = err_of(sm.describe_pipeline_execution,
			  PipelineExecutionArn=a1 + "nope")
	check("unknown pipeline execution ARN -> 400 ResourceNotFound",
	      (code, st) == ("ResourceNotFound", 400), (code, st))
	t_sfn_finish(m)


def t_sfn_start(m):
	sfn = client(m, "stepfunctions", AKT, SKT, TOK)
	r1 = sfn.start_execution(stateMachineArn=SM_ARN, name="run-1", input='{"model": "m1"}')
	r2 = sfn.start_execution(stateMachineArn=SM_ARN, name="run-1", input='{"model": "m1"}')
	check("StartExecution same name+input returns the same executionArn",
	      r1["executionArn"] == r2["executionArn"]
	      and r1["executionArn"] == "arn:aws:states:%s:123456789012:execution:retrain:run-1" % REGION,
	      (r1["executionArn"], r2["executionArn"]))
	code, st = err_of(sfn.start_execution, stateMachineArn=SM_ARN, name="run-1",
			  input='{"model": "m2"}')
	check("StartExecution same name, other input -> 400 ExecutionAlreadyExists",
	      (code, st) == ("ExecutionAlreadyExists", 400), (code, st))
	rf = sfn.start_execution(stateMachineArn=SM_FAIL_ARN, name="run-f")
	d = sfn.describe_execution(executionArn=r1["executionArn"])
	check("DescribeExecution is RUNNING before run-seconds",
	      d["status"] == "RUNNING" and "stopDate" not in d and d["input"] == '{"model": "m1"}', d)
	code, _ = err_of(sfn.start_execution, stateMachineArn=SM_ARN, name="run-1",
			 input="{not json")
	check("StartExecution with non-JSON input -> InvalidExecutionInput",
	      code == "InvalidExecutionInput", code)
	return r1["executionArn"], rf["executionArn"]


def t_sfn_finish(m):
	sfn = client(m, "stepfunctions", AKT, SKT, TOK)
	ok_arn, fail_arn = m.sfn_started
	d = sfn.describe_execution(executionArn=ok_arn)
	df = sfn.describe_execution(executionArn=fail_arn)
	check("DescribeExecution is SUCCEEDED with stopDate after run-seconds",
	      d["status"] == "SUCCEEDED" and d["stopDate"] >= d["startDate"], d)
	check("a state machine named *fail* ends FAILED", df["status"] == "FAILED", df["status"])


def t_auth(m):
	sm = client(m, "sagemaker", AK, "wrong" + SK)
	code, st = err_of(sm.describe_pipeline_execution, PipelineExecutionArn="arn:x")
	check("wrong secret -> 403 InvalidSignatureException",
	      (code, st) == ("InvalidSignatureException", 403), (code, st))
	sm = client(m, "sagemaker", "AKIDUNKNOWN000000", SK)
	code, st = err_of(sm.describe_pipeline_execution, PipelineExecutionArn="arn:x")
	check("unknown access key -> 403 UnrecognizedClientException",
	      (code, st) == ("UnrecognizedClientException", 403), (code, st))
	sm = client(m, "sagemaker", AKT, SKT)
	code, st = err_of(sm.describe_pipeline_execution, PipelineExecutionArn="arn:x")
	check("key with a session token, none sent -> 403 InvalidSignatureException",
	      (code, st) == ("InvalidSignatureException", 403), (code, st))
	sm = client(m, "sagemaker", AKT, SKT, TOK + "x")
	code, st = err_of(sm.describe_pipeline_execution, PipelineExecutionArn="arn:x")
	check("key with a session token, wrong token -> 403", st == 403, (code, st))
	sm = client(m, "sagemaker", AKT, SKT, TOK)
	code, st = err_of(sm.describe_pipeline_execution, PipelineExecutionArn="arn:x")
	check("key with its session token is accepted (reaches the API)",
	      code == "ResourceNotFound", (code, st))
	# session token sent but left out of the signature
	st, body = raw_signed(m, "SageMaker.DescribePipelineExecution", b'{"PipelineExecutionArn":"a"}',
			      akid=AKT, secret=SKT, extra={"X-Amz-Security-Token": TOK})
	check("session token sent but not signed -> 403 InvalidSignatureException",
	      st == 403 and body["__type"] == "InvalidSignatureException", (st, body))
	sfn_signed_for_sm = raw_signed(m, "SageMaker.DescribePipelineExecution", b"{}",
				       service="states")
	check("signing scope for the wrong service -> 403 InvalidSignatureException",
	      sfn_signed_for_sm[0] == 403
	      and sfn_signed_for_sm[1]["__type"] == "InvalidSignatureException", sfn_signed_for_sm)
	old = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 20 * 60))
	st, body = raw_signed(m, "SageMaker.DescribePipelineExecution", b"{}", timestamp=old)
	check("X-Amz-Date 20 min old -> 403 InvalidSignatureException",
	      st == 403 and body["__type"] == "InvalidSignatureException", (st, body))
	now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
	st, body = raw_signed(m, "SageMaker.DescribePipelineExecution",
			      b'{"PipelineExecutionArn":"arn:none"}', timestamp=now)
	check("(control) raw request signed now reaches the API",
	      st == 400 and body["__type"] == "ResourceNotFound", (st, body))
	good = b'{"PipelineName":"p","ClientRequestToken":"tamper-0123456789abcdef0123456789"}'
	bad = good.replace(b'"p"', b'"q"')
	st, body = raw_signed(m, "SageMaker.StartPipelineExecution", good, send_body=bad)
	check("body altered after signing -> 403 InvalidSignatureException",
	      st == 403 and body["__type"] == "InvalidSignatureException", (st, body))
	st, body = raw_signed(m, "SageMaker.StartPipelineExecution", good)
	check("(control) the same request unaltered -> 200", st == 200, (st, body))
	st, body = raw_signed(m, "SageMaker.NoSuchThing", b"{}")
	check("unknown X-Amz-Target -> 400 UnknownOperationException",
	      st == 400 and body["__type"] == "UnknownOperationException", (st, body))


def t_sts_and_expiry(m):
	sts = client(m, "sts")
	code, st = err_of(sts.assume_role_with_web_identity,
			  RoleArn="arn:aws:iam::123456789012:role/kpigate-role",
			  RoleSessionName="kpigate", WebIdentityToken="not-the-token")
	check("STS with a wrong web identity token -> 400 InvalidIdentityToken",
	      (code, st) == ("InvalidIdentityToken", 400), (code, st))
	r = sts.assume_role_with_web_identity(RoleArn="arn:aws:iam::123456789012:role/kpigate-role",
					      RoleSessionName="kpigate", WebIdentityToken=WIT)
	c = r["Credentials"]
	life = c["Expiration"].timestamp() - time.time()
	check("STS AssumeRoleWithWebIdentity returns credentials expiring in ~1 h",
	      c["AccessKeyId"].startswith("ASIA") and 3500 < life <= 3600, life)
	m.minted.extend([c["SecretAccessKey"], c["SessionToken"]])
	sm = client(m, "sagemaker", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
	arn = sm.start_pipeline_execution(PipelineName="sts-pipe",
					  ClientRequestToken="sts-token-0123456789abcdef012345678")["PipelineExecutionArn"]
	check("STS credentials work for SageMaker", "pipeline/sts-pipe/" in arn, arn)
	st, _ = m.ctl("/_mock/config", {"expire_all": True})
	code, st = err_of(sm.describe_pipeline_execution, PipelineExecutionArn=arn)
	check("expire_all -> 400 ExpiredTokenException", (code, st) == ("ExpiredTokenException", 400),
	      (code, st))
	st, _ = m.ctl("/_mock/config", {"web_identity_token": "rotated-token"})
	code, _ = err_of(sts.assume_role_with_web_identity, RoleArn="arn:aws:iam::1:role/r",
			 RoleSessionName="kpigate", WebIdentityToken=WIT)
	r = sts.assume_role_with_web_identity(RoleArn="arn:aws:iam::1:role/r",
					      RoleSessionName="kpigate", WebIdentityToken="rotated-token")
	m.minted.extend([r["Credentials"]["SecretAccessKey"], r["Credentials"]["SessionToken"]])
	check("config web_identity_token replaces the accepted token",
	      code == "InvalidIdentityToken" and r["Credentials"]["AccessKeyId"], code)
	m.ctl("/_mock/config", {"web_identity_token": WIT})
	q = ("/?Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr"
	     "&RoleSessionName=s&WebIdentityToken=" + urllib.request.quote(WIT, safe=""))
	st, body = raw_send(m, "GET", q, {}, None)
	check("STS as a GET query also works", st == 200 and "<SessionToken>" in body, st)
	if st == 200:
		m.minted.append(body.split("<SecretAccessKey>")[1].split("<")[0])
		m.minted.append(body.split("<SessionToken>")[1].split("<")[0])


def t_scripts(m):
	sm = client(m, "sagemaker")
	st, _ = m.ctl("/_mock/fail", {"match": "SageMaker.StartPipelineExecution", "responses": [
		{"status": 429, "type": "ThrottlingException", "message": "Rate exceeded"},
		{"status": 500, "type": "InternalFailure", "message": "boom"},
		{"status": 0, "delay_ms": 600},
		{"close": True}]})
	check("POST /_mock/fail accepts a script", st == 200, st)
	kw = {"PipelineName": "scripted", "ClientRequestToken": "script-0123456789abcdef0123456789ab"}
	d = client(m, "sagemaker").describe_pipeline_execution
	code, _ = err_of(d, PipelineExecutionArn="arn:none")
	check("a script for another target leaves DescribePipelineExecution alone",
	      code == "ResourceNotFound", code)
	code, st = err_of(sm.start_pipeline_execution, **kw)
	check("scripted 1: 429 ThrottlingException", (code, st) == ("ThrottlingException", 429), (code, st))
	code, st = err_of(sm.start_pipeline_execution, **kw)
	check("scripted 2: 500 InternalFailure", (code, st) == ("InternalFailure", 500), (code, st))
	t0 = time.time()
	arn = sm.start_pipeline_execution(**kw)["PipelineExecutionArn"]
	check("scripted 3: delay 600 ms then a normal answer",
	      time.time() - t0 >= 0.6 and "pipeline/scripted/" in arn, time.time() - t0)
	try:
		sm.start_pipeline_execution(**kw)
		got = "answered"
	except ConnectionClosedError:
		got = "closed"
	check("scripted 4: connection dropped without an answer", got == "closed", got)
	arn2 = sm.start_pipeline_execution(**kw)["PipelineExecutionArn"]
	check("script used up: normal (idempotent) answer again", arn2 == arn, arn2)
	log = [e for e in log_of(m) if e["target"] == "SageMaker.StartPipelineExecution"
	       and (e["body"] or {}).get("PipelineName") == "scripted"]
	check("scripted calls are logged in order with signature_ok true",
	      [e["status"] for e in log] == [429, 500, 200, 0, 200]
	      and all(e["signature_ok"] is True for e in log), [(e["status"], e["signature_ok"]) for e in log])
	m.ctl("/_mock/fail", {"match": "*", "responses": [{"status": 0, "delay_ms": 1500}]})
	slow = client(m, "sagemaker", read_timeout=0.4)
	try:
		slow.describe_pipeline_execution(PipelineExecutionArn="arn:none")
		got = "answered"
	except ReadTimeoutError:
		got = "timeout"
	check("scripted delay beyond the client's read timeout -> timeout", got == "timeout", got)
	m.ctl("/_mock/fail", {"match": "sts", "responses": [{"status": 503, "type": "ServiceUnavailable"}]})
	code, st = err_of(client(m, "sts").assume_role_with_web_identity, RoleArn="arn:aws:iam::1:role/r",
			  RoleSessionName="kpigate", WebIdentityToken=WIT)
	check("scripted STS failure -> 503 ServiceUnavailable (XML error)",
	      (code, st) == ("ServiceUnavailable", 503), (code, st))


def t_ecs_imds(m):
	ctx = m.ssl_ctx()
	req = urllib.request.Request(m.url + "/ecs/credentials", headers={"Authorization": CAUTH})
	with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
		c = json.loads(r.read())
	check("ECS container credentials with the right Authorization",
	      {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"} <= set(c)
	      and c["Expiration"].endswith("Z"), sorted(c))
	m.minted.extend([c["SecretAccessKey"], c["Token"]])
	try:
		urllib.request.urlopen(urllib.request.Request(m.url + "/ecs/credentials"), timeout=10,
				       context=ctx)
		st = 200
	except urllib.error.HTTPError as e:
		st = e.code
	check("ECS without Authorization -> 401", st == 401, st)
	sm = client(m, "sagemaker", c["AccessKeyId"], c["SecretAccessKey"], c["Token"])
	code, _ = err_of(sm.describe_pipeline_execution, PipelineExecutionArn="arn:none")
	check("ECS credentials work for SageMaker", code == "ResourceNotFound", code)

	req = urllib.request.Request(m.url + "/latest/api/token", method="PUT",
				     headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
	with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
		token = r.read().decode()
	base = m.url + "/latest/meta-data/iam/security-credentials/"
	with urllib.request.urlopen(urllib.request.Request(
			base, headers={"X-aws-ec2-metadata-token": token}), timeout=10, context=ctx) as r:
		role = r.read().decode()
	with urllib.request.urlopen(urllib.request.Request(
			base + role, headers={"X-aws-ec2-metadata-token": token}), timeout=10,
			context=ctx) as r:
		c = json.loads(r.read())
	check("IMDSv2 token -> role name -> credentials",
	      role == "kpigate-role" and c["Code"] == "Success" and c["Type"] == "AWS-HMAC"
	      and c["Token"], (role, sorted(c)))
	m.minted.extend([c["SecretAccessKey"], c["Token"], token])
	codes = []
	for hdrs in ({}, {"X-aws-ec2-metadata-token": "bogus"}):
		try:
			urllib.request.urlopen(urllib.request.Request(base + role, headers=hdrs),
					       timeout=10, context=ctx)
			codes.append(200)
		except urllib.error.HTTPError as e:
			codes.append(e.code)
	check("IMDS GET without / with a bogus token -> 401", codes == [401, 401], codes)
	sfn = client(m, "stepfunctions", c["AccessKeyId"], c["SecretAccessKey"], c["Token"])
	r = sfn.start_execution(stateMachineArn=SM_ARN, name="imds-run")
	check("IMDS credentials work for Step Functions", r["executionArn"].endswith(":imds-run"),
	      r["executionArn"])


def t_garbage(m):
	st, body = raw_send(m, "POST", "/", {"X-Amz-Target": "SageMaker.StartPipelineExecution",
					     "Content-Type": "application/x-amz-json-1.1"}, b"{}")
	check("unsigned API call -> 403 MissingAuthenticationTokenException",
	      st == 403 and body["__type"] == "MissingAuthenticationTokenException", (st, body))
	for raw in (b"{not json", b"[1, 2]", b"\xff\xfe\x00garbage", b'{"a": NaN}',
		    b"[" * 100000):
		st, body = raw_signed(m, "SageMaker.StartPipelineExecution", raw)
		check("signed garbage body %r -> 400 SerializationException" % raw[:10],
		      st == 400 and body["__type"] == "SerializationException", (st, body))
	st, body = raw_send(m, "POST", "/", {"X-Amz-Target": "SageMaker.StartPipelineExecution",
					     "Authorization": "AWS4-HMAC-SHA256 garbage"}, b"{}")
	check("malformed Authorization -> 403", st == 403, (st, body))
	# 2 MiB announced: refused with 413 before the body is read
	s = socket.create_connection((m.host, m.port), timeout=10)
	if m.ca:
		s = m.ssl_ctx().wrap_socket(s, server_hostname=m.host)
	s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SageMaker.StartPipelineExecution\r\n"
		  b"Content-Length: 2097152\r\n\r\n")
	first = s.recv(4096).split(b"\r\n")[0]
	s.close()
	check("2 MiB body -> 413", b" 413 " in first, first)
	st, body = raw_send(m, "POST", "/", {"X-Amz-Target": "SageMaker.StartPipelineExecution"},
			    b"x" * (MIB + 1))
	check("body of 1 MiB + 1 actually sent -> 413", st == 413, st)
	s = socket.create_connection((m.host, m.port), timeout=10)
	if m.ca:
		s = m.ssl_ctx().wrap_socket(s, server_hostname=m.host)
	s.sendall(b"GARBAGE \x00\xff JUNK/9.9\r\n\r\n")
	first = s.recv(4096).split(b"\r\n")[0]
	s.close()
	check("garbage request line -> 400", b" 400 " in first, first)
	st, _ = raw_send(m, "POST", "/_mock/fail", {}, b"nonsense")
	st2, _ = m.ctl("/_mock/config", {"run_seconds": "soon"})
	st3, _ = m.ctl("/_mock/fail", {"match": "*", "responses": [{"status": 99}]})
	check("bad control requests -> 400", (st, st2, st3) == (400, 400, 400), (st, st2, st3))
	st, body = raw_send(m, "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"},
			    b"\xff\xfe=&&==Action")
	check("garbage STS form -> 400 XML error", st == 400 and "<Code>" in body, (st, body))
	st, _ = raw_send(m, "GET", "/nowhere", {}, None)
	check("unknown path -> 404", st == 404, st)
	# still serving
	code, _ = err_of(client(m, "sagemaker").describe_pipeline_execution,
			 PipelineExecutionArn="arn:none")
	check("mock still serves after the garbage", code == "ResourceNotFound", code)


def t_curl(m):
	"""libcurl 7.88's CURLOPT_AWS_SIGV4 (via the curl tool) against the mock."""
	if not os.path.exists("/usr/bin/curl"):
		print("skip - curl not installed: libcurl SigV4 not checked")
		return
	cases = [("sagemaker", "SageMaker.StartPipelineExecution", "application/x-amz-json-1.1",
		  {"PipelineName": "curl-pipe", "ClientRequestToken": "curl-token-0123456789abcdef0123456"},
		  AK, SK, None, "PipelineExecutionArn"),
		 ("states", "AWSStepFunctions.StartExecution", "application/x-amz-json-1.0",
		  {"stateMachineArn": SM_ARN, "name": "curl-run", "input": '{"k": "v w"}'},
		  AKT, SKT, TOK, "executionArn")]
	for service, target, ctype, body, akid, secret, token, field in cases:
		cmd = ["/usr/bin/curl", "-sS", "-m", "10", "--aws-sigv4",
		       "aws:amz:%s:%s" % (REGION, service), "--user", "%s:%s" % (akid, secret),
		       "-H", "X-Amz-Target: " + target, "-H", "Content-Type: " + ctype,
		       "--data-binary", json.dumps(body), m.url + "/"]
		if token:
			cmd[-1:-1] = ["-H", "X-Amz-Security-Token: " + token]
		if m.ca:
			cmd[-1:-1] = ["--cacert", m.ca]
		out = subprocess.run(cmd, capture_output=True, timeout=20)
		try:
			reply = json.loads(out.stdout)
		except ValueError:
			reply = {}
		check("libcurl SigV4 (%s%s) accepted" % (service, ", session token" if token else ""),
		      field in reply, out.stdout[:200] + out.stderr[:200])


def t_log(m):
	log = log_of(m)
	text = json.dumps(log)
	leaked = [i for i, s in enumerate(SECRETS + m.minted) if s and s in text]
	check("/_mock/log never contains a secret, token or minted credential", not leaked and
	      len(m.minted) >= 8, (leaked, len(m.minted)))
	sts = [e for e in log if e["kind"] == "sts"]
	check("STS log entries show WebIdentityToken as <redacted>",
	      sts and all(e["body"].get("WebIdentityToken") == "<redacted>" for e in sts
			  if isinstance(e["body"], dict) and "WebIdentityToken" in e["body"]), len(sts))
	bad = [e for e in log if e["error_type"] == "InvalidSignatureException"
	       and e["access_key_id"] == AK]
	good = [e for e in log if e["status"] == 200 and e["kind"] == "api"]
	check("log: signature_ok false for bad signatures, true for accepted calls",
	      bad and all(e["signature_ok"] is False for e in bad)
	      and good and all(e["signature_ok"] is True for e in good), (len(bad), len(good)))
	check("log: kinds api, sts, ecs, imds all recorded, control calls excluded",
	      {"api", "sts", "ecs", "imds"} <= {e["kind"] for e in log}
	      and not any((e["target"] or "").startswith("/_mock") for e in log))
	check("log: session_token_sent matches token use",
	      any(e["session_token_sent"] and e["access_key_id"] == AKT for e in log)
	      and not any(e["session_token_sent"] for e in log if e["access_key_id"] == AK))
	st, _ = m.ctl("/_mock/reset", {})
	_, ex = m.ctl("/_mock/executions")
	check("reset clears log and executions", st == 200 and log_of(m) == []
	      and ex == {"pipelines": [], "sfn": []}, ex)


MIB = 1024 * 1024


def suite(m, label):
	m.minted = []
	run(label + " sagemaker+sfn", lambda: t_sagemaker(m))
	run(label + " auth", lambda: t_auth(m))
	run(label + " sts", lambda: t_sts_and_expiry(m))
	run(label + " scripts", lambda: t_scripts(m))
	run(label + " ecs/imds", lambda: t_ecs_imds(m))
	run(label + " garbage", lambda: t_garbage(m))
	run(label + " curl", lambda: t_curl(m))
	run(label + " log", lambda: t_log(m))


def stop_and_check(m, label):
	rc, rest, err = m.stop()
	check(label + ": SIGTERM stops the mock cleanly (exit 0)", rc == 0, rc)
	check(label + ": stdout was exactly one url= line", rest == "" and m.line.startswith("url="),
	      repr(rest[:100]))
	check(label + ": stderr holds no secret", not any(s in err for s in SECRETS + m.minted),
	      "leak")
	check(label + ": no internal error on stderr", "internal error" not in err, err[-300:])


def main():
	t0 = time.time()
	m = Mock()
	print("# plain HTTP: " + m.url, flush=True)
	check("plain: url line", m.url.startswith("http://127.0.0.1:") and m.ca is None, m.line)
	try:
		suite(m, "plain")
	finally:
		stop_and_check(m, "plain")

	with tempfile.TemporaryDirectory() as tls_dir:
		m = Mock("--tls", tls_dir)
		print("# TLS: " + m.line, flush=True)
		check("tls: url line names https and DIR/ca.pem",
		      m.url.startswith("https://127.0.0.1:") and m.ca == os.path.join(tls_dir, "ca.pem")
		      and os.path.exists(os.path.join(tls_dir, "key.pem")), m.line)
		try:
			suite(m, "tls")
			strict = SESSION.create_client(
				"sagemaker", endpoint_url=m.url, region_name=REGION, aws_access_key_id=AK,
				aws_secret_access_key=SK, config=Config(retries={"total_max_attempts": 1}))
			try:
				strict.describe_pipeline_execution(PipelineExecutionArn="x")
				got = "accepted"
			except SSLError:
				got = "rejected"
			check("tls: the mock's certificate is refused without its CA", got == "rejected", got)
		finally:
			stop_and_check(m, "tls")
	took = time.time() - t0
	print("# %d failure(s) in %.1f s" % (len(failures), took))
	return 1 if failures else 0


if __name__ == "__main__":
	sys.exit(main())
