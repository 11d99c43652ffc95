// Write tracking (track.ts): a tracked module computes what the untracked one does, with its memory B bytes
// up, and every page its code changes marked in the map below; on random modules (fast-check) and on the
// real guests through both engines; and the modules it refuses, one line each.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import binaryen from 'binaryen';
import fc from 'fast-check';
import { guestFiles } from './testing/guestfiles.js';
import { TRACK_BASE_EXPORT, TRACK_PAGE } from '../wasi/transformed.js';
import { LEAN_ENGINE, transformKey, transformVersion, type TransformOptions } from './cache.js';
import { TransformError } from './errors.js';
import { ByteReader, ByteWriter } from './lean/bytes.js';
import { readModule, SEC } from './lean/module.js';
import { Exit, FakeWasi, guestBytes, watBytes } from './testing/fixture.js';
import { TRACK_BASE, TRACK_BASE_PAGES, trackWrites } from './track.js';
import { transformModule } from './transform.js';

const B = TRACK_BASE;

/** WAT assembled with bulk memory on (so a module with memory.init gets its data count section). */
function bulkWat(text: string): Uint8Array<ArrayBuffer> {
  const mod = binaryen.parseText(text);
  try {
    mod.setFeatures(binaryen.Features.MVP | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.SignExt | binaryen.Features.SIMD128);
    return Uint8Array.from(mod.emitBinary());
  } finally {
    mod.dispose();
  }
}

/** A call's outcome: its value (as a string, bigints and NaN bits included) or the trap's message. */
function outcome(f: () => unknown): string {
  try {
    const v = f();
    return `= ${typeof v === 'bigint' ? `${v}n` : String(v)}`;
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) return `trap: ${e.message}`;
    throw e;
  }
}

/**
 * Asserts the tracked memory is the untracked one B bytes up, and that every page that differs between
 * `before` (the untracked memory before the step) and now is marked in the map; then zeroes the map.
 */
function checkMemory(untracked: WebAssembly.Memory, tracked: WebAssembly.Memory, before: Uint8Array, what: string): void {
  const u = new Uint8Array(untracked.buffer);
  const t = new Uint8Array(tracked.buffer);
  assert.equal(t.length, u.length + B, `${what}: tracked memory is B bytes longer`);
  assert.ok(Buffer.compare(u, t.subarray(B)) === 0, `${what}: tracked memory [B, ...) equals the untracked memory`);
  for (let p = 0; p * TRACK_PAGE < u.length; p++) {
    const at = p * TRACK_PAGE;
    const was = at < before.length ? before.subarray(at, at + TRACK_PAGE) : new Uint8Array(0);
    const now = u.subarray(at, at + TRACK_PAGE);
    // A page past the old end is new (zero) memory: changed only where it is not zero.
    const changed = was.length === 0 ? now.some((b) => b !== 0) : Buffer.compare(was, now) !== 0;
    if (changed) assert.notEqual(t[p], 0, `${what}: page ${p} changed but its map byte is 0`);
  }
  t.fill(0, 0, B);
}

