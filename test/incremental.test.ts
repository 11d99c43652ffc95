// End to end: incremental checkpoints (issue 10.5). A pod checkpointed with --leave-running is cut again
// by comparing its memory with the last cut: only changed parts are written, the rest hard-linked from
// the last image (or a --parent-path), and the new image restores on its own once the parent is gone; a
// parent damaged in place (a byte flipped, the size kept) never damages the child: its blobs are verified
// before they are linked, and the child's own bytes written instead.
import assert from 'node:assert/strict';
import { closeSync, cpSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { numbers, range } from './testing/counters.js';
import { blobs } from './testing/images.js';
import { heldCounterPod } from './testing/manifests.js';
import { ready, verdict } from './testing/wait.js';
import { withWorkspace, type Workspace } from './testing/workspace.js';

const touch = (path: string) => writeFileSync(path, '');

/** Flips one byte of a file in place (its size unchanged). */
function flip(path: string, at: number): void {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] = (b[0] ?? 0) ^ 0xff;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

/** Blobs of child that are the very files (hard links) of parent's. */
function linked(parent: string, child: string): number {
  const inodes = new Set(blobs(parent).map(([, p]) => statSync(p).ino));
  return blobs(child).filter(([, p]) => inodes.has(statSync(p).ino)).length;
}

/** Checkpoints at 4 (img1) and 8 (img2, after damage(img1)), deletes img1, restores img2 under ID2 and checks it counts 9..14 once. */
async function twoCuts(s: Workspace, id: string, damage: (img1: string) => void, second: (img1: string, img2: string) => string[], track = false): Promise<{ img1Blobs: number; linkedFromImg1: number; img2Blobs: number }> {
  const { pod, ctl } = heldCounterPod(s.dir, id);
  await s.ok(['pod', 'run', pod, '--detach', ...(track ? ['--track-writes'] : [])]);
  await ready(join(ctl, 'ready.4'));
  const img1 = s.path('img1');
  const img2 = s.path('img2');
  await s.ok(['checkpoint', id, '--image-path', img1, '--leave-running']);
  damage(img1);
  touch(join(ctl, 'go.4'));
  await ready(join(ctl, 'ready.8'));
  await s.ok(['checkpoint', id, '--image-path', img2, '--leave-running', ...second(img1, img2)]);
  const counts = { img1Blobs: blobs(img1).length, linkedFromImg1: linked(img1, img2), img2Blobs: blobs(img2).length };
  rmSync(img1, { recursive: true }); // the child restores on its own
  const ctl2 = s.path('ctl2');
  cpSync(ctl, ctl2, { recursive: true });
  await s.ok(['restore', '--image-path', img2, '--detach', '--name', `${id}2`, '--volume', `ctl=${ctl2}`]);
  touch(join(ctl, 'go.8'));
  touch(join(ctl2, 'go.8'));
  await verdict(join(ctl, 'done'));
  await verdict(join(ctl2, 'done'));
  assert.deepEqual(numbers((await s.ok(['logs', id])).stdout), range(1, 14));
  assert.deepEqual(numbers((await s.ok(['logs', `${id}2`])).stdout), range(9, 14), 'the restored child counts on, each tick once');
  return counts;
}

describe('incremental checkpoints', { concurrency: true }, () => {
  test('a second --leave-running checkpoint links what did not change from the first, and restores without it', () =>
    withWorkspace(async (s) => {
      const c = await twoCuts(s, 'inc', () => {}, () => []);
      // Memory parts the counter did not touch, the module and the zero part are the first image's files.
      assert.ok(c.linkedFromImg1 >= c.img2Blobs - 8, `only ${c.linkedFromImg1} of ${c.img2Blobs} blobs linked`);
    }));

  // Every payload blob (the manifest and config too would make the parent unreadable, a case of its own).
  const damageAll = (img1: string): void => {
    const index = JSON.parse(readFileSync(join(img1, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const manifestHex = index.manifests[0]?.digest.slice(7) ?? '';
    const m = JSON.parse(readFileSync(join(img1, 'blobs', 'sha256', manifestHex), 'utf8')) as { layers: Array<{ digest: string; size: number }> };
    for (const l of m.layers) if (l.size > 64) flip(join(img1, 'blobs', 'sha256', l.digest.slice(7)), 40);
  };

  test('a pod run with --track-writes (its memory pre-copied, its parts linked by the write map): a second cut links what did not change, and a damaged parent is never linked', () =>
    withWorkspace(async (s) => {
      const c = await twoCuts(s, 'trk', () => {}, () => [], true);
      assert.ok(c.linkedFromImg1 >= c.img2Blobs - 8, `only ${c.linkedFromImg1} of ${c.img2Blobs} blobs linked`);
      rmSync(s.path('img2'), { recursive: true });
      rmSync(s.path('ctl'), { recursive: true });
      rmSync(s.path('ctl2'), { recursive: true });
      const damaged = await twoCuts(s, 'trkd', damageAll, () => [], true);
      assert.equal(damaged.linkedFromImg1, 0, 'a damaged blob was linked');
    }));

  test('a parent damaged in place does not damage the child (the last cut, and --parent-path)', () =>
    withWorkspace(async (s) => {
      const auto = await twoCuts(s, 'dmg', damageAll, () => []);
      assert.equal(auto.linkedFromImg1, 0, 'a damaged blob was linked');
      rmSync(s.path('img2'), { recursive: true });
      rmSync(s.path('ctl'), { recursive: true });
      rmSync(s.path('ctl2'), { recursive: true });
      const explicit = await twoCuts(s, 'dmgp', damageAll, (img1) => ['--parent-path', img1]);
      assert.equal(explicit.linkedFromImg1, 0, 'a damaged blob was linked');
    }));
});
