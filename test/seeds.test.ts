// End to end: checkpoint and restore of whole running pods through the `amber` CLI, one test per seed
// (../shared/seeds, DESIGN.md §5), plus --leave-running and images or host files that changed. Each guest
// parks on a trigger file (guests/e2e.h) so the checkpoint lands while it runs, checks its own state after
// the restore, and writes an OK/FAIL verdict into a hostPath folder.
import assert from 'node:assert/strict';
import { appendFileSync, closeSync, copyFileSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { guest, userError } from './testing/amber.js';
import { numbers, range } from './testing/counters.js';
import { blobs, fingerprint } from './testing/images.js';
import { manifest, type Container, type Volume } from './testing/manifests.js';
import { ready, until, verdict } from './testing/wait.js';
import { withWorkspace, type Workspace } from './testing/workspace.js';

interface PodState {
  id: string;
  status: string;
  containers: Array<{ name: string; exitCode: number | null }>;
}

const touch = (path: string) => writeFileSync(path, '');

/** A pod of one e2e_counter container "counter" with an emptyDir /data and a hostPath /ctl. */
function counterPod(s: Workspace, name: string, args: string[], ctl: string): string {
  const c: Container = {
    name: 'counter',
    guest: 'e2e_counter',
    args,
    mounts: [{ name: 'data', mountPath: '/data' }, { name: 'ctl', mountPath: '/ctl' }],
  };
  return manifest(s.dir, `${name}.yaml`, name, [c], [{ name: 'data', emptyDir: {} }, { name: 'ctl', hostPath: { path: ctl } }]);
}

function dir(s: Workspace, name: string): string {
  const d = s.path(name);
  mkdirSync(d, { recursive: true });
  return d;
}

/** Flips one byte of a file in place. */
function flip(path: string, at: number): void {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] = (b[0] ?? 0) ^ 0xff;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

describe('checkpoint and restore', { concurrency: true }, () => {
  test('seed 000: two writers on a shared emptyDir restore into a spec listing them in reverse order', () =>
    withWorkspace(async (s) => {
      const ctl = dir(s, 'ctl');
      const writer = (name: string, peer: string): Container => ({
        name,
        guest: 'e2e_writer',
        args: ['--name', name, '--peer', peer, '--dir', '/shared', '--ticks', '12', '--every-ms', '20', '--hold-at', '5',
          '--go', '/ctl/go', '--ready', `/ctl/${name}.ready`, '--done', `/ctl/${name}.done`],
        mounts: [{ name: 'shared', mountPath: '/shared' }, { name: 'ctl', mountPath: '/ctl' }],
      });
      const volumes: Volume[] = [{ name: 'shared', emptyDir: {} }, { name: 'ctl', hostPath: { path: ctl } }];
      const pod = manifest(s.dir, 'pod.yaml', 's000', [writer('a', 'b'), writer('b', 'a')], volumes);
      const reversed = manifest(s.dir, 'reversed.yaml', 's000', [writer('b', 'a'), writer('a', 'b')], [...volumes].reverse());
      await s.ok(['pod', 'run', pod, '--detach']);
      await ready(join(ctl, 'a.ready'));
      await ready(join(ctl, 'b.ready'));
      const img = s.path('img');
      await s.ok(['checkpoint', 's000', '--image-path', img]);
      await until('state to say stopped after the checkpoint', async () => (await s.json<PodState>(['state', 's000'])).status === 'stopped');
      await s.ok(['delete', 's000']);
      const before = fingerprint(img);
      const lacking = manifest(s.dir, 'lacking.yaml', 's000', [writer('a', 'b')], volumes);
      const e = userError(await s.amber(['restore', '--image-path', img, '--spec', lacking, '--detach']), 'a spec without container b');
      assert.match(e, /\bb\b/);
      await s.ok(['restore', '--image-path', img, '--spec', reversed, '--detach']);
      touch(join(ctl, 'go'));
      await verdict(join(ctl, 'a.done'));
      await verdict(join(ctl, 'b.done'));
      const logs = (await s.ok(['logs', 's000'])).stdout;
      assert.deepEqual(numbers(logs, 'a'), range(6, 12), logs);
      assert.deepEqual(numbers(logs, 'b'), range(6, 12), logs);
      assert.deepEqual(fingerprint(img), before, 'a restore changed its image');
    }));

  test('seed 001: checkpointed with --debug-log, restored in the foreground without it and with fds 3-5 open', () =>
    withWorkspace(async (s) => {
      const ctl = dir(s, 'ctl');
      const pod = counterPod(s, 's001', ['--ticks', '12', '--every-ms', '20', '--state', '/data/state', '--out', '/data/out',
        '--hold-at', '4', '--go', '/ctl/go', '--ready', '/ctl/ready', '--done', '/ctl/done'], ctl);
      const debugLog = s.path('debug.log');
      await s.ok(['--debug-log', debugLog, 'pod', 'run', pod, '--detach']);
      assert.ok(existsSync(debugLog), '--debug-log wrote its file');
      await ready(join(ctl, 'ready'));
      let logs = '';
      await until('logs to show ticks 1..4', async () => (logs = (await s.ok(['logs', 's001'])).stdout).endsWith('4\n'));
      assert.deepEqual(numbers(logs), range(1, 4));
      const img = s.path('img');
      await s.ok(['checkpoint', 's001', '--image-path', img]);
      await s.ok(['delete', 's001']);
      rmSync(debugLog);
      touch(join(ctl, 'go'));
      const r = await s.ok(['restore', '--image-path', img], { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'] });
      assert.deepEqual(numbers(r.stdout, 'counter'), range(5, 12), r.stdout);
      assert.match(await verdict(join(ctl, 'done')), /12 ticks/);
      assert.ok(!existsSync(debugLog), 'the restore wrote no debug log');
    }));

  test('seed 002: fds and a dir fd under covered and stacked mounts survive checkpoint/restore; stacking unchanged', () =>
    withWorkspace(async (s) => {
      const ctl = dir(s, 'ctl');
      const pod = manifest(s.dir, 'pod.yaml', 's002', [{
        name: 'om',
        guest: 'e2e_overmount',
        args: ['--go', '/ctl/go', '--ready', '/ctl/ready', '--done', '/ctl/done'],
        mounts: [{ name: 'ctl', mountPath: '/ctl' }],
      }], [{ name: 'ctl', hostPath: { path: ctl } }]);
      await s.ok(['pod', 'run', pod, '--detach']);
      await ready(join(ctl, 'ready'));
      const img = s.path('img');
      await s.ok(['checkpoint', 's002', '--image-path', img]);
      await s.ok(['delete', 's002']);
      await s.ok(['restore', '--image-path', img, '--detach']);
      touch(join(ctl, 'go'));
      // Each mount as MOUNTPOINT#RANK<PARENT#RANK (RANK: earlier mounts on the same mountpoint), as Linux shows them.
      const stacking = (await verdict(join(ctl, 'done'))).replace(/^.*stacking unchanged: /, '');
      assert.equal(stacking, '/mnt/x#0</#0 rw tmpfs; /mnt#0</#0 rw tmpfs; /stack#0</#0 rw tmpfs; /stack#1</stack#0 rw tmpfs;');
    }));

  test('seed 003: ghost files on /dev/shm and a hostPath restore in a fresh --root with --volume NAME=NEWDIR', () =>
    withWorkspace(async (s) => {
      const host1 = dir(s, 'host1');
      const pod = manifest(s.dir, 'pod.yaml', 's003', [{
        name: 'ghost',
        guest: 'e2e_ghost',
        args: ['--host', '/host', '--go', '/host/go', '--ready', '/host/ready', '--done', '/host/done'],
        mounts: [{ name: 'host', mountPath: '/host' }],
      }], [{ name: 'host', hostPath: { path: host1 } }]);
      await s.ok(['pod', 'run', pod, '--detach']);
      await ready(join(host1, 'ready'));
      const img = s.path('img');
      await s.ok(['checkpoint', 's003', '--image-path', img]);
      await s.ok(['delete', 's003']);
      rmSync(host1, { recursive: true });
      const host2 = dir(s, 'host2');
      await s.ok(['restore', '--image-path', img, '--detach', '--volume', `host=${host2}`], { root: s.path('root2') });
      touch(join(host2, 'go'));
      assert.match(await verdict(join(host2, 'done')), /sem\.B nlink 1/);
      assert.ok(!existsSync(host1), 'nothing recreated the old host folder');
    }));

  test("seed 004: run --bundle with containerd's two /dev/shm mounts and uid mappings", () =>
    withWorkspace(async (s) => {
      const ctl = dir(s, 'ctl');
      const bundle = dir(s, 'bundle');
      mkdirSync(join(bundle, 'rootfs'));
      copyFileSync(guest('e2e_devshm'), join(bundle, 'rootfs', 'devshm.wasm'));
      const config = {
        ociVersion: '1.0.2',
        process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['/devshm.wasm', '--done', '/ctl/done'], env: ['PATH=/usr/bin:/bin'], cwd: '/' },
        root: { path: 'rootfs' },
        hostname: 'seed004',
        mounts: [
          { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
          { destination: '/dev/shm', type: 'bind', source: '/run/containerd/io.containerd.grpc.v1.cri/sandboxes/831fa677/shm', options: ['rbind', 'ro'] },
          { destination: '/ctl', type: 'bind', source: ctl, options: ['rbind', 'rw'] },
        ],
        linux: {
          uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
          gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
          namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }],
        },
      };
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 1));
      await s.ok(['run', '--bundle', bundle, '--detach', 'b004']);
      assert.match(await verdict(join(ctl, 'done')), /\/dev\/shm ro,nosuid,nodev,noexec/);
      assert.equal((await s.json<PodState>(['state', 'b004'])).id, 'b004');
      await until('the bundle to stop', async () => (await s.json<PodState>(['state', 'b004'])).status === 'stopped');
      assert.deepEqual((await s.json<PodState>(['state', 'b004'])).containers, [{ name: 'b004', exitCode: 0 }]);
    }));

  test('checkpoint --leave-running twice; the second image restored under another --name while the original runs', () =>
    withWorkspace(async (s) => {
      const ctl = dir(s, 'ctl');
      const pod = counterPod(s, 'lr', ['--ticks', '14', '--every-ms', '20', '--state', '/data/state', '--out', '/data/out',
        '--hold-at', '4', '--hold-at', '8', '--go', '/ctl/go.%d', '--ready', '/ctl/ready.%d', '--done', '/ctl/done'], ctl);
      await s.ok(['pod', 'run', pod, '--detach']);
      await ready(join(ctl, 'ready.4'));
      await s.ok(['checkpoint', 'lr', '--image-path', s.path('img1'), '--leave-running']);
      touch(join(ctl, 'go.4'));
      await ready(join(ctl, 'ready.8'));
      await s.ok(['checkpoint', 'lr', '--image-path', s.path('img2'), '--leave-running']);
      const ctl2 = s.path('ctl2');
      cpSync(ctl, ctl2, { recursive: true });
      await s.ok(['restore', '--image-path', s.path('img2'), '--detach', '--name', 'lr2', '--volume', `ctl=${ctl2}`]);
      const list = await s.json<Array<{ id: string; status: string }>>(['list', '--json']);
      assert.deepEqual(list.map((p) => [p.id, p.status]), [['lr', 'running'], ['lr2', 'running']]);
      touch(join(ctl, 'go.8'));
      touch(join(ctl2, 'go.8'));
      await verdict(join(ctl, 'done'));
      await verdict(join(ctl2, 'done'));
      assert.deepEqual(numbers((await s.ok(['logs', 'lr'])).stdout), range(1, 14));
      assert.deepEqual(numbers((await s.ok(['logs', 'lr2'])).stdout), range(9, 14));
    }));

  test('a damaged image, a missing image and a changed host file open at checkpoint are refused in one line, changing nothing', () =>
    withWorkspace(async (s) => {
      const ctl = dir(s, 'ctl');
      const pod = counterPod(s, 'bi', ['--ticks', '6', '--every-ms', '10', '--state', '/data/state', '--out', '/ctl/out',
        '--hold-at', '3', '--go', '/ctl/go', '--ready', '/ctl/ready', '--done', '/ctl/done'], ctl);
      await s.ok(['pod', 'run', pod, '--detach']);
      await ready(join(ctl, 'ready'));
      const img = s.path('img');
      await s.ok(['checkpoint', 'bi', '--image-path', img]);
      await s.ok(['delete', 'bi']);
      const pristine = fingerprint(img);
      const noPods = async () => assert.deepEqual(await s.json(['list', '--json']), []);

      const flipped = s.path('img-flipped');
      cpSync(img, flipped, { recursive: true });
      const [digest, blob] = blobs(flipped)[0] ?? assert.fail('an image with no blob');
      flip(blob, Math.floor(readFileSync(blob).length / 2));
      const damaged = fingerprint(flipped);
      const e1 = userError(await s.amber(['restore', '--image-path', flipped, '--detach', '--name', 'bad1']), 'a flipped byte');
      assert.ok(e1.includes(digest), `the error names blob ${digest}: ${e1}`);
      assert.deepEqual(fingerprint(flipped), damaged, 'a refused restore changed the image');
      await noPods();

      const e2 = userError(await s.amber(['restore', '--image-path', s.path('no', 'such'), '--detach']), 'a missing image');
      assert.ok(e2.includes(s.path('no', 'such')), e2);

      appendFileSync(join(ctl, 'out'), 'host\n');
      const e3 = userError(await s.amber(['restore', '--image-path', img, '--detach', '--name', 'bad3']), 'a changed host file');
      assert.match(e3, /\bout\b.*changed since the checkpoint/);
      await noPods();
      assert.deepEqual(fingerprint(img), pristine, 'a refused restore changed the image');
    }));
});
