#!/usr/bin/env bash
# Starts the services velin's tests need when they are down: PostgreSQL,
# MariaDB and Redis on 127.0.0.1 (the development machine's own servers) and
# MinIO (scripts/minio.sh: built once into the cache, stopped by its `stop`).
# VELIN_SERVICES (space separated) overrides the list. With CI=true a
# service that cannot be started is a failure, never a skip; without it,
# the tests that need a missing service skip with a message saying how to
# start it.
set -uo pipefail
services="${VELIN_SERVICES:-postgres mysql redis minio}"
ci="${CI:-}"

postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
mysql_up() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1 || mysqladmin --protocol=tcp -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1; }
minio_up() { bash "$(dirname "$0")/minio.sh" status; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

start_postgres() {
	if command -v pg_ctlcluster >/dev/null; then
		for c in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do pg_ctlcluster "${c%/*}" "${c#*/}" start 2>/dev/null || true; done
	fi
	postgres_up || service postgresql start >/dev/null 2>&1 || true
}
# MariaDB: the service wrapper where there is one, else the daemon itself
# in the background (a container without an init system).
start_mysql() {
	service mariadb start >/dev/null 2>&1 || service mysql start >/dev/null 2>&1 || true
	mysql_up && return 0
	local d
	for d in /usr/sbin/mariadbd /usr/sbin/mysqld; do
		[ -x "$d" ] || continue
		mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
		start-stop-daemon --start --oknodo --background --exec "$d" >/dev/null 2>&1 || true
		return 0
	done
}
# Redis keeps nothing on disk for the tests.
start_redis() {
	service redis-server start >/dev/null 2>&1 || true
	redis_up && return 0
	command -v redis-server >/dev/null || return 0
	redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
		--dir "${TMPDIR:-/tmp}" >/dev/null 2>&1 || true
}

start_minio() { bash "$(dirname "$0")/minio.sh" install && bash "$(dirname "$0")/minio.sh" start; }

# ensure NAME: start the service if it is down and wait up to 30 s for it.
ensure() {
	local name=$1
	if "${name}_up"; then echo "services: $name is up"; return 0; fi
	echo "services: $name is down, starting it"
	"start_$name"
	for _ in $(seq 1 30); do
		if "${name}_up"; then echo "services: $name started"; return 0; fi
		sleep 1
	done
	echo "services: $name could not be started" >&2
	return 1
}

failed=0
for s in $services; do
	case "$s" in
	postgres | mysql | redis | minio) ensure "$s" || failed=1 ;;
	*)
		echo "services: unknown service $s" >&2
		exit 1
		;;
	esac
done
if [ "$failed" = 1 ]; then
	if [ "$ci" = true ]; then
		echo "services: CI=true: a missing service is a failure" >&2
		exit 1
	fi
	echo "services: tests that need a missing service will be skipped (CI=true makes that a failure)" >&2
fi
exit 0
