#!/usr/bin/python3
"""Local AWS emulator for kpigate's tests (issue 4).

Speaks just enough SageMaker Pipelines, Step Functions, SNS Publish (signed
form POST; messages kept for GET /_mock/sns), STS web identity,
ECS container credentials, IMDSv2 and S3 (ListObjectsV2 and GetObject,
path-style, over a small in-memory bucket filled through /_mock/s3) for the
C side to be tested on loopback.  Every signed call is checked with
botocore's own SigV4 code (S3SigV4Auth for S3).

Run: /usr/bin/python3 tests/support/aws_mock.py [--tls DIR]
        [--key AKID:SECRET[:SESSION_TOKEN]]... [--web-identity-token TOKEN]
        [--container-auth TOKEN] [--run-seconds S]
Prints one line, "url=http://127.0.0.1:PORT" (with --tls:
"url=https://127.0.0.1:PORT ca=DIR/ca.pem"), then serves until SIGTERM or
SIGINT.  The control API lives under /_mock/ (see docs/aws-testing.md).

Secrets (secret keys, session tokens, web identity and container tokens)
are never printed and never stored in /_mock/log.
"""

import argparse
import base64
import calendar
import hashlib
import hmac
import http.server
import json
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape as xml_escape

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCOUNT = "123456789012"
ROLE_NAME = "kpigate-role"
ROLE_ARN = "arn:aws:iam::%s:role/%s" % (ACCOUNT, ROLE_NAME)
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"

MAX_BODY = 1024 * 1024          # bigger bodies get 413
MAX_DISCARD = 64 * 1024 * 1024  # after a 413, read and drop at most this much
MAX_LOG = 10000                 # oldest log entries dropped past this
MAX_LOGGED_BODY = 64 * 1024     # bodies above this are logged as a size
MAX_EXECUTIONS = 10000
MAX_SCRIPTS = 10000
MAX_MINTED = 10000
MAX_IMDS_TOKENS = 10000
MAX_S3_OBJECTS = 10000
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
SNS_NS = "http://sns.amazonaws.com/doc/2010-03-31/"
CLOCK_SKEW = 15 * 60            # X-Amz-Date tolerance, seconds
CONN_TIMEOUT = 60               # idle client connections are dropped

# X-Amz-Target prefix -> (signing service, JSON protocol content type)
SERVICES = {
	"SageMaker": ("sagemaker", "application/x-amz-json-1.1"),
	"AWSStepFunctions": ("states", "application/x-amz-json-1.0"),
}

AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256\s+(.*)$", re.S)
SFN_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
SM_ARN_RE = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:([A-Za-z0-9_-]{1,80})$")


class ApiError(Exception):
	"""An AWS-style error answer: status, __type, message."""

	def __init__(self, status, etype, message):
		super().__init__(message)
		self.status = status
		self.etype = etype
		self.message = message


def reject_constant(name):
	raise ValueError("%s is not JSON" % name)


def parse_json(data):
	"""Strict JSON from bytes (no NaN/Infinity, bounded nesting); None if bad."""
	try:
		return json.loads(data.decode("utf-8"), parse_constant=reject_constant)
	except (ValueError, UnicodeDecodeError, RecursionError):
		return None


def iso8601(epoch):
	return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def rand_upper(n):
	alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	return "".join(secrets.choice(alphabet) for _ in range(n))


class State:
	"""Everything the mock remembers; every access holds self.lock."""

	def __init__(self, args):
		self.lock = threading.Lock()
		self.keys = {}          # akid -> {"secret", "token", "expires"|None}
		self.minted = []        # akids minted, oldest first (for the cap)
		for spec in args.key:
			parts = spec.split(":", 2)
			if len(parts) < 2 or not parts[0] or not parts[1]:
				raise SystemExit("aws_mock: --key wants AKID:SECRET[:TOKEN]")
			self.keys[parts[0]] = {"secret": parts[1],
					       "token": parts[2] if len(parts) == 3 and parts[2] else None,
					       "expires": None}
		self.web_identity_token = args.web_identity_token
		self.container_auth = args.container_auth
		self.run_seconds = float(args.run_seconds)
		self.credential_seconds = 3600.0
		self.imds_tokens = {}   # token -> expiry
		self.reset()

	def reset(self):
		self.log = []
		self.scripts = []       # [(match, response dict)]
		self.pipelines = {}     # arn -> record
		self.pipeline_tokens = {}  # ClientRequestToken -> arn
		self.sfn = {}           # arn -> record
		self.sfn_names = {}     # (stateMachineArn, name) -> arn
		self.s3 = {}            # bucket -> {key: (bytes, time)}
		self.sns = []           # published messages, oldest first

	def mint(self):
		"""New temporary credentials, accepted until they expire."""
		akid = "ASIA" + rand_upper(16)
		cred = {"secret": secrets.token_urlsafe(30)[:40],
			"token": "IQoJ" + base64.b64encode(secrets.token_bytes(96)).decode(),
			"expires": time.time() + self.credential_seconds}
		self.keys[akid] = cred
		self.minted.append(akid)
		while len(self.minted) > MAX_MINTED:
			self.keys.pop(self.minted.pop(0), None)
		return akid, cred

	def take_script(self, target, kind):
		for i, (match, resp) in enumerate(self.scripts):
			if match == "*" or match == target or match == kind:
				del self.scripts[i]
				return resp
		return None


class Server(http.server.ThreadingHTTPServer):
	daemon_threads = True
	allow_reuse_address = True

	def __init__(self, addr, handler, state, tls_ctx):
		super().__init__(addr, handler)
		self.state = state
		self.tls_ctx = tls_ctx
		self.scheme = "https" if tls_ctx else "http"

	def finish_request(self, request, client_address):
		# The TLS handshake runs here, in the connection's own thread, so a
		# silent client cannot stall accept().
		request.settimeout(CONN_TIMEOUT)
		if self.tls_ctx:
			try:
				request = self.tls_ctx.wrap_socket(request, server_side=True)
			except (OSError, ssl.SSLError):
				return
		try:
			super().finish_request(request, client_address)
		finally:
			if self.tls_ctx:
				try:
					request.close()
				except OSError:
					pass

	def handle_error(self, request, client_address):
		# One bad connection must not spam or stop the server; say what
		# broke without the request (which may hold tokens).
		exc = sys.exc_info()[1]
		print("aws_mock: connection error: %s" % type(exc).__name__,
		      file=sys.stderr, flush=True)


