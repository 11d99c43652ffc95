#!/usr/bin/env bash
# Checks that every committed guests/NAME.wasm is what guests/NAME.c builds to: rebuilds all guests into a
# temp folder and fails naming each .wasm that differs, is missing, or has no source. Without clang it
# prints a note and succeeds (the committed .wasm files are then used as they are).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "check-guests: $CLANG not found, guests not rebuilt; the committed .wasm files are used as they are"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$root/scripts/build-guests.sh" --out "$tmp" >/dev/null
shopt -s nullglob
bad=0
for c in "$root"/guests/*.c; do
  name=$(basename "$c" .c)
  if [ ! -f "$root/guests/$name.wasm" ]; then
    echo "check-guests: guests/$name.wasm is missing; run npm run guests and commit it" >&2
    bad=1
  elif ! cmp -s "$tmp/$name.wasm" "$root/guests/$name.wasm"; then
    echo "check-guests: guests/$name.wasm differs from what guests/$name.c builds to; run npm run guests and commit it" >&2
    bad=1
  fi
done
for w in "$root"/guests/*.wasm; do
  name=$(basename "$w" .wasm)
  if [ ! -f "$root/guests/$name.c" ]; then
    echo "check-guests: guests/$name.wasm has no guests/$name.c" >&2
    bad=1
  fi
done
[ "$bad" -eq 0 ] && echo "check-guests: $(ls "$tmp" | wc -l) guest(s) match their sources"
exit "$bad"
