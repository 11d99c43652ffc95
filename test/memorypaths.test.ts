// End to end, the ways a program's memory goes into and out of an image (issue 9 point 4): a first
// --leave-running checkpoint, with the sandbox's helper thread (host/cutthread.ts) or without, the next
// one cut incrementally against the memory the first kept, and restores that read memory on the
// sandbox's I/O threads (image/reader.ts fill) while it hashes it, each program resuming with the memory
// it had.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { guest } from './testing/amber.js';
import { until } from './testing/wait.js';
import { workspace, type Workspace } from './testing/workspace.js';

/** Restores image as name; the sum its program resumes with, and its sandbox.log. */
async function restored(w: Workspace, image: string, name: string): Promise<{ sum: string; log: string }> {
  await w.ok(['restore', '--image-path', image, '--detach', '--name', name]);
  let sum = '';
  await until(`${name} resumes`, async () => {
    sum = /^resumed .* sum=([0-9a-f]+)$/m.exec((await w.ok(['logs', name])).stdout)?.[1] ?? '';
    return sum !== '';
  });
  return { sum, log: readFileSync(join(w.root, 'pods', name, 'sandbox.log'), 'utf8') };
}

/** Runs pod mem (24 MiB filled, then parked) with AMBER_CUT_THREAD=thread (the sandbox decides on its
 *  helper thread by it, as its pod run gave it); the sum of its memory once filled. */
async function filledPod(w: Workspace, thread: '0' | '1', track = false): Promise<string> {
  const spec = w.path('pod.yaml');
  writeFileSync(spec, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mem' }, spec: { containers: [{ name: 'mem', image: guest('bench_mem'), args: ['24'] }] } }));
  await w.ok(['pod', 'run', '--detach', ...(track ? ['--track-writes'] : []), spec], { env: { ...process.env, AMBER_CUT_THREAD: thread } });
  let sum = '';
  await until('memory filled', async () => {
    sum = /^ready 24 sum=([0-9a-f]+)$/m.exec((await w.ok(['logs', 'mem'])).stdout)?.[1] ?? '';
    return sum !== '';
  });
  return sum;
}

test('a first cut, an incremental one after it; each restored', async (t) => {
  const w = workspace('memorypaths', t);
  const sum = await filledPod(w, '1');
  const first = w.path('img1');
  const second = w.path('img2');
  await w.ok(['checkpoint', 'mem', '--image-path', first, '--leave-running']);
  await w.ok(['checkpoint', 'mem', '--image-path', second, '--leave-running']);
  const sandboxLog = readFileSync(join(w.root, 'pods', 'mem', 'sandbox.log'), 'utf8');
  assert.match(sandboxLog, /img1: .* written in \d+ ms, with a helper thread/);
  assert.doesNotMatch(sandboxLog, /kept by the sandbox/, 'an untracked pod\'s sandbox kept a helper thread');
  // The second compared memory with the first's: only the part the parked program touches is new.
  const inc = /img2: \d+ bytes, (\d+) written, (\d+) linked, (\d+) memory parts changed/.exec(sandboxLog);
  assert.ok(inc !== null, sandboxLog);
  assert.ok(Number(inc[3]) <= 1 && Number(inc[2]) >= 24 << 20, `the second cut was not incremental: ${inc[0]}`);

  for (const [image, tag] of [[first, 'a'], [second, 'b']] as const) {
    const r = await restored(w, image, tag);
    assert.match(r.log, /pod rebuilt \(image read and verified\) in \d+ ms/);
    assert.equal(r.sum, sum);
  }
});

test('a write-tracked pod\'s sandbox keeps a helper thread for its checkpoints, started once the pod runs', async (t) => {
  const w = workspace('memorypaths', t);
  const sum = await filledPod(w, '1', true);
  // No wait: the sandbox starts it as the pod is recorded running, so even a first cut right away has it.
  await w.ok(['checkpoint', 'mem', '--image-path', w.path('img1'), '--leave-running']);
  await w.ok(['checkpoint', 'mem', '--image-path', w.path('img2'), '--leave-running']);
  const sandboxLog = readFileSync(join(w.root, 'pods', 'mem', 'sandbox.log'), 'utf8');
  assert.match(sandboxLog, /img1: .*memory pre-copied.*, with a helper thread kept by the sandbox/);
  assert.equal((await restored(w, w.path('img2'), 'b')).sum, sum);
});

test('a first cut without the helper thread restores the same memory', async (t) => {
  const w = workspace('memorypaths-plain', t);
  const sum = await filledPod(w, '0');
  const image = w.path('img');
  await w.ok(['checkpoint', 'mem', '--image-path', image, '--leave-running']);
  const sandboxLog = readFileSync(join(w.root, 'pods', 'mem', 'sandbox.log'), 'utf8');
  assert.match(sandboxLog, /img: .* written in \d+ ms\n/);
  assert.doesNotMatch(sandboxLog, /helper thread/);
  assert.equal((await restored(w, image, 'r')).sum, sum);
});
