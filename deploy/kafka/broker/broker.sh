#!/usr/bin/env bash
# broker.sh runs the single-node Apache Kafka 4.4 broker (KRaft, combined
# broker and controller, loopback only) that aitdr's integration suites,
# benchmarks and CI use. The jars come from `make kafka` (Maven, pom.xml beside
# this script); the broker runs in the background with a pid file and a log.
#
#   broker.sh start        format the storage if needed, start, wait until ready
#   broker.sh stop         stop the broker and wait for it to exit
#   broker.sh status       say whether it runs (exit 0) or not (exit 3)
#   broker.sh topics ARGS  run kafka-topics against it (e.g. --list)
#   broker.sh reset        stop it and delete its data
#   broker.sh log [N]      print the last N (default 50) lines of its log
#
# Environment (defaults in brackets; relative paths are taken from the
# current directory):
#   KAFKA_LIBS_DIR         the jars [REPO/.cache/kafka/libs]
#   KAFKA_DATA_DIR         the log directory [REPO/.cache/kafka/data]
#   KAFKA_RUN_DIR          pid file, log file, rendered config [REPO/.cache/kafka/run]
#   KAFKA_PORT             client listener on 127.0.0.1 [9092]
#   KAFKA_CONTROLLER_PORT  KRaft controller listener on 127.0.0.1 [9093]
#   KAFKA_HEAP_OPTS        JVM heap [-Xmx512m -Xms256m]
#   KAFKA_START_TIMEOUT    seconds to wait for readiness [120]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)

abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$PWD/$1" ;;
	esac
}

libs=$(abspath "${KAFKA_LIBS_DIR:-$repo/.cache/kafka/libs}")
data=$(abspath "${KAFKA_DATA_DIR:-$repo/.cache/kafka/data}")
run=$(abspath "${KAFKA_RUN_DIR:-$repo/.cache/kafka/run}")
port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-9093}
heap=${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}
start_timeout=${KAFKA_START_TIMEOUT:-120}

pidfile=$run/broker.pid
logfile=$run/broker.log
config=$run/server.properties
stamp=$data/aitdr-formatted-for

say() { printf 'kafka: %s\n' "$*"; }
die() {
	printf 'kafka: error: %s\n' "$*" >&2
	exit 1
}

need_java() {
	command -v java >/dev/null 2>&1 ||
		die "java not found: the real Kafka broker needs a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless); it is needed only for the real-broker suites"
	local v
	v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
	if [[ -n $v && $v -lt 17 ]]; then
		die "java $v found, Kafka 4.4 needs Java 17 or newer"
	fi
}

need_jars() {
	compgen -G "$libs/kafka_2.13-*.jar" >/dev/null ||
		die "Kafka jars not found in $libs: run make kafka (needs mvn)"
	compgen -G "$libs/kafka-tools-[0-9]*.jar" >/dev/null ||
		die "kafka-tools jar not found in $libs: run make kafka again (needs mvn)"
}

# port_open PORT succeeds when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# running_pid prints the pid of the broker this script started, if it runs.
running_pid() {
	[[ -f $pidfile ]] || return 1
	local pid
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/cmdline ]] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
	printf '%s\n' "$pid"
}

java_tool() {
	# Tools log only errors (Log4j's default configuration), so their output stays readable.
	java -Xmx256m -cp "$libs/*" "$@"
}

topics() {
	need_java
	need_jars
	java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" "$@"
}

render_config() {
	mkdir -p "$run" "$data"
	sed -e "s|@PORT@|$port|g" \
		-e "s|@CONTROLLER_PORT@|$controller_port|g" \
		-e "s|@DATA_DIR@|$data|g" \
		"$here/server.properties" >"$config"
}

