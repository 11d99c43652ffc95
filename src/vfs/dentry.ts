// Dentry: a name in a directory bound to an inode, like Linux's struct dentry. A filesystem owns its
// dentries: tmpfs keeps them as the directory tree itself, hostdir as a cache it revalidates. The VFS
// relies on `parent` for "..", on identity for mountpoints (a dentry with mounts on it stays the same
// object while they exist), and on `dead` to know a file was unlinked while open.
import { bool, int, map, optRef, ref, savable, str } from '../state/index.js';
import { dentryPath } from './dpath.js';
import { Inode } from './filesystem.js';

export class Dentry {
  name: string;
  parent: Dentry | null;
  readonly inode: Inode;
  /** Children by name. Authoritative for filesystems that keep their tree in memory. */
  readonly children = new Map<string, Dentry>();
  /** How many mounts have this dentry as their mountpoint (in any mount namespace). */
  mountCount = 0;
  /** Unlinked (or replaced by a rename): no longer reachable by its name. */
  dead = false;

  constructor(name: string, parent: Dentry | null, inode: Inode) {
    this.name = name;
    this.parent = parent;
    this.inode = inode;
  }

  /** The path from this filesystem's root, for messages and /proc (not for resolution). */
  pathInFs(): string {
    return dentryPath(this);
  }

  isAncestorOf(other: Dentry): boolean {
    for (let d: Dentry | null = other; d !== null; d = d.parent) if (d === this) return true;
    return false;
  }

  /**
   * Saved with its parent and inode (taken in create: a dentry's ancestors and inode never lead back to
   * it), its children, its mount count and whether it is dead. A dead dentry is saved like any other:
   * an unlinked file still open keeps its name, parent and inode, and is in no directory's children.
   */
  static readonly saved = savable(Dentry, {
    name: 'vfs.Dentry',
    version: 1,
    fields: {
      name: str,
      parent: optRef(Dentry),
      inode: ref(Inode),
      children: map(str, ref(Dentry)),
      mountCount: int,
      dead: bool,
    },
    save: (d) => d,
    create: (v, r) => {
      const parent = v.parent === null ? null : r.ref(v.parent);
      return new Dentry(v.name, parent, r.ref(v.inode));
    },
    fill: (d, v) => {
      for (const [name, c] of v.children) d.children.set(name, c);
      d.mountCount = v.mountCount;
      d.dead = v.dead;
    },
  });
}
