import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guestBytes, watBytes as wat } from '../testing/fixture.js';
import { transformModuleWithReport } from '../transform.js';
import { analyse, canonicalTypes } from './analysis.js';
import { scanBody } from './body.js';
import { readModule } from './module.js';
import type { BodyScan } from './types.js';

const scan = (callees: number[], indirectTypes: number[] = [], loops = 0): BodyScan => ({ callees, indirectTypes, loops });

// Functions: 0 fd_write (suspending), 1 env.log (not); defined 2..7.
const MODULE = wat(`(module
  (type $i (func (param i32) (result i32)))
  (type $v (func))
  (type $i2 (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "env" "log" (func $log))
  (table 2 funcref)
  (elem (i32.const 0) $writes $pure)
  (func $writes (type $i) (drop (call $w (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))) (local.get 0))
  (func $pure (type $i2) (local.get 0))
  (func $viaTable (call_indirect (type $i2) (i32.const 1) (i32.const 0)) (drop))
  (func $logs (call $log))
  (func $recursive (call $recursive))
  (func $top (call $viaTable) (call $logs)))`);

test('a function can unwind through a suspending import, a caller of one, or a call_indirect of a signature a table function that can unwind has', () => {
  const info = readModule(MODULE);
  const scans = [scan([0]), scan([]), scan([], [0]), scan([1]), scan([6]), scan([4, 5])];
  const a = analyse(info, scans, { fuel: false });
  assert.deepEqual([...a.canUnwind], [1, 0, 1, 0, 1, 0, 0, 1]);
  // Binaryen wrote $i and $i2 as one type, 0; fd_write's is 2.
  assert.deepEqual(info.ctx.funcTypes, [2, 1, 0, 0, 1, 1, 1, 1]);
  assert.equal(a.indirectUnwinds(0), true);
  assert.equal(a.indirectUnwinds(1), false);
  assert.equal(a.indirectUnwinds(2), false);
  assert.equal(a.indirectCallers, 1);
  assert.deepEqual(a.cuts, new Set());
});

test('with fuel, a recursion is cut at one entry and a function with a loop or a cut can unwind, as can its callers', () => {
  const info = readModule(MODULE);
  const scans = [scan([0]), scan([]), scan([], [0]), scan([1], [], 1), scan([6]), scan([4, 5])];
  const a = analyse(info, scans, { fuel: true });
  assert.deepEqual(a.cuts, new Set([6]));
  assert.deepEqual([...a.canUnwind], [1, 0, 1, 0, 1, 1, 1, 1]);
});

test("a recursion through a call inside a loop is cut by the loop's check: no entry check (when the scan tells calls outside loops)", () => {
  const info = readModule(MODULE);
  // $recursive (6) calls itself from inside a loop only; $viaTable (4) reaches $writes through the table outside loops.
  const outside = (callees: number[], types: number[]) => ({ calleesOutsideLoops: callees, indirectTypesOutsideLoops: types });
  const scans = [scan([0]), scan([]), { ...scan([], [0]), ...outside([], [0]) }, scan([1]), { ...scan([6], [], 1), ...outside([], []) }, scan([4, 5])];
  const a = analyse(info, scans, { fuel: true });
  assert.deepEqual(a.cuts, new Set());
  assert.deepEqual([...a.canUnwind], [1, 0, 1, 0, 1, 0, 1, 1]);
});

test('when a table is imported every call_indirect can unwind', () => {
  const info = readModule(wat(`(module (import "env" "t" (table 1 funcref)) (type $v (func))
    (func $a (call_indirect (type $v) (i32.const 0))) (func $b))`));
  const a = analyse(info, [scan([], [0]), scan([])], { fuel: false });
  assert.deepEqual([...a.canUnwind], [1, 0]);
  assert.equal(a.indirectCallers, null);
  assert.equal(a.indirectUnwinds(0), true);
});

test('types with the same signature share a canonical index', () => {
  assert.deepEqual([...canonicalTypes([{ params: [0x7f], results: [] }, { params: [], results: [] }, { params: [0x7f], results: [] }])], [0, 1, 0]);
});

test("on guests it finds Binaryen's indirect callers and loops, and cuts every recursion at least where Binaryen's does", () => {
  for (const g of ['spin', 'syscalls']) {
    const bytes = guestBytes(g);
    const info = readModule(bytes);
    const scans = info.bodies.map(([s, e]) => scanBody(info.ctx, bytes.subarray(s, e)));
    const a = analyse(info, scans, { fuel: true });
    const binaryen = transformModuleWithReport(bytes, { checkShortLoops: true }).report;
    assert.equal(a.indirectCallers, binaryen.indirectCallers, g);
    assert.equal(scans.reduce((n, s) => n + s.loops, 0), binaryen.loops, g);
    // The same graph (calls outside loops, table functions by signature), walked in another order.
    assert.ok(Math.abs(a.cuts.size - binaryen.entries) <= 1, `${g}: ${a.cuts.size} cuts, Binaryen ${binaryen.entries}`);
  }
});
