#!/usr/bin/env bash
# Builds kpigate with AddressSanitizer + UndefinedBehaviorSanitizer and runs
# the whole test suite (unit, end-to-end, scipy cross-checks) with ctest.
# A skipped test is not a pass: any skip that tests/skips.allow does not
# name fails the run (scripts/check-skips.py lists every skip either way).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-asan
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DKPIGATE_SANITIZE=ON >/dev/null
cmake --build "$dir" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
out=$dir/ctest-output.txt
rc=0
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" "$@" 2>&1 | tee "$out" || rc=$?
skips=0
/usr/bin/python3 scripts/check-skips.py "$out" "$dir/Testing/Temporary/LastTest.log" \
	tests/skips.allow || skips=$?
if ((rc == 0 && skips != 0)); then
	echo "test.sh: the tests passed, but some were skipped without a reason on tests/skips.allow" >&2
	rc=1
fi
exit "$rc"
