import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { NodeImageStore } from '../host/imagestore.js';
import { KNOWN_ZERO_HEXES, knownZeroHex, zeroHexOf } from './zerodigest.js';

test('each known digest of zeros is the SHA-256 of that many zero bytes', () => {
  // A memory part's every size: a multiple of the 64 KiB page, up to the 4 MiB a checkpoint cuts.
  for (let size = 1 << 16; size <= 4 << 20; size += 1 << 16) assert.ok(KNOWN_ZERO_HEXES.has(size), `${size} bytes`);
  for (const [size, hex] of KNOWN_ZERO_HEXES) assert.equal(hex, createHash('sha256').update(new Uint8Array(size)).digest('hex'), `${size} bytes`);
});

test('a size not known is hashed once and remembered', () => {
  const store = new NodeImageStore();
  const cache = new Map<number, string>();
  const size = 12345;
  assert.ok(!KNOWN_ZERO_HEXES.has(size));
  assert.equal(zeroHexOf(store, size, cache), createHash('sha256').update(new Uint8Array(size)).digest('hex'));
  assert.equal(cache.get(size), zeroHexOf(store, size, cache));
  assert.equal(zeroHexOf(store, 4 << 20, cache), KNOWN_ZERO_HEXES.get(4 << 20));
  assert.ok(!cache.has(4 << 20));
});

test('knownZeroHex gives a known digest and refuses a size it does not know', () => {
  assert.equal(knownZeroHex(4 << 20), KNOWN_ZERO_HEXES.get(4 << 20));
  assert.throws(() => knownZeroHex(12345), RangeError);
});
