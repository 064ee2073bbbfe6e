# kafka_lib.sh - bash functions for script tests that need a Kafka peer:
# the librdkafka mock cluster (tests/support/kafka_mock.c) run as its own
# process on loopback, driven through a fifo, plus kcat helpers.
# Source it, set KAFKA_MOCK to the kafka_mock binary (the tests' build
# folder), then:
#
#   kafka_start capture:6 ground_truth:2   # exports KAFKA_BOOTSTRAP
#   kafka_cmd "broker_down 2"              # prints the reply; 0 when "ok"
#   kafka_produce capture records.jsonl    # each line "key:value"
#   kafka_produce capture records.jsonl ep # each line a value, key "ep"
#   kafka_consume_count capture            # records now in the topic
#   kafka_stop                             # also run by the EXIT trap
#
# The 2.0 mock keeps only a few MB per partition and drops older messages
# (see docs/kafka-testing.md): in a large test produce and consume at the
# same time and compare counts.

KAFKA_MOCK=${KAFKA_MOCK:-}
KAFKA_BOOTSTRAP=
KAFKA_DIR=
KAFKA_PID=
KAFKA_FD=
KAFKA_TIMEOUT=${KAFKA_TIMEOUT:-15} # seconds to wait for a reply

# kafka_have_tools: 0 when kcat and the mock binary are usable.
kafka_have_tools() {
	command -v kcat >/dev/null 2>&1 && [ -x "$KAFKA_MOCK" ]
}

# kafka_start [NAME:PARTITIONS]... : starts the mock with 3 brokers (or
# KAFKA_BROKERS) and these topics; waits for its bootstrap line.
kafka_start() {
	local args=() t i line
	[ -x "$KAFKA_MOCK" ] || { echo "kafka_start: no mock at '$KAFKA_MOCK'" >&2; return 1; }
	[ -z "$KAFKA_PID" ] || { echo "kafka_start: already running" >&2; return 1; }
	for t in "$@"; do
		args+=(--topic "$t")
	done
	KAFKA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kafka_mock.XXXXXX") || return 1
	mkfifo "$KAFKA_DIR/cmd" || return 1
	"$KAFKA_MOCK" --brokers "${KAFKA_BROKERS:-3}" "${args[@]}" \
		<"$KAFKA_DIR/cmd" >"$KAFKA_DIR/out" 2>"$KAFKA_DIR/err" &
	KAFKA_PID=$!
	# Opening the fifo for writing meets the mock's read end; our fd keeps
	# it open so the mock sees EOF only when kafka_stop closes it.
	exec {KAFKA_FD}>"$KAFKA_DIR/cmd"
	kafka_trap_exit
	for ((i = 0; i < KAFKA_TIMEOUT * 10; i++)); do
		line=$(head -n 1 "$KAFKA_DIR/out" 2>/dev/null)
		case $line in
		bootstrap=*)
			KAFKA_BOOTSTRAP=${line#bootstrap=}
			export KAFKA_BOOTSTRAP
			return 0
			;;
		esac
		kill -0 "$KAFKA_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "kafka_start: the mock printed no bootstrap line" >&2
	sed 's/^/  mock: /' "$KAFKA_DIR/err" >&2
	kafka_stop
	return 1
}

# kafka_trap_exit: runs kafka_stop on EXIT, before any EXIT trap the
# script had already set.
kafka_trap_exit() {
	local old
	old=$(trap -p EXIT)
	old=${old#"trap -- '"}
	old=${old%"' EXIT"}
	case $old in
	*kafka_stop*) ;;
	*) trap "kafka_stop; ${old:-:}" EXIT ;;
	esac
}

# kafka_cmd "COMMAND ARGS": sends one command, prints the mock's reply,
# returns 0 when it is "ok".
kafka_cmd() {
	local before i reply
	[ -n "$KAFKA_FD" ] || { echo "kafka_cmd: mock not running" >&2; return 1; }
	before=$(wc -l <"$KAFKA_DIR/out")
	echo "$*" >&"$KAFKA_FD" || return 1
	for ((i = 0; i < KAFKA_TIMEOUT * 100; i++)); do
		if [ "$(wc -l <"$KAFKA_DIR/out")" -gt "$before" ]; then
			reply=$(tail -n 1 "$KAFKA_DIR/out")
			echo "$reply"
			[ "$reply" = ok ]
			return
		fi
		sleep 0.01
	done
	echo "kafka_cmd: no reply to '$*'" >&2
	return 1
}

# kafka_produce TOPIC FILE [KEY]: one record per line of FILE. Without KEY
# each line is "key:value" (split at the first ':'); with KEY every record
# gets that key. Lines up to 1 MB (kcat's and the broker's default cap);
# waits until every record is acknowledged. (kcat sends a file named on its
# command line as one message, so the lines go through stdin.)
kafka_produce() {
	local topic=$1 file=$2 keyopt=(-K:)
	[ $# -ge 3 ] && keyopt=(-k "$3")
	kcat -P -q -b "$KAFKA_BOOTSTRAP" -t "$topic" "${keyopt[@]}" \
		-X linger.ms=5 -X message.timeout.ms=60000 <"$file"
}

# kafka_consume TOPIC OUT [FORMAT]: every record now in TOPIC (from the
# beginning, no group) into OUT, formatted by kcat -f (default
# "%k %p %o %s\n"); stops at the end of every partition.
kafka_consume() {
	timeout "$((KAFKA_TIMEOUT * 4))" kcat -C -q -b "$KAFKA_BOOTSTRAP" -t "$1" \
		-o beginning -e -f "${3:-%k %p %o %s\\n}" >"$2"
}

# kafka_consume_count TOPIC: prints how many records TOPIC holds now.
kafka_consume_count() {
	timeout "$((KAFKA_TIMEOUT * 4))" kcat -C -q -b "$KAFKA_BOOTSTRAP" -t "$1" \
		-o beginning -e -f 'x\n' | wc -l
}

# kafka_group_consume GROUP TOPIC COUNT OUT [SECONDS]: a kcat consumer in
# group GROUP reads COUNT records (from the group's committed offsets, or
# the beginning) into OUT as "%k %p %o %s", commits and leaves. Fails when
# COUNT records do not arrive within SECONDS (default 30). A short session
# timeout: the mock waits for a departed member's session to end before a
# new join completes. -E: injected errors are logged, not fatal.
kafka_group_consume() {
	timeout "${5:-30}" kcat -q -b "$KAFKA_BOOTSTRAP" -G "$1" "$2" -c "$3" \
		-E -X auto.offset.reset=earliest -X session.timeout.ms=6000 \
		-X heartbeat.interval.ms=500 -f '%k %p %o %s\n' >"$4"
}

# kafka_stop: closes the command fifo (the mock exits on EOF), waits for
# it, falls back to SIGTERM and SIGKILL; removes the temp folder.
kafka_stop() {
	local i
	if [ -n "$KAFKA_FD" ]; then
		exec {KAFKA_FD}>&-
		KAFKA_FD=
	fi
	if [ -n "$KAFKA_PID" ]; then
		for ((i = 0; i < 100; i++)); do
			kill -0 "$KAFKA_PID" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$KAFKA_PID" 2>/dev/null; then
			kill -TERM "$KAFKA_PID" 2>/dev/null
			sleep 1
			kill -KILL "$KAFKA_PID" 2>/dev/null
		fi
		wait "$KAFKA_PID" 2>/dev/null
		KAFKA_PID=
	fi
	[ -n "$KAFKA_DIR" ] && rm -rf "$KAFKA_DIR"
	KAFKA_DIR=
	KAFKA_BOOTSTRAP=
}
