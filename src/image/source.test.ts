// A payload read straight into a caller's buffer (reader.ts source: copyTo, and fill as a restore reads a
// program's memory into its instance off its thread): the bytes land in place, all-zero parts cost nothing
// where the buffer is zero already, and nothing counts as verified until verified() resolves: a damaged
// part rejects it naming the blob, as does a damaged blob no read touched.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NodeImageStore } from '../host/imagestore.js';
import type { StoreReader } from './store.js';
import { flipBit, scratch } from '../host/testing/scratch.js';
import { chunked } from './payload.js';
import { readImage } from './reader.js';
import { writeImage } from './writer.js';

const root = scratch('image-source');
const store = new NodeImageStore();
let n = 0;
const PART = 64 << 10;

/** Four parts: random, zero, random, zero; and a small payload beside them. */
async function image(): Promise<{ dir: string; mem: Uint8Array }> {
  const dir = join(root, `img${n++}`);
  const mem = new Uint8Array(4 * PART);
  for (const at of [0, 2 * PART]) for (let i = 0; i < PART; i++) mem[at + i] = (i * 2654435761 + at) >>> 24;
  await writeImage(store, dir, { podId: 'p', payloads: [...chunked('memory/a', mem, { chunkSize: PART }), { name: 'kernel', bytes: new Uint8Array([1, 2, 3]) }] });
  return { dir, mem };
}

function blobOf(dir: string, name: string, part: number): string {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const manifest = JSON.parse(readFileSync(join(dir, 'blobs/sha256', index.manifests[0]?.digest.slice(7) ?? ''), 'utf8')) as {
    layers: Array<{ digest: string; annotations: Record<string, string> }>;
  };
  const layer = manifest.layers.find((l) => l.annotations['org.amber.name'] === name && (l.annotations['org.amber.part'] ?? '0/1').startsWith(`${part}/`));
  return join(dir, 'blobs/sha256', layer?.digest.slice(7) ?? '');
}

