#!/usr/bin/env bash
# e2e_daemon_labels.sh - `kpigate run` with ground truth on its own topic
# (co-partitioned with the captures, both keyed by endpoint), against the
# mock cluster. A window's KPIs are those of its own predictions, so any
# order of labels and captures that lets labels arrive within the policy's
# label wait must give the same windows, KPIs and decisions as replay:
#  - the example's captures and labels (20,000 records) are produced twice,
#    one kcat run per run of one kind, so the records' Kafka timestamps
#    follow the order produced, a day at a time, each day consumed before
#    the next (the mock keeps only ~5 MB per partition):
#    A (topics capture, labels): each S3 hour's labels after that hour's
#      captures (replay reads them before);
#    B (topics capture-b, labels-b): each hour's captures and labels cut
#      into random pieces, interleaved at random (seeded);
#  - group g1 reads A and is stopped (SIGSTOP) for six days and continued:
#    it then reads a backlog of both topics, which librdkafka hands out in
#    whatever order its fetches return; group g2 reads B and is killed with
#    -9 half-way and restarted: both audit logs must equal `kpigate replay`
#    on the same files window by window and decision by decision, KPIs
#    included (the daemon applies a task's two partitions in timestamp
#    order, controller/daemon/task_merge.h), with every label joined and
#    every retrain acted on exactly once.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
e2e_need_kafka
daemon_pid=
e2e_at_exit 'kill -9 $daemon_pid'
port_of() { # port_of LOG: the HTTP port the daemon logged
	sed -n 's/.*serving .* on 127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$1" | head -1
}

"$bin" example "$work/ex" --records 20000 --seed 3 >/dev/null || { echo "FAIL: example"; exit 1; }
"$bin" replay --policy "$work/ex/policy.json" --capture "$work/ex/capture" \
	--ground-truth "$work/ex/ground_truth" --audit "$work/replay.jsonl" >/dev/null || (($? == 1)) ||
	{ echo "FAIL: replay"; exit 1; }
read -r replay_joined replay_gt <<<"$($py -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["event"] == "run_summary":
        g = r["data"]["ground_truth"]; print(g["joined"], g["lines"])' "$work/replay.jsonl")"
# the two orders: slice/{a,b}/DD/NNNNN.capture|labels, one file per run of
# one kind, DD = the day of the S3 hour the lines were filed under
mkdir -p "$work/slice"
$py - "$work/ex" "$work/slice" <<'PY'
import os, random, sys
root, out = sys.argv[1:3]
hours = {}
for kind in ("ground_truth", "capture"):
    for d, _, names in os.walk(os.path.join(root, kind)):
        for n in sorted(names):
            hour = "/".join(d.split("/")[-4:])  # yyyy/mm/dd/hh
            lines = open(os.path.join(d, n)).readlines()
            hours.setdefault(hour, {"capture": [], "ground_truth": []})[kind] += lines
days = sorted({h[:10] for h in hours})
rnd = random.Random(42)
def pieces(lines):
    cut = sorted(rnd.sample(range(1, len(lines)), min(3, len(lines) - 1))) if len(lines) > 1 else []
    return [lines[a:b] for a, b in zip([0] + cut, cut + [len(lines)])]
for order in ("a", "b"):
    runs = []  # [day, kind, lines]
    for h in sorted(hours):
        day = days.index(h[:10])
        if order == "a":
            chunks = [("capture", hours[h]["capture"]), ("ground_truth", hours[h]["ground_truth"])]
        else:
            chunks = [("capture", p) for p in pieces(hours[h]["capture"])] + \
                     [("ground_truth", p) for p in pieces(hours[h]["ground_truth"])]
            rnd.shuffle(chunks)
        for kind, lines in chunks:
            if not lines:
                continue
            if runs and runs[-1][0] == day and runs[-1][1] == kind:
                runs[-1][2].extend(lines)
            else:
                runs.append([day, kind, list(lines)])
    for i, (day, kind, lines) in enumerate(runs):
        os.makedirs(f"{out}/{order}/{day:02d}", exist_ok=True)
        with open(f"{out}/{order}/{day:02d}/{i:05d}.{'labels' if kind == 'ground_truth' else 'capture'}", "w") as f:
            f.writelines(lines)
