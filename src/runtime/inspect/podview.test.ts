// The pod view of a saved kernel graph shows what the live kernel showed: a pod in a user namespace with
// covered and stacked mounts (seed 002), files open under them, an unlinked one and a changed working
// directory is saved, read back as records, and its mount lines, paths and flags are compared with
// mountinfo() and d_path of the live objects. A damaged graph is one GraphReadError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeOpenFlags, O_APPEND, O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, O_WRONLY } from '../../abi/open.js';
import { mount } from '../../kernel/mount.js';
import type { Process } from '../../kernel/process.js';
import { encodeGraph, GraphReadError, serialize, viewGraph, WireRef, type Graph, type Wire } from '../../state/index.js';
import { pathOf } from '../../vfs/dpath.js';
import { escapeMountField, mountinfo, mountLocks } from '../../vfs/mountinfo.js';
import { FakeClock, FakeRandom, MemStream } from '../../wasi/testing/testkit.js';
import { PodKernel } from '../pod.js';
import { PROGRAMS_VERSION, type ProgramsFile } from '../programs.js';
import { podRegistry } from '../registry.js';
import { normalizePod, parsePodManifest } from '../spec/index.js';
import { PodView } from './podview.js';

const MANIFEST = `
apiVersion: v1
kind: Pod
metadata: { name: peek }
spec:
  hostUsers: false
  volumes: [{ name: data, emptyDir: {} }]
  containers:
  - { name: a, image: a.wasm, args: [one], volumeMounts: [{ name: data, mountPath: /data }] }
  - { name: b, image: b.wasm, volumeMounts: [{ name: data, mountPath: /shared }] }
`;

function buildPod(): PodKernel {
  const spec = normalizePod(parsePodManifest(MANIFEST, { file: 'pod.yaml', dir: '/pods' }));
  return PodKernel.build(spec, {
    clock: new FakeClock(),
    random: new FakeRandom(),
    hostDir: () => {
      throw new Error('no host directories in this test');
    },
    stdio: () => [new MemStream(), new MemStream(), new MemStream()],
  });
}

function openFd(p: Process, path: string, flags: number): number {
  const file = p.kernel.vfs.openAt(p.ctx, { at: p.cwd }, path, { flags, perm: 0o644 });
  return p.fds.install({ file, rightsBase: 0x3f, rightsInheriting: 0x1f });
}

/** Container a's process with /mnt/x under /mnt, two mounts on /stack, files open under both, and one unlinked. */
function populate(pod: PodKernel): Process {
  const a = pod.containers.get('a')?.proc;
  assert.ok(a !== undefined);
  const vfs = a.kernel.vfs;
  const at = { at: a.cwd };
  vfs.mkdirAt(a.ctx, at, '/mnt', 0o755);
  vfs.mkdirAt(a.ctx, at, '/mnt/x', 0o755);
  mount(a, 'x', '/mnt/x', 'tmpfs', 0, null);
  openFd(a, '/mnt/x/f', O_RDWR | O_CREAT);
  openFd(a, '/mnt/x', O_RDONLY | O_DIRECTORY);
  mount(a, 'mnt', '/mnt', 'tmpfs', 0, null);
  vfs.mkdirAt(a.ctx, at, '/stack', 0o755);
  mount(a, 'st1', '/stack', 'tmpfs', 0, null);
  openFd(a, '/stack/low', O_WRONLY | O_CREAT | O_APPEND);
  mount(a, 'st2', '/stack', 'tmpfs', 0, null);
  openFd(a, '/data/gone', O_RDWR | O_CREAT);
  vfs.unlinkAt(a.ctx, at, '/data/gone');
  a.cwd = vfs.resolve(a.ctx, at, '/data', true);
  return a;
}

const programs: ProgramsFile = {
  version: PROGRAMS_VERSION,
  monotonicNs: '0',
  programs: [{ container: 'b', moduleHash: '', state: 'exited', exit: { kind: 'trap', message: 'unreachable' } }],
};

function saved(pod: PodKernel): Graph {
  return encodeGraph(podRegistry(), pod);
}

