// procfs inodes, like Linux's proc_inode with its pid_entry operations (fs/proc/base.c, fd.c, self.c):
// each inode is a node kind (root, /proc/self, /proc/<pid>, its mountinfo, its fd/ entries, ...) plus
// the pid and fd it is about. Nothing is stored: contents and link targets come from the ProcSource
// when a guest asks, and a mountinfo file's text is taken once, when it is opened (and saved as it was).
import { EACCES, EINVAL, ENOENT, EPERM, ESRCH } from '../../abi/errno.js';
import { O_ACCMODE, O_RDONLY } from '../../abi/open.js';
import type { FileType, SetStat, Stat } from '../../abi/stat.js';
import { KernelError } from '../../base/error.js';
import { bigInt, bytes, oneOf, opt, ref, savable, int, struct, type LoadValue } from '../../state/index.js';
import type { Dentry } from '../../vfs/dentry.js';
import { DIRECTORY_FILE_OPS, type FileOps } from '../../vfs/file.js';
import { Inode, type Caller, type Filesystem } from '../../vfs/filesystem.js';
import type { ProcSource } from './source.js';

export type ProcNode =
  | { readonly kind: 'root' }
  /** /proc/self, a symlink to the caller's pid. */
  | { readonly kind: 'self' }
  /** /proc/mounts, a symlink to self/mounts. */
  | { readonly kind: 'mounts-link' }
  | { readonly kind: 'pid'; readonly pid: number }
  | { readonly kind: 'mountinfo'; readonly pid: number }
  | { readonly kind: 'mounts'; readonly pid: number }
  | { readonly kind: 'fd-dir'; readonly pid: number }
  | { readonly kind: 'fd'; readonly pid: number; readonly fd: number }
  | { readonly kind: 'cwd'; readonly pid: number };

/** What a proc inode needs from its filesystem (Procfs provides it). */
export interface ProcView extends Filesystem {
  readonly processes: ProcSource;
  now(): bigint;
}

/** Inode numbers per pid: /proc/<pid> is (pid+1)·2^24, its files follow, fd N is 16+N past it. */
const PID_STRIDE = 2 ** 24;
const FD_BASE = 16;
/** Largest fd whose inode number cannot run into the next pid's. */
export const MAX_FD = PID_STRIDE - FD_BASE - 1;

/** A stable inode number for every (pid, file), the same whenever and however often it is looked up. */
export function inoOf(n: ProcNode): number {
  switch (n.kind) {
    case 'root': return 1;
    case 'self': return 2;
    case 'mounts-link': return 3;
    default: {
      const base = (n.pid + 1) * PID_STRIDE;
      switch (n.kind) {
        case 'pid': return base;
        case 'mountinfo': return base + 1;
        case 'mounts': return base + 2;
        case 'fd-dir': return base + 3;
        case 'cwd': return base + 4;
        case 'fd': return base + FD_BASE + n.fd;
      }
    }
  }
}

export function typeOf(n: ProcNode): FileType {
  switch (n.kind) {
    case 'root':
    case 'pid':
    case 'fd-dir':
      return 'dir';
    case 'mountinfo':
    case 'mounts':
      return 'reg';
    default:
      return 'symlink';
  }
}

/** Permission bits as Linux gives them (fd links reflect the description's access mode). */
function permOf(n: ProcNode, fd: { readable?: boolean; writable?: boolean } | undefined): number {
  switch (n.kind) {
    case 'root':
    case 'pid':
      return 0o555;
    case 'fd-dir':
      return 0o500;
    case 'mountinfo':
    case 'mounts':
      return 0o444;
    case 'fd': {
      const r = fd?.readable !== false;
      const w = fd?.writable !== false;
      return (r ? 0o500 : 0) | (w ? 0o300 : 0);
    }
    default:
      return 0o777;
  }
}

/**
 * A file whose bytes were fixed when it was opened (Linux's seq_file buffer, taken whole): a mountinfo
 * or mounts table. A checkpoint saves the bytes, so a reader part way through reads on where it was.
 */
export class ProcSnapshotFile implements FileOps {
  readonly seekable = true;
  readonly #bytes: Uint8Array;

