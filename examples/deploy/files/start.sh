#!/bin/sh
# Starts the current release in the background (run by velin in root).
# $1 is the listen address. Idempotent: velin runs it again when it
# resumes a deploy that a crash interrupted after the start; a service
# already running (not a zombie) is left alone.
set -e
if [ -f api.pid ]; then
  state=$(ps -o stat= -p "$(cat api.pid)" 2>/dev/null || true)
  case "$state" in ""|Z*) ;; *) exit 0 ;; esac
fi
./current/api/api migrate up
nohup ./current/api/api serve -addr "$1" -config ../config/app.conf >> api.log 2>&1 &
echo $! > api.pid
