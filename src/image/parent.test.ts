// Writing with a parent image (writer.ts): a payload the caller gives with its digest is not hashed again;
// a parent blob whose identity is still the one the caller recorded is linked without being read, any
// other parent blob is read and verified first, and one damaged in place is not linked: the payload's own
// bytes are written, so the new image is whole.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NodeImageStore } from '../host/imagestore.js';
import { flipBit, scratch } from '../host/testing/scratch.js';
import { chunked } from './payload.js';
import { readImage } from './reader.js';
import type { StoreReader } from './store.js';
import { writeImage } from './writer.js';

const root = scratch('image-parent');
const store = new NodeImageStore();
let n = 0;
const fresh = (): string => join(root, `img${n++}`);
const PART = 128 << 10; // past what the writer hashes on its own thread, so sha256Of counts every hash
const hexOf = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function memory(seed: number): Uint8Array {
  const m = new Uint8Array(4 * PART);
  for (let i = 0; i < m.length; i++) m[i] = (i * 2654435761 + seed) >>> 24;
  return m;
}

/** A store that counts the blobs it opens and the bytes it hashes on its own thread. */
function counting(): { store: NodeImageStore; opened: string[]; hashed: () => number } {
  const opened: string[] = [];
  let hashed = 0;
  const s: NodeImageStore = Object.create(store, {
    open: { value: (path: string): StoreReader | null => (opened.push(path), store.open(path)) },
    sha256Of: { value: (b: Uint8Array) => ((hashed += b.length), Promise.resolve(hexOf(b))) },
  });
  return { store: s, opened, hashed: () => hashed };
}

