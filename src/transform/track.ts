// Write tracking in the guest's own code (issue 10.5; what CRIU's --track-mem gets from Linux's soft-dirty
// page bits, which Node 20's wasm has no equivalent of): the guest's address space moves TRACK_BASE bytes up
// and every store, copy, fill and init marks the 4 KiB pages it wrote in a byte map at the bottom of memory.
// The contract with the runtime is wasi/transformed.ts's TRACK_BASE_EXPORT; this pass runs on either
// engine's output, over every body (the Asyncify runtime's too), so Asyncify's pointers are guest addresses.
// What the runtime sees beyond the contract: a store marks 4 map bytes (its 3 possible pages and one
// more), so a store near the guest's end may mark bytes of pages past it (ignore map bytes past the
// guest's size); a fresh instance's map already marks the pages its data segments fill.
import { TRACK_BASE_EXPORT, TRACK_PAGE } from '../wasi/transformed.js';
import { ByteReader, ByteWriter, MalformedModule } from './lean/bytes.js';
import { readBlockType, readLocals, readPrefixFC, readPrefixFD, skipImmediates } from './lean/decode.js';
import {
  BLOCK_EMPTY,
  FC_POPS,
  FC_PUSHES,
  FD_IMMEDIATES,
  FD_POPS,
  FD_PUSHES,
  FD_STORE_BYTES,
  IMM_MEMARG,
  IMM_MEMARG_LANE,
  OP_BLOCK,
  OP_BR,
  OP_BR_IF,
  OP_BR_TABLE,
  OP_CALL,
  OP_CALL_INDIRECT,
  OP_CATCH,
  OP_CATCH_ALL,
  OP_DELEGATE,
  OP_DROP,
  OP_ELSE,
  OP_END,
  OP_GLOBAL_SET,
  OP_I32_ADD,
  OP_I32_CONST,
  OP_I32_GT_U,
  OP_I32_LOAD8_U,
  OP_I32_NE,
  OP_I32_OR,
  OP_I32_SHL,
  OP_I32_SHR_U,
  OP_I32_STORE,
  OP_I32_SUB,
  OP_IF,
  OP_LOCAL_GET,
  OP_LOCAL_SET,
  OP_LOCAL_TEE,
  OP_LOOP,
  OP_MEMORY_GROW,
  OP_MEMORY_SIZE,
  OP_PREFIX_FC,
  OP_PREFIX_FD,
  OP_REF_IS_NULL,
  OP_RETHROW,
  OP_RETURN,
  OP_SELECT,
  OP_SELECT_T,
  OP_TABLE_GET,
  OP_TABLE_SET,
  OP_THROW,
  OP_TRY,
  OP_UNREACHABLE,
  POPS,
  PUSHES,
} from './lean/opcodes.js';
import { EXTERN, readModule, SEC, writeModule, type ModuleInfo, type Section } from './lean/module.js';
import { F32, F64, I32, I64, LeanUnsupported, V128, type FuncType, type ModuleContext, type ValType } from './lean/types.js';
import { TransformError } from './errors.js';

/** The map's size, B: one byte per TRACK_PAGE of the 4 GiB a 32-bit memory can address (minus B itself). */
export const TRACK_BASE = 1 << 20;
const WASM_PAGE = 65536;
/** B in wasm pages. */
export const TRACK_BASE_PAGES = TRACK_BASE / WASM_PAGE;
/** The most wasm pages a 32-bit memory has (V8's limit too). */
const MAX_PAGES = 65536;
const PAGE_SHIFT = Math.log2(TRACK_PAGE);
/** V8's limit on a function's locals. */
const MAX_LOCALS = 50_000;

const FC = { memoryInit: 8, memoryCopy: 10, memoryFill: 11 } as const;

/** Per store opcode (0x36..0x3e): the type of the value it stores. */
const STORE_VALUE: Readonly<Record<number, ValType>> = {
  0x36: I32, 0x37: I64, 0x38: F32, 0x39: F64, 0x3a: I32, 0x3b: I32, 0x3c: I64, 0x3d: I64, 0x3e: I64,
};

