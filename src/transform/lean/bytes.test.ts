import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ByteReader, ByteWriter, MalformedModule } from './bytes.js';

test('u32 and s32 round-trip through LEB128 as the spec encodes them', () => {
  assert.deepEqual([...new ByteWriter().u32(624485).finish()], [0xe5, 0x8e, 0x26]);
  assert.deepEqual([...new ByteWriter().s32(-123456).finish()], [0xc0, 0xbb, 0x78]);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (u, s) => {
      const r = new ByteReader(new ByteWriter().u32(u).s32(s).finish());
      assert.equal(r.u32(), u);
      assert.equal(r.s32(), s);
      assert.ok(r.done);
    }),
  );
});

test('s64 and s33 round-trip; a padded LEB128 reads as its value', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.integer({ min: 0, max: 2 ** 32 }), (v, t) => {
      const r = new ByteReader(new ByteWriter().s64(v).s32(t).finish());
      assert.equal(r.s64(), v);
      assert.equal(r.s33(), t);
    }),
  );
  assert.equal(new ByteReader(Uint8Array.of(0x80, 0x80, 0x00)).u32(), 0);
  assert.equal(new ByteReader(Uint8Array.of(0x40)).s33(), -64);
});

test('a read past the end or an over-long LEB128 is MalformedModule', () => {
  assert.throws(() => new ByteReader(Uint8Array.of(0x80)).u32(), MalformedModule);
  assert.throws(() => new ByteReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x7f)).u32(), MalformedModule);
  assert.throws(() => new ByteReader(Uint8Array.of(1, 2), 0, 1).take(2), MalformedModule);
});
