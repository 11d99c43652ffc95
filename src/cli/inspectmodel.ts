// What `amber inspect` tells about a checkpoint image, as plain data (the --json document; the text
// output renders the same): the image's identity and sizes, the pod's spec summary, each container's
// program state, and on request the process tree, each container's mount tree and each process's open
// files, read from the kernel graph as records (state/view.ts), never restored.
import { AmberError } from '../base/error.js';
import {
  MNT_LOCK_ATIME, MNT_LOCK_NODEV, MNT_LOCK_NOEXEC, MNT_LOCK_NOSUID, MNT_LOCK_READONLY, MNT_LOCKED, MNT_NOATIME, MNT_NODEV,
  MNT_NODIRATIME, MNT_NOEXEC, MNT_NOSUID, MNT_NOSYMFOLLOW, MNT_READONLY, MNT_RELATIME,
} from '../abi/mount.js';
import { O_APPEND, O_DIRECTORY, O_DSYNC, O_NONBLOCK, O_NOFOLLOW, O_RDONLY, O_RDWR, O_SYNC, O_WRONLY } from '../abi/open.js';
import type { CheckpointImage } from '../image/reader.js';
import { hostDirOf } from '../runtime/hostkeys.js';
import { readPrograms, type ProgramRecord, type ProgramsFile } from '../runtime/programs.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { asStruct, GraphReadError, ObjectRef, SparseInfo, viewGraph, type GraphView, type Rec, type Registry, type Value } from '../state/index.js';

export interface InspectOptions {
  psTree: boolean;
  mounts: boolean;
  files: boolean;
}

export interface ContainerInfo {
  name: string;
  /** Host path of the .wasm, as the spec named it. */
  module: string;
  /** sha256 of the transformed module the snapshot fits. */
  moduleHash: string;
  state: 'ready' | 'suspended' | 'exited';
  /** suspended: the WASI call it is stopped in ("wasi_snapshot_preview1.poll_oneoff") and why. */
  call?: string;
  cause?: 'blocked' | 'preempted' | 'stopped';
  /** suspended in a timed wait: nanoseconds left at the cut. */
  waitNs?: string;
  exit?: { kind: 'exit'; code: number } | { kind: 'trap'; message: string };
}

export interface VolumeInfo {
  name: string;
  kind: 'emptyDir' | 'hostPath';
  hostPath?: string;
  medium?: string;
  sizeBytes?: number;
}

export interface PayloadInfo {
  name: string;
  kind: string;
  bytes: number;
  parts: number;
}

export interface ProcessInfo {
  pid: number;
  /** The container whose mount namespace it runs in (null: none of them). */
  container: string | null;
  argv: string[];
  cwd: string;
  /** stopped: not a container's program (its state is only in the kernel). */
  state: 'ready' | 'suspended' | 'exited' | 'stopped';
  call?: string;
  cause?: 'blocked' | 'preempted' | 'stopped';
  waitNs?: string;
  exitCode?: number;
  /** exited by a trap: its message. */
  trap?: string;
}

export interface MountInfo {
  id: number;
  parent: number;
  /** The mount's root inside its filesystem ("/" unless a bind or subPath mount). */
  root: string;
  mountpoint: string;
  /** Per-mount options: "rw,nosuid". */
  options: string;
  fstype: string;
  source: string;
  /** The filesystem's own options: "rw,size=65536k,mode=1777". */
  superOptions: string;
  /** Raw MNT_* flags, locks included. */
  flags: number;
  /** What a less privileged user namespace cannot change (seed 004): readonly, nosuid, nodev, noexec,
   *  atime (MNT_LOCK_*), and umount (MNT_LOCKED: not unmounted apart from its parent). */
  locked: string[];
  /** What the pod calls it: "volume data", "shm", "rootfs", "proc", a hostdir key, "tmpfs" (a guest's). */
  origin: string;
  /** The mount that hides it from every path (stacked on it, or on a directory above it), if any. */
  coveredBy: number | null;
}

