// FileDescription: an open file, like Linux's struct file and gVisor's vfs.FileDescription: the location
// it was opened at, its access mode and status flags, its offset, and the filesystem's FileOps. Several
// fd-table entries may share one description (and so its offset); it is released when the last goes.
import { EBADF, EINVAL, EISDIR, ENODEV, ENOTDIR, EOVERFLOW, EROFS, ESPIPE } from '../abi/errno.js';
import { O_ACCMODE, O_APPEND, O_RDONLY, O_RDWR, O_SETFL_MASK, O_WRONLY, SEEK_CUR, SEEK_END, SEEK_SET } from '../abi/open.js';
import type { SetStat, Stat } from '../abi/stat.js';
import { KernelError } from '../base/error.js';
import { bool, constant, int, ref, savable, struct, type Loader, type LoadValue } from '../state/index.js';
import { Dentry } from './dentry.js';
import type { DirEntry, Inode } from './filesystem.js';
import { Mount, type VirtualDentry } from './mount.js';
import { parentOf, type ResolveContext } from './resolve.js';

/** What poll(2) would report for a file. */
export interface Readiness {
  readable: boolean;
  writable: boolean;
  hangup: boolean;
  /** Bytes available to read (or room to write), when known. */
  nbytes: number;
}

/** The filesystem's part of an open file (Linux's file_operations), one per description. */
export interface FileOps {
  /** Positional I/O and lseek are meaningful (regular files); otherwise offsets are ignored. */
  readonly seekable: boolean;
  /** Reads into dst from offset; returns bytes read, 0 at end of file. */
  read(dst: Uint8Array, offset: number): number;
  /** Writes src at offset (already the end of file for O_APPEND); returns bytes written. */
  write(src: Uint8Array, offset: number): number;
  /** Current size, when the filesystem can answer faster than a full stat. */
  size?(): number;
  readiness?(): Readiness;
  sync?(): void;
  /** posix_fallocate(2): make sure [offset, offset+len) is backed, growing the size if needed. */
  allocate?(offset: number, len: number): void;
  close(): void;
}

export interface OpenedAt {
  vd: VirtualDentry;
  /** The caller's root when the file was opened, for ".." in readdir. */
  ctx: ResolveContext;
}

/** A VirtualDentry as a saved record (the mount and dentry by reference). */
export const savedVd = struct({ mount: ref(Mount), dentry: ref(Dentry) });

/** A saved VirtualDentry made live in create(). */
export function loadVd(v: LoadValue<{ vd: typeof savedVd }>['vd'], r: Loader): VirtualDentry {
  return { mount: r.ref(v.mount), dentry: r.ref(v.dentry) };
}

/** A ResolveContext (a root and a caller) as a saved record, by value. */
export const savedCtx = struct({
  root: savedVd,
  caller: struct({ pid: int, creds: struct({ uid: int, gid: int }) }),
});

/** The access mode bits of open(2) for a description's readable and writable. */
function accessMode(readable: boolean, writable: boolean): number {
  if (readable && writable) return O_RDWR;
  if (writable) return O_WRONLY;
  if (readable) return O_RDONLY;
  return O_ACCMODE; // neither, as Linux's open mode 3
}

export class FileDescription {
  readonly vd: VirtualDentry;
  readonly inode: Inode;
  readonly ops: FileOps;
  readonly readable: boolean;
  readonly writable: boolean;
  /** O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC */
  statusFlags: number;
  offset = 0;
  #refs = 1;
  #ctx: ResolveContext;
  /** A directory listing taken when reading starts at cookie 0, so cookies stay stable. */
  #listing: DirEntry[] | null = null;

  constructor(at: OpenedAt, ops: FileOps, flags: number) {
    this.vd = at.vd;
    this.#ctx = at.ctx;
    this.inode = at.vd.dentry.inode;
    this.ops = ops;
    const acc = flags & O_ACCMODE;
    this.readable = acc === O_RDONLY || acc === O_RDWR;
    this.writable = acc === O_WRONLY || acc === O_RDWR;
    this.statusFlags = flags & O_SETFL_MASK;
  }

  incRef(): void {
    this.#refs++;
  }

