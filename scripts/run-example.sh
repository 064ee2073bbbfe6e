#!/usr/bin/env bash
# Writes the bundled example into out/example and replays it: the churn
# model's six simulated weeks, decided day by day. No Kafka or AWS needed.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh build >/dev/null
ex=out/example
rm -rf "$ex"
./build/kpigate example "$ex" >/dev/null
# replay exits 1 for findings (the example's drift alarms and its retrain),
# 2 for trouble: only trouble stops the script
rc=0
./build/kpigate replay --policy "$ex/policy.json" --capture "$ex/capture" \
  --ground-truth "$ex/ground_truth" --audit "$ex/audit.jsonl" --rejects "$ex/rejects.jsonl" || rc=$?
if ((rc > 1)); then
  exit "$rc"
fi
echo
./build/kpigate audit verify "$ex/audit.jsonl"
