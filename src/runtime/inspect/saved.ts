// A checkpoint's saved mounts, dentries and filesystems seen through the interfaces vfs's d_path walk and
// mountinfo lines read (PathDentry, MountinfoMount, MountinfoFs), so the inspection shows paths and mount
// lines with vfs's own code, as checkpointctl shows a CRIU image's mountpoints. One object per saved
// object, built from its record on first use; a damaged graph (a loop of parents) is a GraphReadError.
import { GraphReadError, type GraphView, type Rec, type Struct } from '../../state/index.js';
import type { PathDentry } from '../../vfs/dpath.js';
import { tmpfsSuperOptions, type MountinfoFs, type MountinfoMount } from '../../vfs/mountinfo.js';

/** A saved vfs.Dentry. */
export class SavedDentry implements PathDentry {
  readonly rec: Rec;
  readonly name: string;
  readonly parent: SavedDentry | null;
  readonly dead: boolean;

  constructor(rec: Rec, parent: SavedDentry | null) {
    this.rec = rec;
    this.name = rec.str('name');
    this.parent = parent;
    this.dead = rec.bool('dead');
  }
}

/** A saved filesystem, as mountinfo shows it (the values its live class gives). */
export interface SavedFs extends MountinfoFs {
  readonly rec: Rec;
}

/** A saved vfs.Mount; its children are read when first asked for. */
export class SavedMount implements MountinfoMount {
  readonly rec: Rec;
  readonly id: number;
  readonly flags: number;
  readonly fs: SavedFs;
  readonly root: SavedDentry;
  readonly parent: SavedMount | null;
  readonly mountpoint: SavedDentry | null;
  readonly #tree: SavedTree;
  #children: SavedMount[] | undefined;

  constructor(tree: SavedTree, rec: Rec, parent: SavedMount | null) {
    this.#tree = tree;
    this.rec = rec;
    this.id = rec.int('id');
    this.flags = rec.int('flags');
    this.fs = tree.fs(rec.ref('fs'));
    this.root = tree.dentry(rec.ref('root'));
    this.parent = parent;
    const mp = rec.optRef('mountpoint');
    this.mountpoint = mp === null ? null : tree.dentry(mp);
  }

  /** Mounts on dentries of this one, in creation order; each must name this mount as its parent, once. */
  get children(): readonly SavedMount[] {
    if (this.#children === undefined) {
      const children = this.rec.list('children').map((v) => this.#tree.mount(this.#tree.view.deref(v, `${this.rec.label}.children`)));
      for (const [i, c] of children.entries()) {
        const where = `kernel graph: ${c.rec.label} is in ${this.rec.label}.children`;
        if (c.parent !== this) throw new GraphReadError(`${where}, but its parent is ${c.parent?.rec.label ?? 'none'}`);
        if (children.indexOf(c) !== i) throw new GraphReadError(`${where} twice`);
      }
      this.#children = children;
    }
    return this.#children;
  }
}

/** A (mount, dentry) location of the saved graph. */
export interface SavedLocation {
  readonly mount: SavedMount;
  readonly dentry: SavedDentry;
}

/**
 * The records of rec's chain of parents not built yet, nearest first, up to a built one or the top;
 * refuses a chain that loops.
 */
function unbuilt(rec: Rec, built: ReadonlyMap<number, unknown>, parentOf: (r: Rec) => Rec | null): Rec[] {
  const chain: Rec[] = [];
  const seen = new Set<number>();
  for (let r: Rec | null = rec; r !== null && !built.has(r.id); r = parentOf(r)) {
    if (seen.has(r.id)) throw new GraphReadError(`kernel graph: ${rec.label} has a cycle of parents`);
    seen.add(r.id);
    chain.push(r);
  }
  return chain;
}

/** The saved mount tree's objects, one per record; `hostDir` gives the host directory a hostdir key is bound to. */
export class SavedTree {
  readonly view: GraphView;
  readonly #hostDir: (key: string) => string | undefined;
  readonly #dentries = new Map<number, SavedDentry>();
  readonly #mounts = new Map<number, SavedMount>();
  readonly #filesystems = new Map<number, SavedFs>();

  constructor(view: GraphView, hostDir: (key: string) => string | undefined) {
    this.view = view;
    this.#hostDir = hostDir;
  }

  dentry(rec: Rec): SavedDentry {
    for (const r of unbuilt(rec, this.#dentries, (d) => d.optRef('parent')).reverse()) {
      const parent = r.optRef('parent');
      this.#dentries.set(r.id, new SavedDentry(r, parent === null ? null : (this.#dentries.get(parent.id) as SavedDentry)));
    }
    return this.#dentries.get(rec.id) as SavedDentry;
  }

  mount(rec: Rec): SavedMount {
    for (const r of unbuilt(rec, this.#mounts, (m) => m.optRef('parent')).reverse()) {
      const parent = r.optRef('parent');
      this.#mounts.set(r.id, new SavedMount(this, r, parent === null ? null : (this.#mounts.get(parent.id) as SavedMount)));
    }
    return this.#mounts.get(rec.id) as SavedMount;
  }

  /** A saved location: a struct of { mount, dentry } (a file's vd, a process's cwd). */
  location(s: Struct): SavedLocation {
    return { mount: this.mount(s.ref('mount', this.view)), dentry: this.dentry(s.ref('dentry', this.view)) };
  }

  fs(rec: Rec): SavedFs {
    let fs = this.#filesystems.get(rec.id);
    if (fs === undefined) {
      fs = this.#fsOf(rec);
      this.#filesystems.set(rec.id, fs);
    }
    return fs;
  }

  /** What each filesystem's live class shows in mountinfo, from its record. */
  #fsOf(rec: Rec): SavedFs {
    const plain = (fsType: string, source: string): SavedFs => ({ rec, fsType, source, readOnly: false, superOptions: () => '' });
    switch (rec.type) {
      case 'tmpfs.Filesystem':
      case 'dev.Filesystem':
        return {
          rec,
          fsType: 'tmpfs',
          source: rec.str('source'),
          readOnly: false,
          superOptions: () => tmpfsSuperOptions(rec.optInt('sizeBytes') ?? undefined, rec.ref('root').ref('inode').int('perm')),
        };
      case 'proc.Filesystem':
        return plain('proc', 'proc');
      case 'hostfd.Filesystem':
        return plain('hostfd', 'hostfd');
      case 'hostdir.Filesystem': {
        const key = rec.str('key');
        return { rec, fsType: '9p', source: this.#hostDir(key) ?? key, readOnly: rec.bool('readOnly'), superOptions: () => 'trans=fd,cache=remote_revalidating' };
      }
      default:
        return plain(rec.type, '');
    }
  }
}
