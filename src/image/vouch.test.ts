// Memory parts read into a program unhashed where the store vouches for their files (StoreReader.vouched:
// this user's Amber wrote or hashed that very file, unmodified since), hashed as read where it does not or
// the file changed across the read; and the writer's deferred flush recording the blobs it wrote itself.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NodeImageStore } from '../host/imagestore.js';
import { scratch } from '../host/testing/scratch.js';
import { blobPath } from './blobs.js';
import { allLayers, openImage } from './manifest.js';
import { chunked } from './payload.js';
import { readImage, type CheckpointImage } from './reader.js';
import type { StoreReader } from './store.js';
import { writeImage } from './writer.js';

const root = scratch('image-vouch');
const PART = 64 << 10;

/** 4 parts of distinct, non-zero bytes (a zero part is never read: the buffer is zero already). */
function memory(seed: number): Uint8Array {
  const m = new Uint8Array(4 * PART);
  for (let i = 0; i < m.length; i++) m[i] = ((i * 31 + seed) % 251) + 1;
  return m;
}

async function imageOf(name: string, seed: number): Promise<string> {
  const dir = join(root, name);
  await writeImage(new NodeImageStore(), dir, { podId: name, payloads: [{ name: 'kernel', bytes: new Uint8Array([seed]) }, ...chunked('memory/a', memory(seed), { chunkSize: PART })] });
  return dir;
}

/** A store whose readers say vouched and unchanged as told (the file itself as it is), counting sha256() calls. */
function stub(vouched: boolean, unchanged: boolean): { store: NodeImageStore; hashes: () => number } {
  const real = new NodeImageStore();
  let hashes = 0;
  const store: NodeImageStore = Object.create(real, {
    open: {
      value: (path: string): StoreReader | null => {
        const r = real.open(path);
        if (r === null) return null;
        return Object.create(r, {
          vouched: { value: () => vouched },
          unchanged: { value: () => unchanged },
          identity: { value: () => 'id' },
          readAt: { value: (into: Uint8Array, at: number) => r.readAt?.(into, at) },
          read: { value: (into: Uint8Array) => r.read(into) },
          close: { value: () => r.close() },
        }) as StoreReader;
      },
    },
    sha256: { value: () => (hashes++, real.sha256()) },
  });
  return { store, hashes: () => hashes };
}

/** Flips one byte of the memory part of index k in place (the same file, its mtime moved). */
function flip(dir: string, k: number): void {
  const image = openImage(new NodeImageStore(), dir);
  const part = allLayers(image).filter((l) => l.label.includes('memory/a'))[k];
  assert.ok(part !== undefined);
  const fd = openSync(blobPath(dir, part.hex), 'r+');
  writeSync(fd, new Uint8Array([0]), 0, 1, 100);
  closeSync(fd);
}

