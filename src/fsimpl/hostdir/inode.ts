// hostdir inodes: one per dentry, each a view of one host object known by its host dev and ino, like
// gVisor's gofer dentries. Attributes are always asked of the host; an inode reaches its object
// through a descriptor (its handle, or a file open on it) or, lacking one, by its name in its parent's
// directory descriptor, checking that the name still leads to the same object (ESTALE if not). As
// gVisor's gofer shares a dentry's read and write FDs, the open files of an inode share one host
// descriptor when its access mode allows: I/O is positional, so nothing else about it is per file.
//
// Saved by its path from the filesystem's root, never by host fd, dev or ino (see README.md, "Checkpoint
// and restore"): a restore finds the object again by that path, and an inode with open files whose path
// no longer leads to it is saved as a ghost, its contents in the image (ghost.ts).
import { EACCES, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, ENXIO, EOPNOTSUPP, ESTALE } from '../../abi/errno.js';
import { O_ACCMODE, O_DSYNC, O_RDONLY, O_RDWR, O_SYNC, O_WRONLY } from '../../abi/open.js';
import { modeOfType, S_IALLUGO, S_ISGID, S_ISUID, typeOfMode, type FileType, type SetStat, type Stat } from '../../abi/stat.js';
import { FILESTAT_ATIM, FILESTAT_FILETYPE, FILESTAT_INO, FILESTAT_MTIM, FILESTAT_SIZE, wasiFiletype } from '../../abi/wasi.js';
import { KernelError } from '../../base/error.js';
import { setU64Number } from '../../base/u64.js';
import { bigInt, int, oneOf, opt, optRef, ref, savable, StateError, str, struct, type LoadValue, type Loader } from '../../state/index.js';
import { Dentry } from '../../vfs/dentry.js';
import type { FileOps } from '../../vfs/file.js';
import { Inode, type Caller } from '../../vfs/filesystem.js';
import { HostDirOps, HostFile } from './file.js';
import { HostGhost } from './ghost.js';
import type { HostAttr, HostFd, HostFilestatQuestion, HostStat, HostTime } from './host.js';
import type { HostDirFs } from './hostdir.js';
import type { OpenIdentity } from './session.js';

/** The kernel's type for a host st_mode (an unknown type is treated like a device: never opened). */
export function typeOfHostMode(mode: number): FileType {
  return typeOfMode(mode) ?? 'chr';
}

/**
 * The permission bits hostdir gives a host file: never setuid, never setgid on a non-directory, so a
 * guest cannot leave a privileged executable for host users (as if every mount were nosuid on the host).
 */
export function hostPerm(perm: number, type: FileType): number {
  let p = perm & S_IALLUGO & ~S_ISUID;
  if (type !== 'dir') p &= ~S_ISGID;
  return p;
}

/**
 * Whether a host given time t keeps it exactly as the guest sees it: "now" (the host's clock is the
 * guest's), or a whole second (node:fs rounds only the fraction, to microseconds; a filesystem coarser
 * than a second rounds it as Linux would show it too).
 */
function storedExactly(t: HostTime): boolean {
  return t === 'now' || t % 1_000_000_000n === 0n;
}

/** handleAccess of an O_PATH handle: good for stat, chmod, utimes and reopening, not for I/O. */
export const PATH_ACCESS = 3;

/** Whether a descriptor opened with access `held` serves an open asking for `want`. */
export function covers(held: number, want: number): boolean {
  return held === want || held === O_RDWR || want === PATH_ACCESS;
}

/**
 * e as ESTALE when it says the name no longer holds the type the lookup saw (opening a file or a
 * directory by name that the host swapped for a symlink, a directory, a FIFO, ...); else e itself.
 */
export function staleIfTypeChanged(e: unknown, where: string): unknown {
  if (!(e instanceof KernelError)) return e;
  if (e.errno !== ELOOP && e.errno !== ENOTDIR && e.errno !== EISDIR && e.errno !== ENXIO) return e;
  return new KernelError(ESTALE, `${where} changed on the host`);
}

/**
 * The host device of an inode that stands for no host object (a ghost, or an object gone at restore):
 * no host attr is ever the same() as it, so a lookup of its name finds whatever the host has there now.
 */