function refuse(why: string): TransformError {
  return new TransformError(`cannot track writes: ${why}`);
}

/**
 * The module with write tracking (see the file's head and TRACK_BASE_EXPORT). `bytes` is a transform's
 * output (lean or Binaryen). Throws TransformError `cannot track writes: ...` for a module it cannot track:
 * no memory, an imported, shared, 64-bit or second memory, an instruction it does not know
 * (relaxed SIMD, atomics), a data segment placed by anything but an i32.const, an offset that would pass 4 GiB.
 */
export function trackWrites(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  try {
    return track(bytes);
  } catch (e) {
    if (e instanceof LeanUnsupported) throw refuse(e.message.replace(/^the lean transform does not handle /, ''));
    if (e instanceof MalformedModule) throw refuse(e.message);
    throw e;
  }
}

function track(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const info = readModule(bytes, { tags: true });
  if (info.memories === 0) throw refuse('a module without a memory');
  if (info.memoryImported) throw refuse('an imported memory (its other users would not see the map)');
  if (info.exports.some((e) => e.name === TRACK_BASE_EXPORT)) throw refuse(`a module that exports ${TRACK_BASE_EXPORT} already`);
  const ctx = info.ctx;

  const types: FuncType[] = [];
  const typeOf = (t: FuncType): number => {
    const same = (u: FuncType): boolean => u.params.join() === t.params.join() && u.results.join() === t.results.join();
    const found = ctx.types.findIndex(same);
    if (found >= 0) return found;
    const added = types.findIndex(same);
    if (added >= 0) return ctx.types.length + added;
    types.push(t);
    return ctx.types.length + types.length - 1;
  };
  const functions: Array<{ type: number; body: Uint8Array }> = [];
  const funcs = ctx.funcTypes.length;
  // The helpers, appended after every function as the bodies first ask for them (no index moves).
  const helper = new Map<string, number>();
  const helperOf = (key: string, type: FuncType, body: () => Uint8Array): number => {
    let f = helper.get(key);
    if (f === undefined) {
      f = funcs + functions.length;
      functions.push({ type: typeOf(type), body: body() });
      helper.set(key, f);
    }
    return f;
  };
  const BULK: FuncType = { params: [I32, I32, I32], results: [] };
  const helpers: Helpers = {
    grow: () => helperOf('grow', { params: [I32], results: [I32] }, growBody),
    copy: () => helperOf('copy', BULK, () => bulkBody('copy')),
    fill: () => helperOf('fill', BULK, () => bulkBody('fill')),
    init: (seg) => helperOf(`init ${seg}`, BULK, () => bulkBody('init', seg)),
  };

  const imports = info.funcImports.length;
  const dataAt = info.sections.find((x) => x.id === SEC.data);
  const data = dataAt === undefined ? null : dataSection(info, dataAt);
  const out = writeModule(info, {
    types,
    preemptImport: null,
    globals: [{ type: I32, mutable: false, init: TRACK_BASE }],
    functions,
    exports: [{ name: TRACK_BASE_EXPORT, kind: EXTERN.global, index: ctx.globalTypes.length }],
    body: (i, b) => rewriteBody(ctx, ctx.types[ctx.funcTypes[imports + i]!]!.params.length, b, helpers),
    section: (s) => {
      if (s.id === SEC.memory) return memorySection(info, s);
      if (s.id === SEC.data) return data!.payload;
      // The data count names the map's segments too (datacount: memory.init and data.drop need it).
      if (s.id === SEC.datacount) return leb(data?.count ?? new ByteReader(info.bytes, s.payload, s.end).u32());
      return null;
    },
  });
  return out;
}

interface Helpers {
  grow(): number;
  copy(): number;
  fill(): number;
  init(segment: number): number;
}

