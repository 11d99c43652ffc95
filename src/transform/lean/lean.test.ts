import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtWithSimd, guestFiles } from '../testing/guestfiles.js';
import { test } from 'node:test';
import { LEAN_ENGINE } from '../cache.js';
import { TransformError } from '../errors.js';
import { transformCached, transformModuleWithReport } from '../transform.js';
import { transformLean, type BodyEngine } from './lean.js';
import { readModule } from './module.js';
import { LeanUnsupported } from './types.js';
import { watBytes as wat } from '../testing/fixture.js';

/** A body half that sees no calls or loops and changes nothing: what the module half adds, alone. */
const IDENTITY: BodyEngine = {
  scanBody: () => ({ callees: [], indirectTypes: [], loops: 0 }),
  rewriteBody: (_ctx, _f, body) => body,
};

const PLAIN = wat(`(module
  (import "amber" "preempt" (func $p))
  (import "env" "g" (global $imported (mut i32)))
  (memory (export "memory") 1)
  (global $a (mut i32) (i32.const 5))
  (global $b i32 (i32.const 6))
  (global $c (mut i64) (i64.const 7))
  (func (export "_start") (global.set $a (i32.const 1))))`);

test("the runtime's asyncify_* functions keep Asyncify's state and check the data's header as Asyncify does", () => {
  const { bytes, report } = transformLean(PLAIN, {}, IDENTITY);
  assert.equal(report.exportedGlobals, 2);
  const m = new WebAssembly.Module(bytes);
  const names = WebAssembly.Module.exports(m).map((e) => e.name);
  for (const n of ['asyncify_start_unwind', 'asyncify_stop_unwind', 'asyncify_start_rewind', 'asyncify_stop_rewind', 'asyncify_get_state', 'amber_fuel', 'amber_global_1', 'amber_global_3']) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(!names.includes('amber_global_0') && !names.includes('amber_global_2'));
  // The module imported amber.preempt already: no second one.
  assert.equal(WebAssembly.Module.imports(m).filter((i) => i.name === 'preempt').length, 1);
  const inst = new WebAssembly.Instance(m, { amber: { preempt: () => undefined }, env: { g: new WebAssembly.Global({ value: 'i32', mutable: true }, 0) } });
  const e = inst.exports as Record<string, (...a: number[]) => number>;
  const view = new DataView((inst.exports['memory'] as WebAssembly.Memory).buffer);
  view.setUint32(1024, 1032, true);
  view.setUint32(1028, 2048, true);
  assert.equal(e['asyncify_get_state']!(), 0);
  e['asyncify_start_unwind']!(1024);
  assert.equal(e['asyncify_get_state']!(), 1);
  e['asyncify_stop_unwind']!();
  assert.equal(e['asyncify_get_state']!(), 0);
  // The runtime leaves the fuel alone (a rewind passes no check on its way: testing/driver.ts holds it so).
  const fuel = inst.exports['amber_fuel'] as WebAssembly.Global;
  fuel.value = 3;
  e['asyncify_start_rewind']!(1024);
  assert.equal(e['asyncify_get_state']!(), 2);
  assert.equal(fuel.value, 3);
  e['asyncify_stop_rewind']!();
  assert.equal(e['asyncify_get_state']!(), 0);
  assert.equal(fuel.value, 3);
  view.setUint32(1024, 4096, true);
  assert.throws(() => e['asyncify_start_unwind']!(1024), WebAssembly.RuntimeError);
});

test('a module adds the amber.preempt import when it lacks it', () => {
  const bytes = wat(`(module (memory (export "memory") 1) (func (export "_start")))`);
  const out = transformLean(bytes, {}, IDENTITY).bytes;
  assert.deepEqual(WebAssembly.Module.imports(new WebAssembly.Module(out)).map((i) => `${i.module}.${i.name}`), ['amber.preempt']);
  assert.equal(readModule(out).exports.find((e) => e.name === '_start')?.index, 1);
});

