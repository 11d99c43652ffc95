// What a first cut written from live memory keeps: its memory read back from the image, each part known
// only if it hashes to its digest (a blob changed since it was written is compared with nothing), zero
// parts known without a read.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NodeImageStore } from '../host/imagestore.js';
import { scratch } from '../host/testing/scratch.js';
import { blobPath } from '../image/blobs.js';
import { writeImage } from '../image/writer.js';
import { memoryParts, MEMORY_PART, ZERO_PART_HEX } from '../runtime/memorycut.js';
import { keptFromImage } from './keptbase.js';

test('the memory read back: parts known by digest, a zero part without a read, a changed blob unknown', async (t) => {
  const dir = scratch('keptbase', t);
  const store = new NodeImageStore();
  // Three parts: bytes, zeros, bytes (the last one shorter).
  const memory = new Uint8Array(3 * MEMORY_PART - 8192);
  for (let i = 0; i < MEMORY_PART; i += 101) memory[i] = (i * 13) & 0xff;
  for (let i = 2 * MEMORY_PART; i < memory.length; i += 103) memory[i] = (i * 7) & 0xff;
  const zero = new Uint8Array(MEMORY_PART);
  const payloads = [{ name: 'kernel', bytes: new Uint8Array([1, 2, 3]) }, ...memoryParts('memory/c', memory, { copy: false, zeroPart: () => zero })];
  const image = join(dir, 'img');
  const result = await writeImage(store, image, { podId: 'p', payloads });
  const hexes = result.contentHexes.slice(1);
  assert.equal(hexes[1], ZERO_PART_HEX);
  // Part 2's blob changed in place after it was written.
  const changed = blobPath(image, hexes[2] ?? '');
  const bytes = readFileSync(changed);
  bytes[5] = (bytes[5] ?? 0) ^ 1;
  writeFileSync(changed, bytes);

  const cut = await keptFromImage(store, payloads, result);
  assert.equal(cut.image, result.dir);
  const kept = cut.memory.get('c');
  assert.ok(kept !== undefined);
  assert.equal(kept.base.length, memory.length);
  assert.deepEqual(kept.parts, [{ hex: hexes[0], zero: false }, { hex: ZERO_PART_HEX, zero: true }, null]);
  assert.deepEqual(kept.base.subarray(0, 2 * MEMORY_PART), memory.subarray(0, 2 * MEMORY_PART));
  assert.equal(kept.patched.size, 0);
});
