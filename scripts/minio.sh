#!/usr/bin/env bash
# MinIO, the S3 server of velin's tests (issue 9 §5).
#
#   bash scripts/minio.sh install   build the pinned MinIO once into the cache
#   bash scripts/minio.sh start     run it on 127.0.0.1 (free port, temporary
#                                   data directory, random root credentials)
#   bash scripts/minio.sh status    exit 0 when the started server is ready
#   bash scripts/minio.sh stop      stop it and remove its data
#
# start writes an env file (mode 0600) that tests read: its path is
# VELIN_TEST_S3, by default ${XDG_CACHE_HOME:-$HOME/.cache}/velin/minio-run/env,
# with the lines VELIN_S3_ENDPOINT, VELIN_S3_ACCESS_KEY, VELIN_S3_SECRET_KEY,
# VELIN_S3_PID and VELIN_S3_DATA. The credentials never appear on a command
# line: MinIO reads them from its environment.
set -euo pipefail

version=v0.0.0-20260212201848-7aac2a2c5b7c
cache="${XDG_CACHE_HOME:-$HOME/.cache}/velin"
bindir="$cache/minio-$version"
bin="$bindir/minio"
envfile="${VELIN_TEST_S3:-$cache/minio-run/env}"
rundir="$(dirname "$envfile")"

die() { echo "minio: $*" >&2; exit 1; }

install() {
	if [ -x "$bin" ]; then
		echo "minio: $bin is installed"
		return
	fi
	echo "minio: building github.com/minio/minio@$version (once; cached in $bindir)"
	mkdir -p "$bindir"
	GOBIN="$bindir" GOFLAGS="${GOFLAGS:-} -buildvcs=false" go install "github.com/minio/minio@$version"
	[ -x "$bin" ] || die "go install did not produce $bin"
}

# value KEY: the value of KEY in the env file.
value() { sed -n "s/^$1=//p" "$envfile" 2>/dev/null || true; }

ready() {
	local endpoint
	endpoint=$(value VELIN_S3_ENDPOINT)
	[ -n "$endpoint" ] && curl -fsS -o /dev/null --max-time 2 "$endpoint/minio/health/ready" 2>/dev/null
}

# free_port: a port on 127.0.0.1 nobody listens on.
free_port() {
	local port
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 40000))
		if ! ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			echo "$port"
			return
		fi
	done
	die "no free port found"
}

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

start() {
	[ -x "$bin" ] || die "$bin is missing; run: bash scripts/minio.sh install"
	if ready; then
		echo "minio: already running at $(value VELIN_S3_ENDPOINT) (env file $envfile)"
		return
	fi
	stop >/dev/null 2>&1 || true
	mkdir -p "$rundir"
	chmod 700 "$rundir"
	local data port user pass pid
	data=$(mktemp -d "${TMPDIR:-/tmp}/velin-minio.XXXXXX")
	port=$(free_port)
	user="velin$(random_hex 6)"
	pass=$(random_hex 20)
	# The credentials reach MinIO through its environment only.
	MINIO_ROOT_USER="$user" MINIO_ROOT_PASSWORD="$pass" MINIO_BROWSER=off \
		MINIO_UPDATE=off MINIO_CI_CD=1 \
		setsid "$bin" server --quiet --address "127.0.0.1:$port" "$data" \
		>"$rundir/minio.log" 2>&1 </dev/null &
	pid=$!
	(
		umask 077
		cat >"$envfile.tmp" <<EOF
VELIN_S3_ENDPOINT=http://127.0.0.1:$port
VELIN_S3_ACCESS_KEY=$user
VELIN_S3_SECRET_KEY=$pass
VELIN_S3_PID=$pid
VELIN_S3_DATA=$data
EOF
	)
	mv "$envfile.tmp" "$envfile"
	for _ in $(seq 1 60); do
		if ready; then
			echo "minio: ready at http://127.0.0.1:$port (env file $envfile)"
			return
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	tail -5 "$rundir/minio.log" >&2 || true
	stop >/dev/null 2>&1 || true
	die "MinIO did not become ready (log $rundir/minio.log)"
}

stop() {
	[ -f "$envfile" ] || { echo "minio: not started (no $envfile)"; return 0; }
	local pid data
	pid=$(value VELIN_S3_PID)
	data=$(value VELIN_S3_DATA)
	if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = minio ]; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	case "$data" in
	*/velin-minio.*) rm -rf "$data" ;;
	esac
	rm -f "$envfile"
	echo "minio: stopped"
}

case "${1:-}" in
install) install ;;
start) start ;;
status) ready ;;
stop) stop ;;
*) die "usage: bash scripts/minio.sh install|start|status|stop" ;;
esac
