// The fd_* calls of WASI preview 1: I/O, seeking, descriptor flags and rights, attributes, directory
// listing and preopens. Each decodes guest memory, calls the kernel, and encodes the answer.
import { EAGAIN, EBADF, EFBIG, EINVAL, ENAMETOOLONG, ENOTCAPABLE, ESPIPE } from '../abi/errno.js';
import { O_APPEND, O_DSYNC, O_NONBLOCK, O_SYNC, SEEK_CUR } from '../abi/open.js';
import type { SetStat } from '../abi/stat.js';
import * as W from '../abi/wasi.js';
import { KernelError } from '../base/error.js';
import { GuestMemory } from './memory.js';
import type { FdEntry } from '../kernel/fdtable.js';
import { fdWith, u64Arg, writeFilestat, type Sys } from './sys.js';

/** One read(2) or write(2) on an open file description, moving as many bytes of buf as it can. */
type Transfer = (file: FdEntry['file'], buf: Uint8Array) => number;
const WRITE: Transfer = (file, buf) => file.write(buf);
const READ: Transfer = (file, buf) => file.read(buf);

export function fd_write(sys: Sys, fd: number, iovs: number, iovsLen: number, nwritten: number): number {
  return transferIovecs(sys, fdWith(sys, fd, W.RIGHTS_FD_WRITE).file, iovs, iovsLen, nwritten, WRITE, false);
}

export function fd_read(sys: Sys, fd: number, iovs: number, iovsLen: number, nread: number): number {
  return transferIovecs(sys, fdWith(sys, fd, W.RIGHTS_FD_READ).file, iovs, iovsLen, nread, READ, true);
}

/**
 * fd_write and fd_read: each iovec in turn until one is short, the count stored at done. One iovec is
 * far more common than several (a plain write(2) or read(2)), so that case skips the list; it behaves
 * exactly as the loop would with one entry. EAGAIN on a blocking descriptor (no room yet for a writer
 * whose reader is behind, nothing yet for a reader) makes the process wait under the scheduler and the
 * call be made again, nothing having moved; O_NONBLOCK, or bytes already moved, answer now. into: the
 * op writes into the buffers (a read), which are then marked written (GuestMemory.writable).
 */
function transferIovecs(sys: Sys, file: FdEntry['file'], iovs: number, iovsLen: number, done: number, op: Transfer, into: boolean): number {
  const mem = sys.mem;
  let total = 0;
  try {
    if (iovsLen === 1) {
      const buf = mem.iovec(iovs, into);
      if (buf.length !== 0) total = op(file, buf);
    } else {
      for (const buf of mem.iovecs(iovs, iovsLen, into)) {
        if (buf.length === 0) continue;
        const n = op(file, buf);
        total += n;
        if (n < buf.length) break;
      }
    }
  } catch (e) {
    if (!(e instanceof KernelError) || e.errno !== EAGAIN) throw e;
    if (total === 0 && (file.statusFlags & O_NONBLOCK) === 0 && sys.suspend !== undefined) {
      return sys.suspend({ untilNs: null, polling: true, bases: [] });
    }
    if (total === 0) throw e;
  }
  mem.setU32(done, total);
  return 0;
}

export function fd_pwrite(sys: Sys, fd: number, iovs: number, iovsLen: number, offset: bigint, nwritten: number): number {
  const file = fdWith(sys, fd, W.RIGHTS_FD_WRITE | W.RIGHTS_FD_SEEK).file;
  let at = u64Arg(offset, EINVAL);
  let total = 0;
  for (const buf of sys.mem.iovecs(iovs, iovsLen)) {
    if (buf.length === 0) continue;
    const n = file.pwrite(buf, at, true); // POSIX: O_APPEND does not move a positioned write
    total += n;
    at += n;
    if (n < buf.length) break;
  }
  sys.mem.setU32(nwritten, total);
  return 0;
}

