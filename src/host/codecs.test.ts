// The blob codecs: each gives back exactly what it was given, refuses a stream that decompresses to
// another size (a damaged or hostile blob), and zstd reads the content size a frame header declares.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipCodec, zstdCodec, zstdContentSize } from './codecs.js';

const sample = (n: number): Uint8Array => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i % 7 === 0 ? (i * 2654435761) >>> 24 : 0;
  return b;
};

for (const name of ['gzip', 'zstd']) {
  test(`${name}: round trip; a wrong size, a truncated or a foreign stream is refused`, async () => {
    const codec = name === 'gzip' ? gzipCodec : await zstdCodec();
    assert.equal(codec.name, name);
    for (const n of [0, 1, 300, 1 << 20]) {
      const bytes = sample(n);
      const packed = codec.compress(bytes);
      assert.deepEqual(codec.decompress(packed, n), bytes);
      if (n > 0) assert.equal(codec.decompress(packed, n - 1), null);
      assert.equal(codec.decompress(packed, n + 1), null);
    }
    const packed = codec.compress(sample(5000));
    assert.equal(codec.decompress(packed.subarray(0, packed.length - 5), 5000), null);
    assert.equal(codec.decompress(new TextEncoder().encode('not a stream at all'), 19), null);
  });
}

test('zstd: a second load keeps the one instance working', async () => {
  const a = await zstdCodec();
  const b = await zstdCodec();
  const bytes = sample(100_000);
  assert.deepEqual(b.decompress(a.compress(bytes), bytes.length), bytes);
});

test('zstdContentSize reads each Frame_Content_Size width, and nothing from a non-frame', async () => {
  const codec = await zstdCodec();
  for (const n of [0, 200, 300, 70_000, 5 << 20]) assert.equal(zstdContentSize(codec.compress(new Uint8Array(n))), n);
  assert.equal(zstdContentSize(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), null);
  assert.equal(zstdContentSize(new Uint8Array(3)), null);
});
