import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PAGE_SIZE, SparseBytes, type PageSource } from './sparse.js';

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

/** A page source that hands freed pages out again, dirtied while they are spare: a file that kept using a
 *  page it gave back, or read one taken without zeroing it, would show 0xAA bytes. */
function recycling(): PageSource & { taken: number; given: number } {
  const spare: Uint8Array[] = [];
  return {
    taken: 0,
    given: 0,
    take() {
      this.taken++;
      const p = spare.pop();
      if (p === undefined) return new Uint8Array(PAGE_SIZE);
      p.fill(0);
      return p;
    },
    give(page) {
      this.given++;
      page.fill(0xaa);
      spare.push(page);
    },
  };
}

test('with pages handed out again, two files read back what flat arrays would hold; every page taken is held or given back', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 12 }), fc.array(op, { maxLength: 12 }), (opsA, opsB) => {
      const source = recycling();
      const files = [new SparseBytes(source), new SparseBytes()];
      files[1]?.drawFrom(source);
      for (let i = 0; i < Math.max(opsA.length, opsB.length); i++) {
        for (const [f, o] of [[files[0], opsA[i]], [files[1], opsB[i]]] as const) {
          if (f === undefined || o === undefined) continue;
          if (o.kind === 'truncate') f.truncate(o.size);
          else f.write(o.bytes, o.offset);
        }
      }
      for (const [f, ops] of [[files[0], opsA], [files[1], opsB]] as const) {
        const want = model(ops);
        const got = new Uint8Array(want.length);
        f?.read(got, 0);
        assert.deepEqual([...got], want);
      }
      const held = files.reduce((n, f) => n + f.allocatedBytes / PAGE_SIZE, 0);
      assert.equal(source.taken - source.given, held);
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
