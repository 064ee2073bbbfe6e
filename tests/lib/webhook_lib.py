"""The local webhook receiver (tests/support/webhook_receiver.py) for the
Python tests: start it, drive its control API, stop it."""
import json
import signal
import subprocess
import sys
import urllib.request

from kpg_check import SKIP


class Receiver:
    """Starts the receiver checking signatures with secret_file; exits
    the test as a skip when it does not start. url: its base URL."""

    def __init__(self, tests, secret_file):
        self.proc = subprocess.Popen([sys.executable, f"{tests}/support/webhook_receiver.py",
                                      "--secret-file", secret_file],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("url="):
            print("receiver did not start:", line)
            self.proc.kill()
            sys.exit(SKIP)
        self.url = line[4:]

    def ctl(self, path, body=None):
        """POST body (JSON) to a control path, or GET it without one."""
        data = json.dumps(body).encode() if body is not None else None
        with urllib.request.urlopen(self.url + path, data=data, timeout=10) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)
