// End to end: the scheduler shares time by time, not by calls (issue 12 point 3). A container looping
// 1 MiB tmpfs writes (costly syscalls, little fuel spent) and one spinning in arithmetic (fuel checks
// only) run beside a 100 ms ticker in the same pod; over a few seconds past start-up the ticker must get
// most of the ticks it asks for (each tick is a line in `amber logs`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manifest } from './testing/manifests.js';
import { sleep, until } from './testing/wait.js';
import { withWorkspace } from './testing/workspace.js';

const EVERY_MS = 100;
const WINDOW_MS = 4000;

test('a busy writer and a spinner beside a 100 ms ticker: the ticker gets at least 70% of its ticks', (t) =>
  withWorkspace(async (s) => {
    const pod = manifest(s.dir, 'pod.yaml', 'fair', [
      { name: 'writer', guest: 'hostile', args: ['spinwrite', '/data/f'], mounts: [{ name: 'data', mountPath: '/data' }] },
      { name: 'spinner', guest: 'spin', args: ['lcg', '1000000000000000'] },
      { name: 'ticker', guest: 'ticker', args: ['--to', '1000000', '--every-ms', String(EVERY_MS)] },
    ], [{ name: 'data', emptyDir: {} }]);
    await s.ok(['pod', 'run', '--detach', pod]);
    const ticks = async (): Promise<number> => (await s.ok(['logs', 'fair', 'ticker'])).stdout.split('\n').filter((l) => /^tick \d+$/.test(l)).length;
    // Past start-up (its functions compile on their first call, inside its first slices).
    await until('the ticker is past its third tick', async () => (await ticks()) >= 3, 30_000);
    const n0 = await ticks();
    const t0 = performance.now();
    await sleep(WINDOW_MS);
    const n1 = await ticks();
    const elapsed = performance.now() - t0;
    // The window is measured around the two `amber logs`: a tick either side may fall outside it.
    const share = (n1 - n0 + 1) / (elapsed / EVERY_MS);
    t.diagnostic(`${n1 - n0} ticks of ${EVERY_MS} ms in ${elapsed.toFixed(0)} ms beside a writer and a spinner: ${(share * 100).toFixed(0)}% of the ticks asked for`);
    // Starved as before the scheduler shared time by time: 7 ticks in 10 s beside the writer alone.
    assert.ok(share >= 0.7, `the ticker got ${n1 - n0} ticks in ${elapsed.toFixed(0)} ms: ${(share * 100).toFixed(0)}% of its ticks`);
    const st = await s.json<{ status: string; containers: Array<{ name: string; exitCode: number | null }> }>(['state', 'fair']);
    assert.deepEqual(st.containers.map((c) => [c.name, c.exitCode]), [['writer', null], ['spinner', null], ['ticker', null]], 'all three run on');
    await s.ok(['delete', '--force', 'fair']);
  }));
