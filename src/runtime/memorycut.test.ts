// A program's memory as checkpoint payloads (runtime/memorycut.ts): views of live memory while the pod
// stays paused, a copy when it is left running, all-zero parts shared and never copied; and a cut that
// compares with what the last one kept: unchanged parts carry the kept digest, changed ones do not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keptAfter, MEMORY_PART, memoryParts, sameBytes, type KeptMemory } from './memorycut.js';

const P = MEMORY_PART;

/** 4 parts of memory, parts 1 and 3 holding something (part 3 only in its middle). */
function memory(): Uint8Array {
  const m = new Uint8Array(4 * P);
  m.fill(7, P, 2 * P);
  m[3 * P + 12345] = 1;
  return m;
}

test('views of live memory; all-zero parts are one shared zero array', () => {
  const m = memory();
  let zeros = 0;
  const zero = new Uint8Array(P);
  const parts = memoryParts('memory/a', m, { copy: false, zeroPart: () => (zeros++, zero) });
  assert.deepEqual(parts.map((p) => p.part), [0, 1, 2, 3].map((index) => ({ index, count: 4 })));
  assert.ok(parts.every((p) => p.kind === 'memory' && p.name === 'memory/a' && p.contentHex === undefined));
  assert.equal(parts[0]?.bytes, zero);
  assert.equal(parts[2]?.bytes, zero);
  assert.equal(zeros, 2);
  assert.equal(parts[1]?.bytes.buffer, m.buffer);
  assert.equal(parts[3]?.bytes.buffer, m.buffer);
});

test('copy: the parts keep the cut when memory changes afterwards, in the buffer given if it fits', () => {
  const m = memory();
  const zero = new Uint8Array(P);
  const prepared = new Uint8Array(m.length);
  const parts = memoryParts('memory/a', m, { copy: true, snapshot: prepared, zeroPart: () => zero });
  m.fill(9);
  assert.equal(parts[1]?.bytes.buffer, prepared.buffer);
  assert.ok(parts[1]?.bytes.every((b) => b === 7));
  assert.equal(parts[3]?.bytes[12345], 1);
  assert.equal(parts[0]?.bytes, zero);
  // A buffer that no longer fits (memory grew since it was made) is not used.
  const grown = memoryParts('memory/a', new Uint8Array(5 * P).fill(3), { copy: true, snapshot: prepared, zeroPart: () => zero });
  assert.notEqual(grown[0]?.bytes.buffer, prepared.buffer);
  assert.equal(grown.length, 5);
});

test('a last part shorter than a part is never taken for the zero part', () => {
  const m = new Uint8Array(P + 65536);
  const parts = memoryParts('memory/a', m, { copy: false, zeroPart: () => new Uint8Array(P) });
  assert.equal(parts.length, 2);
  assert.equal(parts[1]?.bytes.length, 65536);
  assert.equal(parts[1]?.bytes.buffer, m.buffer);
});

test('against the kept cut: unchanged parts carry its digest and are not copied again, changed ones are', () => {
  const m = memory();
  const zero = new Uint8Array(P);
  const snapshot = new Uint8Array(m.length);
  const first = memoryParts('memory/a', m, { copy: true, snapshot, zeroPart: () => zero });
  const hexes = first.map((_, i) => `hex${i}`);
  const kept: KeptMemory = keptAfter('memory/a', snapshot, first, hexes);
  assert.deepEqual(kept.hexes, [null, 'hex1', null, 'hex3']); // zero parts are not in the snapshot
  m[P + 5] = 8; // part 1 changes
  m[2 * P] = 1; // part 2 was zero and is no more
  const changed: number[] = [];
  const second = memoryParts('memory/a', m, { copy: true, snapshot, kept, zeroPart: () => zero, onChanged: (i) => changed.push(i) });
  assert.deepEqual(changed, [1, 2]);
  assert.deepEqual(second.map((p) => p.contentHex), [undefined, undefined, undefined, 'hex3']);
  assert.equal(second[1]?.bytes[5], 8);
  assert.equal(snapshot[P + 5], 8, 'a changed part is copied into the snapshot');
  assert.equal(second[3]?.bytes.buffer, snapshot.buffer);
  // A part that goes back to bytes the snapshot holds, but whose hex was dropped, is not trusted.
  const third = memoryParts('memory/a', m, { copy: true, snapshot, kept: keptAfter('memory/a', snapshot, second, ['z', 'n1', 'n2', 'hex3']), zeroPart: () => zero });
  assert.deepEqual(third.map((p) => p.contentHex), [undefined, 'n1', 'n2', 'hex3']);
  // A kept cut of another size is not compared with.
  const other = memoryParts('memory/a', new Uint8Array(5 * P).fill(1), { copy: false, kept, zeroPart: () => zero });
  assert.ok(other.every((p) => p.contentHex === undefined));
});

test('sameBytes compares every byte, tails too', () => {
  const a = new Uint8Array(1027).fill(3);
  const b = a.slice();
  assert.ok(sameBytes(a, b));
  b[1026] = 4;
  assert.ok(!sameBytes(a, b));
  b[1026] = 3;
  b[0] = 0;
  assert.ok(!sameBytes(a, b));
  assert.ok(!sameBytes(a, a.subarray(1)));
});
