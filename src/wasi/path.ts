// The path_* calls of WASI preview 1. Every path is resolved by the kernel beneath its directory fd
// (vfs/resolve.ts); here only rights, flags and guest memory are handled.
import { O_APPEND, O_CREAT, O_DIRECTORY, O_DSYNC, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR, O_SYNC, O_TRUNC, O_WRONLY } from '../abi/open.js';
import { ENOENT } from '../abi/errno.js';
import * as W from '../abi/wasi.js';
import { wasiErrno } from '../abi/wasi_errno.js';
import type { FdEntry } from '../kernel/fdtable.js';
import { filestatCachedName } from '../vfs/resolve.js';
import { timesRequest } from './fd.js';
import { fdWith, flagsArg, pathArg, rightsFor, startAt, writeFilestat, type Sys } from './sys.js';

const READ_RIGHTS = W.RIGHTS_FD_READ | W.RIGHTS_FD_READDIR;
const WRITE_RIGHTS = W.RIGHTS_FD_WRITE | W.RIGHTS_FD_ALLOCATE | W.RIGHTS_FD_FILESTAT_SET_SIZE | W.RIGHTS_FD_DATASYNC;

const OFLAGS_ALL = W.OFLAGS_CREAT | W.OFLAGS_DIRECTORY | W.OFLAGS_EXCL | W.OFLAGS_TRUNC;
const FDFLAGS_ALL = W.FDFLAGS_APPEND | W.FDFLAGS_DSYNC | W.FDFLAGS_NONBLOCK | W.FDFLAGS_RSYNC | W.FDFLAGS_SYNC;

/** Whether lookupflags asks to follow a final symlink; EINVAL for bits the witx type lacks. */
function follow(lookupflags: number): boolean {
  return (flagsArg(lookupflags, W.LOOKUPFLAGS_SYMLINK_FOLLOW) & W.LOOKUPFLAGS_SYMLINK_FOLLOW) !== 0;
}

export function path_open(
  sys: Sys, dirfd: number, dirflags: number, pathPtr: number, pathLen: number, oflags: number,
  rightsBase: bigint, rightsInheriting: bigint, fdflags: number, fdOut: number,
): number {
  flagsArg(oflags, OFLAGS_ALL);
  flagsArg(fdflags, FDFLAGS_ALL);
  const followFinal = follow(dirflags);
  let needed = W.RIGHTS_PATH_OPEN;
  if (oflags & W.OFLAGS_CREAT) needed |= W.RIGHTS_PATH_CREATE_FILE;
  if (oflags & W.OFLAGS_TRUNC) needed |= W.RIGHTS_PATH_FILESTAT_SET_SIZE;
  const dir = fdWith(sys, dirfd, needed);
  const path = pathArg(sys, pathPtr, pathLen);
  sys.mem.check(fdOut, 4);
  const base = Number(BigInt.asUintN(64, rightsBase) & BigInt(W.RIGHTS_ALL));
  const inheriting = Number(BigInt.asUintN(64, rightsInheriting) & BigInt(W.RIGHTS_ALL));
  const read = (base & READ_RIGHTS) !== 0;
  const write = (base & WRITE_RIGHTS) !== 0 || (fdflags & W.FDFLAGS_APPEND) !== 0;
  let flags = write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & W.OFLAGS_CREAT) flags |= O_CREAT;
  if (oflags & W.OFLAGS_DIRECTORY) flags |= O_DIRECTORY;
  if (oflags & W.OFLAGS_EXCL) flags |= O_EXCL;
  if (oflags & W.OFLAGS_TRUNC) flags |= O_TRUNC;
  if (!followFinal) flags |= O_NOFOLLOW;
  if (fdflags & W.FDFLAGS_APPEND) flags |= O_APPEND;
  if (fdflags & W.FDFLAGS_NONBLOCK) flags |= O_NONBLOCK;
  if (fdflags & (W.FDFLAGS_SYNC | W.FDFLAGS_RSYNC)) flags |= O_SYNC;
  else if (fdflags & W.FDFLAGS_DSYNC) flags |= O_DSYNC;
  const file = sys.kernel.vfs.openAt(sys.proc.ctx, startAt(dir), path, { flags, perm: 0o644 });
  const max = rightsFor(file.inode.type, file.ops.seekable);
  const fd = sys.proc.fds.install({
    file,
    rightsBase: base & dir.rightsInheriting & max.base,
    rightsInheriting: inheriting & dir.rightsInheriting & max.inheriting,
  });
  sys.mem.setU32(fdOut, fd);
  return 0;
}

export function path_create_directory(sys: Sys, fd: number, pathPtr: number, pathLen: number): number {
  const dir = fdWith(sys, fd, W.RIGHTS_PATH_CREATE_DIRECTORY);
  sys.kernel.vfs.mkdirAt(sys.proc.ctx, startAt(dir), pathArg(sys, pathPtr, pathLen), 0o755);
  return 0;
}

