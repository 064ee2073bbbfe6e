#!/usr/bin/python3
"""Local webhook receiver for kpigate's tests (issue 12).

Checks every delivery's X-Kpigate-Signature (sha256=<hex HMAC-SHA256 of
the raw body>) against the secret it was given, answers with a failure
status for the first N deliveries on demand, and counts deliveries by
(idempotency key, event) (and path) so a test can see duplicates.

Run: /usr/bin/python3 tests/support/webhook_receiver.py --secret-file FILE
Prints one line, "url=http://127.0.0.1:PORT", then serves on loopback
until SIGTERM or SIGINT.

Control API (plain JSON, not signed):
  POST /_ctl/fail   {"count": N, "status": 500}  the next N deliveries
                    answer that status (0 = close the connection)
  POST /_ctl/reset  forget deliveries and failures
  GET  /_ctl/log    {"deliveries": [...], "accepted": {"PATH KEY EVENT": n}}
                    (a receiver dedupes per endpoint: the path is part of it)
Each delivery: method, path, event, key, signature_ok, status (answered),
body (parsed JSON or the raw text, first 64 KiB), headers (every request
header, name -> value: a test checks that a secret header arrived, the
receiver being the one party that may see it). --unsigned accepts
deliveries without checking a signature (a webhook action may be unsigned). A delivery with a bad
or missing signature is answered 401 and never counted as accepted.
The secret is never printed or logged.
"""

import argparse
import hashlib
import hmac
import http.server
import json
import signal
import sys
import threading

MAX_BODY = 1024 * 1024
MAX_LOG = 10000


class State:
	def __init__(self, secret):
		self.secret = secret
		self.lock = threading.Lock()
		self.reset()

	def reset(self):
		self.deliveries = []
		self.accepted = {}
		self.fail_count = 0
		self.fail_status = 500


class Handler(http.server.BaseHTTPRequestHandler):
	server_version = "webhook_receiver/1"
	protocol_version = "HTTP/1.1"

	def log_message(self, fmt, *args):
		pass

	def _answer(self, status, obj=None):
		data = json.dumps(obj if obj is not None else {}).encode()
		self.send_response(status)
		self.send_header("Content-Type", "application/json")
		self.send_header("Content-Length", str(len(data)))
		self.end_headers()
		self.wfile.write(data)

	def _body(self):
		n = int(self.headers.get("Content-Length") or 0)
		if n < 0 or n > MAX_BODY:
			return None
		return self.rfile.read(n)

	def do_GET(self):
		st = self.server.state
		if self.path == "/_ctl/log":
			with st.lock:
				obj = {"deliveries": list(st.deliveries),
				       "accepted": dict(st.accepted)}
			self._answer(200, obj)
			return
		self._answer(404)

	def _control(self, body):
		st = self.server.state
		with st.lock:
			if self.path == "/_ctl/reset":
				st.reset()
			elif self.path == "/_ctl/fail":
				req = json.loads(body or b"{}")
				st.fail_count = int(req.get("count", 1))
				st.fail_status = int(req.get("status", 500))
			else:
				return 404
		return 200

	def _deliver(self):
		st = self.server.state
		body = self._body()
		if body is None:
			self._answer(413)
			return
		if self.path.startswith("/_ctl/"):
			self._answer(self._control(body))
			return
		sig = self.headers.get("X-Kpigate-Signature", "")
		want = ("sha256=" + hmac.new(st.secret, body, hashlib.sha256).hexdigest()
			if st.secret is not None else "")
		sig_ok = st.secret is None or hmac.compare_digest(sig, want)
		key = self.headers.get("X-Kpigate-Idempotency-Key", "")
		event = self.headers.get("X-Kpigate-Event", "")
		try:
			parsed = json.loads(body[:65536])
		except ValueError:
			parsed = body[:65536].decode("utf-8", "replace")
		with st.lock:
			if st.fail_count > 0:
				st.fail_count -= 1
				status = st.fail_status
			elif not sig_ok:
				status = 401
			else:
				status = 200
				k = self.path + " " + key + " " + event
				st.accepted[k] = st.accepted.get(k, 0) + 1
			if len(st.deliveries) < MAX_LOG:
				st.deliveries.append({
					"method": self.command, "path": self.path,
					"event": event, "key": key, "signature_ok": sig_ok,
					"status": status, "body": parsed,
					"headers": dict(self.headers.items()),
					"content_type": self.headers.get("Content-Type", "")})
		if status == 0:
			self.close_connection = True
			return
		self._answer(status, {"ok": status == 200})

	do_POST = _deliver
	do_PUT = _deliver
	do_PATCH = _deliver


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--secret-file")
	ap.add_argument("--unsigned", action="store_true")
	args = ap.parse_args()
	if not args.unsigned and not args.secret_file:
		ap.error("--secret-file is required (or --unsigned)")
	secret = None
	if args.secret_file:
		with open(args.secret_file, "rb") as f:
			secret = f.read()
		if secret.endswith(b"\n"):
			secret = secret[:-1]
		if secret.endswith(b"\r"):
			secret = secret[:-1]
	srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
	srv.daemon_threads = True
	srv.state = State(secret)
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
	print("url=http://127.0.0.1:%d" % srv.server_address[1], flush=True)
	try:
		srv.serve_forever()
	except (KeyboardInterrupt, SystemExit):
		pass


if __name__ == "__main__":
	main()