export const NO_DEV = -1;

const FILE_TYPES = ['reg', 'dir', 'symlink', 'chr', 'blk', 'fifo', 'sock'] as const;

/** What a checkpoint keeps of an inode: the object at its path, nothing (it was gone), or a ghost. */
type SavedKind = 'host' | 'gone' | 'ghost';

/** An inode's saved record (see HostInode.saved). */
const SAVED_FIELDS = {
  fs: ref<HostDirFs>(), // by type: hostdir.ts imports this file
  dentry: optRef(Dentry),
  kind: oneOf('host', 'gone', 'ghost'),
  /** From the filesystem's root: where a restore looks for the object ("/" is the root). */
  path: str,
  type: oneOf(...FILE_TYPES),
  /** st_ino the guest saw: kept by ghosts and gone objects, which have no host object to ask. */
  ino: int,
  /** Set when files were open on it: what the object at path must still be at restore. */
  open: opt(struct({ size: int, mtimeNs: bigInt })),
  /** The access mode of the handle the open files shared, if some did. */
  sharedAccess: opt(int),
  ghost: optRef(HostGhost),
  times: opt(struct({ hostA: bigInt, guestA: bigInt, hostM: bigInt, guestM: bigInt })),
};

export class HostInode extends Inode {
  readonly fs: HostDirFs;
  readonly ino: number;
  readonly type: FileType;
  /** The host device of the object (several host filesystems may sit under one host directory). */
  readonly hostDev: number;
  /** The dentry this inode belongs to (hostdir makes one inode per dentry); set right after creation. */
  dentry: Dentry | null = null;
  /**
   * A descriptor on the object (-1: none): a directory's fd, or a regular file's descriptor shared by
   * its open files, or an idle O_PATH or read-only one. Listed in fs's HandleCache while no file uses it.
   */
  handle: HostFd = -1;
  /** The access mode of handle: O_RDONLY, O_WRONLY, O_RDWR, or PATH_ACCESS. */
  handleAccess = PATH_ACCESS;
  /** Open files doing their I/O through handle. */
  users = 0;
  /**
   * The stat by path's question about this object under its name, prepared by the host (hostdir's
   * filestatCached); null until the first such stat confirmed it, and again whenever one answers null.
   * A cache only: never saved, and never trusted beyond what the host's answer confirms.
   */
  question: HostFilestatQuestion | null = null;
  /** Files open on this inode with a descriptor of their own (the others share handle). */
  readonly ownFiles = new Set<HostFile>();
  /**
   * The first bytes of this inode's WASI filestat as the guest sees it (dev, ino, filetype), made once:
   * written over the host's as four u32 words and a byte (a store per byte is slow until V8 has
   * optimized the caller, which costs a syscall-heavy run's first few thousand stats; a builtin's copy
   * costs four times these five stores once it has).
   */
  #filestatHead: Uint8Array | null = null;
  /** #filestatHead's first 16 bytes (dev, ino) as u32s. */
  #headWords: Uint32Array | null = null;
  /** The answer view filestatFrom last saw (the host answers in one page) and its first 16 bytes as u32s, if 4-aligned. */
  #outSeen: Uint8Array | null = null;
  #outWords: Uint32Array | null = null;
  /** The exact times the guest last set, and what the host stored for them (whole microseconds). */
  #times: { hostA: bigint; guestA: bigint; hostM: bigint; guestM: bigint } | null = null;
  /** Once a restore made this inode a ghost: its contents, in memory; the host is never asked again. */
  ghost: HostGhost | null = null;
  /** A restore opened handle for the files that share it, and they have not all been counted yet. */
  #restoredShared = false;
  /** The path a restore found this inode at, for messages until its dentry is filled in. */
  #restoredPath: string | null = null;

  constructor(fs: HostDirFs, attr: HostAttr) {
    super();
    this.fs = fs;
    this.ino = attr.ino;
    this.hostDev = attr.dev;
    this.type = typeOfHostMode(attr.mode);
  }

  /** attr names the same host object as this inode. */
  same(attr: HostAttr): boolean {
    return attr.ino === this.ino && attr.dev === this.hostDev && typeOfHostMode(attr.mode) === this.type;
  }

