// The cut of a pod whose module tracks its writes (issue 10.5: org.amber.track-writes), driven here through
// the sandbox's own pieces (startPod, the scheduler, checkpointPayloads, keptAfter) with guests/dirty.wasm,
// which writes pseudo-random pages between cuts through its own stores and through every syscall that
// writes into guest memory. The property that makes the write map sound: at each cut, the incremental cut
// that trusts the map saves exactly the memory a full cut taken at the same moment does, and the debug
// check finds no page changed without a mark. Then a checkpoint of it restores into a fresh instance of
// the tracked module, which runs on, and its cuts are sound too.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import { loadPodManifest } from '../host/specfile.js';
import { NullStream } from '../host/streams.js';
import { scratch } from '../host/testing/scratch.js';
import { NodeImageStore } from '../host/imagestore.js';
import { applyPatch, decodePatch } from '../image/patch.js';
import { readImage } from '../image/reader.js';
import type { Payload, StagedPayload } from '../image/payload.js';
import { checkpointPayloads } from '../runtime/checkpoint.js';
import { keptAfter, type KeptMemory } from '../runtime/memorycut.js';
import { amberRegistry } from './bindings.js';
import { checkpointRunning, type LastCut } from './cut.js';
import { planRestore } from './restoreplan.js';
import { startRestored } from './restorerun.js';
import type { RunningPod } from './running.js';
import { startPod } from './running.js';

const GUESTS = new URL('../../guests/', import.meta.url).pathname;
const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A stream that keeps what the guest writes (its stdout). */
class Collect implements HostStream {
  readonly type = 'fifo' as const;
  text = '';
  read(): number {
    return 0;
  }
  write(src: Uint8Array): number {
    this.text += new TextDecoder().decode(src);
    return src.length;
  }
  close(): void {}
}

/** A program's memory as a cut's payloads hold it: its parts joined, its patch laid over them. */
function memoryOf(payloads: readonly (Payload | StagedPayload)[], name: string): Uint8Array {
  const parts = payloads.filter((p): p is Payload => p.name === name && p.part !== undefined && !('staged' in p));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.bytes.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p.bytes, at);
    at += p.bytes.length;
  }
  for (const p of payloads) if (p.name === name && p.patch !== undefined && !('staged' in p)) applyPatch(out, decodePatch(p.bytes, out.length, 'test'));
  return out;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  return same(a, b) ? -1 : a.findIndex((x, i) => x !== b[i]);
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The last round the guest said it finished ("round N" lines), 0 before the first. */
function lastRound(out: Collect): number {
  const all = [...out.text.matchAll(/^round (\d+)$/gm)];
  return Number(all.at(-1)?.[1] ?? 0);
}

/**
 * Cuts the running pod `cuts` times, each once the guest has finished another round since the last: each
 * time, while paused, an incremental cut against the last one (the map trusted, its debug check on), then
 * a full one; both must hold the same memory, and the memory as it is. Returns how many cuts the map
 * stood in for the compare.
 */
async function cutAndCompare(running: RunningPod, out: Collect, cuts: number, seed: number): Promise<number> {
  const task = running.tasks.get('dirty');
  assert.ok(task !== undefined);
  assert.equal(task.fiber.trackBase, 1 << 20, 'the module tracks its writes (B = 1 MiB)');
  let kept: KeptMemory | undefined;
  let byMap = 0;
  for (let cut = 0; cut < cuts; cut++) {
    const before = lastRound(out);
    await until(`round ${before + 1}`, () => lastRound(out) > before);
    await sleep((seed * (cut + 7)) % 5); // at times mid-round
    await running.scheduler.pause();
    try {
      const memory: WebAssembly.Memory = task.fiber.memory;
      const live: Uint8Array = new Uint8Array(memory.buffer);
      const snapshot: Uint8Array = kept !== undefined && kept.base.length === live.length ? kept.base : new Uint8Array(live.length);
      if (kept !== undefined && kept.source === memory && kept.base === snapshot) byMap++;
      const options = { snapshots: new Map([['dirty', snapshot]]), copyMemory: true, checkWriteMaps: true, ...(kept !== undefined ? { kept: new Map([['dirty', kept]]) } : {}) };
      const incremental = checkpointPayloads(running.pod, running.scheduler, running.tasks, running.modules, amberRegistry(), options);
      const full = checkpointPayloads(running.pod, running.scheduler, running.tasks, running.modules, amberRegistry(), {});
      const a = memoryOf(incremental, 'memory/dirty');
      assert.equal(firstDifference(a, memoryOf(full, 'memory/dirty')), -1, `cut ${cut}: the incremental cut saves what the full one does`);
      assert.equal(firstDifference(a, live), -1, `cut ${cut}: the memory as it is`);
      assert.ok(live.subarray(0, 1 << 20).every((b: number) => b === 0), `cut ${cut}: the map is cleared`);
      kept = keptAfter('memory/dirty', snapshot, incremental, incremental.map((p) => ('staged' in p ? p.staged.contentHex : p.contentHex ?? sha(p.bytes))), kept, memory);
    } finally {
      running.scheduler.unpause();
    }
  }
  return byMap;
}