  constructor(content: string | Uint8Array) {
    this.#bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  }

  read(dst: Uint8Array, offset: number): number {
    const b = this.#bytes;
    if (offset >= b.length) return 0;
    const n = Math.min(dst.length, b.length - offset);
    dst.set(b.subarray(offset, offset + n));
    return n;
  }

  write(): number {
    throw new KernelError(EINVAL);
  }

  close(): void {}

  static readonly saved = savable(ProcSnapshotFile, {
    name: 'proc.SnapshotFile',
    version: 1,
    fields: { bytes },
    save: (f) => ({ bytes: f.#bytes }),
    create: (v) => new ProcSnapshotFile(v.bytes),
  });
}

const PROC_NODE_KINDS = ['root', 'self', 'mounts-link', 'pid', 'mountinfo', 'mounts', 'fd-dir', 'fd', 'cwd'] as const;

/** A ProcNode as a saved record: its kind, and the pid and fd for the kinds that have them. */
const savedNode = struct({ kind: oneOf(...PROC_NODE_KINDS), pid: opt(int), fd: opt(int) });

function saveNode(n: ProcNode): { kind: ProcNode['kind']; pid: number | null; fd: number | null } {
  return { kind: n.kind, pid: 'pid' in n ? n.pid : null, fd: n.kind === 'fd' ? n.fd : null };
}

function loadNode(v: LoadValue<{ n: typeof savedNode }>['n']): ProcNode {
  const { kind, pid, fd } = v;
  if (kind === 'root' || kind === 'self' || kind === 'mounts-link') return { kind };
  if (pid === null) throw new Error(`a proc ${kind} node without a pid`);
  if (kind === 'fd') {
    if (fd === null) throw new Error('a proc fd node without an fd');
    return { kind, pid, fd };
  }
  return { kind, pid };
}

export class ProcInode extends Inode {
  readonly fs: ProcView;
  readonly node: ProcNode;
  readonly ino: number;
  readonly type: FileType;
  readonly #created: bigint;

  /** A new inode now; a load gives the time it was first made. */
  constructor(fs: ProcView, node: ProcNode, createdNs?: bigint) {
    super();
    this.fs = fs;
    this.node = node;
    this.ino = inoOf(node);
    this.type = typeOf(node);
    this.#created = createdNs ?? fs.now();
  }

  get #source(): ProcSource {
    return this.fs.processes;
  }

  stat(): Stat {
    const n = this.node;
    const owner = n.kind === 'root' || n.kind === 'self' || n.kind === 'mounts-link' ? null : this.#source.owner?.(n.pid);
    const fd = n.kind === 'fd' ? this.#source.fds(n.pid)?.find((f) => f.fd === n.fd) : undefined;
    let nlink = 1;
    if (n.kind === 'root') nlink = 2 + this.#source.pids().length;
    else if (n.kind === 'pid') nlink = 3;
    else if (n.kind === 'fd-dir') nlink = 2;
    return {
      dev: this.fs.dev, ino: this.ino, type: this.type, perm: permOf(n, fd), nlink, uid: owner?.uid ?? 0,
      gid: owner?.gid ?? 0, size: 0, blocks: 0, rdev: 0, atimeNs: this.#created, mtimeNs: this.#created,
      ctimeNs: this.#created,
    };
  }

  /** proc_setattr(): mode and owner changes are EPERM; times and sizes are accepted and forgotten. */
  setStat(req: SetStat): void {
    if (req.perm !== undefined || req.uid !== undefined || req.gid !== undefined) throw new KernelError(EPERM);
  }

  /**
   * /proc/self names the caller's pid (ENOENT for a caller outside this pid namespace); fd and cwd
   * links name what the ProcSource says now (ENOENT once the fd is closed or the process gone).
   */
  override readlink(caller: Caller): string {
    const n = this.node;
    let target: string | null | undefined;
    switch (n.kind) {
      case 'self':
        if (!this.#source.pids().includes(caller.pid)) throw new KernelError(ENOENT);
        return String(caller.pid);
      case 'mounts-link':
        return 'self/mounts';
      case 'fd':
        target = this.#source.fds(n.pid)?.find((f) => f.fd === n.fd)?.target;
        break;
      case 'cwd':
        target = this.#source.cwd?.(n.pid);
        break;
      default:
        throw new KernelError(EINVAL);
    }
    if (target === null || target === undefined) throw new KernelError(ENOENT);
    return target;
  }

  /**
   * Directories open for listing. mountinfo and mounts open read-only (EACCES for writing, as for a
   * caller without CAP_DAC_OVERRIDE on a 0444 file) and take their text now, so every read of one
   * description sees one consistent table; ESRCH if the process is gone.
   */
  open(_dentry: Dentry, flags: number): FileOps {
    const n = this.node;
    if (this.type === 'dir') return DIRECTORY_FILE_OPS;
    if ((flags & O_ACCMODE) !== O_RDONLY) throw new KernelError(EACCES);
    let text: string | null = null;
    if (n.kind === 'mountinfo') text = this.#source.mountinfo(n.pid);
    else if (n.kind === 'mounts') text = this.#source.mounts?.(n.pid) ?? null;
    else throw new KernelError(EINVAL);
    if (text === null) throw new KernelError(ESRCH);
    return new ProcSnapshotFile(text);
  }

  /** What it is about (node) and when it was made; everything else is read from the ProcSource. */
  static readonly saved = savable(ProcInode, {
    name: 'proc.Inode',
    version: 1,
    fields: { fs: ref<ProcView>(), node: savedNode, createdNs: bigInt },
    save: (i) => ({ fs: i.fs, node: saveNode(i.node), createdNs: i.#created }),
    create: (v, r) => new ProcInode(r.ref(v.fs), loadNode(v.node), v.createdNs),
  });
}
