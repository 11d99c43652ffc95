// base/u64.ts: a number written as a little-endian u64 reads back as itself, as a BigInt reads it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setU64Number } from './u64.js';

test('a safe integer round-trips through a little-endian u64, as DataView writes it', () => {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  for (const n of [0, 1, 0xffff_ffff, 0x1_0000_0000, 0x1234_5678_9abc, Number.MAX_SAFE_INTEGER]) {
    setU64Number(v, 3, n);
    assert.equal(v.getBigUint64(3, true), BigInt(n));
  }
});
