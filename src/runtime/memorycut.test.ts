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

// A program whose module tracks its writes (wasi/transformed.ts): real bytes [0, B) are its write map,
// byte i for the guest's page i (real bytes B + i*PAGE on).
const B = 65536;
const guestPage = (realOffset: number): number => (realOffset - B) / PAGE;

/** The first index where a and b differ (-1: none): a failure message a 16 MiB deepEqual could not print. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  if (same(a, b)) return -1;
  return a.findIndex((x, i) => x !== b[i]);
}

/** Writes v at real offset at as the guest would: the byte and its page's map byte. */
function guestWrite(m: Uint8Array, at: number, v: number): void {
  m[at] = v;
  m[Math.floor(guestPage(at - (at % PAGE)))] = 1;
}

test('tracked: the first cut clears the write map and saves it all zeros', () => {
  const m = memory();
  m.fill(1, 0, 40); // marks from before the cut
  const source = {};
  const snapshot = new Uint8Array(m.length);
  const cut = memoryParts('memory/a', m, { copy: true, snapshot, zeroPart: () => new Uint8Array(P), same, track: { base: B, source, use: true } });
  assert.ok(m.subarray(0, B).every((b) => b === 0), 'the live map is cleared');
  assert.ok(restored(cut).subarray(0, B).every((b) => b === 0), 'the image holds it cleared');
  assert.equal(keep(snapshot, cut).source, undefined, 'keptAfter without a source');
  assert.equal(keptAfter('memory/a', snapshot, cut, cut.map((p) => p.contentHex ?? sha(p.bytes)), undefined, source).source, source);
});

test('tracked: against a cut of its own memory, only marked pages are compared; an unmarked part links as it is', () => {
  const m = memory();
  const zero = new Uint8Array(P);
  const source = {};
  const snapshot = new Uint8Array(m.length);
  const first = memoryParts('memory/a', m, { copy: true, snapshot, zeroPart: () => zero, same, track: { base: B, source, use: true } });
  const kept = keptAfter('memory/a', snapshot, first, first.map((p) => p.contentHex ?? sha(p.bytes)), undefined, source);
  guestWrite(m, P + 3 * PAGE + 7, 42); // part 1, marked
  m[3 * P + 5] = 9; // part 3, not marked: the map is what the cut believes
  let compares = 0;
  const counted = (a: Uint8Array, b: Uint8Array): boolean => {
    compares++;
    return same(a, b);
  };
  const changed: number[] = [];
  const second = memoryParts('memory/a', m, { copy: true, snapshot, kept, zeroPart: () => zero, same: counted, onChanged: (i) => changed.push(i), track: { base: B, source, use: true } });
  assert.deepEqual(changed, [1]);
  assert.equal(compares, 1, 'one marked page compared; the zero test of parts is not reached for linked parts');
  assert.deepEqual([...kept.patched.keys()], [(P + 3 * PAGE) / PAGE]);
  const image = restored(second);
  assert.equal(image[P + 3 * PAGE + 7], 42);
  assert.equal(image[3 * P + 5], 0, 'the unmarked write was not looked for');
  assert.ok(m.subarray(0, B).every((b) => b === 0), 'the map is cleared again');
  assert.deepEqual(second.slice(0, 4).map((p) => p.contentHex), kept.parts.map((p) => p?.hex), 'every part links');
});

test('tracked: the debug check throws for a page that changed without a mark, naming it', () => {
  const m = memory();
  const source = {};
  const snapshot = new Uint8Array(m.length);
  const first = memoryParts('memory/a', m, { copy: true, snapshot, zeroPart: () => new Uint8Array(P), same, track: { base: B, source, use: true } });
  const kept = keptAfter('memory/a', snapshot, first, first.map((p) => p.contentHex ?? sha(p.bytes)), undefined, source);
  guestWrite(m, P + 5, 1);
  m[3 * P + 5 * PAGE] = 9;
  assert.throws(
    () => memoryParts('memory/a', m, { copy: true, snapshot, kept, zeroPart: () => new Uint8Array(P), same, track: { base: B, source, use: true, check: true } }),
    new RegExp(`the guest's page ${guestPage(3 * P + 5 * PAGE)} changed since the last cut`),
  );
});

test('tracked: a kept cut of another instance\'s memory, or a map not to be used, is compared with as untracked', () => {
  for (const [what, keptSource, use] of [['another instance', {}, true], ['use: false', null, false]] as const) {
    const m = memory();
    const source = {};
    const snapshot = new Uint8Array(m.length);
    const first = memoryParts('memory/a', m, { copy: true, snapshot, zeroPart: () => new Uint8Array(P), same, track: { base: B, source, use: true } });
    const kept = keptAfter('memory/a', snapshot, first, first.map((p) => p.contentHex ?? sha(p.bytes)), undefined, keptSource ?? source);
    m[3 * P + 5] = 9; // not marked
    m[7] = 1; // a stale mark
    const second = memoryParts('memory/a', m, { copy: true, snapshot, kept, zeroPart: () => new Uint8Array(P), same, track: { base: B, source, use } });
    assert.equal(restored(second)[3 * P + 5], 9, `${what}: the write is found by comparing`);
    assert.equal(m[7], 0, `${what}: the map is cleared all the same`);
  }
});

test('tracked: a chain of cuts by the map saves exactly what a chain of compares saves, the debug check on', () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const m = memory();
  const source = {};
  const zero = new Uint8Array(P);
  const byMap = { snapshot: new Uint8Array(m.length), kept: undefined as KeptMemory | undefined };
  const byCompare = { snapshot: new Uint8Array(m.length), kept: undefined as KeptMemory | undefined };
  for (let round = 0; round < 24; round++) {
    // Random guest writes: single bytes, page runs, now and then past a quarter of a part (compacted),
    // and a write of the same byte again (marked, unchanged).
    const writes = rand(6);
    for (let w = 0; w < writes; w++) {
      const at = B + rand(m.length - B - 3 * PAGE);
      const len = rand(4) === 0 ? rand(3 * PAGE) + 1 : 1;
      for (let i = 0; i < len; i++) guestWrite(m, at + i, rand(3) === 0 ? m[at + i] ?? 0 : rand(256));
    }
    if (round === 10) for (let page = 0; page <= P / PAGE / 4 + 1; page++) guestWrite(m, 2 * P + page * PAGE + 9, round);
    const a = memoryParts('memory/a', m, { copy: true, snapshot: byMap.snapshot, kept: byMap.kept, zeroPart: () => zero, same, track: { base: B, source, use: true, check: true } });
    const b = memoryParts('memory/a', m, { copy: true, snapshot: byCompare.snapshot, kept: byCompare.kept, zeroPart: () => zero, same });
    const saved = restored(a);
    assert.equal(firstDifference(saved, restored(b)), -1, `round ${round}: the same memory saved`);
    assert.equal(firstDifference(saved, m), -1, `round ${round}: the memory as it is, its map cleared`);
    byMap.kept = keptAfter('memory/a', byMap.snapshot, a, a.map((p) => p.contentHex ?? sha(p.bytes)), byMap.kept, source);
    byCompare.kept = keep(byCompare.snapshot, b, byCompare.kept);
  }
});
