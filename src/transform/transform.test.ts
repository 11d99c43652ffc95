// The module transform on real and hand-written guests: the transformed module runs as the original
// does, and what it exports, checks and instruments; its version key and cache.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import binaryen from 'binaryen';
import {
  BINARYEN_VERSION,
  FUEL_EXPORT,
  GLOBAL_EXPORT_PREFIX,
  TransformError,
  transformCached,
  transformKey,
  transformModule,
  transformModuleWithReport,
  transformVersion,
  type TransformCache,
} from './transform.js';
import { guestBytes, runRaw, sha256, transformedGuest, FakeWasi, Exit } from './testing/fixture.js';

function parse(text: string): Uint8Array<ArrayBuffer> {
  const mod = binaryen.parseText(text);
  try {
    return new Uint8Array(mod.emitBinary());
  } finally {
    mod.dispose();
  }
}

/** Runs a transformed guest to its end with a FakeWasi that never blocks (no unwinds at all). */
function runTransformed(module: WebAssembly.Module, args: string[]): { stdout: string; code: number } {
  const wasi = new FakeWasi({ args, blocking: false });
  const instance = new WebAssembly.Instance(module, {
    wasi_snapshot_preview1: wasi.imports() as unknown as WebAssembly.ModuleImports,
    amber: { preempt: () => undefined },
  });
  wasi.memory = instance.exports['memory'] as WebAssembly.Memory;
  try {
    (instance.exports['_start'] as () => void)();
    return { stdout: wasi.stdout, code: 0 };
  } catch (e) {
    if (e instanceof Exit) return { stdout: wasi.stdout, code: e.code };
    throw e;
  }
}