export interface FdInfo {
  fd: number;
  /** What /proc/<pid>/fd shows: the guest path (" (deleted)" when unlinked), or host:[role] for a stream. */
  path: string;
  /** O_RDONLY/O_WRONLY/O_RDWR and the status flags: "O_WRONLY|O_APPEND". */
  flags: string;
  offset: number;
  type: string | null;
  /** How a restore brings it back: stream (re-bound by role), host (reopened in the host directory
   *  bound to key, its size and mtime checked), ghost (contents saved in the image), pod (saved with a
   *  filesystem the pod owns), gone (a host object no longer there: a stand-in). */
  restore: 'stream' | 'host' | 'ghost' | 'pod' | 'gone';
  /** stream: its role. */
  role?: string;
  /** host, ghost, gone: the hostdir key ("volume:data"), the path inside it, the host path it is bound to now. */
  key?: string;
  keyPath?: string;
  hostPath?: string;
  /** host: what the object at hostPath must still be. */
  identity?: { size: number; mtimeNs: string };
  /** ghost, and a pod file: its size in the image. */
  size?: number;
  nlink?: number;
  /** The WASI preopen name, for a preopened fd. */
  preopen?: string;
  /** The mount hiding it from every path (seed 002: open under a covered mount), if any. */
  coveredBy?: number;
}

export interface Inspection {
  image: string;
  podId: string;
  created: string;
  format: { name: string; version: number; programs: number; kernel?: number };
  manifestDigest: string;
  size: { onDisk: number; payloads: number };
  specFile: string | null;
  specFormat: string | null;
  userns: boolean;
  containers: ContainerInfo[];
  volumes: VolumeInfo[];
  payloads: PayloadInfo[];
  processes?: ProcessInfo[];
  mounts?: Array<{ container: string; pid: number; mounts: MountInfo[] }>;
  files?: Array<{ pid: number; container: string | null; command: string; fds: FdInfo[] }>;
}

/** A problem with what the image holds (not its blobs, which the reader checked): one line. */
export class InspectError extends AmberError {
  constructor(message: string) {
    super(message);
    this.name = 'InspectError';
  }
}

function waitLeft(r: ProgramRecord, monotonicNs: string): string | undefined {
  const until = r.wait?.untilNs;
  if (until === undefined || until === null) return undefined;
  try {
    const left = BigInt(until) - BigInt(monotonicNs);
    return (left < 0n ? 0n : left).toString();
  } catch {
    return undefined;
  }
}

type ProgramState = Pick<ContainerInfo, 'state' | 'call' | 'cause' | 'waitNs' | 'exit'>;

/** A program's state at the cut, from its record in the programs payload. */
function programState(r: ProgramRecord, monotonicNs: string): ProgramState {
  const s: ProgramState = { state: r.state };
  if (r.state === 'suspended' && r.pending !== undefined) {
    s.call = `${r.pending.module}.${r.pending.name}`;
    s.cause = r.pending.cause;
    const left = waitLeft(r, monotonicNs);
    if (left !== undefined) s.waitNs = left;
  }
  if (r.state === 'exited') s.exit = r.exit ?? { kind: 'exit', code: 0 };
  return s;
}

function containerInfo(spec: PodSpec | undefined, r: ProgramRecord, monotonicNs: string): ContainerInfo {
  const module = spec?.containers.find((s) => s.name === r.container)?.module ?? '';
  return { name: r.container, module, moduleHash: r.moduleHash, ...programState(r, monotonicNs) };
}

function volumeInfo(v: PodSpec['volumes'][number]): VolumeInfo {
  if (v.kind === 'hostPath') return { name: v.name, kind: 'hostPath', hostPath: v.hostPath };
  return { name: v.name, kind: 'emptyDir', ...(v.medium !== undefined ? { medium: v.medium } : {}), ...(v.sizeBytes !== undefined ? { sizeBytes: v.sizeBytes } : {}) };
}

