# Helpers for run.sh (sourced, not executed).

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# as_root runs a command as root (directly, or with sudo).
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# need_cmd CMD PACKAGE installs PACKAGE with apt-get when CMD is missing.
need_cmd() {
	local cmd=$1 pkg=$2
	if [ -x "$cmd" ] || command -v "$cmd" >/dev/null 2>&1; then return 0; fi
	log "installing $pkg (apt-get)"
	if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >/dev/null; then
		as_root apt-get update >/dev/null
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >/dev/null
	fi
	command -v "$cmd" >/dev/null 2>&1 || [ -x "$cmd" ] || die "$pkg installed but $cmd not found"
}

now() { date +%s.%N; }

# measure KEY CMD... runs CMD under /usr/bin/time -v with its output in
# $OUT/logs/KEY.log and records wall seconds in T[KEY] and peak RSS (KiB)
# in RSS[KEY]. It fails the script when CMD fails.
measure() {
	local key=$1; shift
	local logf="$OUT/logs/$key.log" timef="$OUT/logs/$key.time" t0 t1 rc=0
	# Every step starts with nothing dirty in the page cache, so no tool
	# pays for writeback (or fsyncs) of what the previous step wrote.
	sync
	t0=$(now)
	/usr/bin/time -v -o "$timef" "$@" >"$logf" 2>&1 || rc=$?
	t1=$(now)
	if [ "$rc" -ne 0 ]; then
		tail -n 20 "$logf" >&2
		die "$key failed (exit $rc); log: $logf"
	fi
	T[$key]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	RSS[$key]=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$timef")
	log "$key: ${T[$key]} s, peak RSS $(kib_to_mib "${RSS[$key]}") MiB"
}

# repo_size KEY DIR records the bytes under DIR in SIZE[KEY].
repo_size() {
	SIZE[$1]=$(du -sb "$2" | cut -f1)
	log "$1: repository $(bytes_to_mb "${SIZE[$1]}") MB"
}

kib_to_mib() { [ -n "${1:-}" ] && awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }' || echo "n/a"; }
bytes_to_mb() { [ -n "${1:-}" ] && awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }' || echo "n/a"; }

# mbps BYTES SECONDS prints the throughput in MB/s, or n/a.
mbps() {
	if [ -z "${1:-}" ] || [ -z "${2:-}" ]; then echo "n/a"; return; fi
	awk -v b="$1" -v s="$2" 'BEGIN { if (s == 0) print "n/a"; else printf "%.0f", b / 1e6 / s }'
}

# ratio A B prints A/B with two decimals, or n/a.
ratio() {
	if [ -z "${1:-}" ] || [ -z "${2:-}" ]; then echo "n/a"; return; fi
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'
}

# state_field FILE KEY prints KEY=value's value from a gendata state file.
state_field() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }

# restored_root DIR DATA prints the directory under DIR that holds the
# restored copy of DATA (tools restore under the full path, the base name,
# or directly).
restored_root() {
	local dir=$1 data=$2 c
	for c in "$dir$data" "$dir/$(basename "$data")" "$dir"; do
		if [ -d "$c/small" ] && [ -d "$c/large" ]; then echo "$c"; return 0; fi
	done
	die "cannot find the restored tree under $dir"
}

# velin_s3_files_plan FILE ENDPOINT BUCKET PREFIX DATA writes a plan that
# backs up the tree DATA into a repository on S3 (bucket BUCKET, prefix
# PREFIX at ENDPOINT); the credentials come from S3_ACCESS_KEY,
# S3_SECRET_KEY and VELIN_PASSPHRASE in the environment.
velin_s3_files_plan() {
	cat >"$1" <<HCL
target "s3" "bench" {
  endpoint   = "$2"
  bucket     = "$3"
  prefix     = "$4"
  access_key = env("S3_ACCESS_KEY")
  secret_key = env("S3_SECRET_KEY")
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "data" {
  paths = ["$5"]
}
backup "bench" {
  sources  = [source.files.data]
  target   = target.s3.bench
  strategy = "incremental"
}
HCL
}
