#!/usr/bin/env bash
# e2e_deploy_metrics.sh - the per-model series of /metrics against a live
# daemon and its own audit log, and the names deploy/ uses (issue 12):
#  1. the example's captures, then its labels, then one capture an hour
#     past every window's label wait (it moves the model's clock: every
#     waiting window is decided with the labels in hand) through the mock
#     cluster; windows of 200 records;
#  2. /metrics passes `promtool check metrics`; kpigate_model_kpi equals the
#     last decision's KPIs in the audit log, kpigate_model_kpi_threshold the
#     policy's, kpigate_model_feature_psi / _ks_statistic that window's
#     features (NaN where no KS ran), kpigate_model_decisions_total the
#     decisions by kind, and the energy and carbon counters the sum of the
#     decisions' estimates by effect;
#  3. every metric name deploy/prometheus/alerts.yml and
#     deploy/grafana/kpigate-dashboard.json use is one the daemon exports
#     (and a bogus one is caught), and docs/operations.md lists every
#     family exported.
. "$(dirname "$0")/lib/e2e_lib.sh" "$@"
e2e_need_kafka
command -v promtool >/dev/null || fail "promtool is not installed (Debian's prometheus; scripts/install-deps.sh)"
daemon_pid=
e2e_at_exit 'kill -9 $daemon_pid'
port_of() { # port_of LOG: the HTTP port the daemon logged
	sed -n 's/.*serving .* on 127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$1" | head -1
}
repo=$(cd "$tests/.." && pwd)

"$bin" example "$work/ex" --records 2000 --seed 3 >/dev/null || { echo "FAIL: example"; exit 1; }
find "$work/ex/capture" -name '*.jsonl' | sort | xargs cat >"$work/capture.jsonl"
find "$work/ex/ground_truth" -name '*.jsonl' | sort | xargs cat >"$work/labels.jsonl"
# the clock mover: the last capture, a new id, inferenceTime a year on
tail -n 1 "$work/capture.jsonl" | $py -c 'import json, sys
r = json.loads(sys.stdin.read())
r["eventMetadata"].update(eventId="clock-0", inferenceId="clock-0", inferenceTime="2027-06-01T00:00:00Z")
print(json.dumps(r))' >"$work/clock.jsonl"
n_capture=$(($(wc -l <"$work/capture.jsonl") + 1))
n_labels=$(wc -l <"$work/labels.jsonl")
mkdir -p "$work/policies" "$work/state"
# 200-record windows waiting up to 180 days for their labels
sed 's/"window": {[^}]*}/"window": {"records": 200, "label_wait_seconds": 15552000}/; s/"min_records": [0-9]*/"min_records": 1/; s/"min_labelled": [0-9]*/"min_labelled": 1/' \
	"$work/ex/policy.json" >"$work/policies/policy.json"
cp "$work/ex/train.csv" "$work/policies/"

kafka_start capture:1 labels:1 || { echo "FAIL: mock"; exit 1; }
cat >"$work/run.json" <<JSON
{"kafka": {"bootstrap_servers": "$KAFKA_BOOTSTRAP", "max_time_skew_seconds": 0, "group_id": "deploy",
           "capture_topic": "capture", "ground_truth_topic": "labels", "batch_size": 500,
           "properties": {"session.timeout.ms": 6000, "auto.offset.reset": "earliest"}},
 "policy_dir": "$work/policies", "audit_log": "$work/audit.jsonl", "state_dir": "$work/state",
 "join": {"max_age_hours": 8000},
 "http": {"listen": "127.0.0.1:0"},
 "checkpoint_interval_seconds": 1, "log_level": "info", "shutdown_timeout_seconds": 20}
