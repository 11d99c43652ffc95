import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transformLean } from './lean.js';
import { runReference, runUnwinding } from './testing/driver.js';
import { parseModule } from './testing/wasmfile.js';
import { watBytes as wat } from '../testing/fixture.js';

// $leaf is in the table and called directly; $rec recurses (a cut: a fuel check at entry), has values
// below its calls, a loop with a call_indirect into the table, and is exported; $main is exported and
// calls both. Every function can unwind (the import suspends), so every one gets a rewind clone.
const MODULE = `(module
  (type $ii (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "imp" (func $imp (param i32) (result i32)))
  (memory (export "memory") 1)
  (table 2 funcref)
  (elem (i32.const 0) $leaf $twice)
  (func $leaf (param $x i32) (result i32) (i32.add (call $imp (local.get $x)) (i32.const 1)))
  (func $twice (param $x i32) (result i32) (i32.mul (call $leaf (local.get $x)) (i32.const 2)))
  (func $rec (export "rec") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 1))
      (then (call $leaf (local.get $n)))
      (else
        (loop $l
          (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 3))
            (call_indirect (type $ii) (i32.add (local.get $i) (local.get $n)) (i32.and (local.get $i) (i32.const 1)))))
          (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 3))))
        (i32.sub (i32.mul (local.get $acc) (i32.const 5)) (call $rec (i32.sub (local.get $n) (i32.const 1)))))))
  (func $inner (param $n i32) (result i32) (i32.add (i32.const 11) (call $rec (local.get $n))))
  (func $main (export "main") (param $n i32) (result i32)
    (i32.add (call $inner (local.get $n)) (i32.mul (call $leaf (i32.const 5)) (call $twice (local.get $n)))))
)`;

const opts = { importModule: 'wasi_snapshot_preview1' };

test('rewind clones: a rewind entering through an export, a call_indirect and a recursion rewinds to the same call and finishes as the plain run', () => {
  const bytes = wat(MODULE);
  const ref = runReference(new WebAssembly.Module(bytes), 'main', 4, opts);
  for (const [max, exceptions] of [[Infinity, true], [0, true], [40, true], [Infinity, false], [0, false], [40, false]] as const) {
    // All cloned, none (the full shape alone), and a mix (the small ones cloned, $rec and $main not);
    // an unwind by exception (a module this small) and by state checks (as a big one).
    const out = transformLean(bytes, {}, undefined, { cloneMaxBytes: max, exceptionUnwindMaxBytes: exceptions ? Infinity : 0 }).bytes;
    assert.ok(WebAssembly.validate(out), `clones up to ${max} bytes`);
    const m = new WebAssembly.Module(out);
    for (const fuel of [undefined, 1, 2, 3]) {
      for (const entry of ['main', 'rec']) {
        const want = entry === 'main' ? ref : runReference(new WebAssembly.Module(bytes), 'rec', 4, opts);
        const run = runUnwinding(m, entry, 4, { ...opts, ...(fuel === undefined ? {} : { fuel }) });
        assert.equal(run.result, want.result, `${entry}, fuel ${fuel}, clones up to ${max}, exceptions ${exceptions}`);
        assert.deepEqual(run.calls, want.calls);
        assert.equal(run.unwinds, want.calls.length + run.preempts);
        if (fuel === 1) assert.ok(run.preempts > 10, `${run.preempts} preemptions`);
      }
    }
  }
});

test("rewind clones: every function that can unwind gets one, after the runtime's; exports get wrappers; only a table's function checks the state at entry", () => {
  const bytes = wat(MODULE);
  const out = transformLean(bytes).bytes;
  const { imports, bodies } = parseModule(out);
  // imp, the added amber.preempt; 5 defined; the 5 asyncify_* functions; a clone of each defined one;
  // a wrapper of each export that can unwind ($rec, $main); then the frame helpers, a save and a load for
  // each list of frame value types.
  assert.equal(imports, 2);
  assert.ok(bodies.length > 5 + 5 + 5 + 2 && (bodies.length - 17) % 2 === 0, `${bodies.length} bodies`);
  const state = parseModule(bytes).ctx.globalTypes.length; // the first global the transform adds
  // global.get $state; i32.const 2; i32.eq: the entry check of a normal body a rewind enters from outside.
  const checksAtEntry = (b: Uint8Array): boolean => {
    const at = readLocalsEnd(b);
    return b[at] === 0x23 && b[at + 1] === state && b[at + 2] === 0x41 && b[at + 3] === 2 && b[at + 4] === 0x46;
  };
  const [leaf, twice, rec, inner, main] = [0, 1, 2, 3, 4];
  for (const f of [leaf, twice]) assert.ok(checksAtEntry(bodies[f]!), `function ${f} is in the table`);
  for (const f of [rec, inner, main]) assert.ok(!checksAtEntry(bodies[f]!), `function ${f} has no entry check`);
  for (const f of [leaf, twice, rec, inner, main]) {
    assert.ok(bodies[f + 10]!.length > bodies[f]!.length, `function ${f}'s clone has the prologue and the dispatch`);
  }
  // The exports point at the wrappers, which catch the unwind tag (0x07 0x00: catch 0).
  const exported = WebAssembly.Module.exports(new WebAssembly.Module(out)).map((e) => e.name);
  assert.ok(exported.includes('main') && exported.includes('rec'));
  for (const w of [15, 16]) assert.ok(bodies[w]!.includes(0x07), `wrapper ${w} catches`);
});

/** Where a body's expression starts (after its locals vector). */
function readLocalsEnd(b: Uint8Array): number {
  let p = 0;
  const leb = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const x = b[p++]!;
      v += (x & 0x7f) * 2 ** shift;
      if ((x & 0x80) === 0) return v;
    }
  };
  for (let n = leb(); n > 0; n--) {
    leb();
    p++;
  }
  return p;
}
