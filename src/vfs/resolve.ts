// Path resolution, like Linux's fs/namei.c link_path_walk: component by component against the caller's
// mount tree, following mounts on entry, ".." across mount roots, and symlinks by reading them here, so
// no filesystem (and no host) ever follows a link itself. With a `beneath` base (a WASI directory
// capability other than the root), ".." above it and absolute symlinks are ENOTCAPABLE, as
// openat2(RESOLVE_BENEATH) refuses them.
import { ELOOP, ENAMETOOLONG, ENOENT, ENOTCAPABLE, ENOTDIR } from '../abi/errno.js';
import { MAXSYMLINKS, NAME_MAX } from '../abi/open.js';
import type { Stat } from '../abi/stat.js';
import { KernelError } from '../base/error.js';
import { splitPath, utf8Length } from '../base/path.js';
import type { Caller } from './filesystem.js';
import { followMounts, type VirtualDentry } from './mount.js';

const SLASH = 0x2f;
const DOT = 0x2e;

export interface ResolveContext {
  /** The caller's root ("/"): ".." stops here and absolute paths start here. */
  readonly root: VirtualDentry;
  readonly caller: Caller;
}

export interface WalkOptions {
  /** Follow a symlink in the final component (lstat vs stat, O_NOFOLLOW). */
  followFinal: boolean;
  /** Resolution may not leave the start directory (WASI capabilities), unless start is the root. */
  beneath?: boolean;
  /**
   * The caller stats what the walk finds: a filesystem may answer the final lookup with its stat;
   * 'filestat': with its stat or its WASI filestat bytes (Filesystem.lookupStat).
   */
  wantStat?: boolean | 'filestat';
  /**
   * The caller creates the final component exclusively next (mkdir, open with O_CREAT|O_EXCL, symlink),
   * and that create fails with EEXIST when the name exists: a filesystem may answer the final lookup
   * from its cache (Filesystem.lookupExclusive), as Linux's LOOKUP_EXCL lets NFS skip the server. Not
   * for a path ending in '/' (an error there depends on whether the name exists).
   */
  exclusive?: boolean;
  /**
   * The caller removes the final component next (unlink: 'file', rmdir: 'dir'), and that removal fails
   * as it should when the name changed: a filesystem may answer the final lookup with a cached child of
   * that kind without asking (Filesystem.lookupToRemove).
   */
  removing?: 'file' | 'dir';
  /**
   * The caller sets the final component's times next, and walks again without this (asking) if that
   * says ESTALE: a filesystem may answer the final lookup with a cached child without asking
   * (Filesystem.lookupToChange).
   */
  changing?: boolean;
}

/** Where a walk ended: the final component's parent, its name, and what it names (null: nothing). */
export interface WalkResult {
  parent: VirtualDentry;
  /** The final component; "." when the path names its start (or "/"), ".." for a trailing "..". */
  name: string;
  child: VirtualDentry | null;
  /** The path ended in '/': its final component must be a directory. */
  trailingSlash: boolean;
  /** child's stat, when wantStat was asked and its filesystem gave one with the final lookup. */
  stat?: Stat;
  /** child's WASI filestat, when wantStat was 'filestat' and its filesystem gave that instead. */
  filestat?: Uint8Array;
}

function sameVd(a: VirtualDentry, b: VirtualDentry): boolean {
  return a.mount === b.mount && a.dentry === b.dentry;
}

/** The parent of vd, crossing mount roots upwards, and never above root. */
export function parentOf(ctx: ResolveContext, vd: VirtualDentry): VirtualDentry {
  let cur = vd;
  for (;;) {
    if (sameVd(cur, ctx.root)) return cur;
    if (cur.dentry === cur.mount.root) {
      const up = cur.mount.parent;
      const mp = cur.mount.mountpoint;
      if (up === null || mp === null) return cur; // root of a detached tree
      cur = { mount: up, dentry: mp };
      continue;
    }
    const p = cur.dentry.parent;
    if (p === null) return cur;
    return followMounts({ mount: cur.mount, dentry: p });
  }
}

/** What every lookup of name in dir checks first, as Linux's lookup does: dir is a directory, name fits NAME_MAX bytes. */
function checkLookup(dir: VirtualDentry, name: string): void {
  // Small enough that V8 inlines it into every lookup; what can fail is apart.
  if (dir.dentry.inode.type !== 'dir' || name.length > NAME_MAX / 3) checkLookupFully(dir, name);
}