JSON
kafka_produce capture "$work/capture.jsonl" churn-endpoint || fail "produce captures"
kafka_produce labels "$work/labels.jsonl" churn-endpoint || fail "produce labels"
kafka_produce capture "$work/clock.jsonl" churn-endpoint || fail "produce the clock mover"
"$bin" run --config "$work/run.json" 2>"$work/run.log" &
daemon_pid=$!
wait_log "$work/run.log" 'serving /healthz' 1 30 $daemon_pid || fail "daemon did not serve HTTP"
port=$(port_of "$work/run.log")
# consumed, and every audited decision in the per-model counters
end=$((SECONDS + 120))
until [[ $(e2e_metric "$port" kpigate_capture_records_total) == "$n_capture" &&
	$(e2e_metric "$port" kpigate_ground_truth_records_total) == "$n_labels" ]] &&
	e2e_http "$port" /metrics | sed '1s/^200 //' >"$work/metrics.txt" &&
	$py - "$work/metrics.txt" "$work/audit.jsonl" <<'PY'; do
import json, sys
n = sum(1 for l in open(sys.argv[2]) if '"event":"decision"' in l.replace(" ", ""))
got = sum(float(l.rsplit(" ", 1)[1]) for l in open(sys.argv[1])
          if l.startswith("kpigate_model_decisions_total{"))
sys.exit(0 if n > 0 and got == n else 1)
PY
	((SECONDS < end)) && alive $daemon_pid || { fail "not every record consumed and decision counted in 120 s"; break; }
	sleep 0.5
done
step "consumed $n_capture captures, $n_labels labels"
promtool check metrics <"$work/metrics.txt" || fail "promtool check metrics"

$py - "$work/metrics.txt" "$work/audit.jsonl" "$work/policies/policy.json" <<'PY' || fails=$((fails + 1))
import json, math, re, sys
samples = {}
for l in open(sys.argv[1]):
    if l.startswith("#") or not l.strip():
        continue
    m = re.match(r'(\w+)(?:\{(.*)\})? (\S+)$', l.strip())
    labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or "")))
    samples[(m.group(1), labels)] = float(m.group(3))
recs = [json.loads(l) for l in open(sys.argv[2])]
policy = json.load(open(sys.argv[3]))
model = policy["model"]
ok = True
def check(cond, what):
    global ok
    if not cond:
        ok = False
        print("FAIL:", what)
def get(name, **labels):
    return samples.get((name, tuple(sorted(dict(model=model, **labels).items()))))
def close(a, b):
    return a is not None and (a == b or abs(a - b) <= 1e-12 * max(1, abs(b)))
decisions = [r["data"] for r in recs if r["event"] == "decision" and r["model"] == model]
check(len(decisions) >= 5, f"{len(decisions)} decisions, want at least 5")
last = decisions[-1]
check(len(last.get("kpis", {})) >= 1, f"the last decision has no KPIs: {last.get('kpis')}")
for kpi, v in last.get("kpis", {}).items():
    check(close(get("kpigate_model_kpi", kpi=kpi), v["value"]),
          f"kpigate_model_kpi{{kpi={kpi}}} {get('kpigate_model_kpi', kpi=kpi)}, audit {v['value']}")
for k in policy["kpis"]:
    if "min" in k:
        check(close(get("kpigate_model_kpi_threshold", kpi=k["metric"]), k["min"]),
              f"threshold of {k['metric']}: {get('kpigate_model_kpi_threshold', kpi=k['metric'])}, policy {k['min']}")
ev = [r["data"] for r in recs if r["event"] == "window_evaluated" and r["model"] == model
      and r["data"]["window"] == last["window"]]
check(len(ev) == 1, f"{len(ev)} window_evaluated records of window {last['window']}")
n_ks = 0
for f in ev[0]["features"] if ev else []:
    psi = get("kpigate_model_feature_psi", feature=f["name"])
    ks = get("kpigate_model_feature_ks_statistic", feature=f["name"])
    check(close(psi, f["psi"]), f"PSI of {f['name']}: {psi}, audit {f['psi']}")
    if "ks_statistic" in f:
        n_ks += 1
        check(close(ks, f["ks_statistic"]), f"KS of {f['name']}: {ks}, audit {f['ks_statistic']}")
    else:
        check(ks is not None and math.isnan(ks), f"KS of categorical {f['name']}: {ks}, want NaN")
