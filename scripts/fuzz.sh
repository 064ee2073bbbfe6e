#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default
# 60), seeded with the bad-input corpus (plain and gzip, for the file
# reader too), the example policies, AWS credential
# answers and files (tests/data/aws, fake values), the configuration files
# (tests/data/config), the small Model Monitor baselines (tests/data/mm),
# compiled references (tests/data/reference), S3's XML answers
# (tests/data/s3, a first byte choosing the parser), S3 cursors (made here) and,
# when present, the real
# SageMaker samples in ../shared. Exits non-zero on a crash.
# usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
dir=build-fuzz
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DKPIGATE_FUZZ=ON -DKPIGATE_TESTS=OFF >/dev/null
cmake --build "$dir" -j"$(nproc)" --target fuzz_capture fuzz_groundtruth fuzz_policy fuzz_aws_creds fuzz_config fuzz_line_reader \
  fuzz_deployment fuzz_mm_statistics fuzz_mm_constraints fuzz_reference_file fuzz_s3_xml \
  fuzz_s3_cursor >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seed_lines() { # one seed file per line of each input file
  local out=$1; shift
  mkdir -p "$out"
  for f in "$@"; do
    [[ -f $f ]] || continue
    split -l 1 -d -a 4 "$f" "$out/$(basename "$f")-"
  done
}
shared=../shared/data/sagemaker
seed_lines "$work/capture" tests/data/bad_capture.jsonl "$shared"/capture_*.jsonl "$shared"/sdk_test_capture.jsonl
seed_lines "$work/gt" "$shared"/sdk_test_groundtruth_actuals.jsonl
mkdir -p "$work/gt" "$work/policy"
cp policies/examples/*.json tests/data/policies/*.json "$work/policy/"
mkdir -p "$work/aws" "$work/config"
cp tests/data/aws/* "$work/aws/"
cp tests/data/config/*.json "$work/config/"
# the file reader: a first byte (name and cap) before plain and gzip bytes
mkdir -p "$work/lines"
for mode in 0 1 2 4 5 6; do
  { printf "\\$(printf '%03o' "$mode")"; if ((mode & 4)); then gzip -c tests/data/bad_capture.jsonl; else cat tests/data/bad_capture.jsonl; fi; } \
    >"$work/lines/seed-$mode"
done
# deployment signals: good and bad lines
mkdir -p "$work/deploy"
printf '{"model": "churn-xgb", "time": "2026-01-20T00:00:00Z"}\n' >"$work/deploy/good"
printf '{"model": "m", "time": "yesterday", "reference": "x.csv"}\n' >"$work/deploy/bad"
# Model Monitor baselines: the small ones here and the real ones
mkdir -p "$work/mmstats" "$work/mmcons"
cp tests/data/mm/statistics_*.json "$work/mmstats/"
cp tests/data/mm/constraints_*.json "$work/mmcons/"
for f in "$shared"/statistics_*.json "$shared"/sdk_test_statistics_*.json; do
  [[ -f $f ]] || continue
  cp "$f" "$work/mmstats/"
done
for f in "$shared"/constraints_*.json "$shared"/sdk_test_constraints_*.json; do
  [[ -f $f ]] || continue
  cp "$f" "$work/mmcons/"
done
# compiled references (kpigate baseline build output)
mkdir -p "$work/reffile"
cp tests/data/reference/*.kpgref "$work/reffile/"
# S3's answers: a ListObjectsV2 page (byte 0) or an Error (byte 1)
mkdir -p "$work/s3xml"
for f in tests/data/s3/*.xml; do
  for mode in 0 1; do
    { printf "\\$(printf '%03o' "$mode")"; cat "$f"; } >"$work/s3xml/$(basename "$f")-$mode"
  done
done
# the S3 cursor: an empty one, two objects (version 2), one object (version 1)
mkdir -p "$work/s3cursor"
/usr/bin/python3 - "$work/s3cursor" <<'PY'
import struct, sys
d = sys.argv[1]
def s(b): return struct.pack("<I", len(b)) + b
p1, p2 = b"s3://b/c/ep/AllTraffic/2026/01/05/03/a.jsonl", b"s3://b/c/ep/AllTraffic/2026/01/05/04/b.jsonl"
h = 1767582000000
open(f"{d}/empty", "wb").write(b"2C3S" + struct.pack("<qqI", -2**63, -2**63, 0))
open(f"{d}/v2", "wb").write(b"2C3S" + struct.pack("<qqI", h + 3600000, h + 7200000, 2)
    + s(p1) + s(b'"e1"') + struct.pack("<qq", h, h + 3900000)
    + s(p2) + s(b'"e2-3"') + struct.pack("<qq", h + 3600000, -2**63))
open(f"{d}/v1", "wb").write(b"1C3S" + struct.pack("<qI", h, 1) + s(p1) + s(b'"e1"') + struct.pack("<q", h))
PY
for t in capture:capture groundtruth:gt policy:policy aws_creds:aws config:config line_reader:lines \
	deployment:deploy mm_statistics:mmstats mm_constraints:mmcons reference_file:reffile s3_xml:s3xml s3_cursor:s3cursor; do
  name=${t%%:*} seeds=${t##*:}
  echo "fuzz_$name: ${secs}s"
  rc=0
  "$dir/tests/fuzz/fuzz_$name" -max_total_time="$secs" -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$dir/" "$work/$seeds" >"$work/$name.log" 2>&1 || rc=$?
  grep -E "stat::number_of_executed_units|ERROR|SUMMARY" "$work/$name.log" || true
  if ((rc != 0)); then
    tail -40 "$work/$name.log" >&2
    echo "fuzz_$name found a crash (input saved under $dir/)" >&2
    exit 1
  fi
done
echo "fuzzing: no crashes"
