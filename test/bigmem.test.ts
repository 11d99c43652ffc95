// A guest past 2 GiB of linear memory (wasm32 allows 4 GiB; issue 12 point 1): guests/bigmem grows to
// 40,000 pages (2.44 GiB), keeps its counter and output buffer in its last page and a marker just past
// 2 GiB, and sleeps between ticks (a blocking call, so it unwinds with all that memory). Its sibling
// ticks on beside it; the pod is checkpointed, restored, and both continue their counts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guest } from './testing/amber.js';
import { numbers } from './testing/counters.js';
import { manifest } from './testing/manifests.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

const PAGES = '40000';

/** bigmem's ticks in a log: its "bigmem N" lines. */
function bigTicks(log: string): number[] {
  return [...log.matchAll(/^bigmem (\d+)$/gm)].map((m) => Number(m[1]));
}

test('a guest with 2.44 GiB of memory blocks, is checkpointed and restored; its sibling runs on', async (t) => {
  const s = workspace('bigmem', t);
  const pod = manifest(s.dir, 'pod.yaml', 'big', [
    { name: 'big', guest: 'bigmem', args: [PAGES, '100000', '50'] },
    { name: 'small', guest: 'e2e_counter', args: ['--ticks', '100000', '--every-ms', '20'] },
  ], []);
  await s.ok(['pod', 'run', '--detach', '--name', 'big', pod]);
  const ticks = async (): Promise<number[]> => bigTicks((await s.ok(['logs', 'big', 'big'])).stdout);
  await until('bigmem ticks 3 times', async () => (await ticks()).length >= 3, 60_000);
  const log = (await s.ok(['logs', 'big', 'big'])).stdout;
  assert.match(log, /^bigmem grew to 40000 pages\n/);
  const state = await s.json<{ status: string; containers: Array<{ name: string; exitCode: number | null }> }>(['state', 'big']);
  assert.equal(state.status, 'running');
  assert.ok(state.containers.every((c) => c.exitCode === null), JSON.stringify(state.containers));

  await s.ok(['checkpoint', 'big', '--image-path', s.path('img')], { timeoutMs: 120_000 });
  const before = await ticks();
  const smallBefore = numbers((await s.ok(['logs', 'big', 'small'])).stdout);
  await s.ok(['delete', 'big']);
  await s.ok(['restore', '--image-path', s.path('img'), '--detach', '--name', 'again'], { timeoutMs: 120_000 });
  const after = async (): Promise<number[]> => bigTicks((await s.ok(['logs', 'again', 'big'])).stdout);
  await until('the restored bigmem ticks on', async () => (await after()).length >= 2, 60_000);
  const continued = await after();
  assert.equal(continued[0], (before.at(-1) ?? 0) + 1, `the restored count continues: ${before.join(',')} then ${continued.join(',')}`);
  assert.deepEqual(continued, continued.map((_, i) => (continued[0] ?? 0) + i));
  const state2 = await s.json<{ containers: Array<{ name: string; exitCode: number | null }> }>(['state', 'again']);
  assert.ok(state2.containers.every((c) => c.exitCode === null), JSON.stringify(state2.containers));
  await until('the sibling ticks on past its checkpoint', async () => Math.max(...numbers((await s.ok(['logs', 'again', 'small'])).stdout)) > Math.max(...smallBefore), 30_000);
  await s.ok(['delete', '--force', 'again']);
});

test('a guest grows to all of wasm32 memory, 4 GiB, and blocks; one page more is its memory.grow failing', async (t) => {
  const s = workspace('bigmem4', t);
  const r = await s.ok(['do', guest('bigmem'), '65536', '3', '1'], { timeoutMs: 120_000 });
  assert.deepEqual(bigTicks(r.stdout), [1, 2, 3]);
  const over = await s.amber(['do', guest('bigmem'), '65537', '1', '1']);
  assert.equal(over.code, 1);
  assert.equal(over.stderr, 'bigmem: memory.grow to 65537 pages failed\n');
});