/** The memory's limits moved up by B: initial + 16, maximum + 16 (capped at 65536: the guest's max is then 65520). */
function memorySection(info: ModuleInfo, s: Section): Uint8Array {
  const r = new ByteReader(info.bytes, s.payload, s.end);
  const w = new ByteWriter(16);
  const n = r.u32();
  w.u32(n);
  const flags = r.u8();
  const initial = r.u32();
  if (initial + TRACK_BASE_PAGES > MAX_PAGES) throw refuse(`an initial memory of ${initial} pages (the map takes ${TRACK_BASE_PAGES} of the ${MAX_PAGES})`);
  w.u8(flags).u32(initial + TRACK_BASE_PAGES);
  // A maximum past 65536 - 16 guest pages is capped: the guest can grow to 4 GiB minus the map.
  if ((flags & 1) !== 0) w.u32(Math.min(r.u32() + TRACK_BASE_PAGES, MAX_PAGES));
  return w.finish();
}

/** The active segments' offsets moved up by B, and a segment of 1s in the map for the pages they fill. */
function dataSection(info: ModuleInfo, s: Section): { payload: Uint8Array; count: number } {
  const r = new ByteReader(info.bytes, s.payload, s.end);
  const w = new ByteWriter(s.end - s.payload + 64);
  const n = r.u32();
  const marked: Array<[number, number]> = [];
  const segments = new ByteWriter(s.end - s.payload + 64);
  for (let i = 0; i < n; i++) {
    const mode = r.u32();
    segments.u32(mode);
    if (mode === 1) {
      const len = r.u32();
      segments.u32(len).bytes(r.take(len));
      continue;
    }
    if (mode === 2) {
      if (r.u32() !== 0) throw refuse('a data segment for a memory other than 0');
      segments.u32(0);
    } else if (mode !== 0) {
      throw refuse(`data segment mode ${mode}`);
    }
    if (r.u8() !== OP_I32_CONST) throw refuse(`data segment ${i} placed by an expression other than i32.const`);
    const at = r.s32() >>> 0;
    if (r.u8() !== OP_END) throw refuse(`data segment ${i} placed by an expression other than i32.const`);
    if (at + TRACK_BASE > 0xffffffff) throw refuse(`data segment ${i} at ${at}, past 4 GiB once moved up`);
    const len = r.u32();
    segments.u8(OP_I32_CONST).s32((at + TRACK_BASE) | 0).u8(OP_END).u32(len).bytes(r.take(len));
    if (len > 0) marked.push([at >>> PAGE_SHIFT, Math.min(Math.ceil((at + len) / TRACK_PAGE), TRACK_BASE)]);
  }
  const runs = mergeRuns(marked);
  w.u32(n + runs.length).bytes(segments.finish());
  // The pages instantiation fills count as written: a fresh instance's map names them.
  for (const [from, to] of runs) w.u32(0).u8(OP_I32_CONST).s32(from).u8(OP_END).u32(to - from).bytes(new Uint8Array(to - from).fill(1));
  return { payload: w.finish(), count: n + runs.length };
}

