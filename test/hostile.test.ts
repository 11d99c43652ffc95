// End to end: a container that tries to take more than its spec gives it (issue 12), run with the
// hostile guest (guests/hostile.c): mount flags the spec set stay set, user namespace or not, and a
// read-only volume refuses writes at the host too.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { guest } from './testing/amber.js';
import { manifest } from './testing/manifests.js';
import { withWorkspace } from './testing/workspace.js';

describe('hostile containers', { concurrency: true }, () => {
  for (const hostUsers of [true, false]) {
    test(`a guest cannot remount a read-only hostPath writable (hostUsers: ${String(hostUsers)})`, () =>
      withWorkspace(async (s) => {
        const ro = s.path('ro');
        mkdirSync(ro);
        const pod = manifest(s.dir, 'pod.yaml', 'ro', [
          { name: 'a', guest: 'hostile', args: ['remount', '/ro'], mounts: [{ name: 'v', mountPath: '/ro', readOnly: true }] },
        ], [{ name: 'v', hostPath: { path: ro } }], { hostUsers });
        const r = await s.ok(['pod', 'run', pod]);
        assert.equal(r.stdout.trim(), 'a | remount-bind=EPERM remount=EPERM create=EROFS');
        assert.deepEqual(readdirSync(ro), [], 'nothing reached the host directory');
      }));
  }

  test("a guest cannot remount a read-only OCI root writable; a writable bind's flags stay its own", () =>
    withWorkspace(async (s) => {
      const bundle = s.path('bundle');
      const rw = s.path('rw');
      for (const d of ['dev/shm', 'proc', 'rw']) mkdirSync(join(bundle, 'rootfs', d), { recursive: true });
      mkdirSync(rw);
      copyFileSync(guest('hostile'), join(bundle, 'rootfs', 'hostile.wasm'));
      const config = (args: string[]): string => JSON.stringify({
        ociVersion: '1.0.2',
        process: { args: ['/hostile.wasm', ...args], cwd: '/' },
        root: { path: 'rootfs', readonly: true },
        mounts: [{ destination: '/rw', type: 'bind', source: rw, options: ['rbind', 'rw', 'nosuid'] }],
      });
      writeFileSync(join(bundle, 'config.json'), config(['remount', '/']));
      assert.equal((await s.ok(['run', '--bundle', bundle, 'root'])).stdout.trim(), 'remount-bind=EPERM remount=EPERM create=EROFS');
      // /rw is writable: a remount keeping nosuid is not asked for, so clearing it is refused, and the
      // file is created through the mount the spec made writable.
      writeFileSync(join(bundle, 'config.json'), config(['remount', '/rw']));
      assert.equal((await s.ok(['run', '--bundle', bundle, 'rw'])).stdout.trim(), 'remount-bind=EPERM remount=EPERM create=0');
      assert.deepEqual(readdirSync(join(bundle, 'rootfs')).sort(), ['dev', 'hostile.wasm', 'proc', 'rw']);
      assert.deepEqual(readdirSync(rw), ['.probe']);
    }));
});
