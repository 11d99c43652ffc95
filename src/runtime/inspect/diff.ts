// diffImages: what changed between two checkpoint images of a pod (`amber diff A B`), read as inspect
// reads them (the pod view of each kernel graph, nothing restored): containers, each program's memory
// page by page, the files of every filesystem the pod owns, the processes and each container's mounts.
// Pure: the caller opens both images (every blob verified) and nothing outside them is touched.
import type { CheckpointImage } from '../../image/reader.js';
import type { Registry } from '../../state/index.js';
import type { PodSpec } from '../spec/podspec.js';
import type { ContainerDiff, DiffSide, FileDiff, FileSummary, ImageDiff, MemoryDiff, MountDiff, MountSummary, ProcessDiff } from './imagediff.js';
import { inspectImage, openPodView, readingKernel } from './inspect.js';
import type { Inspection, MountTreeInfo, ProcessInfo } from './inspection.js';
import { changedSparsePages, comparePages } from './pagediff.js';
import type { SavedFile } from './podfiles.js';

interface Side {
  image: CheckpointImage;
  info: Inspection;
  processes: ProcessInfo[];
  mounts: MountTreeInfo[];
  files: Array<{ name: string; files: Map<string, SavedFile> }>;
}

function open(image: CheckpointImage, registry: Registry): Side {
  const info = inspectImage(image, 0, registry, { psTree: false, mounts: false, files: false });
  const { pod } = openPodView(image, registry);
  return readingKernel(image, () => ({ image, info, processes: pod.processes(), mounts: pod.mountTrees(), files: pod.ownedFilesystems() }));
}

function side(s: Side): DiffSide {
  return { image: s.image.dir, podId: s.info.podId, created: s.info.created, manifestDigest: s.info.manifestDigest, format: s.info.format.version };
}

const same = (x: unknown, y: unknown): boolean => JSON.stringify(x) === JSON.stringify(y);

/** Names in a's order, then b's new ones. */
function union<T>(a: readonly T[], b: readonly T[]): T[] {
  return [...a, ...b.filter((x) => !a.includes(x))];
}

function containerDiffs(a: Side, b: Side): ContainerDiff[] {
  const specOf = (s: Side, name: string) => (s.image.config.meta['spec'] as PodSpec | undefined)?.containers.find((c) => c.name === name);
  const out: ContainerDiff[] = [];
  for (const name of union(a.info.containers.map((c) => c.name), b.info.containers.map((c) => c.name))) {
    const x = a.info.containers.find((c) => c.name === name);
    const y = b.info.containers.find((c) => c.name === name);
    if (x === undefined || y === undefined) {
      out.push({ name, change: x === undefined ? 'added' : 'removed', what: [] });
      continue;
    }
    const what: string[] = [];
    if (x.moduleHash !== y.moduleHash || specOf(a, name)?.module !== specOf(b, name)?.module) what.push('module');
    if (!same(x.args, y.args)) what.push('args');
    if (!same(x.env, y.env)) what.push('env');
    if (what.length > 0) out.push({ name, change: 'modified', what });
  }
  return out;
}

function memoryDiff(a: Side, b: Side, container: string): MemoryDiff {
  const payload = (s: Side, kind: string): Uint8Array | null => (s.image.has(`${kind}/${container}`) ? s.image.payload(`${kind}/${container}`) : null);
  const [ma, mb] = [payload(a, 'memory'), payload(b, 'memory')];
  const counts = comparePages(ma ?? new Uint8Array(0), mb ?? new Uint8Array(0));
  const [sa, sb] = [payload(a, 'stack'), payload(b, 'stack')];
  const stack = sa !== null && sb !== null ? comparePages(sa, sb) : null;
  const stackChanged = stack === null ? (sa === null) !== (sb === null) : stack.changed + stack.added + stack.removed > 0;
  return { container, sizeA: ma?.length ?? null, sizeB: mb?.length ?? null, ...counts, stackChanged };
}

function summary(f: SavedFile): FileSummary {
  return { type: f.type, mode: f.perm.toString(8), uid: f.uid, gid: f.gid, size: f.size, ...(f.type === 'symlink' ? { target: f.target } : {}) };
}

function fileDiffs(a: Side, b: Side): FileDiff[] {
  const out: FileDiff[] = [];
  for (const fs of union(a.files.map((f) => f.name), b.files.map((f) => f.name))) {
    const fa = a.files.find((f) => f.name === fs)?.files ?? new Map<string, SavedFile>();
    const fb = b.files.find((f) => f.name === fs)?.files ?? new Map<string, SavedFile>();
    for (const path of union([...fa.keys()], [...fb.keys()])) {
      const x = fa.get(path);
      const y = fb.get(path);
      if (x === undefined || y === undefined) {
        const only = (x ?? y) as SavedFile;
        out.push({ fs, path, change: x === undefined ? 'added' : 'removed', what: [], ...(x === undefined ? { b: summary(only) } : { a: summary(only) }) });
        continue;
      }
      const what: string[] = [];
      if (x.type !== y.type) what.push('type');
      const pagesChanged = x.type === 'reg' && y.type === 'reg' ? changedSparsePages(x.pages, y.pages) : 0;
      if (pagesChanged > 0) what.push('content');
      if (x.size !== y.size) what.push('size');
      if (x.perm !== y.perm) what.push('mode');
      if (x.uid !== y.uid || x.gid !== y.gid) what.push('owner');
      if (x.target !== y.target) what.push('target');
      if (what.length > 0) out.push({ fs, path, change: 'modified', what, ...(pagesChanged > 0 ? { pagesChanged } : {}), a: summary(x), b: summary(y) });
    }
  }
  return out;
}

