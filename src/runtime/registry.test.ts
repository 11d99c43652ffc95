// A whole pod's kernel graph through the checkpoint codec: a pod built from a spec (an emptyDir shared by
// two containers, /dev/shm), worked on through the VFS (holes, hard and symbolic links, stacked and
// covered mounts, unlinked open files, offsets, O_APPEND, a half-read /proc file), saved, loaded on
// other host objects, and saved again: the same bytes, and a pod that behaves as the one saved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENOENT } from '../abi/errno.js';
import { O_APPEND, O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, O_WRONLY, SEEK_SET } from '../abi/open.js';
import { KernelError } from '../base/error.js';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import type { HostClock, HostRandom } from '../kernel/host.js';
import { mount } from '../kernel/mount.js';
import type { Process } from '../kernel/process.js';
import { deserialize, encodeGraph, loadGraph, Registry, serialize, StateError, type Resolver, type Savable } from '../state/index.js';
import type { FileDescription } from '../vfs/file.js';
import { mountinfo } from '../vfs/mountinfo.js';
import { PodKernel, type PodHost } from './pod.js';
import { podRegistry, podResolver } from './registry.js';
import { roundTrip } from './testing/roundtrip.js';
import { normalizePod, parsePodManifest } from './spec/index.js';

class FakeClock implements HostClock {
  constructor(public real: bigint, public mono: bigint) {}
  realtimeNs(): bigint {
    return this.real;
  }
  monotonicNs(): bigint {
    return this.mono;
  }
  cputimeNs(): bigint {
    return 0n;
  }
  sleepNs(ns: bigint): void {
    this.mono += ns;
  }
}

class FakeRandom implements HostRandom {
  constructor(readonly byte: number) {}
  fill(buf: Uint8Array): void {
    buf.fill(this.byte);
  }
}

class FakeStream implements HostStream {
  readonly type = 'fifo' as const;
  readonly written: string[] = [];
  constructor(readonly role: string) {}
  read(): number {
    return 0;
  }
  write(src: Uint8Array): number {
    this.written.push(new TextDecoder().decode(src));
    return src.length;
  }
  close(): void {}
}

/** A host's clock, random source and streams by role: one set to build with, another to restore on. */
function fakeHost(clock: FakeClock, random: FakeRandom) {
  const streams = new Map<string, FakeStream>();
  const stream = (role: string) => {
    let s = streams.get(role);
    if (s === undefined) streams.set(role, (s = new FakeStream(role)));
    return s;
  };
  const host: PodHost = {
    clock,
    random,
    hostDir: () => {
      throw new Error('no host directories in this test');
    },
    stdio: (c) => [stream(`${c}/stdin`), stream(`${c}/stdout`), stream(`${c}/stderr`)],
  };
  const externals: Resolver = podResolver({ clock, random, stream });
  return { host, streams, stream, externals };
}

const MANIFEST = `
apiVersion: v1
kind: Pod
metadata: { name: shared }
spec:
  volumes:
  - name: data
    emptyDir: { medium: Memory, sizeLimit: 1Mi }
  containers:
  - name: a
    image: a.wasm
    args: [one, two]
    env: [{ name: K, value: V }]
    volumeMounts: [{ name: data, mountPath: /data }]
  - name: b
    image: b.wasm
    volumeMounts: [{ name: data, mountPath: /shared }]
`;

