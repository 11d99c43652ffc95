// VirtualFilesystem: the path-based operations of the VFS (openat, mkdirat, unlinkat, renameat, ...),
// like gVisor's vfs.VirtualFilesystem and Linux's fs/namei.c. It resolves paths, applies the rules that
// do not depend on a filesystem (types, mountpoints, read-only mounts, EXDEV), then asks the filesystem
// to do the rest. It also hands out mount ids. Each call either completes or throws KernelError before
// changing anything.
import {
  EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOTCAPABLE, ENOTDIR, ENOTEMPTY, EPERM, EROFS, ESTALE, EXDEV,
} from '../abi/errno.js';
import type { SetStat, Stat } from '../abi/stat.js';
import { O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_TRUNC } from '../abi/open.js';
import { KernelError } from '../base/error.js';
import { int, savable } from '../state/index.js';
import type { Dentry } from './dentry.js';
import { FileDescription } from './file.js';
import type { Filesystem } from './filesystem.js';
import { Mount, type VirtualDentry } from './mount.js';
import { isConfined, isOneName, resolve, statOneName, walk, walkComponents, type ResolveContext, type WalkResult } from './resolve.js';

/** The caller of a path operation: its root, pid and credentials. */
export type PathContext = ResolveContext;

/** Where a path starts: a directory (cwd or a dirfd) and whether it may be left (WASI capabilities). */
export interface PathStart {
  readonly at: VirtualDentry;
  readonly beneath?: boolean;
}

export interface OpenOptions {
  /** Linux open flags (abi/open.ts). */
  flags: number;
  /** Permission bits for a created file. */
  perm: number;
}

function mustExist(r: WalkResult): VirtualDentry {
  if (r.child === null) throw new KernelError(ENOENT);
  return r.child;
}

function isMountpoint(r: WalkResult, child: VirtualDentry): boolean {
  return child.mount !== r.parent.mount || child.dentry.mountCount > 0;
}

function writable(vd: VirtualDentry): void {
  if (vd.mount.readOnly) throw new KernelError(EROFS);
}

export class VirtualFilesystem {
  #nextMountId = 1;

