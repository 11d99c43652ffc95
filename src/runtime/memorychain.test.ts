// A chain of incremental checkpoints of one memory, through the real writer and reader (as the sandbox
// takes them with --leave-running: memorycut.ts compares with the kept cut, image/ links the base from
// the last image and writes the patch): random pages dirtied, some parts past the compaction share, over
// several generations. Every image restores the memory as it was at its cut, each on its own once the
// others are deleted, and an incremental one writes little more than the pages that changed.
import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { NodeImageStore } from '../host/imagestore.js';
import { scratch } from '../host/testing/scratch.js';
import { readImage } from '../image/reader.js';
import { writeImage } from '../image/writer.js';
import { keptAfter, MEMORY_PART, memoryParts, type KeptMemory } from './memorycut.js';
import { PAGE } from './memorydiff.js';

const root = scratch('memory-chain');
const store = new NodeImageStore();
const SIZE = 2 * MEMORY_PART + (64 << 10);
const PAGES = SIZE / PAGE;
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

/** Part 0 and the short last part hold bytes, part 1 is zeros. */
function initial(seed: number): Uint8Array {
  const m = new Uint8Array(SIZE);
  let x = seed | 1;
  for (let i = 0; i < SIZE; i += 4) {
    if (i === MEMORY_PART) i = 2 * MEMORY_PART;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    m[i] = x & 255;
    m[i + 3] = (x >>> 8) & 255;
  }
  return m;
}

const writes = fc.record({
  pokes: fc.array(fc.record({ page: fc.integer({ min: 0, max: PAGES - 1 }), at: fc.integer({ min: 0, max: PAGE - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 24 }),
  // Many pages of one part at once, at times past the share a patch may take of it.
  burst: fc.option(fc.record({ part: fc.integer({ min: 0, max: 2 }), pages: fc.integer({ min: 1, max: 400 }), value: fc.integer({ min: 0, max: 255 }) }), { nil: null }),
});

let run = 0;

test('a chain of incremental checkpoints restores every generation, each image on its own', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer(), fc.array(writes, { minLength: 1, maxLength: 4 }), async (seed, generations) => {
      const dir = join(root, `run${run++}`);
      const m = initial(seed);
      const zero = new Uint8Array(MEMORY_PART);
      const snapshot = new Uint8Array(SIZE);
      const images: Array<{ dir: string; want: Uint8Array; written: number }> = [];
      let kept: KeptMemory | undefined;
      let identities: ReadonlyMap<string, string> = new Map();
      for (let g = 0; g <= generations.length; g++) {
        const w = generations[g - 1];
        let dirtied = 0;
        for (const p of w?.pokes ?? []) {
          const i = p.page * PAGE + p.at;
          if (m[i] !== p.value) dirtied++;
          m[i] = p.value;
        }
        if (w?.burst) {
          const from = w.burst.part * MEMORY_PART;
          m.fill(w.burst.value, from, Math.min(SIZE, from + w.burst.pages * PAGE));
          dirtied += w.burst.pages;
        }
        const payloads = [
          ...memoryParts('memory/a', m, { copy: true, snapshot, kept, zeroPart: () => zero, same }),
          { name: 'kernel', bytes: Uint8Array.of(g) },
        ];
        const image = join(dir, `gen${g}`);
        const last = images.at(-1);
        const r = await writeImage(store, image, { podId: 'p', payloads }, last === undefined ? {} : { parent: last.dir, parentIdentities: identities });
        kept = keptAfter('memory/a', snapshot, payloads, r.contentHexes, kept);
        identities = r.identities;
        images.push({ dir: image, want: m.slice(), written: r.written });
        // An incremental cut writes its patch (a page and 16 bytes for each page patched), the small
        // payload, at most the short last part written again (a few pages pass its share), nothing else.
        if (g > 0 && w?.burst === null && dirtied < 64) {
          assert.ok(r.written <= (kept.patched.size + 1) * (PAGE + 16) + 64 + (64 << 10), `generation ${g} wrote ${r.written} bytes for ${kept.patched.size} patched pages`);
        }
      }
      for (const { dir: image, want } of images) assert.ok(same(readImage(store, image).payload('memory/a'), want), `${image} restores its cut`);
      // Each is self-contained: the last restores with the others gone, and its blobs are its own files.
      for (const { dir: image } of images.slice(0, -1)) rmSync(image, { recursive: true });
      const only = images.at(-1);
      assert.ok(only !== undefined && statSync(join(only.dir, 'oci-layout')).isFile());
      const img = readImage(store, only.dir, { lazy: true });
      const into = new Uint8Array(SIZE);
      img.source('memory/a').copyTo(into, 0);
      await img.verified();
      assert.ok(same(into, only.want), 'the last image, read as a restore reads it, holds the memory of its cut');
      rmSync(dir, { recursive: true });
    }),
    { numRuns: 12 },
  );
});
