// End to end: a module built with `clang -msimd128`, as codecs and numeric code are: under `amber do`, in
// a pod checkpointed while its v128 values wait on a sleep and restored, ending as node:wasi does; and with
// its writes tracked (every v128 store marks its pages), cut twice, the second cut restored to the same end.
// A file of its own: the checkpoint must fall within the guest's run, which synchronous work elsewhere
// in the same test process (modules.test's transform) could stall past.
import assert from 'node:assert/strict';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

  test('run with its writes tracked, is checkpointed twice (the second links what did not change), and the second image restores to the same end', () =>
    withWorkspace(async (s) => {
      const direct = amber(['do', '--', guest('simd'), '5000', '0', '0']);
      assert.equal(direct.code, 0, direct.stderr);
      const pod = manifest(s.dir, 'pod.yaml', 'simdt', [{ name: 'simd', guest: 'simd', args: ['5000', '1000', '1500'] }], []);
      await s.ok(['pod', 'run', '--detach', '--track-writes', '--name', 'simdt', pod]);
      const log = async (id: string): Promise<string> => (await s.ok(['logs', id, 'simd'])).stdout;
      await until('simd reaches round 1000', async () => (await log('simdt')).includes('simd 1000\n'), 60_000);
      await s.ok(['checkpoint', 'simdt', '--image-path', s.path('img1'), '--leave-running']);
      await until('simd reaches round 2000', async () => (await log('simdt')).includes('simd 2000\n'), 60_000);
      await s.ok(['checkpoint', 'simdt', '--image-path', s.path('img2'), '--leave-running']);
      const before = await log('simdt');
      assert.doesNotMatch(before, /checksum/, 'the second checkpoint came after the end');
      const blobs = (img: string): string[] => readdirSync(join(img, 'blobs', 'sha256')).map((b) => join(img, 'blobs', 'sha256', b));
      const inodes = new Set(blobs(s.path('img1')).map((b) => statSync(b).ino));
      assert.ok(blobs(s.path('img2')).some((b) => inodes.has(statSync(b).ino)), 'the second image links nothing of the first');
      await s.ok(['delete', '--force', 'simdt']);
      rmSync(s.path('img1'), { recursive: true });
      await s.ok(['restore', '--image-path', s.path('img2'), '--detach', '--name', 'again']);
      await until('the restored simd ends', async () => (await log('again')).includes('checksum'), 60_000);
      const after = await log('again');
      const rounds = (text: string): number[] => [...text.matchAll(/^simd (\d+)$/gm)].map((m) => Number(m[1]));
      assert.deepEqual([...rounds(before), ...rounds(after).filter((r) => !rounds(before).includes(r))], [1000, 2000, 3000, 4000, 5000]);
      assert.ok(after.endsWith(direct.stdout), after);
      await s.ok(['delete', '--force', 'again']);
    }));
});
