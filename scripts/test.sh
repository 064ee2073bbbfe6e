#!/usr/bin/env bash
# Builds kpigate with AddressSanitizer + UndefinedBehaviorSanitizer and runs
# the whole test suite (unit, end-to-end, scipy cross-checks) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-asan
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DKPIGATE_SANITIZE=ON >/dev/null
cmake --build "$dir" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" "$@"
