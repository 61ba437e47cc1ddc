#!/usr/bin/env bash
# mysql.sh benchmarks velin's mysql source against mariadb-dump | zstd -T0
# on the machine's MariaDB (127.0.0.1:3306, root without a password), in a
# database it creates and drops itself ($MY_DB, refused if it exists):
#   backup:  velin backup create | mariadb-dump --single-transaction | zstd -T0
#   change:  1% of the rows updated in 10 contiguous ranges: what the next
#            velin snapshot stores
#   restore: velin backup restore --to <new database> vs mariadb < dump.sql
# with wall time and peak RSS of each step. The report goes to stdout and
# $OUT/mysql-results.md.
#
# Environment (all optional):
#   MY_ROWS      rows of the generated table (default 3,000,000: ~1 GB dump)
#   MY_DB        the throwaway database (default velin_bench)
#   MY_ADMIN     client arguments (default "-h 127.0.0.1 -P 3306 -u root")
#   BENCH_CACHE, OUT, VELIN_BIN, KEEP=1 as for pg.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel)
CACHE=${BENCH_CACHE:-/tmp/velin-bench}
OUT=${OUT:-$CACHE/out-db}
WORK=$OUT/work-mysql
MY_ROWS=${MY_ROWS:-3000000}
MY_DB=${MY_DB:-velin_bench}
RESTORED=${MY_DB}_restored
read -r -a ADMIN <<<"${MY_ADMIN:--h 127.0.0.1 -P 3306 -u root}"
DUMP_FLAGS="--single-transaction --routines --triggers --events --hex-blob"

# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=tools.sh
source "$HERE/tools.sh"
# shellcheck source=dblib.sh
source "$HERE/dblib.sh"

declare -A T RSS SIZE CHECK

sql() { mariadb "${ADMIN[@]}" -N -B "$@"; }

# fill creates $MY_DB with one table of order-like rows: ids, dates and
# amounts, short enumerations, e-mail addresses and a JSON payload with a
# random token, so that a dump compresses about 2-3x like real data.
fill() {
	local exists step=500000 from=1 to
	exists=$(sql -e "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '$MY_DB'")
	[ "$exists" = 0 ] || die "database $MY_DB exists already; drop it or set MY_DB"
	sql -e "CREATE DATABASE \`$MY_DB\` CHARACTER SET utf8mb4"
	CREATED=1
	sql "$MY_DB" <<'SQL'
CREATE TABLE orders (
  id          BIGINT PRIMARY KEY,
  customer_id INT NOT NULL,
  email       VARCHAR(120) NOT NULL,
  status      VARCHAR(16) NOT NULL,
  amount      DECIMAL(12,2) NOT NULL,
  created_at  DATETIME(6) NOT NULL,
  payload     JSON NOT NULL,
  KEY (customer_id)
) ENGINE=InnoDB;
SQL
	log "filling $MY_DB.orders with $MY_ROWS rows"
	local t0=$SECONDS
	while [ "$from" -le "$MY_ROWS" ]; do
		to=$((from + step - 1)); [ "$to" -le "$MY_ROWS" ] || to=$MY_ROWS
		sql "$MY_DB" -e "INSERT INTO orders
SELECT seq, 1 + seq * 7919 % 250000,
  CONCAT(ELT(1 + seq % 6, 'anna', 'jonas', 'marie', 'lukas', 'sofia', 'noah'), '.', LEFT(MD5(seq * 31), 6), '@',
         ELT(1 + seq * 13 % 5, 'example.com', 'mail.example.org', 'shop.example.net', 'example.io', 'post.example.de')),
  ELT(1 + seq * 17 % 5, 'new', 'paid', 'shipped', 'delivered', 'refunded'),
  ROUND(RAND(seq) * 500, 2),
  TIMESTAMP('2024-01-01') + INTERVAL seq * 9 SECOND + INTERVAL seq * 7 % 1000000 MICROSECOND,
  JSON_OBJECT('token', CONCAT(MD5(seq), LEFT(SHA1(seq), 20)), 'items', 1 + seq % 7,
              'sku', CONCAT('SKU-', LPAD(seq * 104729 % 99991, 5, '0')),
              'ua', ELT(1 + seq % 3, 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
                        'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15',
                        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0'),
              'note', IF(seq % 4 = 0, CONCAT('deliver to door ', seq % 97, ', ring twice'), ''))
FROM seq_${from}_to_${to}"
		from=$((to + 1))
	done
	sql -e "ANALYZE TABLE \`$MY_DB\`.orders" >/dev/null
	DB_BYTES=$(sql -e "SELECT data_length + index_length FROM information_schema.tables WHERE table_schema = '$MY_DB' AND table_name = 'orders'")
	log "filled in $((SECONDS - t0)) s: $(bytes_to_mb "$DB_BYTES") MB on disk"
}

setup_velin() {
	PLAN=$WORK/mysql.hcl
	velin_plan "$PLAN" "$WORK/velin-repo" "source \"mysql\" \"bench\" {
  dsn = \"mysql://root@127.0.0.1:3306/$MY_DB\"
}" "source.mysql.bench"
	export PLAN MY_DB WORK DUMP_FLAGS ADMIN_S="${ADMIN[*]}"
}