  /** Throws ESTALE unless attr names this inode's object. */
  verify(attr: HostAttr): void {
    if (!this.same(attr)) throw new KernelError(ESTALE, `${this.#where()} changed on the host`);
  }

  /** The parent directory's descriptor and this inode's name in it; ENOENT once unlinked. */
  nameInParent(): { dir: HostFd; name: string } {
    const d = this.dentry;
    if (d === null || d.dead || d.parent === null) throw new KernelError(ENOENT, `${this.#where()} was removed`);
    return { dir: this.fs.dirFd(d.parent.inode as HostInode), name: d.name };
  }

  /**
   * Whether times set by path reach this inode's object by its name in its parent: not a symlink, no
   * descriptor held, no ghost (hostdir's lookupToChange).
   */
  changedByName(): boolean {
    return this.type !== 'symlink' && this.handle < 0 && this.ownFiles.size === 0 && this.ghost === null;
  }

  /** A descriptor on the object without opening one: its handle, or a file's own. */
  #existingFd(): HostFd {
    if (this.handle >= 0) {
      // Listed in the handle cache (to be marked used) only while no open file uses it.
      if (this.users === 0) this.fs.touch(this);
      return this.handle;
    }
    for (const f of this.ownFiles) return f.fd;
    return -1;
  }

  /** A descriptor on the object (not for symlinks): existing, else an O_PATH handle, checked and cached. */
  #anyFd(): HostFd {
    if (this.type === 'dir') return this.fs.dirFd(this);
    const fd = this.#existingFd();
    if (fd >= 0) return fd;
    const { dir, name } = this.nameInParent();
    const host = this.fs.host;
    const h = host.openPathAt(dir, name);
    try {
      this.verify(host.attr(h));
    } catch (e) {
      host.close(h);
      throw e;
    }
    this.handleAccess = PATH_ACCESS;
    this.fs.keep(this, h);
    return h;
  }

  stat(): Stat {
    if (this.ghost !== null) return this.ghost.stat(this.fs.dev, this.ino);
    this.fs.enter();
    const host = this.fs.host;
    let s: HostStat;
    const fd = this.type === 'dir' ? this.fs.dirFd(this) : this.#existingFd();
    if (fd >= 0) {
      s = host.stat(fd);
    } else {
      const { dir, name } = this.nameInParent();
      s = host.statAt(dir, name);
      this.verify(s);
    }
    return this.#toStat(s);
  }

  /**
   * stat() as WASI's filestat, when the host answers through a descriptor the inode already has (as
   * stat() would): its view, with the guest's dev, ino and type and the times the guest set written
   * over the host's. null: call stat().
   */
  override filestat(): Uint8Array | null {
    if (this.ghost !== null) return null;
    const host = this.fs.host;
    if (host.filestat === undefined) return null;
    this.fs.enter();
    const fd = this.type === 'dir' ? this.fs.dirFd(this) : this.#existingFd();
    if (fd < 0) return null;
    const out = host.filestat(fd);
    return out === null ? null : this.filestatFrom(out);
  }

  /**
   * The guest's view of out, WASI's filestat of this inode's object from the host just now (hostdir's
   * lookupStat): the guest's dev, ino and type, and the times the guest set, written over the host's.
   */
  filestatFrom(out: Uint8Array): Uint8Array {
    const head = this.#filestatHead ?? this.#makeFilestatHead();
    const w = out === this.#outSeen ? this.#outWords : this.#wordsOf(out);
    if (w !== null) {
      // Four word copies keep the bytes as they are (both views have the host's byte order).
      const h = this.#headWords as Uint32Array;
      w[0] = h[0] as number;
      w[1] = h[1] as number;
      w[2] = h[2] as number;
      w[3] = h[3] as number;
      out[FILESTAT_FILETYPE] = head[FILESTAT_FILETYPE] as number;
    } else {
      for (let i = 0; i <= FILESTAT_FILETYPE; i++) out[i] = head[i] as number;
    }
    const t = this.#times;
    if (t !== null) this.#guestTimes(out, t);
    return out;
  }

  /** Remembers out and its u32 view (null where out is not 4-aligned: filestatFrom then copies bytes). */
  #wordsOf(out: Uint8Array): Uint32Array | null {
    this.#outSeen = out;
    this.#outWords = out.byteOffset % 4 === 0 && out.length > FILESTAT_FILETYPE ? new Uint32Array(out.buffer, out.byteOffset, 4) : null;
    return this.#outWords;
  }

  /** dev, ino and type as the guest sees them, WASI's filestat's first 17 bytes. */
  #makeFilestatHead(): Uint8Array {
    // Room for whole words: the first 16 bytes are also read as four u32s.
    const head = (this.#filestatHead = new Uint8Array(FILESTAT_FILETYPE + 4));
    this.#headWords = new Uint32Array(head.buffer, 0, 4);
    const v = new DataView(head.buffer);
    setU64Number(v, 0, this.fs.dev);
    setU64Number(v, FILESTAT_INO, this.ino);
    v.setUint8(FILESTAT_FILETYPE, wasiFiletype(this.type));
    return head;
  }

  /** Writes the times the guest set over the host's in out, where the host still holds what was stored for them. */
  #guestTimes(out: Uint8Array, t: { hostA: bigint; guestA: bigint; hostM: bigint; guestM: bigint }): void {
    const v = new DataView(out.buffer, out.byteOffset, FILESTAT_SIZE);
    if (v.getBigUint64(FILESTAT_ATIM, true) === t.hostA) v.setBigUint64(FILESTAT_ATIM, t.guestA, true);
    if (v.getBigUint64(FILESTAT_MTIM, true) === t.hostM) v.setBigUint64(FILESTAT_MTIM, t.guestM, true);
  }

  /** The guest's view of s, a host stat of this inode's object taken just now (hostdir's lookupStat). */
  statFrom(s: HostStat): Stat {
    return this.#toStat(s);
  }

  #toStat(s: HostStat): Stat {
    return {
      dev: this.fs.dev,
      ino: this.ino,
      type: this.type,
      perm: s.mode & S_IALLUGO,
      nlink: s.nlink,
      uid: s.uid,
      gid: s.gid,
      size: s.size,
      blocks: s.blocks,
      rdev: s.rdev,
      atimeNs: this.#times !== null && s.atimeNs === this.#times.hostA ? this.#times.guestA : s.atimeNs,
      mtimeNs: this.#times !== null && s.mtimeNs === this.#times.hostM ? this.#times.guestM : s.mtimeNs,
      ctimeNs: s.ctimeNs,
    };
  }

  /**
   * Changes attributes on the host. uid and gid are ignored (the host files keep the host process's
   * owner). node:fs sets times in whole microseconds (and both at once), so the exact times the guest
   * set are kept here and shown for as long as the host still holds what was stored for them.
   * Errors: EISDIR (size of a directory), EINVAL (size of a non-regular file, a negative size, a time
   * before 1970), EOPNOTSUPP (perm of a symlink, as fchmodat(AT_SYMLINK_NOFOLLOW)), EROFS, ESTALE,
   * and the host's.
   */
  setStat(req: SetStat, byPath = false): void {
    this.fs.enter();
    this.fs.mutable();
    if (this.ghost !== null) {
      this.ghost.setStat(req.perm === undefined ? req : { ...req, perm: hostPerm(req.perm, this.type) }, this.fs.now());
      return;
    }
    const host = this.fs.host;
    if (req.size !== undefined) {
      if (this.type === 'dir') throw new KernelError(EISDIR);
      if (this.type !== 'reg' || req.size < 0) throw new KernelError(EINVAL);
      this.#truncate(req.size);
    }
    if (req.perm !== undefined) {
      if (this.type === 'symlink') throw new KernelError(EOPNOTSUPP, 'symlinks have no mode of their own');
      host.chmod(this.#anyFd(), hostPerm(req.perm, this.type));
    }
    if (req.atimeNs !== undefined || req.mtimeNs !== undefined) this.#setTimes(req.atimeNs, req.mtimeNs, byPath);
  }

  /**
   * Sets the times (undefined: unchanged) through a descriptor the inode has; lacking one, by name in
   * its parent (the name's own times, never a link's target) when the guest named it by a path just
   * walked, or for a symlink; else through a descriptor opened and checked now.
   */
  #setTimes(atime: HostTime | undefined, mtime: HostTime | undefined, byPath: boolean): void {
    const host = this.fs.host;
    let statNow: () => HostStat;
    let set: (a: HostTime, m: HostTime) => void;
    const fd = this.type === 'symlink' ? -1 : byPath ? this.#existingFd() : this.#anyFd();
    if (fd < 0) {
      const { dir, name } = this.nameInParent();
      statNow = () => {
        const s = host.statAt(dir, name);
        this.verify(s);
        return s;
      };
      set = (a, m) => host.setTimesAt(dir, name, a, m);
    } else {
      statNow = () => host.stat(fd);
      set = (a, m) => host.setTimes(fd, a, m);
    }
    let a = atime;
    let m = mtime;
    if (a === undefined || m === undefined) {
      const shown = this.#toStat(statNow()); // what the guest sees now, for the time it leaves alone
      a ??= shown.atimeNs;
      m ??= shown.mtimeNs;
    } else if (this.type === 'symlink') {
      statNow(); // set by name: still the symlink the walk found
    }
    set(a, m);
    if (storedExactly(a) && storedExactly(m)) {
      // The host holds what the guest asked for (SQLite's utime(lock, NULL) sets both to 0 here): one call.
      this.#times = null;
      return;
    }
    const after = statNow();
    this.#times = {
      hostA: after.atimeNs,
      guestA: a === 'now' ? after.atimeNs : a,
      hostM: after.mtimeNs,
      guestM: m === 'now' ? after.mtimeNs : m,
    };
  }

  #truncate(size: number): void {
    const host = this.fs.host;
    if (this.users > 0 && this.handleAccess !== O_RDONLY) {
      host.truncate(this.handle, size);
      return;
    }
    for (const f of this.ownFiles) {
      if (f.access === O_WRONLY || f.access === O_RDWR) {
        host.truncate(f.fd, size);
        return;
      }
    }
    // Open for writing just for this; the VFS's O_TRUNC open comes next and takes the descriptor.
    const fd = this.#openHost(O_WRONLY);
    try {
      host.truncate(fd, size);
    } catch (e) {
      host.close(fd);
      throw e;
    }
    this.fs.setPending(this, fd, O_WRONLY);
  }

  override readlink(_caller: Caller): string {
    if (this.type !== 'symlink') throw new KernelError(EINVAL);
    this.fs.enter();
    const { dir, name } = this.nameInParent();
    try {
      return this.fs.host.readlinkAt(dir, name);
    } catch (e) {
      // Replaced on the host by something that is no symlink since the lookup.
      if (e instanceof KernelError && e.errno === EINVAL) throw new KernelError(ESTALE, `${this.#where()} changed on the host`);
      throw e;
    }
  }

  /**
   * Opens the object for I/O. Regular files get a host descriptor; directories need none (their
   * listing goes through the filesystem). Host devices are refused with EACCES (as on a nodev mount),
   * FIFOs and sockets with ENXIO (Amber cannot wait on them through node:fs), symlinks with ELOOP.
   */
  open(_dentry: Dentry, flags: number): FileOps {
    this.fs.enter(this);
    switch (this.type) {
      case 'dir':
        return new HostDirOps(this);
      case 'reg':
        break;
      case 'symlink':
        throw new KernelError(ELOOP);
      case 'chr':
      case 'blk':
        throw new KernelError(EACCES, 'host devices cannot be opened');
      default:
        throw new KernelError(ENXIO);
    }
    const access = flags & O_ACCMODE;
    const sync = flags & (O_DSYNC | O_SYNC);
    if (access !== O_RDONLY) this.fs.mutable();
    if (this.ghost !== null) {
      this.users++;
      return new HostFile(this, -1, access, true);
    }
    let pending = this.fs.takePending(this, access);
    if (pending !== null && sync !== 0) {
      this.fs.host.close(pending.fd);
      pending = null;
    }
    // The common case: no host call at all.
    if (pending === null && sync === 0 && this.handle >= 0 && covers(this.handleAccess, access)) return this.#share();
    const fd = pending !== null ? pending.fd : this.#openHost(access | sync);
    const got = pending !== null ? pending.access : access;
    // O_SYNC and O_DSYNC belong to a host descriptor: such a file keeps its own.
    if (sync === 0 && (this.handle < 0 || (this.users === 0 && covers(got, this.handleAccess)))) {
      if (this.handle >= 0) this.fs.dropHandle(this); // idle, and weaker than the new one
      this.handle = fd;
      this.handleAccess = got;
      return this.#share();
    }
    const file = new HostFile(this, fd, got, false, sync);
    this.ownFiles.add(file);
    return file;
  }

  #share(): HostFile {
    if (this.users++ === 0) this.fs.unlist(this);
    return new HostFile(this, this.handle, this.handleAccess, true);
  }

  /** Opens the object with flags: again through its handle, else by name, checking identity. */
  #openHost(flags: number): HostFd {
    const host = this.fs.host;
    const h = this.#existingFd();
    if (h >= 0) return host.reopen(h, flags);
    const { dir, name } = this.nameInParent();
    let fd: HostFd;
    try {
      fd = host.openAt(dir, name, flags, 0);
    } catch (e) {
      throw staleIfTypeChanged(e, this.#where());
    }
    try {
      this.verify(host.attr(fd));
    } catch (e) {
      host.close(fd);
      throw e;
    }
    return fd;
  }

  /**
   * A file was closed. When the last user of the shared handle goes, a read-only handle stays cached
   * for the next open; a writable one is closed, so the host never sees a file held open for writing
   * (ETXTBSY) after the guest closed it.
   */
  released(file: HostFile): void {
    if (this.ghost !== null) {
      if (file.shared) this.users--;
      else this.ownFiles.delete(file);
      return;
    }
    if (!file.shared) {
      this.ownFiles.delete(file);
      this.fs.host.close(file.fd);
      return;
    }
    if (--this.users === 0) this.#idle();
  }

  /** The shared handle has no users left: a read-only one stays cached, a writable one is closed. */
  #idle(): void {
    if (this.handleAccess === O_RDONLY && this.dentry !== null && !this.dentry.dead) {
      this.fs.keep(this, this.handle);
      return;
    }
    const fd = this.handle;
    this.handle = -1;
    this.fs.host.close(fd);
  }

  #where(): string {
    if (this.dentry === null) return this.#restoredPath ?? `inode ${this.ino}`;
    return this.dentry.pathInFs();
  }

  // Checkpoint and restore.

  /** A descriptor of a file open on this inode, preferring one that can read; null when none is open. */
  #openFd(): { fd: HostFd; readable: boolean } | null {
    const canRead = (access: number): boolean => access === O_RDONLY || access === O_RDWR;
    let any: { fd: HostFd; readable: boolean } | null = null;
    if (this.users > 0) {
      if (canRead(this.handleAccess)) return { fd: this.handle, readable: true };
      any = { fd: this.handle, readable: false };
    }
    for (const f of this.ownFiles) {
      if (canRead(f.access)) return { fd: f.fd, readable: true };
      any ??= { fd: f.fd, readable: false };
    }
    return any;
  }

  /**
   * The saved record. An inode with open files is checked against the host now: if a path from the
   * root (its own, or another cached name of the same object) leads to it, the path and the file's
   * size and mtime are saved for the restore to check; if none does (unlinked, renamed or hard-linked
   * away), its contents are read through the open descriptor into a ghost.
   */
  static #record(i: HostInode) {
    const d = i.dentry;
    const rec = {
      fs: i.fs,
      dentry: d,
      kind: 'host' as SavedKind,
      path: d === null ? '/' : d.pathInFs(),
      type: i.type,
      ino: i.ino,
      open: null as OpenIdentity | null,
      sharedAccess: null as number | null,
      ghost: i.ghost,
      times: i.#times,
    };
    if (i.ghost !== null) return { ...rec, kind: 'ghost' as SavedKind };
    const open = i.#openFd();
    if (open === null) return { ...rec, kind: (d === null || d.dead || i.hostDev === NO_DEV ? 'gone' : 'host') as SavedKind };
    const host = i.fs.host;
    const st = host.stat(open.fd);
    const path = i.fs.pathNaming(i);
    if (path === null) {
      const ghost = i.fs.saving().ghostOf(st, () => HostGhost.fromHost(host, open.fd, open.readable, st));
      return { ...rec, kind: 'ghost' as SavedKind, ghost };
    }
    return { ...rec, path, open: { size: st.size, mtimeNs: st.mtimeNs }, sharedAccess: i.users > 0 ? i.handleAccess : null };
  }

  /**
   * Makes the inode again on the restored filesystem: a ghost from its contents, a gone object as a
   * stand-in that names no host object, else the object its path leads to now. A file open at the
   * checkpoint must still be there with its size and mtime (RestoreError otherwise) and gets its
   * handle back; any other object may have changed or gone (it is then a stand-in, which the next
   * lookup of its name replaces).
   */
  static #restore(v: LoadValue<typeof SAVED_FIELDS>, r: Loader): HostInode {
    const fs = r.ref(v.fs);
    const ghost = v.ghost === null ? null : r.ref(v.ghost);
    const standIn: HostAttr = { dev: NO_DEV, ino: v.ino, mode: modeOfType(v.type) };
    if (v.kind === 'ghost') {
      if (ghost === null) throw new StateError(`hostdir: the ghost ${v.path} has no contents`);
      const i = new HostInode(fs, standIn);
      i.ghost = ghost;
      return i;
    }
    if (v.kind === 'gone') return new HostInode(fs, standIn);
    if (v.path === '/') return fs.restoredRoot();
    if (v.open === null) {
      const a = fs.restoring().lookup(v.path);
      const i = new HostInode(fs, a !== null && typeOfHostMode(a.mode) === v.type ? a : standIn);
      i.#times = v.times;
      return i;
    }
    const { fd, st } = fs.restoring().reopenChecked(v.path, v.open);
    const i = new HostInode(fs, st);
    i.#times = v.times;
    i.#restoredPath = v.path;
    if (v.sharedAccess === null) {
      i.handleAccess = PATH_ACCESS;
      fs.keep(i, fd);
      return i;
    }
    try {
      i.handle = fs.host.reopen(fd, v.sharedAccess);
    } catch (e) {
      throw fs.restoring().failure(v.path, e);
    } finally {
      fs.host.close(fd);
    }
    i.handleAccess = v.sharedAccess;
    i.#restoredShared = true;
    fs.restoring().track(i.handle);
    return i;
  }

  /** The descriptor for a file being restored: the shared handle, or the handle reopened with flags. */
  restoredFd(flags: number, shared: boolean): HostFd {
    if (this.ghost !== null) return -1;
    if (this.handle < 0) throw new StateError(`hostdir: ${this.#where()} has an open file but no host descriptor`);
    if (shared) return this.handle;
    let fd: HostFd;
    try {
      fd = this.fs.host.reopen(this.handle, flags);
    } catch (e) {
      throw this.fs.restoring().failure(this.#where(), e);
    }
    this.fs.restoring().track(fd);
    return fd;
  }

  /** A restored file on this inode is back: it shares handle or holds its own descriptor. */
  restoredFile(f: HostFile): void {
    if (f.shared) this.users++;
    else this.ownFiles.add(f);
  }

  static readonly saved = savable(HostInode, {
    name: 'hostdir.Inode',
    version: 1,
    fields: SAVED_FIELDS,
    save: (i) => HostInode.#record(i),
    create: (v, r) => HostInode.#restore(v, r),
    fill: (i, v) => {
      i.dentry = v.dentry;
    },
    afterLoad: (i) => {
      i.#restoredPath = null;
      if (i.#restoredShared) {
        i.#restoredShared = false;
        if (i.users === 0) {
          // The files that shared it were not in the graph: it is idle.
          i.fs.restored(i.handle);
          i.#idle();
        }
      }
      const d = i.dentry;
      if (i.ghost !== null && d !== null && !d.dead && d.mountCount === 0) {
        // Renamed or linked away on the host: the name leads elsewhere now, as a fresh lookup will say.
        d.dead = true;
        if (d.parent !== null && d.parent.children.get(d.name) === d) d.parent.children.delete(d.name);
      }
    },
  });
}
