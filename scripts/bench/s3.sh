#!/usr/bin/env bash
# s3.sh benchmarks velin over S3 (issue 9 §6), on a MinIO of its own with a
# counting proxy in front that every tool talks to (requests per operation,
# bytes each way; scripts/bench/s3bench), in one run:
#   repo:   velin's target "s3" against restic's S3 backend on a gendata
#           tree: first backup, backup with nothing changed, backup after
#           `gendata mutate`, restore (checked with `gendata treesum`)
#   bucket: velin's source "s3" (local repository) against `rclone sync` on
#           BUCKET_OBJECTS objects of 1 KiB-20 MB in 4 buckets: backup,
#           backup with nothing changed, restore into the emptied buckets
#           (mode replace; checked against the original listing) and
#           velin's restore --to DIR (checked against rclone's copy)
# with wall time, peak RSS, bytes stored and requests of each step. The
# markdown report goes to stdout and $OUT/s3-results.md, each step's output
# to $OUT/logs/, the proxy's log to $OUT/requests.log.
#
# Environment (all optional):
#   PARTS          "repo bucket" (default) or one of them
#   S3_FILES       small files of the gendata tree (default 5000)
#   S3_LARGE       size of each of its 4 large files (default 50000000)
#   BUCKET_OBJECTS objects of the bucket part (default 10000)
#   PROFILE=1      a CPU profile of each velin step in $OUT/prof/STEP.prof
#   BENCH_SHARED, BENCH_CACHE, VELIN_BIN, KEEP=1 as for run.sh; OUT
#                  defaults to $BENCH_CACHE/out-s3
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel)
# a worktree's ../shared is not the main checkout's: look next to the main one
MAIN=$(dirname "$(cd "$ROOT" && cd "$(git rev-parse --git-common-dir)" && pwd)")
BENCH_SHARED=${BENCH_SHARED:-$MAIN/../shared/bench}
CACHE=${BENCH_CACHE:-/tmp/velin-bench}
OUT=${OUT:-$CACHE/out-s3}
WORK=$OUT/work
read -r -a PART_LIST <<<"${PARTS:-repo bucket}"
S3_FILES=${S3_FILES:-5000}
S3_LARGE=${S3_LARGE:-50000000}
BUCKET_OBJECTS=${BUCKET_OBJECTS:-10000}
DATA=$CACHE/data-s3-$S3_FILES-$S3_LARGE
GENDATA=$OUT/gendata
S3BENCH=$OUT/s3bench
VELIN=${VELIN_BIN:-$OUT/velin}
QUICK=0
export DATA WORK VELIN VELIN_PASSPHRASE=velin-bench-passphrase
export RESTIC_PASSWORD=velin-bench-passphrase RESTIC_CACHE_DIR=$WORK/restic-cache
# velin's cache of index and tree objects, like restic's, lives in the run
export VELIN_CACHE_DIR=$WORK/velin-cache

# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=tools.sh
source "$HERE/tools.sh"
# shellcheck source=s3lib.sh
source "$HERE/s3lib.sh"
# shellcheck source=s3bucket.sh
source "$HERE/s3bucket.sh"
# shellcheck source=s3report.sh
source "$HERE/s3report.sh"

declare -A T RSS SIZE CHECK REQ OPS UP DOWN SRV

setup() {
	mkdir -p "$OUT/logs"
	rm -rf "$WORK" "$OUT/prof" && mkdir -p "$WORK"
	need_cmd /usr/bin/time time
	need_cmd jq jq
	need_cmd gawk gawk
	need_cmd restic restic
	need_cmd rclone rclone
	if [ -n "${VELIN_BIN:-}" ]; then
		log "using velin binary $VELIN_BIN"
	else
		log "building velin"
		(cd "$ROOT" && go build -o "$VELIN" ./cmd/velin)
	fi
	(cd "$ROOT" && go build -o "$S3BENCH" ./scripts/bench/s3bench)
	(cd "$BENCH_SHARED" && go build -o "$GENDATA" ./gendata)
	LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
	UPTIME_BEFORE=$(uptime)
	log "load before: $UPTIME_BEFORE"
}

