// A program's memory as checkpoint payloads (runtime/checkpoint.ts): views of live memory while the pod
// stays paused, a copy when it is left running, all-zero parts shared and never copied.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CHUNK_SIZE } from '../image/payload.js';
import { memoryParts } from './checkpoint.js';

const MiB = DEFAULT_CHUNK_SIZE;

/** 4 MiB of memory, parts 1 and 3 holding something (part 3 only in its middle). */
function memory(): Uint8Array {
  const m = new Uint8Array(4 * MiB);
  m.fill(7, MiB, 2 * MiB);
  m[3 * MiB + 12345] = 1;
  return m;
}

test('views of live memory; all-zero parts are one shared zero array', () => {
  const m = memory();
  let zeros = 0;
  const zero = new Uint8Array(MiB);
  const parts = memoryParts('memory/a', m, false, undefined, () => (zeros++, zero));
  assert.deepEqual(parts.map((p) => p.part), [0, 1, 2, 3].map((index) => ({ index, count: 4 })));
  assert.ok(parts.every((p) => p.kind === 'memory' && p.name === 'memory/a'));
  assert.equal(parts[0]?.bytes, zero);
  assert.equal(parts[2]?.bytes, zero);
  assert.equal(zeros, 2);
  assert.equal(parts[1]?.bytes.buffer, m.buffer);
  assert.equal(parts[3]?.bytes.buffer, m.buffer);
});

test('copyMemory: the parts keep the cut when memory changes afterwards, in the buffer given if it fits', () => {
  const m = memory();
  const zero = new Uint8Array(MiB);
  const prepared = new Uint8Array(m.length);
  const parts = memoryParts('memory/a', m, true, prepared, () => zero);
  m.fill(9);
  assert.equal(parts[1]?.bytes.buffer, prepared.buffer);
  assert.ok(parts[1]?.bytes.every((b) => b === 7));
  assert.equal(parts[3]?.bytes[12345], 1);
  assert.equal(parts[0]?.bytes, zero);
  // A buffer that no longer fits (memory grew since it was made) is not used.
  const grown = memoryParts('memory/a', new Uint8Array(5 * MiB).fill(3), true, prepared, () => zero);
  assert.notEqual(grown[0]?.bytes.buffer, prepared.buffer);
  assert.equal(grown.length, 5);
});

test('a last part shorter than a chunk is never taken for the zero part', () => {
  const m = new Uint8Array(MiB + 65536);
  const parts = memoryParts('memory/a', m, false, undefined, () => new Uint8Array(MiB));
  assert.equal(parts.length, 2);
  assert.equal(parts[1]?.bytes.length, 65536);
  assert.equal(parts[1]?.bytes.buffer, m.buffer);
});
