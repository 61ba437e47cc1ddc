# report prints the markdown results table (sourced by run.sh, which fills
# T, RSS, SIZE, CHECK, CHANGED, DATA_BYTES, DATA_FILES and TOOL_LIST).

report() {
	local tool
	echo "## velin vs restic ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs$([ "$QUICK" = 1 ] && echo ', QUICK'))"
	echo
	echo "Dataset: $DATA_FILES files, $(bytes_to_mb "$DATA_BYTES") MB; mutate changed $(bytes_to_mb "$CHANGED") MB."
	echo "Tools: $(restic version 2>/dev/null | head -n1 || echo 'restic n/a'); velin $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')."
	echo
	echo "| step | restic s | velin s | restic/velin time | restic MB/s | velin MB/s | restic peak RSS MiB | velin peak RSS MiB | restic repo MB | velin repo MB |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	report_row "first backup" first
	report_row "backup, nothing changed" unchanged
	report_row "backup after mutate" mutated
	report_row "restore (latest)" restore
	echo "| tar \\| zstd -T0 (reference) | ${T[zstd.first]} | | | $(mbps "$DATA_BYTES" "${T[zstd.first]}") | | $(kib_to_mib "${RSS[zstd.first]:-}") | | $(bytes_to_mb "${SIZE[zstd.first]}") | |"
	echo
	report_delta restic
	report_delta velin
	for tool in "${TOOL_LIST[@]}"; do
		echo "- $tool restore vs source (gendata treesum): ${CHECK[$tool]}"
	done
	echo
	echo "MB/s is the dataset size divided by the step's wall time (for the incremental backups: the bytes"
	echo "covered, not the bytes read). Each step starts after a \`sync\`."
	echo "Ratios: restic/velin > 1 means velin is faster. Stored/changed is the repository growth of the"
	echo "backup after mutate divided by the bytes mutate changed (lower is better; compression can push it below 1)."
}

# report_row LABEL STEP prints one table row; restore has no repo size.
report_row() {
	local label=$1 step=$2 rt vt rs vs
	rt=${T[restic.$step]:-} vt=${T[velin.$step]:-}
	rs=${SIZE[restic.$step]:-} vs=${SIZE[velin.$step]:-}
	echo "| $label | ${rt:-n/a} | ${vt:-n/a} | $(ratio "$rt" "$vt") | $(mbps "$DATA_BYTES" "$rt") | $(mbps "$DATA_BYTES" "$vt") | $(kib_to_mib "${RSS[restic.$step]:-}") | $(kib_to_mib "${RSS[velin.$step]:-}") | $(bytes_to_mb "$rs") | $(bytes_to_mb "$vs") |"
}

# report_delta TOOL prints what TOOL stored for the mutation.
report_delta() {
	local tool=$1 before after
	before=${SIZE[$tool.unchanged]:-} after=${SIZE[$tool.mutated]:-}
	if [ -z "$before" ] || [ -z "$after" ]; then
		echo "- $tool: not run"
		return
	fi
	local delta=$((after - before))
	echo "- $tool stored after mutation: $(bytes_to_mb "$delta") MB; stored/changed = $(ratio "$delta" "$CHANGED")"
}
