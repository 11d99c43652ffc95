// The wasi_snapshot_preview1 import table: all 46 calls, each wrapped so a KernelError becomes its
// WASI errno (the one conversion, abi/wasi_errno.ts). Anything else thrown is a kernel bug, or
// ProcExit, and propagates to the runner.
import { wasiErrno } from '../abi/wasi_errno.js';
import { KernelError } from '../base/error.js';
import * as fd from './fd.js';
import * as path from './path.js';
import * as poll from './poll.js';
import * as proc from './proc.js';
import * as sock from './sock.js';
import type { Sys } from './sys.js';

type Syscall = (sys: Sys, ...args: never[]) => number;

const table = {
  args_get: proc.args_get,
  args_sizes_get: proc.args_sizes_get,
  environ_get: proc.environ_get,
  environ_sizes_get: proc.environ_sizes_get,
  clock_res_get: proc.clock_res_get,
  clock_time_get: proc.clock_time_get,
  fd_advise: fd.fd_advise,
  fd_allocate: fd.fd_allocate,
  fd_close: fd.fd_close,
  fd_datasync: fd.fd_datasync,
  fd_fdstat_get: fd.fd_fdstat_get,
  fd_fdstat_set_flags: fd.fd_fdstat_set_flags,
  fd_fdstat_set_rights: fd.fd_fdstat_set_rights,
  fd_filestat_get: fd.fd_filestat_get,
  fd_filestat_set_size: fd.fd_filestat_set_size,
  fd_filestat_set_times: fd.fd_filestat_set_times,
  fd_pread: fd.fd_pread,
  fd_prestat_get: fd.fd_prestat_get,
  fd_prestat_dir_name: fd.fd_prestat_dir_name,
  fd_pwrite: fd.fd_pwrite,
  fd_read: fd.fd_read,
  fd_readdir: fd.fd_readdir,
  fd_renumber: fd.fd_renumber,
  fd_seek: fd.fd_seek,
  fd_sync: fd.fd_sync,
  fd_tell: fd.fd_tell,
  fd_write: fd.fd_write,
  path_create_directory: path.path_create_directory,
  path_filestat_get: path.path_filestat_get,
  path_filestat_set_times: path.path_filestat_set_times,
  path_link: path.path_link,
  path_open: path.path_open,
  path_readlink: path.path_readlink,
  path_remove_directory: path.path_remove_directory,
  path_rename: path.path_rename,
  path_symlink: path.path_symlink,
  path_unlink_file: path.path_unlink_file,
  poll_oneoff: poll.poll_oneoff,
  proc_exit: proc.proc_exit,
  proc_raise: proc.proc_raise,
  sched_yield: proc.sched_yield,
  random_get: proc.random_get,
  sock_accept: sock.sock_accept,
  sock_recv: sock.sock_recv,
  sock_send: sock.sock_send,
  sock_shutdown: sock.sock_shutdown,
} satisfies Record<string, Syscall>;

export type WasiCallName = keyof typeof table;
export const WASI_CALLS = Object.keys(table) as WasiCallName[];

/** An argument as WebAssembly hands it over: an i32 as a number, an i64 as a bigint. */
type Arg = number | bigint;
type Import = (...args: Arg[]) => number;
type Call = (sys: Sys, ...args: Arg[]) => number;

/** Every i32 of preview 1 is unsigned (pointers, lengths, fds, flags); JS receives them signed. */
function u(a: Arg): Arg {
  return typeof a === 'number' ? a >>> 0 : a;
}

/** A KernelError as its WASI errno; anything else propagates. */
function errnoOf(e: unknown): number {
  if (e instanceof KernelError) return wasiErrno(e.errno);
  throw e;
}

/**
 * fn as an import: arguments made unsigned, a KernelError returned as its errno. One wrapper per
 * arity (fn's own, less sys), so a call builds no rest array and runs no loop over its arguments.
 */
function wrap(sys: Sys, name: string, fn: Call): Import {
  switch (fn.length - 1) {
    case 0: return () => { try { return fn(sys); } catch (e) { return errnoOf(e); } };
    case 1: return (a) => { try { return fn(sys, u(a)); } catch (e) { return errnoOf(e); } };
    case 2: return (a, b) => { try { return fn(sys, u(a), u(b)); } catch (e) { return errnoOf(e); } };
    case 3: return (a, b, c) => { try { return fn(sys, u(a), u(b), u(c)); } catch (e) { return errnoOf(e); } };
    case 4: return (a, b, c, d) => { try { return fn(sys, u(a), u(b), u(c), u(d)); } catch (e) { return errnoOf(e); } };
    case 5: return (a, b, c, d, e5) => {
      try { return fn(sys, u(a), u(b), u(c), u(d), u(e5)); } catch (e) { return errnoOf(e); }
    };
    case 6: return (a, b, c, d, e5, f) => {
      try { return fn(sys, u(a), u(b), u(c), u(d), u(e5), u(f)); } catch (e) { return errnoOf(e); }
    };
    case 7: return (a, b, c, d, e5, f, g) => {
      try { return fn(sys, u(a), u(b), u(c), u(d), u(e5), u(f), u(g)); } catch (e) { return errnoOf(e); }
    };
    case 8: return (a, b, c, d, e5, f, g, h) => {
      try { return fn(sys, u(a), u(b), u(c), u(d), u(e5), u(f), u(g), u(h)); } catch (e) { return errnoOf(e); }
    };
    case 9: return (a, b, c, d, e5, f, g, h, i) => {
      try { return fn(sys, u(a), u(b), u(c), u(d), u(e5), u(f), u(g), u(h), u(i)); } catch (e) { return errnoOf(e); }
    };
    default: throw new Error(`wasi: ${name} takes ${fn.length - 1} arguments, more than any wrapper (a kernel bug)`);
  }
}

/**
 * The stat calls a program makes in its loops, each wrapped by a function of its own. wrap's closures of
 * one arity share one feedback vector (they come from one function literal), so their call of fn sees
 * every syscall of that arity: V8 neither inlines the syscall into the wrapper nor keeps optimized code
 * for it once a second syscall of the arity comes ("wrong call target"). Same conversions as wrap's.
 */
function ownWrappers(sys: Sys): Partial<Record<WasiCallName, Import>> {
  return {
    fd_filestat_get: (a, b) => {
      try { return fd.fd_filestat_get(sys, (a as number) >>> 0, (b as number) >>> 0); } catch (e) { return errnoOf(e); }
    },
    path_filestat_get: (a, b, c, d, e5) => {
      try {
        return path.path_filestat_get(sys, (a as number) >>> 0, (b as number) >>> 0, (c as number) >>> 0, (d as number) >>> 0, (e5 as number) >>> 0);
      } catch (e) {
        return errnoOf(e);
      }
    },
  };
}

/** The import object for one instance; sys.mem must be set before the guest makes its first call. */
export function wasiImports(sys: Sys): Record<WasiCallName, Import> {
  const out = {} as Record<WasiCallName, Import>;
  const own = ownWrappers(sys);
  for (const name of WASI_CALLS) out[name] = own[name] ?? wrap(sys, name, table[name] as unknown as Call);
  return out;
}
