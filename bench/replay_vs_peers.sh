#!/usr/bin/env bash
# kpigate replay against its peers, in one run, on the same generated data
# (docs/performance.md, "Replay against its peers"):
#   decode-limit  bench_decode_limit: simdjson On-Demand + fast_float, the
#                 20 numbers of each line and nothing else (the ceiling)
#   kpigate       `kpigate replay` end to end as a user runs it: the
#                 policy and its 50,000-row reference CSV loaded, windows,
#                 PSI + KS per feature, the audit log written; pinned to
#                 one core, then free to use both
#   python        bench/peer_replay.py: json + numpy + scipy computing the
#                 same statistics per window (one core)
# then the same records spread over MODELS endpoints (SageMaker's folder
# layout, ENDPOINT/AllTraffic/yyyy/mm/dd/hh/) replayed with one policy per
# endpoint, all sharing the reference file, against one policy over the
# same tree: wall time and peak RSS of each. Every figure is the best of
# RUNS runs; the ratios compare figures of this run only.
#
# usage: bench/replay_vs_peers.sh [-n RECORDS] [-w WINDOW] [-R REF_ROWS]
#          [-m MODELS] [-W MODEL_WINDOW] [-k RUNS] [-d DIR [-r]] [-P]
#   defaults: 300,000 records, windows of 10,000, a 50,000-row reference,
#   100 models with windows of 1,000, 3 runs; -r reuses DIR's files; -P
#   skips the Python peer (it takes a minute or more)
set -euo pipefail
cd "$(dirname "$0")/.."
n=300000 w=10000 ref_rows=50000 models=100 model_w=1000 runs=3 dir="" reuse=0 python=1
while getopts "n:w:R:m:W:k:d:rP" o; do
	case $o in
	n) n=$OPTARG ;; w) w=$OPTARG ;; R) ref_rows=$OPTARG ;; m) models=$OPTARG ;;
	W) model_w=$OPTARG ;; k) runs=$OPTARG ;; d) dir=$OPTARG ;; r) reuse=1 ;; P) python=0 ;;
	*) sed -n '2,23p' "$0" >&2; exit 2 ;;
	esac
done
b=build-bench
./scripts/build.sh "$b" -DCMAKE_BUILD_TYPE=Release -DKPIGATE_TESTS=OFF >/dev/null
if [[ -z $dir ]]; then
	dir=$(mktemp -d /tmp/kpg-peers-XXXXXX)
	trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir"
