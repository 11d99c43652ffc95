// Paths of locations as a process sees them, like Linux's d_path(), __d_path() and dentry_path()
// (fs/d_path.c): walk up from a (mount, dentry) to the caller's root, crossing each mount root to its
// mountpoint in the parent mount. /proc/<pid>/fd and /proc/<pid>/cwd show d_path; mountinfo shows
// __d_path, which gives nothing for a location outside the caller's root. The walk reads only names and
// links (PathMount, PathDentry): live mounts have them, and so do a checkpoint's saved mount records.

/**
 * What a path walk reads of a dentry: vfs's Dentry, or a saved dentry record as runtime's inspection
 * shows it. Walks compare dentries by identity, so there is one object per dentry.
 */
export interface PathDentry {
  readonly name: string;
  /** null at its filesystem's root. */
  readonly parent: PathDentry | null;
  /** Unlinked (or replaced by a rename): d_path appends " (deleted)". */
  readonly dead: boolean;
}

/** What a path walk reads of a mount: vfs's Mount, or a saved mount record (one object per mount). */
export interface PathMount {
  /** The subtree of its filesystem the mount shows. */
  readonly root: PathDentry;
  /** null for a namespace's root mount or a detached one. */
  readonly parent: PathMount | null;
  readonly mountpoint: PathDentry | null;
}

/** A (mount, dentry) pair, like Linux's struct path; vfs's VirtualDentry is one. */
export interface PathLocation {
  readonly mount: PathMount;
  readonly dentry: PathDentry;
}

/** How a walk up from a location ended, as Linux's prepend_path() reports it. */
export type PathReach =
  /** The walk met the caller's root: the path is relative to it. */
  | 'root'
  /** The walk reached the top of the mount tree without meeting the root (outside a chroot, or a
   * mount detached by a lazy unmount): the path is from that top. */
  | 'top'
  /** The dentry is not below its mount's root (moved out of a bind mount's subtree): the path is "/". */
  | 'escaped';

export interface RawPath {
  path: string;
  reach: PathReach;
}

/** The path of vd from root, and whether the walk up met root (Linux's prepend_path()). */
export function rawPathOf(root: PathLocation, vd: PathLocation): RawPath {
  const names: string[] = [];
  let mount = vd.mount;
  let dentry = vd.dentry;
  let reach: PathReach = 'root';
  while (dentry !== root.dentry || mount !== root.mount) {
    if (dentry === mount.root) {
      const up = mount.parent;
      const mp = mount.mountpoint;
      if (up === null || mp === null) {
        reach = 'top';
        break;
      }
      mount = up;
      dentry = mp;
      continue;
    }
    const parent = dentry.parent;
    if (parent === null) {
      return { path: '/', reach: 'escaped' };
    }
    names.push(dentry.name);
    dentry = parent;
  }
  return { path: '/' + names.reverse().join('/'), reach };
}

/**
 * d_path(): the path of vd as seen from root. A location not under root gets its path from the top
 * of its mount tree (the namespace root, or a detached tree's root), as Linux gives it; an unlinked
 * file gets " (deleted)" appended.
 */
export function pathOf(root: PathLocation, vd: PathLocation): string {
  const { path } = rawPathOf(root, vd);
  return vd.dentry.dead ? `${path} (deleted)` : path;
}

/**
 * __d_path(): the path of vd from root, or null when vd is not under root (mountinfo and mounts omit
 * such mounts). No " (deleted)" suffix.
 */
export function pathUnder(root: PathLocation, vd: PathLocation): string | null {
  const r = rawPathOf(root, vd);
  return r.reach === 'root' ? r.path : null;
}

/** dentry_path_raw(): the path of d from its filesystem's root, mounts not crossed ("/" for the root). */
export function dentryPath(d: PathDentry): string {
  const names: string[] = [];
  for (let e: PathDentry | null = d; e !== null && e.parent !== null; e = e.parent) names.push(e.name);
  return '/' + names.reverse().join('/');
}
