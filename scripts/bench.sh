#!/usr/bin/env bash
# Replay throughput vs the simdjson parse-only baseline, same file, same run.
# usage: scripts/bench.sh [-n RECORDS] [-f FEATURES] [-w WINDOW]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh build-bench -DCMAKE_BUILD_TYPE=Release -DKPIGATE_TESTS=OFF >/dev/null
./build-bench/bench/bench_replay "$@"
