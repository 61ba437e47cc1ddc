# The report of s3.sh (sourced): markdown tables from T, RSS, SIZE, REQ,
# OPS, UP, DOWN and CHECK.

report() {
	echo "### S3 benchmark run ($(date -u +%Y-%m-%dT%H:%MZ))"
	echo
	echo "velin $(git -C "$ROOT" rev-parse --short HEAD); $(restic version | head -n1); $(rclone version | head -n1);" \
		"MinIO $(sed -n 's/^version=//p' "$ROOT/scripts/minio.sh")."
	echo "Machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM."
	echo "uptime before: \`$UPTIME_BEFORE\`; after: \`$(uptime)\`."
	local part
	for part in "${PART_LIST[@]}"; do "report_$part"; done
	echo
	echo "Requests are counted by the proxy in front of MinIO (scripts/bench/s3bench), the same way for"
	echo "every tool; sent/received are the HTTP bodies; MinIO + proxy CPU is the user and system time"
	echo "the server side used during the step, tool CPU the user and system time of the tool itself. Stored: the objects under the repository's"
	echo "prefix (repo), \`du -sb\` (bucket part). Each step starts after a \`sync\`."
}

report_repo() {
	echo
	echo "#### Repository on S3: restic vs velin"
	echo
	echo "Tree: gendata \`-files $S3_FILES -large-size $S3_LARGE\`, $DATA_FILES files, $(bytes_to_mb "$DATA_BYTES") MB;" \
		"mutate changed $(bytes_to_mb "$CHANGED") MB. Restores: restic ${CHECK[restic]}, velin ${CHECK[velin]} (gendata treesum)."
	echo
	echo "| step | restic s | velin s | restic/velin time | restic requests | velin requests | restic peak RSS MiB | velin peak RSS MiB | restic stored MB | velin stored MB |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	local s label
	for s in first unchanged mutated restore; do
		label=$(step_label "$s")
		echo "| $label | ${T[restic.$s]} | ${T[velin.$s]} | $(ratio "${T[restic.$s]}" "${T[velin.$s]}") | ${REQ[restic.$s]} | ${REQ[velin.$s]} | $(kib_to_mib "${RSS[restic.$s]}") | $(kib_to_mib "${RSS[velin.$s]}") | $(bytes_to_mb "${SIZE[restic.$s]:-}") | $(bytes_to_mb "${SIZE[velin.$s]:-}") |"
	done
	echo
	echo "Targets (velin at least 1.5x restic's speed, no more requests):"
	echo "- first backup with restic's init (velin creates its repository in its first backup): requests" \
		"$((${REQ[velin.init]:-0} + ${REQ[velin.first]:-0})) vs $((${REQ[restic.init]:-0} + ${REQ[restic.first]:-0}))" \
		"($(at_most "$((${REQ[velin.init]:-0} + ${REQ[velin.first]:-0}))" "$((${REQ[restic.init]:-0} + ${REQ[restic.first]:-0}))"))"
	local rfirst vfirst
	rfirst=$(awk -v a="${T[restic.init]:-0}" -v b="${T[restic.first]}" 'BEGIN { printf "%.2f", a + b }')
	vfirst=$(awk -v a="${T[velin.init]:-0}" -v b="${T[velin.first]}" 'BEGIN { printf "%.2f", a + b }')
	echo "- first backup from nothing (restic init ${T[restic.init]:-?} s + backup; velin's backup creates its repository," \
		"its init only writes the plan, ${T[velin.init]:-?} s): $rfirst vs $vfirst s, speed $(ratio "$rfirst" "$vfirst")x" \
		"($(at_least "$(ratio "$rfirst" "$vfirst")" 1.5))"
	for s in first unchanged mutated restore; do
		echo "- $(step_label "$s"): speed $(ratio "${T[restic.$s]}" "${T[velin.$s]}")x ($(at_least "$(ratio "${T[restic.$s]}" "${T[velin.$s]}")" 1.5));" \
			"requests ${REQ[velin.$s]} vs ${REQ[restic.$s]} ($(at_most "${REQ[velin.$s]}" "${REQ[restic.$s]}"))"
	done
	echo
	echo "| step | tool | requests by operation | sent MB | received MB | tool CPU s | MinIO + proxy CPU s |"
	echo "|---|---|---|---:|---:|---:|---:|"
	for s in init first unchanged mutated restore; do
		ops_row "$(step_label "$s")" restic "restic.$s"
		ops_row "$(step_label "$s")" velin "velin.$s"
	done
}

