#!/usr/bin/env bash
# Starts the services velin's tests need, when they are down. Each test suite
# that needs a service lists it in VELIN_SERVICES (space separated); with
# CI=true a service that cannot be started is a failure, never a skip.
#
# Today's suites (files, SQLite, local repositories) need none; PostgreSQL,
# MariaDB, Redis and MinIO are added here as their providers land.
set -euo pipefail
services="${VELIN_SERVICES:-}"
for s in $services; do
	case "$s" in
	*)
		echo "services: unknown service $s" >&2
		exit 1
		;;
	esac
done
echo "services: none needed"
