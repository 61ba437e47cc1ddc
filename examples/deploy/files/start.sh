#!/bin/sh
# Starts the current release in the background (run by velin in root).
# $1 is the listen address.
set -e
./current/api/api migrate up
nohup ./current/api/api serve -addr "$1" -config ../config/app.conf >> api.log 2>&1 &
echo $! > api.pid
