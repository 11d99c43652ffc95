// The optional `amber` import module (DESIGN.md §1): what WASI preview 1 lacks and tests need, with
// Linux's semantics — mount(2) and umount2(2). Paths are absolute C strings resolved in the caller's
// mount namespace; a NULL or empty string means "none"; the result is 0 or a WASI errno.
import { wasiErrno } from '../abi/wasi_errno.js';
import { KernelError } from '../base/error.js';
import { mount, umount } from '../kernel/mount.js';
import type { Sys } from './sys.js';

function optString(sys: Sys, ptr: number): string | null {
  if (ptr === 0) return null;
  const s = sys.mem.cString(ptr);
  return s === '' ? null : s;
}

function guarded(fn: () => void): number {
  try {
    fn();
    return 0;
  } catch (e) {
    if (e instanceof KernelError) return wasiErrno(e.errno);
    throw e;
  }
}

export function amberImports(sys: Sys): Record<string, (...args: Array<number | bigint>) => number> {
  return {
    mount: (source, target, fstype, flags, data) =>
      guarded(() => {
        const t = optString(sys, Number(target));
        const f = BigInt.asUintN(64, BigInt(flags));
        mount(sys.proc, optString(sys, Number(source)), t ?? '', optString(sys, Number(fstype)), Number(f & 0xffffffffn), optString(sys, Number(data)));
      }),
    umount: (target, flags) =>
      guarded(() => {
        umount(sys.proc, optString(sys, Number(target)) ?? '', Number(flags));
      }),
  };
}
