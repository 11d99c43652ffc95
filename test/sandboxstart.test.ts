// How a pod's sandbox starts: from its V8 startup snapshot (sandbox/snapshot.ts, built by `npm run build`
// for this node), and, for a restore or a run, before its pod is made (client/launch.ts prestartSandbox).
// A detached pod and its restore run from the snapshot, a restore from it reads what the image holds (its
// modules from the snapshot's heap, zstd's wasm build loaded when first used); a sandbox started early
// whose restore fails first ends, leaving no process and no log. Through bin/amber (the command as
// installed), a detached restore's sandbox starts beside the command (sandbox/idbeside.ts); one that the
// command does not use (a failed restore, bad usage) ends too. Such a sandbox begins the restore while
// the command makes the pod (sandbox/restoreearly.ts): it carries that on only for a pod that restores
// the image as it is, and a damaged blob it read meanwhile fails the restore with one line naming it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { guest, repo, type RunResult } from './testing/amber.js';
import { blobs, fingerprint } from './testing/images.js';
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

/** `amber ARGS` as installed (bin/amber, the shell script), in root. */
function installed(root: string, args: string[]): RunResult {
  const r = spawnSync(join(repo, 'bin', 'amber'), ['--root', root, ...args], { encoding: 'utf8', input: '', cwd: repo, timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Waits until root's starting/ is empty and every sandbox started early for root is a pod's. */
async function noEarlySandbox(root: string, pods: string[]): Promise<void> {
  const starting = join(root, 'starting');
  await until('the early sandboxes removed their logs', () => !existsSync(starting) || readdirSync(starting).length === 0);
  const owned = new Set(pods.map((id) => String((JSON.parse(readFileSync(join(root, 'pods', id, 'record.json'), 'utf8')) as { sandboxPid: number }).sandboxPid)));
  await until('no early sandbox of this root is left', () => !readdirSync('/proc').some((p) => /^\d+$/.test(p) && !owned.has(p) && cmdline(p).includes(starting)));
}

test('bin/amber starts a detached restore\'s sandbox beside the command; one it does not use ends', async (t) => {
  const w = workspace('beside', t);
  const spec = w.path('pod.yaml');
  writeFileSync(spec, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mem' }, spec: { containers: [{ name: 'mem', image: guest('bench_mem'), args: ['8'] }] } }));
  await w.ok(['pod', 'run', '--detach', spec]); // makes the root's starting/, where bin/amber starts one
  let m: RegExpExecArray | null = null;
  await until('mem is ready', async () => (m = /^ready 8 sum=([0-9a-f]+)$/m.exec((await w.ok(['logs', 'mem'])).stdout)) !== null);
  const sum = m?.[1];
  const img = w.path('img');
  await w.ok(['checkpoint', 'mem', '--image-path', img]);
  const r = installed(w.root, ['restore', '--image-path', img, '--detach', '--name', 'back']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'back\n');
  assert.ok(sandboxArgs(w.root, 'back').some((a) => /^@\d+$/.test(a)), 'the sandbox was the one bin/amber started beside the command');
  const log = readFileSync(join(w.root, 'pods', 'back', 'sandbox.log'), 'utf8');
  assert.match(log, /^sandbox started early: ready at \d+ ms, given pod back at \d+ ms$/m);
  assert.match(log, /: begun before the pod was given \(.*\): carried on$/m, 'the sandbox began the restore before it was given its pod, and carried it on');
  let resumed: RegExpExecArray | null = null;
  await until('back resumed', async () => (resumed = /^resumed .* sum=([0-9a-f]+)$/m.exec((await w.ok(['logs', 'back'])).stdout)) !== null);
  assert.equal(resumed?.[1], sum, 'the restored memory is the checkpointed one');
  // The root named another way than the command names it (./ before a relative path): the command ends
  // the sandbox bin/amber started and starts its own.
  const other = installed(`./${relative(repo, w.root)}`, ['restore', '--image-path', img, '--detach', '--name', 'back2']);
  assert.equal(other.code, 0, other.stderr);
  assert.ok(!sandboxArgs(w.root, 'back2').some((a) => /^@\d+$/.test(a)), 'the command started a sandbox of its own');
  // A restore that fails (no such image), and bad usage: each ends the sandbox started for it, and makes no pod.
  const failed = installed(w.root, ['restore', '--image-path', w.path('no-such-image'), '--detach', '--name', 'never']);
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /^amber: .*no-such-image/m);
  const usage = installed(w.root, ['restore', '--image-path', img, '--import', img, '--detach']);
  assert.equal(usage.code, 2, usage.stderr);
  await noEarlySandbox(w.root, ['mem', 'back', 'back2']);
  assert.equal(existsSync(join(w.root, 'pods', 'never')), false);
  assert.deepEqual(readdirSync(join(w.root, 'pods')).sort(), ['back', 'back2', 'mem']);
});

test('a restore begun beside the command: a spec with other memory limits restores anew, a damaged memory blob fails it with one line', async (t) => {
  const w = workspace('beside-damage', t);
  const spec = w.path('pod.yaml');
  writeFileSync(spec, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mem' }, spec: { containers: [{ name: 'mem', image: guest('bench_mem'), args: ['8'] }] } }));
  await w.ok(['pod', 'run', '--detach', spec]);
  let m: RegExpExecArray | null = null;
  await until('mem is ready', async () => (m = /^ready 8 sum=([0-9a-f]+)$/m.exec((await w.ok(['logs', 'mem'])).stdout)) !== null);
  const sum = m?.[1];
  const img = w.path('img');
  await w.ok(['checkpoint', 'mem', '--image-path', img]);
  // The same spec given: the modules the sandbox compiled fit it, and it carries on. One with a memory
  // limit needs them compiled with that maximum: it restores anew, and right.
  const same = installed(w.root, ['restore', '--image-path', img, '--spec', spec, '--detach', '--name', 'same']);
  assert.equal(same.code, 0, same.stderr);
  assert.match(readFileSync(join(w.root, 'pods', 'same', 'sandbox.log'), 'utf8'), /: begun before the pod was given \(.*\): carried on$/m);
  const limited = w.path('limited.yaml');
  writeFileSync(limited, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mem' }, spec: { containers: [{ name: 'mem', image: guest('bench_mem'), args: ['8'], resources: { limits: { memory: '64Mi' } } }] } }));
  const respec = installed(w.root, ['restore', '--image-path', img, '--spec', limited, '--detach', '--name', 'respec']);
  assert.equal(respec.code, 0, respec.stderr);
  assert.match(readFileSync(join(w.root, 'pods', 'respec', 'sandbox.log'), 'utf8'), /: begun before the pod was given \(.*\): not for this launch, begun again$/m);
  for (const id of ['same', 'respec']) {
    let resumed: RegExpExecArray | null = null;
    await until(`${id} resumed`, async () => (resumed = /^resumed .* sum=([0-9a-f]+)$/m.exec((await w.ok(['logs', id])).stdout)) !== null);
    assert.equal(resumed?.[1], sum, `${id}: the restored memory is the checkpointed one`);
  }
  // One byte flipped in the largest blob (memory): the sandbox reads it before it is given its pod.
  const [hex, path] = blobs(img)[0] ?? ['', ''];
  const bytes = readFileSync(path);
  bytes.writeUInt8((bytes.readUInt8(bytes.length >> 1) ^ 0x40), bytes.length >> 1);
  writeFileSync(path, bytes);
  const before = fingerprint(img);
  const r = installed(w.root, ['restore', '--image-path', img, '--detach', '--name', 'never']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr.trim(), new RegExp(`^amber: .*blob sha256:${hex}.*content does not match its digest \\(damaged image\\)$`));
  assert.deepEqual(fingerprint(img), before, 'the restore changed nothing in the image');
  await noEarlySandbox(w.root, ['mem', 'same', 'respec']);
  assert.equal(existsSync(join(w.root, 'pods', 'never')), false);
});
