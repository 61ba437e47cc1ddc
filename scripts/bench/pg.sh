#!/usr/bin/env bash
# pg.sh benchmarks velin's postgres source against pg_dump and restic on the
# throwaway cluster of ../shared/bench/pg-fixture.sh (127.0.0.1:55432, never
# the machine's own server), in one run:
#   backup:  velin backup create | pg_dump -Fp | zstd -T0 | pg_dump -Fc |
#            pg_dump -Fp > /dev/null | pg_dump -Fp | restic backup --stdin
#   changes: 1% of pgbench_accounts updated in contiguous ranges, then 1%
#            scattered: what the next velin and restic snapshots store
#   restore: velin backup restore --to <new database> vs psql -f dump.sql
# with wall time and peak RSS (/usr/bin/time -v) of each step. The markdown
# report goes to stdout and $OUT/pg-results.md, each step's output to
# $OUT/logs/pg.*.
#
# Environment (all optional):
#   PG_SCALE       pgbench scale (default 50, ~790 MB database)
#   PG_FILLER      fixture filler (default random: dumps compress ~2x)
#   BENCH_SHARED   the shared bench module (default MAIN/../shared/bench, MAIN
#                  being the main checkout when run from a worktree)
#   BENCH_CACHE    fixture and output directory (default /tmp/velin-bench)
#   OUT            logs and results (default $BENCH_CACHE/out-db)
#   VELIN_BIN      a velin binary instead of building ./cmd/velin
#   KEEP=1         keep repositories, dumps and the restored databases
# The pgbench database is created once and reused while its comment says it
# is pristine at this scale and filler; the benchmark runs on a clone.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel)
# a worktree's ../shared is not the main checkout's: look next to the main one
MAIN=$(dirname "$(cd "$ROOT" && cd "$(git rev-parse --git-common-dir)" && pwd)")
BENCH_SHARED=${BENCH_SHARED:-$MAIN/../shared/bench}
export BENCH_DIR=${BENCH_CACHE:-/tmp/velin-bench}
OUT=${OUT:-$BENCH_DIR/out-db}
WORK=$OUT/work-pg
export PG_SCALE=${PG_SCALE:-50} PG_FILLER=${PG_FILLER:-random}
FIX=$BENCH_SHARED/pg-fixture.sh
DB=bench
MARK="velin-bench pristine scale=$PG_SCALE filler=$PG_FILLER"

# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=tools.sh
source "$HERE/tools.sh"
# shellcheck source=dblib.sh
source "$HERE/dblib.sh"

declare -A T RSS SIZE

fixture() { bash "$FIX" "$@"; }
q() { fixture psql -Atq -v ON_ERROR_STOP=1 "$@"; }

# prepare starts the cluster, (re)creates the pristine pgbench database when
# needed and clones it as $DB.
prepare() {
	[ -f "$FIX" ] || die "no $FIX (set BENCH_SHARED)"
	fixture start
	eval "$(fixture env)"
	export PATH="$PGBIN:$PATH"
	local mark
	mark=$(q -d postgres -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'pgbench'")
	if [ "$mark" = "$MARK" ]; then
		log "reusing pristine pgbench ($MARK)"
	else
		log "creating pgbench ($MARK)"
		fixture init
		q -d postgres -c "COMMENT ON DATABASE pgbench IS '$MARK'"
	fi
	fixture clone pgbench "$DB"
	for d in restored_velin restored_psql; do q -d postgres -c "DROP DATABASE IF EXISTS $d"; done
	DSN="postgres://postgres@127.0.0.1:$PGPORT/$DB?sslmode=disable"
	DB_BYTES=$(q -d postgres -c "SELECT pg_database_size('$DB')")
	log "database $DB: $(bytes_to_mb "$DB_BYTES") MB"
}

setup_tools_pg() {
	PLAN=$WORK/pg.hcl
	velin_plan "$PLAN" "$WORK/velin-repo" "source \"postgres\" \"$DB\" {
  dsn = \"$DSN\"
}" "source.postgres.$DB"
	restic_setup "$WORK/restic-repo"
	export PLAN DB WORK
}