test('mount lines, paths, flags and offsets are the live kernel\'s; covered mounts and files are marked', () => {
  const pod = buildPod();
  const a = populate(pod);
  const view = new PodView(viewGraph(podRegistry(), serialize(saved(pod))), pod.spec, programs);

  for (const t of view.mountTrees()) {
    const c = pod.containers.get(t.container);
    assert.ok(c !== undefined);
    const live = mountinfo(c.ns, c.proc.root).trimEnd().split('\n').map((l) => l.replace(/^(\d+ \d+) \d+:\d+ /, '$1 '));
    const shown = t.mounts.map((m) => [m.id, m.parent, escapeMountField(m.root), escapeMountField(m.mountpoint), m.options, '-', escapeMountField(m.fstype), escapeMountField(m.source), m.superOptions].join(' '));
    assert.deepEqual(shown, live, t.container);
    assert.deepEqual(t.mounts.map((m) => m.locked), [...c.ns.mounts()].map((m) => mountLocks(m.flags)));
    const inherited = t.mounts.filter((m) => m.origin !== 'tmpfs');
    assert.ok(inherited.length >= 5 && inherited.every((m) => m.locked.includes('atime')), 'in a user namespace every inherited mount is locked');
  }
  const mountsOfA = view.mountTrees().find((t) => t.container === 'a')?.mounts ?? [];
  const at = (mp: string) => mountsOfA.filter((m) => m.mountpoint === mp);
  assert.equal(at('/mnt/x')[0]?.coveredBy, at('/mnt')[0]?.id);
  assert.deepEqual(at('/stack').map((m) => m.coveredBy), [at('/stack')[1]?.id, null]);
  assert.deepEqual(at('/data').map((m) => m.origin), ['volume data']);

  const files = view.files().find((f) => f.pid === a.pid);
  assert.ok(files !== undefined);
  assert.deepEqual(files.fds.map((f) => f.fd), a.fds.entries().map(([fd]) => fd));
  for (const f of files.fds) {
    const live = a.fds.get(f.fd).file;
    assert.equal(f.flags, describeOpenFlags(live.readable, live.writable, live.statusFlags));
    assert.equal(f.offset, live.offset);
    if (f.restore !== 'stream') assert.equal(f.path, pathOf(a.root, live.vd), `fd ${f.fd}`);
  }
  const byPath = (p: string) => files.fds.find((f) => f.path === p);
  assert.equal(byPath('/mnt/x/f')?.coveredBy, at('/mnt')[0]?.id);
  assert.equal(byPath('/stack/low')?.coveredBy, at('/stack')[1]?.id);
  assert.deepEqual([byPath('/data/gone (deleted)')?.nlink, byPath('/data/gone (deleted)')?.coveredBy], [0, undefined]);
  assert.deepEqual(files.fds.slice(0, 3).map((f) => [f.path, f.restore, f.role]), [
    ['host:[a/stdin]', 'stream', 'a/stdin'], ['host:[a/stdout]', 'stream', 'a/stdout'], ['host:[a/stderr]', 'stream', 'a/stderr'],
  ]);

  assert.deepEqual(view.processes().map((p) => [p.pid, p.container, p.argv, p.cwd, p.state, p.trap]), [
    [a.pid, 'a', ['a.wasm', 'one'], '/data', 'stopped', undefined],
    [pod.containers.get('b')?.proc.pid, 'b', ['b.wasm'], '/', 'exited', 'unreachable'],
  ]);
});

test('a damaged graph (a loop of parents, a child its parent does not own) is one GraphReadError', () => {
  const pod = buildPod();
  populate(pod);
  const g = saved(pod);
  const fieldIndex = (type: string, field: string): number => podRegistry().byName(type)?.record.fields.findIndex(([name]) => name === field) ?? -1;
  /** g with field of object id set to w. */
  const patched = (id: number, type: string, field: string, w: Wire): PodView => {
    const i = fieldIndex(type, field);
    const objects = g.objects.map((o, n) => (n === id ? { ...o, value: (o.value as Wire[]).map((x, k) => (k === i ? w : x)) } : o));
    return new PodView(viewGraph(podRegistry(), serialize({ ...g, objects })), pod.spec, programs);
  };
  const parentOf = (id: number): Wire => (g.objects[id]?.value as Wire[])[fieldIndex('vfs.Dentry', 'parent')] as Wire;
  const child = g.objects.findIndex((o, id) => o.type === 'vfs.Dentry' && parentOf(id) instanceof WireRef);
  const parent = (parentOf(child) as WireRef).id;
  assert.throws(() => patched(parent, 'vfs.Dentry', 'parent', new WireRef(child)).mountTrees(), (e: unknown) => e instanceof GraphReadError && /has a cycle of parents$/.test(e.message));
  const mountId = g.objects.findIndex((o, id) => o.type === 'vfs.Mount' && ((o.value as Wire[])[fieldIndex('vfs.Mount', 'children')] as Wire[]).length > 0);
  assert.throws(() => patched(mountId, 'vfs.Mount', 'children', [new WireRef(mountId)]).mountTrees(), (e: unknown) => e instanceof GraphReadError && /is in vfs\.Mount#\d+\.children, but its parent is/.test(e.message));
});