report_bucket() {
	echo
	echo "#### Buckets: velin's source \"s3\" vs rclone sync"
	echo
	echo "$BUCKET_OBJECTS objects in ${#BUCKETS[@]} buckets, $(bytes_to_mb "$BUCKET_BYTES") MB (class: min–max bytes, objects, bytes):" \
		"$(awk '$1 != "total" { printf "%s%s %s–%s: %s, %.1f MB", (NR > 1 ? "; " : ""), $1, $2, $3, $4, $5 / 1e6 }' "$OUT/fill.txt");" \
		"half text (compressible), half random, by object."
	echo "Checks: velin restore into the buckets ${CHECK[b.velin.restore]}, rclone's ${CHECK[b.rclone.restore]} (listing: keys, sizes, ETags);" \
		"velin --to DIR vs rclone's directory ${CHECK[b.velin.todir]} (gendata treesum)."
	echo
	echo "| step | rclone s | velin s | rclone/velin time | rclone requests | velin requests | rclone peak RSS MiB | velin peak RSS MiB | rclone stored MB | velin stored MB |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	local s
	for s in first unchanged restore; do
		echo "| $(bucket_label "$s") | ${T[b.rclone.$s]} | ${T[b.velin.$s]} | $(ratio "${T[b.rclone.$s]}" "${T[b.velin.$s]}") | ${REQ[b.rclone.$s]} | ${REQ[b.velin.$s]} | $(kib_to_mib "${RSS[b.rclone.$s]}") | $(kib_to_mib "${RSS[b.velin.$s]}") | $(bytes_to_mb "${SIZE[b.rclone.$s]:-}") | $(bytes_to_mb "${SIZE[b.velin.$s]:-}") |"
	done
	echo "| velin restore --to DIR (no S3) | | ${T[b.velin.todir]} | | | ${REQ[b.velin.todir]} | | $(kib_to_mib "${RSS[b.velin.todir]}") | | |"
	echo
	echo "| step | tool | requests by operation | sent MB | received MB | tool CPU s | MinIO + proxy CPU s |"
	echo "|---|---|---|---:|---:|---:|---:|"
	for s in first unchanged restore; do
		ops_row "$(bucket_label "$s")" rclone "b.rclone.$s"
		ops_row "$(bucket_label "$s")" velin "b.velin.$s"
	done
}

step_label() {
	case $1 in
	init) echo "init" ;;
	first) echo "first backup" ;;
	unchanged) echo "backup, nothing changed" ;;
	mutated) echo "backup after mutate" ;;
	restore) echo "restore (latest)" ;;
	esac
}

bucket_label() {
	case $1 in
	first) echo "backup (rclone: sync to a directory)" ;;
	unchanged) echo "again, nothing changed" ;;
	restore) echo "restore into the emptied buckets" ;;
	esac
}

# ops_row LABEL TOOL KEY prints one row of a requests-by-operation table.
ops_row() {
	[ -n "${REQ[$3]:-}" ] || return 0
	echo "| $1 | $2 | ${OPS[$3]} | $(bytes_to_mb "${UP[$3]}") | $(bytes_to_mb "${DOWN[$3]}") | ${CPU[$3]:-} | ${SRV[$3]:-} |"
}

# at_least GOT WANT prints "met" when GOT >= WANT, else "missed".
at_least() {
	awk -v g="$1" -v w="$2" 'BEGIN { if (g == "" || g == "n/a") print "n/a"; else if (g + 0 >= w + 0) print "met"; else print "missed" }'
}

# at_most GOT LIMIT prints "met" when GOT <= LIMIT, else "missed".
at_most() {
	awk -v g="$1" -v l="$2" 'BEGIN { if (g == "" || g == "n/a") print "n/a"; else if (g + 0 <= l + 0) print "met"; else print "missed" }'
}
