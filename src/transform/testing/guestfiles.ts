// The committed guests (guests/*.wasm) as the transform's tests walk them: all, or those the lean
// transform takes itself. A guest whose source's `// cflags:` line has -msimd128 uses SIMD, which the
// lean transform refuses (Binaryen's transform takes it: transform.test, test/modules).
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

/** The guests the lean transform takes itself: all but those built with SIMD. */
export function leanGuestFiles(): string[] {
  return guestFiles().filter((f) => !builtWithSimd(f));
}
