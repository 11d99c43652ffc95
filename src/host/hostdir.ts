// NodeHostDirectory: node:fs behind fsimpl/hostdir's HostDirectoryAccess, the "gofer" of a host
// directory. Node has no openat(2), so a child is addressed as /proc/<pid>/fd/<dirfd>/<name>: the
// kernel jumps through the magic link to the very directory the descriptor holds (whatever was renamed
// or swapped on the path since), and the last component is never followed (O_NOFOLLOW, lstat, lutimes,
// link(2), rename(2), unlink(2)). Linux only; /proc must be mounted (checked when the root is opened).
//
// The one shortcut: stillNames answers "does this cached name still name that object?" with an lstat of
// the directory's plain host path (a path through /proc costs about twice as much). That lstat may
// follow symlinks swapped in by the host, but it can only confirm an object the filesystem already
// verified through descriptors (same dev and ino); any other answer sends the filesystem to lookup.
//
// Given a WorkingDirectoryLease (host/workdir.ts, `amber do`), a child of one directory is named relative
// to the working directory, moved there through the descriptor's magic link: as safe as the link (the
// working directory is the descriptor's very directory), and cheaper than both paths above.
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import {
  EAGAIN, EDEADLK, EFBIG, EINVAL, EIO, ENOTCAPABLE, EOPNOTSUPP, errnoNames,
} from '../abi/errno.js';
import { O_ACCMODE, O_CREAT, O_DSYNC, O_EXCL, O_RDWR, O_SYNC, O_WRONLY } from '../abi/open.js';
import { modeOfType, S_IFMT, type FileType } from '../abi/stat.js';
import { wasiFiletype } from '../abi/wasi.js';
import { KernelError } from '../base/error.js';
import type { HostAttr, HostDirectoryAccess, HostFd, HostStat, HostTime } from '../fsimpl/hostdir/host.js';
import { WasiStat, type PathQuestion } from './wasistat.js';
import type { WorkingDirectoryLease } from './workdir.js';

const C = fs.constants;
/** O_PATH (asm-generic/fcntl.h): node:fs passes it through but does not export it. */
const O_PATH = 0o10000000;
/** Added to every open of a child: never follow it, never block on a FIFO, never take a terminal. */
const ALWAYS = C.O_NOFOLLOW | C.O_NONBLOCK | C.O_NOCTTY;
const NO_THROW = Object.freeze({ throwIfNoEntry: false } as const);
const BIGINT = Object.freeze({ bigint: true } as const);
const BIGINT_NO_THROW = Object.freeze({ bigint: true, throwIfNoEntry: false } as const);

/** Node's error codes as Linux errnos: the names of abi/errno.ts, their aliases, and Node's own codes. */
const ERRNO_OF_CODE: ReadonlyMap<string, number> = new Map<string, number>([
  ...Object.entries(errnoNames)
    .filter(([n]) => Number(n) !== ENOTCAPABLE)
    .map(([n, name]): [string, number] => [name, Number(n)]),
  ['EWOULDBLOCK', EAGAIN],
  ['ENOTSUP', EOPNOTSUPP],
  ['EDEADLOCK', EDEADLK],
  ['ERR_FS_FILE_TOO_LARGE', EFBIG],
  ['ERR_OUT_OF_RANGE', EINVAL],
  ['ERR_INVALID_ARG_VALUE', EINVAL],
]);

/**
 * A Node failure as KernelError: a system error by its code (EIO for one Linux has no name for here),
 * Node's range and value checks as EFBIG/EINVAL. Anything else is a bug and is returned unchanged.
 */
export function toKernelError(e: unknown): unknown {
  if (e instanceof KernelError) return e;
  if (!(e instanceof Error) || !('code' in e) || typeof e.code !== 'string') return e;
  const errno = ERRNO_OF_CODE.get(e.code);
  if (errno !== undefined) return new KernelError(errno, e.message);
  if ('syscall' in e) return new KernelError(EIO, e.message);
  return e;
}

/** Linux open flags (abi/open.ts) as node:fs flags. */
function nodeFlags(flags: number): number {
  const acc = flags & O_ACCMODE;
  let f = acc === O_WRONLY ? C.O_WRONLY : acc === O_RDWR ? C.O_RDWR : C.O_RDONLY;
  if ((flags & O_CREAT) !== 0) f |= C.O_CREAT;
  if ((flags & O_EXCL) !== 0) f |= C.O_EXCL;
  if ((flags & O_SYNC) === O_SYNC) f |= C.O_SYNC;
  else if ((flags & O_DSYNC) !== 0) f |= C.O_DSYNC;
  return f;
}