if ((reuse == 0)) || [[ ! -f $dir/capture.jsonl ]]; then
	"$b/bench/bench_replay" -G -n "$n" -f 20 -R "$ref_rows" -w "$w" -d "$dir" >/dev/null
	rm -rf "$dir/tree" "$dir/policies"
	# record i to endpoint i % MODELS, into its inferenceTime's hour folder
	awk -v dir="$dir/tree" -v m="$models" '
		{ match($0, /"inferenceTime":"[0-9-]+T[0-9][0-9]/)
		  t = substr($0, RSTART + 17, 13)
		  if (t != hour) { for (g in opened) close(g); delete opened; hour = t }
		  f = sprintf("%s/ep-%03d/AllTraffic/%s/%s/%s/%s", dir, (NR - 1) % m,
			      substr(t, 1, 4), substr(t, 6, 2), substr(t, 9, 2), substr(t, 12, 2))
		  p = f "/part.jsonl"
		  if (!(p in opened)) { system("mkdir -p " f); opened[p] = 1 }
		  print >> p }' "$dir/capture.jsonl"
	mkdir -p "$dir/policies"
	/usr/bin/python3 - "$dir" "$models" "$model_w" <<'PY'
import json, sys
d, m, w = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = json.load(open(f"{d}/policy.json"))
for i in range(m):
    p = dict(base, model=f"m-{i:03d}", endpoint=f"ep-{i:03d}",
             reference={"path": "../train.csv"}, window=dict(base["window"], records=w))
    json.dump(p, open(f"{d}/policies/p-{i:03d}.json", "w"))
json.dump(dict(base, window=dict(base["window"], records=w)), open(f"{d}/one-policy.json", "w"))
PY
fi
cat "$dir/capture.jsonl" "$dir/train.csv" >/dev/null # page cache warm
echo "records: $(wc -l <"$dir/capture.jsonl"), $(($(stat -c %s "$dir/capture.jsonl") / 1048576)) MiB;" \
	"reference: $(($(wc -l <"$dir/train.csv") - 1)) rows; windows of $w; $(nproc) cores"

# best wall time (s) and the peak RSS (MiB) of that run of a command
# whose exit is 0 or 1 (kpigate's "findings")
best() {
	local i t rss bt="" brss=""
	for ((i = 0; i < runs; i++)); do
		rm -f "$dir/audit.jsonl"
		/usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" >"$dir/out.txt" 2>"$dir/err.txt" || {
			rc=$?
			if ((rc != 1)); then
				echo "failed (exit $rc): $*" >&2
				tail -n 5 "$dir/err.txt" "$dir/out.txt" >&2
				exit 1
			fi
		}
		read -r t rss < <(tail -1 "$dir/time.txt")
		if [[ -z $bt ]] || awk -v a="$t" -v b="$bt" 'BEGIN { exit !(a < b) }'; then
			bt=$t brss=$rss
		fi
	done
	echo "$bt $((brss / 1024))"
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

one="taskset -c 0"
read -r t_lim m_lim < <(best $one "$b/bench/bench_decode_limit" "$dir/capture.jsonl" 20)
replay=("$b/kpigate" replay --policy "$dir/policy.json" --capture "$dir/capture.jsonl"
	--audit "$dir/audit.jsonl")
read -r t_k1 m_k1 < <(best $one "${replay[@]}")
read -r t_k2 m_k2 < <(best "${replay[@]}")
printf '%-34s %9s s %12s rec/s %7s MiB\n' "decode-limit (1 core)" "$t_lim" "$(rate "$n" "$t_lim")" "$m_lim"
printf '%-34s %9s s %12s rec/s %7s MiB\n' "kpigate replay (1 core)" "$t_k1" "$(rate "$n" "$t_k1")" "$m_k1"
printf '%-34s %9s s %12s rec/s %7s MiB\n' "kpigate replay (all cores)" "$t_k2" "$(rate "$n" "$t_k2")" "$m_k2"
if ((python)); then
	pr=$runs
	runs=1 # a minute or more a run: once is enough against a 20x target
	read -r t_py m_py < <(best $one /usr/bin/python3 bench/peer_replay.py "$dir/train.csv" \
		"$dir/capture.jsonl" --window "$w")
	runs=$pr
	printf '%-34s %9s s %12s rec/s %7s MiB\n' "python peer (1 core)" "$t_py" "$(rate "$n" "$t_py")" "$m_py"
fi
echo "kpigate (1 core) / decode-limit:    $(ratio "$t_lim" "$t_k1")   (target >= 0.5)"
echo "kpigate (all cores) / decode-limit: $(ratio "$t_lim" "$t_k2")   (target >= 0.9)"
((python)) && echo "kpigate (1 core) / python:          $(ratio "$t_py" "$t_k1")   (target >= 20)"

read -r t_s m_s < <(best "$b/kpigate" replay --policy "$dir/one-policy.json" --capture "$dir/tree" \
	--audit "$dir/audit.jsonl")
read -r t_m m_m < <(best "$b/kpigate" replay --policy "$dir"/policies/*.json --capture "$dir/tree" \
	--audit "$dir/audit.jsonl")
printf '%-34s %9s s %7s MiB\n' "1 model, $models endpoints' tree" "$t_s" "$m_s"
printf '%-34s %9s s %7s MiB\n' "$models models, one per endpoint" "$t_m" "$m_m"
echo "$models models / 1 model, wall:      $(ratio "$t_m" "$t_s")   (target <= 2)"
echo "$models models, peak RSS:            $m_m MiB (target < 200)"