  decRef(): void {
    if (--this.#refs === 0) this.ops.close();
  }

  get isDirectory(): boolean {
    return this.inode.type === 'dir';
  }

  /** read(2): EBADF unless open for reading, EISDIR on a directory. */
  read(dst: Uint8Array): number {
    this.#checkRead();
    const n = this.ops.read(dst, this.offset);
    if (this.ops.seekable) this.offset += n;
    return n;
  }

  /** pread(2): ESPIPE on a stream, EINVAL for a negative offset. */
  pread(dst: Uint8Array, offset: number): number {
    this.#checkRead();
    if (!this.ops.seekable) throw new KernelError(ESPIPE);
    if (offset < 0) throw new KernelError(EINVAL);
    return this.ops.read(dst, offset);
  }

  /** write(2): EBADF unless open for writing; O_APPEND writes at the end and moves the offset there. */
  write(src: Uint8Array): number {
    this.#checkWrite();
    const at = (this.statusFlags & O_APPEND) !== 0 && this.ops.seekable ? this.#size() : this.offset;
    const n = this.ops.write(src, at);
    if (this.ops.seekable) this.offset = at + n;
    return n;
  }

  /**
   * pwrite(2): as Linux does, a description with O_APPEND appends whatever the offset, unless `posix`
   * asks for POSIX's rule (O_APPEND has no effect on where pwrite writes), which WASI's fd_pwrite and
   * wasmtime follow.
   */
  pwrite(src: Uint8Array, offset: number, posix = false): number {
    this.#checkWrite();
    if (!this.ops.seekable) throw new KernelError(ESPIPE);
    if (offset < 0) throw new KernelError(EINVAL);
    const at = (this.statusFlags & O_APPEND) !== 0 && !posix ? this.#size() : offset;
    return this.ops.write(src, at);
  }

  /** lseek(2): ESPIPE on a stream; EINVAL for a bad whence or a negative result. */
  seek(offset: number, whence: number): number {
    if (!this.ops.seekable && !this.isDirectory) throw new KernelError(ESPIPE);
    let base: number;
    if (whence === SEEK_SET) base = 0;
    else if (whence === SEEK_CUR) base = this.offset;
    else if (whence === SEEK_END) base = this.#size();
    else throw new KernelError(EINVAL);
    const next = base + offset;
    if (next < 0) throw new KernelError(EINVAL);
    if (!Number.isSafeInteger(next)) throw new KernelError(EOVERFLOW);
    this.offset = next;
    return next;
  }

  stat(): Stat {
    return this.inode.stat();
  }

  /** fchmod/futimens/ftruncate: a size change needs the file open for writing (EBADF, EINVAL). */
  setStat(req: SetStat): void {
    if (req.size !== undefined) {
      if (this.isDirectory) throw new KernelError(EISDIR);
      if (!this.writable) throw new KernelError(EINVAL);
    }
    if (this.vd.mount.readOnly) throw new KernelError(EROFS);
    this.inode.setStat(req);
  }

  allocate(offset: number, len: number): void {
    if (!this.writable) throw new KernelError(EBADF);
    if (offset < 0 || len <= 0) throw new KernelError(EINVAL);
    if (this.isDirectory) throw new KernelError(EISDIR);
    if (this.vd.mount.readOnly) throw new KernelError(EROFS);
    if (this.ops.allocate === undefined) {
      if (this.inode.type !== 'reg') throw new KernelError(ENODEV);
      const end = offset + len;
      if (end > this.#size()) this.inode.setStat({ size: end });
      return;
    }
    this.ops.allocate(offset, len);
  }

  sync(): void {
    this.ops.sync?.();
  }

  /**
   * Directory entries from position `cookie` on ("." is 0, ".." is 1, then the filesystem's entries).
   * Returns each entry with the cookie of the entry after it. ENOTDIR on a non-directory.
   */
  readdir(cookie: number): Array<DirEntry & { next: number }> {
    if (!this.isDirectory) throw new KernelError(ENOTDIR);
    if (cookie === 0 || this.#listing === null) {
      const self = this.inode.stat();
      const up = parentOf(this.#ctx, this.vd);
      const listing: DirEntry[] = [
        { name: '.', ino: self.ino, type: 'dir' },
        { name: '..', ino: up.dentry.inode.ino, type: 'dir' },
      ];
      for (const e of this.vd.mount.fs.readdir(this.vd.dentry, this.#ctx.caller)) listing.push(e);
      this.#listing = listing;
    }
    const out: Array<DirEntry & { next: number }> = [];
    for (let i = cookie; i < this.#listing.length; i++) {
      out.push({ ...(this.#listing[i] as DirEntry), next: i + 1 });
    }
    return out;
  }

  #size(): number {
    return this.ops.size !== undefined ? this.ops.size() : this.inode.stat().size;
  }

  #checkRead(): void {
    if (!this.readable) throw new KernelError(EBADF);
    if (this.isDirectory) throw new KernelError(EISDIR);
  }

  #checkWrite(): void {
    if (!this.writable) throw new KernelError(EBADF);
  }

  /**
   * Saved: where it was opened (mount, dentry, the opener's context), its FileOps, access mode, status
   * flags, offset and reference count. The inode is the dentry's; the directory listing is a cache
   * (nosave), taken again at the next readdir.
   */
  static readonly saved = savable(FileDescription, {
    name: 'vfs.FileDescription',
    version: 1,
    fields: {
      vd: savedVd,
      ctx: savedCtx,
      ops: ref<FileOps>(),
      readable: bool,
      writable: bool,
      statusFlags: int,
      offset: int,
      refs: int,
    },
    save: (f) => ({
      vd: f.vd,
      ctx: f.#ctx,
      ops: f.ops,
      readable: f.readable,
      writable: f.writable,
      statusFlags: f.statusFlags,
      offset: f.offset,
      refs: f.#refs,
    }),
    create: (v, r) => {
      const vd = loadVd(v.vd, r);
      const { caller } = v.ctx;
      const ctx: ResolveContext = {
        root: loadVd(v.ctx.root, r),
        caller: { pid: caller.pid, creds: { uid: caller.creds.uid, gid: caller.creds.gid } },
      };
      const f = new FileDescription({ vd, ctx }, r.ref(v.ops), accessMode(v.readable, v.writable) | v.statusFlags);
      f.offset = v.offset;
      f.#refs = v.refs;
      return f;
    },
  });
}

/** The FileOps of an open directory (reads and writes are EISDIR; listing goes through readdir), shared
 * by every filesystem: one stateless object, saved by name. */
export const DIRECTORY_FILE_OPS: FileOps = Object.freeze({
  seekable: false,
  read: () => {
    throw new KernelError(EISDIR);
  },
  write: () => {
    throw new KernelError(EISDIR);
  },
  close: () => {},
});

export const directoryFileOps = constant('vfs.directoryOps', DIRECTORY_FILE_OPS);