describe('reading a payload into a buffer', () => {
  test('lands in place, zero parts filled only below zeroFrom, verified()', async () => {
    const { dir, mem } = await image();
    const img = readImage(store, dir, { lazy: true });
    const src = img.source('memory/a');
    assert.equal(src.length, mem.length);
    const into = new Uint8Array(mem.length).fill(0xee);
    into.fill(0, 2 * PART); // zero from the third part on, as grown memory is
    src.copyTo(into, 2 * PART);
    await img.verified();
    assert.deepEqual(into, mem);
  });

  test('a damaged part rejects verified() naming its blob', async () => {
    const { dir, mem } = await image();
    const blob = blobOf(dir, 'memory/a', 2);
    flipBit(blob, 100);
    const img = readImage(store, dir, { lazy: true });
    img.source('memory/a').copyTo(new Uint8Array(mem.length), 0);
    await assert.rejects(img.verified(), (e: Error) => e.message.includes(`${blob.slice(-64)} (payload "memory/a" part 2/4): content does not match its digest`));
  });

  test('a damaged blob that was never read rejects verified() too', async () => {
    const { dir, mem } = await image();
    const blob = blobOf(dir, 'kernel', 0);
    writeFileSync(blob, new Uint8Array([9, 9, 9]));
    const img = readImage(store, dir, { lazy: true });
    img.source('memory/a').copyTo(new Uint8Array(mem.length), 0);
    await assert.rejects(img.verified(), /payload "kernel"\): content does not match its digest/);
  });

  test('a store that hashes off its thread (sha256Of; Node\'s hashes as it reads) verifies the same: each part once, a damaged one refused', async () => {
    const { dir, mem } = await image();
    const hashed: number[] = [];
    const offThread = Object.create(store, {
      sha256Of: { value: (b: Uint8Array) => (hashed.push(b.length), Promise.resolve(createHash('sha256').update(b).digest('hex'))) },
    }) as NodeImageStore;
    const into = new Uint8Array(mem.length);
    const img = readImage(offThread, dir, { lazy: true });
    img.source('memory/a').copyTo(into, 0);
    await img.verified();
    assert.deepEqual(into, mem);
    assert.deepEqual(hashed, [PART, PART], 'the two random parts, each once (the zero part is read and hashed on its own thread, once)');
    const blob = blobOf(dir, 'memory/a', 0);
    flipBit(blob, 5);
    const damaged = readImage(offThread, dir, { lazy: true });
    damaged.source('memory/a').copyTo(new Uint8Array(mem.length), 0);
    await assert.rejects(damaged.verified(), /part 0\/4\): content does not match its digest/);
  });

  test('fill: the same bytes in place, a part met twice read once, verified()', async () => {
    const dir = join(root, `img${n++}`);
    const mem = new Uint8Array(4 * PART);
    for (let i = 0; i < PART; i++) mem[i] = mem[3 * PART + i] = (i * 2654435761) >>> 24; // parts 0 and 3 the same
    for (let i = 0; i < PART; i++) mem[PART + i] = i & 0xff;
    await writeImage(store, dir, { podId: 'p', payloads: chunked('memory/a', mem, { chunkSize: PART }) });
    const opened: string[] = [];
    const counting = Object.create(store, { open: { value: (path: string) => (opened.push(path), store.open(path)) } }) as NodeImageStore;
    const img = readImage(counting, dir, { lazy: true });
    const into = new Uint8Array(mem.length).fill(0xee);
    into.fill(0, 2 * PART);
    await img.source('memory/a').fill(into, 2 * PART);
    await img.verified();
    assert.deepEqual(into, mem);
    assert.equal(new Set(opened).size, opened.length, 'each blob opened once');
  });

  /** A store whose readers' readAt is changed by wrap (undefined: readers without one). */
  const wrapped = (wrap: (r: StoreReader) => StoreReader['readAt']): { store: NodeImageStore; inFlight: () => number } => {
    let inFlight = 0;
    const s = Object.create(store, {
      open: {
        value: (path: string) => {
          const r = store.open(path);
          if (r === null) return null;
          const readAt = wrap(r);
          return Object.create(r, {
            readAt: { value: readAt === undefined ? undefined : (into: Uint8Array, at: number) => (inFlight++, readAt(into, at).finally(() => inFlight--)) },
            read: { value: (into: Uint8Array) => r.read(into) },
            close: { value: () => r.close() },
          }) as StoreReader;
        },
      },
    }) as NodeImageStore;
    return { store: s, inFlight: () => inFlight };
  };

  test('fill with readers that cannot read off the thread (no readAt): the same bytes, a damaged part refused', async () => {
    const { dir, mem } = await image();
    const { store: plain } = wrapped(() => undefined);
    const into = new Uint8Array(mem.length);
    const img = readImage(plain, dir, { lazy: true });
    await img.source('memory/a').fill(into, 0);
    await img.verified();
    assert.deepEqual(into, mem);
    flipBit(blobOf(dir, 'memory/a', 2), 7);
    const damaged = readImage(plain, dir, { lazy: true });
    await damaged.source('memory/a').fill(new Uint8Array(mem.length), 0);
    await assert.rejects(damaged.verified(), /part 2\/4\): content does not match its digest/);
  });

  test('fill: a blob that reads shorter or longer than it is rejects naming it, once no read is in flight', async () => {
    const { dir, mem } = await image();
    const short = wrapped((r) => (into, at) => (at > 0 ? Promise.resolve(0) : r.readAt?.(into.subarray(0, 100), at) ?? Promise.resolve(0)));
    await assert.rejects(readImage(short.store, dir, { lazy: true }).source('memory/a').fill(new Uint8Array(mem.length), 0), /part [02]\/4\): shorter than 65536 bytes \(damaged image\)$/);
    assert.equal(short.inFlight(), 0);
    const long = wrapped((r) => (into, at) => (at >= PART ? Promise.resolve(1) : r.readAt?.(into, at) ?? Promise.resolve(0)));
    await assert.rejects(readImage(long.store, dir, { lazy: true }).source('memory/a').fill(new Uint8Array(mem.length), 0), /part \d\/4\): longer than 65536 bytes \(damaged image\)$/);
    assert.equal(long.inFlight(), 0);
  });
});
