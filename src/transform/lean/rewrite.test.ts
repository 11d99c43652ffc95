import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { guestFiles } from '../testing/guestfiles.js';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { rewriteBody, scanBody } from './body.js';
import { runReference, runUnwinding } from './testing/driver.js';
import { parseModule, replaceBodies } from './testing/wasmfile.js';
import type { RewritePlan } from './types.js';
import { watBytes as wat } from '../testing/fixture.js';

// Imports: 0 env.imp (suspending), 1 amber.preempt. Globals: 0 state, 1 data, 2 fuel.
const RUNTIME = `
  (type $ii (func (param i32) (result i32)))
  (import "env" "imp" (func $imp (param i32) (result i32)))
  (import "amber" "preempt" (func $preempt))
  (memory (export "memory") 1)
  (global $state (mut i32) (i32.const 0))
  (global $data (mut i32) (i32.const 0))
  (global $fuel (export "fuel") (mut i32) (i32.const 0))
  (func (export "asyncify_start_unwind") (param i32) (global.set $state (i32.const 1)) (global.set $data (local.get 0)))
  (func (export "asyncify_stop_unwind") (global.set $state (i32.const 0)))
  (func (export "asyncify_start_rewind") (param i32) (global.set $state (i32.const 2)) (global.set $data (local.get 0)))
  (func (export "asyncify_stop_rewind") (global.set $state (i32.const 0)))
  (func (export "asyncify_get_state") (result i32) (global.get $state))
`;
const RUNTIME_FUNCS = 5;

const NESTED = `(module ${RUNTIME}
  (table 2 funcref)
  (elem (i32.const 0) $f $g)
  ;; a loop whose every iteration calls the import under an if, with a value below the call
  (func $f (export "f") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (local.set $acc (i32.const 7))
    (block $out
      (loop $l
        (br_if $out (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $acc
          (i32.add (i32.mul (local.get $acc) (i32.const 3))
            (if (result i32) (i32.and (local.get $i) (i32.const 1))
              (then (call $imp (i32.add (local.get $i) (i32.const 100))))
              (else (block $b (result i32) (i32.sub (i32.const 5) (call $imp (local.get $i))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  ;; recursion, f64 and i64 values below calls, call_indirect
  (func $g (export "g") (param $n i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
      (then (call $imp (local.get $n)))
      (else
        (i32.trunc_f64_s
          (f64.add
            (f64.convert_i32_s (call $g (i32.sub (local.get $n) (i32.const 1))))
            (f64.convert_i64_s (i64.add (i64.const 3)
              (i64.extend_i32_s (call_indirect (type $ii) (i32.sub (local.get $n) (i32.const 2)) (i32.const 0))))))))))
  ;; br_table into arms that unwind, and a call after the blocks
  (func $h (export "h") (param $n i32) (result i32) (local $r i32)
    (block $c
      (block $b
        (block $a
          (br_table $a $b $c (i32.rem_u (local.get $n) (i32.const 3))))
        (local.set $r (i32.add (i32.const 1) (call $imp (local.get $n))))
        (br $c))
      (local.set $r (i32.mul (i32.const 2) (call $g (local.get $n)))))
    (i32.add (local.get $r) (call $f (i32.const 3))))
  (func $main (export "main") (param $n i32) (result i32)
    (i32.add (call $h (local.get $n))
      (i32.sub (call $h (i32.add (local.get $n) (i32.const 1))) (call $h (i32.add (local.get $n) (i32.const 2))))))
)`;

/** Every defined function but the runtime's can unwind; $g (recursive) gets a fuel check at entry. */
function planFor(bytes: Uint8Array, fuel: boolean): (fn: number) => RewritePlan {
  const { imports } = parseModule(bytes);
  return (fn) => {
    const runtime = fn < imports + RUNTIME_FUNCS;
    return {
      func: (x) => x,
      callUnwinds: (x) => x < imports || x >= imports + RUNTIME_FUNCS,
      indirectUnwinds: () => true,
      fuelAtLoops: fuel && !runtime,
      fuelAtEntry: fuel && fn === imports + RUNTIME_FUNCS + 1,
      state: 0,
      data: 1,
      fuel: 2,
      preempt: 1,
    };
  };
}

