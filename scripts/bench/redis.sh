#!/usr/bin/env bash
# redis.sh benchmarks velin's redis source against redis-cli --rdb on the
# machine's Redis (127.0.0.1:6379): 1 million keys of realistic values are
# written to a spare database number, backed up by velin and by
# `redis-cli --rdb file` (+ zstd -T0), then restored by velin into a second
# spare number. Spare numbers are claimed like providers/dbtest does (keys
# velin:test:claim:<n> in db 0, SET NX with a TTL) and must be empty; only
# the numbers this script claimed and filled are flushed. The report goes to
# stdout and $OUT/redis-results.md.
#
# Environment (all optional):
#   REDIS_KEYS   keys to write (default 1000000)
#   REDIS_HOST, REDIS_PORT (default 127.0.0.1, 6379)
#   BENCH_CACHE, OUT, VELIN_BIN as for pg.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel)
CACHE=${BENCH_CACHE:-/tmp/velin-bench}
OUT=${OUT:-$CACHE/out-db}
WORK=$OUT/work-redis
REDIS_KEYS=${REDIS_KEYS:-1000000}
export REDIS_HOST=${REDIS_HOST:-127.0.0.1} REDIS_PORT=${REDIS_PORT:-6379}

# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=tools.sh
source "$HERE/tools.sh"
# shellcheck source=dblib.sh
source "$HERE/dblib.sh"

declare -A T RSS SIZE
CLAIMED=()

rc() { redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" "$@"; }

# claim prints a free, empty database number (1..15) and records it.
claim() {
	local n key
	for n in $(seq 15 -1 1); do
		key="velin:test:claim:$n"
		[ "$(rc -n 0 SET "$key" "bench pid $$" NX EX 3600)" = OK ] || continue
		if [ "$(rc -n "$n" DBSIZE)" != 0 ]; then
			rc -n 0 DEL "$key" >/dev/null
			continue
		fi
		echo "$n"
		return 0
	done
	die "no free empty redis database among 1..15"
}

release() {
	local n
	for n in "${CLAIMED[@]}"; do
		rc -n "$n" FLUSHDB >/dev/null || true
		rc -n 0 DEL "velin:test:claim:$n" >/dev/null || true
	done
	rm -rf "$WORK"
}

# fill writes REDIS_KEYS keys into db $1 through redis-cli --pipe: 60%
# session strings (JSON with a random token, 1-day TTL), 25% user hashes
# (6 fields), 10% cart lists, 5% tag sets.
fill() {
	log "writing $REDIS_KEYS keys into db $1"
	python3 - "$REDIS_KEYS" "$1" <<'PY' | rc --pipe >"$OUT/logs/redis.fill.log"
import hashlib, random, sys
n, db = int(sys.argv[1]), sys.argv[2]
out = sys.stdout.buffer
def cmd(*a):
    b = [x if isinstance(x, bytes) else str(x).encode() for x in a]
    return b"*%d\r\n" % len(b) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in b)
rnd = random.Random(42)
names = ["anna", "jonas", "marie", "lukas", "sofia", "noah", "emil", "lea"]
paths = ["/", "/cart", "/checkout", "/account", "/products/%d", "/search?q=%s"]
buf = [cmd("SELECT", db)]
for i in range(n):
    k = i % 20
    tok = hashlib.sha1(b"%d" % i).hexdigest()
    if k < 12:
        v = '{"uid":%d,"csrf":"%s","last":"%s","cart":%d,"ts":%d}' % (
            rnd.randrange(250000), tok, rnd.choice(paths).replace("%d", str(rnd.randrange(5000))).replace("%s", rnd.choice(names)),
            rnd.randrange(9), 1717000000 + i)
        buf.append(cmd("SET", "session:" + tok[:24], v, "EX", 86400))
    elif k < 17:
        nm = rnd.choice(names)
        buf.append(cmd("HSET", "user:%d" % i, "name", nm, "email", "%s.%s@example.com" % (nm, tok[:6]),
                       "plan", rnd.choice(["free", "pro", "team"]), "created", 1600000000 + i * 7,
                       "logins", rnd.randrange(2000), "avatar", "https://cdn.example.com/a/%s.png" % tok[:16]))
    elif k < 19:
        buf.append(cmd("RPUSH", "cart:%d" % i, *["sku-%05d:%d" % (rnd.randrange(99991), rnd.randrange(1, 4)) for _ in range(rnd.randrange(1, 6))]))
    else:
        buf.append(cmd("SADD", "tags:%d" % i, *rnd.sample(["new", "sale", "eco", "gift", "bulk", "vip", "b2b", "eu"], 3)))
    if len(buf) >= 5000:
        out.write(b"".join(buf)); buf = []
out.write(b"".join(buf))
PY
	KEYS_FILLED=$(rc -n "$1" DBSIZE)
	MEM=$(rc INFO memory | sed -n 's/^used_memory_human://p' | tr -d '\r')
	log "db $1: $KEYS_FILLED keys, server memory $MEM"
}