# prepare_tree makes sure $DATA is a pristine gendata tree and reads it
# once (so both tools start from a warm page cache).
prepare_tree() {
	local state=$DATA.state
	if [ -f "$state" ] && grep -q '^pristine' "$state"; then
		log "reusing pristine dataset $DATA"
	else
		log "generating dataset $DATA"
		mkdir -p "$CACHE"
		"$GENDATA" gen -dir "$DATA" -files "$S3_FILES" -large-size "$S3_LARGE" >&2
	fi
	DATA_BYTES=$(state_field "$state" total_bytes)
	DATA_FILES=$(state_field "$state" files)
	tar cf - -C "$(dirname "$DATA")" "$(basename "$DATA")" | cat >/dev/null
}

# velin_init (replacing tools.sh's) writes a plan whose target is the
# bucket velin-bench, prefix repo, through the proxy.
velin_init() {
	PLAN="$WORK/s3-repo.hcl"
	velin_s3_files_plan "$PLAN" "$PROXY" velin-bench repo "$DATA"
}

repo_backups() {
	local tool=$1 mark t0
	export REPO PLAN="${PLAN:-}"
	REPO="s3:$PROXY/$tool-bench/repo"
	"$S3BENCH" mb "$tool-bench"
	log "$tool: init"
	mark=$(wc -l <"$REQLOG")
	t0=$(date +%s.%N)
	"${tool}_init" >"$OUT/logs/$tool.init.log" 2>&1 || die "$tool init failed; log: $OUT/logs/$tool.init.log"
	# In this shell (velin_init sets PLAN), so timed here, not by measure.
	T[$tool.init]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	sleep 0.5
	tally "$tool.init" "$mark"
	export -f "${tool}_backup" "${tool}_restore"
	[ "$tool" != velin ] || export -f velin_newest_id
	log "$tool: first backup"
	measure_s3 "$tool.first" bash -c "${tool}_backup"
	s3_size "$tool.first" "$tool-bench/repo"
	log "$tool: backup with nothing changed"
	measure_s3 "$tool.unchanged" bash -c "${tool}_backup"
	s3_size "$tool.unchanged" "$tool-bench/repo"
}

repo_after() {
	local tool=$1 dir root got
	REPO="s3:$PROXY/$tool-bench/repo"
	log "$tool: backup after mutation"
	measure_s3 "$tool.mutated" bash -c "${tool}_backup"
	s3_size "$tool.mutated" "$tool-bench/repo"
	dir="$WORK/restore-$tool"
	rm -rf "$dir" && mkdir -p "$dir"
	log "$tool: restore"
	measure_s3 "$tool.restore" bash -c "${tool}_restore '$dir'"
	root=$(restored_root "$dir" "$DATA")
	got=$("$GENDATA" treesum "$root")
	if [ "$got" = "$WANT_SUM" ]; then CHECK[$tool]=exact; else CHECK[$tool]="DIFFERS ($got)"; fi
	log "$tool: restore ${CHECK[$tool]}"
}

repo_part() {
	prepare_tree
	local tool
	for tool in restic velin; do repo_backups "$tool"; done
	log "mutating the dataset"
	"$GENDATA" mutate -dir "$DATA" -files "$S3_FILES" >&2
	CHANGED=$(state_field "$DATA.state" changed_bytes)
	WANT_SUM=$("$GENDATA" treesum "$DATA")
	for tool in restic velin; do repo_after "$tool"; done
}

cleanup() {
	s3_stop
	[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}

main() {
	setup
	trap cleanup EXIT
	s3_start
	local part
	for part in "${PART_LIST[@]}"; do
		case $part in
		repo) repo_part ;;
		bucket) bucket_part ;;
		*) die "unknown part $part (repo, bucket)" ;;
		esac
	done
	report | tee "$OUT/s3-results.md"
	log "results written to $OUT/s3-results.md"
	local k
	for k in "${!CHECK[@]}"; do
		[ "${CHECK[$k]}" = exact ] || die "$k: the restore differs from the source"
	done
}

main "$@"
