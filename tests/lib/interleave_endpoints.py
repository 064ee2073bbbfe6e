#!/usr/bin/env python3
# interleave_endpoints.py WORK ENDPOINT...: prints the capture streams
# WORK/capture-ENDPOINT.jsonl line by line, round robin, each line as
# "ENDPOINT:LINE" (kcat -K: makes the endpoint the message key). For the
# multi-model e2e_daemon_* tests.
import itertools, sys
work, eps = sys.argv[1], sys.argv[2:]
files = [open(f"{work}/capture-{ep}.jsonl") for ep in eps]
for lines in itertools.zip_longest(*files):
    for ep, line in zip(eps, lines):
        if line is not None:
            sys.stdout.write(f"{ep}:{line}")
