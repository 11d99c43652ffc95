// procfs, like Linux's fs/proc, with what guests need: /proc/self, /proc/mounts, and per process
// /proc/<pid>/{fd/,cwd,mounts,mountinfo}. Directories list what the ProcSource says now. Read-only:
// creating is EACCES and every other change EPERM, as Linux answers root; writing a file is EACCES.
import { EACCES, ENOENT } from '../../abi/errno.js';
import { KernelError } from '../../base/error.js';
import { external, int, ref, savable } from '../../state/index.js';
import { Dentry } from '../../vfs/dentry.js';
import { CLOCK_KEY, nowOf, type RealtimeClock } from '../../vfs/external.js';
import { Filesystem, type DirEntry } from '../../vfs/filesystem.js';
import { inoOf, MAX_FD, ProcInode, typeOf, type ProcNode, type ProcView } from './inode.js';
import type { ProcSource } from './source.js';

export interface ProcfsOptions {
  /** st_dev of every inode. */
  dev: number;
  /** Realtime clock, nanoseconds since the epoch (inode times are when a dentry was first made). */
  now: () => bigint;
  /** The processes of the pid namespace this procfs shows. */
  processes: ProcSource;
}

/** A decimal number as Linux's name_to_int() accepts it: no sign, no leading zero; null otherwise. */
function parseIndex(name: string, max: number): number | null {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(name)) return null;
  const n = Number(name);
  return n <= max ? n : null;
}

function nodeOf(d: Dentry): ProcNode {
  return (d.inode as ProcInode).node;
}

/** Marks d and every dentry kept below it dead, as d_invalidate() does for an exited process. */
function invalidate(d: Dentry): void {
  d.dead = true;
  for (const c of d.children.values()) invalidate(c);
  d.children.clear();
}

const MAX_PID = 2 ** 29 - 2;

/**
 * A procfs for one pid namespace. Dentries are kept while what they name exists (so an open directory,
 * or a mount on one, keeps its identity) and are marked dead, with everything below them, once the
 * process or fd is gone: lookups and listings notice, as Linux's d_revalidate and d_invalidate do.
 */
export class Procfs extends Filesystem implements ProcView {
  readonly fsType = 'proc';
  readonly source = 'proc';
  readonly dev: number;
  readonly now: () => bigint;
  readonly processes: ProcSource;
  /** Made by the constructor, or set by fill() on a load. */
  #root!: Dentry;

  /** A new procfs; or (`loaded`, a load) one without its root yet, which fill() sets. */
  constructor(opts: ProcfsOptions, loaded = false) {
    super();
    this.dev = opts.dev;
    this.now = opts.now;
    this.processes = opts.processes;
    if (!loaded) this.#root = new Dentry('/', null, new ProcInode(this, { kind: 'root' }));
  }

  root(): Dentry {
    return this.#root;
  }

