// Checkpoints into one image path in a row, as runsc's and CRIU's users reuse --image-path: each begins
// without waiting for the last one's flush (image/writer.ts deferFlush, sandbox/flushes.ts), and the path
// ends holding the last image alone, whole and flushed, with nothing set aside left beside it,
// no warning in sandbox.log, and each image restoring the memory the program had.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { busyPod, resumesWith } from './testing/busypod.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

test('checkpoints into the same path in a row: the last image alone is left, flushed, and restores', async (t) => {
  const w = workspace('samepath', t);
  // The busy pod's flushes take many turns (~100 ms), so the next checkpoint begins while one is under way.
  const sum = await busyPod(w, 'same', 16);
  const image = w.path('img');
  const rounds = 4;
  for (let i = 0; i < rounds; i++) await w.ok(['checkpoint', 'same', '--image-path', image, '--leave-running']);
  const log = join(w.root, 'pods', 'same', 'sandbox.log');
  const ends = (): string[] => readFileSync(log, 'utf8').split('\n').filter((l) => /flushed to disk|could not|replaced by a later checkpoint/.test(l));
  await until('every flush to end', () => ends().length === rounds);
  const text = readFileSync(log, 'utf8');
  assert.doesNotMatch(text, /could not/, text);
  assert.match(ends().at(-1) ?? '', /flushed to disk/, 'the last image was not flushed');
  assert.deepEqual(readdirSync(w.dir).filter((n) => n.startsWith('img')), ['img'], 'an image set aside was left');
  await w.ok(['restore', '--image-path', image, '--detach', '--name', 'copy'], { root: w.path('r') });
  await resumesWith(w, 'copy', w.path('r'), sum);
});
