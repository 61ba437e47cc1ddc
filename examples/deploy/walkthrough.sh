#!/bin/sh
# walkthrough.sh [VELIN]: versions, a deploy, a failed deploy returned from
# automatically, a committed transaction and a rollback to an older version
# with its down migration, in a new temporary directory.
set -u
here=$(cd "$(dirname "$0")" && pwd)
velin=${1:-velin}
work=$(mktemp -d)
export VELIN_STATE_DIR="$work/state"
cp "$here/velin.hcl" "$work/" && cp -r "$here/config" "$work/"
cd "$work" || exit 1
step() { printf '\n== %s\n$ %s\n' "$1" "$2"; sh -c "$2"; echo "(exit $?)"; }

sh "$here/build.sh" "$work/build/api" true 1
step "Store v1.0.0 (one migration)" "$velin rollback create-version 'v1.0.0 - First release'"
step "Deploy it" "$velin rollback to-version v1.0.0"
step "It answers" "curl -s http://127.0.0.1:18080/"

sh "$here/build.sh" "$work/build/api" false 2
step "Store v1.1.0, a build whose health check fails" "$velin rollback create-version 'v1.1.0 - Broken build'"
step "Deploy it: velin returns to v1.0.0 by itself (exit 3)" "$velin rollback to-version v1.1.0"

sh "$here/build.sh" "$work/build/api" true 2
step "Snapshot v1.2.0's artifacts with the config" "$velin rollback create-version 'v1.2.0 - Emails' && $velin rollback create-snapshot 'Pre-Upgrade Snapshot'"
step "Deploy v1.2.0 inside a transaction" "$velin rollback begin --timeout 2m && $velin rollback to-version v1.2.0 && $velin rollback commit"
step "Schema 2 now" "curl -s http://127.0.0.1:18080/"
step "List" "$velin rollback list"
step "Back to v1.0.0: migrates down to 1 with v1.2.0's files first" "$velin rollback to-version v1.0.0"
step "Schema 1 again" "curl -s http://127.0.0.1:18080/"
step "The plan shows the deployment" "$velin plan"
(cd "$work/srv" && sh ./current/api/stop.sh)
printf '\nEverything is in %s\n' "$work"
