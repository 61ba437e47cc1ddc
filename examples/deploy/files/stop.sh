#!/bin/sh
# Stops the running release (run by velin in root); nothing running is fine.
[ -f api.pid ] || exit 0
pid=$(cat api.pid)
kill "$pid" 2>/dev/null || true
# Wait until it is gone (a zombie left to an init that does not reap counts as gone).
i=0
while [ $i -lt 50 ]; do
  state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
  case "$state" in ""|Z*) break ;; esac
  sleep 0.1; i=$((i+1))
done
rm -f api.pid
