// hostdir: a filesystem that passes through to a host directory, like gVisor's gofer mounts
// (pkg/sentry/fsimpl/gofer). It never touches a host path: it asks a HostDirectoryAccess (host.ts) for
// children of open directory descriptors, one name at a time, and never follows a host symlink; the
// VFS reads links and resolves them in the guest's own tree. Invariants are in README.md beside this.
//
// A checkpoint saves it by the key its mounter chose, never by host path, and each inode it holds by its
// path from the root (inode.ts); a restore reopens whatever host directory the key is bound to
// (binding.ts) and finds those objects again, refusing the restore when a file open at the checkpoint
// changed. The checkpoint-time and restore-time helpers of inode.ts live here, with the root descriptor.
import { EISDIR, ENAMETOOLONG, ENOENT, ENOTDIR, EROFS, ESTALE } from '../../abi/errno.js';
import { O_CREAT, O_EXCL, O_RDWR, PATH_MAX } from '../../abi/open.js';
import type { Stat } from '../../abi/stat.js';
import { KernelError, messageOf } from '../../base/error.js';
import { utf8Length } from '../../base/path.js';
import { bool, external, int, ref, savable, str, StateError, type LoadValue } from '../../state/index.js';
import { Dentry } from '../../vfs/dentry.js';
import { CLOCK_KEY, nowOf, type RealtimeClock } from '../../vfs/external.js';
import { Filesystem, type Caller, type Creds, type DirEntry, type LookupStat } from '../../vfs/filesystem.js';
import { describeKey, HostDirBinding, hostDirExternalKey, RestoreError } from './binding.js';
import { HandleCache } from './handles.js';
import type { HostAttr, HostDirectoryAccess, HostFd } from './host.js';
import { covers, hostPerm, HostInode, staleIfTypeChanged, typeOfHostMode } from './inode.js';
import { readOnlyAccess } from './readonly.js';
import { RestoreSession, SaveSession } from './session.js';

export interface HostDirFsOptions {
  /** st_dev for every inode (the host's devices are not shown). */
  dev: number;
  host: HostDirectoryAccess;
  /** The host path, for mountinfo's source field only. */
  source: string;
  /** Refuse every change with EROFS. */
  readOnly?: boolean;
  /** Host descriptors kept open for inodes (directories and file handles) at most; default 256. */
  maxHandles?: number;
  /**
   * The stable name a checkpoint saves this filesystem by, chosen by the mounter and bound again by the
   * restore (binding.ts): `volume:NAME`, `bind:CONTAINER:DESTINATION`, `rootfs:CONTAINER`. Never a
   * host path. Without one, a checkpoint of this filesystem is refused.
   */
  key?: string;
  /** Realtime clock, nanoseconds, for the times of ghost files (the kernel's; a restore binds CLOCK_KEY). */
  now?: () => bigint;
}

/** Passed to the constructor by a restore: open the host directory, leave the root to the saved graph. */
const RESTORING: unique symbol = Symbol('restoring');

export const DEFAULT_MAX_HANDLES = 256;

/** Permission bits a host umask may have taken away from a new object (setuid and setgid aside). */
const UMASKED = 0o1777;

/** A filesystem's saved record: its key (bound again by the restore's caller), never its host path. */
const SAVED_FIELDS = {
  key: str,
  host: external(HostDirBinding),
  /** st_dev the guest saw. */
  dev: int,
  readOnly: bool,
  clock: external<RealtimeClock>(),
  root: ref(Dentry),
};

/** A descriptor opened for the open(2) that comes next (O_CREAT, O_TRUNC), which takes it. */
interface Pending {
  inode: HostInode;
  fd: HostFd;
  access: number;
}