describe('a parent image', () => {
  test('a known digest is trusted; blobs whose identity was recorded are linked unread, others verified first', async () => {
    const parent = fresh();
    const mem = memory(1);
    const first = await writeImage(store, parent, { podId: 'p', payloads: chunked('memory/a', mem, { chunkSize: PART }) });
    const parts = chunked('memory/a', mem, { chunkSize: PART }).map((p, i) => ({ ...p, contentHex: first.contentHexes[i] as string }));

    const vouched = counting();
    const child = fresh();
    const r = await writeImage(vouched.store, child, { podId: 'p', payloads: parts }, { parent, parentIdentities: first.identities });
    assert.equal(vouched.hashed(), 0, 'a payload given with its digest was hashed');
    assert.equal(r.written, 0);
    assert.equal(r.reused, mem.length);
    assert.ok(!vouched.opened.some((p) => p.includes('/blobs/') && first.contentHexes.some((h) => p.endsWith(h))), 'a vouched parent blob was read');

    const unknown = counting();
    await writeImage(unknown.store, fresh(), { podId: 'p', payloads: parts }, { parent });
    assert.equal(unknown.opened.filter((p) => first.contentHexes.some((h) => p.endsWith(h))).length, 4, 'each unvouched parent blob is read once');
  });

  test('written again and again at one path, each linking the last: the blobs stay vouched for once the image replaced is removed', async () => {
    const dir = fresh();
    const mem = memory(3);
    let last = await writeImage(store, dir, { podId: 'p', payloads: chunked('memory/a', mem, { chunkSize: PART }) }, { deferFlush: true });
    await last.flushed;
    for (let round = 0; round < 3; round++) {
      const parts = chunked('memory/a', mem, { chunkSize: PART }).map((p, i) => ({ ...p, contentHex: last.contentHexes[i] as string }));
      const c = counting();
      const r = await writeImage(c.store, dir, { podId: 'p', payloads: parts }, { parent: dir, parentIdentities: last.identities, deferFlush: true });
      assert.deepEqual(await r.flushed, []);
      assert.equal(r.written, 0);
      assert.ok(!c.opened.some((p) => last.contentHexes.some((h) => p.endsWith(h))), `round ${round}: a parent blob was read again`);
      // The image replaced (the parent, at the same path) is gone; its blobs, linked, lost a name each.
      for (const hex of r.contentHexes) assert.equal(r.identities.get(hex), store.identity(join(dir, 'blobs/sha256', hex)));
      last = r;
    }
    assert.deepEqual(readImage(store, dir).payload('memory/a'), mem);
  });

  test('with deferFlush the blobs\' identities are taken once writeImage has returned (its caller answers first), before its flush settles; without, before it returns', async () => {
    const mem = memory(4);
    const blobStats: string[] = [];
    const watching: NodeImageStore = Object.create(store, {
      identity: { value: (path: string, writtenBy?: number): string | null => (path.includes('/blobs/sha256/') && blobStats.push(path), store.identity(path, writtenBy)) },
    });
    const dir = fresh();
    const r = await writeImage(watching, dir, { podId: 'p', payloads: chunked('memory/a', mem, { chunkSize: PART }) }, { deferFlush: true });
    assert.deepEqual(blobStats, [], 'no blob is looked at before writeImage returns');
    assert.equal(r.identities.size, 0);
    assert.deepEqual(await r.flushed, []);
    for (const hex of r.contentHexes) assert.equal(r.identities.get(hex), store.identity(join(dir, 'blobs/sha256', hex)));
    const now = await writeImage(watching, fresh(), { podId: 'p', payloads: chunked('memory/a', mem, { chunkSize: PART }) });
    for (const hex of now.contentHexes) assert.ok(now.identities.has(hex), 'taken before it returns when it flushes first');
  });

  test('a blob modified after a deferred write was done with it, before its flush took identities, gets none: the next write verifies it and does not link it', async () => {
    const parent = fresh();
    const mem = memory(5);
    const first = await writeImage(store, parent, { podId: 'p', payloads: chunked('memory/a', mem, { chunkSize: PART }) }, { deferFlush: true });
    // Still on writeImage's turn (the flush takes identities on the next), past the tick that stamped the
    // writer's own writes: part 1 is damaged with a later mtime, as a client that got the reply could.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30);
    const victimHex = first.contentHexes[1] as string;
    flipBit(join(parent, 'blobs/sha256', victimHex), 7);
    assert.deepEqual(await first.flushed, []);
    assert.equal(first.identities.has(victimHex), false, 'the damaged blob got an identity');
    assert.equal(first.identities.size, 3);
    const parts = chunked('memory/a', mem, { chunkSize: PART }).map((p, i) => ({ ...p, contentHex: first.contentHexes[i] as string }));
    const child = fresh();
    const r = await writeImage(store, child, { podId: 'p', payloads: parts }, { parent, parentIdentities: first.identities });
    assert.equal(r.written, PART, 'the damaged part is written anew');
    assert.deepEqual(readImage(store, child).payload('memory/a'), mem);
  });

  test('a parent blob damaged in place is not linked: the new image holds the payload\'s bytes', async () => {
    const parent = fresh();
    const mem = memory(2);
    const first = await writeImage(store, parent, { podId: 'p', payloads: chunked('memory/a', mem, { chunkSize: PART }) });
    const victim = join(parent, 'blobs/sha256', first.contentHexes[1] as string);
    flipBit(victim, 7);
    for (const identities of [first.identities, new Map<string, string>()]) {
      const child = fresh();
      const r = await writeImage(store, child, { podId: 'p', payloads: chunked('memory/a', mem, { chunkSize: PART }) }, { parent, parentIdentities: identities });
      assert.equal(r.written, PART, 'the damaged part is written anew');
      assert.notEqual(statSync(join(child, 'blobs/sha256', first.contentHexes[1] as string)).ino, statSync(victim).ino);
      assert.deepEqual(readImage(store, child).payload('memory/a'), mem);
      assert.equal(hexOf(readImage(store, child).parts('memory/a')[1] ?? new Uint8Array()), first.contentHexes[1]);
    }
  });
});
