// The files of a pod-owned tmpfs in a checkpoint's kernel graph, by path, as `amber diff` compares two
// images' filesystems (what CRIU's image diff or `podman diff` shows of a container's root): each
// reachable dentry's inode with its type, mode, owner, size, symlink target and present pages, read
// from the saved records, never restored. Dead dentries (unlinked files still open) have no path here.
import { GraphReadError, SparseInfo, type GraphView, type Rec } from '../../state/index.js';

/** One file of a saved tmpfs, as diff compares it. */
export interface SavedFile {
  type: string;
  perm: number;
  uid: number;
  gid: number;
  /** Regular files: their size; 0 otherwise. */
  size: number;
  /** Symlinks: their target; '' otherwise. */
  target: string;
  /** Regular files: the present pages by index (holes read as zeros). */
  pages: ReadonlyArray<readonly [number, Uint8Array]>;
}

/** Deeper than this, a saved tree is taken as damaged (vfs refuses paths this deep long before). */
const MAX_DEPTH = 4096;

function savedFile(inode: Rec): SavedFile {
  const data = inode.get('data');
  const sparse = data instanceof SparseInfo ? data : null;
  return {
    type: inode.str('type'),
    perm: inode.int('perm'),
    uid: inode.int('uid'),
    gid: inode.int('gid'),
    size: sparse?.size ?? 0,
    target: inode.str('target'),
    pages: sparse?.present() ?? [],
  };
}

/** Every file reachable by path in the tmpfs fs ("/" its root, "/a/b" below), in walk order. */
export function tmpfsFiles(view: GraphView, fs: Rec): Map<string, SavedFile> {
  const out = new Map<string, SavedFile>();
  const seen = new Set<number>();
  const walk = (dentry: Rec, path: string, depth: number): void => {
    if (seen.has(dentry.id) || depth > MAX_DEPTH) throw new GraphReadError(`kernel graph: ${dentry.label} is reached twice in ${fs.label}'s tree`);
    seen.add(dentry.id);
    out.set(path, savedFile(dentry.ref('inode')));
    const children = [...dentry.map('children')].map(([name, v]) => [String(name), view.deref(v, `${dentry.label}.children`)] as const);
    for (const [name, child] of children.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!child.bool('dead')) walk(child, path === '/' ? `/${name}` : `${path}/${name}`, depth + 1);
    }
  };
  walk(fs.ref('root'), '/', 0);
  return out;
}
