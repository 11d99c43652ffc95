import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { zstdContentSize } from '../host/codecs.js';
import { fullImageStore, NodeImageStore } from '../host/imagestore.js';
import { scratch } from '../host/testing/scratch.js';
import { FORMAT_VERSION } from './layout.js';
import { chunked, type Payload } from './payload.js';
import { readImage } from './reader.js';
import { writeImage, type WriteStats } from './writer.js';

const root = scratch('image');
const store = new NodeImageStore();
let n = 0;
const fresh = (): string => join(root, `img${n++}`);

function bytes(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function blobNames(dir: string): string[] {
  return readdirSync(join(dir, 'blobs/sha256')).sort();
}

describe('image', () => {
  test('round trip: config, names in order, payloads byte for byte', async () => {
    const dir = fresh();
    const kernel = new TextEncoder().encode('kernel state');
    const mem = bytes(300_000, 7);
    const result = await writeImage(store, dir, {
      podId: 'pod-1',
      meta: { containers: ['a', 'b'], n: 3 },
      created: '2026-01-02T03:04:05.000Z',
      payloads: [
        { name: 'kernel', bytes: kernel },
        { name: 'memory/ctr-a', bytes: mem },
        { name: 'empty', kind: 'files', bytes: new Uint8Array(0) },
      ],
    });
    assert.equal(result.dir, dir);
    assert.equal(result.payloadBytes, kernel.length + mem.length);
    assert.deepEqual(result.warnings, []);
    const img = readImage(store, dir);
    assert.deepEqual(img.config, {
      format: 'amber-checkpoint', version: FORMAT_VERSION, created: '2026-01-02T03:04:05.000Z', podId: 'pod-1',
      meta: { containers: ['a', 'b'], n: 3 },
    });
    assert.equal(img.manifestDigest, result.manifestDigest);
    assert.deepEqual(img.names(), ['kernel', 'memory/ctr-a', 'empty']);
    assert.deepEqual(img.payload('kernel'), kernel);
    assert.deepEqual(img.payload('memory/ctr-a'), mem);
    assert.equal(img.payload('empty').length, 0);
    assert.equal(img.kind('memory/ctr-a'), 'memory');
    assert.equal(img.kind('empty'), 'files');
    assert.equal(img.size('memory/ctr-a'), mem.length);
    assert.throws(() => img.payload('nope'), /holds no payload named "nope"/);
    // Nothing but the image beside it: no temporary or old directory left.
    assert.deepEqual(readdirSync(root).filter((f) => f.startsWith(`img${n - 1}.`)), []);
  });

  test('is an OCI image layout', async () => {
    const dir = fresh();
    await writeImage(store, dir, { podId: 'p', payloads: [{ name: 'kernel', bytes: bytes(10, 1) }] });
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    const [desc] = index.manifests;
    assert.equal(desc.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(desc.annotations['org.opencontainers.image.ref.name'], 'checkpoint');
    const manifestPath = join(dir, 'blobs/sha256', desc.digest.slice('sha256:'.length));
    assert.equal(statSync(manifestPath).size, desc.size);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    // The config is an OCI image config (so skopeo inspect shows it): platform wasip1/wasm, the manifest's
    // annotations as labels, one diff_id per layer (the digest of its bytes), Amber's config under its key.
    assert.equal(manifest.config.mediaType, 'application/vnd.oci.image.config.v1+json');
    const config = JSON.parse(readFileSync(join(dir, 'blobs/sha256', manifest.config.digest.slice(7)), 'utf8'));
    assert.equal(config.architecture, 'wasm');
    assert.equal(config.os, 'wasip1');
    assert.deepEqual(config.config.Labels, manifest.annotations);
    assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [`sha256:${createHash('sha256').update(bytes(10, 1)).digest('hex')}`] });
    assert.equal(config['org.amber.checkpoint'].podId, 'p');
    assert.equal(manifest.annotations['org.amber.format.version'], String(FORMAT_VERSION));
    assert.deepEqual(desc.platform, { architecture: 'wasm', os: 'wasip1' });
    assert.equal(manifest.layers[0].mediaType, 'application/vnd.amber.checkpoint.kernel.v1');
    assert.equal(manifest.layers[0].annotations['org.amber.name'], 'kernel');
    // Every file under blobs/ is named by the SHA-256 of its content.
    for (const hex of blobNames(dir)) {
      assert.equal(createHash('sha256').update(readFileSync(join(dir, 'blobs/sha256', hex))).digest('hex'), hex);
    }
  });

  test('identical payloads and parts are stored once', async () => {
    const dir = fresh();
    const page = bytes(1 << 16, 3);
    const mem = new Uint8Array(8 << 16); // 8 parts: 6 of zeros, 2 equal to page
    mem.set(page, 2 << 16);
    mem.set(page, 5 << 16);
    const result = await writeImage(store, dir, {
      podId: 'p',
      payloads: [
        ...chunked('memory/a', mem, { chunkSize: 1 << 16 }),
        { name: 'copy', kind: 'files', bytes: page },
      ],
    });
    assert.equal(result.blobs, 2); // zeros, page
    assert.equal(blobNames(dir).length, 4); // + config + manifest
    const img = readImage(store, dir);
    assert.deepEqual(img.payload('memory/a'), mem);
    assert.equal(img.parts('memory/a').length, 8);
    assert.deepEqual(img.payload('copy'), page);
  });

  test('the same array given twice is hashed once, a big one off the main thread, a small one on it; parts are read back in place, as views of one payload', async () => {
    const dir = fresh();
    const zero = new Uint8Array(1 << 17);
    const page = bytes(1 << 17, 4);
    let hashes = 0;
    let offThread = 0;
    const counting: NodeImageStore = Object.create(store, {
      sha256: { value: () => (hashes++, store.sha256()) },
      // A host that hashes off its thread (Node's store does not: host/imagestore.ts).
      sha256Of: { value: (b: Uint8Array) => (offThread++, Promise.resolve(createHash('sha256').update(b).digest('hex'))) },
    });
    const parts: Payload[] = [zero, page, zero, zero].map((b, index) => ({ name: 'memory/a', bytes: b, part: { index, count: 4 } }));
    await writeImage(counting, dir, { podId: 'p', payloads: [...parts, { name: 'kernel', bytes: bytes(1 << 16, 5) }] });
    assert.equal(offThread, 2); // zero and page, off the main thread
    assert.equal(hashes, 3); // the kernel's 64 KiB (a trip to another thread costs more), config and manifest
    const img = readImage(store, dir);
    const whole = img.payload('memory/a');
    assert.equal(whole.length, 4 << 17);
    assert.deepEqual(whole.subarray(1 << 17, 2 << 17), page);
    assert.ok(whole.subarray(2 << 17).every((b) => b === 0) && whole.subarray(0, 1 << 17).every((b) => b === 0));
    assert.equal(img.payload('memory/a'), whole, 'joined once');
    for (const part of img.parts('memory/a')) assert.equal(part.buffer, whole.buffer);
  });

  test('chunked: views of the bytes, the last part shorter, an empty payload one part', () => {
    const b = bytes(10, 2);
    const parts = chunked('memory/x', b, { chunkSize: 4 });
    assert.deepEqual(parts.map((p) => p.bytes.length), [4, 4, 2]);
    assert.deepEqual(parts.map((p) => p.part), [{ index: 0, count: 3 }, { index: 1, count: 3 }, { index: 2, count: 3 }]);
    assert.equal(parts[1]?.bytes.buffer, b.buffer);
    assert.deepEqual(chunked('e', new Uint8Array(0)).map((p) => p.bytes.length), [0]);
    assert.throws(() => chunked('e', b, { chunkSize: 0 }), RangeError);
  });

  test('parts given out of order are read back in order', async () => {
    const dir = fresh();
    const mem = bytes(100, 9);
    const parts = chunked('memory/a', mem, { chunkSize: 30 }).reverse();
    await writeImage(store, dir, { podId: 'p', payloads: parts });
    assert.deepEqual(readImage(store, dir).payload('memory/a'), mem);
  });

  test('payloads that do not fit together are refused before anything is written', async () => {
    const dir = fresh();
    const b = bytes(8, 1);
    const cases: Payload[][] = [
      [{ name: 'a', bytes: b }, { name: 'a', bytes: b }],
      [{ name: 'a', bytes: b, part: { index: 0, count: 2 } }],
      [{ name: 'a', bytes: b, part: { index: 0, count: 1 } }, { name: 'a', bytes: b }],
      [{ name: '', bytes: b }],
      [{ name: 'Kernel', bytes: b }],
    ];
    for (const payloads of cases) await assert.rejects(() => writeImage(store, dir, { podId: 'p', payloads }), RangeError);
    assert.deepEqual(readdirSync(root).filter((f) => f.startsWith(`img${n - 1}`)), []);
  });

  test('a parent image lends its unchanged blobs by hard link', async () => {
    const parentDir = fresh();
    const dir = fresh();
    const mem = bytes(4 << 16, 5);
    await writeImage(store, parentDir, { podId: 'p', payloads: chunked('memory/a', mem, { chunkSize: 1 << 16 }) });
    const changed = mem.slice();
    changed[3 << 16] = (changed[3 << 16] ?? 0) ^ 1; // the last part changes
    const result = await writeImage(
      store, dir, { podId: 'p', payloads: chunked('memory/a', changed, { chunkSize: 1 << 16 }) }, { parent: parentDir },
    );
    assert.equal(result.reused, 3 << 16);
    assert.equal(result.written, 1 << 16);
    const shared = blobNames(dir).filter((h) => blobNames(parentDir).includes(h));
    assert.ok(shared.length >= 3);
    for (const h of shared) {
      const a = statSync(join(dir, 'blobs/sha256', h));
      if (a.size === 1 << 16) assert.equal(a.ino, statSync(join(parentDir, 'blobs/sha256', h)).ino);
    }
    // The new image stands alone.
    rmSync(parentDir, { recursive: true });
    assert.deepEqual(readImage(store, dir).payload('memory/a'), changed);
  });

  test('the parent may be the image being replaced', async () => {
    const dir = fresh();
    const mem = bytes(2 << 16, 6);
    await writeImage(store, dir, { podId: 'p', payloads: chunked('memory/a', mem, { chunkSize: 1 << 16 }) });
    const result = await writeImage(store, dir, { podId: 'p', payloads: chunked('memory/a', mem, { chunkSize: 1 << 16 }) }, { parent: dir });
    assert.equal(result.written, 0);
    assert.deepEqual(readImage(store, dir).payload('memory/a'), mem);
  });

  for (const codec of ['gzip', 'zstd']) {
    test(`compressed blobs (${codec}): zeros shrink, random bytes are left as they are`, async () => {
      const full = await fullImageStore();
      const dir = fresh();
      const zeros = new Uint8Array(1 << 20);
      const noise = bytes(1 << 17, 11);
      const text = new TextEncoder().encode('the quick brown fox '.repeat(8000));
      const result = await writeImage(full, dir, {
        podId: 'p',
        payloads: [{ name: 'memory/z', bytes: zeros }, { name: 'memory/r', bytes: noise }, { name: 'files/t', bytes: text }],
      }, { compress: codec });
      assert.ok(result.written < noise.length + 8192, `wrote ${result.written}`);
      const manifest = JSON.parse(readFileSync(join(dir, 'blobs/sha256', result.manifestDigest.slice(7)), 'utf8'));
      assert.deepEqual(manifest.layers.map((l: { mediaType: string }) => l.mediaType), [
        `application/vnd.amber.checkpoint.memory.v1+${codec}`, 'application/vnd.amber.checkpoint.memory.v1', `application/vnd.amber.checkpoint.files.v1+${codec}`,
      ]);
      // A compressed layer says what it holds: its size and digest before compression (also its diff_id).
      const [z] = manifest.layers;
      assert.equal(z.annotations['org.amber.size'], String(zeros.length));
      assert.equal(z.annotations['org.amber.content'], `sha256:${createHash('sha256').update(zeros).digest('hex')}`);
      // Each blob is one complete stream of its codec, as gzip -d and zstd -d read it.
      const blob = readFileSync(join(dir, 'blobs/sha256', z.digest.slice(7)));
      if (codec === 'gzip') assert.deepEqual(new Uint8Array(gunzipSync(blob)), zeros);
      else assert.equal(zstdContentSize(blob), zeros.length);
      const img = readImage(full, dir);
      assert.deepEqual(img.payload('memory/z'), zeros);
      assert.deepEqual(img.payload('memory/r'), noise);
      assert.deepEqual(img.payload('files/t'), text);
      // A later image finds the compressed blob in its parent by its content.
      const next = await writeImage(full, fresh(), { podId: 'p', payloads: [{ name: 'memory/z', bytes: zeros }] }, { parent: dir, compress: codec });
      assert.equal(next.written, 0);
      // A raw parent lends nothing to a compressed image, nor a compressed one to a raw image: an image
      // is as its writer was asked, whatever its parent.
      const raw = fresh();
      await writeImage(full, raw, { podId: 'p', payloads: [{ name: 'memory/z', bytes: zeros }] });
      const fromRaw = await writeImage(full, fresh(), { podId: 'p', payloads: [{ name: 'memory/z', bytes: zeros }] }, { parent: raw, compress: codec });
      assert.ok(fromRaw.written > 0 && fromRaw.reused === 0);
      const rawFromPacked = await writeImage(full, fresh(), { podId: 'p', payloads: [{ name: 'memory/z', bytes: zeros }] }, { parent: dir });
      assert.deepEqual([rawFromPacked.written, rawFromPacked.reused], [zeros.length, 0]);
      // A store without the codec refuses the image plainly.
      if (codec === 'zstd') assert.throws(() => readImage(store, dir), /has no codec for \+zstd/);
    });
  }

  test('compressing with a codec the store lacks is refused before anything is written', async () => {
    const dir = fresh();
    await assert.rejects(() => writeImage(store, dir, { podId: 'p', payloads: [] }, { compress: 'lz4' }), /no codec named lz4/);
    assert.equal(existsSync(dir), false);
  });

  test('progress counts up to the total, for writing and for reading', async () => {
    const dir = fresh();
    const mem = bytes(20 << 20, 12);
    const w: [number, number][] = [];
    await writeImage(store, dir, { podId: 'p', payloads: [{ name: 'kernel', bytes: bytes(100, 1) }, ...chunked('memory/a', mem)] }, {
      onProgress: (done, total) => w.push([done, total]),
    });
    assert.ok(w.length > 20);
    assert.deepEqual(w.at(-1), [mem.length + 100, mem.length + 100]);
    assert.ok(w.every(([d], i) => i === 0 || d >= (w[i - 1]?.[0] ?? 0)));
    const r: [number, number][] = [];
    readImage(store, dir, { onProgress: (done, total) => r.push([done, total]) });
    assert.deepEqual(r.at(-1), [mem.length + 100, mem.length + 100]);
  });

  test('a payload\'s annotations go on its layers; the writer\'s own keys are its alone', async () => {
    const dir = fresh();
    const notes = { 'org.amber.module.source': 'sha256:abc' };
    await writeImage(store, dir, { podId: 'p', payloads: [{ name: 'module/x', bytes: bytes(10, 1), annotations: notes }, { name: 'kernel', bytes: bytes(3, 2) }] });
    const img = readImage(store, dir);
    assert.deepEqual(img.layerAnnotations('module/x'), { ...notes, 'org.amber.name': 'module/x' });
    assert.deepEqual(img.layerAnnotations('kernel'), { 'org.amber.name': 'kernel' });
    await assert.rejects(
      () => writeImage(store, fresh(), { podId: 'p', payloads: [{ name: 'kernel', bytes: bytes(3, 2), annotations: { 'org.amber.name': 'other' } }] }),
      /payload "kernel" sets org.amber.name, which the writer owns/,
    );
  });

  test('stats: asked for once the payloads are stored, kept in the config', async () => {
    const dir = fresh();
    const seen: WriteStats[] = [];
    const zero = new Uint8Array(100);
    await writeImage(store, dir, {
      podId: 'p',
      payloads: [{ name: 'a', bytes: zero }, { name: 'b', bytes: zero }, { name: 'c', bytes: bytes(10, 3) }],
      stats: (w) => {
        seen.push(w);
        return { pauseMs: 1.5, frozenMs: null, bytesWritten: w.written };
      },
    });
    assert.equal(seen.length, 1);
    assert.deepEqual({ ...seen[0], ms: 0 }, { payloadBytes: 210, written: 110, reused: 0, blobs: 2, ms: 0 });
    assert.deepEqual(readImage(store, dir).config.stats, { pauseMs: 1.5, frozenMs: null, bytesWritten: 110 });
  });

  test('lazy: blobs read when asked for', async () => {
    const dir = fresh();
    await writeImage(store, dir, { podId: 'p', payloads: [{ name: 'kernel', bytes: bytes(10, 1) }, { name: 'memory/a', bytes: bytes(10, 2) }] });
    const seen: number[] = [];
    const img = readImage(store, dir, { lazy: true, onProgress: (d) => seen.push(d) });
    assert.deepEqual(seen, []);
    assert.deepEqual(img.payload('kernel'), bytes(10, 1));
    assert.deepEqual(seen, [10]);
  });

  test('replaces an empty directory, and an image; refuses to replace anything else', async () => {
    const dir = fresh();
    store.makeDirs(dir);
    await writeImage(store, dir, { podId: 'one', payloads: [] });
    assert.equal(readImage(store, dir).config.podId, 'one');
    await writeImage(store, dir, { podId: 'two', payloads: [] });
    assert.equal(readImage(store, dir).config.podId, 'two');
    const other = fresh();
    store.makeDirs(join(other, 'precious'));
    await assert.rejects(() => writeImage(store, other, { podId: 'p', payloads: [] }), /is not a checkpoint image; refusing to replace it/);
    assert.deepEqual(readdirSync(other), ['precious']);
    assert.deepEqual(readdirSync(root).filter((f) => f.startsWith(`img${n - 1}.`)), []);
  });
});
