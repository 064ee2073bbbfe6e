"""Shared helpers for kpigate's Python end-to-end checks (run by ctest with
/usr/bin/python3 as: check_X.py KPIGATE SHARED_DIR TESTS_DIR BUILD_DIR)."""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


class Check:
    def __init__(self):
        if len(sys.argv) < 5:
            sys.exit("usage: check.py KPIGATE SHARED_DIR TESTS_DIR BUILD_DIR")
        self.kpigate, self.shared, self.tests, self.build = sys.argv[1:5]
        self.tmp = tempfile.mkdtemp(prefix="kpg-check-")
        # the scenario checks write hundreds of thousands of capture files:
        # runs that left them behind filled a machine's inodes. They go at
        # exit, pass or fail, unless KPG_KEEP_TMP=1 keeps them to debug.
        if os.environ.get("KPG_KEEP_TMP") == "1":
            print(f"keeping {self.tmp} (KPG_KEEP_TMP=1)")
        else:
            atexit.register(shutil.rmtree, self.tmp, True)
        self.failures = 0
        self.passed = 0

    def run(self, *args, expect=None, stdin=None):
        """Runs kpigate; returns (exit code, stdout, stderr)."""
        p = subprocess.run([self.kpigate, *args], capture_output=True, text=True,
                           input=stdin, timeout=600)
        if expect is not None and p.returncode != expect:
            self.fail(f"kpigate {' '.join(args)} exited {p.returncode}, expected {expect}\n"
                      f"stdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
        return p.returncode, p.stdout, p.stderr

    def run_json(self, *args, expect=0):
        rc, out, err = self.run(*args, expect=expect)
        try:
            return json.loads(out)
        except ValueError:
            self.fail(f"kpigate {' '.join(args)}: not JSON: {out[:500]} {err[:500]}")
            self.finish()

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.fail(what)

    def fail(self, what):
        self.failures += 1
        print("FAIL:", what, flush=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def write(self, name, text):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        return p

    def need_shared(self, *parts):
        p = os.path.join(self.shared, *parts)
        if not os.path.exists(p):
            print(f"skip: {p} is absent")
            sys.exit(SKIP)
        return p

    def finish(self):
        print(f"{self.passed} passed, {self.failures} failed")
        sys.exit(1 if self.failures else 0)


def audit_records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
