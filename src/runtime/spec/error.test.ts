import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe, fieldPath, SpecError } from './error.js';

test('fieldPath writes keys, indexes, and quotes keys that are not identifiers', () => {
  assert.equal(fieldPath(['spec', 'containers', 1, 'volumeMounts', 0, 'readOnly']), 'spec.containers[1].volumeMounts[0].readOnly');
  assert.equal(fieldPath(['annotations', 'module.wasm.image/variant']), 'annotations["module.wasm.image/variant"]');
  assert.equal(fieldPath([]), '');
});

test('SpecError is one line: FILE: FIELD: REASON', () => {
  assert.equal(new SpecError('pod.yaml', 'spec.containers', 'required').message, 'pod.yaml: spec.containers: required');
  assert.equal(new SpecError('pod.yaml', '', 'a\n  b').message, 'pod.yaml: a b');
});

test('describe', () => {
  assert.equal(describe('x'), 'a string');
  assert.equal(describe([]), 'a list');
  assert.equal(describe({}), 'a mapping');
  assert.equal(describe(null), 'null');
  assert.equal(describe(3), 'a number (3)');
});