  /** Its one counter: mount ids are never reused, across a restore too. */
  static readonly saved = savable(VirtualFilesystem, {
    name: 'vfs.VirtualFilesystem',
    version: 1,
    fields: { nextMountId: int },
    save: (vfs) => ({ nextMountId: vfs.#nextMountId }),
    create: (v) => {
      const vfs = new VirtualFilesystem();
      vfs.#nextMountId = v.nextMountId;
      return vfs;
    },
  });

  /** A new, unattached mount of fs showing root (fs.root() by default). */
  newMount(fs: Filesystem, flags: number, root?: Dentry): Mount {
    return new Mount(this.#nextMountId++, fs, root ?? fs.root(), flags);
  }

  /** Mounts m on the location vd names, on top of whatever is mounted there already (stacking). */
  attach(vd: VirtualDentry, m: Mount): void {
    if (vd.dentry.inode.type !== 'dir' && m.root.inode.type === 'dir') throw new KernelError(ENOTDIR);
    vd.mount.attach(m, vd.dentry);
  }

  walk(ctx: PathContext, start: PathStart, path: string, followFinal: boolean): WalkResult {
    return walk(ctx, start.at, path, { followFinal, beneath: start.beneath === true });
  }

  /** walk for a path whose final component the caller creates exclusively next (WalkOptions.exclusive). */
  #walkToCreate(ctx: PathContext, start: PathStart, path: string): WalkResult {
    return walk(ctx, start.at, path, { followFinal: false, beneath: start.beneath === true, exclusive: true });
  }

  resolve(ctx: PathContext, start: PathStart, path: string, followFinal: boolean): VirtualDentry {
    return resolve(ctx, start.at, path, { followFinal, beneath: start.beneath === true });
  }

  /**
   * openat(2). Errors: ENOENT (missing without O_CREAT), EEXIST (O_CREAT|O_EXCL on an existing name),
   * ELOOP (O_NOFOLLOW on a symlink), ENOTDIR (O_DIRECTORY on a non-directory), EISDIR (a directory
   * opened for writing, or O_CREAT on one), EROFS (writing or creating on a read-only mount).
   */
  openAt(ctx: PathContext, start: PathStart, path: string, opts: OpenOptions): FileDescription {
    return this.#openAt(ctx, start, path, opts, false);
  }

  /**
   * openAt. Every O_CREAT walks as an exclusive create does (the final name left unknown when its
   * filesystem cannot tell without asking: lookupExclusive), and an unknown name is created exclusively
   * at once: a journal is made far more often than found. Without O_EXCL, a create that says EEXIST
   * opens what is there, by the walk that asks (`asked`), as if the name had been looked up first.
   */
  #openAt(ctx: PathContext, start: PathStart, path: string, opts: OpenOptions, asked: boolean): FileDescription {
    const { flags } = opts;
    const creat = (flags & O_CREAT) !== 0;
    const exclusive = creat && (flags & O_EXCL) !== 0;
    const follow = (flags & O_NOFOLLOW) === 0;
    const createFirst = creat && !exclusive && !asked;
    let r = exclusive || createFirst ? this.#walkToCreate(ctx, start, path) : this.walk(ctx, start, path, follow);
    // That walk never follows the final name: a symlink to follow is walked again, following it.
    if (createFirst && follow && r.child !== null && r.child.dentry.inode.type === 'symlink') r = this.walk(ctx, start, path, true);
    let vd = r.child;
    if (vd === null) {
      if (!creat) throw new KernelError(ENOENT);
      if (r.trailingSlash || (flags & O_DIRECTORY) !== 0) throw new KernelError(EISDIR);
      writable(r.parent);
      let d: Dentry;
      try {
        d = r.parent.mount.fs.createFile(r.parent.dentry, r.name, opts.perm, ctx.caller.creds);
      } catch (e) {
        // EROFS too: an existing name opens on a read-only filesystem, and the walk that asks finds it.
        if (!createFirst || !(e instanceof KernelError) || (e.errno !== EEXIST && e.errno !== EROFS)) throw e;
        return this.#openAt(ctx, start, path, opts, true);
      }
      vd = { mount: r.parent.mount, dentry: d };
    } else {
      const type = vd.dentry.inode.type;
      if (exclusive) throw new KernelError(EEXIST);
      if (type === 'symlink') throw new KernelError(ELOOP);
      if ((flags & O_DIRECTORY) !== 0 && type !== 'dir') throw new KernelError(ENOTDIR);
      const acc = flags & O_ACCMODE;
      if (type === 'dir' && (acc !== O_RDONLY || creat || (flags & O_TRUNC) !== 0)) throw new KernelError(EISDIR);
      if (acc !== O_RDONLY || (flags & O_TRUNC) !== 0) {
        if (type === 'reg' || type === 'dir') writable(vd);
      }
      if ((flags & O_TRUNC) !== 0 && type === 'reg' && acc !== O_RDONLY) vd.dentry.inode.setStat({ size: 0 });
    }
    const ops = vd.dentry.inode.open(vd.dentry, flags);
    return new FileDescription({ vd, ctx }, ops, flags);
  }

  /** mkdirat(2): EEXIST if the name exists (even as a dangling symlink), EROFS on a read-only mount. */
  mkdirAt(ctx: PathContext, start: PathStart, path: string, perm: number): void {
    const r = this.#walkToCreate(ctx, start, path);
    if (r.child !== null) throw new KernelError(EEXIST);
    writable(r.parent);
    r.parent.mount.fs.mkdir(r.parent.dentry, r.name, perm, ctx.caller.creds);
  }

  /**
   * symlinkat(2): EEXIST if the name exists. Beneath a confined directory (a WASI capability other than
   * the root) an absolute target is ENOTCAPABLE, as wasmtime refuses it: such a link could only lead
   * out of the capability.
   */
  symlinkAt(ctx: PathContext, target: string, start: PathStart, path: string): void {
    if (target === '') throw new KernelError(ENOENT);
    if (target.startsWith('/') && isConfined(ctx, start.at, start.beneath === true)) {
      throw new KernelError(ENOTCAPABLE, `absolute symlink target ${target}`);
    }
    const r = this.#walkToCreate(ctx, start, path);
    if (r.child !== null) throw new KernelError(EEXIST);
    if (r.trailingSlash) throw new KernelError(ENOENT);
    writable(r.parent);
    r.parent.mount.fs.symlink(r.parent.dentry, r.name, target, ctx.caller.creds);
  }

  /**
   * linkat(2): EPERM for a directory, EEXIST if the new name exists, EXDEV across mounts (even of one
   * filesystem, as Linux checks the vfsmount).
   */
  linkAt(ctx: PathContext, oldStart: PathStart, oldPath: string, newStart: PathStart, newPath: string, follow: boolean): void {
    const old = this.resolve(ctx, oldStart, oldPath, follow);
    if (old.dentry.inode.type === 'dir') throw new KernelError(EPERM);
    const r = this.walk(ctx, newStart, newPath, false);
    if (r.child !== null) throw new KernelError(EEXIST);
    if (r.trailingSlash) throw new KernelError(ENOENT);
    if (r.parent.mount !== old.mount) throw new KernelError(EXDEV);
    writable(r.parent);
    r.parent.mount.fs.link(r.parent.dentry, r.name, old.dentry);
  }

  /** unlinkat(2) without AT_REMOVEDIR: EISDIR for a directory, EBUSY for a mountpoint. */
  unlinkAt(ctx: PathContext, start: PathStart, path: string): void {
    const r = walk(ctx, start.at, path, { followFinal: false, beneath: start.beneath === true, removing: 'file' });
    if (r.name === '.' || r.name === '..') throw new KernelError(EISDIR);
    const child = mustExist(r);
    if (child.dentry.inode.type === 'dir') throw new KernelError(EISDIR);
    if (isMountpoint(r, child)) throw new KernelError(EBUSY);
    writable(r.parent);
    r.parent.mount.fs.unlink(r.parent.dentry, child.dentry);
  }

  /** rmdir(2): EINVAL for ".", ENOTEMPTY for "..", ENOTDIR, EBUSY for a mountpoint, ENOTEMPTY. */
  rmdirAt(ctx: PathContext, start: PathStart, path: string): void {
    const r = walk(ctx, start.at, path, { followFinal: false, beneath: start.beneath === true, removing: 'dir' });
    if (r.name === '.') throw new KernelError(EINVAL);
    if (r.name === '..') throw new KernelError(ENOTEMPTY);
    const child = mustExist(r);
    if (child.dentry.inode.type !== 'dir') throw new KernelError(ENOTDIR);
    if (isMountpoint(r, child)) throw new KernelError(EBUSY);
    writable(r.parent);
    r.parent.mount.fs.rmdir(r.parent.dentry, child.dentry);
  }

  /**
   * renameat(2). Errors in Linux's order: EXDEV (different mounts), EBUSY ("." or ".." at either end,
   * or a mountpoint), ENOENT, ENOTDIR (a directory over a non-directory), EISDIR (the reverse), EINVAL
   * (a directory into itself), ENOTEMPTY (over a non-empty directory), EROFS.
   */
  renameAt(ctx: PathContext, oldStart: PathStart, oldPath: string, newStart: PathStart, newPath: string): void {
    const o = this.walk(ctx, oldStart, oldPath, false);
    const n = this.walk(ctx, newStart, newPath, false);
    if (o.parent.mount !== n.parent.mount) throw new KernelError(EXDEV);
    if (o.name === '.' || o.name === '..' || n.name === '.' || n.name === '..') throw new KernelError(EBUSY);
    const src = mustExist(o);
    const dst = n.child;
    const srcIsDir = src.dentry.inode.type === 'dir';
    if (!srcIsDir && n.trailingSlash) throw new KernelError(ENOTDIR);
    if (dst !== null && dst.dentry === src.dentry) return;
    if (isMountpoint(o, src) || (dst !== null && isMountpoint(n, dst))) throw new KernelError(EBUSY);
    if (srcIsDir && src.dentry.isAncestorOf(n.parent.dentry)) throw new KernelError(EINVAL);
    if (dst !== null) {
      const dstIsDir = dst.dentry.inode.type === 'dir';
      if (srcIsDir && !dstIsDir) throw new KernelError(ENOTDIR);
      if (!srcIsDir && dstIsDir) throw new KernelError(EISDIR);
      if (dst.dentry.inode === src.dentry.inode) return; // two links to one inode: POSIX says do nothing
      if (dstIsDir && dst.dentry.isAncestorOf(o.parent.dentry)) throw new KernelError(ENOTEMPTY);
      if (dstIsDir && dst.mount.fs.readdir(dst.dentry, ctx.caller).length > 0) throw new KernelError(ENOTEMPTY);
    }
    writable(o.parent);
    o.parent.mount.fs.rename(o.parent.dentry, src.dentry, n.parent.dentry, n.name, dst === null ? null : dst.dentry);
  }

  /** readlinkat(2): EINVAL when the path does not name a symlink. */
  readlinkAt(ctx: PathContext, start: PathStart, path: string): string {
    const vd = mustExist(this.walk(ctx, start, path, false));
    if (vd.dentry.inode.type !== 'symlink') throw new KernelError(EINVAL);
    return vd.dentry.inode.readlink(ctx.caller);
  }

  /** stat(2)/lstat(2): from the final lookup when its filesystem answers both at once (hostdir). */
  statAt(ctx: PathContext, start: PathStart, path: string, follow: boolean): Stat {
    const st = this.statIfExists(ctx, start, path, follow);
    if (st === null) throw new KernelError(ENOENT);
    return st;
  }

  /**
   * statAt, with null where statAt throws ENOENT for the last component: a program asking whether a file
   * exists is common (SQLite stats its missing journal twice a transaction), and an answer is cheaper
   * returned than thrown. A missing directory on the way is still ENOENT.
   */
  statIfExists(ctx: PathContext, start: PathStart, path: string, follow: boolean): Stat | null {
    const r = walk(ctx, start.at, path, { followFinal: follow, beneath: start.beneath === true, wantStat: true });
    if (r.child === null) return null;
    return r.stat ?? r.child.dentry.inode.stat();
  }

  /**
   * statIfExists for a caller that writes WASI's filestat (path_filestat_get): the filestat bytes where
   * the final lookup's filesystem gives them (Filesystem.lookupStat), else the Stat.
   */
  filestatIfExists(ctx: PathContext, start: PathStart, path: string, follow: boolean): Stat | Uint8Array | null {
    // A name in the start directory (most stats a program makes) needs no walk: one question to its
    // filesystem, where it answers lookupStat (a filesystem without it takes walk's own one-name lookup).
    const one = isOneName(path) && start.at.mount.fs.lookupStat !== undefined;
    if (one) {
      const st = statOneName(ctx, start.at, path, follow);
      if (st !== undefined) return st;
    }
    const opts = { followFinal: follow, beneath: start.beneath === true, wantStat: 'filestat' } as const;
    const r = one ? walkComponents(ctx, start.at, path, opts) : walk(ctx, start.at, path, opts);
    if (r.child === null) return null;
    return r.filestat ?? r.stat ?? r.child.dentry.inode.stat();
  }

  /** chmod/utimensat/truncate by path: EROFS on a read-only mount, EISDIR for a directory's size. */
  setStatAt(ctx: PathContext, start: PathStart, path: string, follow: boolean, req: SetStat): void {
    // Times alone (utimensat): the final name may come from the filesystem's cache (lookupToChange);
    // ESTALE then means it changed, and the call is made again after a walk that asks.
    const timesOnly = req.size === undefined && req.perm === undefined && req.uid === undefined && req.gid === undefined;
    if (timesOnly) {
      const vd = resolve(ctx, start.at, path, { followFinal: follow, beneath: start.beneath === true, changing: true });
      try {
        writable(vd);
        vd.dentry.inode.setStat(req, true);
        return;
      } catch (e) {
        if (!(e instanceof KernelError) || e.errno !== ESTALE) throw e;
      }
    }
    const vd = this.resolve(ctx, start, path, follow);
    if (req.size !== undefined && vd.dentry.inode.type === 'dir') throw new KernelError(EISDIR);
    writable(vd);
    vd.dentry.inode.setStat(req, true);
  }
}
