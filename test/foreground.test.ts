// A pod in the foreground is a pod like any other, as `runc run` is: `amber pod run` without --detach
// registers it in the state root, so list, state, logs, exec and checkpoint reach it from another
// terminal while its output goes to this one; Ctrl-C (SIGINT) ends it with 130 and its record goes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { amberBin, guest, repo } from './testing/amber.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

/** `amber pod run MANIFEST` in the foreground, its stdin a pipe; out() is its stdout and stderr so far. */
function runForeground(root: string, manifest: string) {
  const child = spawn(process.execPath, [amberBin, '--root', root, 'pod', 'run', manifest], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, exited, out: () => out };
}

test('a foreground pod is seen by list, state, logs, exec and checkpoint; Ctrl-C ends it', async (t) => {
  const w = workspace('foreground', t);
  const manifest = w.path('pod.yaml');
  writeFileSync(manifest, `apiVersion: v1
kind: Pod
metadata: {name: fg1}
spec:
  containers:
  - name: t
    image: ${guest('ticker')}
    args: ["--to", "100000", "--every-ms", "20"]
`);
  const { child, exited, out } = runForeground(w.root, manifest);
  try {
    await until('the foreground pod in list', async () => (await w.amber(['list', '--json'])).stdout.includes('"fg1"'));
    // Listed from its record's creation on ('created' while its modules compile), then running.
    let state = await w.json<{ status: string; pid: number }>(['state', 'fg1']);
    assert.ok(state.status === 'created' || state.status === 'running', `a starting pod is created or running: ${state.status}`);
    await until('the foreground pod running', async () => (state = await w.json<{ status: string; pid: number }>(['state', 'fg1'])).status === 'running');
    // The pid is the process that runs the pod: this command, or the one it re-executed with the guests' stack.
    assert.ok(state.pid > 0 && (state.pid === child.pid || process.kill(state.pid, 0)), `state names a live process: ${state.pid}`);
    await until('tick 3 in amber logs', async () => (await w.amber(['logs', 'fg1', 't'])).stdout.includes('tick 3\n'));
    assert.match(out(), /^t \| tick 1\n/, 'its output still goes to its own terminal');
    const ex = await w.ok(['exec', 'fg1', 't', '--', guest('hello'), 'x']);
    assert.match(ex.stdout, /^hello, world\nargv\[1\] = x\n/);
    await w.ok(['checkpoint', 'fg1', '--image-path', w.path('img'), '--leave-running']);
    assert.ok(existsSync(join(w.path('img'), 'index.json')), 'the checkpoint wrote an image');
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 130, `Ctrl-C ends the pod with 130: ${out().slice(-500)}`);
  assert.ok(!existsSync(join(w.root, 'pods', 'fg1')), 'the record goes with the run');
});

test("a foreground pod of one container reads this command's stdin, in pieces as they come, to its end", async (t) => {
  const w = workspace('foreground-stdin', t);
  const manifest = w.path('pod.yaml');
  writeFileSync(manifest, `apiVersion: v1
kind: Pod
metadata: {name: fgcat}
spec:
  containers:
  - name: c
    image: ${guest('cat')}
`);
  const { child, exited, out } = runForeground(w.root, manifest);
  try {
    child.stdin.write('first\n');
    await until('the first line echoed', async () => out().includes('c | first\n'));
    child.stdin.end('second\n');
  } finally {
    setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
  }
  assert.equal(await exited, 0, `cat ends at the end of its input: ${out().slice(-500)}`);
  assert.equal(out(), 'c | first\nc | second\n');
});