function instrument(bytes: Uint8Array<ArrayBuffer>, fuel: boolean): WebAssembly.Module {
  const { ctx, imports, bodies } = parseModule(bytes);
  const plan = planFor(bytes, fuel);
  const out = replaceBodies(bytes, bodies.map((b, i) => rewriteBody(ctx, imports + i, b, plan(imports + i))));
  assert.ok(WebAssembly.validate(out), 'the rewritten module validates');
  return new WebAssembly.Module(out);
}

test('a function unwound at an import inside nested block/loop/if, values below the call, rewinds to the same call and finishes', () => {
  const bytes = wat(NESTED);
  const ref = new WebAssembly.Module(bytes);
  const lean = instrument(bytes, false);
  for (const [entry, arg] of [['f', 5], ['g', 6], ['h', 0], ['h', 1], ['h', 2], ['main', 4]] as const) {
    const want = runReference(ref, entry, arg);
    const got = runUnwinding(lean, entry, arg);
    assert.equal(got.result, want.result, `${entry}(${arg})`);
    assert.deepEqual(got.calls, want.calls, `${entry}(${arg}): the import's calls`);
    assert.equal(got.unwinds, want.calls.length, `${entry}(${arg}): one unwind per call`);
    assert.ok(want.calls.length >= 1);
  }
});

test('with fuel 1 every other loop head check and the recursive entry preempt, and each preemption rewinds to where it stopped', () => {
  const bytes = wat(NESTED);
  const ref = new WebAssembly.Module(bytes);
  const lean = instrument(bytes, true);
  for (const [entry, arg] of [['f', 4], ['g', 5], ['main', 3]] as const) {
    const want = runReference(ref, entry, arg);
    const got = runUnwinding(lean, entry, arg, { fuel: 1 });
    assert.equal(got.result, want.result, `${entry}(${arg})`);
    assert.deepEqual(got.calls, want.calls, `${entry}(${arg}): the import's calls`);
    assert.ok(got.preempts >= 3, `${entry}(${arg}): ${got.preempts} preemptions`);
  }
  // With the fuel full, no preemption: only the import's calls unwind.
  const got = runUnwinding(lean, 'main', 3, { fuel: 1e9 });
  assert.equal(got.preempts, 0);
  assert.equal(got.result, runReference(ref, 'main', 3).result);
});

test('a function with nothing to instrument is returned as it came; remapped indices re-encode to the same bytes', () => {
  let functions = 0;
  for (const f of guestFiles()) {
    const { ctx, imports, bodies } = parseModule(readFileSync(join('guests', f)));
    const none = { callUnwinds: () => false, indirectUnwinds: () => false, fuelAtLoops: false, fuelAtEntry: false, state: 0, data: 0, fuel: 0, preempt: 0 };
    bodies.forEach((b, i) => {
      assert.equal(rewriteBody(ctx, imports + i, b, { ...none, func: (x) => x }), b, `${f} ${i}`);
      const up = rewriteBody(ctx, imports + i, b, { ...none, func: (x) => x + 1 });
      const down = rewriteBody(ctx, imports + i, up, { ...none, func: (x) => x - 1 });
      assert.ok(Buffer.from(down).equals(b), `${f} ${i}: +1 then -1`);
      assert.deepEqual(scanBody(ctx, up).callees, scanBody(ctx, b).callees.map((x) => x + 1), `${f} ${i}: +1 remapped every call`);
      functions++;
    });
  }
  assert.ok(functions > 1000);
});

