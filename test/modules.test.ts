// End to end: modules as users bring them, not as guests/ usually builds them — a guest built with
// `clang -mbulk-memory` (memory.copy, memory.fill) under `amber do` and in a pod, and a module that
// Asyncify has transformed already, refused in one line (test/simd: one built with `clang -msimd128`).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { transformModule } from '../src/transform/transform.js';
import { amber, guest } from './testing/amber.js';
import { manifest } from './testing/manifests.js';
import { withWorkspace } from './testing/workspace.js';

const BULK = 'bulkmem 2000 rounds: checksum 70c45617\n';

describe('modules', { concurrency: true }, () => {
  test('a bulk-memory guest runs under amber do and in a pod, with the same output', () =>
    withWorkspace(async (s) => {
      const direct = amber(['do', '--', guest('bulkmem'), '2000']);
      assert.equal(direct.code, 0, direct.stderr);
      assert.equal(direct.stdout, BULK);
      const pod = manifest(s.dir, 'pod.yaml', 'bulk', [{ name: 'bulk', guest: 'bulkmem', args: ['2000'] }], []);
      const r = await s.amber(['pod', 'run', pod]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `bulk | ${BULK}`);
    }));

  test('a module Asyncify transformed already is refused in one line naming it, exit 1', () =>
    withWorkspace(async (s) => {
      const path = s.path('asyncified.wasm');
      writeFileSync(path, transformModule(new Uint8Array(readFileSync(guest('hello')))));
      const pod = manifest(s.dir, 'pod.yaml', 'twice', [{ name: 'twice', guest: 'hello', image: path, args: [] }], []);
      const r = await s.amber(['pod', 'run', pod]);
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] ?? '', /asyncified\.wasm: already transformed by Asyncify \(it exports asyncify_\w+\)/);
    }));
});
