// `amber inspect DIR [--mounts] [--files] [--ps-tree] [--json]` through the built command (bin/amber.js →
// dist/; `npm run build` first): one checkpoint of a three-container pod (a ticker appending to a file on
// a hostPath volume, seed 002's overmounts, seed 003's ghosts), inspected every way; the image is never
// changed and the host directory it names is never needed; a damaged or unreadable image is one line.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { NodeImageStore } from '../src/host/imagestore.js';
import { FORMAT_VERSION } from '../src/image/layout.js';
import { writeImage } from '../src/image/writer.js';
import { PROGRAMS_VERSION } from '../src/runtime/programs.js';
import { bool, int, ref, Registry, savable, serialize, encodeGraph } from '../src/state/index.js';
import { amber, guest, succeeded, userError, type RunResult } from './testing/amber.js';
import { filesOf, fingerprint } from './testing/images.js';
import { manifest } from './testing/manifests.js';
import { sleep, until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

const ok = (r: RunResult, what: string): string => succeeded(r, what).stdout;

/** A user error: exit 1, one line on stderr ("amber: ..."), nothing on stdout, no stack trace. */
function oneLine(r: RunResult, pattern: RegExp): void {
  userError(r, `expected ${pattern}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^amber: [^\n]+\n$/, `not one line: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

interface Json {
  image: string;
  podId: string;
  created: string;
  format: { name: string; version: number; programs: number; kernel?: number };
  manifestDigest: string;
  size: { onDisk: number; payloads: number };
  specFile: string | null;
  containers: Array<{ name: string; module: string; state: string; call?: string; cause?: string; exit?: { kind: string; code?: number } }>;
  volumes: Array<{ name: string; kind: string; hostPath?: string }>;
  payloads: Array<{ name: string; kind: string; bytes: number; parts: number }>;
  processes?: Array<{ pid: number; container: string | null; argv: string[]; state: string; call?: string; cwd: string }>;
  mounts?: Array<{ container: string; pid: number; mounts: Array<{ id: number; parent: number; mountpoint: string; fstype: string; source: string; options: string; origin: string; coveredBy: number | null }> }>;
  files?: Array<{ pid: number; container: string | null; fds: Array<{ fd: number; path: string; flags: string; offset: number; restore: string; key?: string; keyPath?: string; hostPath?: string; size?: number; nlink?: number; role?: string; coveredBy?: number; identity?: { size: number } }> }>;
}

describe('amber inspect', () => {
  // Its pods are deleted and the folder removed when the describe() ends.
  const s = workspace('inspect');
  const dir = s.dir;
  const host = s.path('host');
  const img = s.path('img');
  let specFile = '';
  let prints: Record<string, string> = {};

  before(async () => {
    mkdirSync(host);
    for (const g of ['ticker', 'e2e_overmount', 'e2e_ghost', 'hello']) copyFileSync(guest(g), join(dir, `${g}.wasm`));
    // Images relative to the manifest: the modules are the copies beside it.
    specFile = manifest(dir, 'pod.yaml', 'peek', [
      { name: 'ticker', guest: 'ticker', image: 'ticker.wasm', args: ['--to', '100000', '--every-ms', '20', '--file', '/host/ticks'],
        mounts: [{ name: 'data', mountPath: '/data' }, { name: 'host', mountPath: '/host' }] },
      { name: 'over', guest: 'e2e_overmount', image: 'e2e_overmount.wasm', args: ['--go', '/host/go', '--ready', '/host/ready-over'],
        mounts: [{ name: 'host', mountPath: '/host' }] },
      { name: 'ghost', guest: 'e2e_ghost', image: 'e2e_ghost.wasm', args: ['--host', '/host', '--go', '/host/go', '--ready', '/host/ready-ghost'],
        mounts: [{ name: 'host', mountPath: '/host' }] },
      { name: 'once', guest: 'hello', image: 'hello.wasm', args: ['--exit', '3'] },
    ], [{ name: 'data', emptyDir: {} }, { name: 'host', hostPath: { path: host } }]);
    assert.equal((await s.ok(['pod', 'run', '--detach', specFile])).stdout, 'peek\n');
    await until('both guests ready and a few ticks', () =>
      existsSync(join(host, 'ready-over')) && existsSync(join(host, 'ready-ghost')) && existsSync(join(host, 'ticks')) && statSync(join(host, 'ticks')).size >= 6);
    // `once` prints its last line just before it exits (state shows no exit code while the pod runs).
    await until('once printed its last line', async () => (await s.ok(['logs', 'peek', 'once'])).stdout.includes('argv[2] = 3'));
    await sleep(200);
    await s.ok(['checkpoint', 'peek', '--image-path', img]);
    await s.ok(['delete', 'peek']);
    prints = fingerprint(img);
  });

  it('summarizes the image: identity, spec, containers, volumes, payloads', () => {
    const out = ok(amber(['inspect', img]), 'inspect');
    const index = JSON.parse(readFileSync(join(img, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const digest = index.manifests[0]?.digest ?? '';
    assert.match(out, new RegExp(`^Image +${img}$`, 'm'));
    assert.match(out, /^Pod +peek$/m);
    assert.match(out, /^Created +\d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    assert.match(out, new RegExp(`^Format +amber-checkpoint v${FORMAT_VERSION} \\(programs v${PROGRAMS_VERSION}\\)$`, 'm'));
    assert.match(out, new RegExp(`^Manifest +${digest}$`, 'm'));
    assert.match(out, /^Size +[\d.]+ KiB on disk, payloads [\d.]+ KiB$/m);
    assert.match(out, new RegExp(`^Spec +${specFile} \\(Pod manifest\\)$`, 'm'));
    for (const [name, wasm] of [['ticker', 'ticker'], ['over', 'e2e_overmount'], ['ghost', 'e2e_ghost']]) {
      assert.match(out, new RegExp(`^  ${name} +suspended in poll_oneoff \\(blocked[^)]*\\) +${join(dir, `${wasm}.wasm`)}$`, 'm'));
    }
    assert.match(out, new RegExp(`^  once +exited with code 3 +${join(dir, 'hello.wasm')}$`, 'm'));
    assert.match(out, /^  data +emptyDir +pod-owned tmpfs$/m);
    assert.match(out, new RegExp(`^  host +hostPath +${host}$`, 'm'));
    for (const p of ['programs', 'kernel', 'memory/ticker', 'stack/ticker', 'memory/over', 'memory/ghost']) assert.match(out, new RegExp(`^  ${p} +\\w+ +[\\d.]+ (B|KiB|MiB) +1$`, 'm'));
    assert.doesNotMatch(out, /Process tree|Mounts of|Open files/);
  });

  it('--ps-tree: each container with its process, argv, state and call', () => {
    const out = ok(amber(['inspect', img, '--ps-tree']), 'inspect --ps-tree');
    assert.match(out, /^Process tree\npeek\n├── ticker\n│   └── \[1\] ticker\.wasm --to 100000 --every-ms 20 --file \/host\/ticks; suspended in poll_oneoff \(blocked[^)]*\); cwd \/$/m);
    assert.match(out, /^├── over\n│   └── \[2\] e2e_overmount\.wasm --go \/host\/go --ready \/host\/ready-over; suspended in poll_oneoff/m);
    assert.match(out, /^├── ghost\n│   └── \[3\] e2e_ghost\.wasm --host \/host --go \/host\/go --ready \/host\/ready-ghost; suspended in poll_oneoff/m);
    // A container that has exited keeps its process in the tree (the kernel has forgotten it).
    assert.match(out, /^└── once\n    └── \[4\] hello\.wasm --exit 3; exited with code 3; cwd \/\n/m);
  });

  it('--mounts: mountinfo-like lines per container, covered and stacked mounts marked (seed 002)', () => {
    const out = ok(amber(['inspect', img, '--mounts']), 'inspect --mounts');
    const section = (ctr: string): string[] => {
      const m = new RegExp(`^Mounts of ${ctr} \\(pid \\d+\\):[^\\n]*\\n((?:  [^\\n]*\\n)*)`, 'm').exec(out);
      assert.ok(m, `no mount section for ${ctr}:\n${out}`);
      return (m[1] ?? '').trimEnd().split('\n').map((l) => l.trim());
    };
    const ticker = section('ticker');
    assert.match(ticker[0] ?? '', /^(\d+) \1 \/ \/ rw - tmpfs rootfs rw,mode=755  # rootfs$/);
    assert.ok(ticker.some((l) => /^\d+ \d+ \/ \/dev\/shm rw,nosuid,nodev,noexec - tmpfs shm rw,size=65536k,mode=1777  # shm; locked: nosuid,nodev,noexec$/.test(l)), ticker.join('\n'));
    assert.ok(ticker.some((l) => /^\d+ \d+ \/ \/proc rw - proc proc rw  # proc$/.test(l)));
    assert.ok(ticker.some((l) => /^\d+ \d+ \/ \/data rw - tmpfs data rw,mode=755  # volume data$/.test(l)));
    assert.ok(ticker.some((l) => l.includes(` / /host rw - 9p ${host} rw,trans=fd,cache=remote_revalidating  # volume host`)));
    const over = section('over');
    const line = (mp: string): string[] => over.filter((l) => l.split(' ')[3] === mp);
    const [mntx] = line('/mnt/x');
    const [mnt] = line('/mnt');
    const stack = line('/stack');
    assert.ok(mntx !== undefined && mnt !== undefined, over.join('\n'));
    assert.equal(stack.length, 2, over.join('\n'));
    const id = (l: string | undefined): string => l?.split(' ')[0] ?? '';
    assert.match(mntx, new RegExp(`- tmpfs tmpfs rw,mode=1777  # tmpfs; covered by ${id(mnt)}$`));
    assert.match(mnt, /- tmpfs tmpfs rw,mode=1777  # tmpfs$/);
    assert.match(stack[0] ?? '', new RegExp(`# tmpfs; covered by ${id(stack[1])}$`));
    assert.equal(stack[1]?.split(' ')[1], id(stack[0]), 'the second /stack mount sits on the first');
    assert.doesNotMatch(stack[1] ?? '', /covered/);
    assert.deepEqual(section('ghost').map((l) => l.split(' ')[3]), ['/', '/dev', '/dev/shm', '/proc', '/host']);
  });

  it('--files: fds with path, flags, offset; streams by role, host files by key, ghosts, covered', () => {
    const out = ok(amber(['inspect', img, '--files']), 'inspect --files');
    assert.match(out, /^Open files\n  \[1\] ticker\.wasm \(container ticker\)\n    FD +FLAGS +OFFSET +PATH +RESTORE\n/m);
    assert.match(out, /^    0 +O_RDONLY +0 +host:\[ticker\/stdin\] +stream: re-bound by role ticker\/stdin$/m);
    assert.match(out, /^    1 +O_WRONLY +0 +host:\[ticker\/stdout\] +stream: re-bound by role ticker\/stdout$/m);
    assert.match(out, /^    3 +O_RDONLY +0 +\/ +pod: saved with its filesystem \(dir, nlink \d+\); preopen "\/"$/m);
    const ticks = new RegExp(`^    4 +O_WRONLY\\|O_APPEND +(\\d+) +/host/ticks +host: re-bound by key volume:host, reopened at /ticks \\(${host}/ticks\\), checked: size (\\d+), mtime \\S+Z$`, 'm').exec(out);
    assert.ok(ticks, out);
    assert.equal(ticks[1], ticks[2], 'the offset of an O_APPEND file at the end is its size');
    assert.match(out, /^    4 +O_RDONLY +0 +\/mnt\/x +pod: saved with its filesystem \(dir, nlink 3\); under a mount covered by \d+$/m);
    assert.match(out, /^    5 +O_RDWR +0 +\/mnt\/x\/f +pod: saved with its filesystem \(reg, 11 bytes, nlink 1\); under a mount covered by \d+$/m);
    assert.match(out, /^    6 +O_RDWR +0 +\/stack\/f +pod: saved with its filesystem \(reg, 16 bytes, nlink 1\); under a mount covered by \d+$/m);
    assert.match(out, /^    4 +O_RDWR +0 +\/dev\/shm\/sem\.A \(deleted\) +pod: saved with its filesystem \(reg, 5000 bytes, nlink 1\)$/m);
    assert.match(out, /^    5 +O_RDWR +0 +\/host\/g \(deleted\) +ghost: 7001 bytes saved in the image, nlink 0 \(was volume:host \/g\)$/m);
  });

  it('--json: the same information as one document', () => {
    const j = JSON.parse(ok(amber(['inspect', img, '--json', '--ps-tree', '--mounts', '--files']), 'inspect --json')) as Json;
    assert.equal(j.image, img);
    assert.equal(j.podId, 'peek');
    assert.deepEqual(j.format, { name: 'amber-checkpoint', version: FORMAT_VERSION, programs: PROGRAMS_VERSION, kernel: 1 });
    assert.match(j.manifestDigest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(j.specFile, specFile);
    assert.equal(j.size.onDisk, filesOf(prints).reduce((n, f) => n + statSync(join(img, f)).size, 0));
    assert.equal(j.size.payloads, j.payloads.reduce((n, p) => n + p.bytes, 0));
    assert.deepEqual(j.containers.map((c) => [c.name, c.state, c.call, c.cause]), [
      ['ticker', 'suspended', 'wasi_snapshot_preview1.poll_oneoff', 'blocked'],
      ['over', 'suspended', 'wasi_snapshot_preview1.poll_oneoff', 'blocked'],
      ['ghost', 'suspended', 'wasi_snapshot_preview1.poll_oneoff', 'blocked'],
      ['once', 'exited', undefined, undefined],
    ]);
    assert.deepEqual(j.containers[3]?.exit, { kind: 'exit', code: 3 });
    assert.deepEqual(j.volumes, [{ name: 'data', kind: 'emptyDir' }, { name: 'host', kind: 'hostPath', hostPath: host }]);
    assert.deepEqual(j.processes?.map((p) => [p.pid, p.container, p.argv[0], p.state, p.cwd]), [
      [1, 'ticker', 'ticker.wasm', 'suspended', '/'],
      [2, 'over', 'e2e_overmount.wasm', 'suspended', '/'],
      [3, 'ghost', 'e2e_ghost.wasm', 'suspended', '/'],
      [4, 'once', 'hello.wasm', 'exited', '/'],
    ]);
    const over = j.mounts?.find((t) => t.container === 'over')?.mounts ?? [];
    const at = (mp: string) => over.filter((m) => m.mountpoint === mp);
    assert.equal(at('/mnt/x')[0]?.coveredBy, at('/mnt')[0]?.id);
    const [first, second] = at('/stack');
    assert.ok(first !== undefined && second !== undefined);
    assert.equal(first.coveredBy, second.id);
    assert.equal(second.parent, first.id);
    assert.equal(second.coveredBy, null);
    assert.equal(over.filter((m) => m.coveredBy !== null).length, 2);
    const fds = (pid: number) => j.files?.find((f) => f.pid === pid)?.fds ?? [];
    assert.deepEqual(fds(1).map((f) => [f.fd, f.restore]), [[0, 'stream'], [1, 'stream'], [2, 'stream'], [3, 'pod'], [4, 'host']]);
    const ticks = fds(1)[4];
    assert.deepEqual([ticks?.path, ticks?.key, ticks?.keyPath, ticks?.hostPath, ticks?.flags], ['/host/ticks', 'volume:host', '/ticks', join(host, 'ticks'), 'O_WRONLY|O_APPEND']);
    assert.equal(ticks?.identity?.size, ticks?.offset);
    assert.deepEqual(fds(2).filter((f) => f.coveredBy !== undefined).map((f) => f.path), ['/mnt/x', '/mnt/x/f', '/stack/f']);
    const ghost = fds(3).find((f) => f.restore === 'ghost');
    assert.deepEqual([ghost?.path, ghost?.size, ghost?.nlink, ghost?.key, ghost?.keyPath], ['/host/g (deleted)', 7001, 0, 'volume:host', '/g']);
    assert.deepEqual(fds(1)[1]?.role, 'ticker/stdout');
    // Without flags, only the summary.
    const plain = JSON.parse(ok(amber(['inspect', '--json', img]), 'inspect --json')) as Json;
    assert.equal(plain.processes, undefined);
    assert.equal(plain.mounts, undefined);
    assert.equal(plain.files, undefined);
    assert.deepEqual(plain.containers, j.containers);
  });

  it('needs nothing outside the image: the host directory moved away, every view still reads', () => {
    const moved = `${host}.away`;
    renameSync(host, moved);
    try {
      const out = ok(amber(['inspect', img, '--ps-tree', '--mounts', '--files']), 'inspect with the host directory gone');
      assert.match(out, /host: re-bound by key volume:host, reopened at \/ticks/);
      assert.ok(!existsSync(host), 'inspect made the host directory again');
    } finally {
      renameSync(moved, host);
    }
  });

  it('a missing or damaged image is one line naming it, exit 1', () => {
    oneLine(amber(['inspect', join(dir, 'nothing')]), /nothing: no such image directory/);
    oneLine(amber(['inspect', host]), new RegExp(`${host}: not an image directory`));
    const bad = join(dir, 'bad');
    mkdirSync(join(bad, 'blobs', 'sha256'), { recursive: true });
    for (const f of filesOf(prints)) copyFileSync(join(img, f), join(bad, f));
    const index = JSON.parse(readFileSync(join(img, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const manifest = JSON.parse(readFileSync(join(img, 'blobs', 'sha256', (index.manifests[0]?.digest ?? '').slice(7)), 'utf8')) as { layers: Array<{ digest: string; annotations: Record<string, string> }> };
    const kernel = manifest.layers.find((l) => l.annotations['org.amber.name'] === 'kernel');
    assert.ok(kernel);
    const blob = join(bad, 'blobs', 'sha256', kernel.digest.slice(7));
    const bytes = readFileSync(blob);
    const mid = bytes.length >> 1;
    bytes[mid] = (bytes[mid] ?? 0) ^ 0xff;
    writeFileSync(blob, bytes);
    for (const flags of [[], ['--files'], ['--json']]) oneLine(amber(['inspect', bad, ...flags]), new RegExp(`${bad}: blob ${kernel.digest} \\(payload "kernel"[^)]*\\): .*damaged`));
  });

  it('a kernel graph this Amber cannot read: the summary reads, --mounts is one line', async () => {
    // A well-formed image from a newer Amber: its root's type is a version this Amber does not read.
    class Alien {
      constructor(readonly n: number, readonly on: boolean) {}
    }
    class Holder {
      constructor(readonly alien: Alien) {}
    }
    const alien = savable(Alien, { name: 'elsewhere.Alien', version: 1, fields: { n: int, on: bool }, save: (a) => a, create: (v) => new Alien(v.n, v.on) });
    const holder = savable(Holder, { name: 'runtime.PodKernel', version: 2, fields: { alien: ref(Alien) }, save: (h) => h, create: (v, r) => new Holder(r.ref(v.alien)) });
    const kernel = serialize(encodeGraph(new Registry([alien, holder]), new Holder(new Alien(7, true))));
    const programs = new TextEncoder().encode(JSON.stringify({ version: PROGRAMS_VERSION, monotonicNs: '0', programs: [{ container: 'c', moduleHash: '', state: 'exited', exit: { kind: 'exit', code: 3 } }] }));
    const alienImg = join(dir, 'alien');
    await writeImage(new NodeImageStore(), alienImg, { podId: 'alien', meta: {}, payloads: [{ name: 'programs', kind: 'programs', bytes: programs }, { name: 'kernel', kind: 'kernel', bytes: kernel }] });
    const before = fingerprint(alienImg);
    const out = ok(amber(['inspect', alienImg]), 'inspect of an alien image');
    assert.match(out, /^Pod +alien$/m);
    assert.match(out, /^Spec +\(none recorded\)$/m);
    assert.match(out, /^  c +exited with code 3 *$/m);
    oneLine(amber(['inspect', alienImg, '--mounts']), new RegExp(`${alienImg}: payload "kernel": kernel graph: object runtime\\.PodKernel#0: type runtime\\.PodKernel version 2 is newer than this Amber reads \\(1\\)`));
    assert.deepEqual(fingerprint(alienImg), before);
  });

  it('never changes the image', () => {
    assert.deepEqual(fingerprint(img), prints);
    assert.ok(filesOf(prints).length >= 5);
  });
});