/** A process's state as compared: waitNs (time left) moves on by itself and is left out. */
function stateOf(p: ProcessInfo): unknown {
  return [p.state, p.call, p.cause, p.exitCode, p.trap];
}

function processDiffs(pa: readonly ProcessInfo[], pb: readonly ProcessInfo[]): ProcessDiff[] {
  const out: ProcessDiff[] = [];
  const pids = union(pa.map((p) => p.pid), pb.map((p) => p.pid)).sort((x, y) => x - y);
  for (const pid of pids) {
    const x = pa.find((p) => p.pid === pid);
    const y = pb.find((p) => p.pid === pid);
    if (x === undefined || y === undefined) {
      const only = (x ?? y) as ProcessInfo;
      out.push({ pid, container: only.container, change: x === undefined ? 'added' : 'removed', what: [], ...(x === undefined ? { b: only } : { a: only }) });
      continue;
    }
    const what: string[] = [];
    if (!same(x.argv, y.argv)) what.push('argv');
    if (x.cwd !== y.cwd) what.push('cwd');
    if (!same(stateOf(x), stateOf(y))) what.push('state');
    if (x.container !== y.container) what.push('container');
    if (what.length > 0) out.push({ pid, container: y.container, change: 'modified', what, a: x, b: y });
  }
  return out;
}

const MOUNT_FIELDS = ['root', 'fstype', 'source', 'options', 'superOptions', 'locked', 'origin'] as const;

/** A container's mounts keyed by mountpoint and their order on it ("/stack#1": the second one stacked there). */
function keyed(tree: MountTreeInfo | undefined): Map<string, { mountpoint: string; m: MountSummary }> {
  const out = new Map<string, { mountpoint: string; m: MountSummary }>();
  for (const m of tree?.mounts ?? []) {
    let n = 0;
    while (out.has(`${m.mountpoint}#${n}`)) n++;
    const s: MountSummary = { root: m.root, fstype: m.fstype, source: m.source, options: m.options, superOptions: m.superOptions, locked: m.locked, origin: m.origin };
    out.set(`${m.mountpoint}#${n}`, { mountpoint: m.mountpoint, m: s });
  }
  return out;
}

function mountDiffs(ta: readonly MountTreeInfo[], tb: readonly MountTreeInfo[]): MountDiff[] {
  const out: MountDiff[] = [];
  for (const container of union(ta.map((t) => t.container), tb.map((t) => t.container))) {
    const ma = keyed(ta.find((t) => t.container === container));
    const mb = keyed(tb.find((t) => t.container === container));
    for (const key of union([...ma.keys()], [...mb.keys()])) {
      const x = ma.get(key);
      const y = mb.get(key);
      if (x === undefined || y === undefined) {
        const only = (x ?? y) as { mountpoint: string; m: MountSummary };
        out.push({ container, mountpoint: only.mountpoint, change: x === undefined ? 'added' : 'removed', what: [], ...(x === undefined ? { b: only.m } : { a: only.m }) });
        continue;
      }
      const what = MOUNT_FIELDS.filter((f) => !same(x.m[f], y.m[f]));
      if (what.length > 0) out.push({ container, mountpoint: x.mountpoint, change: 'modified', what: [...what], a: x.m, b: y.m });
    }
  }
  return out;
}

/** What changed from image a to image b. */
export function diffImages(imageA: CheckpointImage, imageB: CheckpointImage, registry: Registry): ImageDiff {
  const a = open(imageA, registry);
  const b = open(imageB, registry);
  const memoryOf = (s: Side): string[] => s.image.names().filter((n) => n.startsWith('memory/')).map((n) => n.slice('memory/'.length));
  const memory = union(memoryOf(a), memoryOf(b)).map((c) => memoryDiff(a, b, c));
  const out: ImageDiff = {
    a: side(a),
    b: side(b),
    identical: false,
    containers: containerDiffs(a, b),
    memory,
    files: fileDiffs(a, b),
    processes: processDiffs(a.processes, b.processes),
    mounts: mountDiffs(a.mounts, b.mounts),
  };
  const memoryChanged = memory.some((m) => m.changed + m.added + m.removed > 0 || m.stackChanged || m.sizeA !== m.sizeB);
  out.identical = !memoryChanged && out.containers.length === 0 && out.files.length === 0 && out.processes.length === 0 && out.mounts.length === 0;
  return out;
}
