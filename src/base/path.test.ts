import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { splitPath, type SplitPath } from './path.js';

test('splitPath: the table of shapes', () => {
  const cases: Array<[string, SplitPath]> = [
    ['', { absolute: false, components: [], trailingSlash: false }],
    ['f', { absolute: false, components: ['f'], trailingSlash: false }],
    ['..', { absolute: false, components: ['..'], trailingSlash: false }],
    ['/', { absolute: true, components: [], trailingSlash: true }],
    ['//a//b/', { absolute: true, components: ['a', 'b'], trailingSlash: true }],
    ['a/./b', { absolute: false, components: ['a', '.', 'b'], trailingSlash: false }],
  ];
  for (const [path, want] of cases) assert.deepEqual(splitPath(path), want, JSON.stringify(path));
});

test('splitPath agrees with splitting on every slash, for any path', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z./]{0,12}$/), (path) => {
      assert.deepEqual(splitPath(path), {
        absolute: path.startsWith('/'),
        components: path.split('/').filter((c) => c !== ''),
        trailingSlash: path.endsWith('/'),
      });
    }),
  );
});