/** A pod manifest in dir of one tracked guests/dirty (org.amber.track-writes) given ARG; its path. */
function trackedDirtyPod(dir: string, arg: number): string {
  const manifest = join(dir, 'pod.yaml');
  writeFileSync(manifest, `apiVersion: v1
kind: Pod
metadata: {name: dirty, annotations: {org.amber.track-writes: "true"}}
spec:
  containers:
  - {name: dirty, image: ${join(GUESTS, 'dirty.wasm')}, args: ["${arg}"]}
`);
  return manifest;
}

/** Ends a pod a test ran: kills what still runs (137), lets the scheduler go on, and waits for its run. */
async function endPod(pod: RunningPod, done: Promise<unknown>): Promise<void> {
  for (const t of pod.tasks.values()) if (t.end === null) pod.scheduler.kill(t, 137);
  pod.scheduler.unpause();
  await done;
}

test('a tracked pod: each incremental cut by the write map saves the very memory a full cut does; restored, it runs on', async () => {
  const dir = scratch('writemap-cut');
  const manifest = trackedDirtyPod(dir, 6);
  const out = new Collect();
  const running = await startPod(loadPodManifest(manifest), () => [new NullStream(), out, new NullStream()]);
  let done = running.scheduler.run();
  const image = join(dir, 'img');
  try {
    await until('the guest to fill its memory', () => out.text.includes('ready'));
    const byMap = await cutAndCompare(running, out, 12, 5);
    assert.equal(byMap, 11, 'every cut after the first trusted the map');
    // The host facts the sandbox read once (server.ts) are what the image records.
    const host = { version: '0.0.0-cut-test', arch: 'cut-arch', kernel: 'cut-kernel' };
    await (await checkpointRunning(running, { id: 'dirty', source: manifest, imagePath: image, leaveRunning: false, last: null, host, busy: () => null })).flushed;
  } finally {
    await endPod(running, done);
  }
  const notes = readImage(new NodeImageStore(), image).annotations;
  assert.deepEqual([notes['org.criu.checkpoint.engine.version'], notes['org.criu.checkpoint.host.arch'], notes['org.criu.checkpoint.host.kernel']], ['0.0.0-cut-test', 'cut-arch', 'cut-kernel']);
  assert.deepEqual(running.tasks.get('dirty')?.end, { kind: 'exit', code: 137 }, 'the guest found every syscall answered (it exits 1 on a failure, else runs until killed)');

  const again = new Collect();
  const restored = await startRestored(await planRestore(image), () => [new NullStream(), again, new NullStream()]);
  done = restored.scheduler.run();
  try {
    assert.equal(await cutAndCompare(restored, again, 6, 11), 5, 'the restored instance tracks its writes');
  } finally {
    await endPod(restored, done);
  }
  assert.deepEqual(restored.tasks.get('dirty')?.end, { kind: 'exit', code: 137 }, 'killed by the test, not ended by a failed check');
});