const STORES = [
  { op: 'i32.store', w: 4, t: 'i32' }, { op: 'i64.store', w: 8, t: 'i64' }, { op: 'f32.store', w: 4, t: 'f32' },
  { op: 'f64.store', w: 8, t: 'f64' }, { op: 'i32.store8', w: 1, t: 'i32' }, { op: 'i32.store16', w: 2, t: 'i32' },
  { op: 'i64.store8', w: 1, t: 'i64' }, { op: 'i64.store16', w: 2, t: 'i64' }, { op: 'i64.store32', w: 4, t: 'i64' },
  // SIMD: the widest store (16 bytes) and the lane stores, whose lane index follows the memarg.
  { op: 'v128.store', w: 16, t: 'v128' }, { op: 'v128.store8_lane', w: 1, t: 'v128', lane: ' 15' },
  { op: 'v128.store16_lane', w: 2, t: 'v128', lane: ' 3' }, { op: 'v128.store32_lane', w: 4, t: 'v128', lane: ' 2' },
  { op: 'v128.store64_lane', w: 8, t: 'v128', lane: ' 1' },
] as const;
/** The i64 parameter as the store's value type (a v128 holds it in every lane pair, rotated in one). */
const FROM_I64: Record<string, string> = {
  i32: 'i32.wrap_i64', i64: '', f32: 'i32.wrap_i64 f32.reinterpret_i32', f64: 'f64.reinterpret_i64',
  v128: 'i64x2.splat v128.const i64x2 0 0x0102030405060708 v128.xor',
};
const LOADS = [
  ['i32.load', 'i64.extend_i32_u'], ['i64.load', ''], ['f32.load', 'i32.reinterpret_f32 i64.extend_i32_u'], ['f64.load', 'i64.reinterpret_f64'],
  ['i32.load8_s', 'i64.extend_i32_s'], ['i32.load8_u', 'i64.extend_i32_u'], ['i32.load16_s', 'i64.extend_i32_s'], ['i32.load16_u', 'i64.extend_i32_u'],
  ['i64.load8_s', ''], ['i64.load8_u', ''], ['i64.load16_s', ''], ['i64.load16_u', ''], ['i64.load32_s', ''], ['i64.load32_u', ''],
  ['v128.load', 'i64x2.extract_lane 1'], ['v128.load32_zero', 'i64x2.extract_lane 0'], ['v128.load16_splat', 'i64x2.extract_lane 1'],
  ['v128.load16x4_s', 'i64x2.extract_lane 1'],
  // A lane load takes a vector beside its address and its lane index after the memarg.
  ['v128.load32_lane', 'i64x2.extract_lane 1', 'v128.const i64x2 7 9', ' 3'],
] as const;

/**
 * How a store's address and value are pushed (step: what forms 2 and 3 add to the address local first): the
 * local itself, a computed address, the local set or teed just before, a call (the host clears the map in
 * it) before the store, the value from a block, the address from an if's arms ($zero is a declared local, 0: track.ts's Origins
 * forget at control instructions), the address local set while the value is computed.
 */
const ADDRESS_FORMS: ReadonlyArray<(step: number, value: string) => string> = [
  (_, v) => `local.get 0 ${v}`,
  (_, v) => `local.get 0 i32.const 0 i32.add ${v}`,
  (k, v) => `local.get 0 i32.const ${k} i32.add local.set 0 local.get 0 ${v}`,
  (k, v) => `local.get 0 i32.const ${k} i32.add local.tee 0 ${v}`,
  (_, v) => `call $clear local.get 0 ${v}`,
  (_, v) => `local.get 0 call $clear ${v}`,
  (_, v) => `local.get 0 (block (result i64) ${v})`,
  (_, v) => `(if (result i32) (i32.const 1) (then local.get 0) (else local.get $zero)) ${v}`,
  (k, v) => `local.get 0 local.get 0 i32.const ${k} i32.add local.set 0 ${v}`,
];

type Op =
  | { kind: 'store'; stores: Array<{ s: number; offset: number; value: bigint; form: number; step: number }>; addr: number }
  | { kind: 'load'; l: number; offset: number; addr: number }
  | { kind: 'copy' | 'fill'; d: number; s: number; n: number }
  | { kind: 'init'; seg: number; d: number; s: number; n: number }
  | { kind: 'drop'; seg: number }
  | { kind: 'size' }
  | { kind: 'grow'; n: number };

