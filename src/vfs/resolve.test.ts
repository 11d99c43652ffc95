import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOneName } from './resolve.js';

// isOneName lets a stat skip the walk (vfs.ts filestatIfExists) and lets host/wasistat ask the host about
// a name by its plain path: a name it wrongly calls one would be looked up with its '/' or '..' intact.
test('isOneName: one component, not "", "." or "..", whatever its length', () => {
  const one = ['f', 'bench.db', 'bench.db-journal', '...', '.x', '..x', 'x.', 'a'.repeat(16), 'a'.repeat(17), 'é', 'a\\b'];
  const not = ['', '.', '..', '/', 'a/', '/a', 'a/b', './a', '../a', 'a/..', 'a'.repeat(15) + '/', 'a'.repeat(16) + '/', 'a'.repeat(40) + '/b', '//'];
  for (const p of one) assert.equal(isOneName(p), true, JSON.stringify(p));
  for (const p of not) assert.equal(isOneName(p), false, JSON.stringify(p));
});