function checkLookupFully(dir: VirtualDentry, name: string): void {
  if (dir.dentry.inode.type !== 'dir') throw new KernelError(ENOTDIR);
  if (utf8Length(name) > NAME_MAX) throw new KernelError(ENAMETOOLONG);
}

/** Looks name up in the directory vd and follows mounts on the result; null when absent. */
export function lookupChild(vd: VirtualDentry, name: string, caller: Caller): VirtualDentry | null {
  checkLookup(vd, name);
  const d = vd.mount.fs.lookup(vd.dentry, name, caller);
  return d === null ? null : followMounts({ mount: vd.mount, dentry: d });
}

/**
 * lookupChild through the filesystem's lookupStat: the child and its stat from one question. The stat
 * is dropped when a mount covers the child (the walk then ends on the mount's root).
 */
function lookupChildStat(vd: VirtualDentry, name: string, caller: Caller, filestat: boolean): { vd: VirtualDentry; stat?: Stat; filestat?: Uint8Array } | null {
  const fs = vd.mount.fs;
  if (fs.lookupStat === undefined) {
    const child = lookupChild(vd, name, caller);
    return child === null ? null : { vd: child };
  }
  checkLookup(vd, name);
  const r = fs.lookupStat(vd.dentry, name, caller, filestat);
  if (r === null) return null;
  const child = followMounts({ mount: vd.mount, dentry: r.dentry });
  if (child.dentry !== r.dentry) return { vd: child };
  if (r.filestat !== undefined) return { vd: child, filestat: r.filestat };
  return r.stat !== undefined ? { vd: child, stat: r.stat } : { vd: child };
}

/**
 * lookupChild for a name the caller creates exclusively next, through the filesystem's lookupExclusive
 * when it has one. Not on a read-only mount or filesystem: there a name that exists is EEXIST and one
 * that does not is EROFS (Linux reports EEXIST first), so the lookup must ask.
 */
function lookupChildExclusive(vd: VirtualDentry, name: string, caller: Caller): VirtualDentry | null {
  const fs = vd.mount.fs;
  if (fs.lookupExclusive === undefined || vd.mount.readOnly) return lookupChild(vd, name, caller);
  checkLookup(vd, name);
  const d = fs.lookupExclusive(vd.dentry, name, caller);
  return d === null ? null : followMounts({ mount: vd.mount, dentry: d });
}

/** lookupChild for a name the caller removes next, through the filesystem's lookupToRemove when it has one. */
function lookupChildToRemove(vd: VirtualDentry, name: string, kind: 'file' | 'dir', caller: Caller): VirtualDentry | null {
  const fs = vd.mount.fs;
  if (fs.lookupToRemove === undefined) return lookupChild(vd, name, caller);
  checkLookup(vd, name);
  const d = fs.lookupToRemove(vd.dentry, name, kind, caller);
  return d === null ? null : followMounts({ mount: vd.mount, dentry: d });
}

/** lookupChild for a name whose times the caller sets next, through the filesystem's lookupToChange when it has one. */
function lookupChildToChange(vd: VirtualDentry, name: string, caller: Caller): VirtualDentry | null {
  const fs = vd.mount.fs;
  if (fs.lookupToChange === undefined) return lookupChild(vd, name, caller);
  checkLookup(vd, name);
  const d = fs.lookupToChange(vd.dentry, name, caller);
  return d === null ? null : followMounts({ mount: vd.mount, dentry: d });
}

/** Whether a walk from start with `beneath` is confined to start (it is, unless start is the root). */
export function isConfined(ctx: ResolveContext, start: VirtualDentry, beneath: boolean): boolean {
  return beneath && !sameVd(start, ctx.root);
}

/**
 * Walks path from start. Every component but the last must exist and be a directory (after symlinks);
 * the last may be absent (child null). Throws ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, ENOTCAPABLE.
 */
export function walk(ctx: ResolveContext, start: VirtualDentry, path: string, opts: WalkOptions): WalkResult {
  if (isOneName(path)) {
    const r = walkName(ctx, start, path, opts);
    if (r !== null) return r;
  }
  return walkComponents(ctx, start, path, opts);
}

