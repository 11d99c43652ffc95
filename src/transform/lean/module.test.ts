import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { guestFiles } from '../testing/guestfiles.js';
import { test } from 'node:test';
import binaryen from 'binaryen';
import { NOTHING, readModule, writeModule, EXTERN } from './module.js';
import { LeanUnsupported, I32 } from './types.js';

const GUESTS = new URL('../../../guests/', import.meta.url);
const guests = guestFiles();

function wat(text: string): Uint8Array {
  const mod = binaryen.parseText(text);
  try {
    mod.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.BulkMemory | binaryen.Features.ReferenceTypes);
    const saved = binaryen.getDebugInfo();
    binaryen.setDebugInfo(true); // a name section, to check its remapping
    try {
      return mod.emitBinary();
    } finally {
      binaryen.setDebugInfo(saved);
    }
  } finally {
    mod.dispose();
  }
}

test('every guest reads and writes back byte for byte when nothing is added', () => {
  assert.ok(guests.length > 10);
  for (const g of guests) {
    const bytes = new Uint8Array(readFileSync(new URL(g, GUESTS)));
    const info = readModule(bytes);
    assert.ok(info.bodies.length > 0, g);
    assert.deepEqual(writeModule(info, NOTHING), bytes, g);
  }
});

test('every guest with types, globals, functions and exports added still validates', () => {
  for (const g of guests) {
    const bytes = new Uint8Array(readFileSync(new URL(g, GUESTS)));
    const info = readModule(bytes);
    const t = info.ctx.types.length;
    const out = writeModule(info, {
      types: [{ params: [], results: [] }, { params: [], results: [I32] }],
      preemptImport: null,
      globals: [{ type: I32, mutable: true, init: 7 }],
      functions: [{ type: t + 1, body: Uint8Array.of(0, 0x23, info.ctx.globalTypes.length, 0x0b) }],
      exports: [{ name: 'get_added', kind: EXTERN.func, index: info.ctx.funcTypes.length }],
      body: () => null,
    });
    assert.ok(WebAssembly.validate(out), g);
    const again = readModule(out);
    assert.equal(again.bodies.length, info.bodies.length + 1, g);
    assert.deepEqual(again.tableFuncs, info.tableFuncs, g);
  }
});

test('a shifted module keeps its element segments, start, ref.func globals and names pointing at the same functions', () => {
  const bytes = wat(`(module
    (type $v (func))
    (import "env" "f" (func $imp))
    (table 4 funcref)
    (global $g funcref (ref.func $b))
    (memory 1)
    (elem (i32.const 0) $a $b)
    (elem funcref (ref.func $b) (ref.null func))
    (start $a)
    (global $m (mut i32) (i32.const 0))
    (func $a (export "a") (global.set $m (i32.const 1)))
    (func $b (result i32) (i32.const 42))
    (export "getb" (func $b)))`);
  const info = readModule(bytes);
  assert.ok(info.sections.some((s) => s.id === 0), 'a name section');
  assert.deepEqual([...info.tableFuncs].sort(), [1, 2]);
  const out = writeModule(info, { ...NOTHING, types: [{ params: [], results: [] }], preemptImport: info.ctx.types.length });
  assert.ok(WebAssembly.validate(out));
  const m = new WebAssembly.Module(out);
  assert.deepEqual(WebAssembly.Module.imports(m).map((i) => `${i.module}.${i.name}`), ['env.f', 'amber.preempt']);
  const inst = new WebAssembly.Instance(m, { env: { f: () => undefined }, amber: { preempt: () => undefined } });
  assert.equal((inst.exports['getb'] as () => number)(), 42);
  const again = readModule(out);
  assert.deepEqual([...again.tableFuncs].sort(), [2, 3]);
  // The name section names the same functions.
  const named = binaryen.readBinary(out);
  try {
    assert.equal(binaryen.getFunctionInfo(named.getFunctionByIndex(3)).name, 'b');
  } finally {
    named.dispose();
  }
});

test('what the lean transform does not handle is LeanUnsupported', () => {
  const two = wat('(module (memory 1) (memory 1))');
  assert.throws(() => readModule(two), LeanUnsupported);
  assert.throws(() => readModule(Uint8Array.of(0, 0x61, 0x73, 0x6d, 2, 0, 0, 0)), LeanUnsupported);
  // A tag section (id 13).
  assert.throws(() => readModule(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 13, 1, 0)), LeanUnsupported);
  // A memory64 memory: limits flag 0x04.
  assert.throws(() => readModule(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 4, 1)), LeanUnsupported);
});
