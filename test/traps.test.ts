// End to end: a container that traps in a detached pod tells why — its reason in the pod's record
// (`amber state`, while the pod runs on and after it stopped), as a line in the container's log after what
// it wrote (`amber logs`), and in the sandbox's own log — not only exit code 134. And a guest never dies
// of native stack where node:wasi would not: guests/deep recurses deeper than node's default stack
// allows, and runs in a pod, foreground and detached (host/gueststack.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { guest, repo, runScript } from './testing/amber.js';
import { manifest } from './testing/manifests.js';
import { until } from './testing/wait.js';
import { withWorkspace } from './testing/workspace.js';

interface State {
  status: string;
  containers: Array<{ name: string; exitCode: number | null; trap?: string }>;
}

describe('traps', { concurrency: true }, () => {
  test('a detached pod whose container traps: the reason in state, logs and sandbox.log', () =>
    withWorkspace(async (s) => {
      const pod = manifest(s.dir, 'pod.yaml', 'ignored', [
        { name: 'bad', guest: 'trap', args: [] },
        { name: 'on', guest: 'e2e_counter', args: ['--ticks', '1000000', '--every-ms', '20'] },
      ], []);
      await s.ok(['pod', 'run', pod, '--detach', '--name', 'trapped']);
      let st: State = { status: '', containers: [] };
      await until('the trap to be recorded', async () => {
        st = await s.json<State>(['state', 'trapped']);
        return st.containers.some((c) => c.trap !== undefined);
      });
      assert.equal(st.status, 'running', 'the other container runs on');
      const bad = st.containers.find((c) => c.name === 'bad');
      assert.equal(bad?.exitCode, 134);
      assert.match(bad?.trap ?? '', /^wasm trap: .*unreachable/);
      assert.equal(st.containers.find((c) => c.name === 'on')?.trap, undefined);

      const logs = (await s.ok(['logs', 'trapped', 'bad'])).stdout;
      assert.match(logs, /^before the trap\namber: container bad: wasm trap: .*unreachable.* \(exit 134\)\n$/);
      const sandboxLog = readFileSync(join(s.root, 'pods', 'trapped', 'sandbox.log'), 'utf8');
      assert.match(sandboxLog, /^container bad: wasm trap: .*unreachable.* \(exit 134\)$/m);

      await s.ok(['kill', 'trapped']);
      await until('the pod to stop', async () => (await s.json<State>(['state', 'trapped'])).status === 'stopped');
      const after = await s.json<State>(['state', 'trapped']);
      assert.deepEqual(after.containers.map((c) => [c.name, c.exitCode, c.trap !== undefined]), [['bad', 134, true], ['on', 143, false]]);
    }));

  // Deeper than node's default stack holds for this guest (node:wasi dies at about 2,500 levels here,
  // a pod on node's default stack at about 4,900), well inside what a pod is given (about 16,000).
  const DEPTH = '8000';

  test('a recursion node:wasi dies of runs in a pod, foreground and detached', () =>
    withWorkspace(async (s) => {
      const n = runScript(join(repo, 'scripts', 'run-wasi.mjs'), [guest('deep'), DEPTH]);
      assert.notEqual(n.code, 0, 'node:wasi on its default stack dies of it (else DEPTH proves nothing)');
      assert.match(n.stderr, /Maximum call stack size exceeded/);

      const pod = manifest(s.dir, 'pod.yaml', 'deep', [{ name: 'deep', guest: 'deep', args: [DEPTH] }], []);
      const fg = await s.amber(['pod', 'run', pod]);
      assert.equal(fg.code, 0, fg.stderr);
      assert.match(fg.stdout, new RegExp(`^deep \\| depth ${DEPTH} sum -?\\d+$`, 'm'));

      await s.ok(['pod', 'run', pod, '--detach', '--name', 'deep']);
      await until('the pod to end', async () => (await s.json<State>(['state', 'deep'])).status === 'stopped');
      const st = await s.json<State>(['state', 'deep']);
      assert.deepEqual(st.containers, [{ name: 'deep', exitCode: 0 }], JSON.stringify(st));
      assert.match((await s.ok(['logs', 'deep'])).stdout, new RegExp(`^depth ${DEPTH} sum -?\\d+$`, 'm'));
    }));
});