test('a tracked pod checkpointed with --leave-running while its guest writes: pre-copied, each image holds memory as it was at the pause', async () => {
  const dir = scratch('precopy-cut');
  const manifest = trackedDirtyPod(dir, 20);
  const out = new Collect();
  const running = await startPod(loadPodManifest(manifest), () => [new NullStream(), out, new NullStream()]);
  const done = running.scheduler.run();
  const check = process.env['AMBER_CHECK_WRITE_MAPS'];
  process.env['AMBER_CHECK_WRITE_MAPS'] = '1';
  try {
    await until('the guest to fill its memory', () => out.text.includes('ready'));
    const task = running.tasks.get('dirty');
    assert.ok(task !== undefined);
    let last: LastCut | null = null;
    let overlapped = 0;
    for (let cut = 0; cut < 6; cut++) {
      let atPause: Uint8Array | null = null;
      // Between the pass's steps the guest finishes a round: it writes memory while the pass runs.
      const betweenParts = async (): Promise<void> => {
        const r = lastRound(out);
        await until(`round ${r + 1}`, () => lastRound(out) > r);
        overlapped++;
      };
      const image = join(dir, `img${cut % 2}`);
      const progress: [number, number][] = [];
      const r = await checkpointRunning(running, {
        id: 'dirty', source: manifest, imagePath: image, leaveRunning: true, last, busy: () => null,
        onProgress: (d, t) => progress.push([d, t]),
        hooks: { betweenParts, atCut: () => (atPause = new Uint8Array(task.fiber.memory.buffer).slice()) },
      });
      await r.flushed;
      assert.ok(r.preCopied, `cut ${cut} was pre-copied`);
      // Progress: the pass's bytes, then the writer's; never back, and done at the end.
      assert.ok(progress.length > 2, 'progress was told');
      assert.ok(progress.every(([d, t], i) => i === 0 || d / t >= (progress[i - 1] as [number, number])[0] / (progress[i - 1] as [number, number])[1]), 'progress never goes back');
      const [lastDone, lastTotal] = progress.at(-1) as [number, number];
      assert.equal(lastDone, lastTotal, 'progress ends done');
      assert.ok(atPause !== null);
      const saved = readImage(new NodeImageStore(), image).payload('memory/dirty');
      assert.equal(firstDifference(saved, atPause), -1, `cut ${cut}: the image holds memory as it was at the pause`);
      // A part past a quarter of its pages written since is written whole again; the rest are linked.
      if (cut > 0) assert.ok(r.reused > 0, `cut ${cut} is incremental: parts linked from the last image`);
      last = r.next;
      assert.ok(last !== null && last.tracked.has('dirty') && last.memory.size === 0, 'no copy of memory is kept, only digests');
    }
    assert.ok(overlapped >= 6 + 3, `the guest ran rounds during the passes (${overlapped})`);
    // A pre-copy that fails mid-pass leaves the image it would replace whole, nothing staged beside it,
    // and the pod running.
    const before = readImage(new NodeImageStore(), join(dir, 'img0')).payload('memory/dirty');
    let steps = 0;
    await assert.rejects(checkpointRunning(running, {
      id: 'dirty', source: manifest, imagePath: join(dir, 'img0'), leaveRunning: true, last: null, busy: () => null,
      hooks: { betweenParts: async () => { if (++steps === 3) throw new Error('injected: the disk is full'); } },
    }), /injected: the disk is full/);
    assert.equal(firstDifference(readImage(new NodeImageStore(), join(dir, 'img0')).payload('memory/dirty'), before), -1, 'the earlier image is whole');
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('img0.')), [], 'nothing staged is left beside it');
    const r = lastRound(out);
    await until(`round ${r + 1} after the failed checkpoint`, () => lastRound(out) > r);
  } finally {
    if (check === undefined) delete process.env['AMBER_CHECK_WRITE_MAPS'];
    else process.env['AMBER_CHECK_WRITE_MAPS'] = check;
    await endPod(running, done);
  }
  assert.deepEqual(running.tasks.get('dirty')?.end, { kind: 'exit', code: 137 }, 'killed by the test, not ended by a failed check');
});