# backups measures every tool on the unchanged database. A first unmeasured
# dump warms the server's buffers and the page cache for everyone.
backups() {
	log "warm-up dump"
	pg_dump -Fp "$DB" >/dev/null
	measure pg.dump_null bash -c 'pg_dump -Fp "$DB" > /dev/null'
	measure pg.dump_zstd bash -c 'set -o pipefail; pg_dump -Fp "$DB" | zstd -T0 -q > "$WORK/dump.sql.zst"'
	file_size pg.dump_zstd "$WORK/dump.sql.zst"
	measure pg.dump_fc bash -c 'pg_dump -Fc -f "$WORK/dump.fc" "$DB"'
	file_size pg.dump_fc "$WORK/dump.fc"
	measure pg.restic1 bash -c 'set -o pipefail; pg_dump -Fp "$DB" | restic backup --stdin --stdin-filename db.sql'
	repo_size pg.restic1 "$WORK/restic-repo"
	measure pg.velin1 "$VELIN" -f "$PLAN" backup create --backup db
	repo_size pg.velin1 "$WORK/velin-repo"
	pg_dump -Fp -f "$WORK/dump.sql" "$DB"
	file_size pg.dump_plain "$WORK/dump.sql"
}

# changed MODE applies pg-fixture's 1% update MODE and backs up again.
changed() {
	local mode=$1 prev_r=$2 prev_v=$3
	ROWS[$mode]=$(fixture mutate "$DB" "$mode")
	measure "pg.restic_$mode" bash -c 'set -o pipefail; pg_dump -Fp "$DB" | restic backup --stdin --stdin-filename db.sql'
	repo_size "pg.restic_$mode.repo" "$WORK/restic-repo"
	grown "pg.restic_$mode" "$prev_r" "pg.restic_$mode.repo"
	measure "pg.velin_$mode" "$VELIN" -f "$PLAN" backup create --backup db
	repo_size "pg.velin_$mode.repo" "$WORK/velin-repo"
	grown "pg.velin_$mode" "$prev_v" "pg.velin_$mode.repo"
}

# checksum DB prints a digest of pgbench_accounts and the row counts.
checksum() {
	q -d "$1" -c "SELECT (SELECT count(*) FROM pgbench_accounts), (SELECT sum(abalance) FROM pgbench_accounts),
		(SELECT sum(hashtext(filler)::bigint) FROM pgbench_accounts), (SELECT count(*) FROM pgbench_branches),
		(SELECT count(*) FROM pgbench_tellers), (SELECT count(*) FROM pgbench_history)"
}

# restores replays the latest state with velin (into a new database) and
# with psql from a plain dump of the same state, and checks both.
restores() {
	local id want
	pg_dump -Fp -f "$WORK/dump.sql" "$DB"
	file_size pg.dump_plain_last "$WORK/dump.sql"
	want=$(checksum "$DB")
	id=$(velin_latest_id "$PLAN")
	[ -n "$id" ] && [ "$id" != null ] || die "no velin snapshot id"
	# velin does not create a missing --to database yet (issue 8 asks it to):
	# both restores get an empty database made outside the measurement.
	createdb restored_velin
	export ID=$id TO="postgres://postgres@127.0.0.1:$PGPORT/restored_velin?sslmode=disable"
	measure pg.restore_velin bash -c '"$VELIN" -f "$PLAN" backup restore "$ID" --source "postgres.$DB" --to "$TO" --yes'
	createdb restored_psql
	measure pg.restore_psql psql -X -q -v ON_ERROR_STOP=1 -d restored_psql -f "$WORK/dump.sql"
	for d in restored_velin restored_psql; do
		if [ "$(checksum "$d")" = "$want" ]; then CHECK[$d]=exact; else CHECK[$d]="DIFFERS"; fi
		log "$d: ${CHECK[$d]}"
	done
}

cleanup() {
	[ "${KEEP:-0}" = 1 ] && return 0
	for d in restored_velin restored_psql "$DB"; do q -d postgres -c "DROP DATABASE IF EXISTS $d" || true; done
	rm -rf "$WORK"
}

