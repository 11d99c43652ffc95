#!/usr/bin/env bash
# The README's demo: programs under `amber do`, then a pod checkpointed mid-run and restored in another
# state root (a migration), its counter carrying on from where it stopped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
amber=./node_modules/.bin/amber
work=$(mktemp -d)
trap '"$amber" --root "$work/a" delete --force demo >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
echo "Hello from the host" >"$work/greeting.txt"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step amber do -- guests/hello.wasm from amber
"$amber" do -- guests/hello.wasm from amber
step amber do --dir "$work:/data" -- guests/cat.wasm /data/greeting.txt
"$amber" do --dir "$work:/data" -- guests/cat.wasm /data/greeting.txt

step amber --root "$work/a" pod run guests/ticker-pod.yaml --detach
"$amber" --root "$work/a" pod run guests/ticker-pod.yaml --detach
sleep 1.6
step amber --root "$work/a" checkpoint demo --image-path "$work/image"
"$amber" --root "$work/a" checkpoint demo --image-path "$work/image"
step amber --root "$work/a" logs demo
"$amber" --root "$work/a" logs demo
step amber --root "$work/a" state demo
"$amber" --root "$work/a" state demo | grep '"status"'
step amber --root "$work/b" restore --image-path "$work/image"
"$amber" --root "$work/b" restore --image-path "$work/image"