export class HostDirFs extends Filesystem {
  /** As gVisor shows its gofer mounts: the host directory reached through a file-server protocol. */
  readonly fsType = '9p';
  readonly dev: number;
  readonly source: string;
  override readonly readOnly: boolean;
  readonly host: HostDirectoryAccess;
  /** The name checkpoints save it by (HostDirFsOptions.key); null: it cannot be checkpointed. */
  readonly key: string | null;
  readonly now: () => bigint;
  /** Null only while a restore has not filled it in yet. */
  #root: Dentry | null = null;
  #rootInode: HostInode | null = null;
  /** The host directory's descriptor: pinned, never in the cache, never evicted. */
  readonly #rootFd: HostFd;
  readonly #rootAttr: HostAttr;
  readonly #handles: HandleCache<HostInode>;
  #pending: Pending | null = null;
  #released = false;
  #save: SaveSession | null = null;
  #restore: RestoreSession | null = null;

  /** Opens the host directory now; its descriptor stays open until release(). */
  constructor(opts: HostDirFsOptions, restoring?: typeof RESTORING) {
    super();
    this.dev = opts.dev;
    this.source = opts.source;
    this.readOnly = opts.readOnly === true;
    // A read-only filesystem refuses changes at the host boundary too, whatever a mount's flags say.
    this.host = this.readOnly ? readOnlyAccess(opts.host) : opts.host;
    this.key = opts.key ?? null;
    this.now = opts.now ?? ((): bigint => BigInt(Date.now()) * 1_000_000n);
    this.#handles = new HandleCache(this.host, opts.maxHandles ?? DEFAULT_MAX_HANDLES);
    const fd = this.host.openRoot();
    let attr: HostAttr;
    try {
      attr = this.host.attr(fd);
      if (typeOfHostMode(attr.mode) !== 'dir') throw new KernelError(ENOTDIR, `${opts.source} is not a directory`);
    } catch (e) {
      this.host.close(fd);
      throw e;
    }
    this.#rootFd = fd;
    this.#rootAttr = attr;
    if (restoring === RESTORING) {
      this.#restore = new RestoreSession(this.host, fd, this.label);
      return;
    }
    const inode = new HostInode(this, attr);
    inode.handle = fd;
    this.#rootInode = inode;
    this.#root = new Dentry('/', null, inode);
    inode.dentry = this.#root;
  }

