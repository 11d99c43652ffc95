// The state one WASI instance's syscalls work on, and the helpers every syscall group shares: fd
// lookup with a rights check, path strings from guest memory, stat encoding. Like wasmtime's
// WasiCtx: decoding and encoding only; all meaning lives in the kernel.
import { EILSEQ, EINVAL, ENAMETOOLONG, ENOTCAPABLE } from '../abi/errno.js';
import { PATH_MAX } from '../abi/open.js';
import type { FileType, Stat } from '../abi/stat.js';
import * as W from '../abi/wasi.js';
import { KernelError } from '../base/error.js';
import type { FdEntry } from '../kernel/fdtable.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Process } from '../kernel/process.js';
import type { PathStart } from '../vfs/vfs.js';
import type { GuestMemory } from './memory.js';

export interface Sys {
  readonly kernel: Kernel;
  readonly proc: Process;
  readonly mem: GuestMemory;
  /**
   * Present when the process runs under the scheduler (wasi/scheduler.ts): a call that must wait
   * records why and returns what this returns (the scheduler's unwind marker, typed as a number so the
   * syscall table keeps its type); the call is made again once the wait is over. Absent (amber do), a
   * call that must wait sleeps the host thread.
   */
  readonly suspend?: (wait: { untilNs: bigint | null; polling: boolean; bases: Array<[number, bigint]> }) => number;
  /** With suspend: the clock readings a call made again after its wait counts from (taken once). */
  readonly retryBases?: () => Array<[number, bigint]> | null;
}

/** The fd's entry if it grants every right in `rights`; EBADF if closed, ENOTCAPABLE otherwise. */
export function fdWith(sys: Sys, fd: number, rights: number): FdEntry {
  const e = sys.proc.fds.get(fd);
  if ((e.rightsBase & rights) !== rights) throw new KernelError(ENOTCAPABLE);
  return e;
}

/** Where a path relative to a directory fd starts; resolution stays beneath it (WASI capabilities). */
export function startAt(e: FdEntry): PathStart {
  return { at: e.file.vd, beneath: true };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Paths up to this many bytes are first tried as plain ASCII, byte by byte: a name like "f" costs a
 * tenth of a TextDecoder call. Past about 12 characters, building the string a character at a time
 * costs more than decoding it (measured on V8 with a Map lookup of the result).
 */
const SHORT_PATH = 12;

/**
 * A path argument from guest memory. EINVAL if it holds a NUL byte (no Linux path can), EILSEQ if it
 * is not UTF-8 (WASI paths are strings; wasmtime answers the same), ENAMETOOLONG from PATH_MAX bytes
 * on (Linux's getname counts the NUL a C string would need).
 */
export function pathArg(sys: Sys, ptr: number, len: number): string {
  // Kept this small so that V8 inlines it whole into each path syscall; the rest is apart.
  if (len <= SHORT_PATH) {
    // Plain ASCII without NUL is UTF-8 as it is; anything else takes the checks below.
    const s = sys.mem.ascii(ptr, len);
    if (s !== undefined) return s;
  }
  return longPathArg(sys, ptr, len);
}

/** pathArg past its short ASCII case. */
function longPathArg(sys: Sys, ptr: number, len: number): string {
  if (len > SHORT_PATH && len < PATH_MAX) {
    // A longer one the process passed lately (SQLite's journal and lock names): the same bytes passed the checks.
    const s = sys.mem.recentPath(ptr, len);
    if (s !== undefined) return s;
  }
  const bytes = sys.mem.bytes(ptr, len);
  if (len >= PATH_MAX) throw new KernelError(ENAMETOOLONG);
  if (bytes.includes(0)) throw new KernelError(EINVAL, 'path contains a NUL byte');
  let path: string;
  try {
    path = strictUtf8.decode(bytes);
  } catch {
    throw new KernelError(EILSEQ, 'path is not UTF-8');
  }
  if (len > SHORT_PATH) sys.mem.rememberPath(ptr, len, path);
  return path;
}

/** EINVAL unless v sets only bits of mask: a flags value with bits the witx type lacks is invalid. */
export function flagsArg(v: number, mask: number): number {
  if ((v & ~mask) !== 0) throw new KernelError(EINVAL);
  return v;
}

/** Writes a filestat struct at ptr. */
export function writeFilestat(mem: GuestMemory, ptr: number, st: Stat): void {
  mem.check(ptr, W.FILESTAT_SIZE);
  mem.setU64(ptr, st.dev);
  mem.setU64(ptr + W.FILESTAT_INO, st.ino);
  mem.setU8(ptr + W.FILESTAT_FILETYPE, W.wasiFiletype(st.type));
  mem.setU64(ptr + W.FILESTAT_NLINK, st.nlink);
  mem.setU64(ptr + W.FILESTAT_SIZE_FIELD, st.size);
  mem.setU64(ptr + W.FILESTAT_ATIM, st.atimeNs);
  mem.setU64(ptr + W.FILESTAT_MTIM, st.mtimeNs);
  mem.setU64(ptr + W.FILESTAT_CTIM, st.ctimeNs);
}

/** The rights a descriptor for a file of this type can hold at most. */
export function rightsFor(t: FileType, seekable: boolean): { base: number; inheriting: number } {
  if (t === 'dir') return { base: W.RIGHTS_DIRECTORY_BASE, inheriting: W.RIGHTS_DIRECTORY_INHERITING };
  let base = W.RIGHTS_FILE_BASE;
  if (!seekable) base &= ~(W.RIGHTS_FD_SEEK | W.RIGHTS_FD_TELL);
  return { base, inheriting: 0 };
}

/** A u64 from the guest as a safe integer offset or length; EINVAL past 2^53 (EFBIG for sizes). */
export function u64Arg(v: bigint, errno: number): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new KernelError(errno);
  return Number(v);
}