PY
for o in a b; do
	n_labels=$(cat "$work"/slice/$o/*/*.labels | wc -l)
	[[ $n_labels == "$replay_gt" ]] || fail "order $o: sliced $n_labels labels, replay read $replay_gt"
done

kafka_start capture:2 labels:2 capture-b:2 labels-b:2 || { echo "FAIL: mock"; exit 1; }
mkdir -p "$work/policies"
cp "$work/ex/policy.json" "$work/ex/train.csv" "$work/policies/"
config() { # config GROUP AUDIT STATE_DIR SESSION_MS TOPIC_SUFFIX
	cat <<JSON
{"kafka": {"bootstrap_servers": "$KAFKA_BOOTSTRAP", "max_time_skew_seconds": 0, "group_id": "$1",
           "capture_topic": "capture$5", "ground_truth_topic": "labels$5", "batch_size": 300,
           "properties": {"session.timeout.ms": $4, "auto.offset.reset": "earliest"}},
 "policy_dir": "$work/policies", "audit_log": "$2", "state_dir": "$3",
 "http": {"listen": "127.0.0.1:0"},
 "checkpoint_interval_seconds": 1, "log_level": "info", "shutdown_timeout_seconds": 20}
JSON
}
# g1 outlives its SIGSTOP in the group; g2's restart rejoins quickly
config g1 "$work/audit1.jsonl" "$work/state1" 60000 "" >"$work/run1.json"
config g2 "$work/audit2.jsonl" "$work/state2" 6000 -b >"$work/run2.json"
"$bin" run --check --config "$work/run1.json" >/dev/null || fail "run --check"

wait_port() { # wait_port LOG: prints the port once the daemon serves
	local i p
	for ((i = 0; i < 100; i++)); do
		p=$(port_of "$1")
		[[ -n $p ]] && { echo "$p"; return 0; }
		sleep 0.1
	done
	return 1
}
consumed() { # consumed PORT CAPTURES LABELS
	[[ $(e2e_metric "$1" kpigate_capture_records_total) == "$2" &&
	   $(e2e_metric "$1" kpigate_ground_truth_records_total) == "$3" ]]
}
"$bin" run --config "$work/run1.json" 2>"$work/run1.log" &
pid1=$!
"$bin" run --config "$work/run2.json" 2>"$work/run2a.log" &
pid2=$!
daemon_pid="$pid1 $pid2"
port1=$(wait_port "$work/run1.log") || fail "daemon 1 serves no HTTP"
port2=$(wait_port "$work/run2a.log") || fail "daemon 2 serves no HTTP"
done_c=0 done_l=0 k=0 killed= stopped=
for sd in "$work"/slice/a/*/; do
	day=$(basename "$sd")
	for r in "$sd"*; do
		case $r in
		*.capture) topic=capture done_c=$((done_c + $(wc -l <"$r"))) ;;
		*) topic=labels done_l=$((done_l + $(wc -l <"$r"))) ;;
		esac
		kafka_produce "$topic" "$r" churn-endpoint >/dev/null || fail "produce $r"
	done
	for r in "$work/slice/b/$day/"*; do
		case $r in
		*.capture) topic=capture-b ;;
		*) topic=labels-b ;;
		esac
		kafka_produce "$topic" "$r" churn-endpoint >/dev/null || fail "produce $r"
	done
	k=$((k + 1))
	if ((k == 8)); then
		kill -STOP "$pid1" && stopped=1
	elif ((k == 14)); then
		kill -CONT "$pid1" && stopped=
	fi
	if ((k == 21)); then # g2 dies in the middle of this day
		sleep 0.3
		kill -9 "$pid2"; wait "$pid2" 2>/dev/null
		"$bin" run --config "$work/run2.json" 2>"$work/run2b.log" &
		pid2=$!
		daemon_pid="$pid1 $pid2"
		port2=$(wait_port "$work/run2b.log") || fail "daemon 2 serves no HTTP after the restart"
		killed=1
	fi
	for ((i = 0; i < 600 && !stopped; i++)); do
		consumed "$port1" "$done_c" "$done_l" && break
		kill -0 "$pid1" 2>/dev/null || break
		sleep 0.1
	done
	[[ -n $stopped ]] || consumed "$port1" "$done_c" "$done_l" || fail "day $k: g1 consumed $(e2e_metric "$port1" kpigate_capture_records_total) captures, $(e2e_metric "$port1" kpigate_ground_truth_records_total) labels"
	[[ -n $killed ]] && continue # g2's counters restarted; its lag below
	for ((i = 0; i < 600; i++)); do
		consumed "$port2" "$done_c" "$done_l" && break
		kill -0 "$pid2" 2>/dev/null || break
		sleep 0.1
	done
