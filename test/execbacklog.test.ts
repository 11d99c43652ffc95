// End to end: a caller of `amber exec` that reads nothing holds the sandbox to a bounded backlog (issue 12
// point 3): the process in the pod waits for room and the sandbox does not grow by what it would write;
// once the caller is killed the exec ends and the pod, which counts on, checkpoints. (test/limits has
// the 64 MiB pipe and the killed caller.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { amberBin, guest, repo } from './testing/amber.js';
import { manifest } from './testing/manifests.js';
import { sleep, until } from './testing/wait.js';
import { withWorkspace } from './testing/workspace.js';

/** VmRSS of a live process, in bytes. */
function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m?.[1] !== undefined, `no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

test('a caller that reads nothing: the sandbox holds a bounded backlog, and the killed caller\'s exec ends', (t) =>
  withWorkspace(async (w) => {
    const pod = manifest(w.dir, 'pod.yaml', 'ex', [{ name: 't', guest: 'ticker', args: ['--to', '1000000', '--every-ms', '50'] }], []);
    await w.ok(['pod', 'run', '--detach', pod]);
    const ticks = async (): Promise<number> => (await w.ok(['logs', 'ex', 't'])).stdout.split('\n').filter((l) => /^tick \d+$/.test(l)).length;
    const { pid } = await w.json<{ pid: number }>(['state', 'ex']);
    const before = rss(pid);
    // 100 GiB asked for, its stdout a pipe read once and then never: the command stops reading the
    // sandbox, and the process in the pod waits for room.
    const cli = spawn(process.execPath, [amberBin, '--root', w.root, 'exec', 'ex', 't', '--', guest('hostile'), 'out', '102400'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((res) => cli.on('close', () => res()));
    try {
      let first = false;
      cli.stdout.once('data', () => {
        first = true;
        cli.stdout.pause();
      });
      await until('the exec\'s first output', () => first, 60_000);
      await sleep(3000);
      const grew = rss(pid) - before;
      t.diagnostic(`the sandbox grew by ${(grew / 2 ** 20).toFixed(1)} MiB in 3 s of a caller that reads nothing`);
      assert.ok(grew < 128 << 20, `the sandbox grew by ${(grew / 2 ** 20).toFixed(0)} MiB with a caller that reads nothing`);
      assert.equal((await w.amber(['checkpoint', 'ex', '--image-path', w.path('img0'), '--leave-running'])).code, 1, 'the exec is still there, waiting');
    } finally {
      cli.kill('SIGKILL');
    }
    await exited;
    const n = await ticks();
    await until('a checkpoint once the exec\'s caller is gone', async () => (await w.amber(['checkpoint', 'ex', '--image-path', w.path('img'), '--leave-running'])).code === 0, 30_000);
    await until('the ticker counting on', async () => (await ticks()) > n + 2, 20_000);
    await w.ok(['delete', '--force', 'ex']);
  }));