class Handler(http.server.BaseHTTPRequestHandler):
	protocol_version = "HTTP/1.1"
	server_version = "aws_mock/1"
	sys_version = ""

	entry = None            # this request's /_mock/log record (None: control)
	answered = False
	req_id = ""
	region = "us-east-1"    # from the credential scope once parsed

	def log_message(self, fmt, *args):
		pass    # request lines may carry tokens (STS GET); stay quiet

	def send_error(self, code, message=None, explain=None):
		# http.server's own errors (bad request line, huge headers): same
		# JSON shape and request id as everything else, then hang up.
		self.req_id = self.req_id or str(uuid.uuid4())
		self.close_connection = True
		if self.request_version == "HTTP/0.9":
			self.request_version = "HTTP/1.0"   # always send a status line
		if self.answered:
			return
		try:
			self.send_json_error(code, "BadRequest", message or "bad request",
					     "application/json")
		except OSError:
			pass

	def handle_expect_100(self):
		# Refuse an oversized body before the client sends it.
		try:
			if int(self.headers.get("Content-Length", "0")) > MAX_BODY:
				return True
		except ValueError:
			pass
		return super().handle_expect_100()

	# ---- plumbing -------------------------------------------------------

	def do_GET(self):
		self.dispatch()

	def do_POST(self):
		self.dispatch()

	def do_PUT(self):
		self.dispatch()

	def do_DELETE(self):
		self.dispatch()

	def do_HEAD(self):
		self.dispatch()

	def dispatch(self):
		self.entry = None
		self.answered = False
		self.req_id = str(uuid.uuid4())
		self.discard = 0
		try:
			self.route()
			if self.discard:
				self.drain(self.discard)
		except (BrokenPipeError, ConnectionResetError, socket.timeout, ssl.SSLError):
			self.close_connection = True
		except Exception as exc:  # never let one request kill the server
			print("aws_mock: internal error: %s: %s" % (type(exc).__name__, exc),
			      file=sys.stderr, flush=True)
			if not self.answered:
				try:
					self.send_json_error(500, "InternalFailure", "mock internal error",
							     "application/json")
				except OSError:
					self.close_connection = True

	def read_body(self):
		"""The request body, or raises ApiError 413/400.  Caps at MAX_BODY."""
		te = self.headers.get("Transfer-Encoding", "")
		if te.lower() == "chunked":
			return self.read_chunked()
		cl = self.headers.get("Content-Length")
		if cl is None:
			return b""
		try:
			n = int(cl.strip())
		except ValueError:
			self.close_connection = True
			raise ApiError(400, "SerializationException", "bad Content-Length")
		if n < 0:
			self.close_connection = True
			raise ApiError(400, "SerializationException", "bad Content-Length")
		if n > MAX_BODY:
			self.close_connection = True
			self.discard = n
			raise ApiError(413, "RequestEntityTooLarge",
				       "request body of %d bytes exceeds %d" % (n, MAX_BODY))
		data = self.rfile.read(n)
		if len(data) != n:
			self.close_connection = True
			raise ApiError(400, "SerializationException", "truncated body")
		return data

	def drain(self, n):
		"""After a 413, swallow (and drop) the body the client is still
		sending, briefly, so it can read the answer instead of a reset."""
		self.connection.settimeout(2)
		left = min(n, MAX_DISCARD)
		while left > 0:
			chunk = self.rfile.read1(min(left, 65536)) if hasattr(self.rfile, "read1") \
				else self.rfile.read(min(left, 65536))
			if not chunk:
				break
			left -= len(chunk)

	def read_chunked(self):
		out = bytearray()
		while True:
			line = self.rfile.readline(1024)
			try:
				size = int(line.split(b";")[0].strip(), 16)
			except ValueError:
				self.close_connection = True
				raise ApiError(400, "SerializationException", "bad chunk size")
			if size == 0:
				while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
					pass
				return bytes(out)
			if size < 0 or len(out) + size > MAX_BODY:
				self.close_connection = True
				raise ApiError(413, "RequestEntityTooLarge",
					       "request body exceeds %d bytes" % MAX_BODY)
			out += self.rfile.read(size)
			self.rfile.readline(16)

	def send_raw(self, status, body, ctype, extra=None):
		if isinstance(body, str):
			body = body.encode()
		self.answered = True
		if self.entry is not None:
			self.entry["status"] = status
		self.send_response(status)
		self.send_header("x-amzn-RequestId", self.req_id)
		self.send_header("Content-Type", ctype)
		self.send_header("Content-Length", str(len(body)))
		for k, v in (extra or {}).items():
			self.send_header(k, v)
		if self.close_connection:
			self.send_header("Connection", "close")
		self.end_headers()
		if self.command != "HEAD":
			self.wfile.write(body)

	def send_json(self, status, obj, ctype="application/json"):
		self.send_raw(status, json.dumps(obj), ctype)

	def send_json_error(self, status, etype, msg, ctype):
		if self.entry is not None:
			self.entry["error_type"] = etype
		self.send_raw(status, json.dumps({"__type": etype, "message": msg}), ctype,
			      {"x-amzn-ErrorType": etype})

	def send_sts_error(self, status, code, msg):
		self.send_query_error(status, code, msg, STS_NS)

	def send_query_error(self, status, code, msg, ns):
		"""The Query protocol's error (STS, SNS): <ErrorResponse> in ns."""
		if self.entry is not None:
			self.entry["error_type"] = code
		kind = "Receiver" if status >= 500 else "Sender"
		body = ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n'
			'    <Code>%s</Code>\n    <Message>%s</Message>\n  </Error>\n'
			'  <RequestId>%s</RequestId>\n</ErrorResponse>\n'
			% (ns, kind, xml_escape(code), xml_escape(msg), self.req_id))
		self.send_raw(status, body, "text/xml")

	def send_s3_error(self, status, code, msg, resource=""):
		if self.entry is not None:
			self.entry["error_type"] = code
		body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
			'<Message>%s</Message><Resource>%s</Resource><RequestId>%s</RequestId>'
			'</Error>\n' % (xml_escape(code), xml_escape(msg), xml_escape(resource),
					 self.req_id))
		self.send_raw(status, body, "application/xml", {"x-amz-request-id": self.req_id})

	def send_error_for(self, kind, err, ctype):
		if kind == "s3":
			self.send_s3_error(err.status, err.etype, err.message)
		elif kind == "sns":
			self.send_sns_error(err.status, err.etype, err.message)
		elif kind == "sts":
			self.send_sts_error(err.status, err.etype, err.message)
		else:
			self.send_json_error(err.status, err.etype, err.message, ctype)

	def drop_connection(self):
		self.answered = True
		self.close_connection = True
		if self.entry is not None:
			self.entry["status"] = 0
		try:
			self.connection.shutdown(socket.SHUT_RDWR)
		except OSError:
			pass

	def new_entry(self, kind, target):
		st = self.server.state
		self.entry = {"t": int(time.time() * 1000), "kind": kind, "target": target,
			      "status": None, "signature_ok": None, "access_key_id": None,
			      "session_token_sent": "X-Amz-Security-Token" in self.headers,
			      "body": None, "error_type": None}
		with st.lock:
			st.log.append(self.entry)
			if len(st.log) > MAX_LOG:
				del st.log[0]

	def log_body(self, body):
		with self.server.state.lock:
			self.entry["body"] = body

	def scripted(self, target, kind, ctype):
		"""Play the next scripted response for this request, if any.
		Returns True when the request has been answered (or dropped)."""
		st = self.server.state
		with st.lock:
			resp = st.take_script(target, kind)
		if resp is None:
			return False
		if resp.get("delay_ms"):
			time.sleep(resp["delay_ms"] / 1000.0)
		if resp.get("close"):
			self.drop_connection()
			return True
		status = resp.get("status", 0)
		if not status:
			return False
		if "body" in resp:
			if self.entry is not None:
				self.entry["error_type"] = resp.get("type")
			self.send_raw(status, resp["body"], ctype)
			return True
		etype = resp.get("type") or default_error_type(status)
		msg = resp.get("message") or "scripted %d" % status
		self.send_error_for(kind, ApiError(status, etype, msg), ctype)
		return True

	# ---- routing --------------------------------------------------------

	def route(self):
		raw_path = self.path
		if not raw_path.startswith("/"):
			self.close_connection = True
			self.send_json_error(400, "BadRequest", "request target must be a path",
					     "application/json")
			return
		path, _, query = raw_path.partition("?")
		if path.startswith("/_mock/"):
			self.handle_control(path)
			return
		if path.startswith("/ecs/") or path == "/ecs":
			self.new_entry("ecs", path)
			self.handle_ecs()
			return
		if path.startswith("/latest/"):
			self.new_entry("imds", path)
			self.handle_imds(path)
			return
		target = self.headers.get("X-Amz-Target")
		# S3: a GET signed for the s3 service (path-style bucket or object)
		if self.command in ("GET", "HEAD") and target is None and path != "/" and \
				"/s3/aws4_request" in self.headers.get("Authorization", ""):
			self.handle_s3(path, query)
			return
		# SNS (Query protocol): a signed form POST, the action in the body
		if path == "/" and target is None and self.command == "POST" and \
				"/sns/aws4_request" in self.headers.get("Authorization", ""):
			self.new_entry("sns", "SNS.Publish")
			self.handle_sns()
			return
		if path == "/" and target is None:
			ctype = self.headers.get("Content-Type", "")
			if (self.command == "GET" and "Action=" in query) or (
					self.command == "POST" and ("x-www-form-urlencoded" in ctype
								    or "Action=" in query)):
				self.new_entry("sts", "AssumeRoleWithWebIdentity")
				self.handle_sts(query)
				return
		self.new_entry("api", target)
		self.handle_api(path, target)

	# ---- signed JSON APIs -----------------------------------------------

	def handle_api(self, path, target):
		prefix = (target or "").partition(".")[0]
		service, ctype = SERVICES.get(prefix, (None, "application/x-amz-json-1.1"))
		try:
			body = self.read_body()
		except ApiError as err:
			self.send_json_error(err.status, err.etype, err.message, ctype)
			return
		if path != "/" or self.command != "POST":
			self.entry["error_type"] = "UnknownOperationException"
			self.send_json_error(404 if path != "/" else 405, "UnknownOperationException",
					     "no such resource: %s %s" % (self.command, path), ctype)
			return
		parsed = parse_json(body) if body.strip() else {}
		if len(body) > MAX_LOGGED_BODY:
			self.log_body("<%d bytes>" % len(body))
		else:
			self.log_body(parsed)
		try:
			self.check_sigv4(body, service)
		except ApiError as err:
			self.send_json_error(err.status, err.etype, err.message, ctype)
			return
		if self.scripted(target, "api", ctype):
			return
		handler = API_HANDLERS.get(target)
		if handler is None:
			self.send_json_error(400, "UnknownOperationException",
					     "unknown operation %s" % (target or "(no X-Amz-Target)"), ctype)
			return
		if not isinstance(parsed, dict):
			self.send_json_error(400, "SerializationException",
					     "body is not a JSON object", ctype)
			return
		try:
			out = handler(self, parsed)
		except ApiError as err:
			self.send_json_error(err.status, err.etype, err.message, ctype)
			return
		self.send_json(200, out, ctype)

	# ---- S3 (path-style: /BUCKET?list-type=2..., /BUCKET/KEY) ---------------

	def handle_s3(self, path, query):
		st = self.server.state
		bucket, _, raw_key = path[1:].partition("/")
		key = urllib.parse.unquote(raw_key)
		params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True, max_num_fields=20))
		op = "GetObject" if raw_key else (
			"ListObjectsV2" if params.get("list-type") == "2" else "ListObjects")
		self.new_entry("s3", op)
		self.log_body({"bucket": bucket[:64], "key": key[:1024],
			       **{k: v[:1024] for k, v in params.items() if k != "continuation-token"}})
		try:
			self.read_body()
			if self.headers.get("X-Amz-Content-SHA256") is None:
				raise ApiError(400, "InvalidRequest",
					       "Missing required header for this request: x-amz-content-sha256")
			try:
				self.check_sigv4(b"", "s3", S3SigV4Auth)
			except ApiError as err:
				raise ApiError(err.status, {
					"InvalidSignatureException": "SignatureDoesNotMatch",
					"UnrecognizedClientException": "InvalidAccessKeyId",
					"MissingAuthenticationTokenException": "AccessDenied",
					"IncompleteSignatureException": "AuthorizationHeaderMalformed",
					"ExpiredTokenException": "ExpiredToken"}.get(err.etype, err.etype),
					err.message)
			if self.scripted(op, "s3", "application/xml"):
				return
			with st.lock:
				objects = st.s3.get(bucket)
				objects = dict(objects) if objects is not None else None
			if objects is None:
				raise ApiError(404, "NoSuchBucket", "The specified bucket does not exist")
			if op == "GetObject":
				self.s3_get(objects, key)
			elif op == "ListObjectsV2":
				self.s3_list(bucket, objects, params)
			else:
				raise ApiError(400, "NotImplemented", "only ListObjectsV2 and GetObject")
		except ApiError as err:
			self.send_s3_error(err.status, err.etype, err.message, path[:1100])

	def s3_get(self, objects, key):
		if key not in objects:
			raise ApiError(404, "NoSuchKey", "The specified key does not exist.")
		data, _ = objects[key]
		etag = '"%s"' % hashlib.md5(data).hexdigest()
		want = self.headers.get("If-Match")
		if want is not None and want.strip() not in (etag, "*"):
			raise ApiError(412, "PreconditionFailed",
				       "At least one of the pre-conditions you specified did not hold")
		self.send_raw(200, data, "application/octet-stream",
			      {"ETag": etag, "x-amz-request-id": self.req_id})

	def s3_list(self, bucket, objects, params):
		try:
			max_keys = int(params.get("max-keys", "1000"))
		except ValueError:
			raise ApiError(400, "InvalidArgument", "max-keys is not a number")
		if not 0 <= max_keys <= 1000:
			raise ApiError(400, "InvalidArgument", "max-keys must be 0..1000")
		prefix = params.get("prefix", "")
		after = params.get("start-after", "")
		token = params.get("continuation-token")
		if token is not None:
			try:
				after = max(after, base64.urlsafe_b64decode(token.encode()).decode())
			except (ValueError, UnicodeDecodeError):
				raise ApiError(400, "InvalidArgument",
					       "The continuation token provided is incorrect")
		keys = sorted(k for k in objects if k.startswith(prefix) and k > after)
		page, more = keys[:max_keys], len(keys) > max_keys
		out = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="%s">'
		       % S3_NS, "<Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount>"
		       "<MaxKeys>%d</MaxKeys><IsTruncated>%s</IsTruncated>"
		       % (xml_escape(bucket), xml_escape(prefix), len(page), max_keys,
			  "true" if more else "false")]
		for k in page:
			data, t = objects[k]
			out.append("<Contents><Key>%s</Key><LastModified>%s</LastModified>"
				   "<ETag>&quot;%s&quot;</ETag><Size>%d</Size>"
				   "<StorageClass>STANDARD</StorageClass></Contents>"
				   % (xml_escape(k), iso8601(t), hashlib.md5(data).hexdigest(), len(data)))
		if more:
			out.append("<NextContinuationToken>%s</NextContinuationToken>"
				   % base64.urlsafe_b64encode(page[-1].encode()).decode())
		out.append("</ListBucketResult>\n")
		self.send_raw(200, "".join(out), "application/xml", {"x-amz-request-id": self.req_id})

	def check_sigv4(self, body, service, signer_cls=SigV4Auth):
		"""Verify the request's SigV4 signature with botocore (signer_cls:
		SigV4Auth, or S3SigV4Auth for S3); raise ApiError.
		Fills signature_ok / access_key_id in the log entry."""
		st = self.server.state
		entry = self.entry
		entry["signature_ok"] = False
		auth = self.headers.get("Authorization")
		if not auth:
			raise ApiError(403, "MissingAuthenticationTokenException",
				       "Missing Authentication Token")
		m = AUTH_RE.match(auth.strip())
		if not m:
			raise ApiError(403, "IncompleteSignatureException",
				       "Authorization header is not AWS4-HMAC-SHA256")
		fields = {}
		for part in m.group(1).split(","):
			k, eq, v = part.strip().partition("=")
			if eq:
				fields[k.strip()] = v.strip()
		cred = fields.get("Credential", "").split("/")
		signed = [h for h in fields.get("SignedHeaders", "").split(";") if h]
		given_sig = fields.get("Signature", "")
		if len(cred) != 5 or cred[4] != "aws4_request" or not signed or not given_sig:
			raise ApiError(403, "IncompleteSignatureException",
				       "Authorization needs Credential=AKID/DATE/REGION/SERVICE/aws4_request, "
				       "SignedHeaders and Signature")
		akid, scope_date, region, scope_service = cred[0], cred[1], cred[2], cred[3]
		entry["access_key_id"] = akid[:128]
		self.region = region
		with st.lock:
			key = st.keys.get(akid)
			key = dict(key) if key else None
		if key is None:
			raise ApiError(403, "UnrecognizedClientException",
				       "The security token included in the request is invalid.")
		amz_date = self.headers.get("X-Amz-Date", "")
		try:
			stamp = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
		except (ValueError, OverflowError):
			raise ApiError(403, "IncompleteSignatureException",
				       "X-Amz-Date header missing or not YYYYMMDDTHHMMSSZ")
		if "x-amz-date" not in signed:
			raise ApiError(403, "InvalidSignatureException", "X-Amz-Date must be signed")
		if "host" not in signed:
			raise ApiError(403, "InvalidSignatureException", "host must be signed")
		if abs(time.time() - stamp) > CLOCK_SKEW:
			raise ApiError(403, "InvalidSignatureException",
				       "Signature expired: %s is now earlier or later than 15 min from now"
				       % amz_date)
		if scope_date != amz_date[:8]:
			raise ApiError(403, "InvalidSignatureException",
				       "Credential date %s does not match X-Amz-Date" % scope_date[:16])
		if service is not None and scope_service != service:
			raise ApiError(403, "InvalidSignatureException",
				       "Credential should be scoped to correct service: '%s'." % service)
		token_sent = self.headers.get("X-Amz-Security-Token")
		if key["token"] is not None:
			if token_sent is None:
				raise ApiError(403, "InvalidSignatureException",
					       "this credential needs X-Amz-Security-Token")
			if "x-amz-security-token" not in signed:
				raise ApiError(403, "InvalidSignatureException",
					       "X-Amz-Security-Token must be signed")
			if not hmac.compare_digest(token_sent.encode(), key["token"].encode()):
				raise ApiError(403, "UnrecognizedClientException",
					       "The security token included in the request is invalid.")
		elif token_sent is not None:
			raise ApiError(403, "UnrecognizedClientException",
				       "The security token included in the request is invalid.")
		sha = self.headers.get("X-Amz-Content-SHA256")
		if sha is not None and sha != hashlib.sha256(body).hexdigest():
			raise ApiError(403, "InvalidSignatureException",
				       "X-Amz-Content-SHA256 does not match the body")

		# Rebuild the request from what was signed and let botocore sign it.
		url = "%s://%s%s" % (self.server.scheme, self.headers.get("Host", ""), self.path)
		req = AWSRequest(method=self.command, url=url, data=body)
		for name in dict.fromkeys(signed):
			values = self.headers.get_all(name)
			if not values:
				raise ApiError(403, "InvalidSignatureException",
					       "signed header %s is missing" % name[:64])
			for v in values:
				req.headers[name] = v
		req.context["timestamp"] = amz_date
		signer = signer_cls(Credentials(akid, key["secret"], key["token"]), scope_service, region)
		if {k.lower() for k in signer.headers_to_sign(req).keys()} != set(signed):
			raise ApiError(403, "InvalidSignatureException",
				       "SignedHeaders has headers botocore does not sign: %s"
				       % ";".join(signed)[:256])
		canonical = signer.canonical_request(req)
		expected = signer.signature(signer.string_to_sign(req, canonical), req)
		if not hmac.compare_digest(expected.encode(), given_sig.encode()):
			raise ApiError(403, "InvalidSignatureException",
				       "The request signature we calculated does not match the signature "
				       "you provided. Check your AWS Secret Access Key and signing method.")
		entry["signature_ok"] = True
		if key["expires"] is not None and time.time() >= key["expires"]:
			raise ApiError(400, "ExpiredTokenException",
				       "The security token included in the request is expired")

	# ---- SNS (Publish only) ------------------------------------------------

	def handle_sns(self):
		st = self.server.state
		try:
			body = self.read_body()
		except ApiError as err:
			self.send_sns_error(err.status, err.etype, err.message)
			return
		form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
						   keep_blank_values=True, max_num_fields=50))
		self.log_body(form if len(body) <= MAX_LOGGED_BODY else "<%d bytes>" % len(body))
		try:
			self.check_sigv4(body, "sns")
		except ApiError as err:
			self.send_sns_error(err.status, err.etype, err.message)
			return
		if self.scripted("SNS.Publish", "sns", "text/xml"):
			return
		if form.get("Action") != "Publish":
			self.send_sns_error(400, "InvalidAction",
					    "could not find operation %s" % form.get("Action"))
			return
		arn = form.get("TopicArn", "")
		if not re.match(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$", arn):
			self.send_sns_error(400, "InvalidParameter", "Invalid parameter: TopicArn")
			return
		if arn.split(":")[3] != self.region:
			self.send_sns_error(400, "InvalidParameter",
					    "TopicArn is in another region than the request")
			return
		msg = form.get("Message")
		if not msg or len(msg.encode()) > 256 * 1024:
			self.send_sns_error(400, "InvalidParameter", "Invalid parameter: Message")
			return
		mid = str(uuid.uuid4())
		with st.lock:
			if len(st.sns) < MAX_EXECUTIONS:
				st.sns.append({"MessageId": mid, "TopicArn": arn, "Message": msg,
					       "Subject": form.get("Subject"),
					       "MessageDeduplicationId": form.get("MessageDeduplicationId"),
					       "MessageGroupId": form.get("MessageGroupId")})
		self.send_raw(200, '<PublishResponse xmlns="%s">\n  <PublishResult>\n'
			      '    <MessageId>%s</MessageId>\n  </PublishResult>\n'
			      '  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n'
			      '  </ResponseMetadata>\n</PublishResponse>\n'
			      % (SNS_NS, mid, self.req_id), "text/xml")

	def send_sns_error(self, status, code, msg):
		self.send_query_error(status, code, msg, SNS_NS)

	# ---- STS --------------------------------------------------------------

	def handle_sts(self, query):
		st = self.server.state
		try:
			body = self.read_body()
		except ApiError as err:
			self.send_sts_error(err.status, err.etype, err.message)
			return
		text = query if self.command == "GET" else body.decode("utf-8", "replace")
		try:
			form = dict(urllib.parse.parse_qsl(text, keep_blank_values=True,
							   max_num_fields=100))
		except ValueError:
			form = {}
		logged = dict(form)
		if "WebIdentityToken" in logged:
			logged["WebIdentityToken"] = "<redacted>"
		self.log_body(logged)
		if self.scripted("sts", "sts", "text/xml"):
			return
		if form.get("Action") != "AssumeRoleWithWebIdentity":
			self.send_sts_error(400, "InvalidAction",
					    "Could not find operation %s" % form.get("Action", "")[:64])
			return
		for name in ("RoleArn", "RoleSessionName", "WebIdentityToken"):
			if not form.get(name):
				self.send_sts_error(400, "MissingParameter",
						    "The request must contain the parameter %s" % name)
				return
		with st.lock:
			want = st.web_identity_token
		if want is None or not hmac.compare_digest(form["WebIdentityToken"].encode(),
							   want.encode()):
			self.send_sts_error(400, "InvalidIdentityToken",
					    "Couldn't retrieve verification key from your identity provider")
			return
		with st.lock:
			akid, cred = st.mint()
		session = form["RoleSessionName"][:64]
		role = form["RoleArn"][:2048]
		role_name = role.rsplit("/", 1)[-1]
		body = ('<AssumeRoleWithWebIdentityResponse xmlns="%s">\n'
			'  <AssumeRoleWithWebIdentityResult>\n'
			'    <SubjectFromWebIdentityToken>kpigate-subject</SubjectFromWebIdentityToken>\n'
			'    <Audience>sts.amazonaws.com</Audience>\n'
			'    <AssumedRoleUser>\n'
			'      <Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn>\n'
			'      <AssumedRoleId>AROA%s:%s</AssumedRoleId>\n'
			'    </AssumedRoleUser>\n'
			'    <Credentials>\n'
			'      <AccessKeyId>%s</AccessKeyId>\n'
			'      <SecretAccessKey>%s</SecretAccessKey>\n'
			'      <SessionToken>%s</SessionToken>\n'
			'      <Expiration>%s</Expiration>\n'
			'    </Credentials>\n'
			'    <Provider>kpigate-mock-oidc</Provider>\n'
			'  </AssumeRoleWithWebIdentityResult>\n'
			'  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n'
			'</AssumeRoleWithWebIdentityResponse>\n'
			% (STS_NS, ACCOUNT, xml_escape(role_name), xml_escape(session),
			   rand_upper(17), xml_escape(session), akid, cred["secret"], cred["token"],
			   iso8601(cred["expires"]), self.req_id))
		self.send_raw(200, body, "text/xml")

	# ---- ECS / EKS Pod Identity container credentials -----------------------

	def handle_ecs(self):
		st = self.server.state
		try:
			self.read_body()
		except ApiError as err:
			self.send_json_error(err.status, err.etype, err.message, "application/json")
			return
		if self.scripted(self.entry["target"], "ecs", "application/json"):
			return
		if self.command != "GET":
			self.send_json_error(405, "MethodNotAllowed", "use GET", "application/json")
			return
		with st.lock:
			want = st.container_auth
		if want is not None:
			got = self.headers.get("Authorization", "")
			if not hmac.compare_digest(got.encode(), want.encode()):
				self.send_json_error(401, "AccessDenied",
						     "Authorization header missing or wrong",
						     "application/json")
				return
		with st.lock:
			akid, cred = st.mint()
		self.send_json(200, {"AccessKeyId": akid, "SecretAccessKey": cred["secret"],
				     "Token": cred["token"], "Expiration": iso8601(cred["expires"]),
				     "RoleArn": ROLE_ARN})

	# ---- IMDSv2 --------------------------------------------------------------

	def handle_imds(self, path):
		st = self.server.state
		try:
			self.read_body()
		except ApiError as err:
			self.send_json_error(err.status, err.etype, err.message, "text/plain")
			return
		if self.scripted(path, "imds", "text/plain"):
			return
		now = time.time()
		if path == "/latest/api/token":
			if self.command != "PUT":
				self.send_json_error(405, "MethodNotAllowed", "use PUT", "text/plain")
				return
			try:
				ttl = int(self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
			except ValueError:
				ttl = 0
			if not 1 <= ttl <= 21600:
				self.send_json_error(400, "BadRequest",
						     "X-aws-ec2-metadata-token-ttl-seconds must be 1..21600",
						     "text/plain")
				return
			token = base64.urlsafe_b64encode(secrets.token_bytes(42)).decode()
			with st.lock:
				st.imds_tokens[token] = now + ttl
				while len(st.imds_tokens) > MAX_IMDS_TOKENS:
					del st.imds_tokens[next(iter(st.imds_tokens))]
			self.send_raw(200, token, "text/plain",
				      {"X-aws-ec2-metadata-token-ttl-seconds": str(ttl)})
			return
		if self.command != "GET":
			self.send_json_error(405, "MethodNotAllowed", "use GET", "text/plain")
			return
		token = self.headers.get("X-aws-ec2-metadata-token", "")
		with st.lock:
			expires = st.imds_tokens.get(token)
		if expires is None or now >= expires:
			self.send_json_error(401, "Unauthorized", "missing or invalid IMDSv2 token",
					     "text/plain")
			return
		base = "/latest/meta-data/iam/security-credentials"
		if path in (base, base + "/"):
			self.send_raw(200, ROLE_NAME, "text/plain")
			return
		if path in (base + "/" + ROLE_NAME, base + "/" + ROLE_NAME + "/"):
			with st.lock:
				akid, cred = st.mint()
			self.send_json(200, {"Code": "Success", "LastUpdated": iso8601(now),
					     "Type": "AWS-HMAC", "AccessKeyId": akid,
					     "SecretAccessKey": cred["secret"], "Token": cred["token"],
					     "Expiration": iso8601(cred["expires"])}, "text/plain")
			return
		self.send_json_error(404, "NotFound", "no such metadata path", "text/plain")

	# ---- control API ---------------------------------------------------------

	def handle_control(self, path):
		st = self.server.state
		try:
			body = self.read_body()
		except ApiError as err:
			self.send_json_error(err.status, err.etype, err.message, "application/json")
			return
		try:
			if self.command == "GET" and path == "/_mock/log":
				with st.lock:
					text = json.dumps(st.log)
				self.send_raw(200, text, "application/json")
				return
			if self.command == "GET" and path == "/_mock/sns":
				with st.lock:
					text = json.dumps({"messages": list(st.sns)})
				self.send_raw(200, text, "application/json")
				return
			if self.command == "GET" and path == "/_mock/executions":
				with st.lock:
					text = json.dumps({"pipelines": list(st.pipelines.values()),
							   "sfn": list(st.sfn.values())})
				self.send_raw(200, text, "application/json")
				return
			if self.command != "POST":
				raise ApiError(404, "NotFound", "no control endpoint %s %s"
					       % (self.command, path))
			req = parse_json(body) if body.strip() else {}
			if not isinstance(req, dict):
				raise ApiError(400, "SerializationException", "body is not a JSON object")
			if path == "/_mock/reset":
				with st.lock:
					st.reset()
			elif path == "/_mock/fail":
				control_fail(st, req)
			elif path == "/_mock/config":
				control_config(st, req)
			elif path == "/_mock/s3":
				control_s3(st, req)
			else:
				raise ApiError(404, "NotFound", "no control endpoint %s" % path)
		except ApiError as err:
			self.send_json_error(err.status, err.etype, err.message, "application/json")
			return
		self.send_json(200, {"ok": True})


def default_error_type(status):
	return {400: "ValidationException", 403: "AccessDeniedException",
		429: "ThrottlingException", 500: "InternalFailure",
		502: "BadGateway", 503: "ServiceUnavailable",
		504: "GatewayTimeout"}.get(status, "MockError")


def is_num(v):
	return isinstance(v, (int, float)) and not isinstance(v, bool)


def control_fail(st, req):
	match = req.get("match")
	responses = req.get("responses")
	if not isinstance(match, str) or not match:
		raise ApiError(400, "ValidationException", "match must be a non-empty string")
	if not isinstance(responses, list):
		raise ApiError(400, "ValidationException", "responses must be a list")
	clean = []
	for r in responses:
		if not isinstance(r, dict):
			raise ApiError(400, "ValidationException", "each response is an object")
		unknown = set(r) - {"status", "type", "message", "delay_ms", "close", "body"}
		if unknown:
			raise ApiError(400, "ValidationException",
				       "unknown response fields: %s" % ", ".join(sorted(unknown)))
		status = r.get("status", 0)
		delay = r.get("delay_ms", 0)
		if not isinstance(status, int) or isinstance(status, bool) or not (
				status == 0 or 200 <= status <= 599):
			raise ApiError(400, "ValidationException", "status must be 0 or 200..599")
		if not is_num(delay) or not 0 <= delay <= 600000:
			raise ApiError(400, "ValidationException", "delay_ms must be 0..600000")
		for f in ("type", "message", "body"):
			if f in r and not isinstance(r[f], str):
				raise ApiError(400, "ValidationException", "%s must be a string" % f)
		if "close" in r and not isinstance(r["close"], bool):
			raise ApiError(400, "ValidationException", "close must be a boolean")
		if not r.get("close") and status == 0 and not delay:
			raise ApiError(400, "ValidationException",
				       "a response needs a status, delay_ms or close")
		clean.append(dict(r, status=status, delay_ms=delay))
	with st.lock:
		if len(st.scripts) + len(clean) > MAX_SCRIPTS:
			raise ApiError(400, "ValidationException", "too many scripted responses")
		st.scripts.extend((match, r) for r in clean)


def control_s3(st, req):
	"""{"bucket": B} makes an empty bucket; with "key" and "body" (text) it
	puts that object too."""
	bucket, key, body = req.get("bucket"), req.get("key"), req.get("body", "")
	if not isinstance(bucket, str) or not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", bucket):
		raise ApiError(400, "ValidationException", "bucket must be an S3 bucket name")
	if key is not None and (not isinstance(key, str) or not 0 < len(key.encode()) <= 1024
				or not isinstance(body, str)):
		raise ApiError(400, "ValidationException", "key must be 1..1024 bytes, body a string")
	with st.lock:
		objects = st.s3.setdefault(bucket, {})
		if key is not None:
			if key not in objects and sum(map(len, st.s3.values())) >= MAX_S3_OBJECTS:
				raise ApiError(400, "ValidationException", "too many objects")
			objects[key] = (body.encode(), time.time())


def control_config(st, req):
	unknown = set(req) - {"run_seconds", "credential_seconds", "web_identity_token",
			      "expire_all"}
	if unknown:
		raise ApiError(400, "ValidationException",
			       "unknown config fields: %s" % ", ".join(sorted(unknown)))
	if "run_seconds" in req and not (is_num(req["run_seconds"]) and req["run_seconds"] >= 0):
		raise ApiError(400, "ValidationException", "run_seconds must be a number >= 0")
	if "credential_seconds" in req and not (is_num(req["credential_seconds"])
						and req["credential_seconds"] > 0):
		raise ApiError(400, "ValidationException", "credential_seconds must be a number > 0")
	if "web_identity_token" in req and not (req["web_identity_token"] is None
						or isinstance(req["web_identity_token"], str)):
		raise ApiError(400, "ValidationException", "web_identity_token must be a string")
	if "expire_all" in req and not isinstance(req["expire_all"], bool):
		raise ApiError(400, "ValidationException", "expire_all must be a boolean")
	with st.lock:
		if "run_seconds" in req:
			st.run_seconds = float(req["run_seconds"])
		if "credential_seconds" in req:
			st.credential_seconds = float(req["credential_seconds"])
		if "web_identity_token" in req:
			st.web_identity_token = req["web_identity_token"]
		if req.get("expire_all"):
			now = time.time()
			for akid in st.minted:
				if akid in st.keys:
					st.keys[akid]["expires"] = now - 1


# ---- API operations (called with the handler and the parsed body) ----------

def need_str(body, name, lo, hi):
	v = body.get(name)
	if not isinstance(v, str) or not lo <= len(v) <= hi:
		raise ApiError(400, "ValidationException",
			       "1 validation error detected: Value at '%s' failed to satisfy "
			       "constraint: must be a string of length %d..%d" % (name, lo, hi))
	return v


def finish_time(st, rec):
	return rec["start"] + st.run_seconds


def op_start_pipeline(h, body):
	st = h.server.state
	name = need_str(body, "PipelineName", 1, 256)
	token = need_str(body, "ClientRequestToken", 32, 128)
	params = body.get("PipelineParameters", [])
	if not isinstance(params, list) or not all(
			isinstance(p, dict) and isinstance(p.get("Name"), str)
			and isinstance(p.get("Value"), str) for p in params):
		raise ApiError(400, "ValidationException",
			       "PipelineParameters must be a list of {Name, Value} strings")
	pname = name.rsplit("/", 1)[-1]
	with st.lock:
		arn = st.pipeline_tokens.get(token)
		if arn is None:
			if len(st.pipelines) >= MAX_EXECUTIONS:
				raise ApiError(400, "ResourceLimitExceeded", "too many executions")
			arn = "arn:aws:sagemaker:%s:%s:pipeline/%s/execution/%s" % (
				h.region, ACCOUNT, pname, secrets.token_hex(6))
			st.pipeline_tokens[token] = arn
			st.pipelines[arn] = {"arn": arn, "name": pname, "token": token,
					     "parameters": params,
					     "display_name": body.get("PipelineExecutionDisplayName"),
					     "start": time.time()}
	return {"PipelineExecutionArn": arn}


def op_describe_pipeline(h, body):
	st = h.server.state
	arn = need_str(body, "PipelineExecutionArn", 1, 2048)
	with st.lock:
		rec = st.pipelines.get(arn)
		if rec is None:
			raise ApiError(400, "ResourceNotFound", "Pipeline execution %s not found" % arn[:256])
		end = finish_time(st, rec)
	now = time.time()
	done = now >= end
	status = ("Failed" if "fail" in rec["name"] else "Succeeded") if done else "Executing"
	out = {"PipelineExecutionArn": arn, "PipelineExecutionStatus": status,
	       "PipelineArn": arn.split("/execution/")[0],
	       "CreationTime": rec["start"], "LastModifiedTime": end if done else rec["start"]}
	if done and status == "Failed":
		out["FailureReason"] = "mock pipeline name contains 'fail'"
	return out


def op_start_execution(h, body):
	st = h.server.state
	sm_arn = need_str(body, "stateMachineArn", 1, 256)
	m = SM_ARN_RE.match(sm_arn)
	if not m:
		raise ApiError(400, "InvalidArn", "Invalid Arn: '%s'" % sm_arn)
	name = body.get("name")
	if not isinstance(name, str) or not SFN_NAME_RE.match(name):
		raise ApiError(400, "InvalidName", "name must be 1-80 of [A-Za-z0-9_-]")
	inp = body.get("input", "{}")
	if not isinstance(inp, str):
		raise ApiError(400, "InvalidExecutionInput", "input must be a string")
	if len(inp.encode()) > 256 * 1024:
		raise ApiError(400, "InvalidExecutionInput", "input is larger than 256 KiB")
	if parse_json(inp.encode()) is None and inp.strip() != "null":
		raise ApiError(400, "InvalidExecutionInput", "Invalid State Machine Execution Input")
	region = sm_arn.split(":")[3]
	with st.lock:
		arn = st.sfn_names.get((sm_arn, name))
		if arn is not None:
			rec = st.sfn[arn]
			if rec["input"] != inp:
				raise ApiError(400, "ExecutionAlreadyExists",
					       "Execution Already Exists: '%s'" % arn)
			return {"executionArn": arn, "startDate": rec["start"]}
		if len(st.sfn) >= MAX_EXECUTIONS:
			raise ApiError(400, "ExecutionLimitExceeded", "too many executions")
		arn = "arn:aws:states:%s:%s:execution:%s:%s" % (region, ACCOUNT, m.group(1), name)
		rec = {"arn": arn, "stateMachineArn": sm_arn, "name": name, "input": inp,
		       "start": time.time()}
		st.sfn[arn] = rec
		st.sfn_names[(sm_arn, name)] = arn
	return {"executionArn": arn, "startDate": rec["start"]}


def op_describe_execution(h, body):
	st = h.server.state
	arn = need_str(body, "executionArn", 1, 256)
	with st.lock:
		rec = st.sfn.get(arn)
		if rec is None:
			raise ApiError(400, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'"
				       % arn)
		end = finish_time(st, rec)
	done = time.time() >= end
	sm_name = rec["stateMachineArn"].rsplit(":", 1)[-1]
	status = ("FAILED" if "fail" in sm_name else "SUCCEEDED") if done else "RUNNING"
	out = {"executionArn": arn, "stateMachineArn": rec["stateMachineArn"],
	       "name": rec["name"], "status": status, "startDate": rec["start"],
	       "input": rec["input"]}
	if done:
		out["stopDate"] = end
		if status == "SUCCEEDED":
			out["output"] = "{}"
		else:
			out["error"] = "MockFailure"
			out["cause"] = "mock state machine name contains 'fail'"
	return out


API_HANDLERS = {
	"SageMaker.StartPipelineExecution": op_start_pipeline,
	"SageMaker.DescribePipelineExecution": op_describe_pipeline,
	"AWSStepFunctions.StartExecution": op_start_execution,
	"AWSStepFunctions.DescribeExecution": op_describe_execution,
}


def make_tls(dirname):
	os.makedirs(dirname, exist_ok=True)
	ca = os.path.join(dirname, "ca.pem")
	key = os.path.join(dirname, "key.pem")
	subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
			"-keyout", key, "-out", ca, "-subj", "/CN=127.0.0.1",
			"-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-days", "2"],
		       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
	ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
	ctx.load_cert_chain(ca, key)
	return ctx, ca


def main():
	ap = argparse.ArgumentParser(description="local AWS emulator for kpigate tests")
	ap.add_argument("--tls", metavar="DIR")
	ap.add_argument("--key", action="append", default=[], metavar="AKID:SECRET[:TOKEN]")
	ap.add_argument("--web-identity-token")
	ap.add_argument("--container-auth")
	ap.add_argument("--run-seconds", type=float, default=5.0)
	args = ap.parse_args()
	if args.run_seconds < 0:
		ap.error("--run-seconds must be >= 0")

	state = State(args)
	tls_ctx, ca = make_tls(args.tls) if args.tls else (None, None)
	server = Server(("127.0.0.1", 0), Handler, state, tls_ctx)
	port = server.server_address[1]
	if tls_ctx:
		print("url=https://127.0.0.1:%d ca=%s" % (port, ca), flush=True)
	else:
		print("url=http://127.0.0.1:%d" % port, flush=True)

	stop = threading.Event()
	signal.signal(signal.SIGTERM, lambda *_: stop.set())
	signal.signal(signal.SIGINT, lambda *_: stop.set())
	worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
				  daemon=True)
	worker.start()
	while not stop.wait(1.0):
		pass
	server.shutdown()
	server.server_close()
	return 0


if __name__ == "__main__":
	sys.exit(main())