/** Everything inspect shows; `onDisk` is the image's bytes on disk (the caller stats the files). */
export function inspectImage(image: CheckpointImage, onDisk: number, registry: Registry, opts: InspectOptions): Inspection {
  const spec = image.config.meta['spec'] as PodSpec | undefined;
  const source = image.config.meta['source'];
  const programs = readPrograms(image);
  const payloads = image.names().map((name): PayloadInfo => ({ name, kind: image.kind(name), bytes: image.size(name), parts: image.parts(name).length }));
  const out: Inspection = {
    image: image.dir,
    podId: image.config.podId,
    created: image.config.created,
    format: { name: image.config.format, version: image.config.version, programs: programs.version },
    manifestDigest: image.manifestDigest,
    size: { onDisk, payloads: payloads.reduce((n, p) => n + p.bytes, 0) },
    specFile: typeof source === 'string' ? source : (spec?.file ?? null),
    specFormat: spec?.format ?? null,
    userns: spec?.userns === true,
    containers: programs.programs.map((r) => containerInfo(spec, r, programs.monotonicNs)),
    volumes: (spec?.volumes ?? []).map(volumeInfo),
    payloads,
  };
  if (!opts.psTree && !opts.mounts && !opts.files) return out;

  let view: GraphView;
  try {
    view = viewGraph(registry, image.payload('kernel'));
  } catch (e) {
    throw new InspectError(`${image.dir}: payload "kernel": ${e instanceof Error ? e.message : String(e)}`);
  }
  out.format.kernel = view.graph.header.version;
  try {
    const pod = new PodView(view, spec, programs);
    if (opts.psTree) out.processes = pod.processes();
    if (opts.mounts) out.mounts = pod.mountTrees();
    if (opts.files) out.files = pod.files();
  } catch (e) {
    if (e instanceof GraphReadError) throw new InspectError(`${image.dir}: payload "kernel": ${e.message}`);
    throw e;
  }
  return out;
}

// ---- the kernel graph, read as a pod ----

const MOUNT_OPTIONS: ReadonlyArray<readonly [number, string]> = [
  [MNT_NOSUID, 'nosuid'],
  [MNT_NODEV, 'nodev'],
  [MNT_NOEXEC, 'noexec'],
  [MNT_NOATIME, 'noatime'],
  [MNT_NODIRATIME, 'nodiratime'],
  [MNT_RELATIME, 'relatime'],
  [MNT_NOSYMFOLLOW, 'nosymfollow'],
];

const LOCKS: ReadonlyArray<readonly [number, string]> = [
  [MNT_LOCK_READONLY, 'readonly'],
  [MNT_LOCK_NOSUID, 'nosuid'],
  [MNT_LOCK_NODEV, 'nodev'],
  [MNT_LOCK_NOEXEC, 'noexec'],
  [MNT_LOCK_ATIME, 'atime'],
  [MNT_LOCKED, 'umount'],
];

const STATUS_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [O_APPEND, 'O_APPEND'],
  [O_NONBLOCK, 'O_NONBLOCK'],
  [O_SYNC, 'O_SYNC'],
  [O_DSYNC, 'O_DSYNC'],
  [O_DIRECTORY, 'O_DIRECTORY'],
  [O_NOFOLLOW, 'O_NOFOLLOW'],
];

