// End to end: write tracking (issue 10.5, like CRIU's --track-mem). `pod run --track-writes` has the pod's
// module transformed to record the pages it writes; a second --leave-running checkpoint then reads that
// record instead of comparing all memory (the sandbox's debug check, AMBER_CHECK_WRITE_MAPS=1, fails the
// checkpoint if any page changed without a mark). The image carries the tracked module and the spec with
// its annotation: restored on a fresh state root it counts on, and its next cuts track too. A module the
// pass cannot track fails `pod run --track-writes` with its one line.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import binaryen from 'binaryen';
import { numbers, range } from './testing/counters.js';
import { blobs } from './testing/images.js';
import { heldCounterPod, manifest } from './testing/manifests.js';
import { cutLine } from './testing/sandboxlog.js';
import { ready, verdict } from './testing/wait.js';
import { withWorkspace } from './testing/workspace.js';

const touch = (path: string) => writeFileSync(path, '');
const checked = { env: { ...process.env, AMBER_CHECK_WRITE_MAPS: '1' } };

describe('write tracking', { concurrency: true }, () => {
  test('pod run --track-writes: two --leave-running cuts, the second restored on a fresh root counts on', () =>
    withWorkspace(async (s) => {
      const { pod, ctl } = heldCounterPod(s.dir, 'trk');
      await s.ok(['pod', 'run', pod, '--detach', '--track-writes'], checked);
      await ready(join(ctl, 'ready.4'));
      const img1 = s.path('img1');
      const img2 = s.path('img2');
      await s.ok(['checkpoint', 'trk', '--image-path', img1, '--leave-running']);
      touch(join(ctl, 'go.4'));
      await ready(join(ctl, 'ready.8'));
      await s.ok(['checkpoint', 'trk', '--image-path', img2, '--leave-running']);
      // The module the image carries is the tracked one; the second cut linked all but what changed.
      const annotations = blobs(img2).map(([, p]) => readFileSync(p, 'latin1')).join('\n');
      assert.match(annotations, /"org\.amber\.module\.transform":"[^"]*track-writes/, 'the image carries a tracked module');
      assert.match(annotations, /"org\.amber\.track-writes":"true"/, 'the saved spec keeps the annotation');
      assert.match(cutLine(join(s.root, 'pods', 'trk', 'sandbox.log'), img2), / [0-4] memory parts changed/);

      const ctl2 = s.path('ctl2');
      cpSync(ctl, ctl2, { recursive: true });
      const root2 = s.path('root2');
      await s.ok(['restore', '--image-path', img2, '--detach', '--name', 'trk2', '--volume', `ctl=${ctl2}`], { ...checked, root: root2 });
      // The restored pod tracks too: two more cuts of it pass the debug check.
      const img3 = s.path('img3');
      const img4 = s.path('img4');
      await s.ok(['checkpoint', 'trk2', '--image-path', img3, '--leave-running'], { root: root2 });
      await s.ok(['checkpoint', 'trk2', '--image-path', img4, '--leave-running'], { root: root2 });
      touch(join(ctl, 'go.8'));
      touch(join(ctl2, 'go.8'));
      await verdict(join(ctl, 'done'));
      await verdict(join(ctl2, 'done'));
      assert.deepEqual(numbers((await s.ok(['logs', 'trk'])).stdout), range(1, 14));
      assert.deepEqual(numbers((await s.ok(['logs', 'trk2'], { root: root2 })).stdout), range(9, 14), 'the restored pod counts on, each tick once');
    }));

  test('a module the pass cannot track fails pod run --track-writes with one line', () =>
    withWorkspace(async (s) => {
      // A load whose offset passes 4 GiB once the address space moves up: the pass refuses it.
      const m = binaryen.parseText(`(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start") (drop (i32.load offset=4294967000 (i32.const 0))) (call $exit (i32.const 0))))`);
      const wasm = s.path('far.wasm');
      writeFileSync(wasm, m.emitBinary());
      m.dispose();
      const pod = manifest(s.dir, 'far.yaml', 'far', [{ name: 'far', guest: 'far', image: wasm, args: [] }], []);
      for (const detach of [[], ['--detach']]) {
        const r = await s.amber(['pod', 'run', pod, ...detach, '--track-writes']);
        assert.equal(r.code, 1, `pod run ${detach.join(' ')}: exit 1`);
        assert.equal(r.stderr, `amber: ${wasm}: cannot track writes: a load or store offset of 4294967000 (past 4 GiB once moved up by 1048576)\n`);
      }
    }));
});