/** Seconds as node:fs takes them (a double; libuv then keeps whole microseconds). */
function seconds(t: HostTime): number {
  if (t === 'now') return Date.now() / 1000;
  // node:fs takes a negative time to mean "now"; refuse rather than set the wrong time.
  if (t < 0n) throw new KernelError(EINVAL, 'times before 1970 cannot be set on a host directory');
  return Number(t / 1_000_000_000n) + Number(t % 1_000_000_000n) / 1e9;
}

function fullStat(s: fs.BigIntStats): HostStat {
  return {
    dev: Number(s.dev),
    ino: Number(s.ino),
    mode: Number(s.mode),
    nlink: Number(s.nlink),
    uid: Number(s.uid),
    gid: Number(s.gid),
    size: Number(s.size),
    blocks: Number(s.blocks),
    rdev: Number(s.rdev),
    atimeNs: s.atimeNs,
    mtimeNs: s.mtimeNs,
    ctimeNs: s.ctimeNs,
  };
}

/** Refuses anything but a descriptor number and one name (see host.ts). */
function checkName(dir: HostFd, name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || !Number.isInteger(dir) || dir < 0) {
    throw new Error(`hostdir: (${dir}, "${name}") is not a directory descriptor and one name (a kernel bug)`);
  }
  if (name.includes('\0')) throw new KernelError(EINVAL, 'a name with NUL');
}

/** Where this process's descriptors show in /proc: /proc/<pid>/fd/ saves following "self" on every call. */
function procFdDir(): string {
  try {
    if (fs.readlinkSync('/proc/self') === String(process.pid)) return `/proc/${process.pid}/fd/`;
  } catch {
    // No /proc, or another pid namespace's: openRoot's check will say so.
  }
  return '/proc/self/fd/';
}

export class NodeHostDirectory implements HostDirectoryAccess {
  readonly #path: string;
  readonly #fdDir: string;
  /** The host path each open directory descriptor was opened at, for stillNames only (a hint). */
  readonly #dirPaths = new Map<HostFd, string>();
  readonly #cwd: WorkingDirectoryLease | null;
  readonly #wasiStat = new WasiStat();
  /** The root's descriptor (openRoot), which lives as long as the filesystem: uvwasi's path instance is made for it. */
  #rootFd = -1;
  /**
   * The O_PATH handles open now (openPathAt): fchmod and futimens refuse them (EBADF), so chmod and
   * setTimes go through their magic link; any other descriptor is changed through itself (~1.2 µs
   * against ~4.2 µs through /proc).
   */
  readonly #pathFds = new Set<HostFd>();

  /**
   * hostPath is the directory to show; symlinks in it are followed once, when the root is opened.
   * opts.cwd: children are named relative to the working directory, which this may move (see above).
   */
  constructor(hostPath: string, opts: { cwd?: WorkingDirectoryLease } = {}) {
    this.#path = resolve(hostPath);
    this.#fdDir = procFdDir();
    this.#cwd = opts.cwd ?? null;
  }

  /** The path of name in the directory dir: relative to dir made the working directory, else through dir's magic link. */
  #at(dir: HostFd, name: string): string {
    checkName(dir, name);
    if (this.#cwd !== null && this.#cwd.moveTo(dir, this.#fdDir)) return name;
    return this.#fdDir + dir + '/' + name;
  }

