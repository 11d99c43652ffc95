// Checkpoints into one image path in a row, as runsc's and CRIU's users reuse --image-path: each begins
// without waiting for the last one's flush (image/writer.ts deferFlush, sandbox/flushes.ts), and the path
// ends holding the last image alone, whole and flushed, with nothing set aside left beside it,
// no warning in sandbox.log, and each image restoring the memory the program had.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { manifest } from './testing/manifests.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

test('checkpoints into the same path in a row: the last image alone is left, flushed, and restores', async (t) => {
  const w = workspace('samepath', t);
  // The spinning guest keeps the sandbox's event loop busy, so each flush takes many turns (~100 ms) and
  // the next checkpoint begins while it is under way.
  const spec = manifest(w.dir, 'pod.yaml', 'same', [
    { name: 'mem', guest: 'bench_mem', args: ['16'] },
    { name: 'spin', guest: 'spin', args: ['lcg', '100000000000000'] },
  ], []);
  await w.ok(['pod', 'run', spec, '--detach']);
  let sum = '';
  await until('the memory filled', async () => {
    sum = /ready 16 sum=([0-9a-f]+)/.exec((await w.ok(['logs', 'same', 'mem'])).stdout)?.[1] ?? '';
    return sum !== '';
  });
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
  await until('the copy to resume', async () => /resumed .* sum=/.test((await w.ok(['logs', 'copy', 'mem'], { root: w.path('r') })).stdout));
  assert.match((await w.ok(['logs', 'copy', 'mem'], { root: w.path('r') })).stdout, new RegExp(`resumed .* sum=${sum}`));
});
