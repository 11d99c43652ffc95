import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { guestFiles } from '../testing/guestfiles.js';
import { join } from 'node:path';
import { test } from 'node:test';
import binaryen from 'binaryen';
import { B, pushChildren, type Ref } from '../ir.js';
import { scanBody } from './body.js';
import { ByteWriter } from './bytes.js';
import { parseModule } from './testing/wasmfile.js';
import { I32, LeanUnsupported, type ModuleContext } from './types.js';

const GUESTS = 'guests';
const guests = guestFiles();

/** Per defined function, what binaryen.js sees: callee indices, call_indirect signatures, loops. */
interface View { callees: Set<number>; outside: Set<number>; indirect: Set<string>; loops: number }

function binaryenView(bytes: Uint8Array): View[] {
  const mod = binaryen.readBinary(bytes);
  try {
    const index = new Map<string, number>();
    for (let i = 0; i < mod.getNumFunctions(); i++) index.set(binaryen.getFunctionInfo(mod.getFunctionByIndex(i)).name, i);
    const out: View[] = [];
    for (let i = 0; i < mod.getNumFunctions(); i++) {
      const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
      if (info.module !== null && info.module !== '') continue;
      const v: View = { callees: new Set(), outside: new Set(), indirect: new Set(), loops: 0 };
      const stack: Array<[Ref, boolean]> = [[info.body, false]];
      const children: Ref[] = [];
      for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
        const [e, inLoop] = top;
        const id = binaryen.getExpressionId(e);
        if (id === binaryen.LoopId) v.loops++;
        if (id === binaryen.CallId) {
          const callee = index.get(B.Call.getTarget(e))!;
          v.callees.add(callee);
          if (!inLoop) v.outside.add(callee);
        }
        if (id === binaryen.CallIndirectId) v.indirect.add(`${B.CallIndirect.getParams(e)},${B.CallIndirect.getResults(e)}`);
        children.length = 0;
        pushChildren(e, children, info.name);
        for (const c of children) stack.push([c, inLoop || id === binaryen.LoopId]);
      }
      out.push(v);
    }
    return out;
  } finally {
    mod.dispose();
  }
}

function sig(ctx: ModuleContext, t: number): string {
  const ft = ctx.types[t]!;
  const code = (v: number): number => ({ 0x7f: binaryen.i32, 0x7e: binaryen.i64, 0x7d: binaryen.f32, 0x7c: binaryen.f64 })[v]!;
  return `${binaryen.createType(ft.params.map(code))},${binaryen.createType(ft.results.map(code))}`;
}

test('scanBody of every function of every guest agrees with binaryen.js on callees, indirect call types and loops', () => {
  let functions = 0;
  for (const f of guests) {
    const bytes = readFileSync(join(GUESTS, f));
    const { ctx, bodies } = parseModule(bytes);
    const view = binaryenView(bytes);
    assert.equal(view.length, bodies.length, f);
    bodies.forEach((body, i) => {
      const scan = scanBody(ctx, body);
      const want = view[i]!;
      assert.deepEqual(new Set(scan.callees), want.callees, `${f} function ${i}: callees`);
      assert.equal(scan.callees.length, want.callees.size, `${f} function ${i}: each callee once`);
      assert.deepEqual(new Set(scan.indirectTypes.map((t) => sig(ctx, t))), want.indirect, `${f} function ${i}: indirect`);
      assert.equal(scan.loops, want.loops, `${f} function ${i}: loops`);
      assert.deepEqual(new Set(scan.calleesOutsideLoops), want.outside, `${f} function ${i}: callees outside loops`);
      functions++;
    });
  }
  assert.ok(functions > 1000, `${functions} functions scanned`);
});

const ctx: ModuleContext = { types: [{ params: [], results: [] }], funcTypes: [0, 0], globalTypes: [I32], tableTypes: [0x70] };
const body = (...code: number[]): Uint8Array => new ByteWriter().u32(0).bytes(Uint8Array.from(code)).finish();

test('scanBody lists callees in first-call order, each once, those outside loops apart, and counts loops in dead code too', () => {
  const scan = scanBody(ctx, body(0x10, 1, 0x03, 0x40, 0x10, 0, 0x10, 1, 0x0b, 0x00, 0x03, 0x40, 0x0b, 0x11, 0, 0, 0x0b));
  assert.deepEqual(scan, { callees: [1, 0], indirectTypes: [0], loops: 2, calleesOutsideLoops: [1], indirectTypesOutsideLoops: [0] });
});

test('scanBody refuses what the lean transform does not know: tail calls, exceptions, relaxed SIMD, multi-memory, unknown opcodes', () => {
  const refused: Array<[string, number[]]> = [
    ['return_call', [0x12, 0]],
    ['try', [0x06, 0x40, 0x0b]],
    ['relaxed SIMD', [0xfd, 0x80, 0x02]],
    ['a SIMD opcode the proposal dropped', [0xfd, 0x9a, 0x01]],
    ['a SIMD load with a memory index', [0x41, 0, 0xfd, 0x00, 0x44, 1, 0, 0x1a]],
    ['a memarg with a memory index', [0x41, 0, 0x28, 0x42, 1, 0, 0x1a]],
    ['memory.size of memory 1', [0x3f, 1, 0x1a]],
    ['an unknown 0xFC op', [0xfc, 18]],
    ['opcode 0xf0', [0xf0]],
    ['a GC block type', [0x02, 0x64, 0x70, 0x0b]],
  ];
  for (const [what, code] of refused) assert.throws(() => scanBody(ctx, body(...code, 0x0b)), LeanUnsupported, what);
});

test('scanBody steps over every shape of SIMD immediate: the call after each is found', () => {
  const code = [
    0xfd, 0x0c, ...new Array<number>(16).fill(0x10), // v128.const (sixteen bytes that look like calls)
    0xfd, 0x0c, ...new Array<number>(16).fill(0), 0xfd, 0x0d, ...new Array<number>(16).fill(0x10), // i8x16.shuffle
    0xfd, 0x15, 3, 0x1a, // i8x16.extract_lane_s 3
    0x10, 1,
    0x41, 0, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0xfd, 0x54, 0, 0x80, 0x20, 7, 0x1a, // v128.load8_lane offset=4096 7
    0x41, 0, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0xfd, 0x0b, 4, 0x10, // v128.store align=16 offset=16
    0x10, 0,
    0xfd, 0x0c, ...new Array<number>(16).fill(0), 0xfd, 0xff, 0x01, 0x1a, // f64x2.convert_low_i32x4_u (a two-byte sub-opcode)
    0x0b,
  ];
  assert.deepEqual(scanBody(ctx, body(...code)), { callees: [1, 0], indirectTypes: [], loops: 0, calleesOutsideLoops: [1, 0], indirectTypesOutsideLoops: [] });
});

test('scanBody decodes the 0xFC prefix, sign extension and reference instructions', () => {
  const code = [
    0x43, 0, 0, 0, 0, 0xfc, 0, 0x1a, // i32.trunc_sat_f32_s
    0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 10, 0, 0, // memory.copy
    0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 11, 0, // memory.fill
    0x41, 0, 0xc0, 0x1a, // i32.extend8_s
    0xd2, 1, 0xd1, 0x1a, // ref.func 1, ref.is_null
    0xfc, 16, 0, 0x1a, // table.size 0
    0x0b,
  ];
  assert.deepEqual(scanBody(ctx, body(...code)), { callees: [], indirectTypes: [], loops: 0, calleesOutsideLoops: [], indirectTypesOutsideLoops: [] });
});
