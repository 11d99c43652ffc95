// The pre-copy of a tracked program's memory (precopy.ts) over a memory written while the pass runs: the
// "guest" here is the test, which writes pages between the pass's steps and marks them in the write map
// as the transform's code does (real bytes [0, B) one byte a page); the payloads at the pause, laid
// together, must be memory exactly as it is then, through full and incremental cuts, with blobs stored on
// this thread and on "another" (offload), and the debug check must name a page written without a mark.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { applyPatch, decodePatch } from '../image/patch.js';
import type { Payload, StagedPayload } from '../image/payload.js';
import type { Task } from '../wasi/scheduler.js';
import { MEMORY_PART } from './memorycut.js';
import { preCopyBegin, preCopyPayloads, runPreCopy, type PreCopySink, type TrackedKept } from './precopy.js';

const B = 1 << 20; // the write map's size: the guest's memory starts there
const PAGE = 4096;
const WASM_PAGE = 65536;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A task as precopy.ts sees one: a suspended fiber with a tracked memory. */
function fakeTask(memory: WebAssembly.Memory): Task {
  return { state: 'runnable', end: null, fiber: { memory, trackBase: B, status: 'suspended' } } as unknown as Task;
}

/** Blobs stored by content hex; offload (when on) answers on a later turn, as a helper thread does. */
function fakeSink(offload: boolean): PreCopySink & { blobs: Map<string, Uint8Array>; offloaded: number } {
  const blobs = new Map<string, Uint8Array>();
  const sink = {
    blobs,
    offloaded: 0,
    link: (hex: string) => blobs.has(hex),
    put: (bytes: Uint8Array) => {
      const hex = sha(bytes);
      blobs.set(hex, bytes.slice());
      return hex;
    },
    offload: (bytes: Uint8Array) => {
      if (!offload || sink.offloaded % 2 === 1) {
        if (offload) sink.offloaded++;
        return null;
      }
      sink.offloaded++;
      const copy = bytes.slice();
      return new Promise<string>((res) => setImmediate(() => res(sink.put(copy))));
    },
  };
  return sink;
}

/** Memory as payloads hold it: parts (staged ones from the sink's blobs) laid end to end, the patch over them. */
function assemble(payloads: readonly (Payload | StagedPayload)[], blobs: ReadonlyMap<string, Uint8Array>, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (const p of payloads) {
    if (p.part === undefined) continue;
    const bytes = 'staged' in p ? blobs.get(p.staged.contentHex) : p.bytes;
    assert.ok(bytes !== undefined, `part ${p.part.index} is stored`);
    out.set(bytes, p.part.index * MEMORY_PART);
  }
  for (const p of payloads) if (p.patch !== undefined && !('staged' in p)) applyPatch(out, decodePatch(p.bytes, size, 'test'));
  return out;
}

/** The guest's write: bytes at a guest address, its pages marked (unless told not to). */
function write(memory: WebAssembly.Memory, guest: number, bytes: Uint8Array, mark = true): void {
  const live = new Uint8Array(memory.buffer);
  live.set(bytes, B + guest);
  if (mark) live.fill(1, Math.floor(guest / PAGE), Math.floor((guest + bytes.length - 1) / PAGE) + 1);
}

/** Pseudo-random bytes. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** One cut: begun, passed with `during` run between its steps, taken at once: memory then, and what the cut holds. */
async function cut(memory: WebAssembly.Memory, task: Task, sink: ReturnType<typeof fakeSink>, kept: TrackedKept | undefined, during: (step: number) => void, check = false): Promise<{ kept: TrackedKept; image: Uint8Array; now: Uint8Array; steps: number }> {
  const pc = preCopyBegin('a', task, kept, { check });
  assert.ok(pc !== null);
  let steps = 0;
  await runPreCopy([pc], new Map([['a', task]]), sink, () => new Uint8Array(MEMORY_PART), { check, betweenParts: async () => during(steps++) });
  const out = preCopyPayloads(pc, task, () => new Uint8Array(MEMORY_PART), { check });
  assert.ok(out !== null, 'the pre-copy is usable');
  const now = new Uint8Array(memory.buffer).slice();
  return { kept: out.kept, image: assemble(out.payloads, sink.blobs, now.length), now, steps };
}