/** ENOENT as WASI numbers it, returned by path_filestat_get without a KernelError thrown. */
const WASI_ENOENT = wasiErrno(ENOENT);

export function path_filestat_get(sys: Sys, fd: number, flags: number, pathPtr: number, pathLen: number, buf: number): number {
  const dir = fdWith(sys, fd, W.RIGHTS_PATH_FILESTAT_GET);
  const path = pathArg(sys, pathPtr, pathLen);
  const followFinal = follow(flags);
  // The flat case, most stats a program makes: a name its directory's filesystem holds cached, and one
  // question to the host (vfs/resolve.ts filestatCachedName says when that is the walk's answer too).
  const cached = filestatCachedName(dir.file.vd, path, followFinal);
  if (cached === null) return filestatWalking(sys, dir, path, followFinal, buf);
  sys.mem.write(buf, cached);
  return 0;
}

/** path_filestat_get past its flat case: the VFS walks (and decides everything the flat case leaves). */
function filestatWalking(sys: Sys, dir: FdEntry, path: string, followFinal: boolean, buf: number): number {
  const st = sys.kernel.vfs.filestatIfExists(sys.proc.ctx, startAt(dir), path, followFinal);
  if (st === null) return WASI_ENOENT;
  if (st instanceof Uint8Array) sys.mem.write(buf, st);
  else writeFilestat(sys.mem, buf, st);
  return 0;
}

export function path_filestat_set_times(
  sys: Sys, fd: number, flags: number, pathPtr: number, pathLen: number, atim: bigint, mtim: bigint, fstflags: number,
): number {
  const dir = fdWith(sys, fd, W.RIGHTS_PATH_FILESTAT_SET_TIMES);
  const req = timesRequest(atim, mtim, fstflags);
  sys.kernel.vfs.setStatAt(sys.proc.ctx, startAt(dir), pathArg(sys, pathPtr, pathLen), follow(flags), req);
  return 0;
}

export function path_link(
  sys: Sys, oldFd: number, oldFlags: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number,
): number {
  const from = fdWith(sys, oldFd, W.RIGHTS_PATH_LINK_SOURCE);
  const to = fdWith(sys, newFd, W.RIGHTS_PATH_LINK_TARGET);
  sys.kernel.vfs.linkAt(sys.proc.ctx, startAt(from), pathArg(sys, oldPtr, oldLen), startAt(to), pathArg(sys, newPtr, newLen), follow(oldFlags));
  return 0;
}

export function path_readlink(sys: Sys, fd: number, pathPtr: number, pathLen: number, buf: number, bufLen: number, bufused: number): number {
  const dir = fdWith(sys, fd, W.RIGHTS_PATH_READLINK);
  const target = new TextEncoder().encode(sys.kernel.vfs.readlinkAt(sys.proc.ctx, startAt(dir), pathArg(sys, pathPtr, pathLen)));
  sys.mem.check(bufused, 4);
  const n = Math.min(target.length, bufLen);
  sys.mem.write(buf, target.subarray(0, n));
  sys.mem.setU32(bufused, n);
  return 0;
}

export function path_remove_directory(sys: Sys, fd: number, pathPtr: number, pathLen: number): number {
  const dir = fdWith(sys, fd, W.RIGHTS_PATH_REMOVE_DIRECTORY);
  sys.kernel.vfs.rmdirAt(sys.proc.ctx, startAt(dir), pathArg(sys, pathPtr, pathLen));
  return 0;
}

export function path_rename(sys: Sys, fd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number): number {
  const from = fdWith(sys, fd, W.RIGHTS_PATH_RENAME_SOURCE);
  const to = fdWith(sys, newFd, W.RIGHTS_PATH_RENAME_TARGET);
  sys.kernel.vfs.renameAt(sys.proc.ctx, startAt(from), pathArg(sys, oldPtr, oldLen), startAt(to), pathArg(sys, newPtr, newLen));
  return 0;
}

export function path_symlink(sys: Sys, oldPtr: number, oldLen: number, fd: number, newPtr: number, newLen: number): number {
  const dir = fdWith(sys, fd, W.RIGHTS_PATH_SYMLINK);
  const target = pathArg(sys, oldPtr, oldLen);
  sys.kernel.vfs.symlinkAt(sys.proc.ctx, target, startAt(dir), pathArg(sys, newPtr, newLen));
  return 0;
}

export function path_unlink_file(sys: Sys, fd: number, pathPtr: number, pathLen: number): number {
  const dir = fdWith(sys, fd, W.RIGHTS_PATH_UNLINK_FILE);
  sys.kernel.vfs.unlinkAt(sys.proc.ctx, startAt(dir), pathArg(sys, pathPtr, pathLen));
  return 0;
}
