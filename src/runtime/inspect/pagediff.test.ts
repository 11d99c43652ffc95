import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedSparsePages, comparePages } from './pagediff.js';

const filled = (pages: number, at: Record<number, number> = {}): Uint8Array => {
  const b = new Uint8Array(pages * 4096);
  for (const [page, v] of Object.entries(at)) b[Number(page) * 4096 + 17] = v;
  return b;
};

test('comparePages counts same, changed, added and removed pages', () => {
  assert.deepEqual(comparePages(filled(4), filled(4)), { same: 4, changed: 0, added: 0, removed: 0 });
  assert.deepEqual(comparePages(filled(4), filled(4, { 1: 9, 3: 1 })), { same: 2, changed: 2, added: 0, removed: 0 });
  assert.deepEqual(comparePages(filled(2), filled(5, { 0: 1 })), { same: 1, changed: 1, added: 3, removed: 0 });
  assert.deepEqual(comparePages(filled(5), filled(2)), { same: 2, changed: 0, added: 0, removed: 3 });
  assert.deepEqual(comparePages(new Uint8Array(0), new Uint8Array(0)), { same: 0, changed: 0, added: 0, removed: 0 });
});

test('comparePages reads unaligned views byte by byte, and a short last page of another length differs', () => {
  const a = new Uint8Array(4096 + 1).subarray(1);
  const b = filled(1);
  assert.deepEqual(comparePages(a, b), { same: 1, changed: 0, added: 0, removed: 0 });
  b[4095] = 1;
  assert.deepEqual(comparePages(a, b), { same: 0, changed: 1, added: 0, removed: 0 });
  assert.deepEqual(comparePages(new Uint8Array(10), new Uint8Array(12)), { same: 0, changed: 1, added: 0, removed: 0 });
});

test('changedSparsePages: a missing page reads as zeros', () => {
  const page = (v: number): Uint8Array => new Uint8Array(4096).fill(v);
  assert.equal(changedSparsePages([[0, page(1)]], [[0, page(1)]]), 0);
  assert.equal(changedSparsePages([[0, page(1)]], [[0, page(2)]]), 1);
  assert.equal(changedSparsePages([[2, page(0)]], []), 0, 'a page of zeros is a hole');
  assert.equal(changedSparsePages([[2, page(3)]], [[5, page(3)]]), 2);
});
