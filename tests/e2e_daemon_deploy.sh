#!/usr/bin/env bash
# e2e_daemon_deploy.sh - deployment signals (issue 10), against the mock
# cluster: a policy with a relative AUC rule, the example's captures and
# labels, and one deployment recorded with `kpigate model deployed` in the
# middle of the stream, naming the new model's training data as the drift
# reference. `kpigate run` (deployments_file) and `kpigate replay
# --deployments` give the same windows and decisions, though the daemon is
# killed (-9) and restarted after the deployment (its checkpoint carries
# the new reference); the daemon audits model_deployed once, and the
# windows from the deployment on learn the baseline again. A line that is
# not a deployment is logged and skipped; one for a model no policy names
# is warned about.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
e2e_need_kafka
daemon_pid=
e2e_at_exit 'kill -9 $daemon_pid'
port_of() { # port_of LOG: the HTTP port the daemon logged
	sed -n 's/.*serving .* on 127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$1" 2>/dev/null | head -1
}

"$bin" example "$work/ex" --records 6000 --seed 3 >/dev/null || { echo "FAIL: example"; exit 1; }
mkdir -p "$work/policies" "$work/state"
# daily windows, the AUC judged against the model's own baseline only
$py - "$work/ex/policy.json" "$work/policies/policy.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["kpis"] = [{"metric": "auc", "worse_than_baseline_by": 0.05}]
p["baseline"] = {"windows": 3}
p["guards"].update({"min_records": 50, "min_labelled": 40, "consecutive_windows": 1})
json.dump(p, open(sys.argv[2], "w"))
PY
cp "$work/ex/train.csv" "$work/policies/"
# the "new model's" training data: the same schema, other rows
head -n 1501 "$work/ex/train.csv" >"$work/train-v2.csv"
"$bin" model deployed --model churn-xgb --at 2026-01-20T00:00:00Z \
	--reference "$work/train-v2.csv" --file "$work/deployments.jsonl" >/dev/null ||
	fail "model deployed"
"$bin" replay --policy "$work/policies/policy.json" --capture "$work/ex/capture" \
	--ground-truth "$work/ex/ground_truth" --deployments "$work/deployments.jsonl" \
	--audit "$work/replay.jsonl" >/dev/null || (($? == 1)) || { echo "FAIL: replay"; exit 1; }
# both streams in replay's order, one file per run of one kind
$py - "$work/ex" "$work/runs" <<'PY'
import os, sys
root, out = sys.argv[1:3]
files = []
for kind, rank in (("ground_truth", 0), ("capture", 1)):
    for d, _, names in os.walk(os.path.join(root, kind)):
        for n in sorted(names):
            files.append(("/".join(d.split("/")[-4:]), rank, n, os.path.join(d, n), kind))
runs = []
for _, _, _, p, kind in sorted(files):
    if runs and runs[-1][0] == kind:
        runs[-1][1].extend(open(p).readlines())
    else:
        runs.append([kind, open(p).readlines()])
os.makedirs(out)
for i, (kind, lines) in enumerate(runs):
    with open(f"{out}/{i:05d}.{'labels' if kind == 'ground_truth' else 'capture'}", "w") as f:
        f.writelines(lines)
PY

kafka_start capture:1 labels:1 || { echo "FAIL: mock"; exit 1; }
cat >"$work/run.json" <<JSON
{"kafka": {"bootstrap_servers": "$KAFKA_BOOTSTRAP", "max_time_skew_seconds": 0, "group_id": "dep",
           "capture_topic": "capture", "ground_truth_topic": "labels", "batch_size": 300,
           "properties": {"session.timeout.ms": 6000, "auto.offset.reset": "earliest"}},
 "policy_dir": "$work/policies", "audit_log": "$work/audit.jsonl", "state_dir": "$work/state",
 "deployments_file": "$work/deployments.jsonl", "http": {"listen": "127.0.0.1:0"},
 "checkpoint_interval_seconds": 1, "log_level": "info", "shutdown_timeout_seconds": 20}
