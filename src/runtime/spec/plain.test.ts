// A parsed document made plain before validation: nulls dropped; self-reference, deep nesting,
// __proto__ keys and NULs refused naming the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpecError } from './error.js';
import { MAX_DEPTH, plainData } from './plain.js';

function refused(v: unknown): string {
  try {
    plainData(v, 'f.yaml');
  } catch (e) {
    assert.ok(e instanceof SpecError, String(e));
    return e.message;
  }
  assert.fail('accepted');
}

test('null mapping entries are dropped, null list items kept', () => {
  assert.deepEqual(plainData({ a: null, b: [null, { c: null, d: 1 }] }, 'f'), { b: [null, { d: 1 }] });
});

test('a value that contains itself, and nesting past MAX_DEPTH, are refused naming the field', () => {
  const self: unknown[] = [];
  self.push(self);
  assert.equal(refused({ spec: { a: self } }), 'f.yaml: spec.a[0]: refers to itself (a YAML alias inside its own anchor)');
  let deep: unknown = 'x';
  for (let i = 0; i < 10_000; i++) deep = [deep];
  assert.match(refused({ a: deep }), new RegExp(`^f\\.yaml: a(\\[0\\])+: nested deeper than ${MAX_DEPTH} levels$`));
  // A shared value that is not its own ancestor is fine (a YAML alias used twice).
  const shared = { k: 'v' };
  assert.deepEqual(plainData({ a: shared, b: shared }, 'f'), { a: { k: 'v' }, b: { k: 'v' } });
});

test('__proto__ keys and NUL characters are refused, wherever they are', () => {
  assert.equal(refused(JSON.parse('{"spec":{"__proto__":{"hostUsers":false}}}')), 'f.yaml: spec.__proto__: a key named __proto__ is not allowed');
  assert.equal(refused({ spec: { args: ['ok', 'a\0b'] } }), 'f.yaml: spec.args[1]: contains a NUL character');
  assert.equal(refused({ env: { 'A\0B': 'x' } }), 'f.yaml: env: a key contains a NUL character ("A\\u0000B")');
});
