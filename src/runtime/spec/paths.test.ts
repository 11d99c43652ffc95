import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseName, cleanPath, resolvePath, underRoot } from './paths.js';

const CLEAN: ReadonlyArray<readonly [string, string]> = [
  ['', '.'],
  ['/', '/'],
  ['//a//b/', '/a/b'],
  ['/a/./b/../c', '/a/c'],
  ['/../a', '/a'],
  ['a/../..', '..'],
  ['../../x', '../../x'],
  ['./a/', 'a'],
];

for (const [p, want] of CLEAN) {
  test(`cleanPath ${JSON.stringify(p)}`, () => assert.equal(cleanPath(p), want));
}

const RESOLVE: ReadonlyArray<readonly [string, string, string]> = [
  ['/w/pods', 'm.wasm', '/w/pods/m.wasm'],
  ['/w/pods', '../g/m.wasm', '/w/g/m.wasm'],
  ['/w/pods/', './m.wasm', '/w/pods/m.wasm'],
  ['/w/pods', '/abs/m.wasm', '/abs/m.wasm'],
];

for (const [dir, p, want] of RESOLVE) {
  test(`resolvePath ${dir} ${p}`, () => assert.equal(resolvePath(dir, p), want));
}

test('underRoot keeps a guest path inside the root', () => {
  assert.equal(underRoot('/b/rootfs', '/devshm.wasm'), '/b/rootfs/devshm.wasm');
  assert.equal(underRoot('/b/rootfs', '/../../etc/passwd'), '/b/rootfs/etc/passwd');
  assert.equal(underRoot('/b/rootfs', '/'), '/b/rootfs');
});

test('baseName', () => {
  assert.equal(baseName('../g/m.wasm'), 'm.wasm');
  assert.equal(baseName('m.wasm'), 'm.wasm');
  assert.equal(baseName('/'), '');
});