test('every function of every guest instrumented (every call unwinds, fuel at every loop and entry) validates', () => {
  for (const f of guestFiles()) {
    const bytes = readFileSync(join('guests', f));
    const { ctx, imports, bodies } = parseModule(bytes);
    // Validation only: any mutable i32 global stands in for state, data and fuel, any () -> () function for preempt.
    const g = ctx.globalTypes.indexOf(0x7f);
    const preempt = ctx.funcTypes.findIndex((t) => ctx.types[t]!.params.length === 0 && ctx.types[t]!.results.length === 0);
    assert.ok(g >= 0 && preempt >= 0, f);
    const plan: RewritePlan = {
      func: (x) => x, callUnwinds: () => true, indirectUnwinds: () => true, fuelAtLoops: true, fuelAtEntry: true,
      state: g, data: g, fuel: g, preempt,
    };
    const out = replaceBodies(bytes, bodies.map((b, i) => rewriteBody(ctx, imports + i, b, plan)));
    assert.ok(WebAssembly.validate(out), f);
  }
});

test('dead code is copied, never instrumented; a call in it keeps its place', () => {
  const placeholder = wat(`(module ${RUNTIME} (func $d (export "d") (param $n i32) (result i32) (local.get $n)))`);
  const { bodies } = parseModule(placeholder);
  // binaryen.js drops dead code, so $d's body is written by hand:
  //   if (n) { return imp(n) }  return 9  [dead:] drop(imp(1))  block { drop(imp(2)) }  i32.const 0
  const dead = [0x41, 1, 0x10, 0, 0x1a, 0x02, 0x40, 0x41, 2, 0x10, 0, 0x1a, 0x0b];
  const d = Uint8Array.of(0, 0x20, 0, 0x04, 0x40, 0x20, 0, 0x10, 0, 0x0f, 0x0b, 0x41, 9, 0x0f, ...dead, 0x41, 0, 0x0b);
  const bytes = replaceBodies(placeholder, [...bodies.slice(0, -1), d]);
  const { ctx, imports } = parseModule(bytes);
  const out = rewriteBody(ctx, imports + bodies.length - 1, d, planFor(bytes, true)(imports + bodies.length - 1));
  assert.ok(Buffer.from(out).includes(Buffer.from(dead)), 'the dead code is there, unchanged');
  const lean = instrument(bytes, false);
  const ref = new WebAssembly.Module(bytes);
  for (const n of [0, 4]) assert.deepEqual({ ...runUnwinding(lean, 'd', n), maxStack: 0 }, { ...runReference(ref, 'd', n), unwinds: n === 0 ? 0 : 1 });
});

test('a loop opening its enclosing loop body: the rewind skips the outer fuel check, so fuel 1 still makes progress', () => {
  // Had the rewind run the outer check, it would spend the fuel the host gave, and the inner check
  // would preempt again at once, forever (printf_core has this shape).
  const bytes = wat(`(module ${RUNTIME}
    (func $nest (export "nest") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $s i32)
      (loop $outer
        (loop $inner
          (local.set $s (i32.add (local.get $s) (i32.mul (local.get $i) (local.get $j))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $inner (i32.lt_u (local.get $j) (i32.const 4))))
        (local.set $j (i32.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
      (i32.add (local.get $s) (call $imp (local.get $s)))))`);
  const lean = instrument(bytes, true);
  const want = runReference(new WebAssembly.Module(bytes), 'nest', 5);
  const got = runUnwinding(lean, 'nest', 5, { fuel: 1 });
  assert.equal(got.result, want.result);
  assert.ok(got.preempts >= 10, `${got.preempts} preemptions`);
});

test('the frame holds the locals read after a resume point, not those read only before every one', () => {
  // $a..$d are read before the call only; $n after it (and $i in the loop around the second call).
  const bytes = wat(`(module ${RUNTIME}
    (func $early (export "early") (param $n i32) (result i32) (local $a i64) (local $b i64) (local $c f64) (local $d f64) (local $i i32)
      (local.set $a (i64.extend_i32_u (local.get $n)))
      (local.set $b (i64.mul (local.get $a) (local.get $a)))
      (local.set $c (f64.convert_i64_u (local.get $b)))
      (local.set $d (f64.mul (local.get $c) (local.get $c)))
      (local.set $n (i32.add (i32.trunc_f64_u (local.get $d)) (call $imp (local.get $n))))
      (loop $l
        (local.set $n (i32.add (local.get $n) (call $imp (local.get $i))))
        (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 3))))
      (local.get $n)))`);
  const got = runUnwinding(instrument(bytes, false), 'early', 6);
  assert.equal(got.result, runReference(new WebAssembly.Module(bytes), 'early', 6).result);
  // $n, $i, the spilled i32 below the first call and the calls' arguments (i32 temps), the resume index: no i64 or f64.
  assert.ok(got.maxStack <= 6 * 4, `a frame of ${got.maxStack} bytes`);
});