/** Up to this many characters, isOneName looks at each one itself: cheaper than indexOf's builtin call. */
const SHORT_NAME = 16;

/** A path that is one name: no '/', not empty, not '.' or '..' (most paths a WASI program passes). */
export function isOneName(path: string): boolean {
  const n = path.length;
  if (n > SHORT_NAME) return path.indexOf('/') < 0;
  if (n === 0 || (path.charCodeAt(0) === DOT && (n === 1 || (n === 2 && path.charCodeAt(1) === DOT)))) return false;
  for (let i = 0; i < n; i++) if (path.charCodeAt(i) === SLASH) return false;
  return true;
}

/**
 * What a stat by path (WASI's filestat where the filesystem gives it, else the Stat) of a one-name path
 * (isOneName) finds in start, from the filesystem's lookupStat alone, with no walk: null when nothing has
 * that name; undefined when the walk must answer (a filesystem without lookupStat, a mount on the
 * child, a symlink to follow), and walkComponents then asks again.
 */
export function statOneName(ctx: ResolveContext, start: VirtualDentry, name: string, followFinal: boolean): Stat | Uint8Array | null | undefined {
  const fs = start.mount.fs;
  if (fs.lookupStat === undefined) return undefined;
  checkLookup(start, name);
  const r = fs.lookupStat(start.dentry, name, ctx.caller, true);
  if (r === null) return null;
  const d = r.dentry;
  if (d.mountCount > 0 || (followFinal && d.inode.type === 'symlink')) return undefined;
  return r.filestat ?? r.stat ?? d.inode.stat();
}

/**
 * The stat by path's flat case (path_filestat_get of one name its filesystem holds cached): WASI's
 * filestat of the child start.dentry.children has under name, straight from the filesystem's
 * filestatCached, with no walk. It answers only where walk's answer is that same child's stat: name is
 * one name (isOneName: never '', '.', '..' or a '/'), start is a directory, the child is in its children
 * now (so neither removed nor renamed), no mount is on it (a mount's root is what the walk would reach),
 * and it is no symlink the walk must follow; the filesystem then confirms it still is what the name holds.
 * null in every other case: the caller walks (walkComponents, lookupStat), which decides and reports.
 */
export function filestatCachedName(start: VirtualDentry, name: string, followFinal: boolean): Uint8Array | null {
  const fs = start.mount.fs;
  if (fs.filestatCached === undefined) return null;
  const dir = start.dentry;
  if (dir.inode.type !== 'dir' || !isOneName(name)) return null;
  const child = dir.children.get(name);
  if (child === undefined || child.mountCount !== 0 || (followFinal && child.inode.type === 'symlink')) return null;
  return fs.filestatCached(dir, name, child);
}

/**
 * walk for a path that is one name (isOneName): the final lookup in start, without the component loop
 * (which a hot syscall would otherwise have V8 compile, ~9 ms, and run). `beneath` cannot matter: one
 * name never leaves start. null when the name is a symlink to follow: walkComponents asks again and reads it.
 */
function walkName(ctx: ResolveContext, start: VirtualDentry, name: string, opts: WalkOptions): WalkResult | null {
  if (start.dentry.inode.type !== 'dir') throw new KernelError(ENOTDIR);
  let next: VirtualDentry | null;
  let stat: Stat | undefined;
  let filestat: Uint8Array | undefined;
  if (opts.wantStat !== undefined && opts.wantStat !== false) {
    const r = lookupChildStat(start, name, ctx.caller, opts.wantStat === 'filestat');
    if (r === null) return { parent: start, name, child: null, trailingSlash: false };
    next = r.vd;
    stat = r.stat;
    filestat = r.filestat;
  } else if (opts.exclusive === true) {
    next = lookupChildExclusive(start, name, ctx.caller);
  } else if (opts.removing !== undefined) {
    next = lookupChildToRemove(start, name, opts.removing, ctx.caller);
  } else if (opts.changing === true) {
    next = lookupChildToChange(start, name, ctx.caller);
  } else {
    next = lookupChild(start, name, ctx.caller);
  }
  if (next === null) return { parent: start, name, child: null, trailingSlash: false };
  if (opts.followFinal && next.dentry.inode.type === 'symlink') return null;
  if (filestat !== undefined) return { parent: start, name, child: next, trailingSlash: false, filestat };
  return stat === undefined ? { parent: start, name, child: next, trailingSlash: false } : { parent: start, name, child: next, trailingSlash: false, stat };
}

