#!/usr/bin/env bash
# kafka_bench.sh - Kafka throughput: `kpigate run` vs a bare librdkafka
# consumer, on the same kind of stream through the same mock cluster, in
# the same run (see docs/performance.md).
#
# usage: bench/kafka_bench.sh [-n RECORDS] [-s BATCH] [-w WINDOW] [-a] [-q]
#   -n  records streamed to each consumer (default 1,000,000)
#   -s  batch size of both consumers (kafka.batch_size; default 1000)
#   -w  the policy's window.records (default 0: the example policy's own
#       windows, one day of event time; e.g. 2000 adds a record cap)
#   -a  the policy's drift.ks_method "asymp" (default: the example's "auto")
#   -q  quick: -n 100000
# Environment: BUILD (default build-bench, Release, built here unless
# NO_BUILD=1), KPIGATE / KAFKA_MOCK to use other binaries, KEEP=1 keeps the
# work folder, KAFKA_PROPS extra "name=value ..." for both consumers,
# PRODUCE_PROPS "name=value ..." for the producer (e.g.
# compression.type=lz4) and BUDGET its unconsumed-bytes budget (default
# 4 MiB; more only with compression).
#
# Steps: `kpigate example --records N` (the capture stream, policy,
# reference); a mock cluster with one broker and two fresh one-partition
# topics; then, one after the other, the bare consumer and `kpigate run`
# (each its own topic and group) are fed N records keyed by the example's
# endpoint by bench_kafka_produce, which keeps unconsumed records under the
# mock's per-partition retention and times each consumer from its first to
# its last commit. Fails (exit 1) if any produced record was not consumed:
# the bare consumer must see N records with no offset gap, kpigate must log
# "stopping after N records", and both groups' commits must reach N.
# The ratio kpigate/bare is printed against the 0.70 target (not gated:
# timings never fail a run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=1000000 batch=1000 window=0 ks=auto
while getopts "n:s:w:aq" opt; do
	case $opt in
	n) n=$OPTARG ;;
	s) batch=$OPTARG ;;
	w) window=$OPTARG ;;
	a) ks=asymp ;;
	q) n=100000 ;;
	*) sed -n '6,13p' "$0" >&2; exit 2 ;;
	esac
done
[[ $n =~ ^[0-9]+$ && $n -ge 1000 && $n -le 5000000 ]] || { echo "kafka_bench: -n must be 1000..5000000" >&2; exit 2; }
[[ $batch =~ ^[0-9]+$ && $batch -ge 1 && $batch -le 100000 ]] || { echo "kafka_bench: -s must be 1..100000" >&2; exit 2; }
[[ $window =~ ^[0-9]+$ && ($window == 0 || $window -ge 500) ]] || { echo "kafka_bench: -w must be 0 or >= 500 (the policy's min_records)" >&2; exit 2; }

build=${BUILD:-$root/build-bench}
if [[ -z ${NO_BUILD:-} ]]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j2 --target kpigate bench_kafka_bare \
		bench_kafka_produce kafka_mock >/dev/null
fi
kpigate=${KPIGATE:-$build/kpigate}
mock=${KAFKA_MOCK:-}
[[ -n $mock ]] || for m in "$build/tests/kafka_mock" "$build/bench/kafka_mock"; do
	[[ -x $m ]] && mock=$m && break
done
bare=$build/bench/bench_kafka_bare produce=$build/bench/bench_kafka_produce
for b in "$kpigate" "$mock" "$bare" "$produce"; do
	[[ -x $b ]] || { echo "kafka_bench: missing $b" >&2; exit 1; }
