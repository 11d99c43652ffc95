// `amber diff A B [--json]` through the built command: two checkpoints of one running pod (a ticker
// appending to an emptyDir file, seed 002's overmount guest that writes under its covered mounts and
// exits between them) and one of another pod: memory pages per container, the files of the filesystems
// the pod owns, the processes and the mounts that changed; an archive compares as its directory does;
// an image compared with itself has no differences; neither image is changed; bad input is one line.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { ImageDiff } from '../src/runtime/inspect/imagediff.js';
import { amber, guest, succeeded, userError, type RunResult } from './testing/amber.js';
import { fingerprint } from './testing/images.js';
import { manifest } from './testing/manifests.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

const ok = (r: RunResult, what: string): string => succeeded(r, what).stdout;
const diffJson = (a: string, b: string): ImageDiff => JSON.parse(ok(amber(['diff', a, b, '--json']), `diff ${a} ${b}`)) as ImageDiff;
const ticks = (out: string): number[] => [...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));

describe('amber diff', () => {
  const w = workspace('diff');
  const host = w.path('host');
  const [a, b, c] = [w.path('a'), w.path('b'), w.path('c')];
  const archive = w.path('b.tar.zst');
  let prints: Array<Record<string, string>> = [];

  before(async () => {
    mkdirSync(host);
    for (const g of ['ticker', 'e2e_overmount']) copyFileSync(guest(g), w.path(`${g}.wasm`));
    const ticker = { name: 'ticker', guest: 'ticker', image: 'ticker.wasm', args: ['--to', '100000', '--every-ms', '20', '--file', '/data/ticks'], mounts: [{ name: 'data', mountPath: '/data' }] };
    const spec = manifest(w.dir, 'pod.yaml', 'd', [
      ticker,
      { name: 'over', guest: 'e2e_overmount', image: 'e2e_overmount.wasm', args: ['--go', '/host/go', '--ready', '/host/ready'], mounts: [{ name: 'host', mountPath: '/host' }] },
    ], [{ name: 'data', emptyDir: {} }, { name: 'host', hostPath: { path: host } }]);
    await w.ok(['pod', 'run', '--detach', spec]);
    await until('over ready and tick 3', async () => existsSync(join(host, 'ready')) && ticks((await w.ok(['logs', 'd', 'ticker'])).stdout).includes(3));
    await w.ok(['checkpoint', 'd', '--image-path', a, '--leave-running']);
    // Between the cuts: more ticks, and over writes under its covered mounts and exits.
    writeFileSync(join(host, 'go'), '');
    await until('over passed', async () => (await w.ok(['logs', 'd', 'over'])).stdout.includes('fds and a dir fd under covered mounts work'));
    await w.ok(['checkpoint', 'd', '--image-path', b, '--export', archive]);
    // Another pod: the same ticker with a second volume mounted at /extra, and no `over`.
    const other = manifest(w.dir, 'other.yaml', 'e', [{ ...ticker, mounts: [...ticker.mounts, { name: 'extra', mountPath: '/extra' }] }], [{ name: 'data', emptyDir: {} }, { name: 'extra', emptyDir: {} }]);
    await w.ok(['pod', 'run', '--detach', other]);
    await until('tick 2 in e', async () => ticks((await w.ok(['logs', 'e'])).stdout).includes(2));
    await w.ok(['checkpoint', 'e', '--image-path', c]);
    prints = [a, b, c].map(fingerprint);
  });

  it('an image against itself: no differences', () => {
    const out = ok(amber(['diff', a, a]), 'diff a a');
    assert.match(out, new RegExp(`^A +${a} \\(pod d, [^)]+\\)\\nB +${a} \\(pod d, [^)]+\\)\\n\\nNo differences in memory, files, processes or mounts\\.\\n$`));
    const d = diffJson(a, a);
    assert.equal(d.identical, true);
    assert.deepEqual([d.containers, d.files, d.processes, d.mounts], [[], [], [], []]);
    assert.deepEqual(d.memory.map((m) => [m.container, m.changed, m.added, m.removed, m.stackChanged, m.same === (m.sizeA ?? 0) / 4096]), [['ticker', 0, 0, 0, false, true], ['over', 0, 0, 0, false, true]]);
  });

  it('two cuts of a running pod: memory pages, files written and made, a process that exited', () => {
    const d = diffJson(a, b);
    assert.equal(d.identical, false);
    assert.deepEqual([d.a.image, d.a.podId, d.b.image, d.b.podId], [a, 'd', b, 'd']);
    assert.notEqual(d.a.manifestDigest, d.b.manifestDigest);
    const ticker = d.memory.find((m) => m.container === 'ticker');
    assert.ok(ticker !== undefined && ticker.sizeA !== null && ticker.sizeA === ticker.sizeB, JSON.stringify(d.memory));
    assert.ok(ticker.changed >= 1 && ticker.same >= 1, `ticker's memory: ${JSON.stringify(ticker)}`);
    assert.equal(ticker.same + ticker.changed, ticker.sizeA / 4096);
    assert.equal(ticker.stackChanged, true);
    // over exited: no memory of its own in B.
    assert.deepEqual(d.memory.find((m) => m.container === 'over')?.sizeB, null);
    const file = (fs: string, path: string) => d.files.find((f) => f.fs === fs && f.path === path);
    const tickFile = file('volume data', '/ticks');
    assert.ok(tickFile !== undefined, JSON.stringify(d.files));
    assert.equal(tickFile.change, 'modified');
    assert.deepEqual(tickFile.what, ['content', 'size']);
    assert.ok((tickFile.b?.size ?? 0) > (tickFile.a?.size ?? 0));
    // Written under a covered mount (seed 002): /mnt/x's f got 5 more bytes, g was made.
    assert.deepEqual([file('tmpfs on /mnt/x in over', '/f')?.a?.size, file('tmpfs on /mnt/x in over', '/f')?.b?.size], [11, 16]);
    assert.deepEqual([file('tmpfs on /mnt/x in over', '/g')?.change, file('tmpfs on /mnt/x in over', '/g')?.b?.type], ['added', 'reg']);
    const over = d.processes.find((p) => p.container === 'over');
    assert.deepEqual([over?.change, over?.what, over?.a?.state, over?.b?.state, over?.b?.exitCode], ['modified', ['state'], 'suspended', 'exited', 0]);
    assert.equal(d.processes.filter((p) => p.container === 'ticker').length, 0, 'the ticker is blocked in the same call in both');
    assert.deepEqual(d.mounts, []);

    const out = ok(amber(['diff', a, b]), 'diff a b');
    assert.match(out, /^Memory \(4 KiB pages\)\n  CONTAINER +SIZE +SAME +CHANGED +ADDED +REMOVED +STACK\n/m);
    assert.match(out, new RegExp(`^  ticker +128\\.0 KiB +${ticker.same} +${ticker.changed} +0 +0 +changed$`, 'm'));
    assert.match(out, /^  over +[\d.]+ KiB -> none +/m);
    assert.match(out, /^  C +volume data +\/ticks +content \(1 page\), size \d+ B -> \d+ B$/m);
    assert.match(out, /^  C +tmpfs on \/mnt\/x in over +\/f +content \(1 page\), size 11 B -> 16 B$/m);
    assert.match(out, /^  A +tmpfs on \/mnt\/x in over +\/g +reg 644, 0 B$/m);
    assert.match(out, /^Processes\n  C +over +\[2\] e2e_overmount\.wasm +suspended in poll_oneoff \(blocked[^)]*\) -> exited with code 0\n/m);
    assert.match(out, /^Mounts\n  \(no changes\)\n/m);
  });

  it('an archive compares as the directory it was exported with', () => {
    const fromDir = diffJson(a, b);
    const fromArchive = diffJson(a, archive);
    assert.equal(fromArchive.b.image, archive);
    assert.deepEqual({ ...fromArchive, b: { ...fromArchive.b, image: b } }, fromDir);
  });

  it('two pods: a container gone, a volume mounted, its processes', () => {
    const d = diffJson(a, c);
    assert.deepEqual(d.containers, [{ name: 'over', change: 'removed', what: [] }]);
    const extra = d.mounts.find((m) => m.mountpoint === '/extra');
    assert.deepEqual([extra?.container, extra?.change, extra?.b?.fstype, extra?.b?.origin], ['ticker', 'added', 'tmpfs', 'volume extra']);
    assert.ok(d.mounts.some((m) => m.container === 'over' && m.change === 'removed' && m.mountpoint === '/host'), JSON.stringify(d.mounts));
    assert.deepEqual(d.processes.map((p) => [p.pid, p.change]), [[2, 'removed']]);
    const out = ok(amber(['diff', a, c]), 'diff a c');
    assert.match(out, /^Containers\n  D +over\n/m);
    assert.match(out, /^  A +ticker +\/extra +tmpfs extra rw \(volume extra\)$/m);
    assert.match(out, /^  D +over +\[2\] e2e_overmount\.wasm +suspended in poll_oneoff/m);
    assert.match(out, /^  D +tmpfs on \/stack in over +\/f +reg 644, 16 B\n  D +tmpfs on \/stack in over \(2\) +\/ +dir 1777\n/m);
  });

  it('bad input: one line and exit 1; a missing image argument is usage (exit 2); the images are unchanged', () => {
    const r = amber(['diff', a, w.path('nothing')]);
    userError(r, 'diff against a missing image');
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^amber: [^\n]*nothing: no such image directory\n$/);
    assert.equal(amber(['diff', a]).code, 2);
    assert.deepEqual([a, b, c].map(fingerprint), prints);
  });
});
