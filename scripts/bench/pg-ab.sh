#!/usr/bin/env bash
# pg-ab.sh ROUNDS DB VELIN_A VELIN_B: backups of one database of the
# pg-fixture.sh cluster, alternating velin A, velin B and
# `pg_dump -Fp | zstd -T0`, each after a `sync`, velin into a fresh
# repository. One line per step: wall seconds, CPU seconds (user + system
# of the step and its children: pg_dump included, the server not), peak
# RSS and the 1-minute load average before the step. For the shared
# 2-core machine, where only ratios within a round mean anything.
set -euo pipefail
ROUNDS=$1 DB=$2 A=$3 B=$4
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAIN=$(dirname "$(cd "$HERE" && cd "$(git rev-parse --git-common-dir)" && pwd)")
FIX=${BENCH_SHARED:-$MAIN/../shared/bench}/pg-fixture.sh
eval "$(bash "$FIX" env)"
export PATH="$PGBIN:$PATH" VELIN_PASSPHRASE=velin-bench-passphrase
W=$(mktemp -d /tmp/velin-pg-ab.XXXXXX)
trap 'rm -rf "$W"' EXIT
cat >"$W/plan.hcl" <<HCL
target "local" "bench" {
  path       = "$W/repo"
  passphrase = env("VELIN_PASSPHRASE")
}
source "postgres" "$DB" {
  dsn = "postgres://postgres@127.0.0.1:$PGPORT/$DB?sslmode=disable"
}
backup "db" {
  sources  = [source.postgres.$DB]
  target   = target.local.bench
  strategy = "incremental"
}
HCL
step() {
	local name=$1 load
	shift
	rm -rf "$W/repo" "$W/dump.zst"
	sync
	load=$(cut -d' ' -f1 /proc/loadavg)
	/usr/bin/time -f "%e %U %S %M" -o "$W/t" "$@" >"$W/log" 2>&1 || { cat "$W/log" >&2; exit 1; }
	read -r wall user sys rss <"$W/t"
	local stored
	stored=$({ du -sb "$W/repo" "$W/dump.zst" 2>/dev/null || true; } | awk '{s += $1} END {printf "%.1f", s / 1e6}')
	printf '%s\t%s\twall %s\tcpu %.2f\trss %d MiB\tstored %s MB\tload %s\n' "$round" "$name" "$wall" \
		"$(echo "$user + $sys" | bc)" "$((rss / 1024))" "$stored" "$load"
}
pg_dump -Fp "$DB" >/dev/null # warm the server's buffers and the page cache
for round in $(seq "$ROUNDS"); do
	step A "$A" -f "$W/plan.hcl" backup create --backup db
	step B "$B" -f "$W/plan.hcl" backup create --backup db
	step pipe bash -c "set -o pipefail; pg_dump -Fp $DB | zstd -T0 -q > $W/dump.zst"
done
