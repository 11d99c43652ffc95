// Mount and MountNamespace, like Linux's struct mount and struct mnt_namespace. A mount binds a
// filesystem subtree (root) onto a mountpoint dentry of its parent mount. Mounts stacked on one
// mountpoint form a chain: the later mount's parent is the earlier one and its mountpoint is the
// earlier one's root, which is how Linux shows them in mountinfo. The tree is kept as objects
// (parent, mountpoint, children in creation order), never as paths.
import { MNT_READONLY } from '../abi/mount.js';
import { int, list, optRef, ref, savable } from '../state/index.js';
import { Dentry } from './dentry.js';
import { Filesystem } from './filesystem.js';

/** A (mount, dentry) pair: a location in a mount namespace, like Linux's struct path. */
export interface VirtualDentry {
  readonly mount: Mount;
  readonly dentry: Dentry;
}

export class Mount {
  readonly id: number;
  readonly fs: Filesystem;
  /** The subtree of fs this mount shows: fs.root() or, for a bind mount, a dentry inside it. */
  readonly root: Dentry;
  /** MNT_* flags, locks included. */
  flags: number;
  parent: Mount | null = null;
  mountpoint: Dentry | null = null;
  /** Mounts on dentries of this mount, in the order they were made. */
  readonly children: Mount[] = [];
  /** The mount on a given dentry of this mount (at most one; stacking goes through the child). */
  readonly #covers = new Map<Dentry, Mount>();

  constructor(id: number, fs: Filesystem, root: Dentry, flags: number) {
    this.id = id;
    this.fs = fs;
    this.root = root;
    this.flags = flags;
  }

  get readOnly(): boolean {
    return (this.flags & MNT_READONLY) !== 0 || this.fs.readOnly;
  }

  /** The mount directly on dentry d of this mount, if any. */
  mountOn(d: Dentry): Mount | undefined {
    return d.mountCount === 0 ? undefined : this.#covers.get(d);
  }

  /** Attaches child on dentry d of this mount. The caller has made sure nothing is mounted there. */
  attach(child: Mount, d: Dentry): void {
    child.parent = this;
    child.mountpoint = d;
    this.children.push(child);
    this.#covers.set(d, child);
    d.mountCount++;
  }

  /** Detaches child (which must be a child of this mount). */
  detach(child: Mount): void {
    const d = child.mountpoint;
    if (d === null) return;
    const i = this.children.indexOf(child);
    if (i >= 0) this.children.splice(i, 1);
    if (this.#covers.get(d) === child) this.#covers.delete(d);
    d.mountCount--;
    child.parent = null;
    child.mountpoint = null;
  }

  /**
   * The tree is saved as objects (seed 002): parent, mountpoint and children in creation order, never
   * paths, so a covered mount and what is open under it come back as they were. Dentries keep their own
   * mountCount; the #covers index is rebuilt from the children.
   */
  static readonly saved = savable(Mount, {
    name: 'vfs.Mount',
    version: 1,
    fields: {
      id: int,
      fs: ref(Filesystem),
      root: ref(Dentry),
      flags: int,
      parent: optRef(Mount),
      mountpoint: optRef(Dentry),
      children: list(ref(Mount)),
    },
    save: (m) => m,
    create: (v, r) => new Mount(v.id, r.ref(v.fs), r.ref(v.root), v.flags),
    fill: (m, v) => {
      m.parent = v.parent;
      m.mountpoint = v.mountpoint;
      m.children.push(...v.children);
    },
    afterLoad: (m) => {
      for (const c of m.children) if (c.mountpoint !== null) m.#covers.set(c.mountpoint, c);
    },
  });
}

/** Follows mounts stacked on vd down to the topmost one, as a path walk does on entering a dentry. */
export function followMounts(vd: VirtualDentry): VirtualDentry {
  let cur = vd;
  for (;;) {
    const top = cur.mount.mountOn(cur.dentry);
    if (top === undefined) return cur;
    cur = { mount: top, dentry: top.root };
  }
}

/**
 * Every mount of the tree under root, parents before children, children in creation order (mountinfo's
 * order). Reads only `children`, so a checkpoint's saved mount tree walks the same way.
 */
export function* mountsUnder<M extends { readonly children: readonly M[] }>(root: M): IterableIterator<M> {
  const stack: M[] = [root];
  while (stack.length > 0) {
    const m = stack.pop() as M;
    yield m;
    for (let i = m.children.length - 1; i >= 0; i--) stack.push(m.children[i] as M);
  }
}

export class MountNamespace {
  readonly root: Mount;

  constructor(root: Mount) {
    this.root = root;
  }

  get rootDentry(): VirtualDentry {
    return { mount: this.root, dentry: this.root.root };
  }

  /** Every mount, parents before children, children in creation order (mountinfo's order). */
  mounts(): IterableIterator<Mount> {
    return mountsUnder(this.root);
  }

  static readonly saved = savable(MountNamespace, {
    name: 'vfs.MountNamespace',
    version: 1,
    fields: { root: ref(Mount) },
    save: (ns) => ns,
    create: (v, r) => new MountNamespace(r.ref(v.root)),
  });
}