main() {
	db_setup
	need_cmd python3 python3
	trap release EXIT
	DATA_DB=$(claim); CLAIMED+=("$DATA_DB")
	SCRATCH_DB=$(claim); CLAIMED+=("$SCRATCH_DB")
	DEST_DB=$(claim); CLAIMED+=("$DEST_DB")
	log "claimed dbs: data $DATA_DB, scratch $SCRATCH_DB, restore destination $DEST_DB"
	fill "$DATA_DB"
	PLAN=$WORK/redis.hcl
	velin_plan "$PLAN" "$WORK/velin-repo" "source \"redis\" \"bench\" {
  addr       = \"$REDIS_HOST:$REDIS_PORT\"
  db         = $DATA_DB
  scratch_db = $SCRATCH_DB
}" "source.redis.bench"
	export PLAN WORK
	measure redis.rdb bash -c 'redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --rdb "$WORK/dump.rdb"'
	file_size redis.rdb "$WORK/dump.rdb"
	measure redis.rdb_zstd bash -c 'redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --rdb "$WORK/dump2.rdb" && zstd -T0 -q --rm "$WORK/dump2.rdb"'
	file_size redis.rdb_zstd "$WORK/dump2.rdb.zst"
	measure redis.velin1 "$VELIN" -f "$PLAN" backup create --backup db
	repo_size redis.velin1 "$WORK/velin-repo"
	local id
	id=$(velin_latest_id "$PLAN")
	export ID=$id TO="redis://$REDIS_HOST:$REDIS_PORT/$DEST_DB"
	measure redis.restore_velin bash -c '"$VELIN" -f "$PLAN" backup restore "$ID" --source redis.bench --to "$TO" --yes'
	local got
	got=$(rc -n "$DEST_DB" DBSIZE)
	CHECK=$([ "$got" = "$KEYS_FILLED" ] && echo "exact key count" || echo "DIFFERS ($got keys)")
	report | tee "$OUT/redis-results.md"
	log "results written to $OUT/redis-results.md"
	[ "$got" = "$KEYS_FILLED" ] || die "restored $got keys of $KEYS_FILLED"
}

report() {
	echo "### Redis ($(date -u +%Y-%m-%dT%H:%MZ))"
	echo
	echo "$KEYS_FILLED keys in one database (60% JSON session strings with a TTL, 25% hashes of 6 fields, 10% lists, 5% sets);" \
		"server memory $MEM; $(rc INFO server | sed -n 's/^redis_version:/redis /p' | tr -d '\r'); velin $(git -C "$ROOT" rev-parse --short HEAD)."
	machine_line
	echo
	echo "| step | wall s | peak RSS MiB | stored MB |"
	echo "|---|---:|---:|---:|"
	row "velin backup create (db $DATA_DB)" redis.velin1
	row "redis-cli --rdb file (whole server)" redis.rdb
	row "redis-cli --rdb file && zstd -T0" redis.rdb_zstd
	echo "| velin backup restore --to db $DEST_DB | ${T[redis.restore_velin]} | $(kib_to_mib "${RSS[redis.restore_velin]}") | $CHECK |"
	echo
	echo "Ratios: velin / redis-cli --rdb time $(ratio "${T[redis.velin1]}" "${T[redis.rdb]}"), velin / (rdb + zstd) $(ratio "${T[redis.velin1]}" "${T[redis.rdb_zstd]}");" \
		"stored: velin $(bytes_to_mb "${SIZE[redis.velin1]}") MB vs rdb $(bytes_to_mb "${SIZE[redis.rdb]}") MB, rdb.zst $(bytes_to_mb "${SIZE[redis.rdb_zstd]}") MB."
	echo "redis-cli --rdb makes the server fork and write a snapshot of every database (the other databases held a few test keys at most);"
	echo "an rdb file has no restore counterpart short of replacing the server's dump file and restarting it."
}

main "$@"