for (const offload of [false, true]) {
  test(`a pre-copy whose memory is written during the pass holds memory as it is at the pause (${offload ? 'half the parts on another thread' : 'this thread'})`, async () => {
    const memory = new WebAssembly.Memory({ initial: (24 << 20) / WASM_PAGE });
    const task = fakeTask(memory);
    write(memory, 0, noise(12 << 20, 7)); // a filled heap, then zeros
    new Uint8Array(memory.buffer).fill(0, 0, B); // a cut clears the map: start from none
    const sink = fakeSink(offload);
    // Each step writes a page of a part already stored, of one to come, of a zero part, and across a part's end.
    const during = (step: number): void => {
      write(memory, ((step * 5) % 20) * (1 << 20) + 123, noise(100, step + 1));
      write(memory, 20 * (1 << 20) + step * PAGE, noise(PAGE, step + 50));
      write(memory, 2 * MEMORY_PART - B - 10, noise(20, step + 99));
    };
    let c = await cut(memory, task, sink, undefined, during, true);
    assert.ok(c.steps >= 6, `the pass had steps to write between (${c.steps})`);
    assert.ok(sink.blobs.size >= 4);
    assert.ok(c.image.every((b, i) => b === c.now[i]), 'the full cut is memory at the pause');
    for (let round = 0; round < 4; round++) {
      write(memory, (round + 1) * 3 * (1 << 20), noise(3 * PAGE, round + 200)); // between cuts
      if (round === 2) write(memory, 4 << 20, noise(2 << 20, 300)); // past a quarter of a part: staged whole again
      c = await cut(memory, task, sink, c.kept, during, true);
      assert.ok(c.image.every((b, i) => b === c.now[i]), `incremental cut ${round} is memory at the pause`);
    }
    if (offload) assert.ok(sink.offloaded > 2, 'parts went to the other thread');
  });
}

