// A payload read straight into a caller's buffer (reader.ts source/copyTo, as a restore reads a program's
// memory into its instance): the bytes land in place, all-zero parts cost nothing where the buffer is zero
// already, and nothing counts as verified until verified() resolves: a damaged part rejects it naming the
// blob, as does a damaged blob no read touched.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NodeImageStore } from '../host/imagestore.js';
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
});