/** Addresses that hit page edges, the ends of memory and past them, and anything between. */
const address = fc.oneof(
  fc.integer({ min: 0, max: 5 * 65536 }),
  fc.integer({ min: 1, max: 80 }).chain((k) => fc.integer({ min: k * TRACK_PAGE - 9, max: k * TRACK_PAGE + 9 })),
  fc.constantFrom(0, 65536 - 8, 65536 - 1, 2 * 65536 - 4, 3 * 65536 - 1, 0x7fffffff, 0xfffffff0, 0xffffffff, 0x100000 - 1),
);
const offset = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 9000 }),
  fc.constantFrom(4095, 4096, 4097, 8191, 65535, 65536, 131072 - 3, 0x7fffffff, 0xffefffff),
);
const length = fc.oneof(fc.integer({ min: 0, max: 20000 }), fc.constantFrom(0, 1, 4095, 4096, 4097, 65536, 0xffffffff));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('store' as const), addr: address, stores: fc.array(fc.record({ s: fc.nat(STORES.length - 1), offset, value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), form: fc.nat(ADDRESS_FORMS.length - 1), step: fc.integer({ min: -5000, max: 9000 }) }), { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('load' as const), l: fc.nat(LOADS.length - 1), offset, addr: address }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('copy' as const, 'fill' as const), d: address, s: address, n: length }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('init' as const), seg: fc.nat(1), d: address, s: fc.integer({ min: 0, max: 6000 }), n: length }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), seg: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('size' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('grow' as const), n: fc.oneof(fc.nat(3), fc.constant(0xffffffff)) }) },
);
const program: fc.Arbitrary<Program> = fc.record({
  initial: fc.integer({ min: 1, max: 3 }),
  extraMax: fc.option(fc.nat(3)),
  active: fc.record({ at: fc.integer({ min: 0, max: 65536 - 5000 }), len: fc.integer({ min: 0, max: 5000 }) }),
  ops: fc.array(op, { minLength: 1, maxLength: 12 }),
});

function pattern(len: number, seed: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += `\\${((i * 37 + seed) & 0xff).toString(16).padStart(2, '0')}`;
  return s;
}

/** The WAT of a program: op i is export `op<i>`, taking its dynamic operands as parameters. */
interface Program {
  initial: number;
  extraMax: number | null;
  active: { at: number; len: number };
  ops: Op[];
}

function wat(p: Program): string {
  const max = p.extraMax === null ? '' : ` ${p.initial + p.extraMax}`;
  const funcs = p.ops.map((o, i) => {
    const name = `(export "op${i}")`;
    switch (o.kind) {
      case 'store': {
        // Declared locals of several types, so the scratch locals' indices come after them.
        const body = o.stores.map((s, j) => {
          const st: { op: string; t: string; lane?: string } = STORES[s.s]!;
          return `${ADDRESS_FORMS[s.form]!(s.step, `local.get ${j + 1}`)} ${FROM_I64[st.t]} ${st.op} offset=${s.offset}${st.lane ?? ''}`;
        }).join(' ');
        return `(func ${name} (param i32 ${o.stores.map(() => 'i64').join(' ')}) (local f64) (local $zero i32) (local i64) ${body})`;
      }
      case 'load': {
        const [load, convert, operand = '', lane = ''] = LOADS[o.l]! as readonly [string, string, string?, string?];
        return `(func ${name} (param i32) (result i64) (local f32) local.get 0 ${operand} ${load} offset=${o.offset}${lane} ${convert})`;
      }
      case 'copy':
      case 'fill':
        return `(func ${name} (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.${o.kind})`;
      case 'init':
        return `(func ${name} (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.init $p${o.seg})`;
      case 'drop':
        return `(func ${name} data.drop $p${o.seg})`;
      case 'size':
        return `(func ${name} (result i32) memory.size)`;
      case 'grow':
        return `(func ${name} (param i32) (result i32) local.get 0 memory.grow)`;
    }
  });
  return `(module (import "env" "clear" (func $clear)) (memory (export "memory") ${p.initial}${max})
    (data (i32.const ${p.active.at}) "${pattern(p.active.len, 1)}")
    (data $p0 "${pattern(5000, 2)}") (data $p1 "${pattern(300, 3)}")
    ${funcs.join('\n')})`;
}

function args(o: Op): Array<number | bigint> {
  switch (o.kind) {
    case 'store': return [o.addr | 0, ...o.stores.map((s) => BigInt.asIntN(64, s.value))];
    case 'load': return [o.addr | 0];
    case 'copy': case 'fill': case 'init': return [o.d | 0, o.s | 0, o.n | 0];
    case 'grow': return [o.n | 0];
    default: return [];
  }
}

