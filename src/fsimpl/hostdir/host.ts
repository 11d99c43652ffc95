// HostDirectoryAccess: the few host calls a hostdir filesystem makes, like gVisor's gofer protocol
// (lisafs): every child is named by (an open directory descriptor, one name), never by a host path, so
// the kernel never walks host paths itself. host/hostdir.ts implements it with node:fs; a test can wrap
// it to count descriptors or to change the host between two calls.
//
// Rules every implementation keeps:
// - `name` is one component: never "", "." or "..", never holding "/"; a name with NUL is EINVAL.
// - Nothing follows a symlink in `name` (lstat, O_NOFOLLOW, link(2) and rename(2) semantics).
// - Failures throw KernelError with a Linux errno; nothing else escapes except kernel bugs.
// - Mode bits, open flags and errnos are Linux's (abi/).

import type { FileType } from '../../abi/stat.js';

/** An open host descriptor: a directory, a handle on one object, or an open file. Opaque here. */
export type HostFd = number;

/** What lstat/fstat say about an object's identity and type. */
export interface HostAttr {
  readonly dev: number;
  readonly ino: number;
  /** st_mode: S_IFMT type bits and permission bits. */
  readonly mode: number;
}

export interface HostStat extends HostAttr {
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly blocks: number;
  readonly rdev: number;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

/** A time to set: nanoseconds since the epoch, or the host's current time. */
export type HostTime = bigint | 'now';

/** A stillNamesFilestat question prepared once (HostDirectoryAccess.filestatQuestion). */
export interface HostFilestatQuestion {
  /** The directory descriptor and the name it asks about. */
  readonly dir: HostFd;
  readonly name: string;
  /** WASI's filestat of the object, valid until the next host call, while name in dir still holds it; else null. */
  filestat(): Uint8Array | null;
}

export interface HostDirectoryAccess {
  /** Opens the host directory the filesystem shows (the implementation was given its path). */
  openRoot(): HostFd;

  // Children of an open directory `dir`.

  /** lstat of name; null when nothing has that name. */
  lookup(dir: HostFd, name: string): HostAttr | null;
  /**
   * Optional, a cache check: true if name in dir certainly still names the object (dev, ino) of
   * type `type`, by whatever cheaper means the implementation has; false when it is not or when
   * unsure (the filesystem then calls lookup). It must never answer true for another object.
   */
  stillNames?(dir: HostFd, name: string, dev: number, ino: number, type: FileType): boolean;
  /** Optional, stillNames answering with the object's every field when it does answer yes (null otherwise). */
  stillNamesStat?(dir: HostFd, name: string, dev: number, ino: number, type: FileType): HostStat | null;
  /**
   * Optional, stillNamesStat answering with WASI's filestat (as filestat gives it) instead of every
   * field: the host's view, valid until the next host call, when it does answer yes (null otherwise).
   */
  stillNamesFilestat?(dir: HostFd, name: string, dev: number, ino: number, type: FileType): Uint8Array | null;
  /**
   * Optional, stillNamesFilestat(dir, name, dev, ino, type) prepared once for the cached object: each
   * filestat() of the question answers as that call would now, or null (also once the implementation can
   * no longer vouch for the question: the caller then calls stillNamesFilestat and may prepare another).
   * null when it cannot prepare one.
   */
  filestatQuestion?(dir: HostFd, name: string, dev: number, ino: number, type: FileType): HostFilestatQuestion | null;
  /** Optional, lookup with every field: lstat of name, null when nothing has that name. */
  lookupStat?(dir: HostFd, name: string): HostStat | null;
  /** lstat of name, every field. */
  statAt(dir: HostFd, name: string): HostStat;
  /** The names in dir, without "." and "..", in the host's order. */
  readdir(dir: HostFd): string[];
  /** Opens a child directory (read-only), never through a symlink: ENOTDIR (or ELOOP) for anything else. */
  openDirAt(dir: HostFd, name: string): HostFd;
  /**
   * Opens a non-directory child. flags: O_ACCMODE, O_CREAT, O_EXCL, O_DSYNC, O_SYNC; O_NOFOLLOW,
   * O_NONBLOCK, O_NOCTTY and O_CLOEXEC are always added (a symlink is ELOOP, a FIFO never blocks).
   * perm is used with O_CREAT, less the host process's umask.
   */
  openAt(dir: HostFd, name: string, flags: number, perm: number): HostFd;
  /** An O_PATH handle on the object itself (any type, no permission needed), for stat, chmod and reopen. */
  openPathAt(dir: HostFd, name: string): HostFd;
  mkdirAt(dir: HostFd, name: string, perm: number): void;
  symlinkAt(target: string, dir: HostFd, name: string): void;
  /** A hard link to the object oldName names (a symlink itself, never its target). */
  linkAt(oldDir: HostFd, oldName: string, newDir: HostFd, newName: string): void;
  unlinkAt(dir: HostFd, name: string): void;
  rmdirAt(dir: HostFd, name: string): void;
  renameAt(oldDir: HostFd, oldName: string, newDir: HostFd, newName: string): void;
  readlinkAt(dir: HostFd, name: string): string;
  /** Sets both times of name itself (a symlink's own times). */
  setTimesAt(dir: HostFd, name: string, atime: HostTime, mtime: HostTime): void;

  // Descriptors (any kind unless said).

  /** Opens the very object fd refers to again with new flags (as above, less O_CREAT and O_EXCL). */
  reopen(fd: HostFd, flags: number): HostFd;
  attr(fd: HostFd): HostAttr;
  stat(fd: HostFd): HostStat;
  /**
   * Optional, a cheaper stat(fd) for a caller that needs only what WASI's filestat holds: the 64 bytes of
   * one (abi/wasi.ts FILESTAT_*: the host's dev, ino, filetype, nlink, size and times), in a view valid
   * until the next host call, which the caller may change; taken from the host during this call. null
   * when the implementation has no cheaper way just now (the caller then calls stat()).
   */
  filestat?(fd: HostFd): Uint8Array | null;
  chmod(fd: HostFd, perm: number): void;
  setTimes(fd: HostFd, atime: HostTime, mtime: HostTime): void;
  /** Open files only (not O_PATH handles, not directories). */
  truncate(fd: HostFd, size: number): void;
  read(fd: HostFd, dst: Uint8Array, offset: number): number;
  write(fd: HostFd, src: Uint8Array, offset: number): number;
  size(fd: HostFd): number;
  sync(fd: HostFd): void;
  close(fd: HostFd): void;
}
