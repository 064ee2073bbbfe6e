# aws_mock_lib.sh - the AWS emulator (tests/support/aws_mock.py) for script
# tests; sourced after e2e_lib.sh (uses py, tests, work):
#   mock_start [ARGS...]   starts the emulator over TLS with ARGS (--key,
#                          --web-identity-token, --container-auth, ...);
#                          sets mock_pid, url and ca (stop it with
#                          e2e_at_exit '[[ -n $mock_pid ]] && kill "$mock_pid"')
#   mock METHOD PATH [JSON]  a control call (/_mock/...), prints the answer
#   results AUDIT          "status status ..." of the action_result records
mock_start() {
	local i line
	$py "$tests/support/aws_mock.py" --tls "$work/tls" "$@" >"$work/mock.out" 2>>"$work/mock.err" &
	mock_pid=$!
	for ((i = 0; i < 100; i++)); do
		line=$(head -n 1 "$work/mock.out" 2>/dev/null)
		[[ $line == url=* ]] && break
		sleep 0.1
	done
	url=$(sed -n 's/^url=\([^ ]*\).*/\1/p' "$work/mock.out")
	ca=$(sed -n 's/.* ca=\(.*\)$/\1/p' "$work/mock.out")
	[[ -n $url && -n $ca ]] || { echo "FAIL: the emulator did not start"; cat "$work/mock.err"; exit 1; }
}

mock() {
	$py - "$url" "$ca" "$@" <<'PY'
import json, ssl, sys, urllib.request
url, ca, method, path = sys.argv[1:5]
data = sys.argv[5].encode() if len(sys.argv) > 5 else None
req = urllib.request.Request(url + path, data=data, method=method,
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req, context=ssl.create_default_context(cafile=ca), timeout=10).read().decode())
PY
}

results() {
	$py -c 'import json, sys
print(" ".join(json.loads(l)["data"]["status"] for l in open(sys.argv[1]) if json.loads(l)["event"] == "action_result"))' "$1"
}
