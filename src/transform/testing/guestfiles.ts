// The committed guests (guests/*.wasm) as the transform's tests walk them, and which of them use SIMD (a
// guest whose source's `// cflags:` line has -msimd128): both engines take those too (v128 frames).
import { readdirSync, readFileSync } from 'node:fs';

export const GUEST_DIR = new URL('../../../guests/', import.meta.url);

/** Every committed guest module's file name ("hello.wasm"), sorted. */
export function guestFiles(): string[] {
  return readdirSync(GUEST_DIR).filter((f) => f.endsWith('.wasm')).sort();
}

/** Whether the guest file f was built with -msimd128 (its source's cflags line). */
export function builtWithSimd(f: string): boolean {
  const source = readFileSync(new URL(f.replace(/\.wasm$/, '.c'), GUEST_DIR), 'utf8');
  return /^\/\/ cflags:.*-msimd128/m.test(source);
}