describe('transformModule', () => {
  it('gives a module Node loads that runs each guest as the original does', () => {
    const cases: Array<[string, string[]]> = [
      ['spin', ['lcg', '1000']],
      ['spin', ['sha256', '1']],
      ['spin', ['fib', '20']],
      ['spin', ['count', '2']],
      ['spin', ['bogus', '1']],
      ['sleeper', ['count', '3']],
      ['hello', ['a', '--exit', '3']],
      ['bulkmem', ['300']],
      ['simd', ['300', '100', '0']],
    ];
    for (const [guest, args] of cases) {
      assert.deepEqual(runTransformed(transformedGuest(guest), args), runRaw(guestBytes(guest), args), `${guest} ${args.join(' ')}`);
    }
  });

  it('exports every mutable global the module defines, the fuel and the asyncify controls', () => {
    const input = parse(`(module (memory (export "memory") 1)
      (global $a (mut i32) (i32.const 5)) (global $b i32 (i32.const 6)) (global $c (mut i64) (i64.const 7))
      (func (export "_start") (global.set $a (i32.add (global.get $a) (global.get $b))) (global.set $c (i64.const 8))))`);
    const { bytes, report } = transformModuleWithReport(input);
    const m = new WebAssembly.Module(bytes);
    const exports = WebAssembly.Module.exports(m).map((e) => `${e.kind}:${e.name}`).sort();
    assert.deepEqual(exports, [
      'function:_start',
      'function:asyncify_get_state',
      'function:asyncify_start_rewind',
      'function:asyncify_start_unwind',
      'function:asyncify_stop_rewind',
      'function:asyncify_stop_unwind',
      `global:${FUEL_EXPORT}`,
      `global:${GLOBAL_EXPORT_PREFIX}0`,
      `global:${GLOBAL_EXPORT_PREFIX}2`,
      'memory:memory',
    ]);
    assert.equal(report.exportedGlobals, 2);
    // No loop, no recursion: no check calls amber.preempt (the import may stay, unused: no pipeline runs after Asyncify).
    assert.deepEqual(WebAssembly.Module.imports(m).filter((i) => !(i.module === 'amber' && i.name === 'preempt')), []);
    const inst = new WebAssembly.Instance(m, { amber: { preempt: () => assert.fail('preempt called') } });
    (inst.exports['_start'] as () => void)();
    assert.equal((inst.exports[`${GLOBAL_EXPORT_PREFIX}0`] as WebAssembly.Global).value, 11);
    assert.equal((inst.exports[`${GLOBAL_EXPORT_PREFIX}2`] as WebAssembly.Global).value, 8n);
  });

  it('checks every loop head, and enough entries that every recursion outside a loop passes one', () => {
    const input = parse(`(module (memory (export "memory") 1) (table 1 funcref) (elem (i32.const 0) $viaTable)
      (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func $loops (param i32) (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
      (func $self (param i32) (result i32) (if (result i32) (local.get 0) (then (call $self (i32.const 0))) (else (i32.const 1))))
      (func $inLoop (param i32) (loop $l (if (local.get 0) (then (call $inLoop (i32.const 0)))) (br_if $l (i32.const 0))))
      (func $ping (param i32) (call $pong (local.get 0)))
      (func $pong (param i32) (if (local.get 0) (then (call $ping (i32.const 0)))))
      (func $viaTable (param i32) (if (local.get 0) (then (call_indirect (param i32) (i32.const 0) (i32.const 0)))))
      (func (export "_start") (drop (call $leaf (i32.const 1))) (call $loops (i32.const 3)) (drop (call $self (i32.const 1)))
        (call $inLoop (i32.const 1)) (call $ping (i32.const 1)) (call $viaTable (i32.const 1))))`);
    // Unoptimized, so inlining and constant folding leave every check where it was put.
    const { bytes, report } = transformModuleWithReport(input, { optimizeLevel: 0 });
    assert.equal(report.loops, 2);
    assert.equal(report.entries, 3); // self, ping (its cycle with pong needs one check), viaTable
    // Each check takes one unit of fuel.
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { amber: { preempt: () => assert.fail('fuel ran out') } });
    const fuel = inst.exports[FUEL_EXPORT] as WebAssembly.Global;
    fuel.value = 1000;
    (inst.exports['_start'] as () => void)();
    // loops(3): 3 loop heads; self(1), self(0): 2 entries; inLoop(1), inLoop(0): 2 loop heads;
    // ping(1), ping(0): 2 entries (pong has none); viaTable(1), viaTable(0): 2 entries.
    assert.equal(1000 - fuel.value, 3 + 2 + 2 + 2 + 2);
  });

  it('follows an indirect call only to the table functions of its signature', () => {
    const input = parse(`(module (memory 1) (table 2 funcref) (elem (i32.const 0) $a $b)
      (func $a (param i32) (call_indirect (param i32 i32) (local.get 0) (local.get 0) (i32.const 1)))
      (func $b (param i32 i32) (if (local.get 0) (then (call_indirect (param i32 i32) (i32.const 0) (i32.const 0) (i32.const 1)))))
      (func (export "_start") (call $a (i32.const 1))))`);
    const { bytes, report } = transformModuleWithReport(input, { optimizeLevel: 0 });
    assert.equal(report.entries, 1); // $b, which reaches itself; $a's call can reach $b alone
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { amber: { preempt: () => assert.fail('fuel ran out') } });
    const fuel = inst.exports[FUEL_EXPORT] as WebAssembly.Global;
    fuel.value = 1000;
    (inst.exports['_start'] as () => void)();
    assert.equal(1000 - fuel.value, 2); // b(1, 1), b(0, 0)
  });

  it('leaves provably short loops unchecked, and only those', () => {
    // Each function holds one loop; the table says whether it must stay checked.
    const cases: Array<[string, string, boolean]> = [
      ['counted from a constant, i != C', '(local.set $i (i32.const 0)) (loop $l (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4))) (i32.const 64))))', false],
      ['a var counted from its zero start', '(loop $l (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 10))))', false],
      ['guarded by an if, step after the test', '(local.set $i (i32.const 0)) (loop $l (if (i32.eqz (i32.eq (local.get $i) (i32.const 252))) (then (local.set $i (i32.add (local.get $i) (i32.const 4))) (br $l))))', false],
      ['i <u C from an unknown start', '(local.set $i (local.get $p)) (loop $l (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 100))))', false],
      ['i != C from an unknown start', '(local.set $i (local.get $p)) (loop $l (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 100))))', true],
      ['i != C from a start it wraps past', '(local.set $i (i32.const 5)) (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.ne (local.get $i) (i32.const 5))))', true],
      ['a step that may be skipped', '(local.set $i (i32.const 0)) (loop $l (if (local.get $p) (then (local.set $i (i32.add (local.get $i) (i32.const 1))))) (br_if $l (i32.ne (local.get $i) (i32.const 9))))', true],
      ['the variable written twice', '(local.set $i (i32.const 0)) (loop $l (local.set $i (local.get $p)) (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 9))))', true],
      ['a bound past the work limit', '(local.set $i (i32.const 0)) (loop $l (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 1073741824))))', true],
      ['a call inside', '(local.set $i (i32.const 0)) (loop $l (call $nop) (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 9))))', true],
      ['two back-edges', '(local.set $i (i32.const 0)) (loop $l (br_if $l (local.get $p)) (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 9))))', true],
      ['no back-edge at all', '(loop $l (local.set $i (i32.const 1)))', false],
      ['an endless loop', '(loop $l (br $l))', true],
    ];
    for (const [what, code, checked] of cases) {
      const input = parse(`(module (memory 1) (func $nop) (func (export "f") (param $p i32) (local $i i32) ${code}))`);
      const { report } = transformModuleWithReport(input, { asyncify: false, optimizeLevel: 0 });
      assert.deepEqual([report.loops, report.bounded], checked ? [1, 0] : [0, 1], what);
      const all = transformModuleWithReport(input, { asyncify: false, optimizeLevel: 0, checkShortLoops: true }).report;
      assert.deepEqual([all.loops, all.bounded], [1, 0], `${what}, checkShortLoops`);
    }
  });

  it('instruments only the indirect calls whose signature some table function that can unwind has', () => {
    const input = parse(`(module
      (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32))) (memory (export "memory") 1)
      (type $io (func (param i32) (result i32))) (type $pure (func (param i32 i32) (result i32)))
      (table 2 funcref) (elem (i32.const 0) $blocks $adds)
      (func $blocks (param i32) (result i32) (call $yield))
      (func $adds (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func $callsIo (export "callsIo") (result i32) (call_indirect (type $io) (i32.const 7) (i32.const 0)))
      (func $callsPure (export "callsPure") (result i32) (call_indirect (type $pure) (i32.const 1) (i32.const 2) (i32.const 1))))`);
    const { report } = transformModuleWithReport(input);
    assert.equal(report.indirectCallers, 1);
    const imported = parse(`(module (import "env" "table" (table 1 funcref)) (memory 1)
      (func (export "f") (result i32) (call_indirect (result i32) (i32.const 0))))`);
    assert.equal(transformModuleWithReport(imported).report.indirectCallers, null); // every indirect call instrumented
  });

  it('emits no feature beyond what Node 20 loads, and leaves the caller’s Binaryen options alone', () => {
    const before = { optimize: binaryen.getOptimizeLevel(), shrink: binaryen.getShrinkLevel(), imports: binaryen.getPassArgument('asyncify-imports') };
    binaryen.setOptimizeLevel(1);
    try {
      const bytes = transformModule(guestBytes('spin'), { optimizeLevel: 2 });
      assert.equal(binaryen.getOptimizeLevel(), 1);
      assert.equal(binaryen.getPassArgument('asyncify-imports'), before.imports);
      const mod = binaryen.readBinary(bytes);
      try {
        const { MVP, MutableGlobals, SignExt, BulkMemory, BulkMemoryOpt, NontrappingFPToInt } = binaryen.Features;
        mod.setFeatures(MVP | MutableGlobals | SignExt | BulkMemory | BulkMemoryOpt | NontrappingFPToInt);
        assert.ok(mod.validate(), 'does not validate under the features Node 20 loads');
      } finally {
        mod.dispose();
      }
    } finally {
      binaryen.setOptimizeLevel(before.optimize);
    }
  });

  it('refuses bytes that are not a module', () => {
    assert.throws(() => transformModule(new Uint8Array([0, 97, 115, 109, 9, 9])), TransformError);
  });

  it('takes memory.copy and memory.fill (clang -mbulk-memory), and keeps them', () => {
    const bytes = guestBytes('bulkmem');
    const ops = (b: Uint8Array): number => {
      const mod = binaryen.readBinary(b);
      try {
        const text = mod.emitText();
        return (text.match(/memory\.(copy|fill)/g) ?? []).length;
      } finally {
        mod.dispose();
      }
    };
    assert.ok(ops(bytes) > 0, 'guests/bulkmem is built without bulk memory');
    assert.ok(ops(transformModule(bytes)) > 0);
  });

  it('refuses a module Asyncify has transformed already, in one line naming what gave it away', () => {
    const once = transformModule(guestBytes('hello'));
    assert.throws(() => transformModule(once), (e: unknown) => {
      assert.ok(e instanceof TransformError);
      assert.match(e.message, /^already transformed by Asyncify \(it exports asyncify_\w+\)/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  });
});

describe('transform keys and the cache', () => {
  it('names the installed Binaryen and the options', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../node_modules/binaryen/package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(pkg.version.split('.')[0], BINARYEN_VERSION);
    assert.match(transformVersion(), new RegExp(`binaryen-${BINARYEN_VERSION}\\.O1\\.`));
    assert.match(transformVersion({ engine: 'wasm-opt-108' }), new RegExp(`binaryen-${BINARYEN_VERSION}\\.asyncify-by-wasm-opt-108\\.O1\\.`));
    assert.notEqual(transformVersion(), transformVersion({ optimizeAfter: true }));
    assert.notEqual(transformVersion(), transformVersion({ preempt: false }));
    assert.notEqual(transformVersion(), transformVersion({ asyncify: false }));
    assert.notEqual(transformVersion(), transformVersion({ checkShortLoops: true }));
    assert.equal(transformKey('abc123'), `abc123.${transformVersion()}`);
    assert.throws(() => transformKey('a/b'), /expected a hash/);
  });

  it('transforms once, then answers from the cache', () => {
    const store = new Map<string, Uint8Array>();
    let sets = 0;
    const cache: TransformCache = { get: (k) => store.get(k), set: (k, b) => void (sets++, store.set(k, b)) };
    const bytes = guestBytes('hello');
    const a = transformCached(bytes, { hash: sha256, cache });
    const b = transformCached(bytes, { hash: sha256, cache });
    assert.equal(sets, 1);
    assert.equal(a.key, `${sha256(bytes)}.${transformVersion()}`);
    assert.deepEqual(b, a);
  });
});