JSON
"$bin" run --check --config "$work/run.json" >/dev/null || fail "run --check"
"$bin" run --config "$work/run.json" 2>"$work/run.log" &
daemon_pid=$!
port=
for ((i = 0; i < 100; i++)); do
	port=$(port_of "$work/run.log")
	[[ -n $port ]] && break
	sleep 0.1
done
[[ -n $port ]] || fail "the daemon serves no HTTP"
n_c=0 n_l=0 k=0 restarted=
for r in "$work"/runs/*; do
	k=$((k + 1))
	# kill -9 and restart once the deployment is behind the stream
	if [[ -z $restarted ]] && ((k > $(ls "$work/runs" | wc -l) * 2 / 3)); then
		for ((i = 0; i < 600; i++)); do
			[[ $(e2e_metric "$port" kpigate_capture_records_total) == "$n_c" ]] && break
			sleep 0.1
		done
		sleep 1.5 # a checkpoint
		kill -9 $daemon_pid; wait $daemon_pid 2>/dev/null
		"$bin" run --config "$work/run.json" 2>"$work/run2.log" &
		daemon_pid=$!
		port=
		for ((i = 0; i < 100; i++)); do
			port=$(port_of "$work/run2.log")
			[[ -n $port ]] && break
			sleep 0.1
		done
		[[ -n $port ]] || fail "the restarted daemon serves no HTTP"
		restarted=1
	fi
	case $r in
	*.capture) kafka_produce capture "$r" churn-endpoint >/dev/null || fail "produce $r"
		n_c=$((n_c + $(wc -l <"$r"))) ;;
	*) kafka_produce labels "$r" churn-endpoint >/dev/null || fail "produce $r"
		n_l=$((n_l + $(wc -l <"$r"))) ;;
	esac
done
# a signal that is not one, appended while the daemon runs: logged, skipped
echo '{"model": "churn-xgb", "time": "yesterday"}' >>"$work/deployments.jsonl"
# and one for a model no policy names: warned about, not applied
echo '{"model": "nope", "time": "2026-01-21T00:00:00Z"}' >>"$work/deployments.jsonl"
# every decision replay took, then a moment for anything decided twice
want=$(decisions "$work/replay.jsonl")
wait_decisions "$want" 90 "$daemon_pid" "$work/audit.jsonl" ||
	fail "the daemon decided $(decisions "$work/audit.jsonl") of $want windows"
sleep 2
wait_log "$work/run2.log" 'not a deployment, skipped' 1 10 ||
	fail "the bad deployment line is not logged"
wait_log "$work/run2.log" 'model nope, which no policy names' 1 10 ||
	fail "the deployment of an unknown model is not warned about"
grep -q 'model churn-xgb: restored"' "$work/run2.log" ||
	fail "the restart did not restore the checkpoint: $(grep -i 'churn-xgb' "$work/run2.log" | tail -2)"
sleep 2
kill -TERM $daemon_pid; wait $daemon_pid || fail "daemon exit $?"
daemon_pid=

$py "$tests/lib/daemon_vs_replay.py" "$work/replay.jsonl" -- "$work/audit.jsonl" ||
	fail "the daemon's windows and decisions differ from replay --deployments"
$py - "$work/audit.jsonl" <<'PY' || fails=$((fails + 1))
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
dep = [r for r in recs if r["event"] == "model_deployed"]
dec = [r["data"] for r in recs if r["event"] == "decision"]
bad = []
if (len(dep) != 1 or not dep[0]["data"]["time"].startswith("2026-01-20") or
        not dep[0]["data"].get("reference", "").endswith("train-v2.csv")):
    bad.append(f"model_deployed: {dep}")
after = [d["decisive_reason"]["code"] for d in dec if d["start"] >= "2026-01-20"]
before = [d["decisive_reason"]["code"] for d in dec if d["start"] < "2026-01-18"]
if after[:3] != ["baseline_learning"] * 3:
    bad.append(f"the first windows after the deployment: {after[:4]}")
if "baseline_learning" in before[3:]:
    bad.append(f"the baseline was learned again before the deployment: {before}")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
"$bin" audit verify "$work/audit.jsonl" >/dev/null || fail "the audit log does not verify"
e2e_finish
