# Helpers shared by the database benchmarks pg.sh, mysql.sh and redis.sh
# (sourced after lib.sh; not executed). They expect ROOT, OUT and WORK.

# db_setup installs what the database benchmarks need and builds velin
# into $OUT/velin (or uses $VELIN_BIN).
db_setup() {
	mkdir -p "$OUT/logs"
	rm -rf "$WORK" && mkdir -p "$WORK"
	need_cmd /usr/bin/time time
	need_cmd zstd zstd
	need_cmd jq jq
	VELIN=${VELIN_BIN:-$OUT/velin}
	if [ -n "${VELIN_BIN:-}" ]; then
		log "using velin binary $VELIN_BIN"
	else
		log "building velin"
		(cd "$ROOT" && go build -o "$VELIN" ./cmd/velin)
	fi
	export VELIN VELIN_PASSPHRASE=velin-bench-passphrase
	LOAD_BEFORE=$(load_avg)
	log "load average before: $LOAD_BEFORE"
}

# load_avg prints the 1, 5 and 15 minute load averages.
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

# velin_plan PLAN REPO SOURCE_BLOCK writes a plan with a local target at
# REPO, the given source block (HCL text) and one incremental backup "db"
# of it; SOURCE_REF is the source's reference (e.g. source.postgres.bench).
velin_plan() {
	local plan=$1 repo=$2 block=$3 ref=$4
	cat >"$plan" <<HCL
target "local" "bench" {
  path       = "$repo"
  passphrase = env("VELIN_PASSPHRASE")
}
$block
backup "db" {
  sources  = [$ref]
  target   = target.local.bench
  strategy = "incremental"
}
HCL
}

# velin_latest_id PLAN prints the newest snapshot id of PLAN's repository.
velin_latest_id() {
	"$VELIN" -f "$1" backup list --json | velin_newest_id
}

# restic_setup REPO initialises a restic repository (compression as the
# installed restic defaults to) and exports its environment.
restic_setup() {
	need_cmd restic restic
	export RESTIC_REPOSITORY=$1 RESTIC_PASSWORD=velin-bench-passphrase RESTIC_CACHE_DIR="$WORK/restic-cache"
	restic init >"$OUT/logs/restic.init.log" 2>&1 || die "restic init failed; log: $OUT/logs/restic.init.log"
}

# file_size KEY FILE records FILE's size in SIZE[KEY].
file_size() { SIZE[$1]=$(stat -c %s "$2"); log "$1: $(bytes_to_mb "${SIZE[$1]}") MB"; }

# grown KEY BEFORE_KEY AFTER_KEY records SIZE[AFTER]-SIZE[BEFORE] in SIZE[KEY].
grown() { SIZE[$1]=$((SIZE[$3] - SIZE[$2])); log "$1: +$(bytes_to_mb "${SIZE[$1]}") MB"; }

# verdict GOT LIMIT prints "met" when GOT <= LIMIT, else "missed".
verdict() {
	awk -v g="$1" -v l="$2" 'BEGIN { if (g == "" || g == "n/a") print "n/a"; else if (g + 0 <= l + 0) print "met"; else print "missed" }'
}

# row LABEL KEY prints a table row: wall time, peak RSS and size of KEY.
row() {
	echo "| $1 | ${T[$2]:-n/a} | $(kib_to_mib "${RSS[$2]:-}") | $(bytes_to_mb "${SIZE[$2]:-}") |"
}

# machine_line prints the machine and load figures for a report.
machine_line() {
	echo "Machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM;" \
		"load average (1/5/15 min) before the run $LOAD_BEFORE, after $(load_avg)."
}
