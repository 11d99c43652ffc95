// Images flushed after their checkpoints answered (sandbox/flushes.ts): a checkpoint into a new path, or
// into the path of an image (flushing or not), begins at once; one into or around an image flushing waits.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { scratch } from '../host/testing/scratch.js';
import { PendingFlushes } from './flushes.js';

/** A promise and its resolver. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

/** Whether p has settled once the microtasks queued now have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise((res) => setImmediate(res));
  return done;
}

test('a checkpoint into a new path or into an image (flushing or not) begins at once; one into or around an image flushing waits for every flush', async (t) => {
  const dir = scratch('flushes', t);
  const flushes = new PendingFlushes();
  assert.equal(await settled(flushes.before(join(dir, 'a'))), true);
  const a = deferred();
  mkdirSync(join(dir, 'a'));
  const aOnDisk = flushes.add(join(dir, 'a'), a.promise);
  // A new path, one beside a, and a itself (the writer keeps the image on disk until the new one is
  // flushed, and flushes every file it holds): at once. Inside a, or holding it: not yet.
  assert.equal(await settled(flushes.before(join(dir, 'b'))), true);
  assert.equal(await settled(flushes.before(join(dir, 'a2'))), true);
  assert.equal(await settled(flushes.before(join(dir, 'a'))), true);
  const waits = [flushes.before(join(dir, 'a', 'inner')), flushes.before(dir)];
  // b, written meanwhile, is on disk only once a is too (it may link a's blobs).
  const b = deferred();
  mkdirSync(join(dir, 'b'));
  const bOnDisk = flushes.add(join(dir, 'b'), b.promise);
  b.resolve();
  assert.equal(await settled(bOnDisk), false);
  // An image already there, flushing or not: at once.
  assert.equal(await settled(flushes.before(join(dir, 'b'))), true);
  mkdirSync(join(dir, 'c'));
  assert.equal(await settled(flushes.before(join(dir, 'c'))), true);
  for (const w of waits) assert.equal(await settled(w), false);
  assert.equal(await settled(flushes.done()), false);
  // A second image at a, added while a's first flushes: on disk once both are.
  const a2 = deferred();
  const a2OnDisk = flushes.add(join(dir, 'a'), a2.promise);
  a2.resolve();
  assert.equal(await settled(a2OnDisk), false);
  a.resolve();
  assert.equal(await settled(aOnDisk), true);
  assert.equal(await settled(bOnDisk), true);
  assert.equal(await settled(a2OnDisk), true);
  for (const w of waits) assert.equal(await settled(w), true);
  assert.equal(await settled(flushes.done()), true);
});