check(n_ks >= 5, f"only {n_ks} features with a KS statistic")
for kind in ("retrain", "hold"):
    want = sum(1 for d in decisions if d["decision"] == kind)
    check(get("kpigate_model_decisions_total", decision=kind) == want,
          f"{kind} decisions: {get('kpigate_model_decisions_total', decision=kind)}, audit {want}")
for effect in ("spent", "avoided"):
    kwh = sum(d["energy"]["kwh"] for d in decisions if d["energy"]["effect"] == effect)
    kg = sum(d["energy"]["kg_co2e"] for d in decisions if d["energy"]["effect"] == effect)
    check(close(get("kpigate_model_energy_kwh_total", effect=effect), kwh),
          f"kWh {effect}: {get('kpigate_model_energy_kwh_total', effect=effect)}, audit {kwh}")
    check(close(get("kpigate_model_carbon_kg_co2e_total", effect=effect), kg),
          f"kg CO2e {effect}: {get('kpigate_model_carbon_kg_co2e_total', effect=effect)}, audit {kg}")
check(any(d["energy"]["effect"] != "none" for d in decisions), "no decision spent or avoided energy")
check(samples.get(("kpigate_metrics_series_dropped_total", ())) == 0, "series dropped")
sys.exit(0 if ok else 1)
PY
step "per-model series equal the audit log"

# 3. the names deploy/ uses are exported: every kpigate_* family of the
# scrape, and each name in the rules' expressions and the dashboard's
names() { # names FILE: the kpigate_* metric names in the PromQL of FILE
	$py - "$1" <<'PY'
import json, re, sys, yaml
p = sys.argv[1]
if p.endswith(".json"):
    exprs = []
    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k in ("expr", "query") and isinstance(v, str):
                    exprs.append(v)
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(json.load(open(p)))
else:
    exprs = [r["expr"] for g in yaml.safe_load(open(p))["groups"] for r in g["rules"]]
names = {n for e in exprs for n in re.findall(r"\bkpigate_[a-z0-9_]+", e)}
print("\n".join(sorted(names)))
PY
}
sed -n 's/^# TYPE \(kpigate_[a-z0-9_]*\) .*/\1/p' "$work/metrics.txt" | sort -u >"$work/exported.txt"
for f in deploy/prometheus/alerts.yml deploy/grafana/kpigate-dashboard.json; do
	names "$repo/$f" >"$work/used.txt" || fail "reading $f"
	(($(wc -l <"$work/used.txt") >= 8)) || fail "$f: only $(wc -l <"$work/used.txt") metric names found"
	missing=$(comm -23 "$work/used.txt" "$work/exported.txt")
	[[ -z $missing ]] || fail "$f uses metrics the daemon does not export: $missing"
done
# and docs/operations.md's metric tables name every family exported
while read -r name; do
	grep -q "\`$name[{\`]" "$repo/docs/operations.md" || fail "docs/operations.md does not list $name"
done <"$work/exported.txt"
# the check itself: a bogus name in a copy of the rules is caught
sed 's/kpigate_consumer_lag > 100000/kpigate_consumer_lagg > 100000/' \
	"$repo/deploy/prometheus/alerts.yml" >"$work/bogus.yml"
names "$work/bogus.yml" >"$work/used.txt"
[[ -n $(comm -23 "$work/used.txt" "$work/exported.txt") ]] || fail "a bogus metric name in the rules went unnoticed"

kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
daemon_pid=
[[ $rc == 0 ]] || fail "daemon exit $rc"
"$bin" audit verify "$work/audit.jsonl" >/dev/null || fail "audit verify"
e2e_finish "$(grep -c '"event":"decision"' "$work/audit.jsonl") decisions"