backups() {
	log "warm-up dump"
	# shellcheck disable=SC2086
	mariadb-dump "${ADMIN[@]}" $DUMP_FLAGS "$MY_DB" >/dev/null
	measure my.dump_zstd bash -c 'set -o pipefail; mariadb-dump $ADMIN_S $DUMP_FLAGS "$MY_DB" | zstd -T0 -q > "$WORK/dump.sql.zst"'
	file_size my.dump_zstd "$WORK/dump.sql.zst"
	measure my.dump_null bash -c 'mariadb-dump $ADMIN_S $DUMP_FLAGS "$MY_DB" > /dev/null'
	measure my.velin1 "$VELIN" -f "$PLAN" backup create --backup db
	repo_size my.velin1 "$WORK/velin-repo"
}

# changed updates 1% of the rows in 10 contiguous ranges and backs up again.
changed() {
	local span=$((MY_ROWS / 10)) run=$((MY_ROWS / 1000))
	UPDATED=$(sql "$MY_DB" -e "UPDATE orders SET status = 'audited', amount = amount + 1 WHERE (id - 1) % $span < $run; SELECT ROW_COUNT()")
	log "updated $UPDATED rows"
	measure my.velin2 "$VELIN" -f "$PLAN" backup create --backup db
	repo_size my.velin2.repo "$WORK/velin-repo"
	grown my.velin2 my.velin1 my.velin2.repo
}

checksum() {
	sql "$1" -e "SELECT count(*), sum(amount), sum(crc32(payload)), sum(crc32(email)), max(created_at) FROM orders"
}

restores() {
	local id want
	# shellcheck disable=SC2086
	mariadb-dump "${ADMIN[@]}" $DUMP_FLAGS "$MY_DB" >"$WORK/dump.sql"
	file_size my.dump_plain "$WORK/dump.sql"
	want=$(checksum "$MY_DB")
	id=$(velin_latest_id "$PLAN")
	[ -n "$id" ] && [ "$id" != null ] || die "no velin snapshot id"
	export ID=$id TO="mysql://root@127.0.0.1:3306/$RESTORED"
	sql -e "DROP DATABASE IF EXISTS \`$RESTORED\`"
	measure my.restore_velin bash -c '"$VELIN" -f "$PLAN" backup restore "$ID" --source mysql.bench --to "$TO" --yes'
	CHECK[velin]=$([ "$(checksum "$RESTORED")" = "$want" ] && echo exact || echo DIFFERS)
	sql -e "DROP DATABASE \`$RESTORED\`; CREATE DATABASE \`$RESTORED\` CHARACTER SET utf8mb4"
	measure my.restore_client bash -c 'mariadb $ADMIN_S "${MY_DB}_restored" < "$WORK/dump.sql"'
	CHECK[client]=$([ "$(checksum "$RESTORED")" = "$want" ] && echo exact || echo DIFFERS)
	log "restores: velin ${CHECK[velin]}, mariadb ${CHECK[client]}"
}

cleanup() {
	[ "${KEEP:-0}" = 1 ] && return 0
	if [ "${CREATED:-0}" = 1 ]; then
		sql -e "DROP DATABASE IF EXISTS \`$MY_DB\`; DROP DATABASE IF EXISTS \`$RESTORED\`" || true
	fi
	rm -rf "$WORK"
}

report() {
	local vz rr peak
	vz=$(ratio "${T[my.velin1]}" "${T[my.dump_zstd]}")
	rr=$(ratio "${T[my.restore_velin]}" "${T[my.restore_client]}")
	peak=$(kib_to_mib "${RSS[my.velin1]}")
	echo "### MariaDB ($(date -u +%Y-%m-%dT%H:%MZ))"
	echo
	echo "One InnoDB table of $MY_ROWS order rows (JSON payload with a random token): $(bytes_to_mb "$DB_BYTES") MB on disk," \
		"plain dump $(bytes_to_mb "${SIZE[my.dump_plain]}") MB; $(sql -e 'SELECT VERSION()'), $(mariadb-dump --version | awk '{ print $1, $2, $3 }');" \
		"velin $(git -C "$ROOT" rev-parse --short HEAD)."
	machine_line
	echo
	echo "| step | wall s | peak RSS MiB | stored MB |"
	echo "|---|---:|---:|---:|"
	row "velin backup create" my.velin1
	row "mariadb-dump --single-transaction \\| zstd -T0 > file" my.dump_zstd
	row "mariadb-dump > /dev/null" my.dump_null
	row "velin backup create after $UPDATED rows (1%) updated in 10 ranges" my.velin2
	echo "| velin backup restore --to (new database) | ${T[my.restore_velin]} | $(kib_to_mib "${RSS[my.restore_velin]}") | ${CHECK[velin]} |"
	echo "| mariadb < dump.sql (empty database) | ${T[my.restore_client]} | $(kib_to_mib "${RSS[my.restore_client]}") | ${CHECK[client]} |"
	echo
	echo "Ratios: velin / (mariadb-dump | zstd -T0) backup time $vz; velin / mariadb restore time $rr;" \
		"velin peak RSS $peak MiB; stored: velin $(bytes_to_mb "${SIZE[my.velin1]}") MB vs zstd file $(bytes_to_mb "${SIZE[my.dump_zstd]}") MB."
}

main() {
	db_setup
	trap cleanup EXIT
	fill
	setup_velin
	backups
	changed
	restores
	report | tee "$OUT/mysql-results.md"
	log "results written to $OUT/mysql-results.md"
	[ "${CHECK[velin]}" = exact ] && [ "${CHECK[client]}" = exact ] || die "a restore differs from the source"
}

main "$@"
