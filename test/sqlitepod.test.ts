// End to end: SQLite (a real program of ~1.1 MB nobody here wrote; test/testing/sqlite.ts) in pods: a
// foreground run (its module transformed once, by the client, before the pod starts), and a detached run
// checkpointed mid-way through its transactions and restored under another root, which finishes them
// with the right rows and sum: each transaction exactly once.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { manifest } from './testing/manifests.js';
import { sqliteGuest } from './testing/sqlite.js';
import { until } from './testing/wait.js';
import { withWorkspace } from './testing/workspace.js';

/** The transaction counts the driver printed (--progress): "tx 300". */
function txs(logs: string): number[] {
  return [...logs.matchAll(/^tx (\d+)$/gm)].map((m) => Number(m[1]));
}

/** A cold transform of SQLite takes seconds to minutes on a loaded 2-core machine. */
const COLD_MS = 600_000;

describe('SQLite in pods', () => {
  let wasm = '';
  before(() => {
    wasm = sqliteGuest();
  });

  test('runs in the foreground and gives the rows amber do gives', () =>
    withWorkspace(async (s) => {
      const pod = manifest(s.dir, 'pod.yaml', 'sq', [{ name: 'sq', guest: 'sqlite', image: wasm, args: ['/tmp', '30'] }], []);
      const r = await s.amber(['pod', 'run', pod], { timeoutMs: COLD_MS });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^sq \| rows 30 sum 465$/m);
    }));

  test('checkpointed mid-run and restored elsewhere, it finishes every transaction once', () =>
    withWorkspace(async (s) => {
      const n = 100_000;
      const pod = manifest(s.dir, 'pod.yaml', 'sqmid', [{ name: 'sq', guest: 'sqlite', image: wasm, args: ['/tmp', String(n), '--progress', '1000'] }], []);
      await s.ok(['pod', 'run', pod, '--detach'], { timeoutMs: COLD_MS });
      await until('SQLite to pass 2000 transactions', async () => {
        const logs = (await s.ok(['logs', 'sqmid', 'sq'])).stdout;
        return (txs(logs).at(-1) ?? 0) >= 2000;
      }, 120_000);
      const image = s.path('image');
      await s.ok(['checkpoint', 'sqmid', '--image-path', image], { timeoutMs: 120_000 });
      const before = txs((await s.ok(['logs', 'sqmid', 'sq'])).stdout);
      assert.ok((before.at(-1) ?? n) < n, 'the checkpoint came before the end');
      const other = s.path('other-root');
      await s.ok(['restore', '--image-path', image, '--detach'], { root: other, timeoutMs: COLD_MS });
      let logs = '';
      await until('the restored SQLite to finish', async () => {
        logs = (await s.ok(['logs', 'sqmid', 'sq'], { root: other })).stdout;
        return /^rows /m.test(logs);
      }, 300_000);
      assert.match(logs, new RegExp(`^rows ${n} sum ${(n * (n + 1)) / 2}$`, 'm'));
      const after = txs(logs);
      assert.deepEqual(after, after.filter((t, i) => i === 0 || t > after[i - 1]!), 'no transaction counted twice');
      assert.equal(after.at(-1), n);
    }));
});
