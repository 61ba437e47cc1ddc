#!/bin/sh
# build.sh OUT HEALTHY MIGRATIONS: builds the api into OUT (binary, start.sh,
# stop.sh and the first MIGRATIONS migrations), healthy (true) or not (false).
set -e
here=$(cd "$(dirname "$0")" && pwd)
out=$1; healthy=$2; n=$3
rm -rf "$out" && mkdir -p "$out/migrations"
(cd "$here" && go build -ldflags "-X main.healthy=$healthy" -o "$out/api" ./api)
cp "$here/files/start.sh" "$here/files/stop.sh" "$out/"
for f in $(ls "$here/files/migrations" | head -n "$n"); do cp "$here/files/migrations/$f" "$out/migrations/"; done
