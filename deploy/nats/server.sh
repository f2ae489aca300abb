#!/usr/bin/env bash
# server.sh runs a standalone nats-server with JetStream on loopback for
# aitdr's integration suites and CI. The binary comes from `make nats-server`
# (built from the nats-server module pinned in go.mod).
#
#   server.sh start     start it in the background and wait until it is ready
#   server.sh stop      stop it and wait for it to exit
#   server.sh status    say whether it runs (exit 0) or not (exit 3)
#   server.sh reset     stop it and delete its JetStream data
#   server.sh log [N]   print the last N (default 50) lines of its log
#
# Environment (defaults in brackets; relative paths are taken from the
# current directory):
#   NATS_SERVER_BIN      the binary [REPO/.cache/bin/nats-server]
#   NATS_DATA_DIR        JetStream store directory [REPO/.cache/nats/data]
#   NATS_RUN_DIR         pid file and log file [REPO/.cache/nats/run]
#   NATS_PORT            client port on 127.0.0.1 [4222]
#   NATS_START_TIMEOUT   seconds to wait for readiness [30]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$PWD/$1" ;;
	esac
}

bin=$(abspath "${NATS_SERVER_BIN:-$repo/.cache/bin/nats-server}")
data=$(abspath "${NATS_DATA_DIR:-$repo/.cache/nats/data}")
run=$(abspath "${NATS_RUN_DIR:-$repo/.cache/nats/run}")
port=${NATS_PORT:-4222}
start_timeout=${NATS_START_TIMEOUT:-30}

pidfile=$run/nats-server.pid
logfile=$run/nats-server.log

say() { printf 'nats: %s\n' "$*"; }
die() {
	printf 'nats: error: %s\n' "$*" >&2
	exit 1
}

# running_pid prints the pid of the server this script started, if it runs.
running_pid() {
	[[ -f $pidfile ]] || return 1
	local pid
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/cmdline ]] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'nats-server' || return 1
	printf '%s\n' "$pid"
}

# nats_answers succeeds when a NATS server greets on 127.0.0.1:PORT with INFO.
nats_answers() {
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
	IFS= read -r -t 2 line <&3 || line=
	exec 3<&- 3>&-
	[[ $line == INFO* ]]
}

port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
	[[ -x $bin ]] || die "nats-server not found at $bin: run make nats-server (builds it with go)"
	local pid
	if pid=$(running_pid); then
		say "already running (pid $pid); log: $logfile"
		nats_answers 2>/dev/null || die "pid $pid runs but nothing answers on 127.0.0.1:$port: run '$0 stop' first or set NATS_RUN_DIR"
		return 0
	fi
	if port_open "$port"; then
		die "127.0.0.1:$port is already in use by another process (not a server started by this script): stop it or set NATS_PORT"
	fi
	mkdir -p "$run" "$data"
	local t0=$SECONDS
	: >"$logfile"
	nohup "$bin" -js -a 127.0.0.1 -p "$port" -sd "$data" -n aitdr-test \
		>>"$logfile" 2>&1 </dev/null &
	pid=$!
	printf '%s\n' "$pid" >"$pidfile"
	say "started pid $pid; log: $logfile"
	local deadline=$((SECONDS + start_timeout))
	until grep -q 'Server is ready' "$logfile" && nats_answers 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$pidfile"
			tail -n 30 "$logfile" >&2 || true
			die "nats-server exited during start-up (log above)"
		fi
		if ((SECONDS >= deadline)); then
			tail -n 30 "$logfile" >&2 || true
			die "nats-server was not ready on 127.0.0.1:$port within ${start_timeout}s (log above; still running as pid $pid: run '$0 stop')"
		fi
		sleep 0.2
	done
	grep -q 'Starting JetStream' "$logfile" || die "nats-server started without JetStream (log: $logfile)"
	say "ready on nats://127.0.0.1:$port with JetStream in $data after $((SECONDS - t0))s (pid $pid)"
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
	local deadline=$((SECONDS + 30))
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			say "pid $pid still running after 30s: killing it"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	rm -f "$pidfile"
	say "stopped"
}

status() {
	local pid
	if pid=$(running_pid); then
		say "running (pid $pid) on nats://127.0.0.1:$port; data: $data; log: $logfile"
		return 0
	fi
	say "not running"
	return 3
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
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