export function fd_pread(sys: Sys, fd: number, iovs: number, iovsLen: number, offset: bigint, nread: number): number {
  const file = fdWith(sys, fd, W.RIGHTS_FD_READ | W.RIGHTS_FD_SEEK).file;
  let at = u64Arg(offset, EINVAL);
  let total = 0;
  for (const buf of sys.mem.iovecs(iovs, iovsLen, true)) {
    if (buf.length === 0) continue;
    const n = file.pread(buf, at);
    total += n;
    at += n;
    if (n < buf.length) break;
  }
  sys.mem.setU32(nread, total);
  return 0;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

export function fd_seek(sys: Sys, fd: number, offset: bigint, whence: number, newOffset: number): number {
  const tellOnly = offset === 0n && whence === W.WHENCE_CUR;
  const file = fdWith(sys, fd, tellOnly ? W.RIGHTS_FD_TELL : W.RIGHTS_FD_SEEK).file;
  if (whence !== W.WHENCE_SET && whence !== W.WHENCE_CUR && whence !== W.WHENCE_END) throw new KernelError(EINVAL);
  // An i64 from WebAssembly is signed already: no BigInt is made for an offset that is a safe integer.
  const off = offset > MAX_SAFE || offset < MIN_SAFE ? BigInt.asIntN(64, offset) : offset;
  if (off > MAX_SAFE || off < MIN_SAFE) throw new KernelError(EINVAL);
  sys.mem.check(newOffset, 8);
  const pos = file.seek(Number(off), whence);
  sys.mem.setU64(newOffset, pos);
  return 0;
}

export function fd_tell(sys: Sys, fd: number, offset: number): number {
  const file = fdWith(sys, fd, W.RIGHTS_FD_TELL).file;
  sys.mem.check(offset, 8);
  sys.mem.setU64(offset, file.seek(0, SEEK_CUR));
  return 0;
}

export function fd_close(sys: Sys, fd: number): number {
  sys.proc.fds.close(fd);
  return 0;
}

export function fd_renumber(sys: Sys, from: number, to: number): number {
  sys.proc.fds.renumber(from, to);
  return 0;
}

export function fd_sync(sys: Sys, fd: number): number {
  fdWith(sys, fd, W.RIGHTS_FD_SYNC).file.sync();
  return 0;
}

export function fd_datasync(sys: Sys, fd: number): number {
  fdWith(sys, fd, W.RIGHTS_FD_DATASYNC).file.sync();
  return 0;
}

export function fd_advise(sys: Sys, fd: number, _offset: bigint, _len: bigint, advice: number): number {
  const file = fdWith(sys, fd, W.RIGHTS_FD_ADVISE).file;
  if (advice < W.ADVICE_NORMAL || advice > W.ADVICE_NOREUSE) throw new KernelError(EINVAL);
  if (file.isDirectory) throw new KernelError(EBADF);
  if (!file.ops.seekable) throw new KernelError(ESPIPE);
  return 0;
}

export function fd_allocate(sys: Sys, fd: number, offset: bigint, len: bigint): number {
  const file = fdWith(sys, fd, W.RIGHTS_FD_ALLOCATE).file;
  const off = u64Arg(offset, EFBIG);
  const n = u64Arg(len, EFBIG);
  if (off + n > Number.MAX_SAFE_INTEGER) throw new KernelError(EFBIG);
  file.allocate(off, n);
  return 0;
}

function fdflagsOf(statusFlags: number): number {
  let f = 0;
  if (statusFlags & O_APPEND) f |= W.FDFLAGS_APPEND;
  if (statusFlags & O_NONBLOCK) f |= W.FDFLAGS_NONBLOCK;
  if ((statusFlags & O_SYNC) === O_SYNC) f |= W.FDFLAGS_SYNC | W.FDFLAGS_RSYNC;
  if (statusFlags & O_DSYNC) f |= W.FDFLAGS_DSYNC;
  return f;
}

export function fd_fdstat_get(sys: Sys, fd: number, buf: number): number {
  const e = sys.proc.fds.get(fd);
  const mem = sys.mem;
  mem.check(buf, W.FDSTAT_SIZE);
  mem.writable(buf, W.FDSTAT_SIZE).fill(0);
  mem.setU8(buf, W.wasiFiletype(e.file.inode.type));
  mem.setU16(buf + W.FDSTAT_FLAGS, fdflagsOf(e.file.statusFlags));
  mem.setU64(buf + W.FDSTAT_RIGHTS_BASE, e.rightsBase);
  mem.setU64(buf + W.FDSTAT_RIGHTS_INHERITING, e.rightsInheriting);
  return 0;
}

export function fd_fdstat_set_flags(sys: Sys, fd: number, flags: number): number {
  const file = fdWith(sys, fd, W.RIGHTS_FD_FDSTAT_SET_FLAGS).file;
  if (flags & ~(W.FDFLAGS_APPEND | W.FDFLAGS_DSYNC | W.FDFLAGS_NONBLOCK | W.FDFLAGS_RSYNC | W.FDFLAGS_SYNC)) {
    throw new KernelError(EINVAL);
  }
  // As fcntl(F_SETFL): only O_APPEND and O_NONBLOCK change; the sync flags are ignored.
  let sf = file.statusFlags & ~(O_APPEND | O_NONBLOCK);
  if (flags & W.FDFLAGS_APPEND) sf |= O_APPEND;
  if (flags & W.FDFLAGS_NONBLOCK) sf |= O_NONBLOCK;
  file.statusFlags = sf;
  return 0;
}

export function fd_fdstat_set_rights(sys: Sys, fd: number, base: bigint, inheriting: bigint): number {
  const e = sys.proc.fds.get(fd);
  const b = Number(BigInt.asUintN(64, base) & BigInt(W.RIGHTS_ALL));
  const i = Number(BigInt.asUintN(64, inheriting) & BigInt(W.RIGHTS_ALL));
  const extra = BigInt.asUintN(64, base) >> 30n !== 0n || BigInt.asUintN(64, inheriting) >> 30n !== 0n;
  if (extra || (b & ~e.rightsBase) !== 0 || (i & ~e.rightsInheriting) !== 0) throw new KernelError(ENOTCAPABLE);
  e.rightsBase = b;
  e.rightsInheriting = i;
  return 0;
}

export function fd_filestat_get(sys: Sys, fd: number, buf: number): number {
  const file = fdWith(sys, fd, W.RIGHTS_FD_FILESTAT_GET).file;
  const raw = file.inode.filestat();
  if (raw !== null) sys.mem.write(buf, raw);
  else writeFilestat(sys.mem, buf, file.stat());
  return 0;
}

export function fd_filestat_set_size(sys: Sys, fd: number, size: bigint): number {
  const file = fdWith(sys, fd, W.RIGHTS_FD_FILESTAT_SET_SIZE).file;
  file.setStat({ size: u64Arg(size, EFBIG) });
  return 0;
}

/** Decodes fstflags into a SetStat; EINVAL when a time is both given and "now". */
export function timesRequest(atim: bigint, mtim: bigint, fstflags: number): SetStat {
  if (fstflags & ~(W.FSTFLAGS_ATIM | W.FSTFLAGS_ATIM_NOW | W.FSTFLAGS_MTIM | W.FSTFLAGS_MTIM_NOW)) throw new KernelError(EINVAL);
  const req: SetStat = {};
  if (fstflags & W.FSTFLAGS_ATIM && fstflags & W.FSTFLAGS_ATIM_NOW) throw new KernelError(EINVAL);
  if (fstflags & W.FSTFLAGS_MTIM && fstflags & W.FSTFLAGS_MTIM_NOW) throw new KernelError(EINVAL);
  if (fstflags & W.FSTFLAGS_ATIM) req.atimeNs = BigInt.asUintN(64, atim);
  if (fstflags & W.FSTFLAGS_ATIM_NOW) req.atimeNs = 'now';
  if (fstflags & W.FSTFLAGS_MTIM) req.mtimeNs = BigInt.asUintN(64, mtim);
  if (fstflags & W.FSTFLAGS_MTIM_NOW) req.mtimeNs = 'now';
  return req;
}

export function fd_filestat_set_times(sys: Sys, fd: number, atim: bigint, mtim: bigint, fstflags: number): number {
  const file = fdWith(sys, fd, W.RIGHTS_FD_FILESTAT_SET_TIMES).file;
  file.setStat(timesRequest(atim, mtim, fstflags));
  return 0;
}

export function fd_readdir(sys: Sys, fd: number, buf: number, bufLen: number, cookie: bigint, bufused: number): number {
  const file = fdWith(sys, fd, W.RIGHTS_FD_READDIR).file;
  const mem = sys.mem;
  mem.check(buf, bufLen);
  mem.check(bufused, 4);
  const position = BigInt.asUintN(64, cookie); // a dircookie is a u64; WebAssembly hands i64s over signed
  if (position > BigInt(Number.MAX_SAFE_INTEGER)) {
    mem.setU32(bufused, 0);
    return 0;
  }
  const entries = file.readdir(Number(position));
  const out = mem.writable(buf, bufLen);
  const header = new Uint8Array(W.DIRENT_SIZE);
  const hv = new DataView(header.buffer);
  let used = 0;
  for (const e of entries) {
    if (used >= bufLen) break;
    const name = GuestMemory.encode(e.name);
    hv.setBigUint64(0, BigInt(e.next), true);
    hv.setBigUint64(W.DIRENT_INO, BigInt(e.ino), true);
    hv.setUint32(W.DIRENT_NAMLEN, name.length, true);
    hv.setUint32(W.DIRENT_TYPE, W.wasiFiletype(e.type), true);
    const h = Math.min(W.DIRENT_SIZE, bufLen - used);
    out.set(header.subarray(0, h), used);
    used += h;
    const n = Math.min(name.length, bufLen - used);
    out.set(name.subarray(0, n), used);
    used += n;
  }
  mem.setU32(bufused, used);
  return 0;
}

export function fd_prestat_get(sys: Sys, fd: number, buf: number): number {
  const e = sys.proc.fds.get(fd);
  if (e.preopen === undefined) throw new KernelError(EBADF);
  sys.mem.check(buf, W.PRESTAT_SIZE);
  sys.mem.setU32(buf, W.PREOPENTYPE_DIR);
  sys.mem.setU32(buf + 4, GuestMemory.encode(e.preopen).length);
  return 0;
}

export function fd_prestat_dir_name(sys: Sys, fd: number, path: number, pathLen: number): number {
  const e = sys.proc.fds.get(fd);
  if (e.preopen === undefined) throw new KernelError(EBADF);
  const name = GuestMemory.encode(e.preopen);
  if (pathLen < name.length) throw new KernelError(ENAMETOOLONG);
  sys.mem.write(path, name);
  return 0;
}