done
joined=$(e2e_metric "$port1" kpigate_labels_joined_total)
[[ $joined == "$replay_joined" ]] || fail "labels joined: $joined, replay joined $replay_joined"
late=$(e2e_metric "$port1" kpigate_labels_late_total)
[[ $late == 0 ]] || fail "g1 counted $late late labels"
for ((i = 0; i < 600; i++)); do
	[[ $(e2e_metric "$port2" kpigate_consumer_lag) == 0 ]] && break
	sleep 0.1
done
sleep 2 # a decision made twice would show now
kill -TERM "$pid1" "$pid2"
wait "$pid1" || fail "daemon 1: exit $?"
wait "$pid2" || fail "daemon 2: exit $?"
daemon_pid=

check() { # check AUDIT MIN_RETRAINS: decisions and actions once each
	$py - "$1" "$2" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
dec = [r["data"] for r in recs if r["event"] == "decision"]
act = [r["data"] for r in recs if r["event"] == "action_result"]
win = [r["data"] for r in recs if r["event"] == "window_evaluated"]
keys = [d["idempotency_key"] for d in dec]
retrain = [d["idempotency_key"] for d in dec if d["decision"] == "retrain"]
akeys = [a["idempotency_key"] for a in act]
bad = []
if len(keys) != len(set(keys)): bad.append("a decision audited twice")
if sorted(akeys) != sorted(retrain): bad.append(f"actions {akeys} for retrains {retrain}")
if len(retrain) < int(sys.argv[2]): bad.append(f"{len(retrain)} retrains")
if not any("auc" in d["kpis"] for d in dec): bad.append("no decision has a KPI")
for b in bad: print("FAIL:", sys.argv[1], b)
print(f"  {sys.argv[1].rsplit('/', 1)[1]}: {len(win)} windows, {len(retrain)} retrain(s), {len(akeys)} action(s), "
      f"{sum(1 for d in dec if 'auc' in d['kpis'])} decided on an AUC")
sys.exit(1 if bad else 0)
PY
}
replay_retrains=$(grep '"event":"decision"' "$work/replay.jsonl" | grep -c '"decision":"retrain"')
((replay_retrains >= 1)) || fail "the replay retrains $replay_retrains times: the test needs a retrain"
for a in audit1 audit2; do
	check "$work/$a.jsonl" "$replay_retrains" || fails=$((fails + 1))
	$py "$tests/lib/daemon_vs_replay.py" "$work/replay.jsonl" -- "$work/$a.jsonl" ||
		fail "$a differs from the replay"
done
for a in audit1 audit2; do
	"$bin" audit verify "$work/$a.jsonl" >/dev/null || fail "$a does not verify"
done
if ((fails)); then
	for f in run1.log run2a.log run2b.log; do echo "--- $f"; grep -v '"level":"info"' "$work/$f" | tail -5; done
fi
e2e_finish
