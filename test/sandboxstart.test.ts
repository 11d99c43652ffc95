// How a pod's sandbox starts: from its V8 startup snapshot (sandbox/snapshot.ts, built by `npm run build`
// for this node), and, for a restore or a run, before its pod is made (client/launch.ts prestartSandbox).
// A detached pod and its restore run from the snapshot, a restore from it reads what the image holds (its
// modules from the snapshot's heap, zstd's wasm build loaded when first used); a sandbox started early
// whose restore fails first ends, leaving no process and no log.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  const log = readFileSync(join(w.root, 'pods', 'back', 'sandbox.log'), 'utf8');
  assert.doesNotMatch(log, /Warning/, 'no warning in the sandbox log');
  assert.match(log, /^sandbox started early: ready at \d+ ms, given pod back at \d+ ms$/m, 'the restore started its sandbox before it made the pod');
});

test('a sandbox started early for a restore that fails ends, and leaves no log', async (t) => {
  const w = workspace('snapshot', t);
  const r = await w.amber(['restore', '--image-path', w.path('no-such-image'), '--detach', '--name', 'never']);
  assert.equal(r.code, 1, r.stderr);
  const starting = join(w.root, 'starting');
  await until('the early sandbox removed its log', () => !existsSync(starting) || readdirSync(starting).length === 0);
  await until('no sandbox of this root is left', () => !readdirSync('/proc').some((p) => /^\d+$/.test(p) && cmdline(p).includes(w.root)));
  assert.equal(existsSync(join(w.root, 'pods', 'never')), false);
});

function cmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
