import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PAGE_SIZE, SparseBytes } from './sparse.js';

/** One operation on a file, applied both to SparseBytes and to a plain array of bytes. */
type Op = { kind: 'write'; offset: number; bytes: Uint8Array } | { kind: 'truncate'; size: number };

const LIMIT = 4 * PAGE_SIZE;

const op: fc.Arbitrary<Op> = fc.oneof(
  // Small writes near page edges (the one-page path and the split), and long ones across pages.
  fc.record({
    kind: fc.constant('write' as const),
    offset: fc.oneof(fc.integer({ min: 0, max: LIMIT }), fc.integer({ min: 1, max: 3 }).chain((p) => fc.integer({ min: p * PAGE_SIZE - 20, max: p * PAGE_SIZE + 4 }))),
    bytes: fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.uint8Array({ minLength: 0, maxLength: 2 * PAGE_SIZE + 10 })),
  }),
  fc.record({ kind: fc.constant('truncate' as const), size: fc.integer({ min: 0, max: LIMIT }) }),
);

function model(ops: Op[]): number[] {
  let bytes: number[] = [];
  for (const o of ops) {
    if (o.kind === 'truncate') {
      bytes = bytes.slice(0, o.size);
      while (bytes.length < o.size) bytes.push(0);
    } else {
      while (bytes.length < o.offset) bytes.push(0);
      o.bytes.forEach((b, i) => (bytes[o.offset + i] = b));
    }
  }
  return bytes;
}

test('SparseBytes reads back what a flat array would hold, after any writes and truncates', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
      const s = new SparseBytes();
      for (const o of ops) {
        if (o.kind === 'truncate') s.truncate(o.size);
        else assert.equal(s.write(o.bytes, o.offset), o.bytes.length);
      }
      const want = model(ops);
      assert.equal(s.size, want.length);
      const got = new Uint8Array(want.length + 7);
      assert.equal(s.read(got, 0), want.length);
      assert.deepEqual([...got.subarray(0, want.length)], want);
    }),
  );
});

test('an empty write holds no page; a write inside one page holds exactly that page', () => {
  const empty = new SparseBytes();
  empty.write(new Uint8Array(0), 3 * PAGE_SIZE);
  assert.equal(empty.allocatedBytes, 0);
  const s = new SparseBytes();
  s.write(new Uint8Array([1, 2]), 2 * PAGE_SIZE - 2);
  assert.deepEqual([...s.pages()].map(([i]) => i), [1]);
  s.write(new Uint8Array([3, 4]), 2 * PAGE_SIZE - 1);
  assert.deepEqual([...s.pages()].map(([i]) => i), [1, 2]);
  assert.equal(s.size, 2 * PAGE_SIZE + 1);
});
