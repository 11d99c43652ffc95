// Images flushed after their checkpoints answered (sandbox/flushes.ts): a checkpoint into a new path
// begins at once; one that would replace an image, or writes into or around one still flushing, waits.
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

test('a checkpoint into a new path begins while earlier images flush; one replacing an image waits for them all', async (t) => {
  const dir = scratch('flushes', t);
  const flushes = new PendingFlushes();
  assert.equal(await settled(flushes.before(join(dir, 'a'))), true);
  const a = deferred();
  mkdirSync(join(dir, 'a'));
  const aOnDisk = flushes.add(join(dir, 'a'), a.promise);
  // A new path, and one beside a: at once. a itself (an image there), inside it, or holding it: not yet.
  assert.equal(await settled(flushes.before(join(dir, 'b'))), true);
  assert.equal(await settled(flushes.before(join(dir, 'a2'))), true);
  const waits = [flushes.before(join(dir, 'a')), flushes.before(join(dir, 'a', 'inner')), flushes.before(dir)];
  // b, written meanwhile, is on disk only once a is too (it may link a's blobs).
  const b = deferred();
  mkdirSync(join(dir, 'b'));
  const bOnDisk = flushes.add(join(dir, 'b'), b.promise);
  b.resolve();
  assert.equal(await settled(bOnDisk), false);
  // Any image already there, this sandbox's or not: replacing it waits (the new one may hold a's blobs).
  const replaceB = flushes.before(join(dir, 'b'));
  mkdirSync(join(dir, 'c'));
  const replaceC = flushes.before(join(dir, 'c'));
  assert.equal(await settled(replaceB), false);
  assert.equal(await settled(replaceC), false);
  for (const w of waits) assert.equal(await settled(w), false);
  assert.equal(await settled(flushes.done()), false);
  a.resolve();
  assert.equal(await settled(aOnDisk), true);
  assert.equal(await settled(bOnDisk), true);
  assert.equal(await settled(replaceB), true);
  assert.equal(await settled(replaceC), true);
  for (const w of waits) assert.equal(await settled(w), true);
  assert.equal(await settled(flushes.done()), true);
  // Nothing flushing: an image there is replaced at once.
  assert.equal(await settled(flushes.before(join(dir, 'a'))), true);
});