format_storage() {
	local want="ports $port $controller_port"
	if [[ -f $data/meta.properties ]]; then
		if [[ -f $stamp && $(<"$stamp") != "$want" ]]; then
			die "the data in $data was formatted for $(<"$stamp"), not $want: run '$0 reset' (deletes it) or set KAFKA_DATA_DIR"
		fi
		return 0
	fi
	if [[ -n $(ls -A "$data" 2>/dev/null) ]]; then
		die "$data is not empty but has no meta.properties: remove it or run '$0 reset'"
	fi
	# A cluster id is 16 random bytes in URL-safe base64 without padding.
	local id
	id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
	say "formatting storage in $data (cluster id $id)"
	if ! java_tool kafka.tools.StorageTool format --standalone -t "$id" -c "$config" >"$run/format.log" 2>&1; then
		cat "$run/format.log" >&2
		die "formatting the storage failed (output above, also in $run/format.log)"
	fi
	printf '%s\n' "$want" >"$stamp"
}

start() {
	need_java
	need_jars
	local pid
	if pid=$(running_pid); then
		local running_port
		running_port=$(sed -n 's|^listeners=PLAINTEXT://127.0.0.1:\([0-9]*\).*|\1|p' "$config" 2>/dev/null)
		if [[ $running_port != "$port" ]]; then
			die "a broker from $run already runs (pid $pid) on port ${running_port:-unknown}, not $port: run '$0 stop' first or set KAFKA_RUN_DIR"
		fi
		say "already running (pid $pid) on 127.0.0.1:$port; log: $logfile"
		wait_ready "$pid"
		return 0
	fi
	for p in "$port" "$controller_port"; do
		if port_open "$p"; then
			die "127.0.0.1:$p is already in use by another process (not a broker started by this script): stop it or set KAFKA_PORT/KAFKA_CONTROLLER_PORT"
		fi
	done
	render_config
	format_storage

	local t0=$SECONDS
	: >"$logfile"
	# shellcheck disable=SC2086 # heap holds several JVM options on purpose.
	nohup java $heap -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
		-XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
		-Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$here/log4j2.properties" \
		-cp "$libs/*" kafka.Kafka "$config" >>"$logfile" 2>&1 </dev/null &
	pid=$!
	printf '%s\n' "$pid" >"$pidfile"
	say "started pid $pid; log: $logfile"
	wait_ready "$pid"
	say "ready on 127.0.0.1:$port after $((SECONDS - t0))s (pid $pid)"
}

# wait_ready PID waits until the broker listens, has logged its start and
# answers a metadata request (kafka-topics --list).
wait_ready() {
	local pid=$1 deadline=$((SECONDS + start_timeout))
	while :; do
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$pidfile"
			printf -- '--- last lines of %s ---\n' "$logfile" >&2
			tail -n 40 "$logfile" >&2 || true
			die "the broker exited during start-up (log above)"
		fi
		if port_open "$port" && grep -q 'Kafka Server started' "$logfile"; then
			break
		fi
		if ((SECONDS >= deadline)); then
			tail -n 40 "$logfile" >&2 || true
			die "the broker did not listen on 127.0.0.1:$port within ${start_timeout}s (log above; still running as pid $pid: run '$0 stop')"
		fi
		sleep 0.5
	done
	local out
	if ! out=$(timeout 60 java -Xmx256m -cp "$libs/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" --list 2>&1); then
		printf '%s\n' "$out" >&2
		die "the broker listens on 127.0.0.1:$port but did not answer a metadata request (kafka-topics --list, output above); log: $logfile"
	fi
}

stop() {
	local pid
	if ! pid=$(running_pid); then
		rm -f "$pidfile"
		say "not running"
		return 0
	fi
	say "stopping pid $pid"
	kill -TERM "$pid" 2>/dev/null || true
	local deadline=$((SECONDS + 60))
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			say "pid $pid still running after 60s: killing it"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	rm -f "$pidfile"
	say "stopped"
}

status() {
	local pid
	if pid=$(running_pid); then
		say "running (pid $pid) on 127.0.0.1:$port; data: $data; log: $logfile"
		return 0
	fi
	say "not running"
	return 3
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
topics)
	shift
	topics "$@"
	;;
reset)
	stop
	rm -rf "$data"
	say "deleted $data"
	;;
log) tail -n "${2:-50}" "$logfile" ;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
	[[ ${1:-} == -h || ${1:-} == --help || ${1:-} == help ]] || exit 2
	;;
esac
