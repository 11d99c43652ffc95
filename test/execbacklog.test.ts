// End to end: a caller of `amber exec` that reads nothing holds the sandbox to a bounded backlog (issue 12
// point 3): the process in the pod waits for room and the sandbox does not grow by what it would write;
// once the caller is killed the exec ends and the pod, which counts on, checkpoints. (test/limits has
// the 64 MiB pipe and the killed caller.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guest } from './testing/amber.js';
import { stallCaller } from './testing/backlog.js';
import { manifest } from './testing/manifests.js';
import { until } from './testing/wait.js';
import { withWorkspace } from './testing/workspace.js';

test('a caller that reads nothing: the sandbox holds a bounded backlog, and the killed caller\'s exec ends', (t) =>
  withWorkspace(async (w) => {
    const pod = manifest(w.dir, 'pod.yaml', 'ex', [{ name: 't', guest: 'ticker', args: ['--to', '1000000', '--every-ms', '50'] }], []);
    await w.ok(['pod', 'run', '--detach', pod]);
    const ticks = async (): Promise<number> => (await w.ok(['logs', 'ex', 't'])).stdout.split('\n').filter((l) => /^tick \d+$/.test(l)).length;
    const { pid } = await w.json<{ pid: number }>(['state', 'ex']);
    // 100 GiB asked for, its stdout a pipe read once and then never: the command stops reading the
    // sandbox, and the process in the pod waits for room.
    await stallCaller(t, {
      root: w.root,
      args: ['exec', 'ex', 't', '--', guest('hostile'), 'out', '102400'],
      sandbox: pid,
      whileStalled: async () => {
        assert.equal((await w.amber(['checkpoint', 'ex', '--image-path', w.path('img0'), '--leave-running'])).code, 1, 'the exec is still there, waiting');
      },
    });
    const n = await ticks();
    await until('a checkpoint once the exec\'s caller is gone', async () => (await w.amber(['checkpoint', 'ex', '--image-path', w.path('img'), '--leave-running'])).code === 0, 30_000);
    await until('the ticker counting on', async () => (await ticks()) > n + 2, 20_000);
    await w.ok(['delete', '--force', 'ex']);
  }));
