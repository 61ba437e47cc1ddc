# Tool adapters for run.sh (sourced). Each tool has <tool>_init, <tool>_backup
# and <tool>_restore DIR; they run in the current directory with REPO (the
# tool's repository), DATA (the tree) and WORK (scratch) set.

restic_init() {
	export RESTIC_PASSWORD=velin-bench-passphrase RESTIC_CACHE_DIR="$WORK/restic-cache"
	restic -r "$REPO" init
}
restic_backup() { restic -r "$REPO" backup "$DATA"; }
restic_restore() { restic -r "$REPO" restore latest --target "$1"; }

# velin reads its repository from a plan; velin_init writes it.
velin_init() {
	export VELIN_PASSPHRASE=velin-bench-passphrase
	PLAN="$WORK/bench.hcl"
	cat >"$PLAN" <<HCL
target "local" "bench" {
  path       = "$REPO"
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "data" {
  paths = ["$DATA"]
}
backup "bench" {
  sources  = [source.files.data]
  target   = target.local.bench
  strategy = "incremental"
}
HCL
}
velin_backup() { "$VELIN" -f "$PLAN" backup create --backup bench; }

# velin_restore restores the newest snapshot. VELIN_SNAPSHOT overrides the id;
# without it "latest" is tried, then the newest id from `backup list --json`.
velin_restore() {
	local id=${VELIN_SNAPSHOT:-latest}
	if "$VELIN" -f "$PLAN" backup restore "$id" --to "$1" --yes; then return 0; fi
	[ -z "${VELIN_SNAPSHOT:-}" ] || return 1
	id=$("$VELIN" -f "$PLAN" backup list --json | velin_newest_id)
	[ -n "$id" ] && [ "$id" != null ] || { echo "no snapshot id in backup list --json" >&2; return 1; }
	echo "retrying restore with snapshot $id" >&2
	rm -rf "$1" && mkdir -p "$1"
	"$VELIN" -f "$PLAN" backup restore "$id" --to "$1" --yes
}

# velin_newest_id reads `backup list --json` (an array, or an object with a
# "snapshots" array) and prints the id of the newest snapshot.
velin_newest_id() {
	jq -r '(if type == "array" then . else (.snapshots // .Snapshots // []) end)
		| sort_by(.time // .Time // .created // .Created // "") | last
		| (.id // .ID // .short_id // .Id // empty)'
}