report() {
	local vz rv sc ss rr peak
	vz=$(ratio "${T[pg.velin1]}" "${T[pg.dump_zstd]}")
	rv=$(ratio "${T[pg.restic1]}" "${T[pg.velin1]}")
	rr=$(ratio "${T[pg.restore_velin]}" "${T[pg.restore_psql]}")
	sc=$(bytes_to_mb "${SIZE[pg.velin_cluster]}")
	ss=$(bytes_to_mb "${SIZE[pg.velin_scatter]}")
	peak=$(kib_to_mib "${RSS[pg.velin1]}")
	echo "### PostgreSQL ($(date -u +%Y-%m-%dT%H:%MZ))"
	echo
	echo "pgbench scale $PG_SCALE, filler $PG_FILLER: database $(bytes_to_mb "$DB_BYTES") MB, plain dump $(bytes_to_mb "${SIZE[pg.dump_plain]}") MB;" \
		"$(pg_dump --version); $(restic version | head -n1); velin $(git -C "$ROOT" rev-parse --short HEAD)."
	machine_line
	echo
	echo "| backup of the unchanged database | wall s | peak RSS MiB | stored MB |"
	echo "|---|---:|---:|---:|"
	row "velin backup create" pg.velin1
	row "pg_dump -Fp \\| zstd -T0 > file" pg.dump_zstd
	row "pg_dump -Fc > file" pg.dump_fc
	row "pg_dump -Fp > /dev/null" pg.dump_null
	row "pg_dump -Fp \\| restic backup --stdin" pg.restic1
	echo
	echo "| after 1% of rows updated | rows | velin s | velin stored MB | restic s | restic stored MB |"
	echo "|---|---:|---:|---:|---:|---:|"
	for m in cluster scatter; do
		echo "| $m | ${ROWS[$m]} | ${T[pg.velin_$m]} | $(bytes_to_mb "${SIZE[pg.velin_$m]}") | ${T[pg.restic_$m]} | $(bytes_to_mb "${SIZE[pg.restic_$m]}") |"
	done
	echo
	echo "| restore of the latest state into a new database | wall s | peak RSS MiB | check |"
	echo "|---|---:|---:|---|"
	echo "| velin backup restore --to | ${T[pg.restore_velin]} | $(kib_to_mib "${RSS[pg.restore_velin]}") | ${CHECK[restored_velin]} |"
	echo "| psql -f dump.sql | ${T[pg.restore_psql]} | $(kib_to_mib "${RSS[pg.restore_psql]}") | ${CHECK[restored_psql]} |"
	echo
	echo "| target | measured | verdict |"
	echo "|---|---:|---|"
	echo "| velin / (pg_dump \\| zstd -T0) time <= 1.1 | $vz | $(verdict "$vz" 1.1) |"
	echo "| restic / velin time >= 2 | $rv | $(awk -v r="$rv" 'BEGIN { print (r >= 2 ? "met" : "missed") }') |"
	echo "| velin peak RSS < 200 MiB | $peak | $(verdict "$peak" 199.99) |"
	echo "| second snapshot after 1% clustered updates <= 15 MB | $sc | $(verdict "$sc" 15) |"
	echo "| after 1% scattered updates <= restic | $ss vs $(bytes_to_mb "${SIZE[pg.restic_scatter]}") | $(verdict "${SIZE[pg.velin_scatter]}" "${SIZE[pg.restic_scatter]}") |"
	echo "| velin restore / psql time <= 1.1 | $rr | $(verdict "$rr" 1.1) |"
	echo
	echo "Stored MB: the repository's growth (\`du -sb\`), or the file's size. Peak RSS is the largest process"
	echo "of the step (velin's includes its pg_dump child, restic's line includes pg_dump). Each step starts after a \`sync\`."
}

main() {
	declare -gA ROWS CHECK
	db_setup
	prepare
	setup_tools_pg
	backups
	changed cluster pg.restic1 pg.velin1
	changed scatter pg.restic_cluster.repo pg.velin_cluster.repo
	restores
	report | tee "$OUT/pg-results.md"
	log "results written to $OUT/pg-results.md"
	cleanup
	for d in restored_velin restored_psql; do
		[ "${CHECK[$d]}" = exact ] || die "$d differs from the source"
	done
}

main "$@"
