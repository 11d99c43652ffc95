// A pod whose sandbox is kept busy, for tests of what a checkpoint does after its reply (its image's
// flush): guests/bench_mem fills memory and parks, guests/spin spins beside it, so each flush takes many
// turns of the sandbox's event loop. And the check that a restored copy of it has the memory it had.
import assert from 'node:assert/strict';
import { manifest } from './manifests.js';
import { until } from './wait.js';
import type { Workspace } from './workspace.js';

/** Runs the busy pod `name` detached, its memory mib MiB: the sum bench_mem printed once it was filled. */
export async function busyPod(w: Workspace, name: string, mib: number): Promise<string> {
  const spec = manifest(w.dir, 'pod.yaml', name, [
    { name: 'mem', guest: 'bench_mem', args: [String(mib)] },
    { name: 'spin', guest: 'spin', args: ['lcg', '100000000000000'] },
  ], []);
  await w.ok(['pod', 'run', spec, '--detach']);
  const ready = new RegExp(`ready ${mib} sum=([0-9a-f]+)`);
  let sum = '';
  await until('the memory filled', async () => {
    sum = ready.exec((await w.ok(['logs', name, 'mem'])).stdout)?.[1] ?? '';
    return sum !== '';
  });
  return sum;
}

/** Waits for the restored copy `name` under root to resume, and checks its memory's sum is sum. */
export async function resumesWith(w: Workspace, name: string, root: string, sum: string): Promise<void> {
  await until(`${name} to resume`, async () => /resumed .* sum=/.test((await w.ok(['logs', name, 'mem'], { root })).stdout));
  assert.match((await w.ok(['logs', name, 'mem'], { root })).stdout, new RegExp(`resumed .* sum=${sum}`));
}
