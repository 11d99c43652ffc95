// A program's memory as checkpoint payloads (runtime/memorycut.ts): views of live memory while the pod
// stays paused, a copy when it is left running, all-zero parts shared and never copied; and a cut that
// compares with what the last one kept: unchanged parts carry the kept digest and bytes, the pages that
// changed go to one patch, the base is never written over, and a part patched past a quarter is
// written whole again.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { applyPatch, decodePatch } from '../image/patch.js';
import type { Payload } from '../image/payload.js';
import { keptAfter, MEMORY_PART, memoryParts, sameBytes, ZERO_PART_HEX, type KeptMemory } from './memorycut.js';
import { PAGE } from './memorydiff.js';

const P = MEMORY_PART;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

/** 4 parts of memory, parts 1 and 3 holding something (part 3 only in its middle). */
function memory(): Uint8Array {
  const m = new Uint8Array(4 * P);
  m.fill(7, P, 2 * P);
  m[3 * P + 12345] = 1;
  return m;
}

/** What an image of payloads holds for memory/a: its parts joined, its patch laid over them. */
function restored(payloads: readonly Payload[]): Uint8Array {
  const parts = payloads.filter((p) => p.part !== undefined);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.bytes.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p.bytes, at);
    at += p.bytes.length;
  }
  for (const p of payloads) if (p.patch !== undefined) applyPatch(out, decodePatch(p.bytes, out.length, 'test'));
  return out;
}

/** The next cut's kept memory, as the sandbox makes it once the writer has stored payloads. */
function keep(snapshot: Uint8Array, payloads: readonly Payload[], used?: KeptMemory): KeptMemory {
  return keptAfter('memory/a', snapshot, payloads, payloads.map((p) => p.contentHex ?? sha(p.bytes)), used);
}

test('the zero part digest is of MEMORY_PART zero bytes', () => {
  assert.equal(sha(new Uint8Array(P)), ZERO_PART_HEX);
});

test('views of live memory; all-zero parts are one shared zero array', () => {
  const m = memory();
  const zero = new Uint8Array(P);
  const parts = memoryParts('memory/a', m, { copy: false, zeroPart: () => zero });
  assert.deepEqual(parts.map((p) => p.part), [0, 1, 2, 3].map((index) => ({ index, count: 4 })));
  assert.ok(parts.every((p) => p.kind === 'memory' && p.name === 'memory/a' && p.contentHex === undefined));
  assert.equal(parts[0]?.bytes, zero);
  assert.equal(parts[2]?.bytes, zero);
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

test('against the kept cut: the base links, changed pages go to a patch, the base is left as it was', () => {
  const m = memory();
  const zero = new Uint8Array(P);
  const snapshot = new Uint8Array(m.length);
  const first = memoryParts('memory/a', m, { copy: true, snapshot, zeroPart: () => zero, same });
  const kept = keep(snapshot, first);
  assert.deepEqual(kept.parts.map((p) => p?.zero), [true, false, true, false]);
  assert.equal(kept.parts[0]?.hex, ZERO_PART_HEX);
  assert.equal(kept.patched.size, 0);

  m[P + 5] = 8; // part 1, page 0
  m[2 * P + 3 * PAGE] = 1; // part 2 was zero: its page 3
  m.fill(2, 2 * P + 6 * PAGE - 1, 2 * P + 7 * PAGE + 1); // and pages 5 to 7
  const changed: number[] = [];
  const second = memoryParts('memory/a', m, { copy: true, snapshot, kept, zeroPart: () => zero, same, onChanged: (i) => changed.push(i) });
  assert.deepEqual(changed, [1, 2]);
  assert.deepEqual(second.slice(0, 4).map((p) => p.contentHex), kept.parts.map((p) => p?.hex));
  assert.equal(snapshot[P + 5], 7, 'the base keeps the bytes its blob holds');
  assert.equal(second[2]?.bytes.buffer, zero.buffer);
  const patch = second[4];
  assert.deepEqual(patch?.patch, { index: 0, count: 1 });
  assert.deepEqual(decodePatch(patch?.bytes ?? new Uint8Array(), m.length, 'test').map((r) => r.offset / PAGE), [P / PAGE, 2 * P / PAGE + 3, 2 * P / PAGE + 5, 2 * P / PAGE + 6, 2 * P / PAGE + 7]);
  assert.deepEqual(restored(second), m);

  // Again: a patched page that changes again is overwritten in place; nothing else is written.
  const kept2 = keep(snapshot, second, kept);
  assert.equal(kept2.patched, kept.patched);
  m[P + 6] = 9;
  const third = memoryParts('memory/a', m, { copy: true, snapshot, kept: kept2, zeroPart: () => zero, same });
  assert.equal(kept2.patched.size, 5);
  assert.deepEqual(restored(third), m);
  m[P + 6] = 0;
  assert.equal(restored(third)[P + 6], 9, 'the cut\'s patch is a copy');
});

test('a part patched past a quarter of it is written whole again, its pages no longer patched', () => {
  const m = memory();
  const zero = new Uint8Array(P);
  const snapshot = new Uint8Array(m.length);
  const kept = keep(snapshot, memoryParts('memory/a', m, { copy: true, snapshot, zeroPart: () => zero, same }));
  m[2 * P] = 5; // part 2: one page, patched
  for (let page = 0; page <= P / PAGE / 4; page++) m[P + page * PAGE + 1] = 3; // part 1: past a quarter
  const changed: number[] = [];
  const cut = memoryParts('memory/a', m, { copy: true, snapshot, kept, zeroPart: () => zero, same, onChanged: (i) => changed.push(i) });
  assert.deepEqual(changed, [1, 2]);
  assert.equal(cut[1]?.contentHex, undefined);
  assert.equal(cut[1]?.bytes.buffer, snapshot.buffer);
  assert.equal(snapshot[P + 1], 3, 'the part is copied into the base');
  assert.deepEqual([...kept.patched.keys()], [2 * P / PAGE]);
  assert.deepEqual(restored(cut), m);
  const next = keep(snapshot, cut, kept);
  assert.equal(next.parts[1]?.hex, sha(snapshot.subarray(P, 2 * P)));
});

test('a kept cut of another size, or whose base is not the snapshot, is not compared with', () => {
  const m = memory();
  const zero = new Uint8Array(P);
  const snapshot = new Uint8Array(m.length);
  const kept = keep(snapshot, memoryParts('memory/a', m, { copy: true, snapshot, zeroPart: () => zero, same }));
  const other = memoryParts('memory/a', new Uint8Array(5 * P).fill(1), { copy: false, kept, zeroPart: () => zero });
  assert.ok(other.every((p) => p.contentHex === undefined && p.patch === undefined));
  const elsewhere = memoryParts('memory/a', m, { copy: true, snapshot: new Uint8Array(m.length), kept, zeroPart: () => zero });
  assert.ok(elsewhere.every((p) => p.contentHex === undefined && p.patch === undefined));
});

test('sameBytes compares every byte, tails and unaligned ranges too', () => {
  const a = new Uint8Array(1027).fill(3);
  const b = a.slice();
  assert.ok(sameBytes(a, b));
  b[1026] = 4;
  assert.ok(!sameBytes(a, b));
  b[1026] = 3;
  b[0] = 0;
  assert.ok(!sameBytes(a, b));
  assert.ok(!sameBytes(a, a.subarray(1)));
  assert.ok(sameBytes(a.subarray(1, 9), b.subarray(1, 9)));
  b[5] = 1;
  assert.ok(!sameBytes(a.subarray(1, 9), b.subarray(1, 9)));
});
