# daemon_lib.sh - bash helpers shared by the multi-model daemon tests
# (e2e_daemon_rebalance.sh, e2e_daemon_scaleout.sh). Source after
# e2e_lib.sh (bin, tests, work, py) and kafka_lib.sh.
#
#   multi_model_world RECORDS   # 4 models keyed ep-a ep-e ep-b ep-d: their
#                               # policies in $work/policies, replays in
#                               # $work/replay-EP.jsonl, the interleaved
#                               # "endpoint:record" stream in $work/stream.txt;
#                               # sets want (decisions the daemons must make)
#                               # and n_lines

# kcat's default partitioner is CRC32(key) % partitions: these four keys
# land on partitions 0, 1, 2 and 3 of a 4-partition topic.
endpoints=(ep-a ep-e ep-b ep-d)
seeds=(11 12 13 14)

# One example stream, policy and replay per endpoint; the Kafka stream
# interleaves them line by line.
multi_model_world() {
	local i ep replay_rc
	mkdir -p "$work/policies" "$work/state"
	want=0
	for i in "${!endpoints[@]}"; do
		ep=${endpoints[i]}
		"$bin" example "$work/ex-$ep" --records "$1" --seed "${seeds[i]}" >/dev/null ||
			{ echo "FAIL: example"; return 1; }
		find "$work/ex-$ep/capture" -name '*.jsonl' | sort | xargs cat >"$work/capture-$ep.jsonl"
		cp "$work/ex-$ep/train.csv" "$work/policies/train-$ep.csv"
		sed -e "s/\"churn-xgb\"/\"churn-$ep\"/" -e "s/\"churn-endpoint\"/\"$ep\"/" \
			-e "s/\"train.csv\"/\"train-$ep.csv\"/" "$work/ex-$ep/policy.json" \
			>"$work/policies/$ep.json"
		replay_rc=0 # 0 nothing found, 1 findings (drift alarms, retrains), 2 trouble
		"$bin" replay --policy "$work/policies/$ep.json" --capture "$work/capture-$ep.jsonl" \
			--audit "$work/replay-$ep.jsonl" >/dev/null || replay_rc=$?
		((replay_rc <= 1)) || { echo "FAIL: replay $ep exit $replay_rc"; return 1; }
		want=$(( want + $(decisions "$work/replay-$ep.jsonl") - 1 )) # last window stays open
	done
	/usr/bin/python3 "$tests/lib/interleave_endpoints.py" "$work" "${endpoints[@]}" >"$work/stream.txt"
	n_lines=$(wc -l <"$work/stream.txt")
}