/** A random function body in folded WebAssembly text: nested blocks, loops, ifs and br_ifs, import calls at any depth, values below them. */
function randomFunction(seed: number): string {
  let s = seed >>> 0;
  const rand = (n: number): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  let locals = 0;
  let labels = 0;
  const expr = (depth: number, open: string[]): string => {
    const k = depth <= 0 ? rand(2) : rand(9);
    switch (k) {
      case 0: return `(i32.const ${rand(100)})`;
      case 1: return `(local.get $p)`;
      case 2: return `(i32.add ${expr(depth - 1, open)} ${expr(depth - 1, open)})`;
      case 3: return `(call $imp ${expr(depth - 1, open)})`;
      case 4: {
        const l = `$b${labels++}`;
        const inner = [...open, l];
        const exit = open.length > 0 && rand(2) === 0 ? `(drop (br_if ${l} ${expr(depth - 2, inner)} (i32.and ${expr(depth - 2, inner)} (i32.const 1))))` : '';
        return `(block ${l} (result i32) ${exit} (local.set $p (i32.add (local.get $p) ${expr(depth - 1, inner)})) ${expr(depth - 1, inner)})`;
      }
      case 5: return `(if (result i32) (i32.and ${expr(depth - 1, open)} (i32.const 1)) (then ${expr(depth - 1, open)}) (else ${expr(depth - 1, open)}))`;
      case 6: {
        const c = `$c${locals++}`;
        const l = `$l${labels++}`;
        return `(block (result i32) (local.set ${c} (i32.const 0))
          (loop ${l} (local.set $p (i32.xor (local.get $p) ${expr(depth - 1, [...open, l])}))
            (br_if ${l} (i32.lt_u (local.tee ${c} (i32.add (local.get ${c}) (i32.const 1))) (i32.const ${1 + rand(3)}))))
          ${expr(depth - 1, open)})`;
      }
      case 7: return `(i32.mul (i32.const 3) (call $imp (i32.add (local.get $p) ${expr(depth - 1, open)})))`;
      default: return `(select ${expr(depth - 1, open)} ${expr(depth - 1, open)} (local.get $p))`;
    }
  };
  const body = expr(5, []);
  const decls = Array.from({ length: locals }, (_, i) => `(local $c${i} i32)`).join(' ');
  return `(func $r (export "r") (param $p i32) (result i32) ${decls} ${body})`;
}

test('random nestings of blocks, loops, ifs and branches with calls at any depth: every unwind rewinds to the same call and the run ends as the uninstrumented one', () => {
  let calls = 0;
  let unwound = 0;
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 0, max: 50 }), (seed, arg) => {
      const bytes = wat(`(module ${RUNTIME} ${randomFunction(seed)})`);
      const ref = runReference(new WebAssembly.Module(bytes), 'r', arg);
      calls += ref.calls.length;
      for (const fuel of [false, true]) {
        const got = runUnwinding(instrument(bytes, fuel), 'r', arg, fuel ? { fuel: 1 } : {});
        assert.equal(got.result, ref.result, `seed ${seed} fuel ${fuel}`);
        assert.deepEqual(got.calls, ref.calls, `seed ${seed} fuel ${fuel}`);
        unwound += got.unwinds;
      }
    }),
    { numRuns: 60 },
  );
  assert.ok(calls > 100 && unwound > 2 * calls, `${calls} calls, ${unwound} unwinds`);
});