test('the pre-copy\'s debug check names a page written without a mark; memory that grew makes it unusable', async () => {
  const memory = new WebAssembly.Memory({ initial: (12 << 20) / WASM_PAGE });
  const task = fakeTask(memory);
  write(memory, 0, noise(8 << 20, 3));
  new Uint8Array(memory.buffer).fill(0, 0, B);
  const sink = fakeSink(false);
  const first = await cut(memory, task, sink, undefined, () => {}, true);
  // During the pass (after its links), a part linked is written without a mark.
  await assert.rejects(cut(memory, task, sink, first.kept, (step) => {
    if (step === 0) write(memory, 5000, noise(8, 9), false);
  }, true), /the guest's page 1 changed since it was saved, and the write map does not say so/);
  const pc = preCopyBegin('a', task, undefined, {});
  assert.ok(pc !== null);
  await runPreCopy([pc], new Map([['a', task]]), sink, () => new Uint8Array(MEMORY_PART), { betweenParts: async () => {} });
  memory.grow(1);
  assert.equal(preCopyPayloads(pc, task, () => new Uint8Array(MEMORY_PART)), null, 'a memory that grew is saved as an untracked one\'s');
});

test('a zero part is made only when memory needs one: not for a cut that links every part, a zero one too', async () => {
  const memory = new WebAssembly.Memory({ initial: (16 << 20) / WASM_PAGE }); // 4 parts: the last all zeros
  const task = fakeTask(memory);
  write(memory, 0, noise(8 << 20, 5));
  new Uint8Array(memory.buffer).fill(0, 0, B);
  const sink = fakeSink(false);
  let made = 0;
  const zeroPart = (): Uint8Array => {
    made++;
    return new Uint8Array(MEMORY_PART);
  };
  const cutCounted = async (kept: TrackedKept | undefined): Promise<{ kept: TrackedKept; image: Uint8Array; payloads: readonly (Payload | StagedPayload)[] }> => {
    const pc = preCopyBegin('a', task, kept, {});
    assert.ok(pc !== null);
    await runPreCopy([pc], new Map([['a', task]]), sink, zeroPart, { betweenParts: async () => {} });
    const out = preCopyPayloads(pc, task, zeroPart, {});
    assert.ok(out !== null);
    return { kept: out.kept, image: assemble(out.payloads, sink.blobs, memory.buffer.byteLength), payloads: out.payloads };
  };
  const first = await cutCounted(undefined);
  assert.ok(made > 0, 'the full cut found the zero part with a zero part');
  assert.ok(first.image.every((b, i) => b === new Uint8Array(memory.buffer)[i]), 'the full cut is memory');
  // The parent image holds the zero part's blob (the writer stored it, as any part's).
  const zeroPayload = first.payloads.find((p) => p.part?.index === 3);
  assert.ok(zeroPayload !== undefined && !('staged' in zeroPayload) && zeroPayload.contentHex !== undefined);
  sink.blobs.set(zeroPayload.contentHex, zeroPayload.bytes.slice());
  write(memory, 100, noise(10, 6)); // a page of part 0: patched, the part linked
  made = 0;
  const second = await cutCounted(first.kept);
  assert.equal(made, 0, 'a cut whose parts are all linked, the zero one too, makes no zero part');
  assert.ok(second.payloads.filter((p) => p.part !== undefined).every((p) => 'staged' in p), 'every part is linked');
  assert.ok(second.image.every((b, i) => b === new Uint8Array(memory.buffer)[i]), 'the incremental cut is memory');
  // A parent without the zero blob: the zero part is made for it, and the image is memory all the same.
  sink.blobs.delete(zeroPayload.contentHex);
  const third = await cutCounted(second.kept);
  assert.ok(made > 0, 'a zero part the parent lacks is given as zero bytes');
  assert.ok(third.image.every((b, i) => b === new Uint8Array(memory.buffer)[i]), 'that cut is memory too');
});

test('the pass hands the other thread no part it would still be on once this thread is done', async () => {
  const memory = new WebAssembly.Memory({ initial: (16 << 20) / WASM_PAGE }); // 4 parts, none all zeros
  const task = fakeTask(memory);
  write(memory, 0, noise((16 << 20) - B, 7));
  new Uint8Array(memory.buffer).fill(0, 0, B);
  // The other thread takes every part it is offered and finishes none until the pass has dealt with all.
  const releases: (() => void)[] = [];
  const base = fakeSink(false);
  const sink: PreCopySink = {
    ...base,
    offload: (bytes) => {
      const copy = bytes.slice();
      return new Promise<string>((res) => releases.push(() => res(base.put(copy))));
    },
  };
  const pc = preCopyBegin('a', task, undefined, {});
  assert.ok(pc !== null);
  let dealt = 0;
  const pass = runPreCopy([pc], new Map([['a', task]]), sink, () => new Uint8Array(MEMORY_PART), { betweenParts: async () => void dealt++ });
  while (dealt < 5) await new Promise((res) => setImmediate(res)); // once after the links, then once a part
  // With two parts handed off, the last two are staged here: handed off too, the pass would end waiting
  // for the other thread's three or four parts, this one idle.
  assert.equal(releases.length, 2, 'parts handed off');
  for (const release of releases) release();
  const stats = await pass;
  assert.deepEqual({ here: stats.here, offloaded: stats.offloaded }, { here: 2, offloaded: 2 });
  const out = preCopyPayloads(pc, task, () => new Uint8Array(MEMORY_PART), {});
  assert.ok(out !== null);
  assert.ok(assemble(out.payloads, base.blobs, memory.buffer.byteLength).every((b, i) => b === new Uint8Array(memory.buffer)[i]), 'the cut is memory');
});