describe('trackWrites on random modules', () => {
  it('computes as the untracked module does, its memory B up, every page its code changes marked', () => {
    fc.assert(
      fc.property(program, (p) => {
        const plain = bulkWat(wat(p));
        assert.ok(WebAssembly.validate(plain), 'the generated module validates');
        const tracked = trackWrites(plain);
        assert.ok(WebAssembly.validate(tracked), 'the tracked module validates');
        // The host's checkpoint during a call: the map zeroed, the memory as it was then the new baseline.
        let cleared: Uint8Array | null = null;
        const clear = (): void => {
          const now = new Uint8Array(tm.buffer);
          cleared = now.slice(B);
          now.fill(0, 0, B);
        };
        const u = new WebAssembly.Instance(new WebAssembly.Module(plain), { env: { clear: () => undefined } }).exports;
        const t = new WebAssembly.Instance(new WebAssembly.Module(tracked), { env: { clear } }).exports;
        assert.equal((t[TRACK_BASE_EXPORT] as WebAssembly.Global).value, B);
        const um = u['memory'] as WebAssembly.Memory;
        const tm = t['memory'] as WebAssembly.Memory;
        // The active segment is placed B up, and its pages are marked as written.
        checkMemory(um, tm, new Uint8Array(um.buffer.byteLength), 'after instantiation');
        p.ops.forEach((o, i) => {
          const before = new Uint8Array(um.buffer).slice();
          cleared = null;
          const a = args(o);
          const ru = outcome(() => (u[`op${i}`] as (...x: unknown[]) => unknown)(...a));
          const rt = outcome(() => (t[`op${i}`] as (...x: unknown[]) => unknown)(...a));
          const what = `op${i} ${JSON.stringify(o, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
          assert.equal(rt, ru, `${what}: the same result or trap`);
          checkMemory(um, tm, cleared ?? before, what);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('grows to the guest maximum and no further, and keeps -1 for a failed grow', () => {
    const plain = watBytes(`(module (memory (export "memory") 1 3)
      (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
      (func (export "size") (result i32) memory.size))`);
    const t = new WebAssembly.Instance(new WebAssembly.Module(trackWrites(plain))).exports as Record<string, (...a: number[]) => number>;
    assert.equal(t['size']!(), 1);
    assert.equal(t['grow']!(3), -1);
    assert.equal(t['grow']!(2), 1);
    assert.equal(t['size']!(), 3);
    assert.equal(t['grow']!(1), -1);
    assert.equal((t['memory'] as unknown as WebAssembly.Memory).buffer.byteLength, B + 3 * 65536);
  });
});

/** A memory section's limits: [initial, maximum or null]. */
function memoryLimits(bytes: Uint8Array): [number, number | null] {
  const s = readModule(bytes, { tags: true }).sections.find((x) => x.id === SEC.memory)!;
  const r = new ByteReader(bytes, s.payload, s.end);
  r.u32();
  const flags = r.u8();
  const initial = r.u32();
  return [initial, (flags & 1) !== 0 ? r.u32() : null];
}

/** Runs a transformed guest's _start to its end with a FakeWasi that never blocks; memory checked after. */
function runGuest(bytes: Uint8Array<ArrayBuffer>, argv: string[], base: number) {
  const wasi = new FakeWasi({ args: argv, blocking: false });
  wasi.base = base;
  let exports: WebAssembly.Exports = {};
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    wasi_snapshot_preview1: wasi.imports() as unknown as WebAssembly.ModuleImports,
    amber: { preempt: () => void ((exports['amber_fuel'] as WebAssembly.Global).value = 1_000_000) },
  });
  exports = instance.exports;
  const memory = exports['memory'] as WebAssembly.Memory;
  wasi.memory = memory;
  const initial = new Uint8Array(memory.buffer).slice();
  let code = 0;
  try {
    (exports['_start'] as () => void)();
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    code = e.code;
  }
  return { stdout: wasi.stdout, code, initial, memory, exports };
}

describe('trackWrites on the real guests, through both engines', () => {
  const cases: Array<[string, string[]]> = [
    ['spin', ['sha256', '1']],
    ['spin', ['sort', '3000']],
    ['spin', ['fib', '18']],
    ['bulkmem', ['300']],
    ['hello', ['a', 'b']],
    ['deep', ['200']],
    ['sleeper', ['count', '3']],
    ['flood', ['1', '65536']],
    ['simd', ['300', '0', '0']],
  ];
  for (const engine of [{ engine: LEAN_ENGINE }, {}] as TransformOptions[]) {
    it(`runs each guest as the untracked module does (${engine.engine ?? 'binaryen'})`, () => {
      for (const [guest, argv] of cases) {
        const what = `${guest} ${argv.join(' ')}`;
        const plain = transformModule(guestBytes(guest), engine);
        const tracked = transformModule(guestBytes(guest), { ...engine, trackWrites: true });
        assert.ok(WebAssembly.validate(tracked), `${what}: validates`);
        const [ui, um] = memoryLimits(plain);
        const [ti, tm] = memoryLimits(tracked);
        assert.equal(ti, ui + TRACK_BASE_PAGES, `${what}: initial pages`);
        assert.equal(tm, um === null ? null : Math.min(um + TRACK_BASE_PAGES, 65536), `${what}: maximum pages`);
        const u = runGuest(plain, argv, 0);
        const t = runGuest(tracked, argv, B);
        assert.equal((t.exports[TRACK_BASE_EXPORT] as WebAssembly.Global).value, B, `${what}: ${TRACK_BASE_EXPORT}`);
        assert.equal(t.initial.length, u.initial.length + B);
        assert.ok(Buffer.compare(u.initial, t.initial.subarray(B)) === 0, `${what}: the data segments sit B up`);
        assert.deepEqual({ stdout: t.stdout, code: t.code }, { stdout: u.stdout, code: u.code }, `${what}: output`);
        assert.ok(u.stdout.length > 0, `${what}: printed something`);
        // Pages the data segments fill are marked at instantiation; checkMemory then wants every page the
        // run changed marked too (the map is not zeroed between: a superset is what it checks).
        checkMemory(u.memory, t.memory, u.initial, what);
      }
    });
  }
});

describe('trackWrites on every committed guest', () => {
  it('validates, exports the base, moves the limits and the data segments up by B (lean engine; instantiated, not run)', () => {
    const names = guestFiles().map((f) => f.slice(0, -'.wasm'.length));
    assert.ok(names.length >= 20, `${names.length} guests`);
    for (const guest of names) {
      const raw = new Uint8Array(readFileSync(new URL(`../../guests/${guest}.wasm`, import.meta.url)));
      const plain = transformModule(raw, { engine: LEAN_ENGINE });
      const tracked = transformModule(raw, { engine: LEAN_ENGINE, trackWrites: true });
      assert.ok(WebAssembly.validate(tracked), `${guest}: validates`);
      const [ui, um] = memoryLimits(plain);
      assert.deepEqual(memoryLimits(tracked), [ui + TRACK_BASE_PAGES, um === null ? null : Math.min(um + TRACK_BASE_PAGES, 65536)], `${guest}: limits`);
      const instance = (bytes: Uint8Array<ArrayBuffer>): WebAssembly.Exports => {
        const module = new WebAssembly.Module(bytes);
        const imports: Record<string, Record<string, () => number>> = {};
        for (const i of WebAssembly.Module.imports(module)) (imports[i.module] ??= {})[i.name] = () => 0;
        return new WebAssembly.Instance(module, imports).exports;
      };
      const u = instance(plain);
      const t = instance(tracked);
      assert.equal((t[TRACK_BASE_EXPORT] as WebAssembly.Global).value, B, `${guest}: ${TRACK_BASE_EXPORT}`);
      const um8 = new Uint8Array((u['memory'] as WebAssembly.Memory).buffer);
      const tm8 = new Uint8Array((t['memory'] as WebAssembly.Memory).buffer);
      assert.ok(Buffer.compare(um8, tm8.subarray(B)) === 0, `${guest}: memory [B, ...) is the untracked memory`);
      for (let p = 0; p * TRACK_PAGE < um8.length; p++) {
        if (um8.subarray(p * TRACK_PAGE, (p + 1) * TRACK_PAGE).some((b) => b !== 0)) assert.notEqual(tm8[p], 0, `${guest}: page ${p} has data, unmarked`);
      }
    }
  });
});

/** A module of raw sections (for what the WAT assembler would not write). */
function raw(...sections: Array<[number, Uint8Array]>): Uint8Array {
  const w = new ByteWriter().bytes(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
  for (const [id, payload] of sections) w.u8(id).u32(payload.length).bytes(payload);
  return w.finish();
}
const VOID_TYPE: [number, Uint8Array] = [SEC.type, Uint8Array.of(1, 0x60, 0, 0)];
const ONE_FUNC: [number, Uint8Array] = [SEC.function, Uint8Array.of(1, 0)];
const MEMORY_1: [number, Uint8Array] = [SEC.memory, Uint8Array.of(1, 0, 1)];
/** A code section of one body without locals: `code` then end. */
function code(...ops: number[]): [number, Uint8Array] {
  const body = Uint8Array.of(0, ...ops, 0x0b);
  return [SEC.code, Uint8Array.of(1, body.length, ...body)];
}

describe('trackWrites refuses', () => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['no memory', watBytes('(module (func))'), 'cannot track writes: a module without a memory'],
    ['an imported memory', watBytes('(module (import "env" "m" (memory 1)))'), 'cannot track writes: an imported memory (its other users would not see the map)'],
    ['two memories', raw([SEC.memory, Uint8Array.of(2, 0, 1, 0, 1)]), 'cannot track writes: several memories'],
    ['memory64', raw([SEC.memory, Uint8Array.of(1, 4, 1)]), 'cannot track writes: memory limits flags 0x4 (memory64 or another proposal)'],
    ['a shared memory', raw([SEC.memory, Uint8Array.of(1, 3, 1, 1)]), 'cannot track writes: shared memory (threads)'],
    ['relaxed SIMD', raw(VOID_TYPE, ONE_FUNC, MEMORY_1, code(0xfd, 12, ...new Array<number>(16).fill(0), 0xfd, 0x80, 0x02, 0x1a)), 'cannot track writes: opcode 0xfd 256 (SIMD outside fixed-width SIMD: relaxed or unknown)'],
    ['atomics', raw(VOID_TYPE, ONE_FUNC, MEMORY_1, code(0x41, 0, 0xfe, 0x10, 2, 0, 0x1a)), 'cannot track writes: opcode 0xfe (atomic instructions (threads))'],
    ['a data segment placed by a global', watBytes('(module (import "env" "g" (global i32)) (memory 1) (data (global.get 0) "x"))'), 'cannot track writes: data segment 0 placed by an expression other than i32.const'],
    ['an offset past 4 GiB once moved', watBytes('(module (memory 1) (func (drop (i32.load offset=0xfff00000 (i32.const 0)))))'), `cannot track writes: a load or store offset of ${0xfff00000} (past 4 GiB once moved up by ${B})`],
    ['an initial memory the map does not fit beside', watBytes('(module (memory 65530))'), 'cannot track writes: an initial memory of 65530 pages (the map takes 16 of the 65536)'],
    ['a module that exports the base already', watBytes(`(module (memory 1) (global (export "${TRACK_BASE_EXPORT}") i32 (i32.const 0)))`), `cannot track writes: a module that exports ${TRACK_BASE_EXPORT} already`],
  ];
  for (const [what, bytes, message] of cases) {
    it(what, () => {
      assert.throws(() => trackWrites(bytes), (e: unknown) => e instanceof TransformError && e.message === message);
    });
  }
});

describe('trackWrites in the transform key', () => {
  it('names tracking in both engines\' versions, so tracked and untracked modules never share a key', () => {
    for (const engine of [{}, { engine: LEAN_ENGINE }, { engine: LEAN_ENGINE, fallback: 'wasm-opt-108' }, { engine: 'wasm-opt-108' }] as TransformOptions[]) {
      const off = transformKey('abc', engine);
      assert.equal(transformKey('abc', { ...engine, trackWrites: false }), off, 'false is the default');
      const on = transformKey('abc', { ...engine, trackWrites: true });
      assert.notEqual(on, off);
      assert.ok(transformVersion({ ...engine, trackWrites: true }).endsWith('.track-writes.1'));
      assert.ok(!off.includes('track-writes'));
    }
  });
});
