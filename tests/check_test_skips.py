"""scripts/check-skips.py, which scripts/test.sh runs after ctest: every
kind of skip is found (a test ctest did not run, a cmocka case skipped
inside a passing test, a script's "skip:" line), allowed only when
tests/skips.allow names the test or the case, and the real allow-list
names only tests that exist."""
import glob
import os
import subprocess

from kpg_check import Check

c = Check()
root = os.path.dirname(os.path.abspath(c.tests))
script = os.path.join(root, "scripts", "check-skips.py")

CTEST_OUT = """\
 1/3 Test #1: test_a ...........................   Passed    0.01 sec
 2/3 Test #2: e2e_b ............................***Skipped   0.01 sec
 3/3 Test #3: check_c ..........................   Passed    0.01 sec

The following tests did not run:
\t  2 - e2e_b (Skipped)
"""
LAST_LOG = """\
1/3 Testing: test_a
1/3 Test: test_a
Output:
----------------------------------------------------------
[ RUN      ] test_one
[       OK ] test_one
[ RUN      ] test_two
[  SKIPPED ] test_two
<end of output>
2/3 Testing: e2e_b
2/3 Test: e2e_b
Output:
----------------------------------------------------------
skip: kcat missing
<end of output>
3/3 Testing: check_c
3/3 Test: check_c
Output:
----------------------------------------------------------
skip - curl not installed: not checked
the skipper skipped nothing (not a skip line)
4 passed, 0 failed
<end of output>
"""


def run(allow_text):
    out = c.write("ctest.txt", CTEST_OUT)
    log = c.write("LastTest.log", LAST_LOG)
    allow = c.write("allow", allow_text)
    p = subprocess.run(["/usr/bin/python3", script, out, log, allow],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout


rc, out = run("")
c.ok(rc == 1, f"unlisted skips must fail: rc {rc}\n{out}")
c.ok("SKIPPED, NOT ALLOWED: e2e_b: kcat missing" in out, f"ctest-level skip with its reason:\n{out}")
c.ok("SKIPPED, NOT ALLOWED: test_a/test_two: cmocka skip()" in out, f"cmocka case skip:\n{out}")
c.ok("SKIPPED, NOT ALLOWED: check_c: curl not installed: not checked" in out,
     f"a script's skip line inside a passing test:\n{out}")
c.ok("3 skip(s), 3 not on" in out, f"exactly three skips:\n{out}")

rc, out = run("e2e_b  # needs kcat\ntest_a/test_two # why\ncheck_c\n")
c.ok(rc == 0, f"all allowed must pass: rc {rc}\n{out}")
c.ok("skipped (allowed: needs kcat): e2e_b" in out, f"allowed skips are still listed:\n{out}")

rc, out = run("test_a/test_one  # another case\ne2e_b\ncheck_c\n")
c.ok(rc == 1 and "NOT ALLOWED: test_a/test_two" in out,
     f"allowing one case does not allow another: rc {rc}\n{out}")

# the real allow-list names tests that exist, each with a reason
names = {os.path.splitext(os.path.basename(p))[0]
         for pat in ("test_*.c", "e2e_*.sh", "check_*.py")
         for p in glob.glob(os.path.join(c.tests, pat))}
with open(os.path.join(c.tests, "skips.allow")) as f:
    for line in f:
        entry, hash_, why = line.partition("#")
        entry = entry.strip()
        if not entry:
            continue
        c.ok(entry.split("/")[0] in names, f"skips.allow names no test: {entry}")
        c.ok(hash_ and why.strip(), f"skips.allow entry without a reason: {entry}")
c.finish()
