// End to end: what bounds a container (issue 12 point 3), through the CLI with the hostile guest
// (guests/hostile.c): descriptors at RLIMIT_NOFILE (runc's 1024, or an OCI bundle's process.rlimits),
// the pod's guests together within the sandbox's own descriptor limit, and a tmpfs's size (an emptyDir's
// sizeLimit, /dev/shm's 64 MiB) as ENOSPC; and time shared by time, not by calls.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { amberBin, guest } from './testing/amber.js';
import { numbers, range } from './testing/counters.js';
import { manifest } from './testing/manifests.js';
import { until } from './testing/wait.js';
import { withWorkspace } from './testing/workspace.js';

describe('limits', { concurrency: true }, () => {
  test('a container gets EMFILE at runc\'s default RLIMIT_NOFILE, 1024 (fds 0-3 are stdio and the root)', () =>
    withWorkspace(async (s) => {
      writeFileSync(s.path('f'), 'x');
      const pod = manifest(s.dir, 'pod.yaml', 'nofile', [{ name: 'a', guest: 'hostile', args: ['open', '/h/f', '3000'], mounts: [{ name: 'h', mountPath: '/h' }] }], [{ name: 'h', hostPath: { path: s.dir } }]);
      assert.equal((await s.ok(['pod', 'run', pod])).stdout, 'a | opened 1020: EMFILE\n');
    }));

  test('an OCI bundle\'s process.rlimits RLIMIT_NOFILE is its limit; other rlimits are a warning', () =>
    withWorkspace(async (s) => {
      const bundle = s.path('bundle');
      for (const d of ['rootfs/dev', 'rootfs/proc']) mkdirSync(join(bundle, d), { recursive: true });
      copyFileSync(guest('hostile'), join(bundle, 'rootfs', 'hostile.wasm'));
      writeFileSync(join(bundle, 'rootfs', 'f'), 'x');
      writeFileSync(join(bundle, 'config.json'), JSON.stringify({
        ociVersion: '1.0.2',
        process: { args: ['/hostile.wasm', 'open', '/f', '3000'], cwd: '/', rlimits: [{ type: 'RLIMIT_NOFILE', soft: 64, hard: 128 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }] },
        root: { path: 'rootfs' },
      }));
      const r = await s.ok(['run', '--bundle', bundle, 'rl']);
      assert.equal(r.stdout, 'opened 60: EMFILE\n');
      assert.match(r.stderr, /process\.rlimits\[1\]: RLIMIT_CORE is not enforced/);
    }));

  test('the pod\'s guests together stay within the sandbox\'s own RLIMIT_NOFILE, less what it keeps: ENFILE', () =>
    withWorkspace(async (s) => {
      writeFileSync(s.path('f'), 'x');
      const pod = manifest(s.dir, 'pod.yaml', 'nfile', [{ name: 'a', guest: 'hostile', args: ['open', '/h/f', '3000'], mounts: [{ name: 'h', mountPath: '/h' }] }], [{ name: 'h', hostPath: { path: s.dir } }]);
      // A foreground pod runs in the command's own process: 700 descriptors, 512 of them kept.
      const r = spawnSync('bash', ['-c', 'ulimit -n 700 && exec "$0" "$@"', process.execPath, amberBin, '--root', s.root, 'pod', 'run', pod], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'a | opened 184: ENFILE\n');
    }));

  test('an emptyDir\'s sizeLimit and /dev/shm\'s 64 MiB are ENOSPC', () =>
    withWorkspace(async (s) => {
      const pod = manifest(s.dir, 'pod.yaml', 'size', [
        { name: 'dir', guest: 'hostile', args: ['fill', '/data/f', '100'], mounts: [{ name: 'data', mountPath: '/data' }] },
        { name: 'shm', guest: 'hostile', args: ['fill', '/dev/shm/f', '100'] },
      ], [{ name: 'data', emptyDir: { sizeLimit: '8Mi' } }]);
      const out = (await s.ok(['pod', 'run', pod])).stdout.split('\n').sort().join('\n');
      assert.equal(out, '\ndir | wrote 8 MiB: ENOSPC\nshm | wrote 64 MiB: ENOSPC');
    }));
});

test('the scheduler shares time by time: a container looping 1 MiB writes does not starve a 100 ms ticker beside it', () =>
  withWorkspace(async (s) => {
    const pod = manifest(s.dir, 'pod.yaml', 'fair', [
      { name: 'busy', guest: 'hostile', args: ['spinwrite', '/data/f'], mounts: [{ name: 'data', mountPath: '/data' }] },
      { name: 'tick', guest: 'e2e_counter', args: ['--ticks', '30', '--every-ms', '100'] },
    ], [{ name: 'data', emptyDir: {} }]);
    await s.ok(['pod', 'run', '--detach', '--name', 'fair', pod]);
    // 30 ticks of 100 ms: about 3 s given the time it sleeps for; a writer that held the thread until its
    // fuel ran out (16,384 loop iterations, 16 GiB of writes) let it tick about once a second.
    const started = Date.now();
    await until('the ticker ends', async () => (await s.ok(['logs', 'fair', 'tick'])).stdout.includes('OK counter: 30 ticks'), 20_000);
    assert.deepEqual(numbers((await s.ok(['logs', 'fair', 'tick'])).stdout), range(1, 30));
    assert.ok(Date.now() - started < 20_000);
    await s.ok(['delete', '--force', 'fair']);
  }));
