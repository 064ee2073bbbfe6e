#!/usr/bin/env python3
"""check-skips.py CTEST_OUTPUT LAST_TEST_LOG ALLOW_LIST

A skipped test is not a pass. Lists every skip of a ctest run and exits 1
when one is not on the allow-list (tests/skips.allow):
  - whole tests ctest reports as not run (exit 77 = SKIP_RETURN_CODE, or
    a missing executable): from ctest's own output;
  - cases skipped inside a test that passed: cmocka's "[  SKIPPED ] case"
    and the "skip: why" / "skip - why" lines the script tests print,
    from ctest's LastTest.log.
An allow-list line is "TEST[/CASE]  # why"; TEST alone allows every skip
of that test.
"""
import re
import sys

NOT_RUN = re.compile(r"^\s*\d+ - (\S+) \((Skipped|Not Run|Disabled)\)\s*$")
BLOCK = re.compile(r"^\d+/\d+ Test: (\S+)\s*$")
CMOCKA_SKIP = re.compile(r"^\[  SKIPPED \] (\S+)")
SCRIPT_SKIP = re.compile(r"^skip(?::| -) (.*)$", re.IGNORECASE)


def read_allow(path):
    allowed = {}
    with open(path) as f:
        for line in f:
            entry, _, why = line.partition("#")
            entry = entry.strip()
            if entry:
                allowed[entry] = why.strip()
    return allowed


def skips(ctest_out, last_log):
    """[(test, case or None, detail)]"""
    said = {}  # test -> its "skip: why" lines
    cases = []
    test = None
    try:
        with open(last_log, errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                m = BLOCK.match(line)
                if m:
                    test = m.group(1)
                elif test and CMOCKA_SKIP.match(line):
                    cases.append((test, CMOCKA_SKIP.match(line).group(1),
                                  "cmocka skip()"))
                elif test and SCRIPT_SKIP.match(line):
                    said.setdefault(test, []).append(SCRIPT_SKIP.match(line).group(1))
    except FileNotFoundError:
        pass
    found = []
    not_run = set()
    with open(ctest_out, errors="replace") as f:
        for line in f:
            m = NOT_RUN.match(line)
            if m and m.group(1) not in not_run:
                not_run.add(m.group(1))
                why = "; ".join(said.get(m.group(1), [])) or m.group(2).lower()
                found.append((m.group(1), None, why))
    for t, lines in said.items():
        if t not in not_run:
            found.extend((t, None, w) for w in lines)
    return found + cases


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    allowed = read_allow(sys.argv[3])
    bad = 0
    seen = set()
    found = skips(sys.argv[1], sys.argv[2])
    for test, case, detail in found:
        key = (test, case, detail)
        if key in seen:
            continue
        seen.add(key)
        name = f"{test}/{case}" if case else test
        why = allowed.get(name, allowed.get(test))
        if why is None:
            bad += 1
            print(f"SKIPPED, NOT ALLOWED: {name}: {detail}")
        else:
            print(f"skipped (allowed: {why}): {name}: {detail}")
    print(f"check-skips: {len(seen)} skip(s), {bad} not on {sys.argv[3]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
