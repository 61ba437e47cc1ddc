# The bucket part of s3.sh (sourced): velin's source "s3" against
# `rclone sync`, through the same counting proxy.

BUCKETS=(bench-src-a bench-src-b bench-src-c bench-src-d)

# bucket_fill creates the buckets and writes BUCKET_OBJECTS objects into
# them directly (not through the proxy); MIX holds the fill's summary.
bucket_fill() {
	"$S3BENCH" purge "${BUCKETS[@]}"
	"$S3BENCH" mb "${BUCKETS[@]}"
	log "filling ${BUCKETS[*]} with $BUCKET_OBJECTS objects"
	local t0=$SECONDS
	"$S3BENCH" fill -objects "$BUCKET_OBJECTS" "${BUCKETS[@]}" >"$OUT/fill.txt"
	MIX=$(cat "$OUT/fill.txt")
	BUCKET_BYTES=$(awk '$1 == "total" { print $3 }' "$OUT/fill.txt")
	log "filled $(bytes_to_mb "$BUCKET_BYTES") MB in $((SECONDS - t0)) s"
	"$S3BENCH" ls "${BUCKETS[@]}" >"$WORK/buckets.want"
}

# bucket_plan writes the velin plan: source "s3" over the buckets through
# the proxy, a local repository.
bucket_plan() {
	local list
	list=$(printf '"%s", ' "${BUCKETS[@]}")
	BPLAN=$WORK/s3-bucket.hcl
	cat >"$BPLAN" <<HCL
target "local" "bench" {
  path       = "$WORK/bucket-repo"
  passphrase = env("VELIN_PASSPHRASE")
}
source "s3" "objects" {
  endpoint   = "$PROXY"
  buckets    = [${list%, }]
  access_key = env("S3_ACCESS_KEY")
  secret_key = env("S3_SECRET_KEY")
  mode       = "replace"
}
backup "objects" {
  sources  = [source.s3.objects]
  target   = target.local.bench
  strategy = "incremental"
}
HCL
	export BPLAN
}

# rclone_each DIRECTION DIR runs `rclone sync` once per bucket: "down" from
# each bucket to DIR/BUCKET, "up" from DIR/BUCKET to the bucket. rclone
# refuses an AWS_CA_BUNDLE (which a plain-HTTP endpoint does not use).
rclone_each() {
	local dir=$1 to=$2 b
	for b in "${BUCKETS[@]}"; do
		if [ "$dir" = down ]; then
			env -u AWS_CA_BUNDLE rclone sync "bench:$b" "$to/$b" || return 1
		else
			env -u AWS_CA_BUNDLE rclone sync "$to/$b" "bench:$b" || return 1
		fi
	done
}

# bucket_check KEY compares the buckets' listing (key, size, ETag: the MD5
# of a single-part object) with the one taken after the fill.
bucket_check() {
	"$S3BENCH" ls "${BUCKETS[@]}" >"$WORK/buckets.got"
	if cmp -s "$WORK/buckets.want" "$WORK/buckets.got"; then
		CHECK[$1]=exact
	else
		CHECK[$1]="DIFFERS ($(diff "$WORK/buckets.want" "$WORK/buckets.got" | grep -c '^[<>]') lines)"
	fi
	log "$1: buckets ${CHECK[$1]}"
}

bucket_part() {
	bucket_fill
	bucket_plan
	export RCOPY=$WORK/rclone-copy VDIR=$WORK/velin-dir
	export -f rclone_each
	export BUCKETS_S="${BUCKETS[*]}"
	log "velin: backup of the buckets"
	measure_s3 b.velin.first "$VELIN" -f "$BPLAN" backup create --backup objects
	repo_size b.velin.first "$WORK/bucket-repo"
	measure_s3 b.velin.unchanged "$VELIN" -f "$BPLAN" backup create --backup objects
	repo_size b.velin.unchanged "$WORK/bucket-repo"
	log "rclone: sync of the buckets to a directory"
	measure_s3 b.rclone.first bash -c 'read -r -a BUCKETS <<<"$BUCKETS_S"; rclone_each down "$RCOPY"'
	repo_size b.rclone.first "$RCOPY"
	measure_s3 b.rclone.unchanged bash -c 'read -r -a BUCKETS <<<"$BUCKETS_S"; rclone_each down "$RCOPY"'
	repo_size b.rclone.unchanged "$RCOPY"
	log "velin: restore --to DIR"
	measure_s3 b.velin.todir "$VELIN" -f "$BPLAN" backup restore latest --to "$VDIR" --yes
	local want got
	want=$("$GENDATA" treesum "$RCOPY") got=$("$GENDATA" treesum "$VDIR")
	if [ "$want" = "$got" ]; then CHECK[b.velin.todir]=exact; else CHECK[b.velin.todir]="DIFFERS ($got vs rclone's $want)"; fi
	log "velin --to DIR vs rclone's copy: ${CHECK[b.velin.todir]}"
	"$S3BENCH" purge "${BUCKETS[@]}"
	log "velin: restore into the emptied buckets"
	measure_s3 b.velin.restore "$VELIN" -f "$BPLAN" backup restore latest --source s3.objects --yes
	bucket_check b.velin.restore
	"$S3BENCH" purge "${BUCKETS[@]}"
	log "rclone: sync of the directory back into the emptied buckets"
	measure_s3 b.rclone.restore bash -c 'read -r -a BUCKETS <<<"$BUCKETS_S"; rclone_each up "$RCOPY"'
	bucket_check b.rclone.restore
}