  /** The path of name in dir through dir's magic link, for calls that name two directories. */
  #linkAt(dir: HostFd, name: string): string {
    checkName(dir, name);
    return this.#fdDir + dir + '/' + name;
  }

  #fd(fd: HostFd): string {
    return this.#fdDir + fd;
  }

  openRoot(): HostFd {
    let fd: number;
    try {
      fd = fs.openSync(this.#path, C.O_RDONLY | C.O_DIRECTORY | C.O_NONBLOCK);
    } catch (e) {
      throw toKernelError(e);
    }
    let same = false;
    try {
      const a = fs.fstatSync(fd);
      const b = fs.statSync(this.#fd(fd), NO_THROW);
      same = b !== undefined && a.dev === b.dev && a.ino === b.ino;
    } catch {
      // same stays false
    }
    if (!same) {
      fs.closeSync(fd);
      throw new Error(`hostdir: ${this.#fdDir}${fd} does not lead back to ${this.#path}: is /proc mounted?`);
    }
    this.#dirPaths.set(fd, this.#path);
    this.#wasiStat.hintsChanged();
    if (this.#rootFd < 0) this.#rootFd = fd;
    return fd;
  }

  /** The path stillNames asks about: name in dir's plain host path, or relative to dir as the working directory. */
  #hintAt(dir: HostFd, name: string): string | undefined {
    if (this.#cwd !== null) return this.#at(dir, name);
    const base = this.#dirPaths.get(dir);
    if (base === undefined) return undefined;
    checkName(dir, name);
    return base + '/' + name;
  }

  stillNames(dir: HostFd, name: string, dev: number, ino: number, type: FileType): boolean {
    const p = this.#hintAt(dir, name);
    if (p === undefined) return false;
    try {
      const s = fs.lstatSync(p, NO_THROW);
      return s !== undefined && s.ino === ino && s.dev === dev && (s.mode & S_IFMT) === modeOfType(type);
    } catch {
      return false; // unsure: the filesystem asks lookup
    }
  }

  stillNamesStat(dir: HostFd, name: string, dev: number, ino: number, type: FileType): HostStat | null {
    const p = this.#hintAt(dir, name);
    if (p === undefined) return null;
    try {
      const s = fs.lstatSync(p, BIGINT_NO_THROW);
      if (s === undefined) return null;
      const st = fullStat(s);
      return st.ino === ino && st.dev === dev && (st.mode & S_IFMT) === modeOfType(type) ? st : null;
    } catch {
      return null; // unsure: the filesystem asks lookupStat
    }
  }

  /**
   * stillNamesStat through uvwasi (host/wasistat.ts): an lstat of the plain host path, confirmed by dev,
   * ino and type as stillNames confirms. Always by the plain path, also with a working directory lease
   * (uvwasi has no path relative to it).
   */
  stillNamesFilestat(dir: HostFd, name: string, dev: number, ino: number, type: FileType): Uint8Array | null {
    const base = this.#dirPaths.get(dir);
    if (base === undefined) return null;
    // Made for the root's descriptor when there is one, not for dir, which the handle cache may close. A
    // name that is not one component without NUL is not asked about (null): the filesystem's lookupStat
    // that follows checks it as every other call does.
    const ws = this.#wasiStat;
    const out = ws.pathFilestat(this.#rootFd >= 0 ? this.#rootFd : dir, base, name);
    return out !== null && ws.shows(dev, ino, wasiFiletype(type)) ? out : null;
  }

  /**
   * stillNamesFilestat(dir, name, dev, ino, type) prepared once (host/wasistat.ts PathQuestion): the same
   * lstat of the plain host path and the same confirmation each time it is asked, until a directory's
   * path here changes (a rename, a descriptor opened or closed), after which it answers null.
   */
  filestatQuestion(dir: HostFd, name: string, dev: number, ino: number, type: FileType): PathQuestion | null {
    const base = this.#dirPaths.get(dir);
    return base === undefined ? null : this.#wasiStat.question(dir, base, name, dev, ino, wasiFiletype(type));
  }

  lookupStat(dir: HostFd, name: string): HostStat | null {
    const p = this.#at(dir, name);
    try {
      const s = fs.lstatSync(p, BIGINT_NO_THROW);
      return s === undefined ? null : fullStat(s);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  lookup(dir: HostFd, name: string): HostAttr | null {
    const p = this.#at(dir, name);
    try {
      return fs.lstatSync(p, NO_THROW) ?? null;
    } catch (e) {
      throw toKernelError(e);
    }
  }

  statAt(dir: HostFd, name: string): HostStat {
    const p = this.#at(dir, name);
    try {
      return fullStat(fs.lstatSync(p, BIGINT));
    } catch (e) {
      throw toKernelError(e);
    }
  }

  readdir(dir: HostFd): string[] {
    try {
      return fs.readdirSync(this.#fd(dir));
    } catch (e) {
      throw toKernelError(e);
    }
  }

  openDirAt(dir: HostFd, name: string): HostFd {
    const p = this.#at(dir, name);
    let fd: HostFd;
    try {
      fd = fs.openSync(p, C.O_RDONLY | C.O_DIRECTORY | ALWAYS);
    } catch (e) {
      throw toKernelError(e);
    }
    const base = this.#dirPaths.get(dir);
    if (base !== undefined) {
      this.#dirPaths.set(fd, base + '/' + name);
      this.#wasiStat.hintsChanged();
    }
    return fd;
  }

  openAt(dir: HostFd, name: string, flags: number, perm: number): HostFd {
    const p = this.#at(dir, name);
    try {
      return fs.openSync(p, nodeFlags(flags) | ALWAYS, perm);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  openPathAt(dir: HostFd, name: string): HostFd {
    const p = this.#at(dir, name);
    let fd: HostFd;
    try {
      fd = fs.openSync(p, O_PATH | C.O_NOFOLLOW);
    } catch (e) {
      throw toKernelError(e);
    }
    this.#pathFds.add(fd);
    return fd;
  }

  mkdirAt(dir: HostFd, name: string, perm: number): void {
    const p = this.#at(dir, name);
    try {
      fs.mkdirSync(p, perm);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  symlinkAt(target: string, dir: HostFd, name: string): void {
    const p = this.#at(dir, name);
    if (target.includes('\0')) throw new KernelError(EINVAL, 'a symlink target with NUL');
    try {
      fs.symlinkSync(target, p);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  linkAt(oldDir: HostFd, oldName: string, newDir: HostFd, newName: string): void {
    const from = this.#linkAt(oldDir, oldName);
    const to = this.#linkAt(newDir, newName);
    try {
      fs.linkSync(from, to); // link(2): Linux never follows a symlink in `from`
    } catch (e) {
      throw toKernelError(e);
    }
  }

  unlinkAt(dir: HostFd, name: string): void {
    const p = this.#at(dir, name);
    try {
      fs.unlinkSync(p);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  rmdirAt(dir: HostFd, name: string): void {
    const p = this.#at(dir, name);
    try {
      fs.rmdirSync(p);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  renameAt(oldDir: HostFd, oldName: string, newDir: HostFd, newName: string): void {
    const from = this.#linkAt(oldDir, oldName);
    const to = this.#linkAt(newDir, newName);
    try {
      fs.renameSync(from, to);
    } catch (e) {
      throw toKernelError(e);
    }
    this.#moved(oldDir, oldName, newDir, newName);
  }

  /** Keeps the stillNames paths of directories under a renamed one (a stale path only costs speed). */
  #moved(oldDir: HostFd, oldName: string, newDir: HostFd, newName: string): void {
    const oldBase = this.#dirPaths.get(oldDir);
    if (oldBase === undefined) return;
    const from = `${oldBase}/${oldName}`;
    const newBase = this.#dirPaths.get(newDir);
    this.#wasiStat.hintsChanged();
    for (const [fd, p] of this.#dirPaths) {
      if (p !== from && !p.startsWith(from + '/')) continue;
      if (newBase === undefined) this.#dirPaths.delete(fd);
      else this.#dirPaths.set(fd, `${newBase}/${newName}${p.slice(from.length)}`);
    }
  }

  readlinkAt(dir: HostFd, name: string): string {
    const p = this.#at(dir, name);
    try {
      return fs.readlinkSync(p);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  setTimesAt(dir: HostFd, name: string, atime: HostTime, mtime: HostTime): void {
    const p = this.#at(dir, name);
    const a = seconds(atime);
    const m = seconds(mtime);
    try {
      fs.lutimesSync(p, a, m);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  reopen(fd: HostFd, flags: number): HostFd {
    // The magic link itself is the last component here and must be followed (it cannot be re-resolved
    // by name: it jumps to the object), so O_NOFOLLOW is left out.
    try {
      return fs.openSync(this.#fd(fd), (nodeFlags(flags) & ~(C.O_CREAT | C.O_EXCL)) | C.O_NONBLOCK | C.O_NOCTTY);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  attr(fd: HostFd): HostAttr {
    try {
      return fs.fstatSync(fd);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  stat(fd: HostFd): HostStat {
    try {
      return fullStat(fs.fstatSync(fd, BIGINT));
    } catch (e) {
      throw toKernelError(e);
    }
  }

  filestat(fd: HostFd): Uint8Array | null {
    return this.#wasiStat.filestat(fd);
  }

  chmod(fd: HostFd, perm: number): void {
    // An O_PATH handle through its magic link (fchmod refuses it).
    try {
      if (this.#pathFds.has(fd)) fs.chmodSync(this.#fd(fd), perm);
      else fs.fchmodSync(fd, perm);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  setTimes(fd: HostFd, atime: HostTime, mtime: HostTime): void {
    const a = seconds(atime);
    const m = seconds(mtime);
    try {
      // An O_PATH handle through its magic link (futimens refuses it).
      if (this.#pathFds.has(fd)) fs.utimesSync(this.#fd(fd), a, m);
      else fs.futimesSync(fd, a, m);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  truncate(fd: HostFd, size: number): void {
    try {
      fs.ftruncateSync(fd, size);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  read(fd: HostFd, dst: Uint8Array, offset: number): number {
    try {
      return fs.readSync(fd, dst, 0, dst.length, offset);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  write(fd: HostFd, src: Uint8Array, offset: number): number {
    try {
      return fs.writeSync(fd, src, 0, src.length, offset);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  size(fd: HostFd): number {
    try {
      return fs.fstatSync(fd).size;
    } catch (e) {
      throw toKernelError(e);
    }
  }

  sync(fd: HostFd): void {
    try {
      fs.fsyncSync(fd);
    } catch (e) {
      throw toKernelError(e);
    }
  }

  close(fd: HostFd): void {
    if (fd === this.#rootFd) this.#rootFd = -1;
    if (this.#dirPaths.delete(fd)) this.#wasiStat.hintsChanged();
    this.#pathFds.delete(fd);
    this.#wasiStat.forget(fd);
    this.#cwd?.closed(fd);
    try {
      fs.closeSync(fd);
    } catch (e) {
      throw toKernelError(e);
    }
  }
}
