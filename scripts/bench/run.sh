#!/usr/bin/env bash
# run.sh compares velin with restic on the gendata tree, in one run:
# first backup, backup with nothing changed, backup after `gendata mutate`,
# restore (checked with `gendata treesum`), repository sizes, peak RSS and
# wall times, plus `tar | zstd -T0` as a reference. It prints a markdown
# table and writes it to $OUT/results.md.
#
# Environment (all optional):
#   QUICK=1        small tree (2,000 files, 4 x 20 MB) for a smoke run
#   TOOLS          tools to compare (default "restic velin"; velin is skipped
#                  with a warning while cmd/velin does not exist)
#   BENCH_SHARED   the shared bench module (default REPO/../shared/bench)
#   BENCH_CACHE    dataset cache (default /tmp/velin-bench); a pristine tree
#                  is reused, a mutated one regenerated
#   OUT            binaries, logs and results (default $BENCH_CACHE/out)
#   KEEP=1         keep the repositories in $OUT/work afterwards
#   VELIN_BIN      a velin binary to use instead of building ./cmd/velin
#   VELIN_SNAPSHOT snapshot id for velin restore (default "latest")
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel)
BENCH_SHARED=${BENCH_SHARED:-$ROOT/../shared/bench}
CACHE=${BENCH_CACHE:-/tmp/velin-bench}
OUT=${OUT:-$CACHE/out}
QUICK=${QUICK:-0}
read -r -a TOOL_LIST <<<"${TOOLS:-restic velin}"

# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=tools.sh
source "$HERE/tools.sh"

declare -A T RSS SIZE CHECK

if [ "$QUICK" = 1 ]; then
	NFILES=2000 GEN_FLAGS=(-files 2000 -large-size 20000000) DATA=$CACHE/data-quick
else
	NFILES=20000 GEN_FLAGS=() DATA=$CACHE/data
fi
WORK=$OUT/work
GENDATA=$OUT/gendata
VELIN=${VELIN_BIN:-$OUT/velin}
export DATA WORK VELIN

setup_tools() {
	need_cmd /usr/bin/time time
	need_cmd zstd zstd
	local tool kept=()
	for tool in "${TOOL_LIST[@]}"; do
		case $tool in
		restic) need_cmd restic restic ;;
		velin)
			need_cmd jq jq
			if [ -n "${VELIN_BIN:-}" ]; then
				log "using velin binary $VELIN_BIN"
			elif [ ! -d "$ROOT/cmd/velin" ]; then
				log "warning: $ROOT/cmd/velin does not exist yet; skipping velin"
				continue
			else
				log "building velin"
				(cd "$ROOT" && go build -o "$VELIN" ./cmd/velin)
			fi
			;;
		*) die "unknown tool $tool (known: restic velin)" ;;
		esac
		kept+=("$tool")
	done
	TOOL_LIST=("${kept[@]}")
	[ "${#TOOL_LIST[@]}" -gt 0 ] || die "no tool to benchmark"
}

# prepare_data builds gendata and makes sure $DATA is pristine.
prepare_data() {
	log "building gendata from $BENCH_SHARED"
	(cd "$BENCH_SHARED" && go build -o "$GENDATA" ./gendata)
	local state=$DATA.state
	if [ -f "$state" ] && grep -q '^pristine' "$state" &&
		[ "$(state_field "$state" files)" = "$((NFILES + 4))" ]; then
		log "reusing pristine dataset $DATA"
	else
		log "generating dataset $DATA"
		mkdir -p "$CACHE"
		"$GENDATA" gen -dir "$DATA" "${GEN_FLAGS[@]}" >&2
	fi
	DATA_BYTES=$(state_field "$state" total_bytes)
	DATA_FILES=$(state_field "$state" files)
}

# reference times tar | zstd over the pristine tree (this also warms the
# page cache, so every tool starts with the same cache state).
reference() {
	log "reference: tar | zstd -T0"
	export DATA WORK
	measure zstd.first bash -c 'tar cf - -C "$(dirname "$DATA")" "$(basename "$DATA")" | zstd -T0 -q -o "$WORK/data.tar.zst"'
	repo_size zstd.first "$WORK/data.tar.zst"
	rm -f "$WORK/data.tar.zst"
}

# backup_before initialises TOOL's repository (in this shell, so the tool's
# environment stays exported) and runs the backups of the pristine tree. The
# adapters run in a child bash so /usr/bin/time can measure them.
backup_before() {
	local tool=$1
	log "$tool: init"
	export REPO="$WORK/repo-$tool"
	mkdir -p "$REPO"
	"${tool}_init" >"$OUT/logs/$tool.init.log" 2>&1 || die "$tool init failed; log: $OUT/logs/$tool.init.log"
	export PLAN="${PLAN:-}"
	export -f "${tool}_backup" "${tool}_restore"
	[ "$tool" != velin ] || export -f velin_newest_id
	log "$tool: first backup"
	measure "$tool.first" bash -c "${tool}_backup"
	repo_size "$tool.first" "$REPO"
	log "$tool: backup with nothing changed"
	measure "$tool.unchanged" bash -c "${tool}_backup"
	repo_size "$tool.unchanged" "$REPO"
}

backup_after() {
	local tool=$1 dir root got
	export REPO="$WORK/repo-$tool"
	log "$tool: backup after mutation"
	measure "$tool.mutated" bash -c "${tool}_backup"
	repo_size "$tool.mutated" "$REPO"
	dir="$WORK/restore-$tool"
	rm -rf "$dir" && mkdir -p "$dir"
	log "$tool: restore"
	measure "$tool.restore" bash -c "${tool}_restore '$dir'"
	root=$(restored_root "$dir" "$DATA")
	got=$("$GENDATA" treesum "$root")
	if [ "$got" = "$WANT_SUM" ]; then CHECK[$tool]=exact; else CHECK[$tool]="DIFFERS ($got)"; fi
	log "$tool: restore ${CHECK[$tool]}"
	# The restored tree stays until the end of the run: deleting 20,000
	# files just before the next tool's restore slows that restore down
	# (ext4 without a journal scans recently deleted inodes when it
	# allocates new ones), which would favour the tool that restores first.
}

mutate() {
	log "mutating the dataset"
	"$GENDATA" mutate -dir "$DATA" -files "$NFILES" >&2
	CHANGED=$(state_field "$DATA.state" changed_bytes)
	WANT_SUM=$("$GENDATA" treesum "$DATA")
}

main() {
	mkdir -p "$OUT/logs"
	rm -rf "$WORK" && mkdir -p "$WORK"
	setup_tools
	prepare_data
	reference
	local tool
	for tool in "${TOOL_LIST[@]}"; do backup_before "$tool"; done
	mutate
	for tool in "${TOOL_LIST[@]}"; do backup_after "$tool"; done
	source "$HERE/report.sh"
	report | tee "$OUT/results.md"
	log "results written to $OUT/results.md"
	[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
	for tool in "${TOOL_LIST[@]}"; do
		[ "${CHECK[$tool]}" = exact ] || die "$tool restore differs from the source"
	done
}

main "$@"
