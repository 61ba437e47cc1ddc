#!/usr/bin/env bash
# restore-ab.sh times restores only, alternating restic and one or more
# velin binaries, on the repositories a `KEEP=1 make bench` run left in
# $OUT/work. A single restore varies by ±20 % on a shared machine; several
# alternating rounds on the same repositories give a fair ratio.
#
#   KEEP=1 make bench                                    # once, for the repositories
#   bash scripts/bench/restore-ab.sh 3 /tmp/velin-a /tmp/velin-b
#
# Before each restore: sync, then (as root) drop the page cache and read
# both repositories back in, so every tool starts with a warm repository
# and nothing else cached; without root only the sync happens. Restored
# trees go to $AB_DIR (default $BENCH_CACHE/ab) and are not deleted during
# the run (see README.md: deleting 20,000 files slows the next restore).
# Prints one line per restore (wall, user and system seconds) and the mean
# of each tool with its ratio to restic.
set -euo pipefail

ROUNDS=${1:?usage: restore-ab.sh ROUNDS VELIN_BIN...}
shift
[ "$#" -gt 0 ] || { echo "usage: restore-ab.sh ROUNDS VELIN_BIN..." >&2; exit 2; }
CACHE=${BENCH_CACHE:-/tmp/velin-bench}
OUT=${OUT:-$CACHE/out}
WORK=$OUT/work
AB_DIR=${AB_DIR:-$CACHE/ab}
RUN=$(date +%H%M%S)
[ -d "$WORK/repo-restic" ] && [ -d "$WORK/repo-velin" ] && [ -f "$WORK/bench.hcl" ] ||
	{ echo "no repositories in $WORK: run KEEP=1 make bench first" >&2; exit 1; }
mkdir -p "$AB_DIR"
cd "$WORK"
export VELIN_PASSPHRASE=velin-bench-passphrase RESTIC_PASSWORD=velin-bench-passphrase
export RESTIC_CACHE_DIR=$WORK/restic-cache

settle() {
	sync
	if [ -w /proc/sys/vm/drop_caches ]; then
		echo 1 >/proc/sys/vm/drop_caches
		find repo-restic repo-velin restic-cache -type f -exec cat {} + >/dev/null
	fi
	sleep 2
}

# timed NAME ROUND CMD... runs CMD after settle and prints its times.
timed() {
	local name=$1 round=$2 tf
	shift 2
	tf=$(mktemp)
	settle
	/usr/bin/time -f "%e %U %S" -o "$tf" "$@" >/dev/null 2>"$AB_DIR/$name-$RUN-$round.log" ||
		{ tail -5 "$AB_DIR/$name-$RUN-$round.log" >&2; exit 1; }
	read -r wall user sys <"$tf"
	rm -f "$tf"
	printf '%-16s round %d: %6.2f s wall %6.2f s user %6.2f s sys\n' "$name" "$round" "$wall" "$user" "$sys"
	echo "$name $wall" >>"$AB_DIR/times-$RUN"
}

for i in $(seq 1 "$ROUNDS"); do
	timed restic "$i" restic -r repo-restic restore latest --target "$AB_DIR/restic-$RUN-$i"
	for b in "$@"; do
		name=$(basename "$b")
		timed "$name" "$i" "$b" -f bench.hcl backup restore latest --to "$AB_DIR/$name-$RUN-$i" --yes
	done
done
awk '{ s[$1] += $2; n[$1]++ } END {
	r = s["restic"] / n["restic"]
	for (k in s) printf "%-16s mean %6.2f s   restic/tool %.2f\n", k, s[k] / n[k], r / (s[k] / n[k])
}' "$AB_DIR/times-$RUN"
echo "restored trees are in $AB_DIR; remove them when done (then wait ~5 minutes before timing restores again)"