  root(): Dentry {
    if (this.#root === null) throw new Error('hostdir: the root is used before the restore filled it in (a kernel bug)');
    return this.#root;
  }

  override superOptions(): string {
    return 'trans=fd,cache=remote_revalidating';
  }

  // Helpers for inode.ts.

  /**
   * Starts an operation: closes a pending descriptor nobody took (unless it is keep's) and trims the
   * handle cache. Every Filesystem and Inode method calls it first; I/O on open files does not.
   */
  enter(keep?: HostInode): void {
    const p = this.#pending;
    if (p !== null && p.inode !== keep) {
      this.#pending = null;
      this.#closeQuietly(p.fd);
    }
    this.#handles.trim();
  }

  /** EROFS on a read-only filesystem (the VFS checks the mount first; this is the filesystem's own). */
  mutable(): void {
    if (this.readOnly) throw new KernelError(EROFS);
  }

  /**
   * The descriptor of a directory inode, re-opened from its parent's when the cache evicted it (and
   * checked to be the same directory: ESTALE if the host replaced it, ENOENT if it is gone).
   */
  dirFd(inode: HostInode): HostFd {
    if (inode.handle >= 0) {
      if (inode !== this.#rootInode) this.#handles.touch(inode);
      return inode.handle;
    }
    if (inode.type !== 'dir') throw new KernelError(ENOTDIR);
    const { dir, name } = inode.nameInParent();
    let fd: HostFd;
    try {
      fd = this.host.openDirAt(dir, name);
    } catch (e) {
      throw staleIfTypeChanged(e, name);
    }
    try {
      inode.verify(this.host.attr(fd));
    } catch (e) {
      this.#closeQuietly(fd);
      throw e;
    }
    this.#handles.add(inode, fd);
    return fd;
  }

  touch(inode: HostInode): void {
    if (inode !== this.#rootInode) this.#handles.touch(inode);
  }

  /** Lists fd, inode's handle now idle (or new), in the cache; closes it once released. */
  keep(inode: HostInode, fd: HostFd): void {
    if (this.#released) {
      inode.handle = -1;
      this.#closeQuietly(fd);
      return;
    }
    this.#handles.add(inode, fd);
  }

  /** Open files use inode's handle: the cache must not evict it. */
  unlist(inode: HostInode): void {
    this.#handles.unlist(inode);
  }

  /** Closes inode's idle handle. */
  dropHandle(inode: HostInode): void {
    this.#handles.drop(inode);
  }

  setPending(inode: HostInode, fd: HostFd, access: number): void {
    if (this.#pending !== null) this.#closeQuietly(this.#pending.fd);
    this.#pending = { inode, fd, access };
  }

  /** The pending descriptor for inode if it allows `access` (its own access mode with it); else null. */
  takePending(inode: HostInode, access: number): { fd: HostFd; access: number } | null {
    const p = this.#pending;
    if (p === null || p.inode !== inode) return null;
    this.#pending = null;
    if (covers(p.access, access)) return { fd: p.fd, access: p.access };
    this.#closeQuietly(p.fd);
    return null;
  }

  /** Host descriptors cached for inodes (the root's aside), for tests and debugging. */
  get cachedHandles(): number {
    return this.#handles.size;
  }

  // Filesystem.

  /**
   * Asks the host every time (one lstat through the parent's descriptor). A cached child naming the
   * same host object is returned again; one the host replaced or removed is marked dead and dropped.
   * A mountpoint is returned as cached without asking: the mount on it is what the guest sees.
   */
  lookup(dir: Dentry, name: string): Dentry | null {
    const cached = dir.children.get(name);
    if (cached !== undefined && cached.mountCount > 0) return cached;
    this.enter();
    const dfd = this.dirFd(dir.inode as HostInode);
    if (cached !== undefined) {
      const ci = cached.inode as HostInode;
      if (this.host.stillNames?.(dfd, name, ci.hostDev, ci.ino, ci.type) === true) return cached;
    }
    const attr = this.host.lookup(dfd, name);
    if (cached !== undefined) {
      if (attr !== null && (cached.inode as HostInode).same(attr)) return cached;
      this.#forget(dir, cached, false);
    }
    return attr === null ? null : this.#add(dir, name, attr);
  }

  /**
   * lookup and the child's stat from the same host call (stat(2) by path: the VFS asks when it stats
   * what it finds). A mountpoint is returned without a stat: the walk goes on to the mount's root.
   */
  override lookupStat(dir: Dentry, name: string, _caller: Caller, filestat = false): LookupStat | null {
    const cached = dir.children.get(name);
    const host = this.host;
    if ((cached !== undefined && cached.mountCount > 0) || host.lookupStat === undefined) {
      const d = this.lookup(dir, name);
      return d === null ? null : { dentry: d };
    }
    this.enter();
    const dfd = this.dirFd(dir.inode as HostInode);
    if (cached !== undefined && filestat && host.stillNamesFilestat !== undefined) {
      const ci = cached.inode as HostInode;
      const b = host.stillNamesFilestat(dfd, name, ci.hostDev, ci.ino, ci.type);
      if (b !== null) return { dentry: cached, filestat: ci.filestatFrom(b) };
    }
    return this.#lookupStatAsking(dir, name, dfd, cached);
  }

  /**
   * lookupStat's first answer for a cached child, alone: the stillNamesFilestat lstat, which confirms
   * the name still holds child's object (dev, ino, type) or says nothing. The VFS asks it only for a
   * child it found in dir.children under name, not a mountpoint (vfs/resolve.ts filestatCachedName).
   * Asked again, it is the question the host prepared at the first confirmed answer (the same lstat and
   * confirmation, less the work of naming the path each time), while it is for this name in dir's
   * descriptor. That takes no descriptor and opens none, so enter() waits for the next operation that does.
   */
  override filestatCached(dir: Dentry, name: string, child: Dentry): Uint8Array | null {
    const ci = child.inode as HostInode;
    const q = ci.question;
    if (q !== null && q.name === name && q.dir === (dir.inode as HostInode).handle) {
      const b = q.filestat();
      if (b !== null) return ci.filestatFrom(b);
    }
    return this.#filestatCachedAsking(dir, name, ci);
  }

  /** filestatCached without a question, or past one that answered null: ask, and prepare one for next time. */
  #filestatCachedAsking(dir: Dentry, name: string, ci: HostInode): Uint8Array | null {
    ci.question = null;
    const host = this.host;
    if (host.stillNamesFilestat === undefined) return null;
    this.enter();
    const dfd = this.dirFd(dir.inode as HostInode);
    const b = host.stillNamesFilestat(dfd, name, ci.hostDev, ci.ino, ci.type);
    if (b === null) return null;
    // Preparing asks the host nothing: b stays the answer.
    ci.question = host.filestatQuestion?.(dfd, name, ci.hostDev, ci.ino, ci.type) ?? null;
    return ci.filestatFrom(b);
  }

  /** The rest of lookupStat, apart so that V8 inlines the common case above whole: a stat, by asking. */
  #lookupStatAsking(dir: Dentry, name: string, dfd: HostFd, cached: Dentry | undefined): LookupStat | null {
    const host = this.host;
    if (host.lookupStat === undefined) throw new Error('hostdir: lookupStat without the host\'s (a kernel bug)');
    if (cached !== undefined) {
      const ci = cached.inode as HostInode;
      const s = host.stillNamesStat?.(dfd, name, ci.hostDev, ci.ino, ci.type) ?? null;
      if (s !== null) return { dentry: cached, stat: ci.statFrom(s) };
    }
    const s = host.lookupStat(dfd, name);
    if (cached !== undefined) {
      const ci = cached.inode as HostInode;
      if (s !== null && ci.same(s)) return { dentry: cached, stat: ci.statFrom(s) };
      this.#forget(dir, cached, false);
    }
    if (s === null) return null;
    const d = this.#add(dir, name, s);
    return { dentry: d, stat: (d.inode as HostInode).statFrom(s) };
  }

  /**
   * For a name the guest creates exclusively next: a cached child is looked up as ever (the host may have
   * removed it), an unknown one is left to the create, which the host refuses with EEXIST if the name
   * exists (O_EXCL, mkdir(2), symlink(2)). Saves the host a lookup of a name that is usually absent.
   * Never asked on a read-only mount or filesystem: there the walk looks every name up (vfs/resolve.ts).
   */
  override lookupExclusive(dir: Dentry, name: string): Dentry | null {
    return dir.children.has(name) ? this.lookup(dir, name) : null;
  }

  /**
   * For a name the guest removes next: a cached child of the kind asked for, without asking the host,
   * since the host's unlink(2) or rmdir(2) by that name answers for whatever is there now (ENOENT if
   * gone, EISDIR or ENOTDIR if another kind, and a replaced file of the same kind is removed as a fresh
   * lookup would have found it); #removing drops the child when the host says it changed.
   */
  override lookupToRemove(dir: Dentry, name: string, kind: 'file' | 'dir'): Dentry | null {
    const cached = dir.children.get(name);
    if (cached !== undefined && (cached.inode.type === 'dir') === (kind === 'dir')) return cached;
    return this.lookup(dir, name);
  }

  /**
   * For a name whose times the guest sets next (utimensat by path): a cached child with no descriptor
   * of its own, without asking the host, since its times are then set by name in its parent (never
   * following it: lutimes acts on whatever the name holds now, ENOENT if nothing), and any stat of it
   * checks the name still holds it (ESTALE, on which the VFS walks again, asking). A symlink (the walk
   * reads it), or an object with a descriptor (changed through that), is looked up.
   */
  override lookupToChange(dir: Dentry, name: string): Dentry | null {
    const cached = dir.children.get(name);
    if (cached !== undefined && (cached.inode as HostInode).changedByName()) return cached;
    return this.lookup(dir, name);
  }

  /**
   * The host's listing, with each entry's ino and type from an lstat (Node gives no d_ino). Entries
   * removed between the two are left out, as are names that are not UTF-8 (Node cannot name them).
   * Cached children the host no longer lists are dropped.
   */
  readdir(dir: Dentry): DirEntry[] {
    this.enter();
    const fd = this.dirFd(dir.inode as HostInode);
    const out: DirEntry[] = [];
    const present = new Set<string>();
    for (const name of this.host.readdir(fd)) {
      const a = this.host.lookup(fd, name);
      if (a === null) continue;
      present.add(name);
      out.push({ name, ino: a.ino, type: typeOfHostMode(a.mode) });
    }
    for (const [name, d] of dir.children) {
      if (!present.has(name) && d.mountCount === 0) this.#forget(dir, d, false);
    }
    return out;
  }

  /**
   * The attributes of a just-created object, its permissions set to p where the host's umask took bits
   * away; on failure fd is closed (it was the caller's to hand over).
   */
  #attrWithPerm(fd: HostFd, p: number): HostAttr {
    try {
      const attr = this.host.attr(fd);
      if ((attr.mode & UMASKED) !== (p & UMASKED)) this.host.chmod(fd, p);
      return attr;
    } catch (e) {
      this.#closeQuietly(fd);
      throw e;
    }
  }

  /** Creates the file (O_EXCL) and keeps the descriptor for the open that follows. EEXIST. */
  override createFile(dir: Dentry, name: string, perm: number, _creds: Creds): Dentry {
    this.enter();
    this.mutable();
    const p = hostPerm(perm, 'reg');
    const fd = this.host.openAt(this.dirFd(dir.inode as HostInode), name, O_RDWR | O_CREAT | O_EXCL, p);
    const attr = this.#attrWithPerm(fd, p);
    const d = this.#add(dir, name, attr);
    this.setPending(d.inode as HostInode, fd, O_RDWR);
    return d;
  }

  /**
   * mkdir, then an lstat through dir's descriptor for the new directory's identity (its descriptor is
   * opened when first needed: a lock directory made and removed again, as SQLite's, never needs one).
   * EEXIST.
   */
  override mkdir(dir: Dentry, name: string, perm: number, _creds: Creds): Dentry {
    this.enter();
    this.mutable();
    const dfd = this.dirFd(dir.inode as HostInode);
    const p = hostPerm(perm, 'dir');
    this.host.mkdirAt(dfd, name, p);
    const attr = this.host.lookup(dfd, name);
    if (attr === null) throw new KernelError(ENOENT, `${name} was removed on the host at once`);
    if (typeOfHostMode(attr.mode) !== 'dir') throw new KernelError(ESTALE, `${name} changed on the host`);
    const d = this.#add(dir, name, attr);
    // The host's umask took bits away: set them through the new directory's own descriptor.
    if ((attr.mode & UMASKED) !== (p & UMASKED)) this.host.chmod(this.dirFd(d.inode as HostInode), p);
    return d;
  }

  /** A host symlink with the guest's target, verbatim (the guest resolves it; the host never does). */
  override symlink(dir: Dentry, name: string, target: string, _creds: Creds): Dentry {
    this.enter();
    this.mutable();
    if (target.length >= PATH_MAX / 3 && utf8Length(target) >= PATH_MAX) throw new KernelError(ENAMETOOLONG);
    const dfd = this.dirFd(dir.inode as HostInode);
    this.host.symlinkAt(target, dfd, name);
    return this.#addLooked(dir, dfd, name);
  }

  /** A host hard link to target's object, named through target's parent descriptor. */
  override link(dir: Dentry, name: string, target: Dentry): Dentry {
    this.enter();
    this.mutable();
    const src = (target.inode as HostInode).nameInParent();
    const dfd = this.dirFd(dir.inode as HostInode);
    this.host.linkAt(src.dir, src.name, dfd, name);
    return this.#addLooked(dir, dfd, name);
  }

  override unlink(dir: Dentry, child: Dentry): void {
    this.enter();
    this.mutable();
    this.#removing(dir, child, () => this.host.unlinkAt(this.dirFd(dir.inode as HostInode), child.name));
  }

  override rmdir(dir: Dentry, child: Dentry): void {
    this.enter();
    this.mutable();
    this.#removing(dir, child, () => this.host.rmdirAt(this.dirFd(dir.inode as HostInode), child.name));
  }

  /** renameat(2) on the host, then the same move in the dentry tree. */
  override rename(oldDir: Dentry, child: Dentry, newDir: Dentry, newName: string, replaced: Dentry | null): void {
    this.enter();
    this.mutable();
    const ci = child.inode as HostInode;
    if (replaced !== null && replaced !== child) {
      const ri = replaced.inode as HostInode;
      if (ri.ino === ci.ino && ri.hostDev === ci.hostDev) return; // two links to one object: nothing to do
    }
    const ofd = this.dirFd(oldDir.inode as HostInode);
    const nfd = this.dirFd(newDir.inode as HostInode);
    this.host.renameAt(ofd, child.name, nfd, newName);
    const victim = newDir.children.get(newName);
    if (victim !== undefined && victim !== child) this.#forget(newDir, victim, true);
    if (replaced !== null && replaced !== victim && replaced !== child) this.#forget(newDir, replaced, true);
    if (oldDir.children.get(child.name) === child) oldDir.children.delete(child.name);
    child.name = newName;
    child.parent = newDir;
    newDir.children.set(newName, child);
  }

  /**
   * Closes every host descriptor this filesystem holds (and, for a restore that never completed, those
   * it opened for files).
   */
  override release(): void {
    if (this.#released) return;
    this.#released = true;
    const p = this.#pending;
    this.#pending = null;
    if (p !== null) this.#closeQuietly(p.fd);
    this.#handles.clear();
    this.#save?.close();
    this.#save = null;
    this.#restore?.close(true);
    this.#restore = null;
    if (this.#rootInode !== null) this.#rootInode.handle = -1;
    this.#closeQuietly(this.#rootFd);
  }

  // Checkpoint and restore (for HostInode.saved and HostFile.saved).

  /** "volume data": the key as messages name this filesystem. */
  get label(): string {
    return describeKey(this.key ?? this.source);
  }

  /**
   * The host as one checkpoint sees it: directories opened on the way stay open, and ghosts are shared,
   * for as long as the synchronous walk of the graph (encodeGraph) that asked; a microtask ends it.
   */
  saving(): SaveSession {
    let s = this.#save;
    if (s === null) {
      const session = new SaveSession(this.host, this.#rootFd);
      this.#save = s = session;
      queueMicrotask(() => {
        if (this.#save === session) this.#save = null;
        session.close();
      });
    }
    return s;
  }

  /**
   * A path from the root that leads to inode's host object now (checked through descriptors from the
   * root, never following a link): its dentry's, else another cached name of the same object (a hard
   * link the guest made or looked up); null when none does and a restore could not reopen it.
   */
  pathNaming(inode: HostInode): string | null {
    return this.saving().firstNaming(this.#namesOf(inode), inode.hostDev, inode.ino);
  }

  /** The path of inode's dentry if it is live, then those of the other live cached dentries of its object. */
  *#namesOf(inode: HostInode): IterableIterator<string> {
    const own = inode.dentry;
    if (own !== null && !own.dead) yield own.pathInFs();
    if (this.#root === null) return;
    const todo: Dentry[] = [this.#root];
    for (let d = todo.pop(); d !== undefined; d = todo.pop()) {
      for (const c of d.children.values()) {
        if (c.dead || !(c.inode instanceof HostInode)) continue;
        const ci = c.inode;
        if (ci !== inode && ci.ghost === null && ci.hostDev === inode.hostDev && ci.ino === inode.ino) yield c.pathInFs();
        if (ci.type === 'dir') todo.push(c);
      }
    }
  }

  /** The restore in progress (a kernel bug outside one). */
  restoring(): RestoreSession {
    if (this.#restore === null) throw new Error('hostdir: a restore helper was called outside a restore (a kernel bug)');
    return this.#restore;
  }

  /** fd, which a restore opened, is no longer the restore's to close if it is abandoned. */
  restored(fd: HostFd): void {
    this.#restore?.untrack(fd);
  }

  /** The root inode, on the descriptor the restore opened. */
  restoredRoot(): HostInode {
    this.restoring();
    if (this.#rootInode !== null) throw new StateError(`hostdir ${this.label}: two root inodes in the image`);
    const inode = new HostInode(this, this.#rootAttr);
    inode.handle = this.#rootFd;
    this.#rootInode = inode;
    return inode;
  }

  static #restored(v: LoadValue<typeof SAVED_FIELDS>): HostDirFs {
    const b = v.host;
    const opts: HostDirFsOptions = {
      dev: v.dev,
      host: b.host,
      source: b.source,
      readOnly: v.readOnly,
      key: v.key,
      now: nowOf(v.clock),
      ...(b.maxHandles !== undefined ? { maxHandles: b.maxHandles } : {}),
    };
    let fs: HostDirFs;
    try {
      fs = new HostDirFs(opts, RESTORING);
    } catch (e) {
      const where = b.source === '' ? 'the host directory bound to it' : `the host directory ${b.source}`;
      throw new RestoreError(`${describeKey(v.key)}: cannot open ${where}: ${messageOf(e)}`, { cause: e });
    }
    b.restored(fs);
    return fs;
  }

  static readonly saved = savable(HostDirFs, {
    name: 'hostdir.Filesystem',
    version: 1,
    fields: SAVED_FIELDS,
    save: (fs) => {
      if (fs.key === null) throw new Error(`the host directory ${fs.source} was mounted without a key, so it cannot be checkpointed`);
      return { key: fs.key, host: hostDirExternalKey(fs.key), dev: fs.dev, readOnly: fs.readOnly, clock: CLOCK_KEY, root: fs.root() };
    },
    create: (v) => HostDirFs.#restored(v),
    fill: (fs, v) => {
      if (v.root.inode !== fs.#rootInode) throw new StateError(`hostdir ${fs.label}: the root dentry is not on the root inode`);
      fs.#root = v.root;
    },
    afterLoad: (fs) => {
      // Every inode and file is made: the descriptors now belong to them.
      fs.#restore?.close(false);
      fs.#restore = null;
    },
  });

  /** A new dentry for the host object attr in dir, replacing any cached one under that name. */
  #add(dir: Dentry, name: string, attr: HostAttr): Dentry {
    const old = dir.children.get(name);
    if (old !== undefined) this.#forget(dir, old, false);
    const inode = new HostInode(this, attr);
    const d = new Dentry(name, dir, inode);
    inode.dentry = d;
    dir.children.set(name, d);
    return d;
  }

  /** #add for a name just made on the host, looked up again for its identity. */
  #addLooked(dir: Dentry, dfd: HostFd, name: string): Dentry {
    const attr = this.host.lookup(dfd, name);
    if (attr === null) throw new KernelError(ENOENT, `${name} was removed on the host at once`);
    return this.#add(dir, name, attr);
  }

  #removing(dir: Dentry, child: Dentry, remove: () => void): void {
    try {
      remove();
    } catch (e) {
      // Gone, or replaced by another kind of object (lookupToRemove trusted the cache): the child is stale.
      if (e instanceof KernelError && e.errno === ENOENT) this.#forget(dir, child, true);
      if (e instanceof KernelError && (e.errno === EISDIR || e.errno === ENOTDIR)) this.#forget(dir, child, false);
      throw e;
    }
    this.#forget(dir, child, true);
  }

  /**
   * Marks d dead and drops it from dir. Its handle is closed when the object was removed, or is not a
   * directory; a directory the host replaced keeps its descriptor while cached, so a guest holding it
   * open (a dirfd, a cwd) still reaches it, as on Linux.
   */
  #forget(dir: Dentry, d: Dentry, removed: boolean): void {
    d.dead = true;
    if (dir.children.get(d.name) === d) dir.children.delete(d.name);
    const inode = d.inode as HostInode;
    if (removed || inode.type !== 'dir') this.#handles.drop(inode);
  }

  #closeQuietly(fd: HostFd): void {
    try {
      this.host.close(fd);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
    }
  }
}
