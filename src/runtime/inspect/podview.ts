// The pod in a checkpoint's kernel graph as `amber inspect` shows it, like checkpointctl's --ps-tree,
// --mounts and --files for a CRIU image: each process with its container and state, each container's
// mount tree as mountinfo lines with what covers what (seed 002), each open file with how a restore
// brings it back. Read from the saved records (saved.ts), never restored; paths and lines are vfs's code.
import { describeOpenFlags } from '../../abi/open.js';
import { asStruct, GraphReadError, ObjectRef, SparseInfo, type GraphView, type Rec } from '../../state/index.js';
import { pathOf } from '../../vfs/dpath.js';
import { mountsUnder } from '../../vfs/mount.js';
import { mountinfoEntry, mountLocks } from '../../vfs/mountinfo.js';
import { hostDirOf } from '../hostkeys.js';
import type { ProgramsFile } from '../programs.js';
import type { PodSpec } from '../spec/podspec.js';
import type { FdInfo, MountInfo, MountTreeInfo, OpenFilesInfo, ProcessInfo } from './inspection.js';
import { tmpfsFiles, type SavedFile } from './podfiles.js';
import { programState } from './progstate.js';
import { SavedTree, type SavedDentry, type SavedFs, type SavedLocation, type SavedMount } from './saved.js';

/**
 * The mount that hides (mount, dentry) from every path walk, or null: a mount on the dentry or on a
 * directory above it in the same mount, or one hiding the mount's own mountpoint, up to the namespace
 * root. Of the mounts on a mountpoint, only those made after the one being looked at sit above it.
 */
function hiddenBy(mount: SavedMount, dentry: SavedDentry): SavedMount | null {
  let own: SavedMount | null = null;
  for (let m = mount, d = dentry; ; ) {
    for (let e: SavedDentry | null = d; e !== null; e = e.parent) {
      const on = m.children.filter((c) => c.mountpoint === e);
      const above = own !== null && e === d ? on.slice(on.indexOf(own) + 1) : on;
      if (above.length > 0) return above[above.length - 1] as SavedMount;
      if (e === m.root) break;
    }
    if (m.parent === null || m.mountpoint === null) return null;
    own = m;
    d = m.mountpoint;
    m = m.parent;
  }
}

export class PodView {
  readonly #g: GraphView;
  readonly #tree: SavedTree;
  readonly #spec: PodSpec | undefined;
  readonly #programs: ProgramsFile;
  readonly #pod: Rec;
  /** Each container's mount namespace and first process, by name. */
  readonly #containers: Array<{ name: string; ns: Rec; proc: Rec }> = [];

  constructor(g: GraphView, spec: PodSpec | undefined, programs: ProgramsFile) {
    this.#g = g;
    this.#tree = new SavedTree(g, (key) => this.#hostPathOf(key));
    this.#spec = spec;
    this.#programs = programs;
    this.#pod = g.root;
    if (this.#pod.type !== 'runtime.PodKernel') throw new GraphReadError(`kernel graph: its root is ${this.#pod.label}, not a runtime.PodKernel`);
    for (const [name, c] of this.#pod.map('containers')) {
      const s = asStruct(c, `${this.#pod.label}.containers[${String(name)}]`);
      this.#containers.push({ name: String(name), ns: s.ref('ns', g), proc: s.ref('proc', g) });
    }
  }

  /** The host directory a hostdir key is bound to by the image's spec (restore binds it there unless told). */
  #hostPathOf(key: string): string | undefined {
    return this.#spec === undefined ? undefined : hostDirOf(this.#spec, key);
  }

  /**
   * Every process, in pid order, with the container whose namespace it runs in: the kernel's, and each
   * container's first process even once it has exited (the kernel forgets it; the pod keeps it).
   */
  #processes(): Array<{ pid: number; proc: Rec; container: string | null }> {
    const procs = new Map<number, Rec>();
    for (const v of this.#pod.ref('kernel').map('processes').values()) {
      const proc = this.#g.deref(v, 'kernel.Kernel.processes');
      procs.set(proc.id, proc);
    }
    for (const c of this.#containers) procs.set(c.proc.id, c.proc);
    const out = [...procs.values()].map((proc) => {
      const ns = proc.ref('mounts');
      return { pid: proc.int('pid'), proc, container: this.#containers.find((c) => c.ns.id === ns.id)?.name ?? null };
    });
    return out.sort((a, b) => a.pid - b.pid);
  }

  /** The root of a mount namespace: its root mount's root. */
  #nsRoot(ns: Rec): SavedLocation {
    const mount = this.#tree.mount(ns.ref('root'));
    return { mount, dentry: mount.root };
  }

