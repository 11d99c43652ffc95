#!/usr/bin/env bash
# The README's demo: runs the guests the repository ships under `amber do`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
amber=./node_modules/.bin/amber
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "Hello from the host" >"$work/greeting.txt"

echo '$ amber do -- guests/hello.wasm from amber'
"$amber" do -- guests/hello.wasm from amber
echo
echo "\$ amber do --dir $work:/data -- guests/cat.wasm /data/greeting.txt"
"$amber" do --dir "$work:/data" -- guests/cat.wasm /data/greeting.txt
echo
echo '$ amber do -- guests/ls.wasm /dev'
"$amber" do -- guests/ls.wasm /dev