function buildPod(host: PodHost): PodKernel {
  const spec = normalizePod(parsePodManifest(MANIFEST, { file: 'pod.yaml', dir: '/pods' }));
  return PodKernel.build(spec, host);
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const PAGE = 4096;

function proc(pod: PodKernel, name: string): Process {
  const c = pod.containers.get(name);
  assert.ok(c !== undefined, `container ${name}`);
  return c.proc;
}

function open(p: Process, path: string, flags: number, at?: FileDescription): FileDescription {
  return p.kernel.vfs.openAt(p.ctx, { at: at === undefined ? p.cwd : at.vd }, path, { flags, perm: 0o644 });
}

/** Opens path and puts it in p's fd table; returns the fd. */
function openFd(p: Process, path: string, flags: number, at?: FileDescription): number {
  return p.fds.install({ file: open(p, path, flags, at), rightsBase: 0x3f, rightsInheriting: 0x1f });
}

function file(p: Process, fd: number): FileDescription {
  return p.fds.get(fd).file;
}

function readAll(f: FileDescription): string {
  let out = '';
  const buf = new Uint8Array(1000);
  for (let n = f.read(buf); n > 0; n = f.read(buf)) out += dec.decode(buf.subarray(0, n));
  return out;
}

function readPath(p: Process, path: string): Uint8Array {
  const f = open(p, path, O_RDONLY);
  const out = new Uint8Array(f.stat().size);
  f.pread(out, 0);
  f.decRef();
  return out;
}

function write(p: Process, path: string, text: string): void {
  const f = open(p, path, O_WRONLY | O_CREAT);
  f.write(enc.encode(text));
  f.decRef();
}

function errnoOf(f: () => unknown): number | null {
  try {
    f();
    return null;
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
}

function mountinfoOf(pod: PodKernel, name: string): string {
  const p = proc(pod, name);
  return mountinfo(p.mounts, p.root);
}

/** The fds the scenario opens, by what they are for. */
interface Fds {
  sparse: number;
  append: number;
  dup: number;
  ghost: number;
  shmGhost: number;
  covered: number;
  coveredDir: number;
  stackLow: number;
  info: number;
  urandom: number;
}

/** The scenario, on container a (and b for /dev/shm). Returns the fds it left open. */
function populate(pod: PodKernel): Fds {
  const a = proc(pod, 'a');
  const b = proc(pod, 'b');
  const vfs = pod.kernel.vfs;
  const at = { at: a.cwd };

  // A file with a hole: "head" at 0, "tail" past three empty pages; fd offset left at 2.
  const sparse = openFd(a, '/data/f', O_RDWR | O_CREAT);
  file(a, sparse).write(enc.encode('head'));
  file(a, sparse).pwrite(enc.encode('tail'), 3 * PAGE + 10);
  file(a, sparse).seek(2, SEEK_SET);
  vfs.linkAt(a.ctx, at, '/data/f', at, '/data/link', false);
  vfs.symlinkAt(a.ctx, 'f', at, '/data/sym');
  vfs.mkdirAt(a.ctx, at, '/data/dir', 0o750);
  write(a, '/data/dir/inner', 'inner');

  // O_APPEND, and a second fd sharing the description (and so its offset).
  const append = openFd(a, '/data/log', O_WRONLY | O_CREAT | O_APPEND);
  file(a, append).write(enc.encode('one;'));
  const f = file(a, append);
  f.incRef();
  const dup = a.fds.install({ file: f, rightsBase: 1, rightsInheriting: 0 });

  // Unlinked while open (nlink 0), and seed 003: on /dev/shm, hard-linked then unlinked.
  const ghost = openFd(a, '/data/ghost', O_RDWR | O_CREAT);
  file(a, ghost).write(enc.encode('boo'));
  vfs.unlinkAt(a.ctx, at, '/data/ghost');
  const shmGhost = openFd(b, '/dev/shm/sem', O_RDWR | O_CREAT);
  file(b, shmGhost).write(enc.encode('sem'));
  vfs.linkAt(b.ctx, { at: b.cwd }, '/dev/shm/sem', { at: b.cwd }, '/dev/shm/sem.link', false);
  vfs.unlinkAt(b.ctx, { at: b.cwd }, '/dev/shm/sem');

  // Seed 002: /mnt/x, then /mnt over it; a file and a directory open under the covered mount.
  vfs.mkdirAt(a.ctx, at, '/mnt', 0o755);
  vfs.mkdirAt(a.ctx, at, '/mnt/x', 0o755);
  mount(a, 'x', '/mnt/x', 'tmpfs', 0, null);
  write(a, '/mnt/x/under', 'under x');
  const covered = openFd(a, '/mnt/x/under', O_RDWR);
  file(a, covered).seek(6, SEEK_SET);
  const coveredDir = openFd(a, '/mnt/x', O_RDONLY | O_DIRECTORY);
  mount(a, 'mnt', '/mnt', 'tmpfs', 0, null);
  write(a, '/mnt/top', 'top');
  // Two on /stack.
  vfs.mkdirAt(a.ctx, at, '/stack', 0o755);
  mount(a, 'st1', '/stack', 'tmpfs', 0, null);
  write(a, '/stack/one', 'first');
  const stackLow = openFd(a, '/stack/one', O_RDONLY);
  mount(a, 'st2', '/stack', 'tmpfs', 0, null);
  write(a, '/stack/two', 'second');

  // /proc/self/mountinfo read part way; /dev/urandom.
  const info = openFd(a, '/proc/self/mountinfo', O_RDONLY);
  file(a, info).read(new Uint8Array(10));
  const urandom = openFd(a, '/dev/urandom', O_RDONLY);
  return { sparse, append, dup, ghost, shmGhost, covered, coveredDir, stackLow, info, urandom };
}

test('a pod saves, loads on other host objects and saves again to the same bytes; the loaded pod behaves', () => {
  const clock = new FakeClock(1_700_000_000_000_000_000n, 1_000_000n);
  const first = fakeHost(clock, new FakeRandom(1));
  const pod = buildPod(first.host);
  const fds = populate(pod);
  clock.mono += 5_000n;
  const a0 = proc(pod, 'a');
  const monotonic = pod.kernel.monotonicNs();
  const before = { a: mountinfoOf(pod, 'a'), b: mountinfoOf(pod, 'b') };
  const infoRest = readAll(open(a0, '/proc/self/mountinfo', O_RDONLY)).slice(10);
  const fdTable = a0.fds.entries().map(([fd, e]) => [fd, e.rightsBase, e.rightsInheriting, e.preopen, e.file.offset, e.file.statusFlags]);

  const registry = podRegistry();
  const bytes = serialize(encodeGraph(registry, pod));

  // Another invocation: another clock origin, another random source, new streams for the same roles.
  const clock2 = new FakeClock(1_800_000_000_000_000_000n, 42n);
  const second = fakeHost(clock2, new FakeRandom(9));
  const q = loadGraph(registry, deserialize(bytes), { externals: second.externals, root: PodKernel });
  assert.ok(q instanceof PodKernel);
  assert.deepEqual(serialize(encodeGraph(registry, q)), bytes, 'save → load → save is byte-identical');

  const a = proc(q, 'a');
  const b = proc(q, 'b');
  assert.notEqual(a, a0);

  // Processes: pid, argv, env, the kernel's table, fds with rights, preopens, offsets and flags.
  assert.equal(a.pid, a0.pid);
  assert.deepEqual(a.argv, ['a.wasm', 'one', 'two']);
  assert.deepEqual(a.env, ['K=V']);
  assert.equal(q.kernel.processes.get(a.pid), a);
  assert.equal(q.kernel.processes.get(b.pid), b);
  assert.equal(a.ctx.caller.pid, a.pid);
  assert.deepEqual(a.fds.entries().map(([fd, e]) => [fd, e.rightsBase, e.rightsInheriting, e.preopen, e.file.offset, e.file.statusFlags]), fdTable);
  assert.equal(a.fds.get(3).preopen, '/');
  assert.equal(q.containers.get('a')?.spec, q.spec.containers[0]);

  // Files: the hole reads as zeros, the links, the directory.
  const data = readPath(a, '/data/f');
  assert.equal(data.length, 3 * PAGE + 14);
  assert.equal(dec.decode(data.subarray(0, 4)), 'head');
  assert.ok(data.subarray(4, 3 * PAGE + 10).every((x) => x === 0));
  assert.equal(dec.decode(data.subarray(3 * PAGE + 10)), 'tail');
  const st = q.kernel.vfs.statAt(a.ctx, { at: a.cwd }, '/data/f', false);
  assert.equal(st.nlink, 2);
  assert.equal(st.blocks, (2 * PAGE) / 512, 'only the two written pages are held');
  const f = q.kernel.vfs.resolve(a.ctx, { at: a.cwd }, '/data/f', false).dentry;
  const link = q.kernel.vfs.resolve(a.ctx, { at: a.cwd }, '/data/link', false).dentry;
  assert.notEqual(f, link);
  assert.equal(f.inode, link.inode, 'the hard link is the same inode');
  assert.equal(file(a, fds.sparse).inode, f.inode, 'and the open fd is on it');
  assert.equal(q.kernel.vfs.readlinkAt(a.ctx, { at: a.cwd }, '/data/sym'), 'f');
  assert.equal(dec.decode(readPath(a, '/data/sym')), dec.decode(data));
  assert.equal(q.kernel.vfs.statAt(a.ctx, { at: a.cwd }, '/data/dir', false).perm, 0o750);
  assert.equal(dec.decode(readPath(a, '/data/dir/inner')), 'inner');

  // The sparse fd reads on from offset 2; O_APPEND appends, and the dup shares the offset.
  const two = new Uint8Array(2);
  file(a, fds.sparse).read(two);
  assert.equal(dec.decode(two), 'ad');
  assert.equal(file(a, fds.append), file(a, fds.dup), 'one description behind both fds');
  assert.equal(file(a, fds.append).statusFlags & O_APPEND, O_APPEND);
  file(a, fds.dup).write(enc.encode('two;'));
  assert.equal(dec.decode(readPath(a, '/data/log')), 'one;two;');
  assert.equal(file(a, fds.append).offset, 8);

  // Unlinked open files: still the same inode, nlink 0, readable, nameless.
  const ghost = file(a, fds.ghost);
  assert.ok(ghost.vd.dentry.dead);
  assert.equal(ghost.stat().nlink, 0);
  assert.equal(ghost.pread(new Uint8Array(3), 0), 3);
  assert.equal(errnoOf(() => readPath(a, '/data/ghost')), ENOENT);
  const sem = file(b, fds.shmGhost);
  assert.equal(sem.stat().nlink, 1);
  assert.equal(sem.inode, q.kernel.vfs.resolve(b.ctx, { at: b.cwd }, '/dev/shm/sem.link', false).dentry.inode);
  assert.equal(dec.decode(readPath(a, '/dev/shm/sem.link')), 'sem');

  // Covered mounts: /mnt/x is hidden by /mnt, yet the fds under it still reach its files.
  assert.equal(errnoOf(() => readPath(a, '/mnt/x/under')), ENOENT);
  assert.equal(dec.decode(readPath(a, '/mnt/top')), 'top');
  assert.equal(readAll(file(a, fds.covered)), 'x');
  assert.equal(readAll(open(a, 'under', O_RDONLY, file(a, fds.coveredDir))), 'under x');
  assert.deepEqual(file(a, fds.coveredDir).readdir(0).map((e) => e.name), ['.', '..', 'under']);
  assert.equal(dec.decode(readPath(a, '/stack/two')), 'second');
  assert.equal(errnoOf(() => readPath(a, '/stack/one')), ENOENT);
  assert.equal(readAll(file(a, fds.stackLow)), 'first');

  // mountinfo of each container is as it was; a half-read /proc file reads on from where it stopped.
  assert.equal(mountinfoOf(q, 'a'), before.a);
  assert.equal(mountinfoOf(q, 'b'), before.b);
  assert.equal(readAll(file(a, fds.info)), infoRest);

  // Seed 000: the emptyDir is one filesystem in both containers, and writes are seen across them.
  const vol = q.volumes.get('data');
  const aData = q.kernel.vfs.resolve(a.ctx, { at: a.cwd }, '/data', true);
  const bData = q.kernel.vfs.resolve(b.ctx, { at: b.cwd }, '/shared', true);
  assert.ok(vol !== undefined);
  assert.equal(aData.mount.fs, vol);
  assert.equal(bData.mount.fs, vol);
  assert.notEqual(aData.mount, bData.mount);
  assert.equal(q.kernel.vfs.resolve(a.ctx, { at: a.cwd }, '/dev/shm', true).mount.fs, q.shm);
  assert.equal(q.kernel.vfs.resolve(b.ctx, { at: b.cwd }, '/dev/shm', true).mount.fs, q.shm);
  write(a, '/data/from-a', 'hi b');
  assert.equal(dec.decode(readPath(b, '/shared/from-a')), 'hi b');
  write(b, '/shared/from-b', 'hi a');
  assert.equal(dec.decode(readPath(a, '/data/from-b')), 'hi a');
  write(b, '/dev/shm/seg', 'shm');
  assert.equal(dec.decode(readPath(a, '/dev/shm/seg')), 'shm');

  // Host objects: streams re-bound by role, random and clocks the new host's.
  file(a, 1).write(enc.encode('out'));
  assert.deepEqual(second.streams.get('a/stdout')?.written, ['out']);
  assert.deepEqual(first.streams.get('a/stdout')?.written, []);
  const rnd = new Uint8Array(4);
  file(a, fds.urandom).read(rnd);
  assert.deepEqual([...rnd], [9, 9, 9, 9]);
  assert.equal(q.kernel.monotonicNs(), monotonic, 'monotonic time resumes where it stopped');
  clock2.mono += 1_000n;
  assert.equal(q.kernel.monotonicNs(), monotonic + 1_000n);
  write(a, '/data/new', 'x');
  assert.equal(q.kernel.vfs.statAt(a.ctx, { at: a.cwd }, '/data/new', false).mtimeNs, clock2.real);

  // Counters go on: no pid, mount id, device or inode number is handed out twice.
  const ids = new Set([...q.containers.values()].flatMap((c) => [...c.ns.mounts()].map((m) => m.id)));
  assert.ok(!ids.has(q.kernel.vfs.newMount(q.shm, 0).id));
  assert.equal(q.kernel.allocPid(), pod.kernel.allocPid());
  assert.equal(q.kernel.allocDev(), pod.kernel.allocDev());
  const dataDir = q.kernel.vfs.resolve(a.ctx, { at: a.cwd }, '/data', true).dentry;
  const inos = [...dataDir.children.values()].map((d) => d.inode.ino);
  write(a, '/data/newer', 'y');
  assert.ok(!inos.includes(q.kernel.vfs.statAt(a.ctx, { at: a.cwd }, '/data/newer', false).ino));
});

test('roundTrip(): the same bytes, and a loaded pod on the original host objects', () => {
  const clock = new FakeClock(5n, 7n);
  const h = fakeHost(clock, new FakeRandom(3));
  const pod = buildPod(h.host);
  populate(pod);
  const { pod: q, bytes } = roundTrip(pod);
  assert.deepEqual(serialize(encodeGraph(podRegistry(), pod)), bytes);
  const a = proc(q, 'a');
  a.fds.get(2).file.write(enc.encode('err'));
  assert.deepEqual(h.streams.get('a/stderr')?.written, ['err']);
  assert.equal(mountinfoOf(q, 'b'), mountinfoOf(pod, 'b'));
  // A round trip of a round trip.
  assert.deepEqual(roundTrip(q).bytes, bytes);
});

test('roundTrip() holds with a clock that runs; monotonic time never goes back', () => {
  const clock = new FakeClock(5n, 0n);
  clock.monotonicNs = () => (clock.mono += 1_000n);
  const pod = buildPod(fakeHost(clock, new FakeRandom(3)).host);
  const saved = pod.kernel.monotonicNs();
  const { pod: q } = roundTrip(pod);
  assert.ok(q.kernel.monotonicNs() > saved);
});

test('a stream role nobody binds refuses the load, naming the key; a missing type, the path to it', () => {
  const h = fakeHost(new FakeClock(1n, 1n), new FakeRandom(0));
  const pod = buildPod(h.host);
  const bytes = serialize(encodeGraph(podRegistry(), pod));
  const none: Resolver = (key) => (key.kind === 'stream' && key['role'] === 'b/stderr' ? undefined : h.externals(key));
  assert.throws(
    () => loadGraph(podRegistry(), deserialize(bytes), { externals: none, root: PodKernel }),
    (e: unknown) => e instanceof StateError && e.message.includes('{"kind":"stream","role":"b/stderr"}'),
  );
  const all = podRegistry();
  const partial = new Registry(all.names().filter((n) => n !== 'kernel.ProcSource').map((n) => all.byName(n) as Savable<object>));
  assert.throws(
    () => encodeGraph(partial, pod),
    (e: unknown) => e instanceof StateError && /^PodKernel\.containers\["a"\]\.ns\.root\.children\[\d\]\.fs\.processes: KernelProcSource is not savable$/.test(e.message),
  );
});

test('a directory tree deeper than the loader\'s create-time chain, with an fd at the bottom', () => {
  const h = fakeHost(new FakeClock(1n, 1n), new FakeRandom(0));
  const pod = buildPod(h.host);
  const a = proc(pod, 'a');
  let path = '/data';
  for (let i = 0; i < 600; i++) {
    path += '/d';
    pod.kernel.vfs.mkdirAt(a.ctx, { at: a.cwd }, path, 0o755);
  }
  const fd = openFd(a, path + '/deep', O_RDWR | O_CREAT);
  file(a, fd).write(enc.encode('bottom'));
  const { pod: q } = roundTrip(pod);
  const qa = proc(q, 'a');
  assert.equal(file(qa, fd).pread(new Uint8Array(6), 0), 6);
  assert.equal(dec.decode(readPath(qa, path + '/deep')), 'bottom');
  assert.equal(file(qa, fd).vd.dentry.parent?.parent?.name, 'd');
});