  processes(): ProcessInfo[] {
    return this.#processes().map(({ pid, proc, container }): ProcessInfo => {
      const info: ProcessInfo = {
        pid,
        container,
        argv: proc.list('argv').map(String),
        cwd: pathOf(this.#nsRoot(proc.ref('mounts')), this.#tree.location(proc.struct('cwd'))),
        state: 'stopped',
      };
      const exit = proc.optInt('exitStatus');
      const main = this.#containers.find((c) => c.proc.id === proc.id);
      const r = main === undefined ? undefined : this.#programs.programs.find((p) => p.container === main.name);
      if (r !== undefined) {
        const { exit: end, ...state } = programState(r, this.#programs.monotonicNs);
        Object.assign(info, state);
        if (end?.kind === 'trap') info.trap = end.message;
        else if (end?.kind === 'exit') info.exitCode = end.code;
      } else if (exit !== null) {
        info.state = 'exited';
        info.exitCode = exit;
      }
      return info;
    });
  }

  mountTrees(): MountTreeInfo[] {
    return this.#containers.map((c) => {
      const root = this.#nsRoot(c.ns);
      const mounts = [...mountsUnder(root.mount)].map((m) => this.#mountInfo(m, root));
      return { container: c.name, pid: c.proc.int('pid'), mounts };
    });
  }

  files(): OpenFilesInfo[] {
    return this.#processes().map(({ pid, proc, container }) => {
      const root = this.#nsRoot(proc.ref('mounts'));
      const fds: FdInfo[] = [];
      const table = proc.ref('fds');
      for (const [fd, e] of table.map('entries')) {
        const entry = asStruct(e, `${table.label}.entries[${String(fd)}]`);
        const info = this.#fdInfo(Number(fd), entry.ref('file', this.#g), root);
        const preopen = entry.optStr('preopen');
        if (preopen !== null) info.preopen = preopen;
        fds.push(info);
      }
      return { pid, container, command: String(proc.list('argv')[0] ?? ''), fds: fds.sort((a, b) => a.fd - b.fd) };
    });
  }

  /**
   * The filesystems the pod owns whose files the image holds (tmpfs: each emptyDir volume, /dev/shm,
   * each container's root, a guest's own tmpfs mounts), once each, named as `amber diff` shows them:
   * "volume data", "shm", "rootfs of web", "tmpfs on /mnt in web" (a second on /mnt: "... in web (2)").
   * Host directories are not in the image.
   */
  ownedFilesystems(): Array<{ name: string; files: Map<string, SavedFile> }> {
    const out: Array<{ name: string; fs: Rec }> = [];
    const add = (name: string, fs: Rec): void => {
      if (fs.type !== 'tmpfs.Filesystem' || out.some((o) => o.fs.id === fs.id)) return;
      // Two mounted on one mountpoint (seed 002's stack): the later ones "(2)", "(3)".
      let unique = name;
      for (let n = 2; out.some((o) => o.name === unique); n++) unique = `${name} (${n})`;
      out.push({ name: unique, fs });
    };
    for (const [name, v] of this.#pod.map('volumes')) add(`volume ${String(name)}`, this.#g.deref(v, `${this.#pod.label}.volumes`));
    add('shm', this.#pod.ref('shm'));
    for (const c of this.#containers) {
      const root = this.#nsRoot(c.ns);
      for (const m of mountsUnder(root.mount)) {
        add(m === root.mount ? `rootfs of ${c.name}` : `tmpfs on ${this.#mountInfo(m, root).mountpoint} in ${c.name}`, m.fs.rec);
      }
    }
    return out.map(({ name, fs }) => ({ name, files: tmpfsFiles(this.#g, fs) }));
  }

  /** mountinfo's fields for m (vfs's own), with its raw flags, locks, what the pod calls it and what covers it. */
  #mountInfo(m: SavedMount, root: SavedLocation): MountInfo {
    const e = mountinfoEntry(m, root);
    return {
      id: e.id,
      parent: e.parentId,
      root: e.root,
      mountpoint: e.mountpoint.reach === 'root' ? e.mountpoint.path : `(outside the root) ${e.mountpoint.path}`,
      options: e.options,
      fstype: e.fstype,
      source: e.source,
      superOptions: e.superOptions,
      flags: m.flags,
      locked: mountLocks(m.flags),
      origin: this.#originOf(m.fs),
      coveredBy: hiddenBy(m, m.root)?.id ?? null,
    };
  }

  /** The pod's name for a filesystem: a volume, the pod's /dev/shm, a hostdir key, or its type. */
  #originOf(fs: SavedFs): string {
    for (const [name, v] of this.#pod.map('volumes')) if (v instanceof ObjectRef && v.id === fs.rec.id) return `volume ${String(name)}`;
    if (this.#pod.ref('shm').id === fs.rec.id) return 'shm';
    switch (fs.rec.type) {
      case 'hostdir.Filesystem':
        return fs.rec.str('key');
      case 'tmpfs.Filesystem':
        return fs.rec.str('source') === 'rootfs' ? 'rootfs' : 'tmpfs';
      case 'dev.Filesystem':
        return 'dev';
      case 'proc.Filesystem':
        return 'proc';
      case 'hostfd.Filesystem':
        return 'streams';
      default:
        return fs.rec.type;
    }
  }

  #fdInfo(fd: number, file: Rec, root: SavedLocation): FdInfo {
    const loc = this.#tree.location(file.struct('vd'));
    const inode = loc.dentry.rec.ref('inode');
    const info: FdInfo = {
      fd,
      path: '',
      flags: describeOpenFlags(file.bool('readable'), file.bool('writable'), file.int('statusFlags')),
      offset: file.int('offset'),
      type: null,
      restore: 'pod',
    };
    if (loc.mount.fs.rec.type === 'hostfd.Filesystem') {
      const role = inode.type === 'hostfd.StreamInode' ? inode.str('role') : loc.dentry.name;
      return { ...info, path: `host:[${role}]`, type: 'fifo', restore: 'stream', role };
    }
    info.path = pathOf(root, loc);
    const hider = hiddenBy(loc.mount, loc.dentry);
    if (hider !== null) info.coveredBy = hider.id;
    switch (inode.type) {
      case 'tmpfs.Inode': {
        info.type = inode.str('type');
        const data = inode.get('data');
        if (data instanceof SparseInfo) info.size = data.size;
        info.nlink = inode.int('nlink');
        break;
      }
      case 'dev.Inode':
        info.type = inode.get('device') === null ? 'dir' : 'chr';
        break;
      case 'hostdir.Inode':
        this.#hostFile(info, loc.mount.fs.rec.str('key'), inode);
        break;
      default:
        // procfs and anything newer: saved with the pod, its type not recorded.
        break;
    }
    return info;
  }

  /** A hostdir file: its key and path there, and how a restore finds it again (host, ghost or gone). */
  #hostFile(info: FdInfo, key: string, inode: Rec): void {
    info.type = inode.str('type');
    const keyPath = inode.str('path');
    info.key = key;
    info.keyPath = keyPath;
    const base = this.#hostPathOf(key);
    const kind = inode.str('kind');
    if (base !== undefined && kind !== 'ghost') info.hostPath = keyPath === '/' ? base : base.replace(/\/$/, '') + keyPath;
    if (kind === 'ghost') {
      info.restore = 'ghost';
      const ghost = inode.optRef('ghost');
      if (ghost !== null) {
        const data = ghost.get('data');
        if (data instanceof SparseInfo) info.size = data.size;
        info.nlink = ghost.int('nlink');
      }
    } else if (kind === 'gone') {
      info.restore = 'gone';
    } else {
      info.restore = 'host';
      const open = inode.get('open');
      if (open !== null) {
        const s = asStruct(open, `${inode.label}.open`);
        const mtime = s.get('mtimeNs');
        info.identity = { size: s.int('size'), mtimeNs: typeof mtime === 'bigint' ? mtime.toString() : String(mtime) };
      }
    }
  }
}