/** [from, to) runs sorted and merged where they touch. */
function mergeRuns(runs: Array<[number, number]>): Array<[number, number]> {
  runs.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [from, to] of runs) {
    const last = out[out.length - 1];
    if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

function leb(v: number): Uint8Array {
  return new ByteWriter(8).u32(v).finish();
}

/**
 * Where each value on a body's operand stack came from, as far as one straight run of code shows it: the
 * local whose current value it is (pushed by local.get or local.tee, that local not set since), or -1.
 * Any control instruction forgets everything (a pop past what it knows is -1): only what happened since
 * the last one is trusted. `markedLocal` is the last store's mark while nothing since can have cleared it.
 */
class Origins {
  #stack = new Int32Array(64);
  #top = 0;
  /** The local and offset page (o >> 12) of the last mark, or local -1; forgotten as the stack is. */
  markedLocal = -1;
  markedPage = 0;

  pop(n: number): void {
    this.#top = this.#top > n ? this.#top - n : 0;
  }

  push(local: number): void {
    if (this.#top === this.#stack.length) {
      const grown = new Int32Array(this.#stack.length * 2);
      grown.set(this.#stack);
      this.#stack = grown;
    }
    this.#stack[this.#top++] = local;
  }

  /** Local x is set: no value on the stack is its value any more. */
  set(x: number): void {
    const s = this.#stack;
    for (let i = 0; i < this.#top; i++) if (s[i] === x) s[i] = -1;
    if (this.markedLocal === x) this.markedLocal = -1;
  }

  forget(): void {
    this.#top = 0;
    this.markedLocal = -1;
  }

  /** The local holding the value under the top (a store's address), or -1. */
  second(): number {
    return this.#top >= 2 ? this.#stack[this.#top - 2]! : -1;
  }
}

/**
 * One body with every load's and store's offset moved up by B, a mark after each store, memory.size
 * and memory.grow in guest pages, memory.copy/fill/init through the helpers. Null when nothing changes.
 *
 * A store's mark: with [a, v] on the stack and offset o, the store is made (a kept in a local), then an
 * unaligned i32.store of -1 at map byte m = (a >> 12) + (o >> 12) marks pages m..m+3. The store wrote
 * bytes [a+o, a+o+w) (w ≤ 16: v128.store), whose pages (a+o) >> 12 = m + ((a & 4095) + (o & 4095)) >> 12 ∈ {m, m+1} up
 * to ((a+o+w-1) >> 12) ≤ m + 2 lie in them. The store did not trap, so a+o+w ≤ the guest's memory ≤
 * 2^32 - B and m + 3 < B: the mark never traps and never leaves the map. (Marking first would cost the
 * same bytes, but a store that traps would mark, even scribble past the map, first.)
 * When the address is a local's value (Origins), the mark reads that local: no scratch locals. A store
 * whose address is the same local as the last mark's, with no call, control instruction or set of that
 * local between, and whose offset page is that mark's or the next, needs no mark: its pages m'..m'+2 lie
 * in the last mark's m..m+3 (nothing between could have let the host clear the map).
 */
function rewriteBody(ctx: ModuleContext, params: number, body: Uint8Array, helpers: Helpers): Uint8Array | null {
  const r = new ByteReader(body);
  const groupsAt = r.pos;
  const groups = r.u32();
  const groupsEnd = r.pos;
  r.pos = groupsAt;
  const locals = readLocals(r);
  const localsEnd = r.pos;
  // Scratch locals, made as the stores ask for them: the address, and one per stored value type.
  const scratchTypes: ValType[] = [];
  const scratch = new Map<number, number>();
  const local = (t: ValType, key: number): number => {
    let i = scratch.get(key);
    if (i === undefined) {
      i = params + locals.length + scratchTypes.length;
      scratchTypes.push(t);
      scratch.set(key, i);
    }
    return i;
  };
  const w = new ByteWriter(body.length + (body.length >> 1) + 16);
  let run = localsEnd;
  let changed = false;
  const flushTo = (at: number): void => {
    if (at > run) w.bytes(body.subarray(run, at));
    changed = true;
  };
  const o = new Origins();
  const results = (t: number): number => ctx.types[t]?.results.length ?? 0;
  const paramsOf = (t: number): number => ctx.types[t]?.params.length ?? 0;
  /**
   * The store whose opcode (and 0xFD sub-opcode) begins at `at` and ends at r.pos, with [a, v] on the stack
   * (vt: v's type): its memarg read, it and its lane index (laneByte) written with the offset moved up, and
   * its mark. Every store writes at most 16 bytes, so the mark's argument above holds for each.
   */
  const store = (at: number, vt: ValType, laneByte: boolean): void => {
    if ((r.u32() & 0x40) !== 0) throw refuse('a memory index in a store (multi-memory)');
    const offsetAt = r.pos;
    const off = r.u32();
    const offsetEnd = r.pos;
    if (laneByte) r.u8();
    const offset = movedOffset(off);
    const page = off >>> PAGE_SHIFT;
    let address = o.second();
    flushTo(at);
    if (address < 0) {
      const v = local(vt, vt);
      address = local(I32, 0);
      w.u8(OP_LOCAL_SET).u32(v).u8(OP_LOCAL_TEE).u32(address).u8(OP_LOCAL_GET).u32(v);
    }
    w.bytes(body.subarray(at, offsetAt)).u32(offset).bytes(body.subarray(offsetEnd, r.pos));
    o.pop(2);
    if (address !== o.markedLocal || page < o.markedPage || page > o.markedPage + 1) {
      w.u8(OP_LOCAL_GET).u32(address).u8(OP_I32_CONST).u8(PAGE_SHIFT).u8(OP_I32_SHR_U).u8(OP_I32_CONST).u8(0x7f); // i32.const -1
      w.u8(OP_I32_STORE).u8(0).u32(page);
      // A scratch address is set again by the next store: only a guest's local is remembered.
      o.markedLocal = address === scratch.get(0) ? -1 : address;
      o.markedPage = page;
    }
    run = r.pos;
  };
  let depth = 1;
  while (depth > 0) {
    const at = r.pos;
    const op = r.u8();
    switch (op) {
      case OP_BLOCK:
      case OP_LOOP:
      case OP_IF:
      case OP_TRY:
        depth++;
        readBlockType(r, ctx);
        o.forget();
        break;
      case OP_END:
        depth--;
        o.forget();
        break;
      case OP_DELEGATE:
        r.u32();
        depth--;
        o.forget();
        break;
      case OP_ELSE:
      case OP_CATCH_ALL:
      case OP_UNREACHABLE:
      case OP_RETURN:
        o.forget();
        break;
      case OP_CATCH:
      case OP_THROW:
      case OP_RETHROW:
      case OP_BR:
      case OP_BR_IF:
        r.u32();
        o.forget();
        break;
      case OP_CALL:
      case OP_CALL_INDIRECT: {
        const t = op === OP_CALL ? ctx.funcTypes[r.u32()] ?? -1 : r.u32();
        if (op === OP_CALL_INDIRECT) r.u32();
        o.pop(paramsOf(t) + (op === OP_CALL_INDIRECT ? 1 : 0));
        for (let n = results(t); n > 0; n--) o.push(-1);
        // The host may clear the map during a call (a checkpoint while the guest is suspended in it).
        o.markedLocal = -1;
        break;
      }
      case OP_LOCAL_GET:
        o.push(r.u32());
        break;
      case OP_LOCAL_SET: {
        const x = r.u32();
        o.pop(1);
        o.set(x);
        break;
      }
      case OP_LOCAL_TEE: {
        const x = r.u32();
        o.pop(1);
        o.set(x);
        o.push(x);
        break;
      }
      case 0x28: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e: case 0x2f:
      case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: {
        const align = r.u32();
        if ((align & 0x40) !== 0) throw refuse('a memory index in a load (multi-memory)');
        const offsetAt = r.pos;
        const offset = movedOffset(r.u32());
        flushTo(offsetAt);
        w.u32(offset);
        run = r.pos;
        o.pop(1);
        o.push(-1);
        break;
      }
      case 0x36: case 0x37: case 0x38: case 0x39: case 0x3a: case 0x3b: case 0x3c: case 0x3d: case 0x3e:
        store(at, STORE_VALUE[op]!, false);
        break;
      case OP_MEMORY_SIZE:
        if (r.u8() !== 0) throw refuse('a memory index other than 0 (multi-memory)');
        flushTo(at);
        w.u8(OP_MEMORY_SIZE).u8(0).u8(OP_I32_CONST).u8(TRACK_BASE_PAGES).u8(OP_I32_SUB);
        run = r.pos;
        o.push(-1);
        break;
      case OP_MEMORY_GROW:
        if (r.u8() !== 0) throw refuse('a memory index other than 0 (multi-memory)');
        flushTo(at);
        w.u8(OP_CALL).u32(helpers.grow());
        run = r.pos;
        o.pop(1);
        o.push(-1);
        break;
      case OP_PREFIX_FC: {
        const subAt = r.pos;
        const sub = r.u32();
        if (sub === FC.memoryInit || sub === FC.memoryCopy || sub === FC.memoryFill) {
          const seg = sub === FC.memoryInit ? r.u32() : 0;
          if (r.u8() !== 0 || (sub === FC.memoryCopy && r.u8() !== 0)) throw refuse('a memory index other than 0 (multi-memory)');
          flushTo(at);
          w.u8(OP_CALL).u32(sub === FC.memoryInit ? helpers.init(seg) : sub === FC.memoryCopy ? helpers.copy() : helpers.fill());
          run = r.pos;
        } else {
          r.pos = subAt;
          readPrefixFC(r);
        }
        o.pop(FC_POPS[sub] ?? 0);
        if ((FC_PUSHES[sub] ?? 0) !== 0) o.push(-1);
        break;
      }
      case OP_PREFIX_FD: {
        const subAt = r.pos;
        const sub = r.u32();
        const imm = sub < FD_IMMEDIATES.length ? FD_IMMEDIATES[sub]! : -1;
        if (FD_STORE_BYTES[sub] !== undefined) {
          store(at, V128, imm === IMM_MEMARG_LANE);
        } else if (imm === IMM_MEMARG || imm === IMM_MEMARG_LANE) {
          // A load (a lane load keeps its lane index after the offset).
          if ((r.u32() & 0x40) !== 0) throw refuse('a memory index in a load (multi-memory)');
          const offsetAt = r.pos;
          const offset = movedOffset(r.u32());
          flushTo(offsetAt);
          w.u32(offset);
          run = r.pos;
          if (imm === IMM_MEMARG_LANE) r.u8();
          o.pop(FD_POPS[sub]!);
          o.push(-1);
        } else {
          r.pos = subAt;
          readPrefixFD(r);
          o.pop(FD_POPS[sub]!);
          if (FD_PUSHES[sub] !== 0) o.push(-1);
        }
        break;
      }
      default: {
        skipImmediates(r, op, ctx);
        const pops = POPS[op]!;
        if (pops !== 0xff) {
          o.pop(pops);
          if (PUSHES[op] !== 0) o.push(-1);
        } else {
          // br_table; drop, select; global, table and ref instructions: by hand.
          o.pop(op === OP_DROP || op === OP_GLOBAL_SET || op === OP_REF_IS_NULL || op === OP_TABLE_GET ? 1 : op === OP_TABLE_SET ? 2 : op === OP_SELECT || op === OP_SELECT_T ? 3 : 0);
          if (op === OP_BR_TABLE) o.forget();
          else if (op !== OP_DROP && op !== OP_GLOBAL_SET && op !== OP_TABLE_SET) o.push(-1);
        }
      }
    }
  }
  if (!r.done) throw new MalformedModule("bytes after the body's end", r.pos);
  if (!changed) return null;
  flushTo(body.length);
  if (params + locals.length + scratchTypes.length > MAX_LOCALS) throw refuse(`a function with ${params + locals.length} locals (V8 allows ${MAX_LOCALS} with the scratch ones)`);
  const out = new ByteWriter(w.length + localsEnd + 16);
  out.u32(groups + scratchTypes.length).bytes(body.subarray(groupsEnd, localsEnd));
  for (const t of scratchTypes) out.u32(1).u8(t);
  return out.bytes(w.finish()).finish();
}

/** A load's or store's offset once B is added; refused past 2^32 - 1 (the access would trap untracked too, past 4 GiB - B). */
function movedOffset(o: number): number {
  if (o + TRACK_BASE > 0xffffffff) throw refuse(`a load or store offset of ${o} (past 4 GiB once moved up by ${TRACK_BASE})`);
  return o + TRACK_BASE;
}

/** memory.grow in guest pages: the old size minus 16, or -1 as it failed. (param $n i32) (result i32) */
function growBody(): Uint8Array {
  const w = new ByteWriter(32).u32(1).u32(1).u8(I32); // local $r i32 (index 1)
  w.u8(OP_LOCAL_GET).u32(0).u8(OP_MEMORY_GROW).u8(0).u8(OP_LOCAL_SET).u32(1);
  // select(r - 16, -1, r != -1)
  w.u8(OP_LOCAL_GET).u32(1).u8(OP_I32_CONST).u8(TRACK_BASE_PAGES).u8(OP_I32_SUB);
  w.u8(OP_I32_CONST).u8(0x7f);
  w.u8(OP_LOCAL_GET).u32(1).u8(OP_I32_CONST).u8(0x7f).u8(OP_I32_NE);
  w.u8(OP_SELECT);
  return w.u8(OP_END).finish();
}

/**
 * memory.copy/fill/init (d, s|v, n) on guest addresses: traps where the untracked instruction would (as a
 * memory access out of bounds), does it B bytes up, then marks map bytes [d >> 12, (d + n + 4095) >> 12)
 * (n = 0 may mark one page: over-marking is allowed). The check comes first because d + B wraps for
 * d ≥ 2^32 - B, where the plain instruction on real addresses would not trap; once d + n ≤ G (the guest's
 * size, ≤ 2^32 - B) nothing below wraps.
 */
function bulkBody(kind: 'copy' | 'fill' | 'init', segment = 0): Uint8Array {
  const D = 0, S = 1, N = 2, G = 3;
  const w = new ByteWriter(96).u32(1).u32(1).u8(I32); // local $g i32 (index 3)
  const get = (i: number): ByteWriter => w.u8(OP_LOCAL_GET).u32(i);
  const i32 = (v: number): ByteWriter => w.u8(OP_I32_CONST).s32(v | 0);
  // G = (memory.size << 16) - B, right modulo 2^32 for every real size from 16 to 65536 pages.
  w.u8(OP_MEMORY_SIZE).u8(0);
  i32(16).u8(OP_I32_SHL);
  i32(TRACK_BASE).u8(OP_I32_SUB).u8(OP_LOCAL_SET).u32(G);
  // n > G || x > G - n, for the destination (and a copy's source)
  const outside = (x: number): void => {
    get(N); get(G); w.u8(OP_I32_GT_U);
    get(x); get(G); get(N); w.u8(OP_I32_SUB).u8(OP_I32_GT_U);
    w.u8(OP_I32_OR);
  };
  outside(D);
  if (kind === 'copy') {
    outside(S);
    w.u8(OP_I32_OR);
  }
  // A load at 2^32 traps as the untracked instruction would: memory access out of bounds.
  w.u8(OP_IF).u8(BLOCK_EMPTY);
  i32(-1).u8(OP_I32_LOAD8_U).u8(0).u32(1).u8(OP_DROP).u8(OP_UNREACHABLE);
  w.u8(OP_END);
  get(D); i32(TRACK_BASE).u8(OP_I32_ADD);
  if (kind === 'copy') {
    get(S); i32(TRACK_BASE).u8(OP_I32_ADD);
  } else get(S);
  get(N);
  if (kind === 'copy') w.u8(OP_PREFIX_FC).u32(FC.memoryCopy).u8(0).u8(0);
  else if (kind === 'fill') w.u8(OP_PREFIX_FC).u32(FC.memoryFill).u8(0);
  else w.u8(OP_PREFIX_FC).u32(FC.memoryInit).u32(segment).u8(0);
  // memory.fill(d >> 12, 1, ((d + n + 4095) >> 12) - (d >> 12))
  get(D); i32(PAGE_SHIFT).u8(OP_I32_SHR_U);
  i32(1);
  get(D); get(N); w.u8(OP_I32_ADD); i32(TRACK_PAGE - 1).u8(OP_I32_ADD); i32(PAGE_SHIFT).u8(OP_I32_SHR_U);
  get(D); i32(PAGE_SHIFT).u8(OP_I32_SHR_U).u8(OP_I32_SUB);
  w.u8(OP_PREFIX_FC).u32(FC.memoryFill).u8(0);
  return w.u8(OP_END).finish();
}