/** walk, component by component (walk's answer for any path). */
export function walkComponents(ctx: ResolveContext, start: VirtualDentry, path: string, opts: WalkOptions): WalkResult {
  if (path === '') throw new KernelError(ENOENT);
  const confined = isConfined(ctx, start, opts.beneath === true);
  const first = splitPath(path);
  // Components still to walk, last component first (so pop() yields the next one).
  const pending = first.components.reverse();
  let trailingSlash = first.trailingSlash;
  let cur = start;
  let depth = 0; // how far below start we are, for `beneath`
  let links = 0;
  if (first.absolute) {
    if (confined) throw new KernelError(ENOTCAPABLE, `absolute path ${path}`);
    cur = ctx.root;
  }
  let parent = cur;
  let name = '.';
  let child: VirtualDentry | null = cur;
  let stat: Stat | undefined;
  let filestat: Uint8Array | undefined;
  while (pending.length > 0) {
    const comp = pending.pop() as string;
    const last = pending.length === 0;
    stat = undefined;
    filestat = undefined;
    if (cur.dentry.inode.type !== 'dir') throw new KernelError(ENOTDIR);
    if (comp === '.') {
      parent = cur;
      name = '.';
      child = cur;
      continue;
    }
    if (comp === '..') {
      if (depth === 0 && confined) throw new KernelError(ENOTCAPABLE, `${path} leaves its directory`);
      if (depth > 0) depth--;
      cur = parentOf(ctx, cur);
      parent = cur;
      name = '..';
      child = cur;
      continue;
    }
    let next: VirtualDentry | null;
    if (last && opts.wantStat !== undefined && opts.wantStat !== false) {
      const r = lookupChildStat(cur, comp, ctx.caller, opts.wantStat === 'filestat');
      next = r === null ? null : r.vd;
      stat = r?.stat;
      filestat = r?.filestat;
    } else if (last && opts.exclusive === true && !trailingSlash) {
      next = lookupChildExclusive(cur, comp, ctx.caller);
    } else if (last && opts.removing !== undefined) {
      next = lookupChildToRemove(cur, comp, opts.removing, ctx.caller);
    } else if (last && opts.changing === true) {
      next = lookupChildToChange(cur, comp, ctx.caller);
    } else {
      next = lookupChild(cur, comp, ctx.caller);
    }
    parent = cur;
    name = comp;
    if (next === null) {
      if (!last) throw new KernelError(ENOENT);
      child = null;
      break;
    }
    if (next.dentry.inode.type === 'symlink' && (!last || opts.followFinal || trailingSlash)) {
      stat = undefined; // the symlink's, not what it leads to
      filestat = undefined;
      if (++links > MAXSYMLINKS) throw new KernelError(ELOOP);
      const target = next.dentry.inode.readlink(ctx.caller);
      if (target === '') throw new KernelError(ENOENT);
      const t = splitPath(target);
      if (last) trailingSlash = trailingSlash || t.trailingSlash;
      for (let i = t.components.length - 1; i >= 0; i--) pending.push(t.components[i] as string);
      if (t.absolute) {
        if (confined) throw new KernelError(ENOTCAPABLE, `symlink ${comp} -> ${target}`);
        cur = ctx.root;
        depth = 0;
      }
      parent = cur;
      name = '.';
      child = cur;
      continue;
    }
    child = next;
    if (!last) {
      cur = next;
      depth++;
    }
  }
  if (child !== null && trailingSlash && child.dentry.inode.type !== 'dir') throw new KernelError(ENOTDIR);
  if (filestat !== undefined) return { parent, name, child, trailingSlash, filestat };
  return stat === undefined ? { parent, name, child, trailingSlash } : { parent, name, child, trailingSlash, stat };
}

/** Walks path and requires that it names something. */
export function resolve(ctx: ResolveContext, start: VirtualDentry, path: string, opts: WalkOptions): VirtualDentry {
  const r = walk(ctx, start, path, opts);
  if (r.child === null) throw new KernelError(ENOENT);
  return r.child;
}
