#!/usr/bin/env bash
# Lists every Go fuzz target as "./pkg/path:FuzzName", for `make fuzz-short`.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r f; do
	dir=$(dirname "$f")
	grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //' | while read -r fn; do
		echo "$dir:$fn"
	done
done