done
export KAFKA_MOCK=$mock KAFKA_BROKERS=1
. "$root/tests/lib/kafka_lib.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/kpg-kafka-bench.XXXXXX")
daemon_pid=
cleanup() {
	[[ -n $daemon_pid ]] && kill -9 "$daemon_pid" 2>/dev/null
	kafka_stop
	[[ -n ${KEEP:-} ]] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
field() { # field JSON NAME: a number from a one-line JSON object
	/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# The same consumer settings for both. The mock answers an empty fetch
# only after fetch.wait.max.ms (a real broker answers when data arrives),
# so both wait at most 5 ms; both commit stored offsets every 20 ms.
common=(session.timeout.ms=6000 heartbeat.interval.ms=500
	auto.offset.reset=earliest fetch.wait.max.ms=5 auto.commit.interval.ms=20)
xprops=()
for p in ${KAFKA_PROPS:-}; do
	common+=("$p")
done
for p in "${common[@]}"; do
	xprops+=(-X "$p")
done
pprops=(-B "${BUDGET:-4194304}")
for p in ${PRODUCE_PROPS:-}; do
	pprops+=(-X "$p")
done

echo "kafka_bench: $n records, batch $batch, window $window records (0: one day), KS p-values $ks; $(nproc) CPUs"
"$kpigate" example "$work/ex" --records "$n" --seed 7 >/dev/null
find "$work/ex/capture" -name '*.jsonl' | sort | xargs cat >"$work/capture.jsonl"
rm -rf "$work/ex/capture" "$work/ex/ground_truth"
mkdir -p "$work/policies" "$work/state"
/usr/bin/python3 - "$work/ex/policy.json" "$work/policies/policy.json" "$window" "$ks" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
if int(sys.argv[3]) > 0:
    p["window"]["records"] = int(sys.argv[3])
p.setdefault("drift", {})["ks_method"] = sys.argv[4]
p["reference"]["path"] = sys.argv[1].rsplit("/", 1)[0] + "/train.csv"
json.dump(p, open(sys.argv[2], "w"), indent=1)
PY

kafka_start bare:1 kpigate:1 || { echo "kafka_bench: no mock cluster" >&2; exit 1; }

# 1. the bare consumer
"$bare" -b "$KAFKA_BOOTSTRAP" -t bare -g bench-bare -n "$n" -s "$batch" -T 900 \
	"${xprops[@]}" >"$work/bare.json" 2>"$work/bare.log" &
bare_pid=$!
bare_prod=$("$produce" -b "$KAFKA_BOOTSTRAP" -t bare -g bench-bare \
	-f "$work/capture.jsonl" -n "$n" -T 900 "${pprops[@]}") || fail "bare: not every record was committed: $bare_prod"
wait "$bare_pid" || fail "bare consumer: $(cat "$work/bare.json")"
bare_self=$(cat "$work/bare.json")

# 2. kpigate run
http_port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 - "$work/run.json" "$KAFKA_BOOTSTRAP" "$batch" "$work" "$http_port" "${common[@]}" <<'PY'
import json, sys
out, boot, batch, work, port = sys.argv[1:6]
props = dict(p.split("=", 1) for p in sys.argv[6:])
json.dump({"kafka": {"bootstrap_servers": boot, "group_id": "bench-kpigate",
                     "capture_topic": "kpigate", "batch_size": int(batch),
                     # old captures produced now: a backfill, so the
                     # inferenceTime / Kafka timestamp check is off
                     "max_time_skew_seconds": 0, "properties": props},
           "policy_dir": work + "/policies", "audit_log": work + "/audit.jsonl",
           "state_dir": work + "/state",
           "http": {"listen": "127.0.0.1:" + port},
           "log_level": "info", "shutdown_timeout_seconds": 20},
          open(out, "w"), indent=1)
PY
"$kpigate" run --check --config "$work/run.json" >/dev/null || { fail "kpigate run --check"; exit 1; }
"$kpigate" run --config "$work/run.json" 2>"$work/run.log" &
daemon_pid=$!
kpg_prod=$("$produce" -b "$KAFKA_BOOTSTRAP" -t kpigate -g bench-kpigate \
	-f "$work/capture.jsonl" -n "$n" -T 900 -M "$http_port" "${pprops[@]}") || fail "kpigate: not every record was committed: $kpg_prod"
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "kpigate run exited with $?"
daemon_pid=
stopped=$(sed -n 's/.*stopping after \([0-9]*\) records.*/\1/p' "$work/run.log" | tail -1)
[[ ${stopped:-0} == "$n" ]] || fail "kpigate consumed ${stopped:-?} records, $n were produced"
windows=$(grep -c '"event":"window_evaluated"' "$work/audit.jsonl" || true)
[[ $windows -gt 0 ]] || fail "kpigate evaluated no window"

bare_rate=$(field "$bare_prod" rate) kpg_rate=$(field "$kpg_prod" rate)
echo "producer (bare):    $bare_prod"
echo "bare consumer:      $bare_self"
echo "producer (kpigate): $kpg_prod"
echo "kpigate run:        stopped after ${stopped:-?} records, $windows windows evaluated"
/usr/bin/python3 - "$bare_rate" "$kpg_rate" <<'PY'
import sys
bare, kpg = float(sys.argv[1]), float(sys.argv[2])
r = kpg / bare if bare > 0 else 0.0
print(f"bare consumer {bare:,.0f} records/s, kpigate run {kpg:,.0f} records/s, "
      f"kpigate / bare = {r:.2f} (target >= 0.70: {'met' if r >= 0.70 else 'NOT met'})")
PY
if ((failures)); then
	echo "--- kpigate run log (tail)" >&2
	tail -5 "$work/run.log" >&2
	echo "kafka_bench: FAILED: $failures check(s); records were lost or not consumed" >&2
	exit 1
fi
