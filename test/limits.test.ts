// End to end: what bounds a container (issue 12 point 3), through the CLI with the hostile guest
// (guests/hostile.c): descriptors at RLIMIT_NOFILE (runc's 1024, or an OCI bundle's process.rlimits),
// the pod's guests together within the sandbox's own descriptor limit, and a tmpfs's size (an emptyDir's
// sizeLimit, /dev/shm's 64 MiB) as ENOSPC; time shared by time, not by calls; and an exec's output
// streamed to its caller, the exec ended when the caller goes.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
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

describe('exec output', () => {
  test('is streamed to the caller: 64 MiB through a pipe, every byte', () =>
    withWorkspace(async (s) => {
      const pod = manifest(s.dir, 'pod.yaml', 'ex', [{ name: 'c', guest: 'e2e_counter', args: ['--ticks', '100000', '--every-ms', '50'] }], []);
      await s.ok(['pod', 'run', '--detach', '--name', 'ex', pod]);
      const r = spawnSync('bash', ['-c', '"$0" "$@" | od -An -c | sort -u', process.execPath, amberBin, '--root', s.root, 'exec', 'ex', 'c', '--', guest('hostile'), 'out', '64'], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      // od folds repeated lines into "*": only x's came, and the byte count is right (checked below).
      assert.deepEqual(r.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '').sort(), ['*', 'x   x   x   x   x   x   x   x   x   x   x   x   x   x   x   x'].sort());
      const n = spawnSync('bash', ['-c', '"$0" "$@" | wc -c', process.execPath, amberBin, '--root', s.root, 'exec', 'ex', 'c', '--', guest('hostile'), 'out', '64'], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(n.stdout.trim(), String(64 << 20));
      await s.ok(['delete', '--force', 'ex']);
    }));

  test('an exec whose client died is ended, and the pod can be checkpointed', () =>
    withWorkspace(async (s) => {
      const pod = manifest(s.dir, 'pod.yaml', 'gone', [{ name: 'c', guest: 'e2e_counter', args: ['--ticks', '100000', '--every-ms', '50'] }], []);
      await s.ok(['pod', 'run', '--detach', '--name', 'gone', pod]);
      // 100 GB to a client that never reads: the exec waits on it, then the client is killed.
      const client = spawn(process.execPath, [amberBin, '--root', s.root, 'exec', 'gone', 'c', '--', guest('hostile'), 'out', '100000'], { stdio: ['ignore', 'pipe', 'pipe'] });
      // Under way once its first output came (2 s was not always enough to start it on a loaded machine).
      let started = false;
      client.stdout.once('data', () => {
        started = true;
        client.stdout.pause();
      });
      await until('the exec\'s first output', () => started, 60_000);
      const busy = await s.amber(['checkpoint', 'gone', '--image-path', s.path('busy'), '--leave-running']);
      assert.match(busy.stderr, /has an exec in progress/, 'the exec was still running while its client was');
      client.kill('SIGKILL');
      await until('the checkpoint is taken once the exec is ended', async () => (await s.amber(['checkpoint', 'gone', '--image-path', s.path('img'), '--leave-running'])).code === 0, 30_000);
      await s.ok(['delete', '--force', 'gone']);
    }));
});

describe('memory limits', { concurrency: true }, () => {
  test('resources.limits.memory: a container\'s memory.grow fails at it (malloc NULL), its sibling without one is not held', () =>
    withWorkspace(async (s) => {
      const limits = { resources: { limits: { memory: '64Mi' } } };
      const pod = s.path('pod.yaml');
      writeFileSync(pod, JSON.stringify({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mem' },
        spec: { containers: [
          { name: 'a', image: guest('hostile'), args: ['malloc', '1000'], ...limits },
          { name: 'b', image: guest('hostile'), args: ['grow', '2000'], ...limits },
          { name: 'c', image: guest('hostile'), args: ['malloc', '100'] },
        ] },
      }));
      const lines = (await s.ok(['pod', 'run', pod])).stdout.trim().split('\n').sort();
      const a = /^a \| allocated (\d+) MiB$/.exec(lines[0] ?? '');
      assert.ok(a !== null && Number(a[1]) >= 48 && Number(a[1]) < 64, lines.join(' / '));
      assert.deepEqual(lines.slice(1), ['b | grow refused', 'c | allocated 100 MiB']);
    }));

  test('the pod\'s total: its tmpfs pages are ENOMEM past it, and past it in linear memory the largest program is ended', () =>
    withWorkspace(async (s) => {
      const pod = (name: string, spec: Record<string, unknown>): string => {
        const file = s.path(`${name}.yaml`);
        writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec }));
        return file;
      };
      const fill = pod('fill', {
        resources: { limits: { memory: '64Mi' } },
        containers: [{ name: 'fill', image: guest('hostile'), args: ['fill', '/data/f', '200'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 'data', emptyDir: { medium: 'Memory' } }],
      });
      const wrote = /^fill \| wrote (\d+) MiB: ENOMEM\n$/.exec((await s.ok(['pod', 'run', fill])).stdout);
      assert.ok(wrote !== null && Number(wrote[1]) >= 48 && Number(wrote[1]) < 64);

      const two = pod('two', {
        resources: { limits: { memory: '100Mi' } },
        containers: [
          { name: 'a', image: guest('hostile'), args: ['malloc', '80'] },
          { name: 'b', image: guest('hostile'), args: ['malloc', '80'] },
          { name: 't', image: guest('e2e_counter'), args: ['--ticks', '5', '--every-ms', '50'] },
        ],
      });
      const r = await s.amber(['pod', 'run', two]);
      assert.equal(r.code, 137, r.stderr);
      assert.match(r.stderr, /^amber: container [ab]: pid \d+ ended \(137\): the pod's memory limit of 104857600 bytes is reached/m);
      assert.match(r.stdout, /^[ab] \| allocated 80 MiB$/m);
      assert.match(r.stdout, /^t \| 3$/m, 'the ticker beside them ran on');
    }));
});