/** "O_WRONLY|O_APPEND": the access mode and the status flags, unknown bits in octal. */
export function openFlags(readable: boolean, writable: boolean, status: number): string {
  const names = [readable && writable ? 'O_RDWR' : writable ? 'O_WRONLY' : readable ? 'O_RDONLY' : 'O_PATH'];
  let rest = status & ~(O_RDONLY | O_WRONLY | O_RDWR);
  for (const [bit, name] of STATUS_FLAGS) {
    if ((rest & bit) === bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) names.push(`0${rest.toString(8)}`);
  return names.join('|');
}

function octal(n: number): string {
  return n.toString(8).padStart(3, '0');
}

/** A saved location: { mount, dentry }. */
interface Loc {
  mount: Rec;
  dentry: Rec;
}

function same(a: Rec | null, b: Rec | null): boolean {
  return a !== null && b !== null && a.id === b.id;
}

class PodView {
  readonly #g: GraphView;
  readonly #spec: PodSpec | undefined;
  readonly #programs: ProgramsFile;
  readonly #pod: Rec;
  /** Container name → its mount namespace and first process. */
  readonly #containers: Array<{ name: string; ns: Rec; proc: Rec }> = [];

  constructor(g: GraphView, spec: PodSpec | undefined, programs: ProgramsFile) {
    this.#g = g;
    this.#spec = spec;
    this.#programs = programs;
    this.#pod = g.root;
    if (this.#pod.type !== 'runtime.PodKernel') throw new GraphReadError(`kernel graph: its root is ${this.#pod.label}, not a runtime.PodKernel`);
    for (const [name, c] of this.#pod.map('containers')) {
      const s = asStruct(c, `${this.#pod.label}.containers[${String(name)}]`);
      this.#containers.push({ name: String(name), ns: s.ref('ns', g), proc: s.ref('proc', g) });
    }
  }

  #kernel(): Rec {
    return this.#pod.ref('kernel');
  }

  /**
   * Every process, in pid order, with the container whose namespace it runs in: the kernel's, and each
   * container's first process even once it has exited (the kernel forgets it; the pod keeps it).
   */
  #processes(): Array<{ pid: number; proc: Rec; container: string | null }> {
    const procs = new Map<number, Rec>();
    for (const v of this.#kernel().map('processes').values()) {
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

  processes(): ProcessInfo[] {
    return this.#processes().map(({ pid, proc, container }): ProcessInfo => {
      const ns = proc.ref('mounts');
      const root = this.#nsRoot(ns);
      const info: ProcessInfo = {
        pid,
        container,
        argv: proc.list('argv').map(String),
        cwd: this.#dPath(root, this.#loc(proc.struct('cwd').value, `${proc.label}.cwd`)),
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

  mountTrees(): Array<{ container: string; pid: number; mounts: MountInfo[] }> {
    return this.#containers.map((c) => {
      const root = this.#nsRoot(c.ns);
      const mounts: MountInfo[] = [];
      for (const m of this.#mountsOf(c.ns.ref('root'))) mounts.push(this.#mountInfo(m, root, c.name));
      return { container: c.name, pid: c.proc.int('pid'), mounts };
    });
  }

  files(): Array<{ pid: number; container: string | null; command: string; fds: FdInfo[] }> {
    return this.#processes().map(({ pid, proc, container }) => {
      const root = this.#nsRoot(proc.ref('mounts'));
      const fds: FdInfo[] = [];
      const table = proc.ref('fds');
      for (const [fd, e] of table.map('entries')) {
        const entry = asStruct(e, `${table.label}.entries[${String(fd)}]`);
        const file = entry.ref('file', this.#g);
        const info = this.#fdInfo(Number(fd), file, root);
        const preopen = entry.optStr('preopen');
        if (preopen !== null) info.preopen = preopen;
        fds.push(info);
      }
      return { pid, container, command: String(proc.list('argv')[0] ?? ''), fds: fds.sort((a, b) => a.fd - b.fd) };
    });
  }

  // ---- locations and paths ----

  #loc(v: Value, where: string): Loc {
    const s = asStruct(v, where);
    return { mount: s.ref('mount', this.#g), dentry: s.ref('dentry', this.#g) };
  }

  #nsRoot(ns: Rec): Loc {
    const mount = ns.ref('root');
    return { mount, dentry: mount.ref('root') };
  }

  /** The dentry's path inside its filesystem. */
  #pathInFs(d: Rec): string {
    const names: string[] = [];
    const seen = new Set<number>();
    for (let e: Rec | null = d; e !== null; e = e.optRef('parent')) {
      if (seen.has(e.id)) throw new GraphReadError(`kernel graph: ${d.label} has a cycle of parents`);
      seen.add(e.id);
      if (e.optRef('parent') !== null) names.push(e.str('name'));
    }
    return '/' + names.reverse().join('/');
  }

  /** d_path (vfs/dpath.ts): the path of loc from root, crossing mount roots to their mountpoints. */
  #rawPath(root: Loc, loc: Loc): { path: string; reach: 'root' | 'top' | 'escaped' } {
    const names: string[] = [];
    let { mount, dentry } = loc;
    let reach: 'root' | 'top' | 'escaped' = 'root';
    for (let steps = 0; dentry.id !== root.dentry.id || mount.id !== root.mount.id; steps++) {
      if (steps > this.#g.size) throw new GraphReadError(`kernel graph: the path of ${loc.dentry.label} never ends`);
      if (dentry.id === mount.ref('root').id) {
        const up = mount.optRef('parent');
        const mp = mount.optRef('mountpoint');
        if (up === null || mp === null) {
          reach = 'top';
          break;
        }
        mount = up;
        dentry = mp;
        continue;
      }
      const parent = dentry.optRef('parent');
      if (parent === null) return { path: '/', reach: 'escaped' };
      names.push(dentry.str('name'));
      dentry = parent;
    }
    return { path: '/' + names.reverse().join('/'), reach };
  }

  #dPath(root: Loc, loc: Loc): string {
    const { path } = this.#rawPath(root, loc);
    return loc.dentry.bool('dead') ? `${path} (deleted)` : path;
  }

  // ---- mounts ----

  /** Parents before children, children in creation order (mountinfo's order). */
  #mountsOf(root: Rec): Rec[] {
    const out: Rec[] = [];
    const seen = new Set<number>();
    const stack: Rec[] = [root];
    while (stack.length > 0) {
      const m = stack.pop() as Rec;
      if (seen.has(m.id)) throw new GraphReadError(`kernel graph: ${m.label} is in its namespace's tree twice`);
      seen.add(m.id);
      out.push(m);
      const children = m.list('children').map((c) => this.#g.deref(c, `${m.label}.children`));
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Rec);
    }
    return out;
  }

  #children(m: Rec): Rec[] {
    return m.list('children').map((c) => this.#g.deref(c, `${m.label}.children`));
  }

  /**
   * The mount that hides location (mount, dentry) from every path walk, or null: a mount on the dentry
   * or a directory above it in the same mount, or one hiding the mount's own mountpoint, up to the
   * namespace root. `own` is the mount whose mountpoint the location is: only mounts made after it on
   * the same dentry sit above it.
   */
  #hiddenBy(mount: Rec, dentry: Rec, own: Rec | null, depth = 0): Rec | null {
    if (depth > this.#g.size) throw new GraphReadError(`kernel graph: ${mount.label} has a cycle of parents`);
    const children = this.#children(mount);
    const root = mount.ref('root');
    const seen = new Set<number>();
    for (let e: Rec | null = dentry; e !== null && !seen.has(e.id); e = e.optRef('parent')) {
      seen.add(e.id);
      const on = children.filter((c) => same(c.optRef('mountpoint'), e));
      const above = own !== null && e.id === dentry.id ? on.slice(on.findIndex((c) => c.id === own.id) + 1) : on;
      if (above.length > 0) return above[above.length - 1] as Rec;
      if (e.id === root.id) break;
    }
    const parent = mount.optRef('parent');
    const mp = mount.optRef('mountpoint');
    return parent === null || mp === null ? null : this.#hiddenBy(parent, mp, mount, depth + 1);
  }

  #mountInfo(m: Rec, root: Loc, container: string): MountInfo {
    const flags = m.int('flags');
    const fs = m.ref('fs');
    const fsInfo = this.#fsInfo(fs, container);
    const rootDentry = m.ref('root');
    let options = (flags & MNT_READONLY) !== 0 ? 'ro' : 'rw';
    for (const [bit, name] of MOUNT_OPTIONS) if ((flags & bit) !== 0) options += ',' + name;
    const parent = m.optRef('parent');
    const mp = this.#rawPath(root, { mount: m, dentry: rootDentry });
    const hider = this.#hiddenBy(m, rootDentry, null);
    return {
      id: m.int('id'),
      parent: parent === null ? m.int('id') : parent.int('id'),
      root: this.#pathInFs(rootDentry) + (rootDentry.bool('dead') ? '//deleted' : ''),
      mountpoint: mp.reach === 'root' ? mp.path : `(outside the root) ${mp.path}`,
      options,
      fstype: fsInfo.fstype,
      source: fsInfo.source,
      superOptions: (fsInfo.readOnly ? 'ro' : 'rw') + (fsInfo.superOptions === '' ? '' : ',' + fsInfo.superOptions),
      flags,
      locked: LOCKS.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name),
      origin: fsInfo.origin,
      coveredBy: hider === null ? null : hider.int('id'),
    };
  }

  /** What mountinfo shows of a filesystem, from its saved record, and what the pod calls it. */
  #fsInfo(fs: Rec, container: string): { fstype: string; source: string; superOptions: string; readOnly: boolean; origin: string } {
    const origin = this.#originOf(fs);
    const rootPerm = (): string => {
      const inode = fs.ref('root').ref('inode');
      return `mode=${octal(inode.int('perm'))}`;
    };
    const sized = (): string => {
      const size = fs.optInt('sizeBytes');
      return (size === null ? '' : `size=${Math.floor(size / 1024)}k,`) + rootPerm();
    };
    switch (fs.type) {
      case 'tmpfs.Filesystem':
        return { fstype: 'tmpfs', source: fs.str('source') || 'none', superOptions: sized(), readOnly: false, origin };
      case 'dev.Filesystem':
        return { fstype: 'tmpfs', source: fs.str('source') || 'none', superOptions: sized(), readOnly: false, origin };
      case 'proc.Filesystem':
        return { fstype: 'proc', source: 'proc', superOptions: '', readOnly: false, origin };
      case 'hostfd.Filesystem':
        return { fstype: 'hostfd', source: 'hostfd', superOptions: '', readOnly: false, origin };
      case 'hostdir.Filesystem': {
        const key = fs.str('key');
        return { fstype: '9p', source: this.#hostPathOf(key) ?? key, superOptions: 'trans=fd,cache=remote_revalidating', readOnly: fs.bool('readOnly'), origin };
      }
      default:
        return { fstype: fs.type, source: 'none', superOptions: '', readOnly: false, origin };
    }
  }

  /** The pod's name for a filesystem: a volume, the pod's /dev/shm, a hostdir key, or its type. */
  #originOf(fs: Rec): string {
    for (const [name, v] of this.#pod.map('volumes')) if (v instanceof ObjectRef && v.id === fs.id) return `volume ${String(name)}`;
    if (this.#pod.ref('shm').id === fs.id) return 'shm';
    switch (fs.type) {
      case 'hostdir.Filesystem':
        return fs.str('key');
      case 'tmpfs.Filesystem':
        return fs.str('source') === 'rootfs' ? 'rootfs' : 'tmpfs';
      case 'dev.Filesystem':
        return 'dev';
      case 'proc.Filesystem':
        return 'proc';
      case 'hostfd.Filesystem':
        return 'streams';
      default:
        return fs.type;
    }
  }

  /** The host directory a hostdir key is bound to by the image's spec (restore binds it there unless told). */
  #hostPathOf(key: string): string | undefined {
    return this.#spec === undefined ? undefined : hostDirOf(this.#spec, key);
  }

  // ---- files ----

  #fdInfo(fd: number, file: Rec, root: Loc): FdInfo {
    const loc = this.#loc(file.get('vd'), `${file.label}.vd`);
    const inode = loc.dentry.ref('inode');
    const fs = loc.mount.ref('fs');
    const info: FdInfo = {
      fd,
      path: '',
      flags: openFlags(file.bool('readable'), file.bool('writable'), file.int('statusFlags')),
      offset: file.int('offset'),
      type: null,
      restore: 'pod',
    };
    if (fs.type === 'hostfd.Filesystem') {
      const role = inode.type === 'hostfd.StreamInode' ? inode.str('role') : loc.dentry.str('name');
      info.path = `host:[${role}]`;
      info.type = 'fifo';
      info.restore = 'stream';
      info.role = role;
      return info;
    }
    info.path = this.#dPath(root, loc);
    const hider = this.#hiddenBy(loc.mount, loc.dentry, null);
    if (hider !== null) info.coveredBy = hider.int('id');
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
      case 'hostdir.Inode': {
        info.type = inode.str('type');
        const key = fs.str('key');
        const keyPath = inode.str('path');
        info.key = key;
        info.keyPath = keyPath;
        const base = this.#hostPathOf(key);
        if (base !== undefined) info.hostPath = keyPath === '/' ? base : base.replace(/\/$/, '') + keyPath;
        const kind = inode.str('kind');
        if (kind === 'ghost') {
          info.restore = 'ghost';
          delete info.hostPath;
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
        break;
      }
      default:
        // procfs and anything newer: saved with the pod, its type not recorded.
        break;
    }
    return info;
  }
}