  /** The fixed entries of a directory, in Linux's order, with the node each names. */
  #fixed(dir: ProcNode): Array<[string, ProcNode]> {
    const src = this.processes;
    switch (dir.kind) {
      case 'root': {
        const out: Array<[string, ProcNode]> = [['self', { kind: 'self' }]];
        if (src.mounts !== undefined) out.push(['mounts', { kind: 'mounts-link' }]);
        return out;
      }
      case 'pid': {
        const pid = dir.pid;
        const out: Array<[string, ProcNode]> = [['fd', { kind: 'fd-dir', pid }]];
        if (src.cwd !== undefined) out.push(['cwd', { kind: 'cwd', pid }]);
        if (src.mounts !== undefined) out.push(['mounts', { kind: 'mounts', pid }]);
        out.push(['mountinfo', { kind: 'mountinfo', pid }]);
        return out;
      }
      default:
        return [];
    }
  }

  #alive(pid: number): boolean {
    return this.processes.pids().includes(pid);
  }

  /** The kept dentry for name in dir if it names node, else a new one, kept. */
  #child(dir: Dentry, name: string, node: ProcNode): Dentry {
    const kept = dir.children.get(name);
    if (kept !== undefined && kept.inode.ino === inoOf(node)) return kept;
    if (kept !== undefined) invalidate(kept);
    const d = new Dentry(name, dir, new ProcInode(this, node));
    dir.children.set(name, d);
    return d;
  }

  #drop(dir: Dentry, name: string): void {
    const kept = dir.children.get(name);
    if (kept === undefined) return;
    invalidate(kept);
    dir.children.delete(name);
  }

  /** Drops kept children of dir whose names are not in live. */
  #prune(dir: Dentry, live: Set<string>): void {
    for (const name of [...dir.children.keys()]) if (!live.has(name)) this.#drop(dir, name);
  }

  lookup(dir: Dentry, name: string): Dentry | null {
    const node = nodeOf(dir);
    if (node.kind === 'root' || node.kind === 'pid') {
      if (node.kind === 'pid' && !this.#alive(node.pid)) {
        this.#drop(this.#root, String(node.pid));
        return null;
      }
      const fixed = this.#fixed(node).find(([n]) => n === name);
      if (fixed !== undefined) return this.#child(dir, name, fixed[1]);
      if (node.kind === 'pid') return null;
      const pid = parseIndex(name, MAX_PID);
      if (pid === null) return null;
      if (!this.#alive(pid)) {
        this.#drop(dir, name);
        return null;
      }
      return this.#child(dir, name, { kind: 'pid', pid });
    }
    if (node.kind === 'fd-dir') {
      const fd = parseIndex(name, MAX_FD);
      const fds = this.processes.fds(node.pid);
      if (fd === null || fds === null || !fds.some((f) => f.fd === fd)) {
        this.#drop(dir, name);
        return null;
      }
      return this.#child(dir, name, { kind: 'fd', pid: node.pid, fd });
    }
    return null;
  }

  /** Lists dir; ENOENT for the directory of a process that has gone. */
  readdir(dir: Dentry): DirEntry[] {
    const node = nodeOf(dir);
    const out: DirEntry[] = [];
    const add = (name: string, n: ProcNode) => out.push({ name, ino: inoOf(n), type: typeOf(n) });
    switch (node.kind) {
      case 'root': {
        for (const [name, n] of this.#fixed(node)) add(name, n);
        const pids = this.processes.pids().filter((p) => p >= 1 && p <= MAX_PID).sort((a, b) => a - b);
        for (const pid of pids) add(String(pid), { kind: 'pid', pid });
        this.#prune(dir, new Set(out.map((e) => e.name)));
        return out;
      }
      case 'pid':
        if (!this.#alive(node.pid)) throw new KernelError(ENOENT);
        for (const [name, n] of this.#fixed(node)) add(name, n);
        return out;
      case 'fd-dir': {
        const fds = this.processes.fds(node.pid);
        if (fds === null) throw new KernelError(ENOENT);
        const nums = fds.map((f) => f.fd).filter((fd) => fd >= 0 && fd <= MAX_FD).sort((a, b) => a - b);
        for (const fd of nums) add(String(fd), { kind: 'fd', pid: node.pid, fd });
        this.#prune(dir, new Set(out.map((e) => e.name)));
        return out;
      }
      default:
        return out;
    }
  }

  /** Linux's proc directories have no create operation: open(O_CREAT) of a new name is EACCES. */
  override createFile(): Dentry {
    throw new KernelError(EACCES);
  }

  /**
   * The dentries kept (an open /proc/<pid>/fd, a mount on a proc directory keep their identity) and the
   * ProcSource, which must be savable itself: the kernel's is (kernel/procsource.ts), re-made from the
   * restored kernel. The clock is the host's (CLOCK_KEY).
   */
  static readonly saved = savable(Procfs, {
    name: 'proc.Filesystem',
    version: 1,
    fields: { dev: int, processes: ref<ProcSource>(), clock: external<RealtimeClock>(), root: ref(Dentry) },
    save: (fs) => ({ dev: fs.dev, processes: fs.processes, clock: CLOCK_KEY, root: fs.#root }),
    create: (v, r) => new Procfs({ dev: v.dev, now: nowOf(v.clock), processes: r.ref(v.processes) }, true),
    fill: (fs, v) => {
      fs.#root = v.root;
    },
  });
}
