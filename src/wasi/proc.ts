// Process-level calls of WASI preview 1: arguments and environment, clocks, randomness, exit,
// signals and yielding.
import { EINVAL, ENOSYS } from '../abi/errno.js';
import * as W from '../abi/wasi.js';
import { KernelError } from '../base/error.js';
import { GuestMemory } from './memory.js';
import type { Sys } from './sys.js';

/** Thrown by proc_exit to unwind the guest; the runner turns it into the exit status. */
export class ProcExit {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

function sizes(sys: Sys, list: readonly string[], countPtr: number, bufSizePtr: number): number {
  let size = 0;
  for (const s of list) size += GuestMemory.encode(s).length + 1;
  sys.mem.check(countPtr, 4);
  sys.mem.check(bufSizePtr, 4);
  sys.mem.setU32(countPtr, list.length);
  sys.mem.setU32(bufSizePtr, size);
  return 0;
}

function strings(sys: Sys, list: readonly string[], ptrs: number, buf: number): number {
  sys.mem.check(ptrs, list.length * 4);
  sys.mem.check(buf, list.reduce((n, s) => n + GuestMemory.encode(s).length + 1, 0));
  let at = buf;
  list.forEach((s, i) => {
    const bytes = GuestMemory.encode(s);
    sys.mem.write(at, bytes);
    sys.mem.setU8(at + bytes.length, 0);
    sys.mem.setU32(ptrs + i * 4, at);
    at += bytes.length + 1;
  });
  return 0;
}

export function args_sizes_get(sys: Sys, argc: number, bufSize: number): number {
  return sizes(sys, sys.proc.argv, argc, bufSize);
}

export function args_get(sys: Sys, argv: number, buf: number): number {
  return strings(sys, sys.proc.argv, argv, buf);
}

export function environ_sizes_get(sys: Sys, count: number, bufSize: number): number {
  return sizes(sys, sys.proc.env, count, bufSize);
}

export function environ_get(sys: Sys, environ: number, buf: number): number {
  return strings(sys, sys.proc.env, environ, buf);
}

/** The value of clock id now, in nanoseconds; EINVAL for an unknown clock. */
export function clockNow(sys: Sys, id: number): bigint {
  switch (id) {
    case W.CLOCKID_REALTIME: return sys.kernel.realtimeNs();
    case W.CLOCKID_MONOTONIC: return sys.kernel.monotonicNs();
    case W.CLOCKID_PROCESS_CPUTIME_ID:
    case W.CLOCKID_THREAD_CPUTIME_ID: return sys.kernel.clock.cputimeNs();
    default: throw new KernelError(EINVAL);
  }
}

export function clock_res_get(sys: Sys, id: number, out: number): number {
  clockNow(sys, id);
  sys.mem.check(out, 8);
  sys.mem.setU64(out, 1000n);
  return 0;
}

export function clock_time_get(sys: Sys, id: number, _precision: bigint, out: number): number {
  sys.mem.check(out, 8);
  sys.mem.setU64(out, clockNow(sys, id));
  return 0;
}

export function random_get(sys: Sys, buf: number, len: number): number {
  sys.kernel.random.fill(sys.mem.writable(buf, len));
  return 0;
}

export function proc_exit(_sys: Sys, code: number): never {
  throw new ProcExit(code >>> 0);
}

export function proc_raise(_sys: Sys, sig: number): number {
  if (sig < 0 || sig > 30) throw new KernelError(EINVAL);
  throw new KernelError(ENOSYS);
}

export function sched_yield(_sys: Sys): number {
  return 0;
}
