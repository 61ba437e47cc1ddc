# Helpers of s3.sh (sourced after lib.sh, not executed): the private MinIO,
# the counting proxy and the per-step request tallies. They expect ROOT,
# OUT, WORK and S3BENCH (the built scripts/bench/s3bench).

# s3_start starts a MinIO of its own (env file $OUT/minio/env, data in a
# fresh temporary directory) and the counting proxy in front of it; every
# tool under test gets PROXY as its endpoint. The credentials stay in the
# environment (VELIN_S3_*, AWS_*, S3_*, RCLONE_CONFIG_BENCH_*).
s3_start() {
	mkdir -p "$OUT/minio"
	export VELIN_TEST_S3=$OUT/minio/env
	minio install >&2
	minio start >&2
	set -a
	# shellcheck disable=SC1090
	. "$VELIN_TEST_S3"
	set +a
	REQLOG=$OUT/requests.log
	: >"$REQLOG"
	rm -f "$OUT/proxy.addr"
	"$S3BENCH" proxy -target "$VELIN_S3_ENDPOINT" -log "$REQLOG" -addr-file "$OUT/proxy.addr" 2>"$OUT/logs/proxy.log" &
	PROXY_PID=$!
	local i
	for i in $(seq 1 50); do
		[ -s "$OUT/proxy.addr" ] && break
		sleep 0.1
	done
	[ -s "$OUT/proxy.addr" ] || die "the counting proxy did not start; log: $OUT/logs/proxy.log"
	PROXY=$(cat "$OUT/proxy.addr")
	export PROXY REQLOG
	export AWS_ACCESS_KEY_ID=$VELIN_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$VELIN_S3_SECRET_KEY
	export S3_ACCESS_KEY=$VELIN_S3_ACCESS_KEY S3_SECRET_KEY=$VELIN_S3_SECRET_KEY
	export RCLONE_CONFIG=$WORK/rclone.conf RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Minio \
		RCLONE_CONFIG_BENCH_ENDPOINT=$PROXY RCLONE_CONFIG_BENCH_REGION=us-east-1 \
		RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=$VELIN_S3_ACCESS_KEY RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=$VELIN_S3_SECRET_KEY
	: >"$RCLONE_CONFIG"
	log "MinIO at $VELIN_S3_ENDPOINT, counting proxy at $PROXY"
}

minio() { bash "$ROOT/scripts/minio.sh" "$@"; }

# s3_stop stops the proxy and the MinIO that s3_start started.
s3_stop() {
	if [ -n "${PROXY_PID:-}" ]; then
		kill "$PROXY_PID" 2>/dev/null || true
		wait "$PROXY_PID" 2>/dev/null || true
		PROXY_PID=
	fi
	if [ -n "${VELIN_TEST_S3:-}" ] && [ -f "$VELIN_TEST_S3" ]; then
		minio stop >&2 || true
	fi
}

# CPU[KEY]: the user and system seconds of a step's tool (measure_s3).
declare -A CPU

# measure_s3 KEY CMD... is measure plus the requests CMD sent through the
# proxy: REQ[KEY] (total), OPS[KEY] ("op n, op n" by count), UP[KEY] and
# DOWN[KEY] (bytes sent to and received from the server), and SRV[KEY], the
# CPU seconds MinIO and the proxy spent meanwhile, and CPU[KEY], the
# user and system seconds of CMD itself (from /usr/bin/time). A velin step
# writes a CPU profile to $OUT/prof/KEY.prof when PROFILE=1.
measure_s3() {
	local key=$1 mark cpu0; shift
	mark=$(wc -l <"$REQLOG")
	cpu0=$(server_ticks)
	if [ "${PROFILE:-0}" = 1 ]; then
		mkdir -p "$OUT/prof"
		export VELIN_CPUPROFILE=$OUT/prof/$key.prof
	fi
	measure "$key" "$@"
	unset VELIN_CPUPROFILE
	CPU[$key]=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$OUT/logs/$key.time")
	# The proxy logs a request once its response is sent: let the last
	# lines land.
	sleep 0.5
	tally "$key" "$mark"
	SRV[$key]=$(awk -v a="$cpu0" -v b="$(server_ticks)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) / hz }')
	log "$key: MinIO and proxy used ${SRV[$key]} s of CPU"
}

# server_ticks prints the CPU time (user + system, in clock ticks) that
# MinIO and the proxy have used so far: what a step costs the server side.
server_ticks() {
	local pid sum=0 t
	for pid in "$VELIN_S3_PID" "$PROXY_PID"; do
		# fields 14 and 15 of /proc/PID/stat, after the ")" that ends the name
		t=$(sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')
		sum=$((sum + t))
	done
	echo "$sum"
}

# tally KEY MARK counts the proxy's log lines after line MARK.
tally() {
	local key=$1 mark=$2 line
	line=$(tail -n +"$((mark + 1))" "$REQLOG" | gawk -F'\t' '
		{ n++; c[$1]++; up += $3; down += $4; if ($2 >= 400) err[$1 " " $2]++ }
		END {
			s = ""
			PROCINFO["sorted_in"] = "@val_num_desc"
			for (k in c) s = s (s == "" ? "" : ", ") k " " c[k]
			for (k in err) s = s "; " err[k] "x " k
			printf "%d\t%d\t%d\t%s\n", n, up, down, s
		}')
	IFS=$'\t' read -r REQ[$key] UP[$key] DOWN[$key] OPS[$key] <<<"$line"
	log "$key: ${REQ[$key]} requests (${OPS[$key]}), sent $(bytes_to_mb "${UP[$key]}") MB, received $(bytes_to_mb "${DOWN[$key]}") MB"
}

# s3_size KEY SPEC... records the bytes of the objects under the specs
# (BUCKET or BUCKET/PREFIX), listed directly from MinIO, in SIZE[KEY].
s3_size() {
	local key=$1; shift
	SIZE[$key]=$("$S3BENCH" size "$@" | cut -d' ' -f2)
	log "$key: stored $(bytes_to_mb "${SIZE[$key]}") MB"
}
