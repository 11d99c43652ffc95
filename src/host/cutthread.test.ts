// The checkpoint's helper thread: buffers it faults in are whole and zero, each hash it gives is the
// SHA-256 of exactly the part given, each part is hashed by one thread (the caller's claims from the
// first, the helper's from the last), no buffer it cannot reach is split, and a writer given a store
// with it hashes parts on both threads, each digest right.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { readImage } from '../image/reader.js';
import { writeImage } from '../image/writer.js';
import type { Payload } from '../image/payload.js';
import { CutThread, IDLE_MS } from './cutthread.js';
import { NodeImageStore } from './imagestore.js';
import { scratch } from './testing/scratch.js';

const hexOf = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function fill(b: Uint8Array, seed: number): void {
  let x = seed;
  for (let i = 0; i < b.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
}

test('faultIn leaves every byte zero and usable; a split hashes each part once, on one thread or the other', async () => {
  const thread = new CutThread();
  const buf = thread.allocate((20 << 20) + 4096);
  assert.ok(buf.buffer instanceof SharedArrayBuffer);
  await thread.faultIn(buf);
  assert.ok(buf.every((b) => b === 0));
  fill(buf, 7);
  // Odd sizes and offsets, the last two parts sharing bytes.
  const parts = [buf.subarray(4096, (4 << 20) + 4096), buf.subarray(5 << 20, (9 << 20) + 17), buf.subarray(9 << 20, 15 << 20), buf.subarray(14 << 20)];
  const split = thread.sha256Split(parts);
  assert.ok(split !== null);
  const first = split.take(0);
  assert.equal(first, null, 'the first part is the caller\'s: the helper starts from the last');
  // Time for the helper to start and claim the last parts (it has them all, once started).
  await new Promise((res) => setTimeout(res, 1000));
  for (let k = 1; k < parts.length; k++) {
    const h: Promise<string> | null = split.take(k);
    assert.ok(h !== null, `part ${k} was the helper's`);
    assert.equal(await h, hexOf(parts[k] as Uint8Array));
  }
  assert.equal(thread.sha256Split([new Uint8Array(1 << 20), buf.subarray(0, 1 << 20)]), null, 'a buffer the thread cannot reach');
  // Taken at once, the caller gets the first parts and the helper the last: every part once.
  const again = thread.sha256Split(parts);
  assert.ok(again !== null);
  const got = parts.map((_, k) => again.take(k));
  assert.equal(got[0], null);
  for (const [k, h] of got.entries()) if (h !== null) assert.equal(await h, hexOf(parts[k] as Uint8Array));
});

test('a writer with the helper hashes parts on both threads; the image reads back verified', async (t) => {
  const dir = scratch('cutthread', t);
  const thread = new CutThread();
  const memory = thread.allocate(32 << 20);
  await thread.faultIn(memory);
  fill(memory, 3);
  const store = new NodeImageStore({ cutThread: thread });
  let helped = 0;
  let here = 0;
  const counting: NodeImageStore = Object.create(store, {
    sha256Split: { value: (parts: readonly Uint8Array[]) => {
      const split = store.sha256Split(parts);
      return split === null ? null : { take: (k: number) => { const h = split.take(k); if (h !== null) helped++; return h; } };
    } },
    sha256: { value: () => (here++, store.sha256()) },
  });
  const parts: Payload[] = Array.from({ length: 8 }, (_, index) => ({ name: 'memory/a', bytes: memory.subarray(index << 22, (index + 1) << 22), part: { index, count: 8 } }));
  const r = await writeImage(counting, `${dir}/img`, { podId: 'p', payloads: [...parts, { name: 'kernel', bytes: new Uint8Array(100) }] });
  assert.deepEqual(r.contentHexes.slice(0, 8), parts.map((p) => hexOf(p.bytes)));
  assert.ok(helped <= 7, `parts hashed by the helper: ${helped}`);
  // The parts the helper did not take, the kernel's, the config and the manifest were hashed here.
  assert.equal(here, 8 - helped + 3);
  const img = readImage(new NodeImageStore(), `${dir}/img`);
  assert.deepEqual(img.payload('memory/a'), memory);
});

/** A job for the thread: two small parts split between it and the caller (either may claim either), each digest checked. */
async function splitOnce(thread: CutThread): Promise<void> {
  const buf = thread.allocate(2 << 20);
  fill(buf, 3);
  const parts = [buf.subarray(0, 1 << 20), buf.subarray(1 << 20)];
  const split = thread.sha256Split(parts);
  assert.ok(split !== null);
  for (const [k, part] of parts.entries()) {
    const theirs = split.take(k);
    assert.equal(theirs === null ? hexOf(part) : await theirs, hexOf(part));
  }
}

test('a kept thread starts at once and outlives the idle time; one not kept ends, and the next job starts another', async () => {
  const kept = new CutThread();
  kept.keep();
  assert.equal(kept.threadsStarted, 1, 'keep() starts the thread');
  const plain = new CutThread();
  assert.equal(plain.threadsStarted, 0, 'a thread starts with its first job');
  await Promise.all([splitOnce(kept), splitOnce(plain)]);
  await new Promise((res) => setTimeout(res, IDLE_MS + 2000)); // room for a late timer on a loaded machine
  await Promise.all([splitOnce(kept), splitOnce(plain)]);
  assert.equal(kept.threadsStarted, 1, 'the kept thread ended while idle');
  assert.equal(plain.threadsStarted, 2, 'the thread not kept outlived its idle time');
});

test('releaseSlots drops the slots a finished stage() used, and stage() makes new ones after', async () => {
  const thread = new CutThread();
  thread.keep();
  const dir = scratch('cutslots');
  const part = new Uint8Array(4096);
  fill(part, 9);
  assert.equal(await thread.stage(part, dir, 8192), hexOf(part));
  assert.equal(thread.slots, 1);
  thread.releaseSlots();
  assert.equal(thread.slots, 0);
  part[0] = (part[0] ?? 0) ^ 1;
  assert.equal(await thread.stage(part, dir, 8192), hexOf(part));
  assert.equal(thread.slots, 1);
});