for (const how of ['fill', 'copyTo'] as const) {
  describe(`memory read by ${how}`, () => {
    /** The image's memory read into a fresh buffer by `how`: not verified yet. */
    const read = async ({ store, hashes }: ReturnType<typeof stub>, dir: string): Promise<{ bytes: Uint8Array; image: CheckpointImage; hashed: number }> => {
      const image = readImage(store, dir, { lazy: true }); // the manifest and config read and hashed
      const into = new Uint8Array(image.size('memory/a'));
      const src = image.source('memory/a');
      const before = hashes();
      if (how === 'fill') await src.fill(into, 0);
      else src.copyTo(into, 0);
      return { bytes: into, image, hashed: hashes() - before };
    };

    test('a blob the store vouches for, its file unchanged across the read, is not hashed, and its bytes are right', async () => {
      const dir = await imageOf(`vouched-${how}`, 7);
      const { bytes, image, hashed } = await read(stub(true, true), dir);
      assert.equal(hashed, 0, 'a vouched part was hashed');
      assert.deepEqual(bytes, memory(7));
      assert.deepEqual(image.partsRead(), { vouched: 4, hashed: 0 });
      await image.verified();
    });

    test('one not vouched for is hashed as it is read', async () => {
      const dir = await imageOf(`unvouched-${how}`, 8);
      const { bytes, image, hashed } = await read(stub(false, true), dir);
      assert.equal(hashed, 4);
      assert.deepEqual(bytes, memory(8));
      assert.deepEqual(image.partsRead(), { vouched: 0, hashed: 4 });
      await image.verified();
    });

    test('a vouched file that changed across the read is hashed as read, and a damaged one refused', async () => {
      const dir = await imageOf(`changed-${how}`, 9);
      flip(dir, 2);
      const { image, hashed } = await read(stub(true, false), dir);
      assert.equal(hashed, 4, 'each part read was hashed');
      assert.deepEqual(image.partsRead(), { vouched: 0, hashed: 4 });
      await assert.rejects(image.verified(), /memory\/a" part 2\/4\): content does not match its digest \(damaged image\)$/);
    });
  });
}

describe('the records a write and a read leave', () => {
  test('a deferred flush records the blobs the writer wrote itself from bytes it hashed, once flushed: not those it linked, nor those given with their digest', async () => {
    const folder = join(root, 'records');
    mkdirSync(folder);
    const real = new NodeImageStore();
    const remembered: string[] = [];
    let flushedYet = false;
    const spy: NodeImageStore = Object.create(real, {
      remember: { value: (path: string, hex: string, identity: string) => (assert.ok(flushedYet, 'recorded before the flush'), assert.ok(path.endsWith(hex)), assert.equal(identity, real.identity(path)), remembered.push(hex), 'recorded') },
      syncFile: { value: async (p: string) => (await real.syncFile(p), p === folder ? (flushedYet = true) : undefined) },
    });
    const img = join(folder, 'img');
    const mem = memory(3);
    const first = await writeImage(spy, img, { podId: 'p', payloads: [{ name: 'kernel', bytes: new Uint8Array([1]) }, ...chunked('memory/a', mem, { chunkSize: PART })] }, { deferFlush: true });
    assert.deepEqual(remembered, [], 'recorded before the flush');
    await first.flushed;
    const parts = allLayers(openImage(real, img)).filter((l) => l.label.includes('memory/a')).map((l) => l.hex);
    assert.deepEqual(remembered.sort(), [...parts].sort(), 'every memory part (and no small blob) recorded');
    // A child linking three parts from it, writing one anew: only that one is recorded.
    remembered.length = 0;
    flushedYet = false;
    mem[PART * 2 + 5] = 0;
    const child = join(folder, 'child');
    const second = await writeImage(spy, child, { podId: 'p', payloads: [{ name: 'kernel', bytes: new Uint8Array([1]) }, ...chunked('memory/a', mem, { chunkSize: PART })] }, { deferFlush: true, parent: img, parentIdentities: first.identities });
    await second.flushed;
    const childParts = allLayers(openImage(real, child)).filter((l) => l.label.includes('memory/a')).map((l) => l.hex);
    assert.deepEqual(remembered, [childParts[2]]);
    // Parts given with their contentHex (a caller's word, not hashed here) are written, but not recorded.
    remembered.length = 0;
    flushedYet = false;
    const told = chunked('memory/a', memory(4), { chunkSize: PART }).map((p) => ({ ...p, contentHex: createHash('sha256').update(p.bytes).digest('hex') }));
    const third = await writeImage(spy, join(folder, 'told'), { podId: 'p', payloads: [{ name: 'kernel', bytes: new Uint8Array([1]) }, ...told] }, { deferFlush: true });
    await third.flushed;
    assert.deepEqual(remembered, []);
  });

  test('a blob modified after the writer was done with it, before its flush took its identity, is not recorded', async () => {
    const folder = join(root, 'modified');
    mkdirSync(folder);
    const store = new NodeImageStore({ verified: join(folder, 'verified') });
    const img = join(folder, 'img');
    const written = await writeImage(store, img, { podId: 'p', payloads: [{ name: 'kernel', bytes: new Uint8Array([1]) }, ...chunked('memory/a', memory(21), { chunkSize: PART })] }, { deferFlush: true });
    // Still on writeImage's turn (the flush takes identities on the next), and past the tick that stamped
    // the writer's own writes: part 1 gets a later mtime.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30);
    flip(img, 1);
    await written.flushed;
    await new Promise((r) => setTimeout(r, 400)); // past a racy record's second try
    const vouched = allLayers(openImage(store, img)).filter((l) => l.label.includes('memory/a')).map((l) => {
      const r = store.open(blobPath(img, l.hex));
      try {
        return r?.vouched?.(l.hex) === true;
      } finally {
        r?.close();
      }
    });
    assert.deepEqual(vouched, [true, false, true, true]);
  });
});

