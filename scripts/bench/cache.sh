#!/usr/bin/env bash
# cache.sh: requests and wall time of `backup list`, an unchanged
# incremental backup and `velin plan` against MinIO, with the local cache
# (docs/design.md, "Local cache") and with --no-cache. Not a test; the
# figures go to docs/performance.md.
#
#   bash scripts/bench/cache.sh          # FILES=3000 ROUNDS=3 by default
#   RTT_MS=20 bash scripts/bench/cache.sh    # through a proxy adding 20 ms per request
#
# The MinIO of scripts/minio.sh (env file: VELIN_TEST_S3, else
# ~/.cache/velin/minio-run/env); a fresh bucket made and removed with
# rclone (credentials passed in its environment, never on a command line).
# Request counts come from VELIN_STATS_FILE; the cache is in a temporary
# VELIN_CACHE_DIR. Prints a markdown table of medians (time) and of the
# requests of the last round.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/bench/lib.sh

FILES=${FILES:-3000}
ROUNDS=${ROUNDS:-3}
ENVF=${VELIN_TEST_S3:-${XDG_CACHE_HOME:-$HOME/.cache}/velin/minio-run/env}
[ -r "$ENVF" ] || die "no MinIO env file $ENVF: bash scripts/minio.sh start"
ENDPOINT=$(sed -n 's/^VELIN_S3_ENDPOINT=//p' "$ENVF")
export S3_ACCESS_KEY=$(sed -n 's/^VELIN_S3_ACCESS_KEY=//p' "$ENVF")
export S3_SECRET_KEY=$(sed -n 's/^VELIN_S3_SECRET_KEY=//p' "$ENVF")
export RCLONE_S3_PROVIDER=Minio RCLONE_S3_ENDPOINT=$ENDPOINT
export RCLONE_S3_ACCESS_KEY_ID=$S3_ACCESS_KEY RCLONE_S3_SECRET_ACCESS_KEY=$S3_SECRET_KEY
export VELIN_PASSPHRASE=velin-bench-passphrase
need_cmd jq jq

WORK=$(mktemp -d /tmp/velin-cachebench.XXXXXX)
BUCKET=velin-cachebench-$(date +%s)
cleanup() {
	[ -z "${PROXY_PID:-}" ] || kill "$PROXY_PID" 2>/dev/null || true
	env -u AWS_CA_BUNDLE rclone purge ":s3:$BUCKET" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
env -u AWS_CA_BUNDLE rclone mkdir ":s3:$BUCKET" # (its SDK refuses a custom CA bundle with its own transport)
export VELIN_CACHE_DIR=$WORK/cache

# With RTT_MS, velin talks to MinIO through a reverse proxy that delays
# every request by that much, as a network round trip would.
RTT_MS=${RTT_MS:-0}
VELIN_ENDPOINT=$ENDPOINT
if [ "$RTT_MS" -gt 0 ]; then
	cat >"$WORK/rttproxy.go" <<'GO'
package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"time"
)

func main() {
	target, _ := url.Parse(os.Args[1])
	ms, _ := strconv.Atoi(os.Args[2])
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println("http://" + ln.Addr().String())
	os.Stdout.Close()
	rp := httputil.NewSingleHostReverseProxy(target)
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(ms) * time.Millisecond)
		rp.ServeHTTP(w, r)
	}))
}
GO
	(cd "$WORK" && go build -o rttproxy rttproxy.go)
	"$WORK/rttproxy" "$ENDPOINT" "$RTT_MS" >"$WORK/proxy.addr" &
	PROXY_PID=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$WORK/proxy.addr" ] && break; sleep 0.2; done
	VELIN_ENDPOINT=$(cat "$WORK/proxy.addr")
fi

VELIN=${VELIN_BIN:-$WORK/velin}
[ -n "${VELIN_BIN:-}" ] || go build -o "$VELIN" ./cmd/velin

log "writing $FILES files"
DATA=$WORK/data
for ((i = 0; i < FILES; i++)); do
	d=$DATA/d$((i % 10))/s$((i / 10 % 10))
	[ -d "$d" ] || mkdir -p "$d"
	head -c $((1024 + i % 7000)) /dev/urandom >"$d/f$i"
done

PLAN=$WORK/bench.hcl
velin_s3_files_plan "$PLAN" "$VELIN_ENDPOINT" "$BUCKET" velin "$DATA"

# run KEY ARGS... runs velin, appending "KEY seconds counts-json" to $WORK/runs.
run() {
	local key=$1 t0 t1; shift
	t0=$(now)
	VELIN_STATS_FILE=$WORK/stats.json "$VELIN" -f "$PLAN" "$@" >"$WORK/${key//\//-}.log" 2>&1 || {
		tail -20 "$WORK/${key//\//-}.log" >&2
		die "$key failed"
	}
	t1=$(now)
	echo "$key $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $(jq -c .total "$WORK/stats.json")" >>"$WORK/runs"
}

run first-backup backup create --backup bench
for ((r = 1; r <= ROUNDS; r++)); do
	for mode in cache no-cache; do
		flag=()
		[ "$mode" = cache ] || flag=(--no-cache)
		run "$mode/unchanged-backup" "${flag[@]}" backup create --backup bench
		run "$mode/backup-list" "${flag[@]}" backup list
		run "$mode/plan" "${flag[@]}" plan
	done
done
for kind in index snapshots trees; do
	log "cache: $kind $(find "$VELIN_CACHE_DIR" -path "*/$kind/*" -type f | wc -l) entries, $(find "$VELIN_CACHE_DIR" -path "*/$kind/*" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }') bytes"
done
rm -rf "$VELIN_CACHE_DIR"
run "cold-cache/backup-list" backup list

echo "| step | wall time (median) | List | Get | GetRange | Stat | Put | Delete | total |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for key in first-backup {cache,no-cache}/{unchanged-backup,backup-list,plan} cold-cache/backup-list; do
	med=$(awk -v k="$key" '$1 == k { print $2 }' "$WORK/runs" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	last=$(awk -v k="$key" '$1 == k { c = $3 } END { print c }' "$WORK/runs")
	echo "| $key | $med s | $(jq -r '[.list, .get, .get_range, .stat, .put, .delete, (.list + .get + .get_range + .stat + .put + .delete)] | map(tostring) | join(" | ")' <<<"$last") |"
done
