#!/usr/bin/env bash
# Builds every guests/NAME.c into guests/NAME.wasm (wasm32-wasi, Debian's clang and wasi-libc).
#   scripts/build-guests.sh [--out DIR]     (default: guests/, next to the sources)
# guests/ may also hold shared headers (*.h): `#include "x.h"` finds them beside the source. A source may ask for
# more flags on a line of its own, `// cflags: -mbulk-memory` (test/testing and src/transform/testing read it too).
# The output is deterministic:
# the same sources and toolchain give the same bytes (scripts/check-guests.sh relies on it).
# Needs: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$root/guests"
out="$src"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    *) echo "usage: build-guests.sh [--out DIR]" >&2; exit 2 ;;
  esac
done
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "build-guests: $CLANG not found; install: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32" >&2
  exit 1
fi
CLANG_BIN=$(command -v "$CLANG")
mkdir -p "$out"
shopt -s nullglob
n=0
for c in "$src"/*.c; do
  name=$(basename "$c" .c)
  # Compile from inside guests/ with a relative source path so no absolute path can reach the output.
  # Compiled (-O2) and linked (no -O) in two steps: a link given -O runs any wasm-opt clang finds, on PATH
  # (`npm run` puts binaryen's there) or beside clang itself (Debian's binaryen puts one in /usr/bin), so
  # the output would depend on what is installed. PATH is emptied too; clang finds wasm-ld beside itself.
  read -r -a extra <<<"$(sed -n 's|^// cflags: ||p' "$c" | head -n 1)"
  (cd "$src" && env PATH=/nonexistent "$CLANG_BIN" --target=wasm32-wasi -O2 -Wall -Wextra -Werror \
    ${extra[@]+"${extra[@]}"} -c -o "$out/$name.o.tmp" "$name.c" &&
    env PATH=/nonexistent "$CLANG_BIN" --target=wasm32-wasi ${extra[@]+"${extra[@]}"} -Wl,--strip-debug \
    -o "$out/$name.wasm.tmp" "$out/$name.o.tmp")
  rm -f "$out/$name.o.tmp"
  chmod 644 "$out/$name.wasm.tmp"
  mv "$out/$name.wasm.tmp" "$out/$name.wasm"
  n=$((n + 1))
done
echo "build-guests: built $n guest(s) into ${out#"$root"/}"
