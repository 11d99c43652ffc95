// A pod's sandbox started from its V8 startup snapshot (sandbox/snapshot.ts, built by `npm run build` for
// this node): a detached pod and its restore run from it, and a restore from it reads what the image
// holds (its modules from the snapshot's heap, zstd's wasm build loaded when first used).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { guest } from './testing/amber.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

/** The command line of pod id's sandbox process. */
function sandboxArgs(root: string, id: string): string[] {
  const pid = (JSON.parse(readFileSync(join(root, 'pods', id, 'record.json'), 'utf8')) as { sandboxPid: number }).sandboxPid;
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
}

test('a detached pod and its restore run in sandboxes started from the snapshot', async (t) => {
  const w = workspace('snapshot', t);
  const spec = w.path('pod.yaml');
  writeFileSync(spec, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mem' }, spec: { containers: [{ name: 'mem', image: guest('bench_mem'), args: ['8'] }] } }));
  await w.ok(['pod', 'run', '--detach', spec]);
  assert.ok(sandboxArgs(w.root, 'mem').includes('--snapshot-blob'), 'the sandbox was started from the snapshot');
  const ready = async (id: string, line: RegExp): Promise<string> => {
    let m: RegExpExecArray | null = null;
    await until(`${id}: ${String(line)}`, async () => (m = line.exec((await w.ok(['logs', id])).stdout)) !== null);
    return m?.[1] ?? '';
  };
  const sum = await ready('mem', /^ready 8 sum=([0-9a-f]+)$/m);
  const img = w.path('img');
  await w.ok(['checkpoint', 'mem', '--image-path', img, '--compress', 'zstd']);
  await w.ok(['restore', '--image-path', img, '--detach', '--name', 'back']);
  assert.ok(sandboxArgs(w.root, 'back').includes('--snapshot-blob'), 'the restored sandbox was started from the snapshot');
  assert.equal(await ready('back', /^resumed .* sum=([0-9a-f]+)$/m), sum, 'the restored memory is the checkpointed one');
  assert.doesNotMatch(readFileSync(join(w.root, 'pods', 'back', 'sandbox.log'), 'utf8'), /Warning/, 'no warning in the sandbox log');
});
