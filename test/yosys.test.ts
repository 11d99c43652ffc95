// The big real program: yosys (YoWASP's WASI build, ~30 MB, from a pinned npm package; test/testing/yosys.ts)
// with its share/ tree mounted at /share. `amber do` synthesizes a counter to the cells node:wasi's run
// counts; a pod runs it through the client's transform (cold the first time this host sees the module)
// and again from the cache; and a pod synthesizing multipliers one after another is checkpointed
// mid-run and restored under another root, where it finishes every step once with the right cells.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { scratch } from '../src/host/testing/scratch.js';
import { amber, repo, runScript } from './testing/amber.js';
import { manifest } from './testing/manifests.js';
import { until } from './testing/wait.js';
import { withWorkspace } from './testing/workspace.js';
import { cellCounts, COUNTER_CELLS, COUNTER_V, design, lastCellTypes, multiplierV, yosysGuest, type Yosys } from './testing/yosys.js';

/**
 * yosys's transform on an empty cache (the first pod run on a host): ~7 min on an idle 2-core machine,
 * 23-33 min here under a load of 9-15; once cached, a pod run takes a minute.
 */
const COLD_MS = 2_400_000;
const SYNTH_COUNTER = 'read_verilog /work/counter.v; synth -top counter -noabc; stat';

/** The numbers of yosys's top-level log sections ("2. Executing SYNTH pass", "3. Printing statistics."), in order. */
function sections(log: string): number[] {
  return [...log.matchAll(/^(?:\S+ \| )?(\d+)\. \S/gm)].map((m) => Number(m[1]));
}

describe('yosys as a guest', () => {
  let y: Yosys = { wasm: '', share: '' };
  before(() => {
    y = yosysGuest();
  });

  test('amber do synthesizes a counter to the cells node:wasi counts', (t) => {
    const work = scratch('yosys', t);
    design(work, 'counter.v', COUNTER_V);
    const dirs = ['--dir', `${y.share}:/share`, '--dir', `${work}:/work`];
    const r = amber(['do', ...dirs, '--', y.wasm, '-p', SYNTH_COUNTER], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(cellCounts(r.stdout), [COUNTER_CELLS.total, COUNTER_CELLS.total]); // synth's own stat, then ours
    const { total: _, ...types } = COUNTER_CELLS;
    assert.deepEqual(lastCellTypes(r.stdout), types);
    const n = runScript(join(repo, 'scripts', 'run-wasi.mjs'), [...dirs, '--', y.wasm, '-p', SYNTH_COUNTER], { timeoutMs: 300_000 });
    assert.equal(n.code, 0, n.stderr);
    assert.deepEqual(lastCellTypes(n.stdout), lastCellTypes(r.stdout));
  });

  test('a pod runs it cold (transformed by the client) and warm, with the same cells', () =>
    withWorkspace(async (s) => {
      design(s.dir, 'counter.v', COUNTER_V);
      const volumes = [{ name: 'share', hostPath: { path: y.share } }, { name: 'work', hostPath: { path: s.dir } }];
      const mounts = [{ name: 'share', mountPath: '/share', readOnly: true }, { name: 'work', mountPath: '/work' }];
      const pod = manifest(s.dir, 'pod.yaml', 'yosys', [{ name: 'y', guest: 'yosys', image: y.wasm, args: ['-p', SYNTH_COUNTER], mounts }], volumes);
      for (const run of ['cold', 'warm']) {
        const r = await s.amber(['pod', 'run', pod], { timeoutMs: COLD_MS });
        assert.equal(r.code, 0, `${run}: ${r.stderr}`);
        assert.deepEqual(cellCounts(r.stdout), [COUNTER_CELLS.total, COUNTER_CELLS.total], run);
        assert.equal(lastCellTypes(r.stdout)['$_SDFF_PP0_'], 8, run);
      }
      assert.match((await s.ok(['prepare', y.wasm])).stdout, /already prepared/);
    }));

  test('checkpointed mid-run and restored elsewhere, it finishes every step once', () =>
    withWorkspace(async (s) => {
      const widths = [8, 10, 12, 14, 16];
      for (const w of widths) design(s.dir, `mul${w}.v`, multiplierV(w));
      const script = widths.map((w) => `design -reset; read_verilog /work/mul${w}.v; synth -top mul -noabc; stat`).join('; ');
      const volumes = [{ name: 'share', hostPath: { path: y.share } }, { name: 'work', hostPath: { path: s.dir } }];
      const mounts = [{ name: 'share', mountPath: '/share', readOnly: true }, { name: 'work', mountPath: '/work', readOnly: true }];
      const pod = manifest(s.dir, 'pod.yaml', 'ymid', [{ name: 'y', guest: 'yosys', image: y.wasm, args: ['-p', script], mounts }], volumes);
      await s.ok(['pod', 'run', pod, '--detach'], { timeoutMs: COLD_MS });
      await until('yosys to finish its first multiplier', async () => cellCounts((await s.ok(['logs', 'ymid', 'y'])).stdout).length >= 2, 300_000);
      const image = s.path('image');
      await s.ok(['checkpoint', 'ymid', '--image-path', image], { timeoutMs: 120_000 });
      const before = (await s.ok(['logs', 'ymid', 'y'])).stdout;
      // synth prints the statistics once itself, then stat: two per multiplier.
      assert.ok(cellCounts(before).length < 2 * widths.length, `the checkpoint came before the end (${cellCounts(before).length / 2} of ${widths.length} done)`);
      const other = s.path('other-root');
      await s.ok(['restore', '--image-path', image, '--detach'], { root: other, timeoutMs: COLD_MS });
      let after = '';
      await until('the restored yosys to finish', async () => {
        const st = await s.json<{ status: string }>(['state', 'ymid'], { root: other });
        return st.status === 'stopped';
      }, 600_000);
      after = (await s.ok(['logs', 'ymid', 'y'], { root: other })).stdout;
      const st = await s.json<{ containers: Array<{ exitCode: number | null }> }>(['state', 'ymid'], { root: other });
      assert.deepEqual(st.containers.map((c) => c.exitCode), [0]);
      // What it printed before the checkpoint and after the restore is node:wasi's output: every step once, in order.
      const want = runScript(join(repo, 'scripts', 'run-wasi.mjs'), ['--dir', `${y.share}:/share`, '--dir', `${s.dir}:/work`, '--', y.wasm, '-p', script], { timeoutMs: 600_000 });
      assert.equal(want.code, 0, want.stderr);
      assert.match(after, /End of script/);
      assert.deepEqual(sections(before + after), sections(want.stdout), 'every step once, in order');
      assert.deepEqual(cellCounts(before + after), cellCounts(want.stdout));
      assert.equal(cellCounts(want.stdout).length, 2 * widths.length);
    }));
});
