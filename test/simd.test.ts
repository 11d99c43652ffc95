// End to end: a module built with `clang -msimd128`, as codecs and numeric code are (the lean transform
// refuses SIMD; Binaryen's takes it): under `amber do`, in a pod checkpointed while its v128 values wait
// on a sleep and restored, ending as node:wasi does; and refused in one line when asked to track writes.
// A file of its own: the checkpoint must fall within the guest's run, which synchronous work elsewhere
// in the same test process (modules.test's transform) could stall past.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { amber, guest } from './testing/amber.js';
import { manifest } from './testing/manifests.js';
import { until } from './testing/wait.js';
import { withWorkspace } from './testing/workspace.js';

/** guests/simd's last line for 6000 rounds (node:wasi prints the same). */
const SIMD = 'simd 6000 rounds: checksum 41ed9522\n';

describe('a SIMD guest', () => {
  test('runs in a pod, is checkpointed while its v128 values wait on a sleep, and its restore ends as `amber do` does', () =>
    withWorkspace(async (s) => {
      const direct = amber(['do', '--', guest('simd'), '6000', '0', '0']);
      assert.equal(direct.code, 0, direct.stderr);
      assert.equal(direct.stdout, SIMD);
      // A sleep of 1.5 s every 1000 rounds: the checkpoint falls in one, with time to spare on a loaded machine.
      const pod = manifest(s.dir, 'pod.yaml', 'simd', [{ name: 'simd', guest: 'simd', args: ['6000', '1000', '1500'] }], []);
      await s.ok(['pod', 'run', '--detach', '--name', 'simd', pod]);
      const log = async (id: string): Promise<string> => (await s.ok(['logs', id, 'simd'])).stdout;
      await until('simd reaches round 2000', async () => (await log('simd')).includes('simd 2000\n'), 60_000);
      await s.ok(['checkpoint', 'simd', '--image-path', s.path('img')]);
      const before = await log('simd');
      assert.doesNotMatch(before, /checksum/, 'the checkpoint came after the end');
      await s.ok(['delete', 'simd']);
      await s.ok(['restore', '--image-path', s.path('img'), '--detach', '--name', 'again']);
      await until('the restored simd ends', async () => (await log('again')).includes('checksum'), 60_000);
      const after = await log('again');
      const rounds = (text: string): number[] => [...text.matchAll(/^simd (\d+)$/gm)].map((m) => Number(m[1]));
      assert.deepEqual([...rounds(before), ...rounds(after).filter((r) => !rounds(before).includes(r))], [1000, 2000, 3000, 4000, 5000, 6000]);
      assert.ok(after.endsWith(SIMD), after);
      await s.ok(['delete', '--force', 'again']);
    }));

  test('asked to track its writes is refused in one line, exit 1', () =>
    withWorkspace(async (s) => {
      const pod = manifest(s.dir, 'pod.yaml', 'simd', [{ name: 'simd', guest: 'simd', args: ['10', '0', '0'] }], []);
      const r = await s.amber(['pod', 'run', '--track-writes', pod]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^amber: \S*simd\.wasm: cannot track writes: opcode 0xfd \(SIMD instructions\)\n$/);
    }));
});
