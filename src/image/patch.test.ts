// Patch layers (patch.ts): the blob's encoding and every way one can lie; and through the writer and the
// reader, a payload's patches laid over its parts in order, by payload() at once and by copyTo once
// verified() has checked the parts, a damaged or malformed patch refused naming its blob, and patches
// that do not fit a payload refused by the writer before anything is written.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NodeImageStore } from '../host/imagestore.js';
import { scratch } from '../host/testing/scratch.js';
import { ImageError } from './error.js';
import { applyPatch, decodePatch, encodePatch } from './patch.js';
import { chunked, type Payload } from './payload.js';
import { readImage } from './reader.js';
import { writeImage } from './writer.js';

const root = scratch('image-patch');
const store = new NodeImageStore();
let n = 0;
const fresh = (): string => join(root, `img${n++}`);
const PART = 64 << 10;

const bytes = (length: number, seed: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 255);

describe('the patch blob', () => {
  test('runs round-trip, touching ones too, and lay over a payload', () => {
    const runs = [{ offset: 0, bytes: bytes(3, 1) }, { offset: 3, bytes: bytes(5, 2) }, { offset: 100, bytes: bytes(1, 3) }];
    const blob = encodePatch(runs);
    assert.equal(blob.length, 16 + 16 * 3 + 9);
    const back = decodePatch(blob, 101, 'x');
    assert.deepEqual(back.map((r) => [r.offset, [...r.bytes]]), runs.map((r) => [r.offset, [...r.bytes]]));
    const into = new Uint8Array(101);
    applyPatch(into, back);
    assert.deepEqual([...into.subarray(0, 8)], [...runs[0]!.bytes, ...runs[1]!.bytes]);
    assert.equal(into[100], runs[2]!.bytes[0]);
    assert.deepEqual(decodePatch(encodePatch([]), 0, 'x'), []);
  });

  test('encodePatch refuses runs out of order, overlapping or empty', () => {
    assert.throws(() => encodePatch([{ offset: 8, bytes: bytes(4, 0) }, { offset: 10, bytes: bytes(4, 0) }]), RangeError);
    assert.throws(() => encodePatch([{ offset: 8, bytes: bytes(4, 0) }, { offset: 0, bytes: bytes(4, 0) }]), RangeError);
    assert.throws(() => encodePatch([{ offset: 0, bytes: new Uint8Array(0) }]), RangeError);
  });

  const good = (): Uint8Array => encodePatch([{ offset: 4, bytes: bytes(4, 0) }, { offset: 16, bytes: bytes(8, 1) }]);
  const edit = (f: (b: Uint8Array, v: DataView) => void): Uint8Array => {
    const b = good();
    f(b, new DataView(b.buffer));
    return b;
  };
  const cases: Array<[string, Uint8Array, number, RegExp]> = [
    ['no header', new Uint8Array(10), 64, /no AMBPATCH header/],
    ['another magic', edit((b) => (b[0] = 0x61)), 64, /no AMBPATCH header/],
    ['reserved header bytes', edit((_, v) => v.setUint32(12, 1, true)), 64, /header bytes 12-15/],
    ['more runs than fit', edit((_, v) => v.setUint32(8, 1000, true)), 64, /1000 runs do not fit/],
    ['a run past the payload', good(), 20, /run 1 at 16 of 8 bytes/],
    ['overlapping runs', edit((_, v) => v.setBigUint64(32, 6n, true)), 64, /run 1 at 6 of 8 bytes: empty, overlapping/],
    ['an empty run', edit((_, v) => v.setUint32(24, 0, true)), 64, /run 0 at 4 of 0 bytes/],
    ['reserved run bytes', edit((_, v) => v.setUint32(28, 7, true)), 64, /run 0: its last 4 bytes/],
    ['bytes past the last run', new Uint8Array([...good(), 0]), 64, /1 bytes past the last run/],
    ['runs past the blob', good().subarray(0, 50), 64, /run 0: its bytes run past the blob's end/],
    ['an offset past 2^53', edit((_, v) => v.setBigUint64(32, 1n << 60n, true)), 64, /past the payload's 64 bytes/],
  ];
  for (const [what, blob, size, message] of cases) {
    test(`decodePatch refuses ${what}, naming where`, () => {
      assert.throws(() => decodePatch(blob, size, '/img: blob sha256:ab (payload "m" patch 0/1)'), (e: Error) => {
        assert.ok(e instanceof ImageError);
        assert.match(e.message, /^\/img: blob sha256:ab \(payload "m" patch 0\/1\): not a patch of this payload/);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});

/** Memory of four parts (the second all zero), two patches over it, and a payload beside them. */
function patched(): { payloads: Payload[]; want: Uint8Array } {
  const base = bytes(4 * PART, 7);
  base.fill(0, PART, 2 * PART);
  const p0 = [{ offset: 10, bytes: bytes(4096, 1) }, { offset: PART + 4096, bytes: bytes(8192, 2) }];
  const p1 = [{ offset: 12, bytes: bytes(2, 3) }, { offset: 4 * PART - 5, bytes: bytes(5, 4) }];
  const want = base.slice();
  applyPatch(want, p0);
  applyPatch(want, p1);
  return {
    payloads: [
      ...chunked('memory/a', base, { chunkSize: PART }),
      { name: 'memory/a', patch: { index: 1, count: 2 }, bytes: encodePatch(p1) },
      { name: 'memory/a', patch: { index: 0, count: 2 }, bytes: encodePatch(p0) },
      { name: 'kernel', bytes: bytes(100, 9) },
    ],
    want,
  };
}

/** The blob file of a payload's patch layer. */
function patchBlob(dir: string, index: number): string {
  const idx = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const manifest = JSON.parse(readFileSync(join(dir, 'blobs/sha256', idx.manifests[0]?.digest.slice(7) ?? ''), 'utf8')) as {
    layers: Array<{ mediaType: string; digest: string; annotations: Record<string, string> }>;
  };
  const layer = manifest.layers.find((l) => l.annotations['org.amber.patch'] === `${index}/2`);
  assert.equal(layer?.mediaType, 'application/vnd.amber.checkpoint.patch.v1');
  return join(dir, 'blobs/sha256', layer?.digest.slice(7) ?? '');
}

describe('patches in an image', () => {
  test('payload() lays them over the parts in index order; size and parts are the parts\'', async () => {
    const dir = fresh();
    const { payloads, want } = patched();
    await writeImage(store, dir, { podId: 'p', payloads });
    const img = readImage(store, dir);
    assert.deepEqual(img.names(), ['memory/a', 'kernel']);
    assert.deepEqual([img.patches('memory/a'), img.patches('kernel')], [2, 0]);
    assert.equal(img.size('memory/a'), 4 * PART);
    assert.deepEqual(img.payload('memory/a'), want);
    assert.deepEqual(img.parts('memory/a').map((p) => p.length), [PART, PART, PART, PART]);
    assert.deepEqual(img.payload('kernel'), bytes(100, 9));
  });

  test('copyTo reads the parts; verified() lays the patches over them once they are checked', async () => {
    const dir = fresh();
    const { payloads, want } = patched();
    await writeImage(store, dir, { podId: 'p', payloads });
    const img = readImage(store, dir, { lazy: true });
    const into = new Uint8Array(4 * PART + 65536);
    img.source('memory/a').copyTo(into, 4 * PART);
    await img.verified();
    assert.deepEqual(into.subarray(0, 4 * PART), want);
    // A second payload read the same way from the same image gets the parts as stored, not patched ones.
    const again = new Uint8Array(4 * PART);
    img.source('memory/a').copyTo(again, 0);
    await img.verified();
    assert.deepEqual(again, want);
  });

  test('a damaged patch is refused naming its blob; a malformed one too, once its digest is right', async () => {
    const dir = fresh();
    await writeImage(store, dir, { podId: 'p', payloads: patched().payloads });
    const blob = patchBlob(dir, 0);
    const b = readFileSync(blob);
    b[40] = (b[40] ?? 0) ^ 1;
    writeFileSync(blob, b);
    const img = readImage(store, dir, { lazy: true });
    img.source('memory/a').copyTo(new Uint8Array(4 * PART), 0);
    await assert.rejects(img.verified(), (e: Error) => e instanceof ImageError && e.message.includes(`${blob.slice(-64)} (payload "memory/a" patch 0/2): content does not match its digest`));

    const bad = fresh();
    const { payloads } = patched();
    const lying = payloads.map((p) => (p.patch?.index === 1 ? { ...p, bytes: encodePatch([{ offset: 4 * PART - 2, bytes: bytes(5, 0) }]) } : p));
    await writeImage(store, bad, { podId: 'p', payloads: lying });
    assert.throws(() => readImage(store, bad), (e: Error) => e instanceof ImageError && /\(payload "memory\/a" patch 1\/2\): not a patch of this payload \(run 0 at 262142 of 5 bytes/.test(e.message));
  });

  test('the writer refuses patches that do not fit, before it writes anything', async () => {
    const { payloads } = patched();
    const refusals: Array<[Payload[], RegExp]> = [
      [[{ name: 'memory/b', patch: { index: 0, count: 1 }, bytes: encodePatch([]) }], /patches of payload "memory\/b", which is not given/],
      [[...payloads, { name: 'memory/a', patch: { index: 1, count: 2 }, bytes: encodePatch([]) }], /payload "memory\/a" given twice, or patches that do not fit/],
      [payloads.filter((p) => p.patch?.index !== 0), /payload "memory\/a" has 1 of its 2 patches/],
      [[{ name: 'k', bytes: new Uint8Array(1), patch: { index: 0, count: 1 }, part: { index: 0, count: 1 } }], /a patch that is also a part/],
      [[{ name: 'k', bytes: new Uint8Array(1), annotations: { 'org.amber.patch': '0/1' } }], /sets org.amber.patch, which the writer owns/],
    ];
    for (const [given, message] of refusals) {
      const dir = fresh();
      await assert.rejects(writeImage(store, dir, { podId: 'p', payloads: given }), message);
      assert.equal(existsSync(dir), false);
    }
  });
});