test('a module Asyncify transformed already is refused as transform.ts refuses it; unsupported ones are LeanUnsupported', () => {
  const done = wat(`(module (memory 1) (func (export "asyncify_get_state") (result i32) (i32.const 0)))`);
  assert.throws(() => transformLean(done, {}, IDENTITY), (e) => e instanceof TransformError && /already transformed by Asyncify \(it exports asyncify_get_state\)/.test(e.message));
  assert.throws(() => transformLean(wat('(module (func (export "_start")))'), {}, IDENTITY), LeanUnsupported);
  assert.throws(() => transformLean(PLAIN, { asyncify: false }, IDENTITY), LeanUnsupported);
});

test("a module the lean transform refuses gets Binaryen's transform under the lean engine's key", () => {
  // No memory: the lean transform has nowhere for Asyncify's data; Binaryen's transform takes it.
  const bytes = wat(`(module (import "wasi_snapshot_preview1" "sched_yield" (func $y (result i32))) (func (export "_start") (drop (call $y))))`);
  assert.throws(() => transformLean(bytes, {}, IDENTITY), LeanUnsupported);
  assert.deepEqual(transformModuleWithReport(bytes, { engine: LEAN_ENGINE }).bytes, transformModuleWithReport(bytes).bytes);
  const memory = new Map<string, Uint8Array>();
  const host = { hash: () => 'h', cache: { get: (k: string) => memory.get(k), set: (k: string, b: Uint8Array) => void memory.set(k, b) } };
  const lean = transformCached(bytes, host, { engine: LEAN_ENGINE });
  assert.match(lean.key, /^h\.amber-lean\./);
  assert.deepEqual(lean.bytes, transformModuleWithReport(bytes).bytes);
});

test('the lean transform takes every guest built with SIMD, saving v128 values in its frames (stress.test runs one moved between instances)', () => {
  const simd = guestFiles().filter(builtWithSimd);
  assert.ok(simd.length > 0, 'no committed guest is built with -msimd128');
  for (const g of simd) {
    const { bytes } = transformLean(new Uint8Array(readFileSync(new URL(g, new URL('../../../guests/', import.meta.url)))));
    assert.ok(WebAssembly.validate(bytes), g);
    // A frame helper that saves a v128 takes one as a parameter: some function type of the output has v128 params.
    const types = readModule(bytes, { tags: true }).ctx.types;
    assert.ok(types.some((t) => t.params.length > 1 && t.params[0] === 0x7f && t.params.includes(0x7b) && t.results.length === 0), `${g}: no frame helper saves a v128`);
  }
});

test('the lean transform refuses relaxed SIMD, naming it (Binaryen takes it)', () => {
  // (drop (v128.const 0)) with its 18 bytes made relaxed SIMD's first opcode (0xfd 0x100) and 15 nops.
  const plain = wat(`(module (memory 1) (func (export "_start") (drop (v128.const i64x2 0 0))))`);
  const at = Buffer.from(plain).indexOf(Buffer.from([0xfd, 0x0c]));
  assert.ok(at > 0);
  const bytes = plain.slice();
  bytes.set([0xfd, 0x80, 0x02, ...new Array<number>(15).fill(0x01)], at);
  assert.throws(() => transformLean(bytes), (e: unknown) => e instanceof LeanUnsupported && /opcode 0xfd 256 \(SIMD outside fixed-width SIMD: relaxed or unknown\)/.test(e.message));
});

test('the lean transform takes every guest itself (no fallback to Binaryen) and its output validates', () => {
  const dir = new URL('../../../guests/', import.meta.url);
  const guests = guestFiles();
  assert.ok(guests.length > 10);
  for (const g of guests) {
    const { bytes, report } = transformLean(new Uint8Array(readFileSync(new URL(g, dir))));
    assert.ok(WebAssembly.validate(bytes), g);
    assert.ok(report.loops > 0 && report.entries > 0, g);
  }
});
